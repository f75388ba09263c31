// cowprobe-workload's command line: the registry's scenarios by name.
#include <gtest/gtest.h>

#include "workload_app.hpp"

namespace cowprobe::workload {
namespace {

TEST(Workload, MoreWritesThanPagesIsRejected) {
  Options opts;
  opts.scenario = "child-writes";
  opts.pages = 4;
  opts.writes = 5;
  EXPECT_EQ(run(opts), 1);
}

TEST(Workload, UnknownScenarioAndNoneAreErrors) {
  Options opts;
  EXPECT_EQ(run(opts), 2);
  opts.scenario = "nope";
  EXPECT_EQ(run(opts), 1);
}

TEST(Workload, FlagsFeedTheOptions) {
  Options opts;
  auto app = make_app(opts);
  const char* argv[] = {"cowprobe-workload", "fork-bench", "--mib", "4", "--iterations", "7"};
  app->parse(6, const_cast<char**>(argv));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  EXPECT_EQ(opts.scenario, "fork-bench");
  EXPECT_EQ(opts.mib, 4U);
  EXPECT_EQ(opts.iterations, 7U);
  EXPECT_EQ(opts.pages, 256U);
  EXPECT_EQ(opts.writes, 64U);
}

}  // namespace
}  // namespace cowprobe::workload
