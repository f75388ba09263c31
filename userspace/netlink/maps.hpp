// Counts by mapping (cowprobe stat --maps): the kernel's buckets named as
// /proc/PID/maps would name them, merged, and the missing-copy hints.
//
// The kernel names a bucket when it makes it, at the first fault in the
// mapping or at fork, so a process that exits at once keeps its names. A
// file is named by its path inside its file system and its device: the full
// path is joined here from /proc/self/mountinfo (a file system unmounted
// since keeps the inner path, marked "(unmounted?)").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace cowprobe {

// Mount points by device: the file system's inner paths made whole.
class MountTable {
 public:
  static MountTable read();  // this process's /proc/self/mountinfo; empty if unreadable
  static MountTable parse(std::string_view mountinfo);

  // The path of inner (a path inside the file system on dev, st_dev's
  // encoding) as this process sees it; inner as it is when no mount has it.
  [[nodiscard]] std::string full_path(std::uint32_t dev, std::string_view inner) const;

 private:
  struct Mount {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    std::string root;   // the file system's directory mounted
    std::string point;  // where
  };
  std::vector<Mount> mounts_;
};

// "50.0 MiB", "4.0 KiB", "1.5 GiB".
std::string format_size(std::uint64_t bytes);

// One mapping of a process, its buckets summed.
struct Mapping {
  std::string name;  // "/usr/lib/x86_64-linux-gnu/libc.so.6 (.data)", "[heap]", "[anon 50.0 MiB]"
  std::uint32_t kind = COWPROBE_MAP_ANON;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  bool at_fork = false;  // shared with the parent at fork
  Counters counters;

  [[nodiscard]] std::uint64_t pages() const { return (end - start) / 4096; }
};

// A bucket's name: the file's path (with " (.data)" or " (.bss)" for the
// segments of a loaded object), [heap], [stack], [vdso], or [anon SIZE].
std::string mapping_name(const MapRecord& m, const MountTable& mounts);

// The buckets of rec by mapping (two buckets of one mapping, made by two
// threads at once, summed), ordered by address; the overflow bucket last,
// named "[other]", when it counted anything.
std::vector<Mapping> mappings_of(const ProcRecord& rec, const MountTable& mounts);

// Why a copy did not happen: one line for each mapping of at least 1 MiB a
// process shared with its parent at fork and copied under a quarter of, e.g.
// "pid 12 (seed-rss): 50.0 MiB anonymous mapping shared at fork: the child
// copied 0 pages (0%)". Children of one parent alike in mapping and copies
// share a line ("100 children of pid 11 (seed-fork-time): ...").
struct ForkHint {
  std::uint32_t pid = 0;        // the child, or the first of them
  std::uint32_t processes = 1;  // children the line stands for
  std::uint32_t ppid = 0;
  std::string mapping;
  std::uint64_t pages = 0;
  std::uint64_t copies = 0;  // by the child
  // the parent's copies in the mapping over its whole run (before and after
  // this fork); -1: the parent's record has no such mapping
  std::int64_t parent_copies = -1;
  std::string text;
};

std::vector<ForkHint> fork_hints(const std::vector<ProcRecord>& records, const MountTable& mounts);

}  // namespace cowprobe
