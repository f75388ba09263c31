// Pages the kernel write-protects on its own: KSM-merged pages, pages
// swapped out before fork, and userfaultfd write-protect.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>

#include <linux/userfaultfd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

namespace {

// Whether KSM merged every page of the buffer into one: each then maps the
// same frame. Read per process, since /sys/kernel/mm/ksm/pages_sharing still
// counts the pages of exited processes until ksmd next scans.
bool ksm_merged(const Mapping& buf) {
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const auto a = reinterpret_cast<std::uintptr_t>(buf.data());
  const auto first = pfn_of(pagemap, a);
  if (!first) {
    return false;
  }
  for (std::size_t off = page_size(); off < buf.size(); off += page_size()) {
    if (pfn_of(pagemap, a + off) != first) {
      return false;
    }
  }
  return true;
}

// mkswap's header (union swap_header in linux/swap.h): version 1, the last
// usable page, no bad pages, and the magic closing the first page.
std::optional<std::string> write_swap_header(const char* dev, std::size_t size) {
  std::vector<char> page(page_size(), 0);
  const std::array<std::uint32_t, 3> info = {1, static_cast<std::uint32_t>(size / page_size() - 1),
                                             0};
  std::memcpy(page.data() + 1024, info.data(), sizeof(info));
  const std::string_view magic = "SWAPSPACE2";
  std::memcpy(page.data() + page.size() - magic.size(), magic.data(), magic.size());
  const UniqueFd fd(::open(dev, O_WRONLY | O_CLOEXEC));
  if (!fd.valid() ||
      pwrite(fd.get(), page.data(), page.size(), 0) != static_cast<ssize_t>(page.size())) {
    return std::string("writing a swap header to ") + dev + " failed: " + strerror(errno);
  }
  return std::nullopt;
}

// Swap for a scenario: the swap already on, or /dev/zram0 made swap (the
// test guest loads zram from the kernel package) and switched off after.
// page-cluster 0 meanwhile: no swap readahead, a fault reads its page only.
class ScratchSwap {
 public:
  ScratchSwap() = default;
  ScratchSwap(const ScratchSwap&) = delete;
  ScratchSwap& operator=(const ScratchSwap&) = delete;
  ScratchSwap(ScratchSwap&&) = delete;
  ScratchSwap& operator=(ScratchSwap&&) = delete;
  ~ScratchSwap() {
    if (zram_) {
      swapoff(kZram);
      write_file("/sys/block/zram0/reset", "1");
    }
    if (!cluster_.empty()) {
      write_file(kCluster, cluster_);
    }
  }

  // Why there is no swap here, or nullopt once there is.
  std::optional<std::string> start() {
    const std::string swaps = read_file("/proc/swaps");  // a header, then one line a swap
    if (std::count(swaps.begin(), swaps.end(), '\n') < 2) {
      const std::string size = read_file("/sys/block/zram0/disksize");
      if (size.empty()) {
        return "no swap, and no /dev/zram0 to make one (zram not loaded: modprobe zram)";
      }
      if (std::strtoull(size.c_str(), nullptr, 10) != 0) {
        return "no swap, and /dev/zram0 is in use";
      }
      constexpr std::size_t kSize = 64 * kMiB;
      zram_ = true;  // reset at the end, whatever fails from here
      if (!write_file("/sys/block/zram0/disksize", std::to_string(kSize))) {
        return "setting the size of /dev/zram0 failed";
      }
      if (auto why = write_swap_header(kZram, kSize)) {
        return why;
      }
      if (swapon(kZram, 0) != 0) {
        return "swapon /dev/zram0 failed: " + std::string(strerror(errno));
      }
    }
    cluster_ = read_file(kCluster);
    write_file(kCluster, "0");
    return std::nullopt;
  }

 private:
  static constexpr const char* kZram = "/dev/zram0";
  static constexpr const char* kCluster = "/proc/sys/vm/page-cluster";
  bool zram_ = false;
  std::string cluster_;
};

// Swaps every page of m out with MADV_PAGEOUT (5.4+), until pagemap says so
// (bit 62): a page still in a per-CPU LRU batch is not taken, so drain and
// try again.
bool page_out(const Mapping& m) {
  constexpr std::uint64_t kSwapped = 1ULL << 62;
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  for (int attempt = 0; attempt < 5; attempt++) {
    drain_lru_caches();
    if (madvise(m.data(), m.size(), MADV_PAGEOUT) != 0) {
      return false;
    }
    std::size_t swapped = 0;
    for (std::size_t i = 0; i < m.pages(); i++) {
      const auto entry = pagemap_entry(pagemap, reinterpret_cast<std::uintptr_t>(m.page(i)));
      if (entry && (*entry & kSwapped) != 0) {
        swapped++;
      }
    }
    if (swapped == m.pages()) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<ScenarioReport> ksm(ScenarioEnv& env) {
  constexpr std::size_t kSame = 32;
  Model m(env, "ksm");
  const char* run = "/sys/kernel/mm/ksm/run";
  if (access(run, W_OK) != 0) {
    return m.skip("KSM is not built into this kernel");
  }
  auto buf = Mapping::make(kSame * page_size(), MAP_PRIVATE);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_NOHUGEPAGE);
  fill(*buf, static_cast<char>('a' + getpid() % 26));  // no stale stable-tree page
  if (madvise(buf->data(), buf->size(), MADV_MERGEABLE) != 0) {
    return m.skip("madvise(MADV_MERGEABLE) failed: " + std::string(strerror(errno)));
  }
  const std::string before = read_file(run);
  write_file("/sys/kernel/mm/ksm/sleep_millisecs", "10");
  write_file("/sys/kernel/mm/ksm/pages_to_scan", "1000");
  write_file(run, "1");
  bool merged = false;
  for (int i = 0; i < 1200 && !merged; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    merged = ksm_merged(*buf);
  }
  write_file(run, before.empty() ? "0" : before.substr(0, 1));
  if (!merged) {
    return m.skip("ksmd did not merge the pages within 30 s");
  }
  TRY(m.region(kBuf, *buf));
  touch(*buf, 0, kWrites, 'w');
  m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites,
           "KSM merged the identical pages into one read-only page; a KSM page is never "
           "reused, each write copies it");
  m.expect("parent", kBuf, COWPROBE_C_KSM_COPIES, kWrites, "the source page was a KSM page");
  return m.done();
}

// cow.c's swapped-out runs: pages swapped out before fork, then written;
// each write swaps its page in first (do_swap_page). A swap entry fork
// shared is mapped read-only and do_wp_page copies it, as a page fork shared
// would be. One nobody else maps any more: up to 6.12 do_swap_page frees its
// swap cache and maps it writable itself (no write-protect fault); 7.2 maps
// it read-only, frees the swap cache after, and do_wp_page reuses it.
Result<ScenarioReport> swap_before_fork(ScenarioEnv& env) {
  Model m(env, "swap-before-fork");
  ScratchSwap swap;  // outlives the mappings: swapoff finds them gone
  if (auto why = swap.start()) {
    return m.skip(*why);
  }
  const UniqueFd fd(memfd_create("cowprobe-swap", MFD_CLOEXEC));
  if (!fd.valid() || ftruncate(fd.get(), static_cast<off_t>(kWrites * page_size())) != 0) {
    return Error::from_errno("a memfd to map");
  }
  auto file = Mapping::make(kWrites * page_size(), MAP_PRIVATE, 0, fd.get());
  if (!file) {
    return file.error();
  }
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region("file", *file));
  TRY(m.region(kBuf, *buf));
  touch(*file, 0, kWrites, 'f');
  if (!page_out(*file) || !page_out(*buf)) {
    return m.skip("MADV_PAGEOUT did not swap out every page: " + std::string(strerror(errno)));
  }
  read_all(*file);
  settle();
  const Gate parent_wrote;
  const pid_t c = spawn([&] {
    parent_wrote.wait();
    drain_lru_caches();
    touch(*buf, 0, 2 * kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  touch(*buf, 0, kWrites, 'P');
  parent_wrote.open();
  reap(c);
  settle();
  touch(*buf, kWrites, 2 * kWrites, 'P');
  m.expect("parent", "file", COWPROBE_C_FILE_COPIES, kWrites,
           "16 writes to a private memfd mapping copy its pages at once (do_cow_fault); the "
           "swap-in of those anonymous copies, read back after MADV_PAGEOUT, copies no file page");
  m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites,
           "the parent writes 16 swapped-out pages while the child lives: fork shared their swap "
           "entries, so do_swap_page maps each read-only (not exclusive) and do_wp_page copies");
  m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites,
           "the child writes 16 pages nobody swapped in yet: their swap entries are shared with "
           "the parent, a read-only swap-in and a copy as above");
  if (env.kernel.at_least(6, 13)) {
    const std::string reuse =
        "after 6.12 (measured on 7.2) do_swap_page maps a page whose swap entry is not "
        "exclusive read-only and frees its swap cache only after: the write goes on to "
        "do_wp_page, which finds the page its own and reuses it";
    m.faults("child", kBuf, COWPROBE_C_REUSES, kWrites,
             "the child writes the 16 pages the parent swapped in and copied (left in the swap "
             "cache, mapped by nobody): " +
                 reuse);
    m.faults("parent", kBuf, COWPROBE_C_REUSES, 2 * kWrites,
             "the child exited; the parent writes the 16 pages it copied from the swap cache "
             "and 16 still swapped out, now its alone: " +
                 reuse);
  } else {
    m.note(
        "up to 6.12 a write that swaps in a page nobody else maps is made writable by "
        "do_swap_page itself (reuse_swap_page up to 5.18; then the swap cache freed and the "
        "refcount 1, or a page read around the swap cache): no write-protect fault, so the "
        "child's writes to the pages the parent copied and the parent's after the child "
        "exited count nothing");
  }
  return m.done();
}

// userfaultfd write-protect (anonymous memory since 5.7): a write to a
// protected PTE faults into do_wp_page, which hands it to the uffd reader
// (handle_userfault) instead of copying or reusing; UFFDIO_WRITEPROTECT
// without MODE_WP lifts the protection.
Result<ScenarioReport> uffd_wp(ScenarioEnv& env) {
  Model m(env, "uffd-wp");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  const UniqueFd uffd(static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC)));
  if (!uffd.valid()) {
    return m.skip(
        "userfaultfd() failed (vm.unprivileged_userfaultfd, or built without "
        "CONFIG_USERFAULTFD): " +
        std::string(strerror(errno)));
  }
  uffdio_api api{};
  api.api = UFFD_API;
  if (ioctl(uffd.get(), UFFDIO_API, &api) != 0) {
    return m.skip("UFFDIO_API failed: " + std::string(strerror(errno)));
  }
  if ((api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP) == 0) {
    return m.skip(
        "this kernel's userfaultfd has no write-protect mode "
        "(UFFD_FEATURE_PAGEFAULT_FLAG_WP, 5.7+)");
  }
  uffdio_register reg{};
  reg.range = {buf->begin(), buf->size()};
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (ioctl(uffd.get(), UFFDIO_REGISTER, &reg) != 0 ||
      (reg.ioctls & (1ULL << _UFFDIO_WRITEPROTECT)) == 0) {
    return m.skip("UFFDIO_REGISTER_MODE_WP on anonymous memory failed: " +
                  std::string(strerror(errno)));
  }
  const auto protect = [&](std::size_t first, std::size_t count, bool on) {
    uffdio_writeprotect wp{};
    wp.range = {buf->begin() + first * page_size(), count * page_size()};
    wp.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
    return ioctl(uffd.get(), UFFDIO_WRITEPROTECT, &wp) == 0;
  };
  const std::uintptr_t mid = buf->begin() + kWrites * page_size();
  TRY(m.region("lifted", buf->begin(), mid));
  TRY(m.region("handled", mid, mid + kWrites * page_size()));
  settle();
  if (!protect(0, 2 * kWrites, true) || !protect(0, kWrites, false)) {
    return Error::from_errno("UFFDIO_WRITEPROTECT");
  }
  touch(*buf, 0, kWrites, 'l');
  // the reader: lifts the protection of each page a write faulted on, or of
  // all of them if no fault comes within 10 s, so no writer waits forever
  std::size_t handled = 0;
  std::thread reader([&] {
    while (handled < kWrites) {
      pollfd p{uffd.get(), POLLIN, 0};
      uffd_msg msg{};
      if (poll(&p, 1, 10000) <= 0 || read(uffd.get(), &msg, sizeof(msg)) != sizeof(msg)) {
        protect(0, 2 * kWrites, false);
        return;
      }
      if (msg.event == UFFD_EVENT_PAGEFAULT) {
        protect((msg.arg.pagefault.address - buf->begin()) / page_size(), 1, false);
        handled++;
      }
    }
  });
  touch(*buf, kWrites, kWrites, 'h');
  reader.join();
  if (handled != kWrites) {
    return Error::message(EIO, "uffd-wp: " + std::to_string(handled) +
                                   " write-protect faults reached the reader, not 16");
  }
  const std::string handed =
      "a write to a page under uffd write-protect faults into do_wp_page, which hands it to "
      "the userfaultfd reader (handle_userfault) and neither copies nor reuses: one fault "
      "each, of no outcome (other); the reader lifts the protection and the write is retried";
  m.faults("parent", "handled", COWPROBE_C_OTHER, kWrites, handed);
  if (env.kernel.at_least(6, 3)) {
    m.note(
        "since 6.3 lifting uffd write-protect (UFFDIO_WRITEPROTECT without MODE_WP) makes "
        "exclusive anonymous PTEs writable at once (MM_CP_TRY_CHANGE_WRITABLE): the writes "
        "to the lifted pages and the retried writes take no fault");
  } else {
    const std::string lifted =
        "before 6.3 lifting uffd write-protect clears the uffd bit but leaves the PTE "
        "read-only: the write faults and, with no other mapper, " +
        kReuseRule;
    m.faults("parent", "lifted", COWPROBE_C_REUSES, kWrites, lifted);
    m.faults("parent", "handled", COWPROBE_C_REUSES, kWrites,
             "the retried write after the reader lifted the protection: " + lifted);
  }
  return m.done();
}

}  // namespace cowprobe::scenario_kit
