#include "terminal.hpp"

#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace cowprobe::cli {
namespace {

constexpr std::string_view kEnterScreen = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
constexpr std::string_view kLeaveScreen = "\x1b[?25h\x1b[?1049l";

// Best effort, also from destructors: a terminal that is gone cannot be
// restored anyway.
void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::optional<TermSize> terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) {
    return std::nullopt;
  }
  return TermSize{ws.ws_col, ws.ws_row};
}

Result<RawTerminal> RawTerminal::enter(int in_fd, int out_fd) {
  termios saved{};
  if (::tcgetattr(in_fd, &saved) != 0) {
    return Error::from_errno("reading the terminal's settings");
  }
  termios raw = saved;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
  raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);  // ^S would freeze the view
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(in_fd, TCSAFLUSH, &raw) != 0) {
    return Error::from_errno("switching the terminal to raw keys");
  }
  RawTerminal term(in_fd, out_fd, saved);
  write_all(out_fd, kEnterScreen);
  return term;
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : in_fd_(std::exchange(other.in_fd_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      saved_(other.saved_) {}

RawTerminal::~RawTerminal() {
  if (in_fd_ < 0) {
    return;
  }
  write_all(out_fd_, kLeaveScreen);
  (void)::tcsetattr(in_fd_, TCSAFLUSH, &saved_);
}

Result<SignalFd> SignalFd::open(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : signals) {
    sigaddset(&set, sig);
  }
  sigset_t old;
  if (const int err = ::pthread_sigmask(SIG_BLOCK, &set, &old); err != 0) {
    return Error(err, "blocking signals");
  }
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) {
    const Error e = Error::from_errno("signalfd");
    (void)::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return e;
  }
  return SignalFd(std::move(fd), old);
}

SignalFd::SignalFd(SignalFd&& other) noexcept
    : fd_(std::move(other.fd_)),
      old_mask_(other.old_mask_),
      restore_(std::exchange(other.restore_, false)) {}

SignalFd::~SignalFd() {
  if (restore_) {
    (void)::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

std::optional<int> SignalFd::take() {
  signalfd_siginfo info{};
  for (;;) {
    const ssize_t n = ::read(fd_.get(), &info, sizeof(info));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n != static_cast<ssize_t>(sizeof(info))) {
      return std::nullopt;
    }
    return static_cast<int>(info.ssi_signo);
  }
}

std::string paint(const std::vector<std::string>& lines, std::size_t height) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); i++) {
    out += fmt::format("\x1b[{};1H\x1b[2K", i + 1);
    out += lines[i];
  }
  if (height == 0 || lines.size() < height) {
    out += fmt::format("\x1b[{};1H\x1b[J", lines.size() + 1);
  }
  return out;
}

}  // namespace cowprobe::cli
