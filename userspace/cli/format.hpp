// Tables for people, perf-stat style.
#pragma once

#include <string>
#include <vector>

#include "maps.hpp"
#include "records.hpp"

namespace cowprobe::cli {

// By start time, then pid.
void sort_by_start(std::vector<ProcRecord>& records);
Counters totals(const std::vector<ProcRecord>& records);

// Header, one row per process (and per thread with threads), a totals row.
std::string format_proc_table(const std::vector<ProcRecord>& records, bool threads);
std::string format_status(const Status& status);
// Per process with mapping buckets: a row per mapping (cowprobe stat --maps).
std::string format_map_tables(const std::vector<ProcRecord>& records, const MountTable& mounts);

}  // namespace cowprobe::cli
