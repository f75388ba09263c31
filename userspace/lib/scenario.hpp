// The scenario library: fork workloads, each with the counts the memory model
// predicts for it, per fault class, inside the address regions it registers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace cowprobe {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  static KernelVersion running();
  static KernelVersion parse(std::string_view release);
  [[nodiscard]] bool at_least(int maj, int min) const {
    return major > maj || (major == maj && minor >= min);
  }
  [[nodiscard]] std::string str() const;
};

// One predicted count: the sum of counter `counter` (COWPROBE_C_*) over the
// processes playing `role`, inside the region named `region`. Every counter of
// a region that no expectation names is predicted to be zero.
struct Expectation {
  std::string role;
  std::string region;
  int counter = 0;
  std::uint64_t value = 0;
  std::string rule;  // which rule of the model predicts it
};

// What a scenario run reports from inside the watched process tree.
struct ScenarioReport {
  std::string scenario;
  std::map<std::string, std::vector<int>> roles;  // role -> pids
  std::vector<std::string> regions;               // names registered
  std::vector<Expectation> expect;
  std::optional<std::string> skip;  // why this kernel or setup cannot run it
  std::vector<std::string> notes;
};

void to_json(nlohmann::json& j, const Expectation& e);
void from_json(const nlohmann::json& j, Expectation& e);
void to_json(nlohmann::json& j, const ScenarioReport& r);
void from_json(const nlohmann::json& j, ScenarioReport& r);

// What a scenario may ask of the tool around it.
struct ScenarioEnv {
  KernelVersion kernel;
  // Registers [start, end) of process pid as a region counted apart.
  std::function<Result<void>(pid_t pid, std::uintptr_t start, std::uintptr_t end,
                             const std::string& name)>
      add_region;
  int fork_time_iterations = 10;
  // Where the seed programs print what the seed document prints (nullptr: quiet).
  std::FILE* out = nullptr;
};

struct Scenario {
  std::string_view name;
  std::string_view summary;
  std::function<Result<ScenarioReport>(ScenarioEnv&)> run;
};

const std::vector<Scenario>& scenarios();
const Scenario* find_scenario(std::string_view name);

}  // namespace cowprobe
