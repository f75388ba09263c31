// Gap detection over made-up sequences of exit record numbers.
#include <gtest/gtest.h>

#include "seq_tracker.hpp"

namespace cowprobe::daemon {
namespace {

using Kind = SeqTracker::Outcome::Kind;

TEST(SeqTracker, InOrderFromTheStart) {
  SeqTracker t;
  t.start(1, GapReason::seq);
  for (std::uint64_t s = 1; s <= 100; ++s) {
    EXPECT_EQ(t.observe(s).kind, Kind::in_order) << s;
  }
  EXPECT_EQ(t.last(), 100U);
}

TEST(SeqTracker, JumpIsAGapOfTheMissingCount) {
  SeqTracker t;
  t.start(1, GapReason::seq);
  (void)t.observe(1);
  (void)t.observe(2);
  auto o = t.observe(6);
  EXPECT_EQ(o.kind, Kind::gap);
  EXPECT_EQ(o.after_seq, 2U);
  EXPECT_EQ(o.missed, 3U);
  EXPECT_EQ(o.reason, GapReason::seq);
  EXPECT_EQ(t.observe(7).kind, Kind::in_order);
}

TEST(SeqTracker, OverflowNamesTheNextGap) {
  SeqTracker t;
  t.start(1, GapReason::seq);
  (void)t.observe(1);
  t.overflowed();
  auto o = t.observe(10);
  EXPECT_EQ(o.kind, Kind::gap);
  EXPECT_EQ(o.reason, GapReason::overflow);
  EXPECT_EQ(o.missed, 8U);
  // Only that one.
  EXPECT_EQ(t.observe(12).reason, GapReason::seq);
}

TEST(SeqTracker, OverflowIsReportedBeforeTheQueuedRecords) {
  // recvmsg() says ENOBUFS first, then returns what the socket still held.
  SeqTracker t;
  t.start(1, GapReason::seq);
  (void)t.observe(1);
  t.overflowed();
  EXPECT_EQ(t.observe(2).kind, Kind::in_order);
  EXPECT_EQ(t.observe(3).kind, Kind::in_order);
  auto o = t.observe(9);
  EXPECT_EQ(o.reason, GapReason::overflow);
  EXPECT_EQ(o.missed, 5U);
  EXPECT_EQ(t.observe(11).reason, GapReason::seq);
}

TEST(SeqTracker, RecordsMadeBetweenJoinAndStatusAreFine) {
  // Joined when the module was at 50, STATUS said 53: 51..53 arrive too.
  SeqTracker t;
  t.start(54, GapReason::seq);
  EXPECT_EQ(t.observe(51).kind, Kind::in_order);
  EXPECT_EQ(t.observe(52).kind, Kind::in_order);
}

TEST(SeqTracker, FirstRecordLaterThanExpected) {
  // A restarted daemon whose journal ends at 100: the records the killed
  // daemon's socket held were lost.
  SeqTracker t;
  t.start(101, GapReason::restart);
  auto o = t.observe(104);
  EXPECT_EQ(o.kind, Kind::gap);
  EXPECT_EQ(o.reason, GapReason::restart);
  EXPECT_EQ(o.after_seq, 100U);
  EXPECT_EQ(o.missed, 3U);
}

TEST(SeqTracker, BackwardsIsARestart) {
  SeqTracker t;
  t.start(1, GapReason::seq);
  (void)t.observe(1);
  (void)t.observe(2);
  auto o = t.observe(1);
  EXPECT_EQ(o.kind, Kind::restart);
  EXPECT_EQ(o.after_seq, 2U);
  EXPECT_EQ(t.last(), 2U);  // unchanged until the caller starts again
  t.start(1, GapReason::seq);
  EXPECT_EQ(t.observe(1).kind, Kind::in_order);
}

TEST(SeqTracker, NewEpochAfterReload) {
  SeqTracker t;
  t.start(1, GapReason::seq);
  for (std::uint64_t s = 1; s <= 5; ++s) {
    (void)t.observe(s);
  }
  t.start(1, GapReason::seq);  // insmod: numbering from 1 again
  EXPECT_FALSE(t.last());
  EXPECT_EQ(t.observe(1).kind, Kind::in_order);
  EXPECT_EQ(t.observe(2).kind, Kind::in_order);
}

}  // namespace
}  // namespace cowprobe::daemon
