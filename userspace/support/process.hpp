// A command started held: forked, waiting on a pipe until released, so it
// can be WATCHed before it runs anything of its own.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace cowprobe {

struct CommandExit {
  int status = 0;          // exit code; 128+N for signal N; 127/126 if exec failed
  int exec_errno = 0;      // errno of a failed execvp, 0 when it ran
  std::string exec_error;  // "COMMAND: command not found" or "COMMAND: strerror"
};

class HeldCommand {
 public:
  // Forks a child blocked before execvp(argv[0], argv).
  static Result<HeldCommand> spawn(const std::vector<std::string>& argv);

  HeldCommand(const HeldCommand&) = delete;
  HeldCommand& operator=(const HeldCommand&) = delete;
  HeldCommand(HeldCommand&& other) noexcept;
  HeldCommand& operator=(HeldCommand&&) = delete;
  // A child never waited for is killed and reaped.
  ~HeldCommand();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Lets the child exec COMMAND.
  Result<void> release();
  // Waits for the child; reports exec failures sent back by the child.
  Result<CommandExit> wait();

 private:
  HeldCommand(pid_t pid, UniqueFd go, UniqueFd exec_status, std::string command)
      : pid_(pid),
        go_(std::move(go)),
        exec_status_(std::move(exec_status)),
        command_(std::move(command)) {}

  pid_t pid_ = -1;
  UniqueFd go_;           // write end: one byte releases the child
  UniqueFd exec_status_;  // read end: the child's errno if execvp failed
  std::string command_;
};

// Exit status as a shell reports it: the code, or 128+N for signal N.
int shell_status(int wait_status);

}  // namespace cowprobe
