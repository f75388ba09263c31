#include "helpers.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cowprobe::scenario_kit {

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// Pages spanned by [p, p + len).
std::size_t span_pages(const void* p, std::size_t len) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = a / page_size();
  const std::uintptr_t last = (a + len - 1) / page_size();
  return last - first + 1;
}

void touch(const Mapping& m, std::size_t first, std::size_t count, char value) {
  for (std::size_t i = first; i < first + count; i++) {
    *m.page(i) = value;
  }
  barrier();
}

void fill(const Mapping& m, char value) { std::memset(m.data(), value, m.size()); }

std::uint64_t read_all(const Mapping& m) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < m.pages(); i++) {
    sum += *static_cast<volatile char*>(m.page(i));
  }
  return sum;
}

bool write_file(const char* path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.flush();
  return f.good();
}

std::string read_file(const char* path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

long read_long(const char* path) { return std::strtol(read_file(path).c_str(), nullptr, 10); }

void drain_lru_caches() {
  std::array<unsigned long, 1> node0{1UL};
  if (::syscall(SYS_migrate_pages, 0, node0.size() * 8 * sizeof(unsigned long), node0.data(),
                node0.data()) >= 0) {
    return;
  }
  const UniqueFd fd(::open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC));
  if (fd.valid()) {
    const ssize_t written = ::write(fd.get(), "1", 1);
    (void)written;  // best effort: a kernel without compaction still runs
  }
}

// Pages held in per-CPU LRU batches carry an extra reference that turns a
// reuse into a copy: pin to one CPU and drain the batches before measuring.
void settle() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof(set), &set);
  drain_lru_caches();
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// A private anonymous buffer of n pages, written before fork.
Result<Mapping> written_buffer(std::size_t n) {
  auto m = Mapping::make(n * page_size(), MAP_PRIVATE);
  if (!m) {
    return m;
  }
  madvise(m->data(), m->size(), MADV_NOHUGEPAGE);
  fill(*m, 'p');
  barrier();
  return m;
}

Result<ScenarioReport> with_buffer(ScenarioEnv& env, std::string_view name,
                                   const ScenarioBody& body) {
  Model m(env, name);
  auto buf = written_buffer(env.pages);
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  return body(m, *buf);
}

// The pagemap entry of addr (Documentation/admin-guide/mm/pagemap.rst), read
// from an open /proc/PID/pagemap; nullopt when it cannot be read.
std::optional<std::uint64_t> pagemap_entry(const UniqueFd& pagemap, std::uintptr_t addr) {
  std::uint64_t entry = 0;
  if (pread(pagemap.get(), &entry, sizeof(entry),
            static_cast<off_t>(addr / page_size() * sizeof(entry))) != sizeof(entry)) {
    return std::nullopt;
  }
  return entry;
}

std::optional<std::uint64_t> pfn_of(const UniqueFd& pagemap, std::uintptr_t addr) {
  constexpr std::uint64_t kPresent = 1ULL << 63;
  constexpr std::uint64_t kPfnMask = (1ULL << 55) - 1;
  const auto entry = pagemap_entry(pagemap, addr);
  if (!entry || (*entry & kPresent) == 0 || (*entry & kPfnMask) == 0) {
    return std::nullopt;
  }
  return *entry & kPfnMask;
}

// Whether the page at addr is soft-dirty (/proc/self/pagemap bit 55; a VMA
// not yet cleared reports all its pages so, where soft-dirty is tracked).
bool soft_dirty(const UniqueFd& pagemap, std::uintptr_t addr) {
  constexpr std::uint64_t kSoftDirty = 1ULL << 55;
  const auto entry = pagemap_entry(pagemap, addr);
  return entry && (*entry & kSoftDirty) != 0;
}

bool backed_by_thp(const Mapping& buf) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0;
    std::uintptr_t hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {  // NOLINT
      inside = lo <= buf.begin() && buf.end() <= hi;
      continue;
    }
    long kb = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &kb) == 1)  // NOLINT
      return static_cast<std::size_t>(kb) * 1024 >= buf.size();
  }
  return false;
}

// Why THP cannot back an madvise(MADV_HUGEPAGE) range here, if it cannot.
std::optional<std::string> thp_unavailable() {
  const std::string mode = read_file("/sys/kernel/mm/transparent_hugepage/enabled");
  if (mode.empty()) {
    return "this kernel is built without transparent huge pages (6.12's "
           "CONFIG_TRANSPARENT_HUGEPAGE depends on !PREEMPT_RT)";
  }
  if (mode.find("[never]") != std::string::npos) {
    return "transparent huge pages are set to never";
  }
  return std::nullopt;
}

// A THP-aligned 2 MiB buffer, madvised MADV_HUGEPAGE and written: one huge
// page, or why not in why (a reason to skip).
Result<Mapping> written_thp(std::string& why) {
  if (auto off = thp_unavailable()) {
    why = *off;
    return Mapping();
  }
  auto buf = Mapping::make(kHuge, MAP_PRIVATE, kHuge);
  if (!buf) {
    return buf;
  }
  madvise(buf->data(), buf->size(), MADV_HUGEPAGE);
  fill(*buf, 't');
  if (!backed_by_thp(*buf)) {
    why = "the kernel did not back the buffer with huge pages";
  }
  return buf;
}

Result<ScenarioReport> with_thp(ScenarioEnv& env, std::string_view name, const ScenarioBody& body) {
  Model m(env, name);
  std::string why;
  auto buf = written_thp(why);
  if (!buf) {
    return buf.error();
  }
  if (!why.empty()) {
    return m.skip(why);
  }
  return body(m, *buf);
}

}  // namespace cowprobe::scenario_kit
