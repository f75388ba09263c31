// The terminal of a full-screen view: raw keys and the alternate screen for
// as long as a RawTerminal lives, signals as a file descriptor, and the
// escape codes that paint a frame.
#pragma once

#include <termios.h>

#include <csignal>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace cowprobe::cli {

struct TermSize {
  std::size_t cols = 0;
  std::size_t rows = 0;
};

// TIOCGWINSZ; nothing when fd is not a terminal or reports no size.
std::optional<TermSize> terminal_size(int fd);

// Keys one at a time without echo (^C and ^Z arrive as bytes, so the view
// is never stopped with the terminal raw), the alternate screen, no cursor.
// The destructor puts back the screen and the exact settings it found.
class RawTerminal {
 public:
  static Result<RawTerminal> enter(int in_fd, int out_fd);

  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  RawTerminal(RawTerminal&& other) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  ~RawTerminal();

 private:
  RawTerminal(int in_fd, int out_fd, const termios& saved)
      : in_fd_(in_fd), out_fd_(out_fd), saved_(saved) {}

  int in_fd_ = -1;  // -1: moved from, nothing to restore
  int out_fd_ = -1;
  termios saved_{};
};

// Blocks the signals and delivers them on a signalfd; the destructor
// unblocks them (the previous mask), then closes the fd.
class SignalFd {
 public:
  static Result<SignalFd> open(std::initializer_list<int> signals);

  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  SignalFd(SignalFd&& other) noexcept;
  SignalFd& operator=(SignalFd&&) = delete;
  ~SignalFd();

  [[nodiscard]] int fd() const { return fd_.get(); }
  // The next pending signal, if any.
  std::optional<int> take();

 private:
  SignalFd(UniqueFd fd, const sigset_t& old_mask) : fd_(std::move(fd)), old_mask_(old_mask) {}

  UniqueFd fd_;
  sigset_t old_mask_{};
  bool restore_ = true;
};

// Escape codes that draw lines from the top-left corner, each on a cleared
// line, and clear the rest of a screen of height rows. Lines must already
// fit the width: nothing here wraps or scrolls.
std::string paint(const std::vector<std::string>& lines, std::size_t height);

}  // namespace cowprobe::cli
