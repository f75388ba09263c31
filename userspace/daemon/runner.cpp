#include "runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <utility>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace cowprobe::daemon {
namespace {

struct SpawnActions {
  posix_spawn_file_actions_t actions{};
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  SpawnActions(SpawnActions&&) = delete;
  SpawnActions& operator=(SpawnActions&&) = delete;
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};

struct SpawnAttr {
  posix_spawnattr_t attr{};
  SpawnAttr() { posix_spawnattr_init(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  SpawnAttr(SpawnAttr&&) = delete;
  SpawnAttr& operator=(SpawnAttr&&) = delete;
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

}  // namespace

Result<Runner> Runner::start(const std::vector<std::string>& argv, std::uint64_t client) {
  auto out = make_pipe();
  if (!out) {
    return out.error();
  }
  auto err = make_pipe();
  if (!err) {
    return err.error();
  }
  SpawnActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.actions, err->write.get(), STDERR_FILENO);
  // The daemon blocks these for its signalfd; the child must not inherit it.
  SpawnAttr sa;
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &defaults);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa.actions, &sa.attr, args.data(), environ);
  if (rc != 0) {
    return Error(rc, "starting " + argv[0]);
  }
  for (auto* fd : {&out->read, &err->read}) {
    (void)::fcntl(fd->get(), F_SETFL, O_NONBLOCK);
  }
  return Runner(pid, std::move(out->read), std::move(err->read), client);
}

Runner::Runner(Runner&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)),
      client_(other.client_),
      status_(other.status_),
      output_(std::move(other.output_)),
      errors_(std::move(other.errors_)) {}

Runner::~Runner() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void Runner::add_poll_fds(std::vector<pollfd>& fds) const {
  for (const auto* fd : {&out_, &err_}) {
    if (fd->valid()) {
      fds.push_back({fd->get(), POLLIN, 0});
    }
  }
}

void Runner::drain(UniqueFd& fd, std::string& into) {
  std::array<char, 65536> buf{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    if (n <= 0) {
      fd.reset();
      return;
    }
    if (into.size() < kMaxOutput) {
      into.append(buf.data(), static_cast<std::size_t>(n));
    }
  }
}

void Runner::handle(const std::vector<pollfd>& fds) {
  for (const auto& p : fds) {
    if (p.revents == 0) {
      continue;
    }
    if (out_.valid() && p.fd == out_.get()) {
      drain(out_, output_);
    } else if (err_.valid() && p.fd == err_.get()) {
      drain(err_, errors_);
    }
  }
}

void Runner::reap() {
  if (pid_ < 0) {
    return;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    pid_ = -1;
  }
}

}  // namespace cowprobe::daemon
