// The scenario library. Each scenario runs inside the process tree the tool
// watches (its first process plays "parent"), registers its buffers as
// regions, and predicts, per fault class, what the kernel must count there.
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cowprobe.h>
#include <linux/userfaultfd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "fd.hpp"
#include "scenario.hpp"
#include "workload_support.hpp"

namespace cowprobe {

KernelVersion KernelVersion::parse(std::string_view release) {
  KernelVersion v;
  std::sscanf(std::string(release).c_str(), "%d.%d", &v.major, &v.minor);  // NOLINT
  return v;
}

KernelVersion KernelVersion::running() {
  utsname u{};
  uname(&u);
  return parse(u.release);
}

std::string KernelVersion::str() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

void to_json(nlohmann::json& j, const Expectation& e) {
  j = {{"role", e.role},
       {"region", e.region},
       {"counter", e.counter},
       {"value", e.value},
       {"rule", e.rule}};
}

void from_json(const nlohmann::json& j, Expectation& e) {
  j.at("role").get_to(e.role);
  j.at("region").get_to(e.region);
  j.at("counter").get_to(e.counter);
  j.at("value").get_to(e.value);
  j.at("rule").get_to(e.rule);
}

void to_json(nlohmann::json& j, const ScenarioReport& r) {
  j = {{"scenario", r.scenario},
       {"roles", r.roles},
       {"regions", r.regions},
       {"expect", r.expect},
       {"notes", r.notes}};
  if (r.skip) {
    j["skip"] = *r.skip;
  }
}

void from_json(const nlohmann::json& j, ScenarioReport& r) {
  j.at("scenario").get_to(r.scenario);
  j.at("roles").get_to(r.roles);
  j.at("regions").get_to(r.regions);
  j.at("expect").get_to(r.expect);
  j.at("notes").get_to(r.notes);
  if (j.contains("skip")) {
    r.skip = j.at("skip").get<std::string>();
  }
}

namespace {

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

constexpr std::size_t kMiB = std::size_t{1024} * 1024;
constexpr std::size_t kHuge = 2 * kMiB;

// Pages spanned by [p, p + len).
std::size_t span_pages(const void* p, std::size_t len) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = a / page_size();
  const std::uintptr_t last = (a + len - 1) / page_size();
  return last - first + 1;
}

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
void barrier() { asm volatile("" ::: "memory"); }

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

// Pages held in per-CPU LRU batches carry an extra reference that turns a
// reuse into a copy: pin to one CPU and drain the batches before measuring.
void settle() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof(set), &set);
  detail::drain_lru_caches();
}

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

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

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
  void note(std::string text) { report_.notes.push_back(std::move(text)); }

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

constexpr std::size_t kPages = 64;
constexpr std::size_t kWrites = 16;
const std::string kBuf = "buffer";
const std::string kControl = "control";

#define TRY(expr)                       \
  do {                                  \
    auto try_r_ = (expr);               \
    if (!try_r_) return try_r_.error(); \
  } while (0)

// A private anonymous buffer of n pages, written before fork.
Result<Mapping> written_buffer(std::size_t n = kPages) {
  auto m = Mapping::make(n * page_size(), MAP_PRIVATE);
  if (!m) {
    return m;
  }
  madvise(m->data(), m->size(), MADV_NOHUGEPAGE);
  fill(*m, 'p');
  barrier();
  return m;
}

const std::string kCopyRule =
    "a write to a page shared with another process copies it (wp_page_copy)";
const std::string kReuseRule =
    "the writer is the page's only mapper: the kernel makes it writable in place "
    "(wp_page_reuse), no copy";

Result<ScenarioReport> child_writes(ScenarioEnv& env) {
  Model m(env, "child-writes");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  const pid_t c = spawn([&] {
    touch(*buf, 0, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  reap(c);
  m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites,
           "child writes 16 of 64 pages: " + kCopyRule + ", once per page");
  return m.done();
}

Result<ScenarioReport> no_write(ScenarioEnv& env) {
  Model m(env, "no-write");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  const std::uint64_t sum = read_all(*buf);
  settle();
  const pid_t c = spawn([&] { return read_all(*buf) == sum ? 0 : 1; });
  m.role("child", c);
  reap(c);
  m.note("reads of shared pages take no write fault: nothing to count");
  return m.done();
}

Result<ScenarioReport> parent_after_wait(ScenarioEnv& env) {
  Model m(env, "parent-after-wait");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  const pid_t c = spawn([] { return 0; });
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
           "the child exited without writing; the pages stay write-protected, " + kReuseRule);
  return m.done();
}

Result<ScenarioReport> parent_writes_child_alive(ScenarioEnv& env) {
  Model m(env, "parent-writes-child-alive");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  Gate go;
  const pid_t c = spawn([&] {
    go.wait();
    touch(*buf, 0, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  touch(*buf, 0, kWrites, 'P');
  go.open();
  reap(c);
  m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites,
           "the parent writes while the child still maps the pages: " + kCopyRule);
  m.faults("child", kBuf, COWPROBE_C_REUSES, kWrites,
           "the parent's copies left the child as the originals' only mapper: " + kReuseRule);
  return m.done();
}

Result<ScenarioReport> several_children(ScenarioEnv& env) {
  constexpr int kChildren = 3;
  constexpr std::size_t kShared = 8;
  Model m(env, "several-children");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  Gate turn[kChildren];
  Gate wrote[kChildren];
  Gate leave;
  pid_t kids[kChildren];
  for (int i = 0; i < kChildren; i++) {
    kids[i] = spawn([&, i] {
      turn[i].wait();
      touch(*buf, 0, kShared, static_cast<char>('a' + i));
      wrote[i].open();
      leave.wait();
      return 0;
    });
    m.role("children", kids[i]);
  }
  for (int i = 0; i < kChildren; i++) {
    turn[i].open();
    wrote[i].wait();
  }
  for (int i = 0; i < kChildren; i++) {
    leave.open();
  }
  for (const pid_t k : kids) {
    reap(k);
  }
  touch(*buf, 0, kShared, 'P');
  m.faults("children", kBuf, COWPROBE_C_COPIES, kChildren * kShared,
           "4 processes share each page and all 4 write it: min(writers, sharers - 1) = 3 "
           "copies, one per child, in turn");
  m.faults("parent", kBuf, COWPROBE_C_REUSES, kShared,
           "the children exited: the parent is the last mapper, " + kReuseRule);
  return m.done();
}

Result<ScenarioReport> fork_chain(ScenarioEnv& env) {
  Model m(env, "fork-chain");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  Gate up;
  const pid_t c = spawn([&] {
    const pid_t g = spawn([&] {
      touch(*buf, 0, kWrites, 'g');
      return 0;
    });
    up.send_pid(g);
    reap(g);
    return 0;
  });
  m.role("child", c);
  m.role("grandchild", up.recv_pid());
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.faults("grandchild", kBuf, COWPROBE_C_COPIES, kWrites,
           "the grandchild inherits the child's write-protected mappings; its parent and "
           "grandparent still map the pages: " +
               kCopyRule);
  m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
           "child and grandchild exited: " + kReuseRule);
  return m.done();
}

Result<ScenarioReport> threads(ScenarioEnv& env) {
  Model m(env, "threads");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  const pid_t c = spawn([&] {
    std::thread a([&] { touch(*buf, 0, kWrites / 2, 'a'); });
    std::thread b([&] { touch(*buf, kWrites / 2, kWrites / 2, 'b'); });
    a.join();
    b.join();
    return 0;
  });
  m.role("child", c);
  reap(c);
  m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites,
           "two threads of the child write disjoint halves: " + kCopyRule +
               ", per page, whichever thread writes");
  return m.done();
}

const char* true_path() { return access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true"; }

Result<ScenarioReport> fork_exec(ScenarioEnv& env) {
  Model m(env, "fork-exec");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  const char* prog = true_path();
  const pid_t c = spawn([&] {
    execl(prog, prog, static_cast<char*>(nullptr));
    return 127;
  });
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
           "exec dropped the child's copy of the address space without a write; the pages "
           "stay write-protected in the parent: " +
               kReuseRule);
  m.note("the child copies nothing of the buffer: exec replaces its mm (its regions end there)");
  return m.done();
}

Result<ScenarioReport> vfork_exit(ScenarioEnv& env) {
  Model m(env, "vfork");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  std::fflush(nullptr);
  const pid_t c = vfork();
  if (c == 0) {
    _exit(0);
  }
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.note("vfork shares the parent's mm: nothing is write-protected, so no write fault at all");
  return m.done();
}

Result<ScenarioReport> posix_spawn_true(ScenarioEnv& env) {
  Model m(env, "posix-spawn");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
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
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK: no page is shared by CoW, "
      "so the parent's writes take no fault");
  return m.done();
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
  const pid_t c = spawn([&] {
    touch(*buf, 0, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "MAP_SHARED pages are never copied: fork does not copy their page tables, the "
      "child's writes fault them in writable");
  return m.done();
}

Result<ScenarioReport> zero_page(ScenarioEnv& env) {
  Model m(env, "zero-page");
  auto buf = Mapping::make(kPages * page_size(), MAP_PRIVATE);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_NOHUGEPAGE);
  TRY(m.region(kBuf, *buf));
  read_all(*buf);
  touch(*buf, 0, kWrites, 'z');
  m.faults("parent", kBuf, COWPROBE_C_ZERO_FILLS, kWrites,
           "a read of never-written memory maps the shared zero page read-only; the write "
           "fault then installs a zeroed page (no data copied, no fork needed)");
  return m.done();
}

Result<ScenarioReport> zero_page_fork(ScenarioEnv& env) {
  Model m(env, "zero-page-fork");
  auto buf = Mapping::make(kPages * page_size(), MAP_PRIVATE);
  if (!buf) {
    return buf.error();
  }
  madvise(buf->data(), buf->size(), MADV_NOHUGEPAGE);
  TRY(m.region(kBuf, *buf));
  read_all(*buf);
  settle();
  const pid_t c = spawn([&] {
    touch(*buf, 0, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "the buffer was only read, so it has no anon_vma and fork does not copy its page "
      "tables: the child's writes are plain anonymous faults, no write-protect fault");
  m.faults("parent", kBuf, COWPROBE_C_ZERO_FILLS, kWrites,
           "the parent still maps the zero page read-only: its write installs a zeroed page "
           "(a zero fill, not a copy)");
  return m.done();
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
  Model m(env, "mprotect");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  mprotect(buf->data(), buf->size(), PROT_READ);
  mprotect(buf->data(), buf->size(), PROT_READ | PROT_WRITE);
  touch(*buf, 0, kWrites, 'm');
  if (!env.kernel.at_least(6, 0)) {
    m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
             "before 6.0 mprotect(PROT_WRITE) leaves PTEs read-only; each write faults and, "
             "with no other mapper, " +
                 kReuseRule);
  } else {
    m.note("since 6.0 mprotect makes exclusive anonymous PTEs writable at once: no fault");
  }
  return m.done();
}

Result<ScenarioReport> remote_write(ScenarioEnv& env) {
  Model m(env, "remote");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  TRY(m.region(kBuf, *buf));
  settle();
  Gate leave;
  const pid_t c = spawn([&] {
    leave.wait();
    return 0;
  });
  m.role("child", c);
  const char byte = 'R';
  std::size_t written = 0;
  for (std::size_t i = 0; i < kWrites; i++) {
    iovec local{const_cast<char*>(&byte), 1};
    iovec remote{buf->page(i), 1};
    if (process_vm_writev(c, &local, 1, &remote, 1, 0) == 1) {
      written++;
    }
  }
  leave.open();
  reap(c);
  if (written != kWrites) {
    return m.skip("process_vm_writev failed: " + std::string(strerror(errno)));
  }
  const std::string rule =
      "the parent writes into the child's pages with process_vm_writev: the fault runs in "
      "the parent but on the child's memory, so it is the child's copy, marked remote";
  m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites, rule);
  m.expect("child", kBuf, COWPROBE_C_REMOTE_WP_FAULTS, kWrites, rule);
  m.expect("child", kBuf, COWPROBE_C_REMOTE_COPIES, kWrites, rule);
  return m.done();
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

// Writes to a THP shared after fork: the first of each huge page splits the
// writer's PMD (a huge fault that falls back), then each page written is
// copied 4 KiB from the huge page.
void expect_thp_split(Model& m, const std::string& role, const std::string& region,
                      std::uint64_t huge, std::uint64_t writes, const std::string& rule) {
  m.expect(role, region, COWPROBE_C_THP_WP_FAULTS, huge, rule);
  m.expect(role, region, COWPROBE_C_THP_FALLBACKS, huge, rule);
  m.faults(role, region, COWPROBE_C_COPIES, writes, rule);
  m.expect(role, region, COWPROBE_C_THP_COPIES, writes, rule);
}

// A write to a huge page its PMD maps alone: made writable whole.
void expect_thp_reuse(Model& m, const std::string& role, const std::string& region,
                      std::uint64_t huge, const std::string& rule) {
  m.expect(role, region, COWPROBE_C_THP_WP_FAULTS, huge, rule);
  m.expect(role, region, COWPROBE_C_THP_REUSES, huge, rule);
}

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
  const pid_t c = spawn([&] {
    for (std::size_t i = 0; i < kHugePages; i++) {
      buf->data()[i * kHuge] = 'c';
    }
    return 0;
  });
  m.role("child", c);
  reap(c);
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
  const pid_t c = spawn([&] {
    buf->data()[0] = 'c';
    return 0;
  });
  m.role("child", c);
  reap(c);
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
  const Gate done;
  const pid_t c = spawn([&] {
    done.wait();
    return 0;
  });
  m.role("child", c);
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
  done.open();
  reap(c);
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
    m.faults("parent", kBuf, COWPROBE_C_OTHER, kWrites, old);
    m.expect("parent", kBuf, COWPROBE_C_REMOTE_WP_FAULTS, kWrites, old);
  }
  return m.done();
}

// The page frame mapped at addr, from /proc/self/pagemap (root only: others
// read frame 0); nullopt when nothing is mapped there.
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

Result<ScenarioReport> dontfork(ScenarioEnv& env) {
  Model m(env, "dontfork");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  if (madvise(buf->data(), buf->size(), MADV_DONTFORK) != 0) {
    return m.skip("madvise(MADV_DONTFORK) failed: " + std::string(strerror(errno)));
  }
  // beside it, an ordinary buffer the child writes: the control, so a
  // module that counted nothing could not pass
  auto control = written_buffer();
  if (!control) {
    return control.error();
  }
  TRY(m.region(kBuf, *buf));
  TRY(m.region(kControl, *control));
  settle();
  const pid_t c = spawn([&] {
    touch(*control, 0, kWrites, 'c');
    // the buffer is not mapped here: mincore fails with ENOMEM
    std::array<unsigned char, kPages> vec{};
    return mincore(buf->data(), buf->size(), vec.data()) != 0 && errno == ENOMEM ? 0 : 1;
  });
  m.role("child", c);
  const int status = reap(c);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::message(EIO, "dontfork: the child maps the buffer despite MADV_DONTFORK");
  }
  m.faults("child", kControl, COWPROBE_C_COPIES, kWrites,
           "the control buffer, shared at fork as usual: " + kCopyRule);
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "MADV_DONTFORK: fork leaves the buffer out of the child and copies none of its page "
      "tables; the parent's PTEs are never write-protected, so its writes take no fault");
  return m.done();
}

Result<ScenarioReport> wipeonfork(ScenarioEnv& env) {
  Model m(env, "wipeonfork");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  if (madvise(buf->data(), buf->size(), MADV_WIPEONFORK) != 0) {
    return m.skip("madvise(MADV_WIPEONFORK) failed (4.14+): " + std::string(strerror(errno)));
  }
  auto control = written_buffer();  // as in dontfork: must show the copies
  if (!control) {
    return control.error();
  }
  TRY(m.region(kBuf, *buf));
  TRY(m.region(kControl, *control));
  settle();
  const pid_t c = spawn([&] {
    touch(*buf, 0, kWrites, 'c');
    touch(*control, 0, kWrites, 'c');
    // wiped: the rest of each page written reads as zeros
    for (std::size_t i = 0; i < kWrites; i++) {
      if (static_cast<volatile char*>(buf->page(i))[1] != 0) {
        return 1;
      }
    }
    return 0;
  });
  m.role("child", c);
  const int status = reap(c);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::message(EIO, "wipeonfork: the child saw the parent's data");
  }
  m.faults("child", kControl, COWPROBE_C_COPIES, kWrites,
           "the control buffer, shared at fork as usual: " + kCopyRule);
  touch(*buf, 0, kWrites, 'P');
  m.note(
      "MADV_WIPEONFORK: the child gets the range empty (no anon_vma, no page tables copied); "
      "its writes are first touches of fresh zeroed pages, not write-protect faults, and the "
      "parent's PTEs are never write-protected: no fault to count in either");
  return m.done();
}

// Whether the page at addr is soft-dirty (/proc/self/pagemap bit 55; a VMA
// not yet cleared reports all its pages so, where soft-dirty is tracked).
bool soft_dirty(const UniqueFd& pagemap, std::uintptr_t addr) {
  constexpr std::uint64_t kSoftDirty = 1ULL << 55;
  const auto entry = pagemap_entry(pagemap, addr);
  return entry && (*entry & kSoftDirty) != 0;
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
  const pid_t c = spawn([&] {
    touch(*only_read, 0, kWrites, 'c');
    touch(*written, 1, kWrites, 'c');
    return 0;
  });
  m.role("child", c);
  reap(c);
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

// The seed document's third program: a 4 MB global array whose child changes
// ten elements: one page copied (two if the ten straddle a page boundary).
// Page-aligned, so that the region around it holds no other variable the
// process writes (the seed's array is not; the counts it predicts are the same).
alignas(4096) int seed_array[1024 * 1024];  // NOLINT

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
  const pid_t c = spawn([&] {
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
  m.role("child", c);
  reap(c);
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

// A read-only pin of a page shared after fork. vmsplice takes plain page
// references (FOLL_GET): nothing happens at the pin, but the write that
// follows sees the pipe's reference and copies. process_vm_readv pins
// (FOLL_PIN without FOLL_WRITE): since 5.19 GUP must not pin a page another
// process may still map, so it breaks the sharing first with an unshare fault
// (FAULT_FLAG_UNSHARE), a copy mapped read-only and exclusive; before 5.19 the
// pin is taken on the shared page and nothing is faulted.
Result<ScenarioReport> unshare_pin(ScenarioEnv& env) {
  constexpr std::size_t kSpliced = 8;
  Model m(env, "unshare-pin");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  int fds[2] = {-1, -1};
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Error::from_errno("pipe");
  }
  const UniqueFd rd(fds[0]);
  const UniqueFd wr(fds[1]);
  std::vector<char> scratch(kWrites * page_size());
  TRY(m.region(kBuf, *buf));
  settle();
  const Gate leave;
  const pid_t c = spawn([&] {
    leave.wait();
    return 0;
  });
  m.role("child", c);
  iovec spliced{buf->page(0), kSpliced * page_size()};
  const ssize_t n = vmsplice(wr.get(), &spliced, 1, 0);
  iovec local{scratch.data(), scratch.size()};
  iovec remote{buf->page(kSpliced), scratch.size()};
  const ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  const int err = errno;
  touch(*buf, 0, kSpliced + kWrites, 'P');
  leave.open();
  reap(c);
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
}

// CVE-2020-29374 (cow.c's vmsplice in child): the child vmsplices pages into a
// pipe and unmaps them; the parent then is their only mapper, but the pipe
// still reads them. The parent's write must copy, or the child would read
// the parent's new data through the pipe.
Result<ScenarioReport> vmsplice_unmap(ScenarioEnv& env) {
  Model m(env, "vmsplice-unmap");
  auto buf = written_buffer();
  if (!buf) {
    return buf.error();
  }
  int fds[2] = {-1, -1};
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Error::from_errno("pipe");
  }
  const UniqueFd rd(fds[0]);
  const UniqueFd wr(fds[1]);
  TRY(m.region(kBuf, *buf));
  settle();
  const Gate ready;
  const Gate wrote;
  const pid_t c = spawn([&] {
    iovec iov{buf->data(), kWrites * page_size()};
    const ssize_t n = vmsplice(wr.get(), &iov, 1, 0);
    munmap(buf->data(), buf->size());
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
  touch(*buf, 0, 2 * kWrites, 'P');
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
}

// The page frame numbers behind the first two pages of m (root only).
bool maps_huge_zero_page(const Mapping& buf) {
  const UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const auto a = pfn_of(pagemap, buf.begin());
  const auto b = pfn_of(pagemap, buf.begin() + page_size());
  // the small zero page is one frame mapped everywhere; the huge one is 512
  return a && b && *b == *a + 1;
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
  Model m(env, "mremap-thp");
  std::string why;
  auto buf = written_thp(why);
  if (!buf) {
    return buf.error();
  }
  if (!why.empty()) {
    return m.skip(why);
  }
  const std::size_t half = kHuge / 2;
  auto dest = Mapping::make(half, MAP_PRIVATE);
  if (!dest) {
    return dest.error();
  }
  if (mremap(buf->data() + half, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, dest->data()) !=
      dest->data()) {
    return Error::from_errno("mremap half of the THP");
  }
  TRY(m.region("kept", buf->begin(), buf->begin() + half));
  TRY(m.region("moved", *dest));
  settle();
  const pid_t c = spawn([&] {
    touch(*buf, 0, kEach, 'c');
    touch(*dest, 0, kEach, 'c');
    return 0;
  });
  m.role("child", c);
  reap(c);
  touch(*buf, 0, kEach, 'P');
  touch(*dest, 0, kEach, 'P');
  for (const char* r : {"kept", "moved"}) {
    const std::string copy =
        "mremap of half the THP split its PMD (move_page_tables): both halves are PTE-mapped "
        "pages of the large folio, shared after fork; the child's 8 writes copy 4 KiB each, "
        "no huge-PMD fault";
    m.faults("child", r, COWPROBE_C_COPIES, kEach, copy);
    m.expect("child", r, COWPROBE_C_THP_COPIES, kEach, copy);
    if (env.kernel.at_least(6, 19)) {
      m.faults("parent", r, COWPROBE_C_REUSES, kEach,
               "the child exited: since 6.19 (measured on 7.2) a large folio mapped by one "
               "process only is reused, PTE-mapped or not");
    } else {
      const std::string again =
          "the child exited, but before 6.19 a PTE-mapped page of a large folio is never "
          "reused (its folio's references count every mapped page): the parent copies too";
      m.faults("parent", r, COWPROBE_C_COPIES, kEach, again);
      m.expect("parent", r, COWPROBE_C_THP_COPIES, kEach, again);
    }
  }
  return m.done();
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
    detail::drain_lru_caches();
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
    detail::drain_lru_caches();
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
  const pid_t c = spawn([&] {
    buf->data()[0] = 'c';
    return 0;
  });
  m.role("child", c);
  reap(c);
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

// Registers buf as an io_uring fixed buffer of ring (io_uring_register_buffers:
// a longterm FOLL_PIN | FOLL_WRITE pin of every page); 0 or -errno.
int register_fixed(io_uring& ring, const Mapping& buf) {
  const iovec iov{buf.data(), buf.size()};
  return io_uring_register_buffers(&ring, &iov, 1);
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
  Model m(env, "unshare-pin-thp");
  std::string why;
  auto buf = written_thp(why);
  if (!buf) {
    return buf.error();
  }
  if (!why.empty()) {
    return m.skip(why);
  }
  std::vector<char> scratch(kWrites * page_size());
  TRY(m.region(kBuf, *buf));
  settle();
  const Gate leave;
  const pid_t c = spawn([&] {
    leave.wait();
    return 0;
  });
  m.role("child", c);
  iovec local{scratch.data(), scratch.size()};
  iovec remote{buf->data(), scratch.size()};
  const ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  const int err = errno;
  touch(*buf, 0, kWrites, 'P');
  leave.open();
  reap(c);
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
    m.faults("parent", kBuf, COWPROBE_C_UNSHARE_COPIES, kWrites, unshare);
    m.expect("parent", kBuf, COWPROBE_C_THP_COPIES, kWrites, unshare);
    m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
             "the unshared copies are small pages exclusive to the parent, mapped read-only: "
             "its writes reuse them");
  } else {
    const std::string copy =
        "before 5.19 the read-only pin takes no fault: the 16 pages stay shared in the huge "
        "page, and the parent's first write splits its PMD; each write then copies 4 KiB "
        "from the huge page";
    m.faults("parent", kBuf, COWPROBE_C_COPIES, kWrites, copy);
    m.expect("parent", kBuf, COWPROBE_C_THP_COPIES, kWrites, copy);
  }
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
  const pid_t c = spawn([&] {
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
  m.role("child", c);
  reap(c);
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

}  // namespace

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"child-writes", "child writes 16 of 64 pages after fork: 16 copies", child_writes},
      {"no-write", "child only reads: no write faults", no_write},
      {"parent-after-wait", "parent writes after waitpid: reuses, no copies", parent_after_wait},
      {"parent-writes-child-alive", "parent copies while the child lives; the child reuses",
       parent_writes_child_alive},
      {"several-children", "three children write the same pages: S-1 copies, last reuses",
       several_children},
      {"fork-chain", "grandchild writes: copies; parent reuses after the chain exits", fork_chain},
      {"threads", "two threads of a child write disjoint pages: one copy per page", threads},
      {"fork-exec", "child execs at once: no copies of the buffer", fork_exec},
      {"vfork", "vfork shares the mm: no CoW at all", vfork_exit},
      {"posix-spawn", "posix_spawn uses CLONE_VM: no CoW at all", posix_spawn_true},
      {"shared-anon", "MAP_SHARED memory is never copied", shared_anon},
      {"zero-page", "write after read of fresh memory: zero fills", zero_page},
      {"zero-page-fork", "zero page shared over fork: zero fills in the child", zero_page_fork},
      {"file-private", "private file mapping written before and after a read", file_private},
      {"mprotect", "mprotect read-only then writable, then write", mprotect_rw},
      {"remote", "process_vm_writev into a child: the child's copies, marked remote", remote_write},
      {"thp", "THP after fork: the child splits and copies 4 KiB, the parent reuses whole", thp},
      {"hugetlb", "hugetlb page after fork: child copies 2 MiB, parent reuses", hugetlb},
      {"io-uring-worker", "an io_uring worker writes shared pages: the parent's copies",
       io_uring_worker},
      {"ksm", "writes to KSM-merged pages: always copies", ksm},
      {"dontfork", "MADV_DONTFORK buffer: not in the child, no wp fault in the parent", dontfork},
      {"wipeonfork", "MADV_WIPEONFORK buffer: the child starts empty, no wp fault at all",
       wipeonfork},
      {"softdirty-clear", "clear_refs 4 write-protects the pages: each write a reuse",
       softdirty_clear},
      {"memfd-private", "private memfd mapping over fork: file copies, copies, never reused",
       memfd_private},
      {"tmpfile-private", "the same over an O_TMPFILE file on /tmp", tmpfile_private},
      {"unshare-pin", "read-only pins after fork: vmsplice copies at the write, a pin unshares",
       unshare_pin},
      {"vmsplice-unmap",
       "CVE-2020-29374: the child vmsplices and unmaps, the parent's write copies", vmsplice_unmap},
      {"huge-zero-page", "write after read of a THP-aligned range: the huge zero page",
       huge_zero_page},
      {"mremap-thp", "half a THP mremap'ed, fork, writes: PTE-mapped large folio copies",
       mremap_thp},
      {"swap-before-fork", "pages swapped out (zram) before fork, then written: copies, swap-in",
       swap_before_fork},
      {"hugetlb-memfd", "private hugetlb memfd over fork: its page-cache page always copied",
       hugetlb_memfd},
      {"uffd-wp", "userfaultfd write-protect: a wp fault handed to the uffd reader", uffd_wp},
      {"iouring-fixed-pin",
       "io_uring fixed buffers pinned before, after fork and write-protected: write pins",
       iouring_fixed_pin},
      {"unshare-pin-thp", "a read-only pin of a THP shared after fork: split, 4 KiB unshares",
       unshare_pin_thp},
      {"thp-collapse", "MADV_COLLAPSE before and after fork, then writes", thp_collapse},
      {"seed-fork-time", "seed program 1: fork time vs size, with and without a child write",
       seed_fork_time},
      {"seed-rss", "seed program 2: RSS around a 50 MB child write", seed_rss},
      {"seed-global-array", "seed program 3: a 4 MB global array, child changes 10 elements",
       seed_global_array},
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
