#include <csignal>

#include <gtest/gtest.h>

#include "process.hpp"

namespace cowprobe {
namespace {

Result<CommandExit> run(const std::vector<std::string>& argv) {
  auto cmd = HeldCommand::spawn(argv);
  if (!cmd) {
    return cmd.error();
  }
  if (auto r = cmd->release(); !r) {
    return r.error();
  }
  return cmd->wait();
}

TEST(HeldCommand, ExitStatusIsPropagated) {
  auto exit = run({"sh", "-c", "exit 3"});
  ASSERT_TRUE(exit) << exit.error().what();
  EXPECT_EQ(exit->status, 3);
  EXPECT_EQ(exit->exec_errno, 0);
  EXPECT_TRUE(exit->exec_error.empty());
}

TEST(HeldCommand, SuccessIsZero) {
  auto exit = run({"true"});
  ASSERT_TRUE(exit) << exit.error().what();
  EXPECT_EQ(exit->status, 0);
}

TEST(HeldCommand, SignalBecomes128PlusN) {
  auto exit = run({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(exit) << exit.error().what();
  EXPECT_EQ(exit->status, 128 + SIGTERM);
}

TEST(HeldCommand, CommandNotFoundIs127) {
  auto exit = run({"cowprobe-no-such-command-xyz", "arg"});
  ASSERT_TRUE(exit) << exit.error().what();
  EXPECT_EQ(exit->status, 127);
  EXPECT_EQ(exit->exec_error, "cowprobe-no-such-command-xyz: command not found");
}

TEST(HeldCommand, NotExecutableIs126) {
  // A directory cannot be executed, not even by root.
  auto exit = run({"/tmp"});
  ASSERT_TRUE(exit) << exit.error().what();
  EXPECT_EQ(exit->status, 126);
  EXPECT_EQ(exit->exec_error, "/tmp: Permission denied");
}

TEST(HeldCommand, ChildWaitsUntilReleased) {
  auto cmd = HeldCommand::spawn({"true"});
  ASSERT_TRUE(cmd) << cmd.error().what();
  const pid_t pid = cmd->pid();
  // Held: still alive, blocked on the pipe.
  EXPECT_EQ(::kill(pid, 0), 0);
  ASSERT_TRUE(cmd->release());
  auto exit = cmd->wait();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->status, 0);
}

TEST(HeldCommand, NeverReleasedIsKilledAndReaped) {
  pid_t pid = 0;
  {
    auto cmd = HeldCommand::spawn({"true"});
    ASSERT_TRUE(cmd) << cmd.error().what();
    pid = cmd->pid();
  }
  EXPECT_EQ(::kill(pid, 0), -1);
}

TEST(HeldCommand, EmptyCommandIsAnError) { EXPECT_FALSE(HeldCommand::spawn({})); }

TEST(ShellStatus, Codes) {
  EXPECT_EQ(shell_status(0), 0);
  EXPECT_EQ(shell_status(5 << 8), 5);
  EXPECT_EQ(shell_status(SIGKILL), 128 + SIGKILL);
}

}  // namespace
}  // namespace cowprobe
