// The seed document's programs, kept printing exactly what they print. Two
// deliberate differences: errors come back as values instead of exit(1),
// and the stream is flushed before fork and before a child's _exit, so no
// line is lost or doubled when the output is a pipe rather than a terminal.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <numeric>
#include <vector>

#include "workload_support.hpp"
#include "workloads.hpp"

namespace cowprobe {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using MallocBuffer = std::unique_ptr<char, FreeDeleter>;

MallocBuffer malloc_buffer(std::size_t size) {
  return MallocBuffer(
      static_cast<char*>(std::malloc(size)));  // NOLINT(cppcoreguidelines-no-malloc)
}

constexpr std::size_t kMiB = std::size_t{1024} * 1024;

// The buffers never escape, so a compiler may drop a memset followed by
// _exit or free as a dead store; this makes every write happen.
void keep_writes(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

double elapsed_ms(const timespec& start, const timespec& end) {
  return (static_cast<double>(end.tv_sec - start.tv_sec) * 1000.0) +
         (static_cast<double>(end.tv_nsec - start.tv_nsec) / 1e6);
}

// Milliseconds of each of iterations forks (fork, the child's write of the
// buffer when do_write, its exit and the parent's waitpid).
Result<std::vector<double>> time_forks(std::size_t mem_size, bool do_write, unsigned iterations,
                                       std::FILE* out, WorkloadReport& report) {
  const MallocBuffer buf = malloc_buffer(mem_size);
  if (!buf) {
    return Error(ENOMEM, "malloc");
  }
  std::memset(buf.get(), 'A', mem_size);
  keep_writes(buf.get());
  std::fflush(out);
  std::vector<double> ms;
  ms.reserve(iterations);
  for (unsigned i = 0; i < iterations; i++) {
    timespec start{};
    timespec end{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    const pid_t pid = ::fork();
    if (pid == -1) {
      return Error::from_errno("fork");
    }
    if (pid == 0) {
      if (do_write) {
        std::memset(buf.get(), 'B', mem_size);
        keep_writes(buf.get());
      }
      ::_exit(0);
    }
    report.child_pids.push_back(pid);
    ::waitpid(pid, nullptr, 0);
    clock_gettime(CLOCK_MONOTONIC, &end);
    ms.push_back(elapsed_ms(start, end));
  }
  return ms;
}

// Seed program 1's time_fork(): average ms per fork of a process holding
// mem_size bytes, the child writing all of them when do_write.
Result<double> time_fork(std::size_t mem_size, bool do_write, unsigned iterations, std::FILE* out,
                         WorkloadReport& report) {
  auto ms = time_forks(mem_size, do_write, iterations, out, report);
  if (!ms) {
    return ms.error();
  }
  return std::accumulate(ms->begin(), ms->end(), 0.0) / iterations;
}

long get_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "re");
  if (f == nullptr) {
    return -1;
  }
  std::array<char, 128> line{};
  long rss = -1;
  while (std::fgets(line.data(), line.size(), f) != nullptr) {
    if (std::strncmp(line.data(), "VmRSS", 5) == 0) {
      rss = std::strtol(line.data() + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return rss;
}

WorkloadReport new_report(std::string_view name) {
  WorkloadReport report;
  report.name = std::string(name);
  report.parent_pid = ::getpid();
  report.page_size = detail::page_size();
  return report;
}

constexpr std::size_t kArraySize = std::size_t{1024} * 1024;  // 1M integers = 4 MB
// Global array: lives in the BSS segment, as in the seed.
std::array<int, kArraySize>
    big_array;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

Result<WorkloadReport> seed_fork_time(const WorkloadOptions& opts) {
  WorkloadReport report = new_report("seed-fork-time");
  if (opts.iterations == 0) {
    return Error(EINVAL, "seed-fork-time", "--iterations must be positive");
  }
  std::FILE* out = opts.out;
  const std::array<std::size_t, 3> sizes{1 * kMiB, 10 * kMiB, 50 * kMiB};
  const std::array<const char*, 3> names{"1 MB", "10 MB", "50 MB"};
  std::fprintf(out, "%-8s %-20s %-20s\n", "Size", "fork() no write (ms)", "fork() + write (ms)");
  std::fprintf(out, "%-8s %-20s %-20s\n", "----", "--------------------", "-------------------");
  for (std::size_t i = 0; i < sizes.size(); i++) {
    auto t_no_write = time_fork(sizes[i], false, opts.iterations, out, report);
    if (!t_no_write) {
      return t_no_write.error();
    }
    auto t_write = time_fork(sizes[i], true, opts.iterations, out, report);
    if (!t_write) {
      return t_write.error();
    }
    std::fprintf(out, "%-8s %-20.3f %-20.3f\n", names.at(i), *t_no_write, *t_write);
  }
  std::fprintf(out, "\nConclusion: fork() with CoW (no write) is fast\n");
  std::fprintf(out, "regardless of memory size. Writing triggers actual copy.\n");
  std::fflush(out);
  return report;
}

Result<WorkloadReport> seed_rss(const WorkloadOptions& opts) {
  WorkloadReport report = new_report("seed-rss");
  std::FILE* out = opts.out;
  const std::size_t size = 50 * kMiB;
  MallocBuffer buf = malloc_buffer(size);
  if (!buf) {
    return Error(ENOMEM, "malloc");
  }
  std::memset(buf.get(), 'X', size);
  keep_writes(buf.get());
  report.buffer_start = reinterpret_cast<std::uintptr_t>(buf.get());
  report.buffer_end = report.buffer_start + size;
  report.pages = size / report.page_size;
  std::fprintf(out, "[Parent before fork] RSS = %ld KB\n", get_rss_kb());
  std::fflush(out);
  const pid_t pid = ::fork();
  if (pid == -1) {
    return Error::from_errno("fork");
  }
  if (pid == 0) {
    std::fprintf(out, "[Child after fork, no write] RSS = %ld KB\n", get_rss_kb());
    std::memset(buf.get(), 'Y', size);
    keep_writes(buf.get());
    std::fprintf(out, "[Child after write, CoW done] RSS = %ld KB\n", get_rss_kb());
    buf.reset();
    std::fflush(out);
    ::_exit(0);
  }
  report.child_pids.push_back(pid);
  ::waitpid(pid, nullptr, 0);
  std::fprintf(out, "[Parent after child] RSS = %ld KB\n", get_rss_kb());
  std::fflush(out);
  return report;
}

Result<WorkloadReport> seed_global_array(const WorkloadOptions& opts) {
  WorkloadReport report = new_report("seed-global-array");
  std::FILE* out = opts.out;
  for (std::size_t i = 0; i < kArraySize; i++) {
    big_array[i] = static_cast<int>(i);
  }
  report.buffer_start = reinterpret_cast<std::uintptr_t>(big_array.data());
  report.buffer_end = report.buffer_start + sizeof(big_array);
  report.pages = (report.buffer_end - report.buffer_start) / report.page_size;
  std::fprintf(out, "[Before fork] big_array[0]=%d, big_array[last]=%d\n", big_array[0],
               big_array[kArraySize - 1]);
  std::fflush(out);
  const pid_t pid = ::fork();
  if (pid == -1) {
    return Error::from_errno("fork");
  }
  if (pid == 0) {
    // Child modifies ONLY the first 10 elements: CoW copies their page.
    for (std::size_t i = 0; i < 10; i++) {
      big_array[i] = -1;
    }
    std::fprintf(out, "[Child ] big_array[0]=%d (modified)\n", big_array[0]);
    std::fprintf(out, "[Child ] big_array[1000]=%d (still shared)\n", big_array[1000]);
    std::fflush(out);
    ::_exit(0);
  }
  report.child_pids.push_back(pid);
  ::waitpid(pid, nullptr, 0);
  std::fprintf(out, "[Parent] big_array[0]=%d (unchanged by child)\n", big_array[0]);
  std::fprintf(out, "[Parent] big_array[1000]=%d\n", big_array[1000]);
  std::fflush(out);
  // The first 10 ints span one page, two if they straddle a boundary.
  const std::uintptr_t first = report.buffer_start / report.page_size;
  const std::uintptr_t last = (report.buffer_start + (10 * sizeof(int)) - 1) / report.page_size;
  report.child_expected = ExpectedCounts{last - first + 1, 0};
  report.parent_expected = ExpectedCounts{0, 0};
  return report;
}

Result<WorkloadReport> fork_bench(const WorkloadOptions& opts) {
  WorkloadReport report = new_report("fork-bench");
  if (opts.iterations == 0 || opts.mib == 0) {
    return Error(EINVAL, "fork-bench", "--iterations and --mib must be positive");
  }
  auto ms = time_forks(opts.mib * kMiB, true, opts.iterations, opts.out, report);
  if (!ms) {
    return ms.error();
  }
  // The median: a host hiccup under one fork (TCG, a noisy machine) moves
  // a mean far more than it moves the middle sample.
  auto mid = ms->begin() + static_cast<std::ptrdiff_t>(ms->size() / 2);
  std::nth_element(ms->begin(), mid, ms->end());
  std::fprintf(opts.out, "%.3f\n", *mid);
  std::fflush(opts.out);
  return report;
}

}  // namespace cowprobe
