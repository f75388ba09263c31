#include <sstream>

#include <gtest/gtest.h>

#include "app.hpp"
#include "cli_parse.hpp"
#include "version.hpp"

namespace cowprobe::cli {
namespace {

using test_support::parse;

TEST(Cli, StatTakesEverythingAfterDoubleDash) {
  auto p = parse({"stat", "--json", "-o", "r.json", "--", "ls", "-l", "--json"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_EQ(p.opts.command, Command::stat);
  EXPECT_TRUE(p.opts.stat.json);
  EXPECT_FALSE(p.opts.stat.threads);
  EXPECT_EQ(p.opts.stat.output, "r.json");
  EXPECT_EQ(p.opts.stat.command, (std::vector<std::string>{"ls", "-l", "--json"}));
}

TEST(Cli, StatWithoutCommandIsAUsageError) {
  auto p = parse({"stat", "--threads"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  EXPECT_NE(p.err.find("cowprobe: command is required"), std::string::npos) << p.err;
}

TEST(Cli, UnknownFlagIsAUsageError) {
  auto p = parse({"status", "--bogus"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  EXPECT_NE(p.err.find("--bogus"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.rfind("cowprobe: ", 0), 0U) << p.err;
}

TEST(Cli, NoSubcommandIsAUsageError) {
  auto p = parse({});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
}

TEST(Cli, UnknownSubcommandIsNamed) {
  auto p = parse({"bogus"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  EXPECT_NE(p.err.find("unknown subcommand 'bogus'"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("stat"), std::string::npos) << p.err;  // the known ones follow
  EXPECT_EQ(p.err.find("A subcommand is required"), std::string::npos) << p.err;
}

TEST(Cli, UnknownWordAfterASubcommandIsAnExtra) {
  auto p = parse({"status", "bogus"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, kExitUsage);
  EXPECT_NE(p.err.find("bogus"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("unknown subcommand"), std::string::npos) << p.err;
}

TEST(Cli, VersionPrintsThePackageVersion) {
  auto p = parse({"--version"});
  ASSERT_TRUE(p.exit);
  EXPECT_EQ(*p.exit, 0);
  const std::string first = "cowprobe " + std::string(package_version()) + "\n";
  EXPECT_EQ(p.out.rfind(first, 0), 0U) << p.out;
  // No module here (or one not readable): the second line says so, never blank.
  EXPECT_NE(p.out.find("\nmodule: "), std::string::npos) << p.out;
}

TEST(Version, TextWithAndWithoutModule) {
  EXPECT_EQ(version_text("cowprobed", std::string("0.1-g123 (genl 1)"), "unused"),
            "cowprobed " + std::string(package_version()) + "\nmodule: cowprobe 0.1-g123 (genl 1)");
  EXPECT_EQ(version_text("cowprobe", std::nullopt, "not loaded"),
            "cowprobe " + std::string(package_version()) + "\nmodule: not loaded");
  EXPECT_FALSE(package_version().empty());
}

TEST(Cli, NonNumericPidIsRejected) {
  for (const char* bad : {"abc", "12x", "-3", "0"}) {
    auto p = parse({"stats", "--pid", bad});
    ASSERT_TRUE(p.exit) << bad;
    EXPECT_EQ(*p.exit, kExitUsage) << bad;
    EXPECT_NE(p.err.find("PID must be a positive number"), std::string::npos) << p.err;
  }
}

TEST(Cli, StatsWithPid) {
  auto p = parse({"stats", "--pid", "1234", "--json"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_EQ(p.opts.command, Command::stats);
  ASSERT_TRUE(p.opts.stats.pid);
  EXPECT_EQ(*p.opts.stats.pid, 1234);
  EXPECT_TRUE(p.opts.stats.json);
}

TEST(Cli, StatusJson) {
  auto p = parse({"status", "--json"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_EQ(p.opts.command, Command::status);
  EXPECT_TRUE(p.opts.status.json);
}

TEST(Cli, HelpExplainsAndShowsAnExample) {
  for (const char* sub : {"stat", "status", "stats"}) {
    auto p = parse({sub, "--help"});
    ASSERT_TRUE(p.exit) << sub;
    EXPECT_EQ(*p.exit, 0);
    EXPECT_NE(p.out.find("Example"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find(std::string("cowprobe ") + sub), std::string::npos) << p.out;
  }
}

}  // namespace
}  // namespace cowprobe::cli
