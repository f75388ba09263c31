// cowprobe top without a terminal: rates from two snapshots of the module's
// records, sorting, and a frame of text lines cut to the screen's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace cowprobe::cli {

// The records of one COWPROBE_CMD_GET dump and when it was taken.
struct Snapshot {
  std::uint64_t time_ns = 0;  // CLOCK_MONOTONIC
  std::vector<ProcRecord> procs;
};

// Per second, over the interval between two snapshots. A class the kernel
// does not report (no attribute) stays absent, printed as "-".
struct Rates {
  double copies = 0;
  double reuses = 0;
  double zero_fills = 0;
  double wp_faults = 0;
  std::uint32_t present = 0;  // as Counters::present

  [[nodiscard]] bool has(int attr) const { return attr < 32 && ((present >> attr) & 1U) != 0; }
};

struct ProcRow {
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::string comm;
  bool exited = false;  // exited during this interval: shown this once
  Rates rates;
  std::uint64_t copies = 0;  // since the process was first tracked
};

struct TopFrame {
  double seconds = 0;  // elapsed between the snapshots
  std::vector<ProcRow> rows;
  Rates total;                     // every row
  std::size_t live = 0;            // rows of running processes
  std::size_t exited_earlier = 0;  // records of processes that exited before
};

enum class SortKey { copies, reuses, faults, pid };

std::optional<SortKey> parse_sort_key(std::string_view name);
std::string_view sort_key_name(SortKey key);
// copies -> reuses -> faults -> pid -> copies
SortKey next_sort_key(SortKey key);

// A process is the same in both snapshots if pid and start time match (pids
// are reused). Counts of a process absent from prev all happened in the
// interval (forked or watched since). A counter lower than before was reset:
// its current value is the delta. Processes that exited before prev are left
// out; those that exited since are rows once, marked exited.
TopFrame compute_frame(const Snapshot& prev, const Snapshot& cur);

// Rates descending (ties by pid), or pid ascending.
void sort_rows(std::vector<ProcRow>& rows, SortKey key);

// What the header says besides the rates.
struct TopHeader {
  std::string version;
  std::uint32_t nr_procs = 0;  // records the module holds
  std::uint64_t exits_sent = 0;
  std::uint64_t exits_dropped = 0;
  bool track_all = false;
  std::optional<std::uint32_t> root;  // --pid
  SortKey sort = SortKey::copies;
  bool interactive = false;  // adds the key help
  std::string note;          // on the line under the sort key, blank without
};

// The screen: header lines, the column titles, one line per row in the given
// order. Lines are cut to width columns; with a height, rows that do not fit
// are replaced by one "... N more" line. 0 means unlimited.
std::vector<std::string> render_frame(const TopFrame& frame, const TopHeader& header,
                                      std::size_t width, std::size_t height);

}  // namespace cowprobe::cli
