// Exit records to journal lines: numbering checks, gaps, epochs, and the
// counts the status request reports.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "index.hpp"
#include "journal.hpp"
#include "journal_entry.hpp"
#include "records.hpp"
#include "seq_tracker.hpp"

namespace cowprobe::daemon {

// Where the journal left off.
struct JournalState {
  std::uint64_t epoch = 0;  // 0: a new journal
  std::optional<std::uint64_t> last_seq;
  bool ended = false;  // the epoch ended with the module unloaded
};

// From the last line of the journal (nothing: a new journal).
JournalState journal_state(const std::optional<JournalEntry>& last);

struct RecorderStats {
  std::uint64_t records = 0;  // exit records written since the start
  std::uint64_t gaps = 0;
  std::uint64_t missed = 0;  // records known lost, summed over gaps
  std::uint64_t overflows = 0;
  std::uint64_t malformed = 0;
  std::uint64_t epochs = 0;  // epochs begun since the start
  std::uint64_t write_errors = 0;
  // processes and threads the module refused (its limits) while joined
  std::uint64_t refused_procs = 0;
  std::uint64_t refused_threads = 0;
};

class Recorder {
 public:
  // Called with every entry written (and when the journal could not take
  // it): the index and live streams.
  using Sink = std::function<void(const IndexEntry&)>;

  Recorder(JournalWriter journal, JournalState state, Sink sink)
      : journal_(std::move(journal)), state_(state), sink_(std::move(sink)) {}

  // The daemon joined the group; kernel_seq is STATUS's seq just after.
  // Continues the journal's epoch when the module is the same, else begins
  // a new one.
  void joined(std::uint64_t kernel_seq, std::int64_t now_ns);
  // The family went away: the epoch ends with an "unloaded" gap.
  void left(std::int64_t now_ns);
  // time_ns: the exit in unix time.
  void record(const ExitRecord& rec, std::int64_t time_ns, std::int64_t now_ns);
  void overflow();
  // STATUS's refusal totals, read at joining and at every heartbeat: a
  // "refused" line when they grew (those processes get no exit record).
  void refusals(std::uint64_t total_procs, std::uint64_t total_threads, std::int64_t now_ns);
  void malformed(std::string_view detail);

  JournalWriter& journal() { return journal_; }
  [[nodiscard]] const RecorderStats& stats() const { return stats_; }
  [[nodiscard]] const JournalState& state() const { return state_; }
  [[nodiscard]] bool active() const { return active_; }

 private:
  void begin_epoch(std::string_view reason, std::uint64_t kernel_seq, std::int64_t now_ns);
  void write(IndexEntry entry);

  JournalWriter journal_;
  JournalState state_;
  Sink sink_;
  SeqTracker tracker_;
  RecorderStats stats_;
  bool active_ = false;  // joined: records are expected
  // the totals last seen; unset until read after joining
  std::optional<std::pair<std::uint64_t, std::uint64_t>> refused_seen_;
};

}  // namespace cowprobe::daemon
