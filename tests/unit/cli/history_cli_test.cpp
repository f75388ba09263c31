// cowprobe history and check --daemon on the command line.
#include <sstream>

#include <gtest/gtest.h>

#include "app.hpp"
#include "cli_parse.hpp"
#include "commands.hpp"
#include "daemon_protocol.hpp"

namespace cowprobe::cli {
namespace {

using test_support::parse;

TEST(HistoryCli, Filters) {
  auto p =
      parse({"history", "--pid", "12", "--comm", "make", "--since", "2h", "--json", "-n", "5"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_EQ(p.opts.command, Command::history);
  EXPECT_EQ(p.opts.history.pid, 12);
  EXPECT_EQ(p.opts.history.comm, "make");
  EXPECT_EQ(p.opts.history.since, "2h");
  EXPECT_EQ(p.opts.history.limit, 5U);
  EXPECT_TRUE(p.opts.history.json);
  EXPECT_EQ(p.opts.history.socket, kDefaultSocket);
  EXPECT_TRUE(p.opts.history.journal.empty());
}

TEST(HistoryCli, BadSinceIsAUsageError) {
  auto p = parse({"history", "--since", "last tuesday"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  EXPECT_NE(p.err.find("bad time 'last tuesday'"), std::string::npos) << p.err;
}

TEST(HistoryCli, BadPidIsAUsageError) {
  auto p = parse({"history", "--pid", "0"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
}

TEST(HistoryCli, MissingJournalIsOneLine) {
  Options opts;
  opts.history.journal = "/nonexistent/cowprobe/exits.jsonl";
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_history(opts.history), 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "cowprobe: no journal at /nonexistent/cowprobe/exits.jsonl\n");
}

TEST(CheckCli, DaemonExcludesTap) {
  auto p = parse({"check", "--daemon", "--tap"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  auto q = parse({"check", "--daemon", "--socket", "/tmp/s", "child-writes"});
  ASSERT_FALSE(q.exit) << q.err;
  EXPECT_TRUE(q.opts.check.daemon);
  EXPECT_EQ(q.opts.check.socket, "/tmp/s");
}

}  // namespace
}  // namespace cowprobe::cli
