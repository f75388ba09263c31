// The seed document's three programs as scenarios: fork time against buffer
// size, RSS around a 50 MB child write, a 4 MB global array. Each prints
// what the seed prints to env.out (when set) and predicts its counts.
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

namespace {

// The seed document's third program: a 4 MB global array whose child changes
// ten elements: one page copied (two if the ten straddle a page boundary).
// Page-aligned, so that the region around it holds no other variable the
// process writes (the seed's array is not; the counts it predicts are the same).
alignas(4096) int seed_array[1024 * 1024];  // NOLINT

// The THPs (2 MiB) that back part of [p, p + len), and how many pages of the
// range they hold: malloc'ed buffers get them when THP is "always", and since
// 6.7 large anonymous mappings start on a 2 MiB boundary, so the huge page
// holding malloc's header counts too. Read from pagemap and kpageflags (root),
// since adjacent buffers share one VMA and smaps would count them together.
struct ThpSpan {
  std::size_t huge = 0;
  std::size_t pages = 0;
};

ThpSpan thp_backing(const void* p, std::size_t len) {
  constexpr std::uint64_t kThp = 1ULL << 22;  // KPF_THP
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const UniqueFd kflags(::open("/proc/kpageflags", O_RDONLY | O_CLOEXEC));
  ThpSpan span;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (std::uintptr_t h = a & ~(kHuge - 1); h < a + len; h += kHuge) {
    const std::uintptr_t lo = std::max(h, a);
    const std::uintptr_t hi = std::min(h + kHuge, a + len);
    std::uint64_t flags = 0;
    const auto pfn = pfn_of(pagemap, lo);
    if (pfn && pread(kflags.get(), &flags, sizeof(flags), static_cast<off_t>(*pfn * 8)) == 8 &&
        (flags & kThp) != 0) {
      span.huge++;
      span.pages += span_pages(static_cast<const char*>(p) + (lo - a), hi - lo);
    }
  }
  return span;
}

// A child writing every page of a buffer shared after fork: one copy per page;
// where THP backs it, each huge page is split first and its copies come from
// the huge page.
void expect_full_write(Model& m, const std::string& role, const std::string& region,
                       std::uint64_t times, std::size_t pages, ThpSpan thp) {
  m.faults(role, region, COWPROBE_C_COPIES, times * pages,
           std::to_string(times) + " child(ren) write all " + std::to_string(pages) +
               " pages the buffer spans: one copy per page per child");
  if (thp.huge == 0) {
    return;
  }
  const std::string rule = std::to_string(thp.huge) +
                           " huge pages back the buffer (THP): the first write to each splits "
                           "the child's PMD, then its pages are copied 4 KiB at a time";
  m.expect(role, region, COWPROBE_C_THP_WP_FAULTS, times * thp.huge, rule);
  m.expect(role, region, COWPROBE_C_THP_FALLBACKS, times * thp.huge, rule);
  m.expect(role, region, COWPROBE_C_THP_COPIES, times * thp.pages, rule);
}

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

}  // namespace

Result<ScenarioReport> seed_global_array(ScenarioEnv& env) {
  Model m(env, "seed-global-array");
  constexpr int kSize = 1024 * 1024;
  for (int i = 0; i < kSize; i++) {
    seed_array[i] = i;
  }
  TRY(m.region("big_array", reinterpret_cast<std::uintptr_t>(seed_array),
               reinterpret_cast<std::uintptr_t>(seed_array + kSize)));
  FILE* out = env.out;
  if (out != nullptr) {
    std::fprintf(out, "[Before fork] big_array[0]=%d, big_array[last]=%d\n", seed_array[0],
                 seed_array[kSize - 1]);
  }
  settle();
  m.child([&] {
    for (int i = 0; i < 10; i++) {
      seed_array[i] = -1;
    }
    barrier();
    if (out != nullptr) {
      std::fprintf(out, "[Child ] big_array[0]=%d (modified)\n", seed_array[0]);
      std::fprintf(out, "[Child ] big_array[1000]=%d (still shared)\n", seed_array[1000]);
      std::fflush(out);
    }
    return 0;
  });
  if (out != nullptr) {
    std::fprintf(out, "[Parent] big_array[0]=%d (unchanged by child)\n", seed_array[0]);
    std::fprintf(out, "[Parent] big_array[1000]=%d\n", seed_array[1000]);
  }
  const std::size_t pages = span_pages(seed_array, 10 * sizeof(int));
  m.faults("child", "big_array", COWPROBE_C_COPIES, pages,
           "the child writes big_array[0..9], " + std::to_string(10 * sizeof(int)) + " bytes on " +
               std::to_string(pages) +
               " page(s): only those are copied, the other pages of the 4 MB stay shared");
  return m.done();
}

// The seed's second program: RSS before and after a 50 MB child write.
Result<ScenarioReport> seed_rss(ScenarioEnv& env) {
  Model m(env, "seed-rss");
  constexpr std::size_t kSize = 50 * kMiB;
  std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(std::malloc(kSize)),
                                                  &std::free);
  if (!buf) {
    return Error(ENOMEM, "malloc 50 MB");
  }
  std::memset(buf.get(), 'X', kSize);
  TRY(m.region("buf", reinterpret_cast<std::uintptr_t>(buf.get()),
               reinterpret_cast<std::uintptr_t>(buf.get()) + kSize));
  FILE* out = env.out;
  if (out != nullptr) {
    std::fprintf(out, "[Parent before fork] RSS = %ld KB\n", rss_kb());
  }
  settle();
  const ThpSpan huge = thp_backing(buf.get(), kSize);  // as the child will see it
  m.child([&] {
    if (out != nullptr) {
      std::fprintf(out, "[Child after fork, no write] RSS = %ld KB\n", rss_kb());
    }
    std::memset(buf.get(), 'Y', kSize);
    barrier();
    if (out != nullptr) {
      std::fprintf(out, "[Child after write, CoW done] RSS = %ld KB\n", rss_kb());
      std::fflush(out);
    }
    return 0;
  });
  if (out != nullptr) {
    std::fprintf(out, "[Parent after child] RSS = %ld KB\n", rss_kb());
  }
  const std::size_t pages = span_pages(buf.get(), kSize);
  expect_full_write(m, "child", "buf", 1, pages, huge);
  m.note("malloc puts its 16-byte header in front of the 50 MB, so 12800 pages' worth spans " +
         std::to_string(pages) + " pages");
  return m.done();
}

// The seed's first program: fork time against buffer size, with and without
// a child write. Buffers are kept until the end so that no later buffer
// reuses the addresses of an earlier region.
Result<ScenarioReport> seed_fork_time(ScenarioEnv& env) {
  Model m(env, "seed-fork-time");
  const int iterations = env.fork_time_iterations;
  const std::size_t sizes[] = {1 * kMiB, 10 * kMiB, 50 * kMiB};
  const char* names[] = {"1MB", "10MB", "50MB"};
  FILE* out = env.out;
  if (out != nullptr) {
    std::fprintf(out, "%-8s %-20s %-20s\n", "Size", "fork() no write (ms)", "fork() + write (ms)");
    std::fprintf(out, "%-8s %-20s %-20s\n", "----", "--------------------", "-------------------");
  }
  std::vector<std::unique_ptr<char, decltype(&std::free)>> keep;
  for (std::size_t s = 0; s < 3; s++) {
    keep.emplace_back(static_cast<char*>(std::malloc(sizes[s])), &std::free);
    char* buf = keep.back().get();
    if (buf == nullptr) {
      return Error(ENOMEM, std::string("malloc ") + names[s]);
    }
    std::memset(buf, 'A', sizes[s]);
    TRY(m.region(names[s], reinterpret_cast<std::uintptr_t>(buf),
                 reinterpret_cast<std::uintptr_t>(buf) + sizes[s]));
    settle();
    double ms[2] = {0, 0};
    for (int write = 0; write < 2; write++) {
      const std::string group = std::string(write != 0 ? "write-" : "nowrite-") + names[s];
      std::chrono::steady_clock::duration spent{};
      for (int i = 0; i < iterations; i++) {
        // khugepaged may collapse more of the parent's buffer between
        // forks (seen on 7.2): each child copies what backs it at its fork
        if (write != 0) {
          expect_full_write(m, group, names[s], 1, span_pages(buf, sizes[s]),
                            thp_backing(buf, sizes[s]));
        }
        const auto t0 = std::chrono::steady_clock::now();
        const pid_t c = spawn([&] {
          if (write != 0) {
            std::memset(buf, 'B', sizes[s]);
          }
          barrier();
          return 0;
        });
        m.role(group, c);
        reap(c);
        spent += std::chrono::steady_clock::now() - t0;
      }
      ms[write] = std::chrono::duration<double, std::milli>(spent).count() / iterations;
    }
    if (out != nullptr) {
      std::fprintf(out, "%-8s %-20.3f %-20.3f\n", names[s], ms[0], ms[1]);
    }
  }
  m.note(
      "children that do not write copy nothing, whatever the size: fork itself only "
      "write-protects the pages");
  return m.done();
}

}  // namespace cowprobe::scenario_kit
