#include "check_suite.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

namespace cowprobe {
namespace {

TEST(ChooseScenarios, NoNameIsEveryScenarioInRegistryOrder) {
  auto chosen = choose_scenarios({});
  ASSERT_TRUE(chosen);
  ASSERT_EQ(chosen->size(), scenarios().size());
  for (std::size_t i = 0; i < chosen->size(); i++) {
    EXPECT_EQ((*chosen)[i], &scenarios()[i]);
  }
}

TEST(ChooseScenarios, NamesKeepTheirOrder) {
  auto chosen = choose_scenarios({"thp", "child-writes"});
  ASSERT_TRUE(chosen);
  ASSERT_EQ(chosen->size(), 2U);
  EXPECT_EQ((*chosen)[0]->name, "thp");
  EXPECT_EQ((*chosen)[1]->name, "child-writes");
}

TEST(ChooseScenarios, AnUnknownNameIsRefusedByName) {
  auto chosen = choose_scenarios({"child-writes", "no-such"});
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code(), EINVAL);
  EXPECT_EQ(chosen.error().what(), "unknown scenario 'no-such' (see cowprobe check --list)");
}

// A stand-in for run_check: run i of a scenario gives outcomes[i - 1]
// ("pass", "fail", "skip" or "error"), and the runs it was asked for are kept.
struct ScriptedRuns {
  std::vector<std::string> outcomes;
  std::vector<int> asked;
  Result<RunResult> operator()(const Scenario& s, int iteration) {
    asked.push_back(iteration);
    const auto& what = outcomes.at(static_cast<std::size_t>(iteration) - 1);
    if (what == "error") {
      return Error(EIO, "", "the runner died");
    }
    RunResult r;
    r.scenario = std::string(s.name);
    r.iteration = iteration;
    if (what == "skip") {
      r.skip = "no THP here";
    } else if (what == "fail") {
      r.problems.emplace_back("a process without a record");
    }
    return r;
  }
};

struct Folded {
  std::string status;
  std::vector<std::string> why;
  SuiteTotals totals;
  std::vector<int> asked;
};

Folded fold(std::vector<std::string> outcomes) {
  ScriptedRuns runs{std::move(outcomes), {}};
  const int repeat = static_cast<int>(runs.outcomes.size());
  Folded f;
  SuiteHooks hooks;
  hooks.scenario_done = [&f](const ScenarioOutcome& o) { f.why = o.why; };
  const auto out = run_suite(std::ref(runs), {find_scenario("thp")}, {repeat, 1}, hooks, f.totals);
  f.status = out["scenarios"][0]["status"];
  f.asked = runs.asked;
  return f;
}

TEST(RunSuite, EveryRunMatchingIsAPass) {
  const auto f = fold({"pass", "pass", "pass"});
  EXPECT_EQ(f.status, "pass");
  EXPECT_EQ(f.totals.pass, 1);
  EXPECT_EQ(f.asked, (std::vector<int>{1, 2, 3}));
}

TEST(RunSuite, ASkipInTheFirstRunIsASkipAndEndsTheRuns) {
  const auto f = fold({"skip", "pass"});
  EXPECT_EQ(f.status, "skip");
  EXPECT_EQ(f.totals.skip, 1);
  EXPECT_EQ(f.totals.fail, 0);
  EXPECT_EQ(f.asked, (std::vector<int>{1}));
}

// A skip that depends on timing (ksmd, THP backing, MADV_PAGEOUT) in a later
// run must not hide that an earlier run failed.
TEST(RunSuite, AFailedRunThenASkipIsAFail) {
  const auto f = fold({"fail", "skip"});
  EXPECT_EQ(f.status, "fail");
  EXPECT_EQ(f.totals.fail, 1);
  EXPECT_EQ(f.totals.skip, 0);
  EXPECT_EQ(f.why, (std::vector<std::string>{"run 1: a process without a record",
                                             "run 2: skipped: no THP here"}));
}

TEST(RunSuite, ARunThatCouldNotBeMadeThenASkipIsAFail) {
  const auto f = fold({"pass", "error", "skip"});
  EXPECT_EQ(f.status, "fail");
  EXPECT_EQ(f.totals.fail, 1);
  EXPECT_EQ(f.why.front(), "run 2: the runner died");
}

TEST(RunSuite, AFailInALaterRunIsAFail) {
  const auto f = fold({"pass", "pass", "fail"});
  EXPECT_EQ(f.status, "fail");
  EXPECT_EQ(f.totals.fail, 1);
  EXPECT_EQ(f.totals.pass, 0);
}

}  // namespace
}  // namespace cowprobe
