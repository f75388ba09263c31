#include "check_suite.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace cowprobe {

Result<std::vector<const Scenario*>> choose_scenarios(const std::vector<std::string>& names) {
  std::vector<const Scenario*> chosen;
  if (names.empty()) {
    for (const auto& s : scenarios()) {
      chosen.push_back(&s);
    }
    return chosen;
  }
  for (const auto& name : names) {
    const auto* s = find_scenario(name);
    if (s == nullptr) {
      return Error(EINVAL, "", "unknown scenario '" + name + "' (see cowprobe check --list)");
    }
    chosen.push_back(s);
  }
  return chosen;
}

namespace {

// The differences of a run that did not pass, one line each.
void add_why(std::vector<std::string>& why, int i, const RunResult& r) {
  for (const auto& e : r.explanations) {
    why.push_back(fmt::format("run {}: {}", i, e));
  }
  for (const auto& p : r.problems) {
    why.push_back(fmt::format("run {}: {}", i, p));
  }
  for (const auto& x : r.crosschecks) {
    if (!x.ok) {
      why.push_back(fmt::format("run {}: {} {} < {}", i, x.name, x.kernel, x.ours));
    }
  }
}

}  // namespace

nlohmann::json run_suite(const RunScenario& run, const std::vector<const Scenario*>& chosen,
                         const SuiteOptions& opts, const SuiteHooks& hooks, SuiteTotals& totals) {
  const auto kernel = KernelVersion::running();
  nlohmann::json out = {{"kernel", kernel.str()}, {"repeat", opts.repeat}};
  out["scenarios"] = nlohmann::json::array();
  int number = 0;
  for (const auto* s : chosen) {
    ScenarioOutcome o{s, ++number, "pass", std::nullopt, {}};
    bool failed = false;
    nlohmann::json runs = nlohmann::json::array();
    for (int i = 1; i <= opts.repeat; i++) {
      if (hooks.before_run) {
        hooks.before_run(o, i);
      }
      auto r = run(*s, i);
      if (!r) {
        failed = true;
        o.why.push_back(fmt::format("run {}: {}", i, r.error().what()));
        runs.push_back({{"iteration", i}, {"status", "fail"}, {"error", r.error().what()}});
        continue;
      }
      runs.push_back(*r);
      if (r->skip) {
        o.skip = r->skip;
        if (failed) {
          o.why.push_back(fmt::format("run {}: skipped: {}", i, *r->skip));
        }
        break;
      }
      if (!r->pass()) {
        failed = true;
        add_why(o.why, i, *r);
      }
      if (i == 1 && hooks.first_run) {
        hooks.first_run(o, *r);
      }
    }
    // a run that failed is not undone by a later one that could not run
    if (failed) {
      o.status = "fail";
    } else if (o.skip) {
      o.status = "skip";
    }
    (o.status == "pass" ? totals.pass : o.status == "fail" ? totals.fail : totals.skip)++;
    out["scenarios"].push_back(
        {{"name", s->name}, {"summary", s->summary}, {"status", o.status}, {"runs", runs}});
    if (hooks.scenario_done) {
      hooks.scenario_done(o);
    }
  }
  out["totals"] = {{"pass", totals.pass}, {"fail", totals.fail}, {"skip", totals.skip}};
  return out;
}

nlohmann::json run_suite(Client& client, const std::vector<const Scenario*>& chosen,
                         const SuiteOptions& opts, const SuiteHooks& hooks, SuiteTotals& totals) {
  const auto run = [&client, &opts](const Scenario& s, int iteration) {
    return run_check(client, s, iteration, opts.fork_time_iterations);
  };
  return run_suite(run, chosen, opts, hooks, totals);
}

}  // namespace cowprobe
