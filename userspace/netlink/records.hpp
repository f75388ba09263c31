// What the module reports, decoded from its replies.
#pragma once

#include <linux/cowprobe.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cowprobe {

// COWPROBE_A_COUNTERS. A kernel that cannot observe a class omits its
// attribute: present says which ones it sent.
struct Counters {
  std::uint64_t wp_faults = 0;
  std::uint64_t copies = 0;
  std::uint64_t reuses = 0;
  std::uint64_t zero_fills = 0;
  std::uint64_t shared_writes = 0;
  std::uint64_t other = 0;
  std::uint64_t unshare_copies = 0;
  std::uint64_t ksm_copies = 0;
  std::uint64_t thp_copies = 0;
  std::uint64_t remote_wp_faults = 0;
  std::uint64_t remote_copies = 0;
  std::uint64_t thp_wp_faults = 0;
  std::uint64_t thp_reuses = 0;
  std::uint64_t thp_fallbacks = 0;
  std::uint64_t hugetlb_wp_faults = 0;
  std::uint64_t hugetlb_copies = 0;
  std::uint64_t hugetlb_reuses = 0;
  std::uint64_t file_copies = 0;
  std::uint32_t present = 0;  // bit (1 << COWPROBE_C_*) per counter sent

  [[nodiscard]] bool has(int attr) const { return attr < 32 && ((present >> attr) & 1U) != 0; }
  void set(int attr, std::uint64_t value);
  // A record flagged COWPROBE_PROC_F_SPARSE leaves counters at zero out:
  // every counter a module that sends the flag knows is present.
  void mark_sparse();
  // Sums counters; a counter is present in the sum if present in either.
  Counters& operator+=(const Counters& other);
  bool operator==(const Counters&) const = default;
};

struct CounterField {
  int attr;               // COWPROBE_C_*
  std::string_view name;  // JSON key
  // The load-time self-check's class that observes it (cowprobe status),
  // empty for wp_faults and other; the spec's "[class X]" says the same.
  std::string_view check_class;
  std::uint64_t Counters::*member;
};

// Every counter this build knows, in protocol order.
const std::array<CounterField, 18>& counter_fields();

struct ThreadRecord {
  std::uint32_t tid = 0;
  Counters counters;
};

struct RegionRecord {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string name;
  Counters counters;
};

// COWPROBE_A_MAP: one mapping bucket of a process watched with
// COWPROBE_WATCH_F_MAPS (cowprobe stat --maps).
struct MapRecord {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::uint32_t kind = COWPROBE_MAP_ANON;
  std::string name;  // a file's path inside its file system ("" if none)
  std::uint32_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t pgoff = 0;
  std::uint32_t flags = 0;  // COWPROBE_MAP_F_*
  Counters counters;

  [[nodiscard]] bool at_fork() const { return (flags & COWPROBE_MAP_F_AT_FORK) != 0; }
};

struct ProcRecord {
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t root = 0;
  std::string comm;
  std::uint32_t flags = 0;  // COWPROBE_PROC_F_*
  std::uint64_t start_ns = 0;
  std::uint64_t exit_ns = 0;
  std::uint32_t nr_threads = 0;
  Counters counters;
  std::vector<ThreadRecord> threads;
  std::vector<RegionRecord> regions;
  // Counted per mapping (COWPROBE_A_MAPS), and what found no bucket.
  std::vector<MapRecord> maps;
  std::optional<Counters> maps_overflow;
  // Of a watched root: exited members of its tree whose records the module
  // folded into it when its pool ran low (their counters summed here).
  std::uint32_t nr_folded = 0;
  Counters folded;

  [[nodiscard]] bool exited() const { return (flags & COWPROBE_PROC_F_EXITED) != 0; }
};

// A dump that raced with a fork can hold a record twice (the kernel adds new
// records at the head of a hash bucket, which moves the dump's resume point
// back by one). Keeps one record per process, (pid, start_ns), with the data
// of its last copy, in the order of first appearance.
std::vector<ProcRecord> unique_records(std::vector<ProcRecord> records);

// A COWPROBE_CMD_EXIT multicast: the final record of a process, numbered
// by the kernel from 1 per module instance.
struct ExitRecord {
  std::uint64_t seq = 0;
  ProcRecord proc;
};

struct ProbeStatus {
  std::string name;    // role, e.g. "do_wp_page"
  std::string symbol;  // resolved kernel symbol
  std::uint32_t state = COWPROBE_PROBE_ABSENT;
  std::int32_t error = 0;  // -errno of the last attempt
  std::uint64_t nmissed = 0;
  std::uint64_t hits = 0;
  std::uint32_t hook = COWPROBE_PROBE_HOOK_NONE;  // absent from older modules
};

std::string_view probe_state_name(std::uint32_t state);
std::string_view probe_hook_name(std::uint32_t hook);

// The probe self-check of one fault class on the running kernel.
struct ClassStatus {
  std::string name;  // "copy", "reuse", ...
  std::uint32_t state = COWPROBE_CLASS_UNOBSERVABLE;
  std::string how;  // the probes that see it, or why they cannot

  [[nodiscard]] bool observable() const { return state != COWPROBE_CLASS_UNOBSERVABLE; }
};

std::string_view class_state_name(std::uint32_t state);

struct Status {
  std::string version;
  std::uint32_t genl_version = 0;
  std::uint32_t limit_procs = 0;
  std::uint32_t limit_threads = 0;
  std::uint32_t limit_regions = 0;
  std::uint32_t limit_maps = 0;  // mapping buckets per process (0: none, or an older module)
  std::uint32_t maps_bytes = 0;  // of one process record, for those buckets
  std::uint32_t nr_procs = 0;
  std::uint32_t nr_threads = 0;
  std::uint64_t refused_procs = 0;
  std::uint64_t refused_threads = 0;
  std::uint32_t track_all = 0;
  std::uint64_t exits_sent = 0;
  std::uint64_t exits_dropped = 0;
  std::uint64_t seq = 0;
  std::uint32_t unprivileged = 0;  // lab mode: users may watch their own processes
  std::uint32_t limit_user_procs = 0;
  std::uint64_t folded_procs = 0;  // exited records folded into their roots
  std::optional<bool> armed;       // absent from a module that arms its probes at load
  std::uint64_t armings = 0;       // times the probes were armed
  std::uint32_t proc_bytes = 0;    // kernel memory per process record (0: not reported)
  std::uint32_t thread_bytes = 0;  // per thread record
  // The pools grow with use: records allocated now (absent from a module
  // that allocated limit_procs and limit_threads of them at load).
  std::optional<std::uint32_t> procs_allocated;
  std::optional<std::uint32_t> threads_allocated;
  std::uint64_t pool_behind = 0;  // refused while a pool was growing
  std::vector<ProbeStatus> probes;
  std::vector<ClassStatus> classes;  // empty from a module without the self-check

  // The self-check of one class; nullptr when the module did not report it.
  [[nodiscard]] const ClassStatus* find_class(std::string_view name) const;
};

}  // namespace cowprobe
