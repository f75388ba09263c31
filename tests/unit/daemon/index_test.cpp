// The daemon's bounded in-memory index.
#include <gtest/gtest.h>

#include "index.hpp"

namespace cowprobe::daemon {
namespace {

IndexEntry exit_entry(std::uint32_t pid, std::int64_t time, const std::string& comm = "w") {
  return {"exit", time, pid, comm, "{}"};
}

TEST(Index, KeepsTheMostRecent) {
  Index index(3);
  for (std::uint32_t i = 1; i <= 5; ++i) {
    index.add(exit_entry(i, static_cast<std::int64_t>(i) * 10));
  }
  EXPECT_EQ(index.size(), 3U);
  EXPECT_FALSE(index.complete());
  auto all = index.query({});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(*all.front()->pid, 3U);
  EXPECT_EQ(*all.back()->pid, 5U);
}

TEST(Index, CoversWhatItHolds) {
  Index index(2);
  index.add(exit_entry(1, 10));
  index.add(exit_entry(2, 20));
  EXPECT_TRUE(index.complete());
  EXPECT_TRUE(index.covers({}));
  index.add(exit_entry(3, 30));
  HistoryQuery q;
  EXPECT_FALSE(index.covers(q));  // pid 1 may be asked for: the files have it
  q.since_ns = 15;
  EXPECT_FALSE(index.covers(q));
  q.since_ns = 20;
  EXPECT_TRUE(index.covers(q));
}

TEST(Index, Filters) {
  Index index(10);
  index.add(exit_entry(1, 10, "a"));
  index.add({"gap", 15, std::nullopt, "", "{}"});
  index.add(exit_entry(2, 20, "b"));
  index.add(exit_entry(1, 30, "a"));
  HistoryQuery q;
  q.pid = 1;
  EXPECT_EQ(index.query(q).size(), 3U);  // the gap as well
  q.since_ns = 16;
  ASSERT_EQ(index.query(q).size(), 1U);
  EXPECT_EQ(index.query(q)[0]->time_ns, 30);
  HistoryQuery c;
  c.comm = "b";
  EXPECT_EQ(index.query(c).size(), 2U);
}

}  // namespace
}  // namespace cowprobe::daemon
