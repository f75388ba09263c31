// Fork workloads with known copy-on-write outcomes, for cowprobe-workload
// and for comparing the module's counts with the model's.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "result.hpp"

namespace cowprobe {

// Faults the model expects inside the buffer for one process role.
struct ExpectedCounts {
  std::uint64_t copies = 0;
  std::uint64_t reuses = 0;
  bool operator==(const ExpectedCounts&) const = default;
};

struct WorkloadReport {
  std::string name;
  pid_t parent_pid = 0;
  std::vector<pid_t> child_pids;
  std::uintptr_t buffer_start = 0;  // first byte
  std::uintptr_t buffer_end = 0;    // one past the last
  std::size_t pages = 0;
  std::size_t page_size = 0;
  // Absent where the model makes no exact claim (the seed programs).
  std::optional<ExpectedCounts> parent_expected;
  std::optional<ExpectedCounts> child_expected;
};

struct WorkloadOptions {
  std::size_t pages = 256;    // N: buffer size
  std::size_t writes = 64;    // K or M: pages written
  unsigned iterations = 100;  // seed-fork-time, fork-bench
  std::size_t mib = 50;       // fork-bench buffer
  bool settle = true;         // pin to CPU 0 and drain LRU caches first
  std::FILE* out = stdout;    // where the seed programs print
};

struct WorkloadInfo {
  std::string_view name;
  std::string_view description;
};

std::span<const WorkloadInfo> workload_list();

Result<WorkloadReport> run_workload(std::string_view name, const WorkloadOptions& opts);

// The scenarios, each on an mmap(MAP_PRIVATE|MAP_ANONYMOUS) buffer of
// opts.pages pages written in full before fork.
Result<WorkloadReport> child_writes(const WorkloadOptions& opts);
Result<WorkloadReport> parent_after_wait(const WorkloadOptions& opts);
Result<WorkloadReport> parent_writes_child_alive(const WorkloadOptions& opts);
Result<WorkloadReport> no_write(const WorkloadOptions& opts);

// The seed document's three programs, printing what they print.
Result<WorkloadReport> seed_fork_time(const WorkloadOptions& opts);
Result<WorkloadReport> seed_rss(const WorkloadOptions& opts);
Result<WorkloadReport> seed_global_array(const WorkloadOptions& opts);
// Average milliseconds per fork + child write of opts.mib MiB, one number.
Result<WorkloadReport> fork_bench(const WorkloadOptions& opts);

void to_json(nlohmann::json& j, const ExpectedCounts& e);
void to_json(nlohmann::json& j, const WorkloadReport& r);

}  // namespace cowprobe
