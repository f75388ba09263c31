#include <gtest/gtest.h>

#include "format.hpp"
#include "proc_record.hpp"

namespace cowprobe::cli {
namespace {

using cowprobe::test_support::proc;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

TEST(Format, TotalsSumEveryProcess) {
  const std::vector<ProcRecord> recs{proc(10, 1, 3, 4), proc(11, 2, 60, 0)};
  const Counters sum = totals(recs);
  EXPECT_EQ(sum.copies, 63U);
  EXPECT_EQ(sum.reuses, 4U);
  EXPECT_EQ(sum.wp_faults, 67U);
  EXPECT_TRUE(sum.has(COWPROBE_C_COPIES));
  EXPECT_FALSE(sum.has(COWPROBE_C_OTHER));
}

// A root into which the module folded exited members: their counts are in
// the totals, and the table says how many processes they were.
TEST(Format, FoldedProcessesCountInTotalsAndTable) {
  std::vector<ProcRecord> recs{proc(10, 1, 3, 4), proc(11, 2, 60, 0)};
  recs[0].nr_folded = 5;
  recs[0].folded.set(COWPROBE_C_COPIES, 100);
  recs[0].folded.set(COWPROBE_C_WP_FAULTS, 100);
  const Counters sum = totals(recs);
  EXPECT_EQ(sum.copies, 163U);
  EXPECT_EQ(sum.wp_faults, 167U);
  const auto l = lines(format_proc_table(recs, false));
  ASSERT_GE(l.size(), 6U);
  EXPECT_EQ(l[2],
            "        +5 exited  (folded)                100          -          -        100");
  EXPECT_EQ(l[4],
            "      7 processes  total                   163          4          0        167");
  EXPECT_NE(l[5].find("(folded)"), std::string::npos) << l[5];
}

TEST(Format, TableRowsAndTotalsRow) {
  std::vector<ProcRecord> recs{proc(11, 2, 60, 0), proc(10, 1, 3, 4)};
  sort_by_start(recs);
  const auto l = lines(format_proc_table(recs, false));
  ASSERT_EQ(l.size(), 4U);
  EXPECT_EQ(l[0],
            "     PID     PPID  COMM                 COPIES     REUSES ZERO-FILLS  WP-FAULTS");
  EXPECT_EQ(l[1],
            "      10        1  p10                       3          4          0          7");
  EXPECT_EQ(l[2],
            "      11        1  p11                      60          0          0         60");
  EXPECT_EQ(l[3],
            "      2 processes  total                    63          4          0         67");
}

TEST(Format, AbsentCountersShowADash) {
  ProcRecord rec;
  rec.pid = 5;
  rec.comm = "x";
  rec.counters.set(COWPROBE_C_COPIES, 1);
  const auto l = lines(format_proc_table({rec}, false));
  ASSERT_EQ(l.size(), 3U);
  EXPECT_EQ(l[1],
            "       5        0  x                         1          -          -          -");
  EXPECT_EQ(l[2].substr(0, 24), "        1 process  total");
}

TEST(Format, ThreadRows) {
  ProcRecord rec = proc(10, 1, 3, 4);
  ThreadRecord t;
  t.tid = 12;
  t.counters.set(COWPROBE_C_COPIES, 3);
  rec.threads.push_back(t);
  const auto l = lines(format_proc_table({rec}, true));
  ASSERT_EQ(l.size(), 4U);
  EXPECT_NE(l[2].find("  tid 12"), std::string::npos) << l[2];
}

// The memory line: what the pools hold now, growing with use to the limits.
TEST(Format, StatusMemoryOfPoolsThatGrow) {
  Status s;
  s.limit_procs = 4096;
  s.limit_threads = 16384;
  s.proc_bytes = 4224;
  s.thread_bytes = 320;
  s.nr_procs = 3;
  s.procs_allocated = 256;
  s.threads_allocated = 256;
  s.refused_procs = 2;
  s.pool_behind = 2;
  const std::string text = format_status(s);
  // 256 x 4,224 B = 1,056 KiB, 256 x 320 B = 80 KiB
  EXPECT_NE(text.find("memory:    1136 KiB allocated, growing with use to the limits: 256 "
                      "process records of 4224 bytes (12 KiB in use), 256 thread records"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("refused:   2 processes, 0 threads (limits reached, or 2 while a pool "
                      "was growing)"),
            std::string::npos)
      << text;
  s.procs_allocated.reset();
  s.threads_allocated.reset();
  EXPECT_NE(format_status(s).find("memory:    22016 KiB preallocated at load: 4096 process"),
            std::string::npos);
}

}  // namespace
}  // namespace cowprobe::cli
