#include "runner.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <utility>

namespace cowprobe::daemon {
namespace {

// In the child, before body: as if it had been exec'ed.
void become_child(int out, int err) {
  sigset_t none;
  sigemptyset(&none);
  // the daemon blocks its signals for its signalfd
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    ::signal(sig, SIG_DFL);
  }
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
      ::dup2(err, STDERR_FILENO) < 0) {
    ::_exit(127);
  }
  // the journal, the server's sockets, the netlink listener: not the child's
  ::close_range(3, ~0U, 0);
}

}  // namespace

Result<Runner> Runner::start(const std::function<int()>& body, std::uint64_t client) {
  auto out = make_pipe();
  if (!out) {
    return out.error();
  }
  auto err = make_pipe();
  if (!err) {
    return err.error();
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return Error::from_errno("fork for a scenario run");
  }
  if (pid == 0) {
    become_child(out->write.get(), err->write.get());
    const int rc = body();
    std::fflush(nullptr);
    ::_exit(rc);
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
