// The registry's scenarios run in the test process, without a kernel module:
// the report each builds (roles, regions, predictions), not the counts.
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cowprobe.h>

#include <cerrno>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace cowprobe {
namespace {

struct Region {
  std::uintptr_t start;
  std::uintptr_t end;
  std::string name;
};

// Runs a scenario as cowprobe-workload does, recording its regions; restores
// the CPU affinity the scenario's settle() changes.
class ScenarioRun : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sched_getaffinity(0, sizeof(saved_), &saved_), 0); }
  void TearDown() override {
    sched_setaffinity(0, sizeof(saved_), &saved_);
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // every child reaped
    EXPECT_EQ(errno, ECHILD);
  }

  Result<ScenarioReport> run(std::string_view name, std::size_t pages, std::size_t writes) {
    const Scenario* s = find_scenario(name);
    if (s == nullptr) {
      return Error::message(EINVAL, std::string(name));
    }
    env_.kernel = KernelVersion::running();
    env_.pages = pages;
    env_.writes = writes;
    env_.add_region = [this](pid_t /*pid*/, std::uintptr_t start, std::uintptr_t end,
                             const std::string& region) {
      regions_.push_back({start, end, region});
      return Result<void>();
    };
    return s->run(env_);
  }

  static std::uint64_t expected(const ScenarioReport& r, const std::string& role, int counter) {
    std::uint64_t sum = 0;
    for (const auto& e : r.expect) {
      if (e.role == role && e.counter == counter) {
        sum += e.value;
      }
    }
    return sum;
  }

  ScenarioEnv env_;
  std::vector<Region> regions_;

 private:
  cpu_set_t saved_{};
};

TEST_F(ScenarioRun, ChildWritesKofNPages) {
  auto r = run("child-writes", 32, 5);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->scenario, "child-writes");
  EXPECT_EQ(r->roles.at("parent"), std::vector<int>{::getpid()});
  EXPECT_EQ(r->roles.at("child").size(), 1U);
  EXPECT_EQ(r->regions, std::vector<std::string>{"buffer"});
  ASSERT_EQ(regions_.size(), 1U);
  EXPECT_EQ(regions_[0].end - regions_[0].start, 32 * static_cast<std::uintptr_t>(getpagesize()));
  EXPECT_EQ(expected(*r, "child", COWPROBE_C_COPIES), 5U);
  EXPECT_EQ(expected(*r, "child", COWPROBE_C_WP_FAULTS), 5U);
  EXPECT_EQ(expected(*r, "parent", COWPROBE_C_COPIES), 0U);
}

TEST_F(ScenarioRun, ParentAfterWaitReuses) {
  auto r = run("parent-after-wait", 16, 4);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(expected(*r, "parent", COWPROBE_C_REUSES), 4U);
  EXPECT_EQ(expected(*r, "child", COWPROBE_C_COPIES), 0U);
}

TEST_F(ScenarioRun, ParentWritesChildAliveCopiesThenReuses) {
  auto r = run("parent-writes-child-alive", 16, 4);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(expected(*r, "parent", COWPROBE_C_COPIES), 4U);
  EXPECT_EQ(expected(*r, "child", COWPROBE_C_REUSES), 4U);
}

TEST_F(ScenarioRun, NoWritePredictsNothing) {
  auto r = run("no-write", 16, 4);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r->expect.empty());
  EXPECT_FALSE(r->notes.empty());
}

TEST_F(ScenarioRun, SeedGlobalArrayPrintsLikeTheSeed) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  env_.out = out;
  auto r = run("seed-global-array", 64, 16);
  ASSERT_TRUE(r) << r.error().what();
  std::fflush(out);
  std::rewind(out);
  std::string text;
  for (int c = std::fgetc(out); c != EOF; c = std::fgetc(out)) {
    text.push_back(static_cast<char>(c));
  }
  std::fclose(out);
  EXPECT_EQ(text,
            "[Before fork] big_array[0]=0, big_array[last]=1048575\n"
            "[Child ] big_array[0]=-1 (modified)\n"
            "[Child ] big_array[1000]=1000 (still shared)\n"
            "[Parent] big_array[0]=0 (unchanged by child)\n"
            "[Parent] big_array[1000]=1000\n");
  EXPECT_GE(expected(*r, "child", COWPROBE_C_COPIES), 1U);
}

TEST(Registry, NamesAreUniqueAndFound) {
  std::set<std::string_view> names;
  for (const auto& s : scenarios()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_EQ(find_scenario(s.name), &s);
  }
  EXPECT_EQ(names.size(), 38U);
  EXPECT_EQ(find_scenario("nope"), nullptr);
}

}  // namespace
}  // namespace cowprobe
