// The list of scenarios, in the order `cowprobe check` runs them.
#include <string_view>
#include <vector>

#include "scenario.hpp"
#include "scenario_list.hpp"

namespace cowprobe {

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"child-writes", "child writes 16 of 64 pages after fork: 16 copies",
       scenario_kit::child_writes},
      {"no-write", "child only reads: no write faults", scenario_kit::no_write},
      {"parent-after-wait", "parent writes after waitpid: reuses, no copies",
       scenario_kit::parent_after_wait},
      {"parent-writes-child-alive", "parent copies while the child lives; the child reuses",
       scenario_kit::parent_writes_child_alive},
      {"several-children", "three children write the same pages: S-1 copies, last reuses",
       scenario_kit::several_children},
      {"fork-chain", "grandchild writes: copies; parent reuses after the chain exits",
       scenario_kit::fork_chain},
      {"threads", "two threads of a child write disjoint pages: one copy per page",
       scenario_kit::threads},
      {"fork-exec", "child execs at once: no copies of the buffer", scenario_kit::fork_exec},
      {"vfork", "vfork shares the mm: no CoW at all", scenario_kit::vfork_exit},
      {"posix-spawn", "posix_spawn uses CLONE_VM: no CoW at all", scenario_kit::posix_spawn_true},
      {"shared-anon", "MAP_SHARED memory is never copied", scenario_kit::shared_anon},
      {"zero-page", "write after read of fresh memory: zero fills", scenario_kit::zero_page},
      {"zero-page-fork", "zero page shared over fork: zero fills in the child",
       scenario_kit::zero_page_fork},
      {"file-private", "private file mapping written before and after a read",
       scenario_kit::file_private},
      {"mprotect", "mprotect read-only then writable, then write", scenario_kit::mprotect_rw},
      {"remote", "process_vm_writev into a child: the child's copies, marked remote",
       scenario_kit::remote_write},
      {"thp", "THP after fork: the child splits and copies 4 KiB, the parent reuses whole",
       scenario_kit::thp},
      {"hugetlb", "hugetlb page after fork: child copies 2 MiB, parent reuses",
       scenario_kit::hugetlb},
      {"io-uring-worker", "an io_uring worker writes shared pages: the parent's copies",
       scenario_kit::io_uring_worker},
      {"ksm", "writes to KSM-merged pages: always copies", scenario_kit::ksm},
      {"dontfork", "MADV_DONTFORK buffer: not in the child, no wp fault in the parent",
       scenario_kit::dontfork},
      {"wipeonfork", "MADV_WIPEONFORK buffer: the child starts empty, no wp fault at all",
       scenario_kit::wipeonfork},
      {"softdirty-clear", "clear_refs 4 write-protects the pages: each write a reuse",
       scenario_kit::softdirty_clear},
      {"memfd-private", "private memfd mapping over fork: file copies, copies, never reused",
       scenario_kit::memfd_private},
      {"tmpfile-private", "the same over an O_TMPFILE file on /tmp", scenario_kit::tmpfile_private},
      {"unshare-pin", "read-only pins after fork: vmsplice copies at the write, a pin unshares",
       scenario_kit::unshare_pin},
      {"vmsplice-unmap",
       "CVE-2020-29374: the child vmsplices and unmaps, the parent's write copies",
       scenario_kit::vmsplice_unmap},
      {"huge-zero-page", "write after read of a THP-aligned range: the huge zero page",
       scenario_kit::huge_zero_page},
      {"mremap-thp", "half a THP mremap'ed, fork, writes: PTE-mapped large folio copies",
       scenario_kit::mremap_thp},
      {"swap-before-fork", "pages swapped out (zram) before fork, then written: copies, swap-in",
       scenario_kit::swap_before_fork},
      {"hugetlb-memfd", "private hugetlb memfd over fork: its page-cache page always copied",
       scenario_kit::hugetlb_memfd},
      {"uffd-wp", "userfaultfd write-protect: a wp fault handed to the uffd reader",
       scenario_kit::uffd_wp},
      {"iouring-fixed-pin",
       "io_uring fixed buffers pinned before, after fork and write-protected: write pins",
       scenario_kit::iouring_fixed_pin},
      {"unshare-pin-thp", "a read-only pin of a THP shared after fork: split, 4 KiB unshares",
       scenario_kit::unshare_pin_thp},
      {"thp-collapse", "MADV_COLLAPSE before and after fork, then writes",
       scenario_kit::thp_collapse},
      {"seed-fork-time", "seed program 1: fork time vs size, with and without a child write",
       scenario_kit::seed_fork_time},
      {"seed-rss", "seed program 2: RSS around a 50 MB child write", scenario_kit::seed_rss},
      {"seed-global-array", "seed program 3: a 4 MB global array, child changes 10 elements",
       scenario_kit::seed_global_array},
  };
  return all;
}

const Scenario* find_scenario(std::string_view name) {
  for (const auto& s : scenarios()) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

}  // namespace cowprobe
