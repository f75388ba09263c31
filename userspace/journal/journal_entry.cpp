#include "journal_entry.hpp"

#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "json.hpp"
#include "maps.hpp"

namespace cowprobe {
namespace {

constexpr std::int64_t kNsPerSec = 1'000'000'000;

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

nlohmann::ordered_json head(std::string_view type, std::uint64_t epoch, std::int64_t time_ns) {
  nlohmann::ordered_json j;
  j["type"] = type;
  j["epoch"] = epoch;
  j["time"] = format_utc(time_ns);
  j["time_ns"] = time_ns;
  return j;
}

std::string to_line(const nlohmann::ordered_json& j) {
  // Invalid UTF-8 in a comm must not make a line unwritable.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

template <typename T>
bool get_uint(const nlohmann::json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) {
    return false;
  }
  out = it->get<T>();
  return true;
}

}  // namespace

std::string_view gap_reason_name(GapReason reason) {
  switch (reason) {
    case GapReason::seq:
      return "seq";
    case GapReason::overflow:
      return "overflow";
    case GapReason::restart:
      return "restart";
    case GapReason::unloaded:
      return "unloaded";
  }
  return "unknown";
}

std::int64_t realtime_offset_ns() { return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC); }

std::int64_t realtime_now_ns() { return clock_ns(CLOCK_REALTIME); }

std::string format_utc(std::int64_t unix_ns) {
  std::int64_t sec = unix_ns / kNsPerSec;
  std::int64_t ns = unix_ns % kNsPerSec;
  if (ns < 0) {
    ns += kNsPerSec;
    --sec;
  }
  const auto t = static_cast<std::time_t>(sec);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns / 1000);
}

std::string exit_line(const ExitRecord& rec, std::uint64_t epoch, std::int64_t time_ns) {
  const ProcRecord& p = rec.proc;
  auto j = head("exit", epoch, time_ns);
  j["seq"] = rec.seq;
  j["pid"] = p.pid;
  j["ppid"] = p.ppid;
  j["root"] = p.root;
  j["comm"] = p.comm;
  j["flags"] = p.flags;
  j["start_ns"] = p.start_ns;
  j["exit_ns"] = p.exit_ns;
  j["nr_threads"] = p.nr_threads;
  j["counters"] = nlohmann::json(p.counters);
  if (!p.regions.empty()) {
    j["regions"] = nlohmann::json(p.regions);
  }
  if (!p.maps.empty() || p.maps_overflow) {
    // a process of a stat --maps: its mappings, named now (the mounts as
    // the daemon sees them)
    j["mappings"] = nlohmann::json(mappings_of(p, MountTable::read()));
  }
  return to_line(j);
}

std::string gap_line(const Gap& gap, std::int64_t time_ns) {
  auto j = head("gap", gap.epoch, time_ns);
  j["reason"] = gap_reason_name(gap.reason);
  j["after_seq"] = gap.after_seq;
  if (gap.next_seq) {
    j["next_seq"] = *gap.next_seq;
  }
  if (gap.missed) {
    j["missed"] = *gap.missed;
  }
  return to_line(j);
}

std::string epoch_line(std::uint64_t epoch, std::string_view reason, std::uint64_t kernel_seq,
                       std::int64_t time_ns) {
  auto j = head("epoch", epoch, time_ns);
  j["reason"] = reason;
  j["kernel_seq"] = kernel_seq;
  return to_line(j);
}

std::string refused_line(const Refused& r, std::int64_t time_ns) {
  auto j = head("refused", r.epoch, time_ns);
  j["after_seq"] = r.after_seq;
  j["procs"] = r.procs;
  j["threads"] = r.threads;
  j["refused_procs"] = r.total_procs;
  j["refused_threads"] = r.total_threads;
  return to_line(j);
}

Result<JournalEntry> parse_journal_line(std::string_view line) {
  JournalEntry e;
  e.json = nlohmann::json::parse(line, nullptr, false);
  if (e.json.is_discarded() || !e.json.is_object()) {
    return Error(EBADMSG, "journal", "a line is not a JSON object");
  }
  const auto type = e.json.find("type");
  if (type == e.json.end() || !type->is_string()) {
    return Error(EBADMSG, "journal", "a line without a \"type\"");
  }
  e.type = type->get<std::string>();
  const auto time = e.json.find("time_ns");
  if (time == e.json.end() || !time->is_number_integer()) {
    return Error(EBADMSG, "journal", "a line without \"time_ns\"");
  }
  e.time_ns = time->get<std::int64_t>();
  (void)get_uint(e.json, "epoch", e.epoch);
  if (e.is_exit()) {
    std::uint32_t pid = 0;
    if (!get_uint(e.json, "pid", pid) || !get_uint(e.json, "seq", e.seq)) {
      return Error(EBADMSG, "journal", R"(an exit record without "pid" or "seq")");
    }
    e.pid = pid;
    const auto comm = e.json.find("comm");
    if (comm != e.json.end() && comm->is_string()) {
      e.comm = comm->get<std::string>();
    }
  } else if (e.type == "gap" || e.type == "refused") {
    (void)get_uint(e.json, "after_seq", e.seq);
  } else if (e.type == "epoch") {
    (void)get_uint(e.json, "kernel_seq", e.seq);
  }
  return e;
}

}  // namespace cowprobe
