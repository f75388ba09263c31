// Journal files: whole lines only, torn tails cut, rotation, reading back.
#include <fcntl.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fd.hpp"
#include "history.hpp"
#include "journal.hpp"
#include "journal_entry.hpp"
#include "temp_dir.hpp"

namespace cowprobe {
namespace {

using test::read_file;
using test::TempDir;
using test::write_file;

std::string exit_of(std::uint32_t pid, std::uint64_t seq, const std::string& comm,
                    std::int64_t time_ns) {
  ExitRecord rec;
  rec.seq = seq;
  rec.proc.pid = pid;
  rec.proc.comm = comm;
  rec.proc.counters.set(COWPROBE_C_COPIES, 4);
  return exit_line(rec, 1, time_ns);
}

std::vector<std::string> lines_of(const std::string& file) {
  std::vector<std::string> lines;
  auto r = scan_lines(file, [&](std::string_view line, std::size_t) -> Result<void> {
    lines.emplace_back(line);
    return {};
  });
  EXPECT_TRUE(r) << r.error().what();
  return lines;
}

TEST(RepairTail, CutsBackToTheLastNewline) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, "{\"a\":1}\n{\"b\":2}\n{\"c\":");
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  auto cut = repair_tail(fd.get());
  ASSERT_TRUE(cut) << cut.error().what();
  EXPECT_EQ(*cut, 5U);
  EXPECT_EQ(read_file(path), "{\"a\":1}\n{\"b\":2}\n");
}

TEST(RepairTail, WholeLinesAreLeftAlone) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, "x\n");
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  EXPECT_EQ(*repair_tail(fd.get()), 0U);
  EXPECT_EQ(read_file(path), "x\n");
}

TEST(RepairTail, NoNewlineAtAllEmptiesTheFile) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, std::string(200000, 'x'));  // longer than one read chunk
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  EXPECT_EQ(*repair_tail(fd.get()), 200000U);
  EXPECT_EQ(read_file(path), "");
}

TEST(RepairTail, NewlineFarBack) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, "first\n" + std::string(150000, 'y'));
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  EXPECT_EQ(*repair_tail(fd.get()), 150000U);
  EXPECT_EQ(read_file(path), "first\n");
}

TEST(JournalWriter, AppendsAndRepairsOnOpen) {
  TempDir dir;
  const auto path = dir.file("sub/dir/exits.jsonl");
  {
    auto w = JournalWriter::open({path, 0, 1, std::nullopt});
    ASSERT_TRUE(w) << w.error().what();
    ASSERT_TRUE(w->append("one\n"));
    ASSERT_TRUE(w->append("two\n"));
    EXPECT_EQ(w->size(), 8U);
  }
  // A crash in the middle of a line (which one write() per line prevents,
  // but a power cut may not).
  write_file(path, read_file(path) + "thr");
  auto w = JournalWriter::open({path, 0, 1, std::nullopt});
  ASSERT_TRUE(w) << w.error().what();
  EXPECT_EQ(w->repaired(), 3U);
  ASSERT_TRUE(w->append("three\n"));
  EXPECT_EQ(read_file(path), "one\ntwo\nthree\n");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(JournalWriter, RotatesBySize) {
  TempDir dir;
  const auto path = dir.file("j");
  auto w = JournalWriter::open({path, 10, 2, std::nullopt});
  ASSERT_TRUE(w) << w.error().what();
  for (const char* line : {"aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n", "gggg\n"}) {
    ASSERT_TRUE(w->append(line));
  }
  EXPECT_EQ(read_file(path), "gggg\n");
  EXPECT_EQ(read_file(path + ".1"), "eeee\nffff\n");
  EXPECT_EQ(read_file(path + ".2"), "cccc\ndddd\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
  EXPECT_EQ(journal_files(path), (std::vector<std::string>{path + ".2", path + ".1", path}));
}

TEST(JournalWriter, ReopenFollowsAMovedFile) {
  TempDir dir;
  const auto path = dir.file("j");
  auto w = JournalWriter::open({path, 0, 1, std::nullopt});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->append("old\n"));
  std::filesystem::rename(path, path + ".moved");
  ASSERT_TRUE(w->reopen());
  ASSERT_TRUE(w->append("new\n"));
  EXPECT_EQ(read_file(path), "new\n");
  EXPECT_EQ(read_file(path + ".moved"), "old\n");
}

TEST(ScanLines, SkipsATornTail) {
  TempDir dir;
  const auto path = dir.file("j");
  std::string long_line(100000, 'z');  // across read chunks
  write_file(path, "a\n" + long_line + "\n\nb\ntorn");
  std::vector<std::string> seen;
  auto r = scan_lines(path, [&](std::string_view line, std::size_t number) -> Result<void> {
    seen.emplace_back(std::to_string(number) + ":" + std::string(line.substr(0, 3)));
    return {};
  });
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r->torn_tail);
  EXPECT_EQ(r->lines, 4U);
  EXPECT_EQ(seen, (std::vector<std::string>{"1:a", "2:zzz", "3:", "4:b"}));
  EXPECT_EQ(lines_of(path)[1].size(), long_line.size());
}

TEST(ReadHistory, FiltersAcrossRotatedFiles) {
  TempDir dir;
  const auto path = dir.file("j");
  auto w = JournalWriter::open({path, 700, 10, std::nullopt});
  ASSERT_TRUE(w);
  for (std::uint32_t i = 1; i <= 6; ++i) {
    ASSERT_TRUE(w->append(
        exit_of(100 + i, i, i % 2 == 0 ? "even" : "odd", static_cast<std::int64_t>(i) * 1000)));
  }
  ASSERT_TRUE(w->append(gap_line({1, GapReason::overflow, 6, 9, 2}, 6500)));
  ASSERT_TRUE(w->append(exit_of(109, 9, "odd", 7000)));
  ASSERT_GT(journal_files(path).size(), 1U);

  auto all = read_history(path, {});
  ASSERT_TRUE(all) << all.error().what();
  EXPECT_EQ(all->records, 7U);
  ASSERT_EQ(all->entries.size(), 8U);
  EXPECT_EQ(all->entries.front().pid, 101U);  // oldest first
  EXPECT_EQ(all->entries[6].type, "gap");

  HistoryQuery by_comm;
  by_comm.comm = "even";
  auto even = read_history(path, by_comm);
  ASSERT_TRUE(even);
  EXPECT_EQ(even->records, 3U);
  EXPECT_EQ(even->entries.size(), 4U);  // the gap too: a record may be missing

  HistoryQuery by_pid;
  by_pid.pid = 104;
  auto one = read_history(path, by_pid);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->records, 1U);
  EXPECT_EQ(one->entries[0].json["seq"], 4);

  HistoryQuery since;
  since.since_ns = 5000;
  since.comm = "odd";
  auto late = read_history(path, since);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->records, 2U);  // pid 105 and 109

  HistoryQuery limited;
  limited.limit = 2;
  auto last = read_history(path, limited);
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->truncated);
  EXPECT_EQ(last->entries.size(), 2U);
  EXPECT_EQ(last->records, 1U);
}

TEST(ReadHistory, BadLineNamesFileAndLine) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, exit_of(1, 1, "a", 1) + "not json\n");
  auto h = read_history(path, {});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), EBADMSG);
  EXPECT_NE(h.error().what().find(path + ":2:"), std::string::npos) << h.error().what();
}

TEST(ReadHistory, TornTailIsSkipped) {
  TempDir dir;
  const auto path = dir.file("j");
  write_file(path, exit_of(1, 1, "a", 1) + R"({"type":"exit","pi)");
  auto h = read_history(path, {});
  ASSERT_TRUE(h) << h.error().what();
  EXPECT_EQ(h->records, 1U);
  EXPECT_EQ(h->torn_lines, 1U);
}

TEST(ReadHistory, MissingJournal) {
  TempDir dir;
  auto h = read_history(dir.file("none"), {});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), ENOENT);
  EXPECT_EQ(h.error().what(), "no journal at " + dir.file("none"));
}

}  // namespace
}  // namespace cowprobe
