// Runs inside a test VM with cowprobe.ko loaded (tools/vm/run): end-to-end
// checks of the module, the library and the cowprobe CLI against a real kernel.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <latch>
#include <thread>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "client.hpp"
#include "fd.hpp"
#include "message.hpp"
#include "netlink.hpp"
#include "scenario.hpp"

namespace cowprobe {
namespace {

// Outside the buffer, a forked child of the workload takes a few faults of its
// own: the kernel's write of the child TID, its stack, libc data touched by
// fork handlers and by _exit. Measured on Debian 6.1 and 6.12 under QEMU: 4-8.
constexpr std::uint64_t kChildNoise = 12;
// The workload's own process is exec'd from cowprobe's child: before exec that
// child writes some of cowprobe's pages (copies), after exec the dynamic
// loader and C++ runtime start up (stack, relocations). Measured: about 25.
constexpr std::uint64_t kParentNoise = 48;

nlohmann::json stat_json(const std::string& workload) {
  const std::string out = "/tmp/stat.json";
  std::remove(out.c_str());
  const std::string cmd = "cowprobe stat --json -o " + out + " -- cowprobe-workload " + workload;
  const int rc = std::system(cmd.c_str());  // NOLINT(cert-env33-c)
  EXPECT_EQ(WEXITSTATUS(rc), 0) << cmd;
  std::ifstream f(out);
  std::stringstream s;
  s << f.rdbuf();
  return nlohmann::json::parse(s.str());
}

const nlohmann::json* find_child(const nlohmann::json& stat, std::uint64_t parent) {
  for (const auto& p : stat.at("processes")) {
    if (p.at("ppid").get<std::uint64_t>() == parent) {
      return &p;
    }
  }
  return nullptr;
}

TEST(Stat, ChildWritesKofNPagesIsKCopiesPlusNoise) {
  const auto stat = stat_json("child-writes --pages 256 --writes 100");
  ASSERT_EQ(stat.at("processes").size(), 2U) << stat.dump(2);
  const auto& parent = stat.at("processes").at(0);
  const auto* child = find_child(stat, parent.at("pid").get<std::uint64_t>());
  ASSERT_NE(child, nullptr) << stat.dump(2);
  const auto copies = child->at("copies").get<std::uint64_t>();
  EXPECT_GE(copies, 100U);
  EXPECT_LE(copies, 100U + kChildNoise);
  EXPECT_LE(child->at("reuses").get<std::uint64_t>(), kChildNoise);
  EXPECT_EQ(stat.at("exit_status"), 0);
}

TEST(Stat, ParentAfterWaitpidReusesInsteadOfCopying) {
  const auto stat = stat_json("parent-after-wait --pages 256 --writes 128");
  const auto& parent = stat.at("processes").at(0);
  const auto reuses = parent.at("reuses").get<std::uint64_t>();
  EXPECT_GE(reuses, 128U);
  EXPECT_LE(reuses, 128U + kParentNoise);
  // Without the 128 reuses the parent's copies would be all it took: the
  // buffer itself adds none.
  EXPECT_LE(parent.at("copies").get<std::uint64_t>(), kParentNoise);
}

TEST(Stat, ExitStatusAndCommandNotFound) {
  EXPECT_EQ(WEXITSTATUS(std::system("cowprobe stat -o /dev/null -- sh -c 'exit 7'")), 7);
  EXPECT_EQ(WEXITSTATUS(std::system("cowprobe stat -o /dev/null -- /no/such/command")), 127);
}

TEST(Status, EssentialProbesActiveAndNothingMissed) {
  auto client = Client::open();
  ASSERT_TRUE(client) << client.error().what();
  auto status = client->status();
  ASSERT_TRUE(status) << status.error().what();
  ASSERT_FALSE(status->probes.empty());
  for (const auto& p : status->probes) {
    if (p.name == "do_wp_page" || p.name == "new_anon_rmap") {
      EXPECT_EQ(p.state, COWPROBE_PROBE_ACTIVE) << p.name;
    }
    EXPECT_EQ(p.nmissed, 0U) << p.name << " on " << p.symbol;
  }
  EXPECT_EQ(status->refused_procs, 0U);
  EXPECT_EQ(status->refused_threads, 0U);
}

// The probe self-check follows from what the running kernel has, not from a
// table: every class is reported, the CoW core is always seen, and the
// classes that depend on the kernel version say so.
TEST(Status, ClassSelfCheckMatchesTheKernel) {
  auto client = Client::open();
  ASSERT_TRUE(client) << client.error().what();
  auto status = client->status();
  ASSERT_TRUE(status) << status.error().what();
  for (const char* name : {"copy", "reuse", "zero_fill", "shared_write", "unshare", "ksm", "thp",
                           "hugetlb", "remote", "file_copy"}) {
    const auto* c = status->find_class(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_FALSE(c->how.empty()) << name;
  }
  for (const char* name : {"copy", "zero_fill", "shared_write", "remote"}) {
    EXPECT_EQ(status->find_class(name)->state, COWPROBE_CLASS_OBSERVED) << name;
  }
  const auto kernel = KernelVersion::running();
  // FAULT_FLAG_UNSHARE exists from 5.19 on.
  EXPECT_EQ(status->find_class("unshare")->observable(), kernel.at_least(5, 19));
  // Where wp_page_reuse cannot be probed, VM_FAULT_WRITE (gone in 6.2) is the
  // only way left to see a reuse.
  const auto* reuse = status->find_class("reuse");
  if (reuse->state == COWPROBE_CLASS_DERIVED) {
    EXPECT_FALSE(kernel.at_least(6, 2)) << reuse->how;
  }
  // THP: observable exactly when the kernel has it (the RT kernel does not).
  const bool thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
  EXPECT_EQ(status->find_class("thp")->observable(), thp) << status->find_class("thp")->how;
}

TEST(Errors, WatchUnknownPid) {
  auto client = Client::open();
  ASSERT_TRUE(client) << client.error().what();
  auto r = client->watch(999999, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ESRCH);
  EXPECT_NE(r.error().what().find("no such process"), std::string::npos) << r.error().what();
}

TEST(Errors, GetUntrackedPid) {
  auto client = Client::open();
  ASSERT_TRUE(client) << client.error().what();
  auto r = client->get(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_NE(r.error().what().find("not tracked"), std::string::npos) << r.error().what();
}

TEST(Errors, WatchWithoutPidAttributeIsRejected) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock) << sock.error().what();
  auto family = resolve_family(*sock, COWPROBE_GENL_NAME);
  ASSERT_TRUE(family) << family.error().what();
  RequestBuffer buf;
  auto msg = build_status(buf, *family, sock->next_seq());
  // A STATUS request turned into a WATCH: same header, no attributes.
  reinterpret_cast<genlmsghdr*>(buf.bytes.data() + NLMSG_HDRLEN)->cmd = COWPROBE_CMD_WATCH;
  auto r = sock->transact(std::span<std::uint8_t>(buf.bytes.data(), msg.size()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().what().find("missing"), std::string::npos) << r.error().what();
}

TEST(Errors, UnknownWatchFlagIsRejected) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock);
  auto family = resolve_family(*sock, COWPROBE_GENL_NAME);
  ASSERT_TRUE(family);
  RequestBuffer buf;
  auto msg = build_watch(buf, *family, sock->next_seq(), static_cast<std::uint32_t>(getpid()), 1);
  // The flags attribute is the last one: set a bit no kernel knows.
  std::uint32_t bad = 0x80;
  std::memcpy(buf.bytes.data() + msg.size() - sizeof(bad), &bad, sizeof(bad));
  auto r = sock->transact(std::span<std::uint8_t>(buf.bytes.data(), msg.size()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Errors, NonRootCannotWatch) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      _exit(2);
    }
    auto client = Client::open();
    if (!client) {
      _exit(3);
    }
    auto r = client->watch(getpid(), false);
    if (r || r.error().code() != EPERM) {
      _exit(4);
    }
    if (r.error().what().find("root") == std::string::npos) {
      _exit(5);
    }
    // reading stays open to everyone
    _exit(client->status() ? 0 : 6);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: setresuid, 3: open, 4: not EPERM, 5: text, 6: status";
}

TEST(Errors, CliAsNonRootSaysSo) {
  int err[2];
  ASSERT_EQ(pipe(err), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(err[1], STDERR_FILENO);
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      _exit(99);
    }
    execlp("cowprobe", "cowprobe", "stat", "--", "true", static_cast<char*>(nullptr));
    _exit(98);
  }
  close(err[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(err[0], buf, sizeof(buf))) > 0;) {
    text.append(buf, n);
  }
  close(err[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 1) << text;
  EXPECT_NE(text.find("cowprobe: "), std::string::npos) << text;
  EXPECT_NE(text.find("root"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "one line: " << text;
}

// The state letter of thread TID of this process (R, S, Z...): the field of
// /proc/self/task/TID/stat after the command's closing parenthesis.
char thread_state(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(f, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
}

// CLOCK_MONOTONIC, the clock of the records' start_ns and exit_ns.
std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// With threads refused at max_threads, the process is not over when its last
// tracked thread exits: an untracked one still runs. Its record must stay
// live, and end (exit record included) with the last thread of all.
TEST(Limits, ThreadCapProcessEndsWithItsLastThread) {
  // this test's own module instance; the default one comes back at the end
  ASSERT_EQ(std::system("rmmod cowprobe && insmod /lib/modules/cowprobe.ko max_threads=2"), 0);
  struct Restore {
    Restore() = default;
    Restore(const Restore&) = delete;
    Restore& operator=(const Restore&) = delete;
    Restore(Restore&&) = delete;
    Restore& operator=(Restore&&) = delete;
    ~Restore() { std::system("rmmod cowprobe; insmod /lib/modules/cowprobe.ko"); }
  } restore;
  auto client = Client::open();
  ASSERT_TRUE(client) << client.error().what();
  int go[2];
  int ready[2];
  int release[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(release[1]);  // the parent's end alone: its close ends t2's read
    char c = 0;
    if (read(go[0], &c, 1) != 1) {
      _exit(2);
    }
    const pid_t leader = getpid();
    // main (tracked) + t1 (tracked: 2 of 2, alive until t2 exists) + t2 (refused)
    std::latch t2_exists(1);
    std::thread t1([&t2_exists] { t2_exists.wait(); });
    std::thread t2([leader, ready_fd = ready[1], release_fd = release[0]] {
      // until the tracked threads are gone: t1 joined, the leader a zombie
      // (up to 30 s); a short write shows as a hang
      for (int i = 0; thread_state(leader) != 'Z'; i++) {
        if (i == 3000) {
          _exit(3);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      const char r = 1;
      [[maybe_unused]] const ssize_t n = write(ready_fd, &r, 1);
      // the last thread runs on until the parent has looked at the record
      char done = 0;
      [[maybe_unused]] const ssize_t m = read(release_fd, &done, 1);
      _exit(0);
    });
    t2_exists.count_down();
    t1.join();
    t2.detach();
    // the leader goes first, t2 runs on: exit(2) of this thread alone, with
    // no unwinding through the test framework (pthread_exit would)
    syscall(SYS_exit, 0);
  }
  close(go[0]);
  close(ready[1]);  // a child that dies makes the read below end
  close(release[0]);
  UniqueFd release_w(release[1]);  // closed: the child's last thread ends
  ASSERT_TRUE(client->watch(pid, false));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  char r = 0;
  ASSERT_EQ(read(ready[0], &r, 1), 1)
      << "the child ended first (exit 3: its leader no zombie in 30 s)";
  auto during = client->get(pid);
  ASSERT_TRUE(during) << during.error().what();
  EXPECT_FALSE(during->exited()) << "marked exited while an untracked thread runs";
  EXPECT_NE(during->flags & COWPROBE_PROC_F_PARTIAL, 0U);
  const std::uint64_t released_ns = monotonic_ns();
  release_w.reset();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  // the last thread's do_exit marks the record, before waitpid can reap it
  auto after = client->get(pid);
  ASSERT_TRUE(after) << after.error().what();
  EXPECT_TRUE(after->exited());
  EXPECT_GE(after->exit_ns, released_ns)
      << "the record ended before its last thread was let go: its end is not that thread's";
  EXPECT_TRUE(client->unwatch(pid));
  auto st = client->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->nr_threads, 0U);
  EXPECT_EQ(st->nr_procs, 0U);
}

}  // namespace
}  // namespace cowprobe
