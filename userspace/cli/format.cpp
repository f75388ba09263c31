#include "format.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace cowprobe::cli {
namespace {

std::string count(const Counters& c, int attr, std::uint64_t Counters::*member) {
  return c.has(attr) ? fmt::to_string(c.*member) : std::string("-");
}

// ids: the 17 columns of PID and PPID.
void append_row(std::string& out, std::string_view ids, std::string_view comm, const Counters& c) {
  fmt::format_to(std::back_inserter(out), "{:>17}  {:<16} {:>10} {:>10} {:>10} {:>10}\n", ids, comm,
                 count(c, COWPROBE_C_COPIES, &Counters::copies),
                 count(c, COWPROBE_C_REUSES, &Counters::reuses),
                 count(c, COWPROBE_C_ZERO_FILLS, &Counters::zero_fills),
                 count(c, COWPROBE_C_WP_FAULTS, &Counters::wp_faults));
}

}  // namespace

void sort_by_start(std::vector<ProcRecord>& records) {
  std::sort(records.begin(), records.end(), [](const ProcRecord& a, const ProcRecord& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.pid < b.pid;
  });
}

Counters totals(const std::vector<ProcRecord>& records) {
  Counters sum;
  for (const auto& rec : records) {
    sum += rec.counters;
    sum += rec.folded;
  }
  return sum;
}

std::string format_proc_table(const std::vector<ProcRecord>& records, bool threads) {
  std::string out;
  fmt::format_to(std::back_inserter(out), "{:>8} {:>8}  {:<16} {:>10} {:>10} {:>10} {:>10}\n",
                 "PID", "PPID", "COMM", "COPIES", "REUSES", "ZERO-FILLS", "WP-FAULTS");
  bool partial = false;
  std::uint64_t folded = 0;
  for (const auto& rec : records) {
    const bool rec_partial = (rec.flags & COWPROBE_PROC_F_PARTIAL) != 0;
    partial = partial || rec_partial;
    const std::string comm = rec_partial ? rec.comm + "*" : rec.comm;
    append_row(out, fmt::format("{:>8} {:>8}", rec.pid, rec.ppid), comm, rec.counters);
    if (threads) {
      for (const auto& t : rec.threads) {
        append_row(out, "", fmt::format("  tid {}", t.tid), t.counters);
      }
    }
    if (rec.nr_folded != 0) {
      folded += rec.nr_folded;
      append_row(out, fmt::format("+{} exited", rec.nr_folded), "(folded)", rec.folded);
    }
  }
  const std::uint64_t nr = records.size() + folded;
  const std::string procs = fmt::format("{} process{}", nr, nr == 1 ? "" : "es");
  append_row(out, procs, "total", totals(records));
  if (partial) {
    out +=
        "* partial: a thread or child of this process was not tracked (a module limit was "
        "reached: see cowprobe status)\n";
  }
  if (folded != 0) {
    out +=
        "(folded): exited processes whose records the module summed into their root to "
        "make room; they are in the total\n";
  }
  return out;
}

std::string format_map_tables(const std::vector<ProcRecord>& records, const MountTable& mounts) {
  std::string out;
  for (const auto& rec : records) {
    if ((rec.flags & COWPROBE_PROC_F_MAPS) == 0) {
      continue;
    }
    fmt::format_to(std::back_inserter(out), "\n pid {} ({}) by mapping:\n", rec.pid, rec.comm);
    fmt::format_to(std::back_inserter(out), "{:>10} {:>10} {:>10} {:>10}  {}\n", "COPIES", "REUSES",
                   "ZERO-FILLS", "WP-FAULTS", "MAPPING");
    for (const auto& m : mappings_of(rec, mounts)) {
      const Counters& c = m.counters;
      if (c.wp_faults + c.file_copies + c.thp_wp_faults + c.hugetlb_wp_faults == 0 && !m.at_fork) {
        continue;
      }
      fmt::format_to(std::back_inserter(out), "{:>10} {:>10} {:>10} {:>10}  {}{}\n",
                     count(c, COWPROBE_C_COPIES, &Counters::copies),
                     count(c, COWPROBE_C_REUSES, &Counters::reuses),
                     count(c, COWPROBE_C_ZERO_FILLS, &Counters::zero_fills),
                     count(c, COWPROBE_C_WP_FAULTS, &Counters::wp_faults), m.name,
                     m.at_fork ? " (shared at fork)" : "");
    }
  }
  return out;
}

std::string format_status(const Status& s) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "cowprobe module {} (generic netlink family version {})\n", s.version,
                 s.genl_version);
  fmt::format_to(it, "limits:    {} processes, {} threads, {} regions per process\n", s.limit_procs,
                 s.limit_threads, s.limit_regions);
  fmt::format_to(it,
                 "mappings:  {} buckets per process for stat --maps (module parameter max_maps): "
                 "{} bytes of each process record\n",
                 s.limit_maps, s.maps_bytes);
  fmt::format_to(it, "tracked:   {} processes, {} threads\n", s.nr_procs, s.nr_threads);
  if (s.proc_bytes != 0) {
    const auto kib = [](std::uint64_t n, std::uint32_t bytes) { return n * bytes / 1024; };
    const std::uint32_t procs = s.procs_allocated.value_or(s.limit_procs);
    const std::uint32_t threads = s.threads_allocated.value_or(s.limit_threads);
    fmt::format_to(
        it,
        "memory:    {} KiB {}: {} process records of {} bytes ({} KiB in use), {} "
        "thread records of {} bytes ({} KiB in use)\n",
        kib(procs, s.proc_bytes) + kib(threads, s.thread_bytes),
        s.procs_allocated ? "allocated, growing with use to the limits" : "preallocated at load",
        procs, s.proc_bytes, kib(s.nr_procs, s.proc_bytes), threads, s.thread_bytes,
        kib(s.nr_threads, s.thread_bytes));
  }
  fmt::format_to(it, "refused:   {} processes, {} threads (limits reached{})\n", s.refused_procs,
                 s.refused_threads,
                 s.pool_behind != 0 ? fmt::format(", or {} while a pool was growing", s.pool_behind)
                                    : std::string());
  fmt::format_to(it, "track_all: {}; exit records: {} sent, {} dropped (last seq {})\n",
                 s.track_all != 0 ? "on" : "off", s.exits_sent, s.exits_dropped, s.seq);
  fmt::format_to(it, "folded:    {} exited records summed into their roots\n", s.folded_procs);
  if (s.armed) {
    fmt::format_to(it, "probes:    {} (armed {} time{} since load)\n",
                   *s.armed ? "armed" : "disarmed: nothing tracked, the probes cost nothing",
                   s.armings, s.armings == 1 ? "" : "s");
  }
  fmt::format_to(it, "lab mode:  {} ({} records per user)\n",
                 s.unprivileged != 0 ? "on: users may watch their own processes" : "off",
                 s.limit_user_procs);
  fmt::format_to(it, "\n{:<18} {:<34} {:<8} {:<9} {:>10} {:>12}  {}\n", "ROLE", "SYMBOL", "STATE",
                 "HOOK", "NMISSED", "HITS", "ERROR");
  for (const auto& p : s.probes) {
    const std::string error = p.error != 0 ? std::string(std::strerror(-p.error)) : "-";
    fmt::format_to(it, "{:<18} {:<34} {:<8} {:<9} {:>10} {:>12}  {}\n", p.name,
                   p.symbol.empty() ? "-" : p.symbol, probe_state_name(p.state),
                   probe_hook_name(p.hook), p.nmissed, p.hits, error);
  }
  if (!s.classes.empty()) {
    fmt::format_to(it, "\n{:<13} {:<13} {}\n", "CLASS", "STATE", "HOW (or why not)");
    for (const auto& c : s.classes) {
      fmt::format_to(it, "{:<13} {:<13} {}\n", c.name, class_state_name(c.state), c.how);
    }
  }
  return out;
}

}  // namespace cowprobe::cli
