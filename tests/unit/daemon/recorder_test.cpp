// The daemon's journal logic: epochs, gaps, continuing after a restart.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "history.hpp"
#include "recorder.hpp"
#include "temp_dir.hpp"

namespace cowprobe::daemon {
namespace {

using test::TempDir;

ExitRecord rec(std::uint64_t seq, std::uint32_t pid = 100) {
  ExitRecord r;
  r.seq = seq;
  r.proc.pid = pid;
  r.proc.comm = "w";
  return r;
}

// The recorder logs what it does on stderr: kept out of the test output.
struct Fixture {
  Fixture() { testing::internal::CaptureStderr(); }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
  Fixture(Fixture&&) = delete;
  Fixture& operator=(Fixture&&) = delete;
  ~Fixture() { (void)testing::internal::GetCapturedStderr(); }

  TempDir dir;
  std::string path = dir.file("exits.jsonl");
  std::vector<IndexEntry> sunk;

  Recorder make(JournalState state = {}) {
    auto w = JournalWriter::open({path, 0, 1, std::nullopt});
    EXPECT_TRUE(w) << w.error().what();
    return {std::move(w).value(), state, [this](const IndexEntry& e) { sunk.push_back(e); }};
  }
  // "type:detail" per journal line.
  [[nodiscard]] std::vector<std::string> journal() const {
    std::vector<std::string> out;
    auto h = read_history(path, {});
    EXPECT_TRUE(h) << h.error().what();
    for (const auto& e : h->entries) {
      std::string s = e.type + ":" + std::to_string(e.epoch) + ":" + std::to_string(e.seq);
      if (e.type == "gap") {
        s += ":" + e.json.value("reason", "") + ":" + std::to_string(e.json.value("missed", -1));
      }
      out.push_back(s);
    }
    return out;
  }
  [[nodiscard]] JournalState last_state() const {
    auto h = read_history(path, {});
    return journal_state(h->entries.empty() ? std::nullopt
                                            : std::optional<JournalEntry>(h->entries.back()));
  }
};

TEST(Recorder, EpochsAndGaps) {
  Fixture f;
  auto r = f.make();
  r.joined(0, 1);
  r.record(rec(1), 2, 2);
  r.record(rec(2), 3, 3);
  r.overflow();
  r.record(rec(5), 4, 4);
  r.left(5);
  r.joined(0, 6);  // insmod: numbering from 1
  r.record(rec(1), 7, 7);
  EXPECT_EQ(f.journal(),
            (std::vector<std::string>{"epoch:1:0", "exit:1:1", "exit:1:2", "gap:1:2:overflow:2",
                                      "exit:1:5", "gap:1:5:unloaded:-1", "epoch:2:0", "exit:2:1"}));
  EXPECT_EQ(r.stats().records, 4U);
  EXPECT_EQ(r.stats().gaps, 2U);
  EXPECT_EQ(r.stats().missed, 2U);
  EXPECT_EQ(r.stats().overflows, 1U);
  EXPECT_EQ(r.stats().epochs, 2U);
  ASSERT_EQ(f.sunk.size(), 8U);
  EXPECT_EQ(f.sunk[1].pid, 100U);
  EXPECT_NE(f.sunk[1].line.back(), '\n');
}

// STATUS's refusal totals: counted from the first reading after joining, a
// line when they grew, none when they did not, and a journal ending in one
// still continues its epoch after the last exit record.
TEST(Recorder, RefusedProcessesGetALine) {
  Fixture f;
  {
    auto r = f.make();
    r.joined(0, 1);
    r.refusals(7, 1, 2);  // the reading at joining: counting starts here
    r.record(rec(1), 3, 3);
    r.refusals(7, 1, 4);
    r.refusals(10, 3, 5);
    EXPECT_EQ(r.stats().refused_procs, 3U);
    EXPECT_EQ(r.stats().refused_threads, 2U);
  }
  EXPECT_EQ(f.journal(), (std::vector<std::string>{"epoch:1:0", "exit:1:1", "refused:1:1"}));
  auto h = read_history(f.path, {});
  ASSERT_TRUE(h) << h.error().what();
  const auto& line = h->entries.back().json;
  EXPECT_EQ(line.value("procs", 0), 3);
  EXPECT_EQ(line.value("threads", 0), 2);
  EXPECT_EQ(line.value("refused_procs", 0), 10);
  EXPECT_EQ(line.value("refused_threads", 0), 3);
  auto r = f.make(f.last_state());
  r.joined(1, 6);  // the same module: the epoch goes on after seq 1
  r.refusals(10, 3, 7);
  r.record(rec(2), 8, 8);
  EXPECT_EQ(f.journal(),
            (std::vector<std::string>{"epoch:1:0", "exit:1:1", "refused:1:1", "exit:1:2"}));
}

TEST(Recorder, RestartContinuesTheEpoch) {
  Fixture f;
  {
    auto r = f.make();
    r.joined(0, 1);
    for (std::uint64_t s = 1; s <= 10; ++s) {
      r.record(rec(s), 2, 2);
    }
  }  // kill -9: nothing more is written
  const auto state = f.last_state();
  EXPECT_EQ(state.epoch, 1U);
  EXPECT_EQ(state.last_seq, 10U);
  EXPECT_FALSE(state.ended);
  auto r = f.make(state);
  r.joined(12, 3);  // two records died with the old daemon's socket
  r.record(rec(13), 4, 4);
  const auto j = f.journal();
  ASSERT_EQ(j.size(), 13U);
  EXPECT_EQ(j[11], "gap:1:10:restart:2");
  EXPECT_EQ(j[12], "exit:1:13");
  EXPECT_EQ(r.stats().epochs, 0U);
}

TEST(Recorder, RestartWithoutLossWritesNothingExtra) {
  Fixture f;
  {
    auto r = f.make();
    r.joined(0, 1);
    r.record(rec(1), 2, 2);
  }
  auto r = f.make(f.last_state());
  r.joined(1, 3);
  r.record(rec(2), 4, 4);
  EXPECT_EQ(f.journal(), (std::vector<std::string>{"epoch:1:0", "exit:1:1", "exit:1:2"}));
}

TEST(Recorder, ReloadWhileTheDaemonWasDown) {
  Fixture f;
  {
    auto r = f.make();
    r.joined(0, 1);
    for (std::uint64_t s = 1; s <= 10; ++s) {
      r.record(rec(s), 2, 2);
    }
  }
  auto r = f.make(f.last_state());
  r.joined(3, 5);  // the module's numbering is below the journal's: a new module
  const auto j = f.journal();
  ASSERT_EQ(j.size(), 13U);
  EXPECT_EQ(j[11], "gap:1:10:unloaded:-1");
  EXPECT_EQ(j[12], "epoch:2:3");
}

TEST(Recorder, RestartAfterAnEndedEpoch) {
  Fixture f;
  {
    auto r = f.make();
    r.joined(0, 1);
    r.record(rec(1), 2, 2);
    r.left(3);
  }
  const auto state = f.last_state();
  EXPECT_TRUE(state.ended);
  auto r = f.make(state);
  r.joined(0, 4);
  EXPECT_EQ(f.journal().back(), "epoch:2:0");
}

TEST(Recorder, NumberingThatGoesBackStartsAnEpoch) {
  Fixture f;
  auto r = f.make();
  r.joined(0, 1);
  r.record(rec(1), 2, 2);
  r.record(rec(2), 2, 2);
  r.record(rec(1), 3, 3);
  EXPECT_EQ(f.journal(),
            (std::vector<std::string>{"epoch:1:0", "exit:1:1", "exit:1:2", "gap:1:2:unloaded:-1",
                                      "epoch:2:0", "exit:2:1"}));
}

TEST(JournalState, FromLastLine) { EXPECT_EQ(journal_state(std::nullopt).epoch, 0U); }

}  // namespace
}  // namespace cowprobe::daemon
