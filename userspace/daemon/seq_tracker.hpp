// Gap detection over the kernel's exit record numbers, one epoch (module
// instance) at a time. Pure: tests feed it made-up sequences.
#pragma once

#include <cstdint>
#include <optional>

#include "journal_entry.hpp"

namespace cowprobe::daemon {

class SeqTracker {
 public:
  struct Outcome {
    enum class Kind {
      in_order,
      gap,      // missed records before this one: after_seq, missed, reason
      restart,  // not above the last one: the numbering began again
    };
    Kind kind = Kind::in_order;
    std::uint64_t after_seq = 0;
    std::uint64_t missed = 0;
    GapReason reason = GapReason::seq;
  };

  // A new epoch, or the same one continued: the first record should come
  // no later than next_at_most (one that comes later makes a gap of reason
  // late_reason, or overflow after an ENOBUFS); earlier ones are fine (made
  // between joining and asking STATUS).
  void start(std::uint64_t next_at_most, GapReason late_reason);
  // ENOBUFS: the next jump is the socket's fault. The error comes before
  // the datagrams queued ahead of the loss, so in-order records may follow
  // before the jump does.
  void overflowed() { overflow_ = true; }
  Outcome observe(std::uint64_t seq);

  [[nodiscard]] std::optional<std::uint64_t> last() const { return last_; }

 private:
  [[nodiscard]] Outcome gap(std::uint64_t after, std::uint64_t seq, GapReason reason) const;

  std::optional<std::uint64_t> last_;
  std::uint64_t next_at_most_ = 1;
  GapReason late_reason_ = GapReason::seq;
  bool overflow_ = false;
};

}  // namespace cowprobe::daemon
