// Journal lines: written one per record, read back for history queries.
#include <gtest/gtest.h>

#include "history.hpp"
#include "journal_entry.hpp"

namespace cowprobe {
namespace {

constexpr std::int64_t kTime = 1'746'100'800'123'456'789;  // 2025-05-01T12:00:00.123456789Z

TEST(FormatUtc, Microseconds) {
  EXPECT_EQ(format_utc(kTime), "2025-05-01T12:00:00.123456Z");
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00.000000Z");
}

TEST(ExitLine, OneLineThatReadsBack) {
  ExitRecord rec;
  rec.seq = 42;
  rec.proc.pid = 1234;
  rec.proc.ppid = 1;
  rec.proc.comm = "make";
  rec.proc.flags = COWPROBE_PROC_F_EXITED;
  rec.proc.exit_ns = 99;
  rec.proc.counters.set(COWPROBE_C_COPIES, 3);
  rec.proc.regions.push_back({0x1000, 0x2000, "buf", {}});
  const auto line = exit_line(rec, 2, kTime);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(line.rfind(R"({"type":"exit","epoch":2,"time":"2025-05-01T12:00:00.123456Z",)", 0), 0U)
      << line;
  auto e = parse_journal_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(e) << e.error().what();
  EXPECT_TRUE(e->is_exit());
  EXPECT_EQ(e->epoch, 2U);
  EXPECT_EQ(e->seq, 42U);
  EXPECT_EQ(e->pid, 1234U);
  EXPECT_EQ(e->comm, "make");
  EXPECT_EQ(e->time_ns, kTime);
  EXPECT_EQ(e->json["counters"]["copies"], 3);
  EXPECT_TRUE(e->json["counters"]["reuses"].is_null());  // not sent by the kernel
  EXPECT_EQ(e->json["regions"][0]["name"], "buf");
  EXPECT_FALSE(e->json.contains("mappings"));
}

TEST(ExitLine, KeepsTheMappingsOfAStatMaps) {
  ExitRecord rec;
  rec.seq = 7;
  rec.proc.pid = 99;
  MapRecord heap;
  heap.kind = COWPROBE_MAP_HEAP;
  heap.start = 0x1000;
  heap.end = 0x3000;
  heap.counters.set(COWPROBE_C_COPIES, 2);
  rec.proc.maps.push_back(heap);
  const auto line = exit_line(rec, 1, kTime);
  auto e = parse_journal_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(e) << e.error().what();
  ASSERT_EQ(e->json["mappings"].size(), 1U) << line;
  EXPECT_EQ(e->json["mappings"][0]["name"], "[heap]");
  EXPECT_EQ(e->json["mappings"][0]["copies"], 2);
}

TEST(ExitLine, InvalidUtf8InCommStillWrites) {
  ExitRecord rec;
  rec.seq = 1;
  rec.proc.pid = 1;
  rec.proc.comm = "bad\xff";
  const auto line = exit_line(rec, 1, kTime);
  EXPECT_TRUE(parse_journal_line(std::string_view(line).substr(0, line.size() - 1)));
}

TEST(GapLine, Fields) {
  const auto seq = gap_line({3, GapReason::overflow, 10, 15, 4}, kTime);
  auto e = parse_journal_line(std::string_view(seq).substr(0, seq.size() - 1));
  ASSERT_TRUE(e) << e.error().what();
  EXPECT_EQ(e->type, "gap");
  EXPECT_EQ(e->json["reason"], "overflow");
  EXPECT_EQ(e->json["missed"], 4);
  EXPECT_EQ(e->json["next_seq"], 15);
  EXPECT_EQ(e->seq, 10U);

  Gap unloaded{3, GapReason::unloaded, 20, std::nullopt, std::nullopt};
  const auto u = gap_line(unloaded, kTime);
  EXPECT_EQ(u.find("missed"), std::string::npos) << u;
  EXPECT_NE(u.find(R"("reason":"unloaded")"), std::string::npos) << u;
}

TEST(EpochLine, Fields) {
  const auto line = epoch_line(4, "module-loaded", 17, kTime);
  auto e = parse_journal_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "epoch");
  EXPECT_EQ(e->epoch, 4U);
  EXPECT_EQ(e->seq, 17U);
}

TEST(ParseJournalLine, Rejects) {
  EXPECT_FALSE(parse_journal_line("[1,2]"));
  EXPECT_FALSE(parse_journal_line("{\"time_ns\":1}"));
  EXPECT_FALSE(parse_journal_line("{\"type\":\"exit\",\"time_ns\":1}"));  // no pid, seq
  EXPECT_FALSE(parse_journal_line("{\"type\":\"gap\"}"));
  EXPECT_FALSE(parse_journal_line("{\"type\":\"exit\",\"time_ns\":1,\"pid\":1,\"se"));
  EXPECT_TRUE(parse_journal_line("{\"type\":\"future\",\"time_ns\":1}"));
}

TEST(HistoryMatch, GapsMatchOnTimeOnly) {
  HistoryQuery q;
  q.pid = 5;
  q.since_ns = 100;
  EXPECT_TRUE(matches("exit", 100, 5, "x", q));
  EXPECT_FALSE(matches("exit", 99, 5, "x", q));
  EXPECT_FALSE(matches("exit", 200, 6, "x", q));
  EXPECT_TRUE(matches("gap", 200, std::nullopt, "", q));
  EXPECT_FALSE(matches("gap", 50, std::nullopt, "", q));
  q.comm = "x";
  EXPECT_TRUE(matches("exit", 200, 5, "x", q));
  EXPECT_FALSE(matches("exit", 200, 5, "xy", q));
}

TEST(ParseSince, Forms) {
  const std::int64_t now = 1'000'000 * 1'000'000'000LL;
  EXPECT_EQ(*parse_since("@1700000000", now), 1'700'000'000 * 1'000'000'000LL);
  EXPECT_EQ(*parse_since("90s", now), now - 90'000'000'000LL);
  EXPECT_EQ(*parse_since("15m", now), now - 900'000'000'000LL);
  EXPECT_EQ(*parse_since("2h", now), now - 7200'000'000'000LL);
  EXPECT_EQ(*parse_since("1d", now), now - 86400'000'000'000LL);
  EXPECT_EQ(*parse_since("2025-05-01T12:00:00Z", now), 1'746'100'800'000'000'000LL);
  EXPECT_EQ(*parse_since("2025-05-01T12:00Z", now), 1'746'100'800'000'000'000LL);
  EXPECT_EQ(*parse_since("2025-05-01Z", now), 1'746'057'600'000'000'000LL);
  EXPECT_TRUE(parse_since("2025-05-01 12:00:00", now));  // local time
  EXPECT_TRUE(parse_since("2025-05-01", now));
}

TEST(ParseSince, BadTimesSayWhatIsAccepted) {
  for (const char* bad : {"", "yesterday", "5x", "-5m", "@", "@abc", "2025-13-45", "12:00", "m"}) {
    auto t = parse_since(bad, 0);
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().what().find("bad time"), std::string::npos) << t.error().what();
  }
}

}  // namespace
}  // namespace cowprobe
