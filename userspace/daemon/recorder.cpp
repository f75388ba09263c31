#include "recorder.hpp"

#include "log.hpp"

namespace cowprobe::daemon {

JournalState journal_state(const std::optional<JournalEntry>& last) {
  JournalState s;
  if (!last) {
    return s;
  }
  s.epoch = last->epoch;
  s.last_seq = last->seq;
  if (last->type == "gap") {
    s.ended = last->json.value("reason", "") == gap_reason_name(GapReason::unloaded);
  }
  return s;
}

void Recorder::begin_epoch(std::string_view reason, std::uint64_t kernel_seq, std::int64_t now_ns) {
  state_ = JournalState{state_.epoch + 1, std::nullopt, false};
  ++stats_.epochs;
  tracker_.start(kernel_seq + 1, GapReason::seq);
  write({"epoch", now_ns, std::nullopt, {}, epoch_line(state_.epoch, reason, kernel_seq, now_ns)});
  log("epoch {} ({}): the module had made {} exit records before", state_.epoch, reason,
      kernel_seq);
}

void Recorder::joined(std::uint64_t kernel_seq, std::int64_t now_ns) {
  active_ = true;
  refused_seen_.reset();
  if (state_.epoch == 0) {
    begin_epoch("start", kernel_seq, now_ns);
    return;
  }
  const std::uint64_t last = state_.last_seq.value_or(0);
  if (!state_.ended && kernel_seq >= last) {
    // The same module as the journal's last epoch, as far as the numbers
    // tell: records after the last one written were lost with the old
    // daemon's socket, or went to other listeners.
    tracker_.start(last + 1, GapReason::restart);
    log("continuing epoch {} after seq {} (the module is at {})", state_.epoch, last, kernel_seq);
    return;
  }
  if (!state_.ended) {
    left(now_ns);
    active_ = true;
  }
  begin_epoch("module-loaded", kernel_seq, now_ns);
}

void Recorder::left(std::int64_t now_ns) {
  active_ = false;
  if (state_.ended || state_.epoch == 0) {
    return;
  }
  Gap gap;
  gap.epoch = state_.epoch;
  gap.reason = GapReason::unloaded;
  gap.after_seq = tracker_.last().value_or(state_.last_seq.value_or(0));
  state_.ended = true;
  ++stats_.gaps;
  write({"gap", now_ns, std::nullopt, {}, gap_line(gap, now_ns)});
  log("the module went away after seq {}: epoch {} ends", gap.after_seq, state_.epoch);
}

void Recorder::record(const ExitRecord& rec, std::int64_t time_ns, std::int64_t now_ns) {
  auto outcome = tracker_.observe(rec.seq);
  if (outcome.kind == SeqTracker::Outcome::Kind::restart) {
    log("seq {} after {}: the module was reloaded unseen", rec.seq, outcome.after_seq);
    left(now_ns);
    active_ = true;
    begin_epoch("seq-restart", 0, now_ns);
    outcome = tracker_.observe(rec.seq);
  }
  if (outcome.kind == SeqTracker::Outcome::Kind::gap) {
    Gap gap{state_.epoch, outcome.reason, outcome.after_seq, rec.seq, outcome.missed};
    ++stats_.gaps;
    stats_.missed += outcome.missed;
    write({"gap", now_ns, std::nullopt, {}, gap_line(gap, now_ns)});
    log("gap: {} exit records missed before seq {} ({})", outcome.missed, rec.seq,
        gap_reason_name(outcome.reason));
  }
  state_.last_seq = rec.seq;
  ++stats_.records;
  write({"exit", time_ns, rec.proc.pid, rec.proc.comm, exit_line(rec, state_.epoch, time_ns)});
}

void Recorder::refusals(std::uint64_t total_procs, std::uint64_t total_threads,
                        std::int64_t now_ns) {
  const auto seen = refused_seen_;
  refused_seen_ = {total_procs, total_threads};
  // the first reading after joining is where counting starts; totals that
  // went back belong to a new module, which a rejoin handles
  if (!active_ || !seen || (total_procs <= seen->first && total_threads <= seen->second) ||
      total_procs < seen->first || total_threads < seen->second) {
    return;
  }
  Refused r;
  r.epoch = state_.epoch;
  r.after_seq = tracker_.last().value_or(state_.last_seq.value_or(0));
  r.procs = total_procs - seen->first;
  r.threads = total_threads - seen->second;
  r.total_procs = total_procs;
  r.total_threads = total_threads;
  stats_.refused_procs += r.procs;
  stats_.refused_threads += r.threads;
  write({"refused", now_ns, std::nullopt, {}, refused_line(r, now_ns)});
  log("the module refused {} processes and {} threads (its limits): no exit records for them",
      r.procs, r.threads);
}

void Recorder::overflow() {
  ++stats_.overflows;
  tracker_.overflowed();
  log("the netlink socket overflowed (ENOBUFS): exit records were lost");
}

void Recorder::malformed(std::string_view detail) {
  ++stats_.malformed;
  log("an exit message did not parse: {}", detail);
}

void Recorder::write(IndexEntry entry) {
  if (auto r = journal_.append(entry.line); !r) {
    if (stats_.write_errors++ % 1000 == 0) {
      log("journal write failed ({} so far): {}", stats_.write_errors, r.error().what());
    }
  }
  entry.line.pop_back();  // the '\n'
  if (sink_) {
    sink_(entry);
  }
}

}  // namespace cowprobe::daemon
