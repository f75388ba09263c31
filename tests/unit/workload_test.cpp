#include <sys/wait.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "workloads.hpp"

namespace cowprobe {
namespace {

WorkloadOptions quiet(std::size_t pages, std::size_t writes) {
  WorkloadOptions opts;
  opts.pages = pages;
  opts.writes = writes;
  opts.settle = false;  // no compaction of the host's memory from a unit test
  return opts;
}

void expect_no_children_left() {
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Workload, ChildWritesReport) {
  auto r = child_writes(quiet(32, 5));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->name, "child-writes");
  EXPECT_EQ(r->pages, 32U);
  ASSERT_GT(r->page_size, 0U);
  EXPECT_EQ(r->buffer_start % r->page_size, 0U);
  EXPECT_EQ(r->buffer_end - r->buffer_start, 32 * r->page_size);
  ASSERT_EQ(r->child_pids.size(), 1U);
  EXPECT_EQ(r->parent_pid, ::getpid());
  ASSERT_TRUE(r->child_expected);
  EXPECT_EQ(*r->child_expected, (ExpectedCounts{5, 0}));
  ASSERT_TRUE(r->parent_expected);
  EXPECT_EQ(*r->parent_expected, (ExpectedCounts{0, 0}));
  expect_no_children_left();
}

TEST(Workload, ParentAfterWait) {
  auto r = run_workload("parent-after-wait", quiet(16, 7));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r->parent_expected, (ExpectedCounts{0, 7}));
  EXPECT_EQ(*r->child_expected, (ExpectedCounts{0, 0}));
  expect_no_children_left();
}

TEST(Workload, ParentWritesChildAlive) {
  auto r = run_workload("parent-writes-child-alive", quiet(16, 4));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r->parent_expected, (ExpectedCounts{4, 0}));
  EXPECT_EQ(*r->child_expected, (ExpectedCounts{0, 4}));
  expect_no_children_left();
}

TEST(Workload, NoWrite) {
  auto r = run_workload("no-write", quiet(16, 4));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r->child_expected, (ExpectedCounts{0, 0}));
  EXPECT_EQ(*r->parent_expected, (ExpectedCounts{0, 0}));
  expect_no_children_left();
}

TEST(Workload, MoreWritesThanPagesIsRejected) {
  auto r = child_writes(quiet(4, 5));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Workload, UnknownScenario) {
  auto r = run_workload("nope", quiet(4, 1));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("unknown scenario"), std::string::npos);
}

TEST(Workload, EveryListedScenarioIsKnown) {
  EXPECT_EQ(workload_list().size(), 8U);
  for (const auto& w : workload_list()) {
    EXPECT_FALSE(w.description.empty()) << w.name;
  }
}

TEST(Workload, SeedGlobalArrayPrintsLikeTheSeed) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  WorkloadOptions opts;
  opts.out = out;
  auto r = seed_global_array(opts);
  ASSERT_TRUE(r) << r.error().what();
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
  ASSERT_TRUE(r->child_expected);
  EXPECT_GE(r->child_expected->copies, 1U);
  expect_no_children_left();
}

}  // namespace
}  // namespace cowprobe
