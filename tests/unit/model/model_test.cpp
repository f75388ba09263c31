// The comparison of kernel counts with the model's, without a kernel.
#include "model.hpp"

#include <gtest/gtest.h>
#include <linux/cowprobe.h>

#include <algorithm>

namespace cowprobe {
namespace {

ScenarioReport child_writes_report() {
  ScenarioReport rep;
  rep.scenario = "child-writes";
  rep.roles = {{"parent", {100}}, {"child", {101}}};
  rep.regions = {"buffer"};
  rep.expect = {{"child", "buffer", COWPROBE_C_WP_FAULTS, 10, "one fault per page"},
                {"child", "buffer", COWPROBE_C_COPIES, 10, "the parent still maps the pages"}};
  return rep;
}

ProcRecord proc(std::uint32_t pid, std::uint64_t faults, std::uint64_t copies) {
  ProcRecord p;
  p.pid = pid;
  RegionRecord r;
  r.name = "buffer";
  r.counters.wp_faults = faults;
  r.counters.copies = copies;
  p.regions.push_back(r);
  // Faults outside the region (stack, libc) must not matter.
  p.counters.wp_faults = faults + 5;
  p.counters.copies = copies + 5;
  return p;
}

const ClassCheck* find(const std::vector<ClassCheck>& v, const std::string& role, int counter) {
  for (const auto& c : v) {
    if (c.role == role && c.counter == counter) {
      return &c;
    }
  }
  return nullptr;
}

TEST(Compare, ExactCountsInTheRegionPass) {
  std::vector<std::string> problems;
  const auto out = compare(child_writes_report(), {proc(100, 0, 0), proc(101, 10, 10)}, problems);
  EXPECT_TRUE(problems.empty());
  const auto* copies = find(out, "child", COWPROBE_C_COPIES);
  ASSERT_NE(copies, nullptr);
  EXPECT_EQ(copies->expected, 10U);
  EXPECT_EQ(copies->measured, 10U);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](const ClassCheck& c) { return c.ok(); }));
}

TEST(Compare, OneExtraCopyFails) {
  std::vector<std::string> problems;
  const auto out = compare(child_writes_report(), {proc(100, 0, 0), proc(101, 10, 11)}, problems);
  const auto* copies = find(out, "child", COWPROBE_C_COPIES);
  ASSERT_NE(copies, nullptr);
  EXPECT_FALSE(copies->ok());
  EXPECT_EQ(copies->measured, 11U);
}

TEST(Compare, UnpredictedCounterInARegionMustBeZero) {
  std::vector<std::string> problems;
  auto parent = proc(100, 1, 0);
  parent.regions[0].counters.reuses = 1;
  const auto out = compare(child_writes_report(), {parent, proc(101, 10, 10)}, problems);
  const auto* reuses = find(out, "parent", COWPROBE_C_REUSES);
  ASSERT_NE(reuses, nullptr);
  EXPECT_EQ(reuses->expected, 0U);
  EXPECT_FALSE(reuses->ok());
}

TEST(Compare, ProcessWithoutRecordIsAProblem) {
  std::vector<std::string> problems;
  compare(child_writes_report(), {proc(100, 0, 0)}, problems);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("101"), std::string::npos);
}

TEST(KernelVersion, ParsesDebianReleases) {
  const auto v = KernelVersion::parse("6.12.57+deb13-rt-amd64");
  EXPECT_EQ(v.major, 6);
  EXPECT_EQ(v.minor, 12);
  EXPECT_TRUE(v.at_least(6, 2));
  EXPECT_FALSE(v.at_least(6, 13));
  EXPECT_FALSE(KernelVersion::parse("5.10.0-35-amd64").at_least(5, 19));
}

}  // namespace
}  // namespace cowprobe

namespace cowprobe {
namespace {

// The class a prediction's counter needs observed, from the counter table.
TEST(CounterClass, FromTheCounterTable) {
  EXPECT_EQ(counter_class(COWPROBE_C_COPIES), "copy");
  EXPECT_EQ(counter_class(COWPROBE_C_THP_REUSES), "thp");
  EXPECT_EQ(counter_class(COWPROBE_C_REMOTE_COPIES), "remote");
  EXPECT_EQ(counter_class(COWPROBE_C_WP_FAULTS), "");
  EXPECT_EQ(counter_class(COWPROBE_C_OTHER), "");
  EXPECT_EQ(counter_class(-1), "");
}

}  // namespace
}  // namespace cowprobe
