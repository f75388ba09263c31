// A suite of scenario checks, as `cowprobe check` runs it and as cowprobed
// runs it for a client: each scenario repeated, its runs folded into one
// status, the whole as the JSON document of `cowprobe check --json`.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "client.hpp"
#include "result.hpp"
#include "scenario.hpp"

namespace cowprobe {

// The scenarios named, in order, or every scenario for none; an unknown name
// is an error naming it.
Result<std::vector<const Scenario*>> choose_scenarios(const std::vector<std::string>& names);

// One scenario's runs folded: "fail" when any run did not match or could not
// be made (a later run that skips does not undo it), otherwise "skip" when a
// run says this kernel or setup cannot run it (the runs stop there), and
// "pass" when every run matched.
struct ScenarioOutcome {
  const Scenario* scenario = nullptr;
  int number = 0;  // 1-based, in the order run
  std::string status;
  std::optional<std::string> skip;
  std::vector<std::string> why;  // "run N: ...", one per difference
};

struct SuiteTotals {
  int pass = 0;
  int fail = 0;
  int skip = 0;
};

// Observers of a suite as it runs; each may be empty.
struct SuiteHooks {
  std::function<void(const ScenarioOutcome& s, int iteration)> before_run;
  std::function<void(const ScenarioOutcome& s, const RunResult& r)> first_run;
  std::function<void(const ScenarioOutcome& s)> scenario_done;
};

struct SuiteOptions {
  int repeat = 1;
  int fork_time_iterations = 10;
};

// One run of a scenario: run_check with a client, or a test's stand-in.
using RunScenario = std::function<Result<RunResult>(const Scenario& s, int iteration)>;

// Runs the scenarios, each opts.repeat times through run, and returns
// {"kernel", "repeat", "scenarios": [...], "totals"}.
nlohmann::json run_suite(const RunScenario& run, const std::vector<const Scenario*>& chosen,
                         const SuiteOptions& opts, const SuiteHooks& hooks, SuiteTotals& totals);

// Runs the scenarios with the client (which must be able to WATCH: root) and
// returns {"kernel", "repeat", "scenarios": [...], "totals"}.
nlohmann::json run_suite(Client& client, const std::vector<const Scenario*>& chosen,
                         const SuiteOptions& opts, const SuiteHooks& hooks, SuiteTotals& totals);

}  // namespace cowprobe
