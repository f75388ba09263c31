// `cowprobe check`: runs scenarios in a watched process tree and compares the
// kernel's counts with the model's, class by class, explaining differences.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"
#include "model.hpp"
#include "result.hpp"
#include "scenario.hpp"

namespace cowprobe {

// The kernel's own counters, where it has them: they must not contradict ours.
struct CrossCheck {
  std::string name;          // e.g. "pgreuse"
  std::uint64_t kernel = 0;  // the kernel's delta, system-wide
  std::uint64_t ours = 0;    // what cowprobe counted in the tree
  bool ok = true;            // kernel >= ours: the kernel counts everyone
  std::string detail;
};

struct RunResult {
  std::string scenario;
  int iteration = 0;
  std::optional<std::string> skip;
  std::vector<ClassCheck> classes;        // every class expected or measured non-zero
  std::vector<std::string> explanations;  // one per class that differs
  std::vector<std::string> problems;      // e.g. a process without a record
  std::vector<CrossCheck> crosschecks;
  std::vector<std::string> notes;
  [[nodiscard]] bool pass() const;
};

// A skip reason when the scenario predicts a non-zero count of a class that
// the running kernel's probes cannot see (the module's self-check says why).
std::optional<std::string> unobservable(const Status& status, const ScenarioReport& report);

// Forks a runner, watches it and its descendants, runs the scenario in it and
// compares. The client must be able to WATCH (root).
Result<RunResult> run_check(Client& client, const Scenario& scenario, int iteration,
                            int fork_time_iterations);

void to_json(nlohmann::json& j, const CrossCheck& c);
void to_json(nlohmann::json& j, const RunResult& r);

}  // namespace cowprobe
