// Building blocks of the workloads: an anonymous mapping, a forked child,
// CPU pinning. Internal to the library.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "result.hpp"

namespace cowprobe::detail {

std::size_t page_size();

// mmap(MAP_PRIVATE|MAP_ANONYMOUS) + MADV_NOHUGEPAGE, unmapped on destruction.
class Mapping {
 public:
  static Result<Mapping> anonymous(std::size_t pages);
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& other) noexcept
      : addr_(std::exchange(other.addr_, nullptr)), len_(std::exchange(other.len_, 0)) {}
  Mapping& operator=(Mapping&&) = delete;
  ~Mapping();

  [[nodiscard]] char* data() const { return static_cast<char*>(addr_); }
  [[nodiscard]] std::size_t size() const { return len_; }
  [[nodiscard]] std::size_t pages() const { return len_ / page_size(); }
  [[nodiscard]] std::uintptr_t start() const { return reinterpret_cast<std::uintptr_t>(addr_); }
  [[nodiscard]] std::uintptr_t end() const { return start() + len_; }

  // One write per page of [first, first + count): each is one fault on a
  // write-protected page.
  void write_pages(std::size_t first, std::size_t count, char value) const;
  // memset of every page, before fork.
  void fill(char value) const;

 private:
  Mapping(void* addr, std::size_t len) : addr_(addr), len_(len) {}
  void* addr_;
  std::size_t len_;
};

// A forked child running body then _exit(0); reaped on destruction.
class ForkedChild {
 public:
  static Result<ForkedChild> start(const std::function<void()>& body);
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ForkedChild(ForkedChild&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ForkedChild& operator=(ForkedChild&&) = delete;
  ~ForkedChild();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // waitpid; returns the raw wait status.
  Result<int> wait();

 private:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

// Pins the calling process to CPU 0 (children inherit it) and restores the
// previous affinity on destruction. EINVAL (no CPU 0 for us) is ignored.
class CpuPin {
 public:
  CpuPin();
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  CpuPin(CpuPin&&) = delete;
  CpuPin& operator=(CpuPin&&) = delete;
  ~CpuPin();

 private:
  std::optional<cpu_set_t> saved_;
};

// Drains every CPU's LRU batches, whose page references turn reuses into
// copies, without moving a page: migrate_pages(2) of this process from node
// 0 to node 0 drains them all (lru_add_drain_all, lru_cache_disable) and
// migrates nothing. Compaction drained them too, but the pages it migrated
// went back into a batch with a fresh reference (a copy, not a reuse, in
// one run of ten on 5.10). Without NUMA, compact_memory is the fallback.
void drain_lru_caches();

}  // namespace cowprobe::detail
