// Writes from elsewhere and pins: process_vm_writev into a child, an
// io_uring worker, io_uring fixed buffers, read-only pins that unshare
// (small pages and a THP), and the vmsplice leak of CVE-2020-29374.
#include <fcntl.h>
#include <liburing.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

namespace {

// Whether io_uring's workers are threads of this process (create_io_thread,
// 5.12 and the stable lines that took it): they show in /proc/self/task as
// iou-wrk-PID, and stay there a while after their work is done.
bool io_worker_threads() {
  std::error_code ec;
  const std::filesystem::directory_iterator tasks("/proc/self/task", ec);
  return std::any_of(begin(tasks), end(tasks), [](const auto& t) {
    return read_file((t.path() / "comm").c_str()).starts_with("iou-wrk");
  });
}

// Registers buf as an io_uring fixed buffer of ring (io_uring_register_buffers:
// a longterm FOLL_PIN | FOLL_WRITE pin of every page); 0 or -errno.
int register_fixed(io_uring& ring, const Mapping& buf) {
  const iovec iov{buf.data(), buf.size()};
  return io_uring_register_buffers(&ring, &iov, 1);
}

}  // namespace

Result<ScenarioReport> remote_write(ScenarioEnv& env) {
  return with_buffer(env, "remote", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    settle();
    WaitingChild child(m);
    const char byte = 'R';
    std::size_t written = 0;
    for (std::size_t i = 0; i < kWrites; i++) {
      iovec local{const_cast<char*>(&byte), 1};
      iovec remote{buf.page(i), 1};
      if (process_vm_writev(child.pid(), &local, 1, &remote, 1, 0) == 1) {
        written++;
      }
    }
    child.release();
    if (written != kWrites) {
      return m.skip("process_vm_writev failed: " + std::string(strerror(errno)));
    }
    const std::string rule =
        "the parent writes into the child's pages with process_vm_writev: the fault runs in "
        "the parent but on the child's memory, so it is the child's copy, marked remote";
    m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites, rule, COWPROBE_C_REMOTE_WP_FAULTS);
    m.expect("child", kBuf, COWPROBE_C_REMOTE_COPIES, kWrites, rule);
    return m.done();
  });
}

// io_uring's worker threads (io-wq) are made by create_io_thread(), which
// sched_process_fork does not see; before 5.12 they were kernel threads
// borrowing the mm. A read they do into a page shared with a child copies it
// for the process that owns the ring.
Result<ScenarioReport> io_uring_worker(ScenarioEnv& env) {
  Model m(env, "io-uring-worker");
  io_uring ring{};
  if (const int err = io_uring_queue_init(4, &ring, 0); err < 0) {
    return m.skip(std::string("io_uring_queue_init: ") + std::strerror(-err));
  }
  const std::unique_ptr<io_uring, void (*)(io_uring*)> ring_guard(&ring, io_uring_queue_exit);
  const UniqueFd src(memfd_create("cowprobe-io", MFD_CLOEXEC));
  std::string data(kWrites * page_size(), 'f');
  if (!src.valid() ||
      pwrite(src.get(), data.data(), data.size(), 0) != static_cast<ssize_t>(data.size())) {
    return Error::from_errno("a memfd to read from");
  }
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  WaitingChild child(m);
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, src.get(), buf->data(), static_cast<unsigned>(data.size()), 0);
  sqe->flags |= IOSQE_ASYNC;  // to an io-wq worker, not inline
  io_uring_submit(&ring);
  io_uring_cqe* cqe = nullptr;
  const int err = io_uring_wait_cqe(&ring, &cqe);
  const int res = err < 0 ? err : cqe->res;
  if (err == 0) {
    io_uring_cqe_seen(&ring, cqe);
  }
  child.release();
  if (res != static_cast<int>(data.size())) {
    return Error(res < 0 ? -res : EIO, "io_uring read into the buffer",
                 fmt::format("{} of {} bytes", res, data.size()));
  }
  const std::string rule =
      "an io_uring worker of the parent writes 16 pages shared with the child: " + kCopyRule +
      ", counted for the parent, whose thread the worker is";
  if (io_worker_threads()) {
    m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites, rule);
  } else {
    const std::string old =
        "io-wq workers are kernel threads borrowing the parent's mm here (before 5.12 and its "
        "stable backports): each write fault is the parent's, seen as remote, its outcome unseen "
        "(other)";
    m.faults("parent", kBuf, COWPROBE_C_OTHER, kWrites, old, COWPROBE_C_REMOTE_WP_FAULTS);
  }
  return m.done();
}

// A read-only pin of a page shared after fork. vmsplice takes plain page
// references (FOLL_GET): nothing happens at the pin, but the write that
// follows sees the pipe's reference and copies. process_vm_readv pins
// (FOLL_PIN without FOLL_WRITE): since 5.19 GUP must not pin a page another
// process may still map, so it breaks the sharing first with an unshare fault
// (FAULT_FLAG_UNSHARE), a copy mapped read-only and exclusive; before 5.19 the
// pin is taken on the shared page and nothing is faulted.
Result<ScenarioReport> unshare_pin(ScenarioEnv& env) {
  constexpr std::size_t kSpliced = 8;
  return with_buffer(
      env, "unshare-pin", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        auto pipe = make_pipe();
        if (!pipe) {
          return pipe.error();
        }
        const UniqueFd& wr = pipe->write;
        std::vector<char> scratch(kWrites * page_size());
        settle();
        WaitingChild child(m);
        iovec spliced{buf.page(0), kSpliced * page_size()};
        const ssize_t n = vmsplice(wr.get(), &spliced, 1, 0);
        iovec local{scratch.data(), scratch.size()};
        iovec remote{buf.page(kSpliced), scratch.size()};
        const ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        const int err = errno;
        touch(buf, 0, kSpliced + kWrites, 'P');
        child.release();
        if (n != static_cast<ssize_t>(spliced.iov_len)) {
          return Error(EIO, "vmsplice of 8 pages", std::to_string(n) + " bytes");
        }
        if (r != static_cast<ssize_t>(scratch.size())) {
          return m.skip("process_vm_readv on this process failed: " + std::string(strerror(err)));
        }
        const std::string spliced_rule =
            "8 pages vmspliced into a pipe: a plain reference (FOLL_GET), no fault at the splice; "
            "the parent's write then sees the pipe's reference besides the child's mapping and "
            "copies";
        if (env.kernel.at_least(5, 19)) {
          m.faults("parent", kBuf, COWPROBE_C_COPIES, kSpliced, spliced_rule);
          m.faults("parent", kBuf, COWPROBE_C_UNSHARE_COPIES, kWrites,
                   "process_vm_readv pins 16 pages read-only (FOLL_PIN) while the child maps them: "
                   "since 5.19 GUP unshares a possibly shared anonymous page first "
                   "(FAULT_FLAG_UNSHARE): a copy, mapped read-only and exclusive");
          m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
                   "the unshared copies are exclusive to the parent (PageAnonExclusive): its write "
                   "reuses them");
        } else {
          m.faults("parent", kBuf, COWPROBE_C_COPIES, kSpliced + kWrites,
                   spliced_rule +
                       "; before 5.19 a read-only pin (process_vm_readv, FOLL_PIN) does not "
                       "unshare: the 16 pinned pages stay shared with the child and the write "
                       "copies them too");
        }
        return m.done();
      });
}

// CVE-2020-29374 (cow.c's vmsplice in child): the child vmsplices pages into a
// pipe and unmaps them; the parent then is their only mapper, but the pipe
// still reads them. The parent's write must copy, or the child would read
// the parent's new data through the pipe.
Result<ScenarioReport> vmsplice_unmap(ScenarioEnv& env) {
  return with_buffer(
      env, "vmsplice-unmap", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        auto pipe = make_pipe();
        if (!pipe) {
          return pipe.error();
        }
        const UniqueFd& rd = pipe->read;
        const UniqueFd& wr = pipe->write;
        settle();
        const Gate ready;
        const Gate wrote;
        const pid_t c = spawn([&] {
          iovec iov{buf.data(), kWrites * page_size()};
          const ssize_t n = vmsplice(wr.get(), &iov, 1, 0);
          munmap(buf.data(), buf.size());
          ready.open();
          wrote.wait();
          if (n != static_cast<ssize_t>(iov.iov_len)) {
            return 2;
          }
          std::string got(iov.iov_len, 0);
          for (std::size_t off = 0; off < got.size();) {
            const ssize_t k = read(rd.get(), got.data() + off, got.size() - off);
            if (k <= 0) {
              return 3;
            }
            off += static_cast<std::size_t>(k);
          }
          return got == std::string(got.size(), 'p') ? 0 : 1;
        });
        m.role("child", c);
        ready.wait();
        touch(buf, 0, 2 * kWrites, 'P');
        wrote.open();
        const int status = reap(c);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          return Error(EIO, "the child's pipe",
                       WIFEXITED(status) && WEXITSTATUS(status) == 1
                           ? "read the parent's new data: the CoW leak of CVE-2020-29374"
                           : "vmsplice or read failed");
        }
        m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites,
                 "the child vmspliced 16 pages and unmapped them: the parent is their only mapper "
                 "but the pipe holds a reference, so its write copies (since 5.9 a reuse needs no "
                 "extra reference, the fix of CVE-2020-29374; 6.1+: the page is not exclusive "
                 "after fork and its references still decide)");
        m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
                 "16 more pages the child unmapped without splicing: " + kReuseRule);
        return m.done();
      });
}

// cow.c's io_uring fixed buffers: registering pins each page longterm for
// writing (FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM, on every line), so GUP
// write-faults a page it cannot write: "before" is pinned before fork,
// "after" while the child shares it, "readonly" (cow.c's R/O-mapped case)
// made after the child exited and write-protected by clear_refs.
Result<ScenarioReport> iouring_fixed_pin(ScenarioEnv& env) {
  Model m(env, "iouring-fixed-pin");
  std::array<io_uring, 3> rings{};
  std::vector<std::unique_ptr<io_uring, void (*)(io_uring*)>> guards;
  for (auto& ring : rings) {
    if (const int err = io_uring_queue_init(4, &ring, 0); err < 0) {
      return m.skip(std::string("io_uring_queue_init: ") + std::strerror(-err));
    }
    guards.emplace_back(&ring, io_uring_queue_exit);
  }
  auto before = written_buffer(kWrites);
  auto after = written_buffer(kWrites);
  if (!before || !after) {
    return Error::message(ENOMEM, "two buffers of 16 pages");
  }
  TRY(m.region("before", *before));
  TRY(m.region("after", *after));
  if (const int err = register_fixed(rings[0], *before); err < 0) {
    return m.skip(std::string("io_uring_register_buffers: ") + std::strerror(-err));
  }
  settle();
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const auto frame = pfn_of(pagemap, before->begin());
  const Gate pinned;
  const pid_t c = spawn([&] {
    // the fork copied the pinned page: another frame here (root reads them)
    const UniqueFd own(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    const auto mine = pfn_of(own, before->begin());
    pinned.wait();
    touch(*before, 0, kWrites, 'c');
    touch(*after, 0, kWrites, 'c');
    return frame && mine && *frame == *mine ? 1 : 0;
  });
  m.role("child", c);
  const int after_err = register_fixed(rings[1], *after);
  touch(*before, 0, kWrites, 'P');
  touch(*after, 0, kWrites, 'P');
  pinned.open();
  const int status = reap(c);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::message(EIO, "the child maps the parent's pinned page: fork did not copy it");
  }
  if (after_err < 0) {
    return Error(-after_err, "io_uring_register_buffers after fork", std::strerror(-after_err));
  }
  m.note(
      "before: pinned at fork, so fork copied its pages for the child right away "
      "(copy_present_page: page_needs_cow_for_dma, 5.9+; the child sees another page frame "
      "in pagemap); that copy is no fault and cowprobe does not count it; both processes' PTEs "
      "stay writable: no fault in either");
  m.faults("parent", "after", COWPROBE_C_COPIES, kWrites,
           "the fixed-buffer pin is a write pin (FOLL_WRITE) of 16 pages the child maps: GUP "
           "takes a write fault on each, " +
               kCopyRule + "; the parent's own writes then find them writable");
  m.faults("child", "after", COWPROBE_C_REUSES, kWrites,
           "the parent's pin copied these pages for itself: " + kReuseRule);
  // cow.c's R/O case: exclusive pages (made after the fork, which would have
  // write-protected them), write-protected by clearing soft-dirty
  auto readonly = written_buffer(kWrites);
  if (!readonly) {
    return readonly.error();
  }
  TRY(m.region("readonly", *readonly));
  settle();
  const bool wp = soft_dirty(pagemap, readonly->begin()) &&
                  write_file("/proc/self/clear_refs", "4") &&
                  !soft_dirty(pagemap, readonly->begin());
  if (const int err = register_fixed(rings[2], *readonly); err < 0) {
    return Error(-err, "io_uring_register_buffers of the write-protected buffer",
                 std::strerror(-err));
  }
  touch(*readonly, 0, kWrites, 'P');
  if (wp) {
    m.faults("parent", "readonly", COWPROBE_C_REUSES, kWrites,
             "clear_refs 4 write-protected the 16 pages (cow.c maps them R/O); the write pin "
             "faults on each and, with no other mapper, " +
                 kReuseRule + "; the writes after find them writable");
  } else {
    m.note(
        "readonly: no soft-dirty tracking here (CONFIG_MEM_SOFT_DIRTY off), so nothing "
        "write-protects the pages: the pin and the writes take no fault");
  }
  return m.done();
}

// unshare-pin on a THP: process_vm_readv pins 16 pages of a PMD-mapped huge
// page shared with a child, read-only (FOLL_PIN without FOLL_WRITE).
Result<ScenarioReport> unshare_pin_thp(ScenarioEnv& env) {
  return with_thp(
      env, "unshare-pin-thp", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        std::vector<char> scratch(kWrites * page_size());
        TRY(m.region(kBuf, buf));
        settle();
        WaitingChild child(m);
        iovec local{scratch.data(), scratch.size()};
        iovec remote{buf.data(), scratch.size()};
        const ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        const int err = errno;
        touch(buf, 0, kWrites, 'P');
        child.release();
        if (r != static_cast<ssize_t>(scratch.size())) {
          return m.skip("process_vm_readv on this process failed: " + std::string(strerror(err)));
        }
        const std::string split =
            "the first pinned page is in a huge page the child maps too: do_huge_pmd_wp_page "
            "cannot reuse it (shared) and never copies 2 MiB, it splits the PMD and falls back "
            "to 4 KiB";
        m.expect("parent", kBuf, COWPROBE_C_THP_WP_FAULTS, 1, split);
        m.expect("parent", kBuf, COWPROBE_C_THP_FALLBACKS, 1, split);
        if (env.kernel.at_least(5, 19)) {
          const std::string unshare =
              "since 5.19 a read-only pin (process_vm_readv, FOLL_PIN) of a possibly shared "
              "anonymous page unshares it (FAULT_FLAG_UNSHARE), here first as a huge-PMD fault; "
              "after the split each of the 16 pages is unshared 4 KiB at a time from the huge page "
              "(the rest of the 2 MiB stays shared)";
          m.faults("parent", kBuf, COWPROBE_C_UNSHARE_COPIES, kWrites, unshare,
                   COWPROBE_C_THP_COPIES);
          m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
                   "the unshared copies are small pages exclusive to the parent, mapped read-only: "
                   "its writes reuse them");
        } else {
          const std::string copy =
              "before 5.19 the read-only pin takes no fault: the 16 pages stay shared in the huge "
              "page, and the parent's first write splits its PMD; each write then copies 4 KiB "
              "from the huge page";
          m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites, copy, COWPROBE_C_THP_COPIES);
        }
        return m.done();
      });
}

}  // namespace cowprobe::scenario_kit
