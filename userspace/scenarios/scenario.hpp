// The scenario library: fork workloads, each with the counts the memory model
// (model.hpp) predicts for it, per fault class, inside the address regions it
// registers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"
#include "result.hpp"

namespace cowprobe {

// What a scenario may ask of the tool around it.
struct ScenarioEnv {
  KernelVersion kernel;
  // Registers [start, end) of process pid as a region counted apart.
  std::function<Result<void>(pid_t pid, std::uintptr_t start, std::uintptr_t end,
                             const std::string& name)>
      add_region;
  int fork_time_iterations = 10;
  // The buffer of the basic scenarios (child-writes, no-write,
  // parent-after-wait, parent-writes-child-alive): pages, and pages written.
  std::size_t pages = 64;
  std::size_t writes = 16;
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
