// A process record with the counters the table and top tests look at.
#pragma once

#include <cstdint>
#include <string>

#include "records.hpp"

namespace cowprobe::test_support {

inline ProcRecord proc(std::uint32_t pid, std::uint64_t start, std::uint64_t copies,
                       std::uint64_t reuses, std::uint64_t zero_fills = 0) {
  ProcRecord rec;
  rec.pid = pid;
  rec.ppid = 1;
  rec.comm = "p" + std::to_string(pid);
  rec.start_ns = start;
  rec.counters.set(COWPROBE_C_COPIES, copies);
  rec.counters.set(COWPROBE_C_REUSES, reuses);
  rec.counters.set(COWPROBE_C_ZERO_FILLS, zero_fills);
  rec.counters.set(COWPROBE_C_WP_FAULTS, copies + reuses + zero_fills);
  return rec;
}

}  // namespace cowprobe::test_support
