#include "seq_tracker.hpp"

namespace cowprobe::daemon {

void SeqTracker::start(std::uint64_t next_at_most, GapReason late_reason) {
  last_.reset();
  next_at_most_ = next_at_most == 0 ? 1 : next_at_most;
  late_reason_ = late_reason;
  overflow_ = false;
}

SeqTracker::Outcome SeqTracker::gap(std::uint64_t after, std::uint64_t seq,
                                    GapReason reason) const {
  Outcome o;
  o.kind = Outcome::Kind::gap;
  o.after_seq = after;
  o.missed = seq - after - 1;
  o.reason = overflow_ ? GapReason::overflow : reason;
  return o;
}

SeqTracker::Outcome SeqTracker::observe(std::uint64_t seq) {
  Outcome o;
  if (!last_) {
    if (seq > next_at_most_) {
      o = gap(next_at_most_ - 1, seq, late_reason_);
    }
  } else if (seq <= *last_) {
    o.kind = Outcome::Kind::restart;
    o.after_seq = *last_;
    return o;  // the caller starts a new epoch and observes seq again
  } else if (seq > *last_ + 1) {
    o = gap(*last_, seq, GapReason::seq);
  }
  if (o.kind == Outcome::Kind::gap) {
    overflow_ = false;
  }
  last_ = seq;
  return o;
}

}  // namespace cowprobe::daemon
