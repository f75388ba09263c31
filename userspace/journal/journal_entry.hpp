// The lines of cowprobed's journal (JSON Lines): exit records, gaps, and
// the start of epochs (one per instance of the module the daemon saw).
//
//   {"type":"exit","epoch":1,"seq":42,"time":"2025-05-01T12:00:00.123456Z",
//    "time_ns":...,"pid":..,"ppid":..,"root":..,"comm":"..","flags":..,
//    "start_ns":..,"exit_ns":..,"nr_threads":..,"counters":{..},"regions":[..],
//    "mappings":[..]}   (regions and mappings when the process had them)
//   {"type":"gap","epoch":1,"time":..,"time_ns":..,"reason":"overflow",
//    "after_seq":41,"next_seq":45,"missed":3}
//   {"type":"epoch","epoch":2,"time":..,"time_ns":..,"reason":"module-loaded",
//    "kernel_seq":0}
//   {"type":"refused","epoch":1,"time":..,"time_ns":..,"after_seq":45,
//    "procs":3,"threads":0,"refused_procs":3,"refused_threads":0}
//    (processes and threads the module did not track since the last such
//    line, at its limits: they have no exit record; the totals are STATUS's)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "records.hpp"
#include "result.hpp"

namespace cowprobe {

enum class GapReason {
  seq,       // the sequence jumped: the kernel could not send (exits_dropped)
  overflow,  // the sequence jumped after ENOBUFS: the socket overflowed
  restart,   // records made while the daemon was down or not yet listening
  unloaded,  // the module went away: the epoch ends, processes exiting until
             // the daemon rejoins are not recorded (no count is known)
};

std::string_view gap_reason_name(GapReason reason);

struct Gap {
  std::uint64_t epoch = 0;
  GapReason reason = GapReason::seq;
  std::uint64_t after_seq = 0;  // the last record before the gap (0: none)
  // Both unset for unloaded: nobody knows what was not made.
  std::optional<std::uint64_t> next_seq;
  std::optional<std::uint64_t> missed;
};

// CLOCK_REALTIME minus CLOCK_MONOTONIC now, to date exit_ns.
std::int64_t realtime_offset_ns();
std::int64_t realtime_now_ns();
// ISO 8601 in UTC with microseconds: "2025-05-01T12:00:00.123456Z".
std::string format_utc(std::int64_t unix_ns);

// One journal line each, ending in '\n'.
std::string exit_line(const ExitRecord& rec, std::uint64_t epoch, std::int64_t time_ns);
std::string gap_line(const Gap& gap, std::int64_t time_ns);
std::string epoch_line(std::uint64_t epoch, std::string_view reason, std::uint64_t kernel_seq,
                       std::int64_t time_ns);

// Processes and threads refused by the module since the last refused line.
struct Refused {
  std::uint64_t epoch = 0;
  std::uint64_t after_seq = 0;  // the last exit record written before
  std::uint64_t procs = 0;
  std::uint64_t threads = 0;
  std::uint64_t total_procs = 0;  // STATUS refused_procs, since the module's load
  std::uint64_t total_threads = 0;
};
std::string refused_line(const Refused& r, std::int64_t time_ns);

// A line read back: the keys history queries need, and the whole object.
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json moves without throwing
struct JournalEntry {
  std::string type;  // "exit", "gap", "epoch"; unknown types are kept
  std::uint64_t epoch = 0;
  std::int64_t time_ns = 0;
  std::uint64_t seq = 0;             // exit: its seq; gap, refused: after_seq; epoch: kernel_seq
  std::optional<std::uint32_t> pid;  // exit only
  std::string comm;
  nlohmann::json json;

  [[nodiscard]] bool is_exit() const { return type == "exit"; }
};

// A line without its '\n'. EBADMSG when it is not a journal object.
Result<JournalEntry> parse_journal_line(std::string_view line);

}  // namespace cowprobe
