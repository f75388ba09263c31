// Which scenarios `cowprobe check` skips: those predicting a class the
// running kernel's probes cannot see.
#include "check.hpp"

#include <gtest/gtest.h>
#include <linux/cowprobe.h>

namespace cowprobe {
namespace {

// A report predicting 10 copies for the child, and one more count.
ScenarioReport predicting(int counter, std::uint64_t value) {
  ScenarioReport rep;
  rep.scenario = "child-writes";
  rep.expect = {{"child", "buffer", COWPROBE_C_COPIES, 10, "the parent still maps the pages"},
                {"child", "buffer", counter, value, "the rule"}};
  return rep;
}

Status status_with(const std::string& cls, std::uint32_t state) {
  Status st;
  st.classes.push_back({"copy", COWPROBE_CLASS_OBSERVED, "do_wp_page"});
  st.classes.push_back({cls, state, "CONFIG_X is off in this kernel"});
  return st;
}

TEST(Unobservable, PredictedClassTheKernelCannotSeeIsASkip) {
  const auto rep = predicting(COWPROBE_C_THP_WP_FAULTS, 1);
  const auto why = unobservable(status_with("thp", COWPROBE_CLASS_UNOBSERVABLE), rep);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "this kernel's probes cannot see class thp: CONFIG_X is off in this kernel");
}

TEST(Unobservable, DerivedClassesAndZeroPredictionsRun) {
  auto rep = predicting(COWPROBE_C_REUSES, 3);
  EXPECT_FALSE(unobservable(status_with("reuse", COWPROBE_CLASS_DERIVED), rep));
  rep.expect.back().value = 0;
  EXPECT_FALSE(unobservable(status_with("reuse", COWPROBE_CLASS_UNOBSERVABLE), rep));
}

TEST(Unobservable, ModuleWithoutSelfCheckRuns) {
  EXPECT_FALSE(unobservable(Status{}, predicting(COWPROBE_C_KSM_COPIES, 1)));
}

}  // namespace
}  // namespace cowprobe
