// Huge pages: transparent huge pages shared after fork, the huge zero
// page, a THP half mremap'ed, MADV_COLLAPSE, and hugetlb pages (anonymous
// and a hugetlbfs memfd).
#include <fcntl.h>
#include <sys/mman.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

namespace {

// Writes to a THP shared after fork: the first of each huge page splits the
// writer's PMD (a huge fault that falls back), then each page written is
// copied 4 KiB from the huge page.
void expect_thp_split(Model& m, const std::string& role, const std::string& region,
                      std::uint64_t huge, std::uint64_t writes, const std::string& rule) {
  m.expect(role, region, COWPROBE_C_THP_WP_FAULTS, huge, rule);
  m.expect(role, region, COWPROBE_C_THP_FALLBACKS, huge, rule);
  m.faults(role, region, COWPROBE_C_COPIES, writes, rule, COWPROBE_C_THP_COPIES);
}

// A write to a huge page its PMD maps alone: made writable whole.
void expect_thp_reuse(Model& m, const std::string& role, const std::string& region,
                      std::uint64_t huge, const std::string& rule) {
  m.expect(role, region, COWPROBE_C_THP_WP_FAULTS, huge, rule);
  m.expect(role, region, COWPROBE_C_THP_REUSES, huge, rule);
}

// Whether n 2 MiB hugetlb pages are free, after raising nr_hugepages if not.
bool free_hugetlb_pages(long n) {
  const char* nr = "/proc/sys/vm/nr_hugepages";
  const char* free = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
  const long have = read_long(free);
  if (have < n) {
    write_file(nr, std::to_string(read_long(nr) + n - have));
  }
  return read_long(free) >= n;
}

// The page frame numbers behind the first two pages of m (root only).
bool maps_huge_zero_page(const Mapping& buf) {
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const auto a = pfn_of(pagemap, buf.begin());
  const auto b = pfn_of(pagemap, buf.begin() + page_size());
  // the small zero page is one frame mapped everywhere; the huge one is 512
  return a && b && *b == *a + 1;
}

}  // namespace

Result<ScenarioReport> thp(ScenarioEnv& env) {
  constexpr std::size_t kHugePages = 2;
  Model m(env, "thp");
  const std::string mode = read_file("/sys/kernel/mm/transparent_hugepage/enabled");
  if (mode.empty() || mode.find("[never]") != std::string::npos) {
    return m.skip("transparent huge pages are off in this kernel");
  }
  auto buf = Mapping::make(kHugePages * kHuge, MAP_PRIVATE, kHuge);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_HUGEPAGE);
  fill(*buf, 't');
  if (!backed_by_thp(*buf)) {
    return m.skip("the kernel did not back the buffer with huge pages");
  }
  TRY(m.region(kBuf, *buf));
  settle();
  m.child([&] {
    for (std::size_t i = 0; i < kHugePages; i++) {
      buf->data()[i * kHuge] = 'c';
    }
    return 0;
  });
  for (std::size_t i = 0; i < kHugePages; i++) {
    buf->data()[i * kHuge] = 'P';
  }
  const std::string split =
      "a write to a THP shared after fork splits the child's PMD (since 5.8) and copies "
      "only the 4 KiB page written";
  expect_thp_split(m, "child", kBuf, kHugePages, kHugePages, split);
  expect_thp_reuse(m, "parent", kBuf, kHugePages,
                   "the child exited; the parent's PMD still maps the whole huge page and "
                   "nobody else does: reused whole (do_huge_pmd_wp_page)");
  return m.done();
}

Result<ScenarioReport> hugetlb(ScenarioEnv& env) {
  Model m(env, "hugetlb");
  if (!free_hugetlb_pages(3)) {
    return m.skip("fewer than 3 free 2 MiB hugetlb pages and none could be reserved");
  }
  auto buf = Mapping::make(kHuge, MAP_PRIVATE | MAP_HUGETLB);
  if (!buf) {
    return m.skip("mmap(MAP_HUGETLB) failed: " + buf.error().what());
  }
  // registered before the first write, which is not a write-protect fault
  TRY(m.region(kBuf, *buf));
  fill(*buf, 'h');
  settle();
  m.child([&] {
    buf->data()[0] = 'c';
    return 0;
  });
  buf->data()[0] = 'P';
  const std::string copy =
      "a write to a private hugetlb page shared after fork copies the whole 2 MiB page";
  const std::string reuse =
      "the child exited: the parent is the only mapper and reuses the huge page";
  m.expect("child", kBuf, COWPROBE_C_HUGETLB_WP_FAULTS, 1, copy);
  m.expect("child", kBuf, COWPROBE_C_HUGETLB_COPIES, 1, copy);
  m.expect("parent", kBuf, COWPROBE_C_HUGETLB_WP_FAULTS, 1, reuse);
  m.expect("parent", kBuf, COWPROBE_C_HUGETLB_REUSES, 1,
           reuse +
               "; the first write to the fresh page (hugetlb_no_page) is no "
               "write-protect fault");
  return m.done();
}

// cow.c's huge zero page runs: a read of a THP-aligned range maps the huge
// zero page by a read-only PMD; what the first write costs changed after 6.12.
Result<ScenarioReport> huge_zero_page(ScenarioEnv& env) {
  Model m(env, "huge-zero-page");
  if (auto why = thp_unavailable()) {
    return m.skip(*why);
  }
  if (read_long("/sys/kernel/mm/transparent_hugepage/use_zero_page") != 1) {
    return m.skip("the huge zero page is off (transparent_hugepage/use_zero_page is not 1)");
  }
  auto buf = Mapping::make(kHuge, MAP_PRIVATE, kHuge);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_HUGEPAGE);
  TRY(m.region(kBuf, *buf));
  read_all(*buf);
  if (!maps_huge_zero_page(*buf)) {
    return m.skip("the read did not map the huge zero page");
  }
  touch(*buf, 0, kWrites, 'z');
  if (env.kernel.at_least(6, 13)) {
    m.expect("parent", kBuf, COWPROBE_C_THP_WP_FAULTS, 1,
             "after 6.12 (measured on 7.2) a write to the huge zero page allocates a zeroed "
             "THP for the whole PMD (do_huge_zero_wp_pmd): one huge write fault, counted as "
             "made writable whole; the other 15 writes find it writable");
    m.expect("parent", kBuf, COWPROBE_C_THP_REUSES, 1,
             "the new THP is mapped writable by the PMD: the huge fault did not fall back");
  } else {
    const std::string split =
        "up to 6.12 a write to the huge zero page falls back (do_huge_pmd_wp_page): the "
        "PMD is split into PTEs of the small zero page";
    m.expect("parent", kBuf, COWPROBE_C_THP_WP_FAULTS, 1, split);
    m.expect("parent", kBuf, COWPROBE_C_THP_FALLBACKS, 1, split);
    m.faults("parent", kBuf, COWPROBE_C_ZERO_FILLS, kWrites,
             "after the split each written page maps the small zero page: a zero fill per "
             "page, 4 KiB at a time");
  }
  return m.done();
}

// cow.c's partially mremap'ed THP: moving half of a huge page splits its PMD;
// both halves are then PTE-mapped pages of one large folio.
Result<ScenarioReport> mremap_thp(ScenarioEnv& env) {
  constexpr std::size_t kEach = 8;
  return with_thp(env, "mremap-thp", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    const std::size_t half = kHuge / 2;
    auto dest = Mapping::make(half, MAP_PRIVATE);
    if (!dest) {
      return dest.error();
    }
    if (mremap(buf.data() + half, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, dest->data()) !=
        dest->data()) {
      return Error::from_errno("mremap half of the THP");
    }
    TRY(m.region("kept", buf.begin(), buf.begin() + half));
    TRY(m.region("moved", *dest));
    settle();
    m.child([&] {
      touch(buf, 0, kEach, 'c');
      touch(*dest, 0, kEach, 'c');
      return 0;
    });
    touch(buf, 0, kEach, 'P');
    touch(*dest, 0, kEach, 'P');
    for (const char* r : {"kept", "moved"}) {
      const std::string copy =
          "mremap of half the THP split its PMD (move_page_tables): both halves are PTE-mapped "
          "pages of the large folio, shared after fork; the child's 8 writes copy 4 KiB each, "
          "no huge-PMD fault";
      m.faults("child", r, COWPROBE_C_COPIES, kEach, copy, COWPROBE_C_THP_COPIES);
      if (env.kernel.at_least(6, 19)) {
        m.faults("parent", r, COWPROBE_C_REUSES, kEach,
                 "the child exited: since 6.19 (measured on 7.2) a large folio mapped by one "
                 "process only is reused, PTE-mapped or not");
      } else {
        const std::string again =
            "the child exited, but before 6.19 a PTE-mapped page of a large folio is never "
            "reused (its folio's references count every mapped page): the parent copies too";
        m.faults("parent", r, COWPROBE_C_COPIES, kEach, again, COWPROBE_C_THP_COPIES);
      }
    }
    return m.done();
  });
}

// cow.c's hugetlb memfd runs: MAP_PRIVATE over a hugetlbfs file. Its huge
// page is page cache, mapped read-only by a read; hugetlb_wp reuses only an
// anonymous page, so every process's first write copies it.
Result<ScenarioReport> hugetlb_memfd(ScenarioEnv& env) {
  Model m(env, "hugetlb-memfd");
  // the file's page, the child's copy and the parent's (its reservation)
  if (!free_hugetlb_pages(3)) {
    return m.skip("fewer than 3 free 2 MiB hugetlb pages and none could be reserved");
  }
  const UniqueFd fd(memfd_create("cowprobe-hugetlb", MFD_CLOEXEC | MFD_HUGETLB));
  if (!fd.valid()) {
    return m.skip("memfd_create(MFD_HUGETLB) failed: " + std::string(strerror(errno)));
  }
  if (fallocate(fd.get(), 0, 0, kHuge) != 0) {
    return m.skip("fallocate of a 2 MiB page into the hugetlb memfd failed: " +
                  std::string(strerror(errno)));
  }
  auto buf = Mapping::make(kHuge, MAP_PRIVATE, 0, fd.get());
  if (!buf) {
    return m.skip("mmap(MAP_PRIVATE) of the hugetlb memfd failed: " + buf.error().what());
  }
  TRY(m.region(kBuf, *buf));
  read_all(*buf);
  settle();
  m.child([&] {
    buf->data()[0] = 'c';
    return 0;
  });
  buf->data()[0] = 'P';
  buf->data()[1] = 'P';
  const std::string copy =
      "the read mapped the memfd's huge page (page cache) read-only; the child's write copies "
      "the whole 2 MiB page: on 5.10 in hugetlb_cow (fork copied the read-only PTE), since 6.1 "
      "fork copies no page table of a hugetlb mapping without anon_vma and the write faults "
      "the page-cache page in and copies it at once (hugetlb_no_page calls hugetlb_wp)";
  m.expect("child", kBuf, COWPROBE_C_HUGETLB_WP_FAULTS, 1, copy);
  m.expect("child", kBuf, COWPROBE_C_HUGETLB_COPIES, 1, copy);
  const std::string again =
      "the child exited, but hugetlb_wp reuses only an anonymous page: the parent, now the "
      "file page's only mapper, copies it too; its second write finds its copy writable";
  m.expect("parent", kBuf, COWPROBE_C_HUGETLB_WP_FAULTS, 1, again);
  m.expect("parent", kBuf, COWPROBE_C_HUGETLB_COPIES, 1, again);
  return m.done();
}

// MADV_COLLAPSE (6.1+), after cow.c's collapse cases (which collapse a
// PTE-mapped THP; here 512 small pages): "before" collapsed into a THP before
// fork, "after" collapsed in the parent while the child shares its pages
// (cow.c's "fully shared", which it skips where MADV_COLLAPSE fails).
Result<ScenarioReport> thp_collapse(ScenarioEnv& env) {
  constexpr int kMadvCollapse = 25;  // MADV_COLLAPSE, uapi since 6.1
  Model m(env, "thp-collapse");
  if (auto why = thp_unavailable()) {
    return m.skip(*why);
  }
  if (!env.kernel.at_least(6, 1)) {
    return m.skip("MADV_COLLAPSE came with 6.1: this kernel rejects it (EINVAL)");
  }
  auto before = Mapping::make(kHuge, MAP_PRIVATE, kHuge);
  auto after = Mapping::make(kHuge, MAP_PRIVATE, kHuge);
  if (!before || !after) {
    return Error::message(ENOMEM, "two THP-aligned 2 MiB buffers");
  }
  // small pages first: NOHUGEPAGE keeps the faults, and khugepaged, off them
  for (const Mapping* b : {&*before, &*after}) {
    madvise(b->data(), b->size(), MADV_NOHUGEPAGE);
    fill(*b, 'p');
  }
  const auto collapse = [&](const Mapping& b) {
    madvise(b.data(), b.size(), MADV_HUGEPAGE);  // clears NOHUGEPAGE
    int err = 0;
    for (int tries = 0; tries < 3; tries++) {  // EAGAIN: khugepaged holds a page
      err = madvise(b.data(), b.size(), kMadvCollapse) == 0 ? 0 : errno;
      if (err != EAGAIN) {
        break;
      }
    }
    return err;
  };
  if (const int err = collapse(*before); err != 0) {
    return m.skip("MADV_COLLAPSE of 512 written small pages failed: " + std::string(strerror(err)));
  }
  if (!backed_by_thp(*before)) {
    return m.skip("MADV_COLLAPSE succeeded but left no huge page");
  }
  TRY(m.region("before", *before));
  TRY(m.region("after", *after));
  settle();
  const Gate go;
  const pid_t c = spawn([&] {
    go.wait();
    touch(*before, 0, kWrites, 'c');
    touch(*after, 0, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  const int first = collapse(*after);
  touch(*after, 0, 1, 'P');
  const int second = collapse(*after);
  const bool huge = backed_by_thp(*after);
  touch(*after, 0, kWrites, 'P');
  go.open();
  reap(c);
  touch(*before, 0, kWrites, 'P');
  const bool read_only_collapses = env.kernel.at_least(6, 13);
  if (first != (read_only_collapses ? 0 : EINVAL) || second != 0 || !huge) {
    return Error::message(
        EIO, fmt::format("MADV_COLLAPSE after fork: first {}, second {}, huge page {}: not what "
                         "kernel {} does",
                         strerror(first), strerror(second), huge, env.kernel.str()));
  }
  const std::string split =
      "collapsed before fork: the child's first write splits its PMD of the shared huge "
      "page, then each write copies 4 KiB from it";
  expect_thp_split(m, "child", "before", 1, kWrites, split);
  expect_thp_reuse(m, "parent", "before", 1,
                   "the child exited; the parent's PMD maps the collapsed huge page alone: "
                   "reused whole at the first write, the other 15 find it writable");
  const std::string copied =
      "MADV_COLLAPSE in the parent copies all 512 pages, shared ones too (no "
      "max_ptes_shared limit for it, unlike khugepaged), into a new huge page mapped "
      "writable: no fault, none counted; the parent's writes then take none";
  if (read_only_collapses) {
    m.note("after: " + copied +
           "; after 6.12 (measured on 7.2) the collapse needs no writable PTE and succeeds "
           "right away");
  } else {
    m.faults("parent", "after", COWPROBE_C_COPIES, 1,
             "up to 6.12 MADV_COLLAPSE refuses a range with no writable PTE (SCAN_PAGE_RO: "
             "EINVAL), as fork left all 512; the parent writes one page first: " +
                 kCopyRule);
    m.note("after: with that page writable, " + copied);
  }
  m.faults("child", "after", COWPROBE_C_REUSES, kWrites,
           "the collapse unmapped the parent's small pages: the child is their only mapper, " +
               kReuseRule);
  return m.done();
}

}  // namespace cowprobe::scenario_kit
