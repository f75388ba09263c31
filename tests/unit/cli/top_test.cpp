#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <sstream>

#include "app.hpp"
#include "cli_parse.hpp"
#include "proc_record.hpp"
#include "terminal.hpp"
#include "top_model.hpp"

namespace cowprobe::cli {
namespace {

constexpr std::uint64_t kSecond = 1000000000;

using cowprobe::test_support::proc;

ProcRecord exited(ProcRecord rec) {
  rec.flags |= COWPROBE_PROC_F_EXITED;
  return rec;
}

const ProcRow* find(const TopFrame& f, std::uint32_t pid) {
  for (const auto& row : f.rows) {
    if (row.pid == pid) {
      return &row;
    }
  }
  return nullptr;
}

std::vector<std::uint32_t> pids(const std::vector<ProcRow>& rows) {
  std::vector<std::uint32_t> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(r.pid);
  }
  return out;
}

TEST(TopModel, RatesAreDeltasOverElapsedSeconds) {
  const Snapshot prev{10 * kSecond, {proc(10, 1, 100, 50, 4), proc(11, 2, 0, 0)}};
  const Snapshot cur{12 * kSecond, {proc(10, 1, 300, 51, 10), proc(11, 2, 0, 0)}};
  const TopFrame f = compute_frame(prev, cur);
  EXPECT_DOUBLE_EQ(f.seconds, 2.0);
  ASSERT_EQ(f.rows.size(), 2U);
  const ProcRow* p = find(f, 10);
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->rates.copies, 100.0);
  EXPECT_DOUBLE_EQ(p->rates.reuses, 0.5);
  EXPECT_DOUBLE_EQ(p->rates.zero_fills, 3.0);
  EXPECT_DOUBLE_EQ(p->rates.wp_faults, 103.5);
  EXPECT_EQ(p->copies, 300U);
  EXPECT_FALSE(p->exited);
  EXPECT_DOUBLE_EQ(f.total.copies, 100.0);
  EXPECT_DOUBLE_EQ(f.total.wp_faults, 103.5);
  EXPECT_EQ(f.live, 2U);
}

TEST(TopModel, NewProcessCountsAllHappenedInTheInterval) {
  const Snapshot prev{0, {proc(10, 1, 100, 0)}};
  const Snapshot cur{kSecond / 2, {proc(10, 1, 100, 0), proc(12, 5, 64, 2)}};
  const TopFrame f = compute_frame(prev, cur);
  const ProcRow* p = find(f, 12);
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->rates.copies, 128.0);
  EXPECT_DOUBLE_EQ(p->rates.reuses, 4.0);
  EXPECT_DOUBLE_EQ(f.total.copies, 128.0);
}

TEST(TopModel, ReusedPidIsANewProcess) {
  const Snapshot prev{0, {proc(10, 1, 100, 0)}};
  const Snapshot cur{kSecond, {proc(10, 7, 30, 0)}};
  const TopFrame f = compute_frame(prev, cur);
  ASSERT_EQ(f.rows.size(), 1U);
  EXPECT_DOUBLE_EQ(f.rows[0].rates.copies, 30.0);
}

TEST(TopModel, ResetCounterCountsFromZero) {
  const Snapshot prev{0, {proc(10, 1, 100, 0)}};
  const Snapshot cur{kSecond, {proc(10, 1, 7, 0)}};
  EXPECT_DOUBLE_EQ(compute_frame(prev, cur).rows.at(0).rates.copies, 7.0);
}

TEST(TopModel, ExitedProcessShownOnceThenGone) {
  const Snapshot s0{0, {proc(10, 1, 0, 0), proc(11, 2, 0, 0)}};
  const Snapshot s1{kSecond, {proc(10, 1, 5, 0), exited(proc(11, 2, 40, 0))}};
  const Snapshot s2{2 * kSecond, {proc(10, 1, 6, 0), exited(proc(11, 2, 40, 0))}};

  const TopFrame f1 = compute_frame(s0, s1);
  ASSERT_EQ(f1.rows.size(), 2U);
  const ProcRow* gone = find(f1, 11);
  ASSERT_NE(gone, nullptr);
  EXPECT_TRUE(gone->exited);
  EXPECT_DOUBLE_EQ(gone->rates.copies, 40.0);
  EXPECT_EQ(f1.live, 1U);
  EXPECT_DOUBLE_EQ(f1.total.copies, 45.0);

  const TopFrame f2 = compute_frame(s1, s2);
  EXPECT_EQ(pids(f2.rows), (std::vector<std::uint32_t>{10}));
  EXPECT_EQ(f2.exited_earlier, 1U);
  EXPECT_DOUBLE_EQ(f2.total.copies, 1.0);
}

TEST(TopModel, ProcessBornAndExitedInTheIntervalIsShownOnce) {
  const Snapshot prev{0, {}};
  const Snapshot cur{kSecond, {exited(proc(20, 3, 256, 0))}};
  const TopFrame f = compute_frame(prev, cur);
  ASSERT_EQ(f.rows.size(), 1U);
  EXPECT_TRUE(f.rows[0].exited);
  EXPECT_DOUBLE_EQ(f.rows[0].rates.copies, 256.0);
  EXPECT_EQ(f.live, 0U);
}

TEST(TopModel, RecordDroppedByTheModuleDisappears) {
  const Snapshot prev{0, {proc(10, 1, 0, 0), proc(11, 2, 9, 0)}};
  const Snapshot cur{kSecond, {proc(10, 1, 2, 0)}};
  const TopFrame f = compute_frame(prev, cur);
  EXPECT_EQ(pids(f.rows), (std::vector<std::uint32_t>{10}));
  EXPECT_DOUBLE_EQ(f.total.copies, 2.0);
}

TEST(TopModel, SameSnapshotGivesZeroRates) {
  const Snapshot s{kSecond, {proc(10, 1, 50, 0)}};
  const TopFrame f = compute_frame(s, s);
  EXPECT_DOUBLE_EQ(f.seconds, 0.0);
  ASSERT_EQ(f.rows.size(), 1U);
  EXPECT_DOUBLE_EQ(f.rows[0].rates.copies, 0.0);
  EXPECT_EQ(f.rows[0].copies, 50U);
}

TEST(TopModel, NoProcessesIsZeroNotUnobservable) {
  const TopFrame f = compute_frame(Snapshot{0, {}}, Snapshot{kSecond, {}});
  const auto l = render_frame(f, TopHeader{}, 0, 0);
  EXPECT_EQ(l[2], "total/s: copies 0.0, reuses 0.0, zero fills 0.0, wp faults 0.0");
}

TEST(TopModel, SortByEachKey) {
  const Snapshot prev{0, {}};
  const Snapshot cur{kSecond, {proc(30, 1, 5, 9), proc(10, 2, 7, 1), proc(20, 3, 7, 0, 20)}};
  TopFrame f = compute_frame(prev, cur);
  sort_rows(f.rows, SortKey::copies);  // tie 10/20 broken by pid
  EXPECT_EQ(pids(f.rows), (std::vector<std::uint32_t>{10, 20, 30}));
  sort_rows(f.rows, SortKey::reuses);
  EXPECT_EQ(pids(f.rows), (std::vector<std::uint32_t>{30, 10, 20}));
  sort_rows(f.rows, SortKey::faults);
  EXPECT_EQ(pids(f.rows), (std::vector<std::uint32_t>{20, 30, 10}));
  sort_rows(f.rows, SortKey::pid);
  EXPECT_EQ(pids(f.rows), (std::vector<std::uint32_t>{10, 20, 30}));
}

TEST(TopModel, SortKeysCycleAndParse) {
  EXPECT_EQ(next_sort_key(SortKey::copies), SortKey::reuses);
  EXPECT_EQ(next_sort_key(SortKey::reuses), SortKey::faults);
  EXPECT_EQ(next_sort_key(SortKey::faults), SortKey::pid);
  EXPECT_EQ(next_sort_key(SortKey::pid), SortKey::copies);
  EXPECT_EQ(parse_sort_key("faults"), SortKey::faults);
  EXPECT_FALSE(parse_sort_key("cpu"));
  EXPECT_EQ(sort_key_name(SortKey::reuses), "reuses");
}

TopHeader header() {
  TopHeader h;
  h.version = "0.1.0";
  h.nr_procs = 3;
  h.exits_sent = 12;
  h.exits_dropped = 1;
  return h;
}

TEST(TopRender, HeaderColumnsAndRows) {
  const Snapshot prev{0, {proc(10, 1, 0, 0), proc(11, 2, 0, 0)}};
  const Snapshot cur{2 * kSecond, {proc(10, 1, 3, 1), exited(proc(11, 2, 64, 0))}};
  TopFrame f = compute_frame(prev, cur);
  sort_rows(f.rows, SortKey::copies);
  const auto l = render_frame(f, header(), 0, 0);
  ASSERT_EQ(l.size(), 8U);
  EXPECT_EQ(l[0],
            "cowprobe top - module 0.1.0, 3 records tracked, exit records: 12 sent, 1 dropped");
  EXPECT_EQ(l[1], "processes: 1 running, 1 exited in the last 2.00 s, 0 before");
  EXPECT_EQ(l[2], "total/s: copies 33.5, reuses 0.5, zero fills 0.0, wp faults 34.0");
  EXPECT_EQ(l[3], "sort: copies");
  EXPECT_EQ(l[4], "");
  EXPECT_EQ(l[5],
            "     PID     PPID S COMM               COPIES/s   REUSES/s ZEROFILL/s  WPFAULT/s "
            "      COPIES");
  EXPECT_EQ(l[6],
            "      11        1 X p11                    32.0        0.0        0.0       32.0 "
            "          64");
  EXPECT_EQ(l[7],
            "      10        1   p10                     1.5        0.5        0.0        2.0 "
            "           3");
}

TEST(TopRender, InteractiveHeaderNamesTheKeys) {
  TopHeader h = header();
  h.interactive = true;
  h.sort = SortKey::pid;
  h.root = 42;
  h.track_all = true;
  const auto l = render_frame(TopFrame{}, h, 0, 0);
  EXPECT_NE(l[0].find(", track_all on, tree of 42"), std::string::npos) << l[0];
  EXPECT_EQ(l[3], "sort: pid (s: next sort key, q: quit)");
  EXPECT_EQ(l[4], "");
  h.note = "1 refresh skipped";
  const auto noted = render_frame(TopFrame{}, h, 0, 0);
  ASSERT_EQ(noted.size(), l.size());
  EXPECT_EQ(noted[4], "1 refresh skipped");
}

TEST(TopRender, AbsentClassIsADash) {
  ProcRecord rec;
  rec.pid = 5;
  rec.comm = "x";
  rec.counters.set(COWPROBE_C_COPIES, 4);
  const TopFrame f = compute_frame(Snapshot{0, {}}, Snapshot{kSecond, {rec}});
  const auto l = render_frame(f, header(), 0, 0);
  EXPECT_EQ(l[2], "total/s: copies 4.0, reuses -, zero fills -, wp faults -");
  EXPECT_EQ(l[6],
            "       5        0   x                       4.0          -          -          - "
            "           4");
}

TEST(TopRender, LinesAreCutToTheWidth) {
  const TopFrame f = compute_frame(Snapshot{0, {}}, Snapshot{kSecond, {proc(10, 1, 3, 0)}});
  for (const std::size_t width : {1U, 20U, 80U}) {
    const auto l = render_frame(f, header(), width, 0);
    ASSERT_EQ(l.size(), 7U);
    for (const auto& line : l) {
      EXPECT_LE(line.size(), width) << line;
    }
    EXPECT_EQ(l[6], std::string("      10        1   p10                     3.0        0.0        "
                                "0.0        3.0            3")
                        .substr(0, width));
  }
}

TEST(TopRender, RowsThatDoNotFitBecomeOneLine) {
  std::vector<ProcRecord> procs;
  for (std::uint32_t pid = 1; pid <= 10; pid++) {
    procs.push_back(proc(pid, pid, pid, 0));
  }
  TopFrame f = compute_frame(Snapshot{0, {}}, Snapshot{kSecond, procs});
  sort_rows(f.rows, SortKey::copies);
  const auto l = render_frame(f, header(), 0, 10);
  ASSERT_EQ(l.size(), 10U);
  EXPECT_EQ(l[6].substr(0, 8), "      10");
  EXPECT_EQ(l[8].substr(0, 8), "       8");
  EXPECT_EQ(l[9], "... 7 more processes");
  // Exactly enough room: no "more" line.
  EXPECT_EQ(render_frame(f, header(), 0, 16).back().substr(0, 8), "       1");
  // Smaller than the header: cut, never longer than the screen.
  EXPECT_EQ(render_frame(f, header(), 0, 3).size(), 3U);
}

TEST(TopRender, CommCannotEscapeToTheTerminal) {
  ProcRecord rec = proc(10, 1, 0, 0);
  rec.comm = "a\x1b[2Jb\xc3\xa9";
  const TopFrame f = compute_frame(Snapshot{0, {}}, Snapshot{kSecond, {rec}});
  const auto l = render_frame(f, header(), 0, 0);
  EXPECT_NE(l[6].find(" a?[2Jb?? "), std::string::npos) << l[6];
}

TEST(TopPaint, PositionsEveryLineAndClearsTheRest) {
  EXPECT_EQ(paint({"ab", "c"}, 5), "\x1b[1;1H\x1b[2Kab\x1b[2;1H\x1b[2Kc\x1b[3;1H\x1b[J");
  // A full screen: nothing written below the last line (it would scroll).
  EXPECT_EQ(paint({"ab", "c"}, 2), "\x1b[1;1H\x1b[2Kab\x1b[2;1H\x1b[2Kc");
}

// A pseudo-terminal pair: the view writes to the pts, the test reads the
// master.
struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

Pty open_pty() {
  Pty p;
  p.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!p.master.valid() || ::grantpt(p.master.get()) != 0 || ::unlockpt(p.master.get()) != 0) {
    return p;
  }
  const char* name = ::ptsname(p.master.get());
  if (name != nullptr) {
    p.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  }
  return p;
}

std::string drain(int fd) {
  std::string out;
  std::array<char, 256> buf{};
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  return out;
}

bool same_settings(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
         a.c_lflag == b.c_lflag &&
         std::equal(std::begin(a.c_cc), std::end(a.c_cc), std::begin(b.c_cc));
}

TEST(TopTerminal, RawKeysAndScreenAreUndoneExactly) {
  const Pty pty = open_pty();
  ASSERT_TRUE(pty.slave.valid());
  termios before{};
  ASSERT_EQ(::tcgetattr(pty.slave.get(), &before), 0);
  {
    auto raw = RawTerminal::enter(pty.slave.get(), pty.slave.get());
    ASSERT_TRUE(raw) << raw.error().what();
    const RawTerminal moved(std::move(raw).value());
    termios during{};
    ASSERT_EQ(::tcgetattr(pty.slave.get(), &during), 0);
    EXPECT_EQ(during.c_lflag & (ICANON | ECHO | ISIG), 0U);
    EXPECT_EQ(during.c_cc[VMIN], 0);
    EXPECT_EQ(drain(pty.master.get()).rfind("\x1b[?1049h\x1b[?25l", 0), 0U);
  }
  termios after{};
  ASSERT_EQ(::tcgetattr(pty.slave.get(), &after), 0);
  EXPECT_TRUE(same_settings(before, after));
  EXPECT_EQ(drain(pty.master.get()), "\x1b[?25h\x1b[?1049l");
}

TEST(TopTerminal, SizeOfATerminalOnly) {
  const Pty pty = open_pty();
  ASSERT_TRUE(pty.slave.valid());
  const winsize ws{40, 120, 0, 0};
  ASSERT_EQ(::ioctl(pty.master.get(), TIOCSWINSZ, &ws), 0);
  const auto size = terminal_size(pty.slave.get());
  ASSERT_TRUE(size);
  EXPECT_EQ(size->cols, 120U);
  EXPECT_EQ(size->rows, 40U);
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  EXPECT_FALSE(terminal_size(pipe->read.get()));
}

TEST(TopTerminal, SignalsArriveOnTheFdAndTheMaskComesBack) {
  sigset_t before;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &before), 0);
  {
    auto signals = SignalFd::open({SIGWINCH, SIGUSR1});
    ASSERT_TRUE(signals) << signals.error().what();
    EXPECT_FALSE(signals->take());
    ASSERT_EQ(::raise(SIGWINCH), 0);
    EXPECT_EQ(signals->take(), SIGWINCH);
    EXPECT_FALSE(signals->take());
  }
  sigset_t after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  EXPECT_EQ(sigismember(&after, SIGWINCH), sigismember(&before, SIGWINCH));
  EXPECT_EQ(sigismember(&after, SIGUSR1), sigismember(&before, SIGUSR1));
}

using test_support::parse;

TEST(TopCli, Defaults) {
  auto p = parse({"top"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_EQ(p.opts.command, Command::top);
  EXPECT_DOUBLE_EQ(p.opts.top.interval, 1.0);
  EXPECT_EQ(p.opts.top.iterations, 0U);
  EXPECT_FALSE(p.opts.top.batch);
  EXPECT_FALSE(p.opts.top.pid);
  EXPECT_EQ(p.opts.top.sort, "copies");
  EXPECT_FALSE(p.opts.top.all);
}

TEST(TopCli, EveryOption) {
  auto p = parse({"top", "--batch", "--interval", "0.5", "--iterations", "2", "--pid", "42",
                  "--sort", "reuses"});
  ASSERT_FALSE(p.exit) << p.err;
  EXPECT_TRUE(p.opts.top.batch);
  EXPECT_DOUBLE_EQ(p.opts.top.interval, 0.5);
  EXPECT_EQ(p.opts.top.iterations, 2U);
  EXPECT_EQ(p.opts.top.pid, 42);
  EXPECT_EQ(p.opts.top.sort, "reuses");
}

TEST(TopCli, AllExcludesPid) {
  auto all = parse({"top", "--all"});
  ASSERT_FALSE(all.exit) << all.err;
  EXPECT_TRUE(all.opts.top.all);
  auto both = parse({"top", "--all", "--pid", "3"});
  ASSERT_TRUE(both.exit);
  EXPECT_EQ(*both.exit, kExitUsage);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST(TopCli, BadValuesAreOneLineUsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"top", "--interval", "0"},
                                                                {"top", "--interval", "-1"},
                                                                {"top", "--interval", "abc"},
                                                                {"top", "--interval", "nan"},
                                                                {"top", "--sort", "cpu"},
                                                                {"top", "--pid", "0"},
                                                                {"top", "--iterations", "-2"}}) {
    auto p = parse(args);
    ASSERT_TRUE(p.exit) << args[2];
    EXPECT_EQ(*p.exit, kExitUsage) << args[2];
    EXPECT_EQ(p.err.rfind("cowprobe: ", 0), 0U) << p.err;
  }
  EXPECT_NE(parse({"top", "-d", "0"}).err.find("interval must be 0.1 to 3600 seconds, not '0'"),
            std::string::npos);
}

}  // namespace
}  // namespace cowprobe::cli
