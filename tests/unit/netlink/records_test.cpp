#include <gtest/gtest.h>

#include "records.hpp"

namespace cowprobe {
namespace {

ProcRecord record(std::uint32_t pid, std::uint64_t start_ns, std::uint64_t copies) {
  ProcRecord rec;
  rec.pid = pid;
  rec.start_ns = start_ns;
  rec.counters.set(COWPROBE_C_COPIES, copies);
  return rec;
}

// A dump that raced with a fork saw one record twice: one is kept, with the
// later (newer) counts, where it first appeared.
TEST(UniqueRecords, ARecordSeenTwiceKeepsItsLaterCopy) {
  auto out = unique_records({record(5, 100, 1), record(6, 200, 0), record(5, 100, 3)});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].pid, 5U);
  EXPECT_EQ(out[0].counters.copies, 3U);
  EXPECT_EQ(out[1].pid, 6U);
}

// A reused pid is another process: its start time tells the two apart.
TEST(UniqueRecords, AReusedPidIsAnotherProcess) {
  auto out = unique_records({record(5, 100, 1), record(5, 900, 2)});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].counters.copies, 1U);
  EXPECT_EQ(out[1].counters.copies, 2U);
}

TEST(UniqueRecords, NothingIsNothing) { EXPECT_TRUE(unique_records({}).empty()); }

}  // namespace
}  // namespace cowprobe
