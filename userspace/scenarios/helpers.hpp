// What the scenarios are built of: an mmap'ed buffer (Mapping), a pipe gate
// between processes, a forked child (spawn/reap), the settled start of a
// measurement, pagemap reads, and Model, the report a scenario builds.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/cowprobe.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fd.hpp"
#include "model.hpp"
#include "result.hpp"
#include "scenario.hpp"

namespace cowprobe::scenario_kit {

std::size_t page_size();

constexpr std::size_t kMiB = std::size_t{1024} * 1024;
constexpr std::size_t kHuge = 2 * kMiB;

// Pages spanned by [p, p + len).
std::size_t span_pages(const void* p, std::size_t len);

// An mmap'ed area, unmapped on destruction.
class Mapping {
 public:
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), len_(o.len_), data_(o.data_), size_(o.size_) {}
  Mapping& operator=(Mapping&&) = delete;
  ~Mapping() {
    if (base_ != nullptr) {
      munmap(base_, len_);
    }
  }

  // flags: MAP_PRIVATE or MAP_SHARED (plus MAP_HUGETLB); align: 0 or a power
  // of two the start is aligned to.
  static Result<Mapping> make(std::size_t size, int flags, std::size_t align = 0, int fd = -1) {
    Mapping m;
    m.len_ = size + align;
    const int anon = fd < 0 ? MAP_ANONYMOUS : 0;
    void* p = mmap(nullptr, m.len_, PROT_READ | PROT_WRITE, flags | anon, fd, 0);
    if (p == MAP_FAILED) {
      return Error::from_errno("mmap of " + std::to_string(size) + " bytes");
    }
    m.base_ = p;
    // aligned by pointer arithmetic on the mapping, not an integer cast
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::size_t skip = align != 0 ? ((align - (start % align)) % align) : 0;
    m.data_ = static_cast<char*>(p) + skip;
    m.size_ = size;
    return m;
  }

  [[nodiscard]] char* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t pages() const { return size_ / page_size(); }
  [[nodiscard]] char* page(std::size_t i) const { return data_ + i * page_size(); }
  [[nodiscard]] std::uintptr_t begin() const { return reinterpret_cast<std::uintptr_t>(data_); }
  [[nodiscard]] std::uintptr_t end() const { return begin() + size_; }

 private:
  void* base_ = nullptr;
  std::size_t len_ = 0;
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

// A pipe used as a one-shot barrier between two processes.
class Gate {
 public:
  Gate() {
    if (pipe2(fds_, O_CLOEXEC) != 0) {
      fds_[0] = fds_[1] = -1;
    }
  }
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  Gate(Gate&&) = delete;
  Gate& operator=(Gate&&) = delete;
  ~Gate() {
    for (const int fd : fds_) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  [[nodiscard]] bool ok() const { return fds_[0] >= 0; }
  void open() const {
    const char c = 1;
    while (write(fds_[1], &c, 1) < 0 && errno == EINTR) {
    }
  }
  void wait() const {
    char c = 0;
    while (read(fds_[0], &c, 1) < 0 && errno == EINTR) {
    }
  }
  void send_pid(pid_t pid) const {
    while (write(fds_[1], &pid, sizeof(pid)) < 0 && errno == EINTR) {
    }
  }
  [[nodiscard]] pid_t recv_pid() const {
    pid_t pid = -1;
    while (read(fds_[0], &pid, sizeof(pid)) < 0 && errno == EINTR) {
    }
    return pid;
  }

 private:
  int fds_[2] = {-1, -1};
};

// Stores the compiler may not drop, even right before _exit.
inline void barrier() { asm volatile("" ::: "memory"); }

// One write per page of [first, first + count) of m.
void touch(const Mapping& m, std::size_t first, std::size_t count, char value);
// memset of all of m.
void fill(const Mapping& m, char value);
// A read of every page of m; the sum of their first bytes.
std::uint64_t read_all(const Mapping& m);

bool write_file(const char* path, const std::string& value);
std::string read_file(const char* path);
long read_long(const char* path);

// Drains every CPU's LRU batches, whose page references turn reuses into
// copies, without moving a page: migrate_pages(2) of this process from node
// 0 to node 0 drains them all (lru_add_drain_all, lru_cache_disable) and
// migrates nothing. Compaction drained them too, but the pages it migrated
// went back into a batch with a fresh reference (a copy, not a reuse, in
// one run of ten on 5.10). Without NUMA, compact_memory is the fallback.
void drain_lru_caches();

// Pages held in per-CPU LRU batches carry an extra reference that turns a
// reuse into a copy: pin to one CPU and drain the batches before measuring.
void settle();

// Runs fn in a child process; the child exits with fn's return value.
template <typename Fn>
pid_t spawn(Fn&& fn) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    _exit(fn());
  }
  return pid;
}

// waitpid, retried on EINTR; the raw wait status.
int reap(pid_t pid);

// Builds the report of one scenario.
class Model {
 public:
  Model(ScenarioEnv& env, std::string_view name) : env_(env) {
    report_.scenario = std::string(name);
    role("parent", getpid());
  }

  void role(const std::string& name, pid_t pid) { report_.roles[name].push_back(pid); }

  Result<void> region(const std::string& name, std::uintptr_t start, std::uintptr_t end) {
    auto r = env_.add_region(getpid(), start, end, name);
    if (!r) {
      return r;
    }
    report_.regions.push_back(name);
    return {};
  }
  Result<void> region(const std::string& name, const Mapping& m) {
    return region(name, m.begin(), m.end());
  }

  void expect(const std::string& role, const std::string& region, int counter, std::uint64_t v,
              const std::string& rule) {
    report_.expect.push_back({role, region, counter, v, rule});
  }
  // An outcome of do_wp_page: its class and the write faults it took.
  void faults(const std::string& role, const std::string& region, int counter, std::uint64_t v,
              const std::string& rule) {
    expect(role, region, counter, v, rule);
    expect(role, region, COWPROBE_C_WP_FAULTS, v, rule);
  }
  // The same, each also counted as also (e.g. COWPROBE_C_THP_COPIES: a copy
  // from a huge page).
  void faults(const std::string& role, const std::string& region, int counter, std::uint64_t v,
              const std::string& rule, int also) {
    faults(role, region, counter, v, rule);
    expect(role, region, also, v, rule);
  }
  void note(std::string text) { report_.notes.push_back(std::move(text)); }

  // Runs fn in a child process playing role as, and waits for it; the raw
  // wait status.
  template <typename Fn>
  int child(Fn&& fn, const std::string& as = "child") {
    const pid_t c = spawn(std::forward<Fn>(fn));
    role(as, c);
    return reap(c);
  }

  Result<ScenarioReport> skip(std::string why) {
    report_.skip = std::move(why);
    return report_;
  }
  Result<ScenarioReport> done() { return report_; }
  [[nodiscard]] ScenarioEnv& env() const { return env_; }

 private:
  ScenarioEnv& env_;
  ScenarioReport report_;
};

// A child that only keeps the pages shared with the parent (it maps them),
// playing "child", until release() lets it exit and reaps it.
class WaitingChild {
 public:
  explicit WaitingChild(Model& m)
      : pid_(spawn([this] {
          gate_.wait();
          return 0;
        })) {
    m.role("child", pid_);
  }
  WaitingChild(const WaitingChild&) = delete;
  WaitingChild& operator=(const WaitingChild&) = delete;
  WaitingChild(WaitingChild&&) = delete;
  WaitingChild& operator=(WaitingChild&&) = delete;
  ~WaitingChild() { release(); }

  [[nodiscard]] pid_t pid() const { return pid_; }
  void release() {
    if (pid_ > 0) {
      gate_.open();
      reap(std::exchange(pid_, -1));
    }
  }

 private:
  Gate gate_;
  pid_t pid_;
};

constexpr std::size_t kPages = 64;
constexpr std::size_t kWrites = 16;
inline const std::string kBuf = "buffer";
inline const std::string kControl = "control";

#define TRY(expr)                       \
  do {                                  \
    auto try_r_ = (expr);               \
    if (!try_r_) return try_r_.error(); \
  } while (0)

// A private anonymous buffer of n pages (no THP), written before fork.
Result<Mapping> written_buffer(std::size_t n = kPages);

using ScenarioBody = std::function<Result<ScenarioReport>(Model& m, const Mapping& buf)>;

// The usual scenario: its Model, and a written buffer of env.pages pages
// registered as region "buffer", handed to body, which returns the report.
Result<ScenarioReport> with_buffer(ScenarioEnv& env, std::string_view name,
                                   const ScenarioBody& body);

// The pagemap entry of addr (Documentation/admin-guide/mm/pagemap.rst), read
// from an open /proc/PID/pagemap; nullopt when it cannot be read.
std::optional<std::uint64_t> pagemap_entry(const UniqueFd& pagemap, std::uintptr_t addr);
// The page frame mapped at addr (root only: others read frame 0); nullopt
// when nothing is mapped there.
std::optional<std::uint64_t> pfn_of(const UniqueFd& pagemap, std::uintptr_t addr);
// Whether the page at addr is soft-dirty (/proc/self/pagemap bit 55; a VMA
// not yet cleared reports all its pages so, where soft-dirty is tracked).
bool soft_dirty(const UniqueFd& pagemap, std::uintptr_t addr);

// Whether THP backs all of buf (AnonHugePages in smaps).
bool backed_by_thp(const Mapping& buf);
// Why THP cannot back an madvise(MADV_HUGEPAGE) range here, if it cannot.
std::optional<std::string> thp_unavailable();
// A THP-aligned 2 MiB buffer, madvised MADV_HUGEPAGE and written: one huge
// page, or why not in why (a reason to skip).
Result<Mapping> written_thp(std::string& why);
// A scenario on written_thp() (not registered: body does), skipped where no
// huge page backs it.
Result<ScenarioReport> with_thp(ScenarioEnv& env, std::string_view name, const ScenarioBody& body);

}  // namespace cowprobe::scenario_kit
