#include "process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace cowprobe {
namespace {

constexpr int kExitNotFound = 127;
constexpr int kExitCannotRun = 126;

ssize_t read_retry(int fd, void* buf, std::size_t len) {
  ssize_t n = 0;
  do {
    n = ::read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void run_child(int go_fd, int status_fd, char* const* argv) {
  char go = 0;
  if (read_retry(go_fd, &go, 1) != 1) {
    ::_exit(kExitCannotRun);  // the parent gave up before releasing us
  }
  ::execvp(argv[0], argv);
  const int err = errno;
  // Nothing left to report a failed report to: the exit status says it.
  const ssize_t sent = ::write(status_fd, &err, sizeof(err));
  (void)sent;
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotRun);
}

}  // namespace

int shell_status(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return 128 + WTERMSIG(wait_status);
  }
  return WEXITSTATUS(wait_status);
}

Result<HeldCommand> HeldCommand::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return Error(EINVAL, "spawn", "no command given");
  }
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    cargv.push_back(
        const_cast<char*>(arg.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  cargv.push_back(nullptr);

  auto go = make_pipe();
  if (!go) {
    return go.error();
  }
  auto exec_status = make_pipe();
  if (!exec_status) {
    return exec_status.error();
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return Error::from_errno("fork");
  }
  if (pid == 0) {
    go->write.reset();
    exec_status->read.reset();
    run_child(go->read.get(), exec_status->write.get(), cargv.data());
  }
  return HeldCommand(pid, std::move(go->write), std::move(exec_status->read), argv.front());
}

HeldCommand::HeldCommand(HeldCommand&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      go_(std::move(other.go_)),
      exec_status_(std::move(other.exec_status_)),
      command_(std::move(other.command_)) {}

HeldCommand::~HeldCommand() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<void> HeldCommand::release() {
  const char go = 1;
  ssize_t n = 0;
  do {
    n = ::write(go_.get(), &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    return Error::from_errno("releasing the command");
  }
  go_.reset();
  return {};
}

Result<CommandExit> HeldCommand::wait() {
  if (pid_ <= 0) {
    return Error(ECHILD, "wait", "no command to wait for");
  }
  CommandExit result;
  // Closed by a successful exec (CLOEXEC) or after the errno was written.
  int err = 0;
  if (go_.valid()) {
    go_.reset();  // never released: the child exits without running
  } else if (read_retry(exec_status_.get(), &err, sizeof(err)) ==
             static_cast<ssize_t>(sizeof(err))) {
    result.exec_errno = err;
    result.exec_error = err == ENOENT ? fmt::format("{}: command not found", command_)
                                      : fmt::format("{}: {}", command_, std::strerror(err));
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      return Error::from_errno("waitpid");
    }
  }
  pid_ = -1;
  result.status = shell_status(status);
  return result;
}

}  // namespace cowprobe
