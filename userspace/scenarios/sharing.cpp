// Sharing and exec: a child that execs or shares the mm (vfork,
// posix_spawn), memory that is never copied (MAP_SHARED, the zero page,
// MADV_DONTFORK, MADV_WIPEONFORK), private file mappings, and what
// write-protects without fork (mprotect, soft-dirty).
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

namespace {

const char* true_path() { return access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true"; }

// MAP_PRIVATE over a file with data (a memfd, an O_TMPFILE), twice: "read"
// only read before fork, "written" also written on its first page.
Result<ScenarioReport> private_file_fork(ScenarioEnv& env, std::string_view name,
                                         const std::function<int()>& open_file,
                                         const std::string& what) {
  Model m(env, name);
  const UniqueFd fd(open_file());
  if (!fd.valid()) {
    const int err = errno;
    return m.skip(what + " failed: " + strerror(err));
  }
  const std::string page(page_size(), 'd');
  for (std::size_t i = 0; i < kPages; i++) {
    if (write(fd.get(), page.data(), page.size()) != static_cast<ssize_t>(page.size())) {
      return Error::from_errno("write to the " + what);
    }
  }
  auto only_read = Mapping::make(kPages * page_size(), MAP_PRIVATE, 0, fd.get());
  if (!only_read) {
    return only_read.error();
  }
  auto written = Mapping::make(kPages * page_size(), MAP_PRIVATE, 0, fd.get());
  if (!written) {
    return written.error();
  }
  TRY(m.region("read", *only_read));
  TRY(m.region("written", *written));
  touch(*written, 0, 1, 'w');
  read_all(*only_read);
  read_all(*written);
  settle();
  m.child([&] {
    touch(*only_read, 0, kWrites, 'c');
    touch(*written, 1, kWrites, 'c');
    return 0;
  });
  touch(*written, 0, 1 + kWrites, 'P');
  m.expect("parent", "written", COWPROBE_C_FILE_COPIES, 1,
           "the parent's write to not-present page 0 copies the file page at once "
           "(do_cow_fault), no write-protect fault; the mapping gets an anon_vma, so fork "
           "copies its page tables");
  m.expect("child", "read", COWPROBE_C_FILE_COPIES, kWrites,
           "a private file mapping only read has no anon_vma: fork copies none of its page "
           "tables, and the child's writes fault the file pages in and copy them at once "
           "(do_cow_fault), no write-protect fault");
  m.faults("child", "written", COWPROBE_C_COPIES, kWrites,
           "fork copied the read-only PTEs of the page-cache pages: each write copies the file "
           "page (wp_page_copy)");
  m.faults("parent", "written", COWPROBE_C_COPIES, kWrites,
           "a page-cache page in a private mapping is never reused, even by its only mapper: "
           "the parent's writes after the child exited copy it too");
  m.faults("parent", "written", COWPROBE_C_REUSES, 1,
           "page 0 is the parent's anonymous copy, shared with the child until it exited: " +
               kReuseRule);
  return m.done();
}

// A scenario on a private anonymous buffer of kPages pages (no THP),
// registered and only read: every page maps the shared zero page.
Result<ScenarioReport> with_zero_pages(ScenarioEnv& env, std::string_view name,
                                       const ScenarioBody& body) {
  Model m(env, name);
  auto buf = Mapping::make(kPages * page_size(), MAP_PRIVATE);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_NOHUGEPAGE);
  TRY(m.region(kBuf, *buf));
  read_all(*buf);
  return body(m, *buf);
}

// dontfork and wipeonfork: a written buffer madvised advice and, beside it,
// an ordinary buffer the child writes: the control, so a module that counted
// nothing could not pass. child returns 0 when it saw what advice promises
// (else the scenario fails: broken); the parent then writes the buffer.
Result<ScenarioReport> beside_control(
    ScenarioEnv& env, std::string_view name, int advice, const std::string& what,
    const std::function<int(const Mapping& buf, const Mapping& control)>& child,
    const std::string& broken, std::string note) {
  Model m(env, name);
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  if (madvise(buf->data(), buf->size(), advice) != 0) {
    return m.skip(what + ": " + std::string(strerror(errno)));
  }
  auto control = written_buffer();
  if (!control) {
    return control.error();
  }
  TRY(m.region(kBuf, *buf));
  TRY(m.region(kControl, *control));
  settle();
  const int status = m.child([&] { return child(*buf, *control); });
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::message(EIO, std::string(name) + ": " + broken);
  }
  m.faults("child", kControl, COWPROBE_C_COPIES, kWrites,
           "the control buffer, shared at fork as usual: " + kCopyRule);
  touch(*buf, 0, kWrites, 'P');
  m.note(std::move(note));
  return m.done();
}

}  // namespace

Result<ScenarioReport> fork_exec(ScenarioEnv& env) {
  return with_buffer(env, "fork-exec", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    settle();
    const char* prog = true_path();
    m.child([&] {
      execl(prog, prog, static_cast<char*>(nullptr));
      return 127;
    });
    touch(buf, 0, kWrites, 'P');
    m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
             "exec dropped the child's copy of the address space without a write; the pages "
             "stay write-protected in the parent: " +
                 kReuseRule);
    m.note("the child copies nothing of the buffer: exec replaces its mm (its regions end there)");
    return m.done();
  });
}

Result<ScenarioReport> vfork_exit(ScenarioEnv& env) {
  return with_buffer(env, "vfork", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    settle();
    std::fflush(nullptr);
    const pid_t c = vfork();
    if (c == 0) {
      _exit(0);
    }
    m.role("child", c);
    reap(c);
    touch(buf, 0, kWrites, 'P');
    m.note("vfork shares the parent's mm: nothing is write-protected, so no write fault at all");
    return m.done();
  });
}

Result<ScenarioReport> posix_spawn_true(ScenarioEnv& env) {
  return with_buffer(
      env, "posix-spawn", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        const char* prog = true_path();
        pid_t c = -1;
        char* argv[] = {const_cast<char*>(prog), nullptr};
        std::fflush(nullptr);
        if (const int err = posix_spawn(&c, prog, nullptr, nullptr, argv, environ); err != 0) {
          return Error(err, std::string("posix_spawn ") + prog);
        }
        m.role("child", c);
        reap(c);
        touch(buf, 0, kWrites, 'P');
        m.note(
            "glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK: no page is shared by CoW, "
            "so the parent's writes take no fault");
        return m.done();
      });
}

Result<ScenarioReport> shared_anon(ScenarioEnv& env) {
  Model m(env, "shared-anon");
  auto buf = Mapping::make(kPages * page_size(), MAP_SHARED);
  if (!buf) {
    return buf.error();
  }
  fill(*buf, 's');
  TRY(m.region(kBuf, *buf));
  settle();
  m.child([&] {
    touch(*buf, 0, kWrites, 'c');
    return 0;
  });
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "MAP_SHARED pages are never copied: fork does not copy their page tables, the "
      "child's writes fault them in writable");
  return m.done();
}

Result<ScenarioReport> zero_page(ScenarioEnv& env) {
  return with_zero_pages(
      env, "zero-page", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        touch(buf, 0, kWrites, 'z');
        m.faults("parent", kBuf, COWPROBE_C_ZERO_FILLS, kWrites,
                 "a read of never-written memory maps the shared zero page read-only; the write "
                 "fault then installs a zeroed page (no data copied, no fork needed)");
        return m.done();
      });
}

Result<ScenarioReport> zero_page_fork(ScenarioEnv& env) {
  return with_zero_pages(
      env, "zero-page-fork", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        m.child([&] {
          touch(buf, 0, kWrites, 'c');
          return 0;
        });
        touch(buf, 0, kWrites, 'P');
        m.note(
            "the buffer was only read, so it has no anon_vma and fork does not copy its page "
            "tables: the child's writes are plain anonymous faults, no write-protect fault");
        m.faults("parent", kBuf, COWPROBE_C_ZERO_FILLS, kWrites,
                 "the parent still maps the zero page read-only: its write installs a zeroed page "
                 "(a zero fill, not a copy)");
        return m.done();
      });
}

Result<ScenarioReport> file_private(ScenarioEnv& env) {
  Model m(env, "file-private");
  constexpr std::size_t kRead = 8;
  char path[] = "/tmp/cowprobe-file-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    return Error::from_errno("mkstemp /tmp");
  }
  unlink(path);
  const std::string page(page_size(), 'f');
  bool ok = true;
  for (std::size_t i = 0; i < kPages && ok; i++) {
    ok = write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size());
  }
  auto buf = ok ? Mapping::make(kPages * page_size(), MAP_PRIVATE, 0, fd)
                : Result<Mapping>(Error::from_errno("write to the scratch file"));
  close(fd);
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  touch(*buf, 0, kWrites, 'w');
  const std::size_t base = kPages / 2;
  for (std::size_t i = base; i < base + kRead; i++) {
    (void)*static_cast<volatile char*>(buf->page(i));
  }
  touch(*buf, base, kRead, 'r');
  m.expect("parent", kBuf, COWPROBE_C_FILE_COPIES, kWrites,
           "a write to a not-present page of a private file mapping copies the file page "
           "into a new anonymous page at once (do_cow_fault): no write-protect fault");
  m.faults("parent", kBuf, COWPROBE_C_COPIES, kRead,
           "a read maps the page-cache page read-only; the write then copies it (do_wp_page "
           "-> wp_page_copy): the page cache is never written through a private mapping");
  return m.done();
}

Result<ScenarioReport> mprotect_rw(ScenarioEnv& env) {
  return with_buffer(env, "mprotect", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    settle();
    mprotect(buf.data(), buf.size(), PROT_READ);
    mprotect(buf.data(), buf.size(), PROT_READ | PROT_WRITE);
    touch(buf, 0, kWrites, 'm');
    if (!env.kernel.at_least(6, 0)) {
      m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
               "before 6.0 mprotect(PROT_WRITE) leaves PTEs read-only; each write faults and, "
               "with no other mapper, " +
                   kReuseRule);
    } else {
      m.note("since 6.0 mprotect makes exclusive anonymous PTEs writable at once: no fault");
    }
    return m.done();
  });
}

Result<ScenarioReport> dontfork(ScenarioEnv& env) {
  return beside_control(
      env, "dontfork", MADV_DONTFORK, "madvise(MADV_DONTFORK) failed",
      [](const Mapping& buf, const Mapping& control) {
        touch(control, 0, kWrites, 'c');
        // the buffer is not mapped here: mincore fails with ENOMEM
        std::array<unsigned char, kPages> vec{};
        return mincore(buf.data(), buf.size(), vec.data()) != 0 && errno == ENOMEM ? 0 : 1;
      },
      "the child maps the buffer despite MADV_DONTFORK",
      "MADV_DONTFORK: fork leaves the buffer out of the child and copies none of its page "
      "tables; the parent's PTEs are never write-protected, so its writes take no fault");
}

Result<ScenarioReport> wipeonfork(ScenarioEnv& env) {
  return beside_control(
      env, "wipeonfork", MADV_WIPEONFORK, "madvise(MADV_WIPEONFORK) failed (4.14+)",
      [](const Mapping& buf, const Mapping& control) {
        touch(buf, 0, kWrites, 'c');
        touch(control, 0, kWrites, 'c');
        // wiped: the rest of each page written reads as zeros
        for (std::size_t i = 0; i < kWrites; i++) {
          if (static_cast<volatile char*>(buf.page(i))[1] != 0) {
            return 1;
          }
        }
        return 0;
      },
      "the child saw the parent's data",
      "MADV_WIPEONFORK: the child gets the range empty (no anon_vma, no page tables copied); "
      "its writes are first touches of fresh zeroed pages, not write-protect faults, and the "
      "parent's PTEs are never write-protected: no fault to count in either");
}

Result<ScenarioReport> softdirty_clear(ScenarioEnv& env) {
  Model m(env, "softdirty-clear");
  const char* clear = "/proc/self/clear_refs";
  if (access(clear, W_OK) != 0) {
    return m.skip("no /proc/self/clear_refs here (CONFIG_PROC_PAGE_MONITOR off)");
  }
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!soft_dirty(pagemap, buf->begin())) {
    return m.skip("pagemap shows no soft-dirty bit on fresh pages: CONFIG_MEM_SOFT_DIRTY off");
  }
  TRY(m.region(kBuf, *buf));
  settle();
  if (!write_file(clear, "4")) {
    return m.skip("writing 4 to /proc/self/clear_refs failed: " + std::string(strerror(errno)));
  }
  if (soft_dirty(pagemap, buf->begin())) {
    return m.skip("clear_refs 4 left the soft-dirty bit set");
  }
  touch(*buf, 0, kWrites, 's');
  m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
           "clearing soft-dirty (clear_refs 4) write-protects every PTE; the next write to "
           "each page faults and, with no other mapper, " +
               kReuseRule);
  return m.done();
}

Result<ScenarioReport> memfd_private(ScenarioEnv& env) {
  return private_file_fork(
      env, "memfd-private", [] { return memfd_create("cowprobe-memfd", MFD_CLOEXEC); },
      "memfd_create");
}

Result<ScenarioReport> tmpfile_private(ScenarioEnv& env) {
  return private_file_fork(
      env, "tmpfile-private", [] { return ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); },
      "open(/tmp, O_TMPFILE)");
}

}  // namespace cowprobe::scenario_kit
