#include <linux/cowprobe.h>
#include <linux/genetlink.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "message.hpp"
#include "nl_bytes.hpp"

namespace cowprobe {
namespace {

using test::NlBytes;

constexpr std::uint16_t kFamily = 0x20;
constexpr std::uint16_t kUnknownAttr = 200;

NlBytes proc_message() {
  NlBytes m(kFamily, NLM_F_MULTI, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 1234)
      .u32(COWPROBE_A_PPID, 1000)
      .u32(COWPROBE_A_ROOT, 1234)
      .str(COWPROBE_A_COMM, "workload")
      .u32(COWPROBE_A_PROC_FLAGS, COWPROBE_PROC_F_EXITED)
      .u32(COWPROBE_A_NR_THREADS, 2)
      .u64(COWPROBE_A_START_NS, 5'000'000'000ULL)
      .u64(COWPROBE_A_EXIT_NS, 6'000'000'000ULL);
  m.begin(COWPROBE_A_COUNTERS)
      .u64(COWPROBE_C_WP_FAULTS, 70)
      .u64(COWPROBE_C_COPIES, 64)
      .u64(COWPROBE_C_REUSES, 3)
      .u64(COWPROBE_C_ZERO_FILLS, 1)
      .end();
  m.begin(COWPROBE_A_THREADS);
  m.begin(COWPROBE_A_THREAD).u32(COWPROBE_A_PID, 1234);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 60).end();
  m.end();
  m.begin(COWPROBE_A_THREAD).u32(COWPROBE_A_PID, 1240);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 4).end();
  m.end();
  m.end();
  return m;
}

TEST(ParseProc, RecordWithCountersAndThreads) {
  NlBytes m = proc_message();
  auto rec = parse_proc(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->pid, 1234U);
  EXPECT_EQ(rec->ppid, 1000U);
  EXPECT_EQ(rec->root, 1234U);
  EXPECT_EQ(rec->comm, "workload");
  EXPECT_TRUE(rec->exited());
  EXPECT_EQ(rec->nr_threads, 2U);
  EXPECT_EQ(rec->start_ns, 5'000'000'000ULL);
  EXPECT_EQ(rec->exit_ns, 6'000'000'000ULL);
  EXPECT_EQ(rec->counters.wp_faults, 70U);
  EXPECT_EQ(rec->counters.copies, 64U);
  EXPECT_EQ(rec->counters.reuses, 3U);
  EXPECT_EQ(rec->counters.zero_fills, 1U);
  EXPECT_TRUE(rec->counters.has(COWPROBE_C_COPIES));
  EXPECT_FALSE(rec->counters.has(COWPROBE_C_SHARED_WRITES));
  EXPECT_FALSE(rec->counters.has(COWPROBE_C_OTHER));
  ASSERT_EQ(rec->threads.size(), 2U);
  EXPECT_EQ(rec->threads[0].tid, 1234U);
  EXPECT_EQ(rec->threads[0].counters.copies, 60U);
  EXPECT_EQ(rec->threads[1].tid, 1240U);
  EXPECT_EQ(rec->threads[1].counters.copies, 4U);
  EXPECT_FALSE(rec->threads[1].counters.has(COWPROBE_C_REUSES));
}

TEST(ParseProc, FoldedMembersOfARoot) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7).u32(COWPROBE_A_NR_FOLDED, 40);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 2).end();
  m.begin(COWPROBE_A_FOLDED).u64(COWPROBE_C_COPIES, 80).u64(COWPROBE_C_WP_FAULTS, 81).end();
  auto rec = parse_proc(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->nr_folded, 40U);
  EXPECT_EQ(rec->counters.copies, 2U);
  EXPECT_EQ(rec->folded.copies, 80U);
  EXPECT_EQ(rec->folded.wp_faults, 81U);
}

// A module that sends COWPROBE_PROC_F_SPARSE leaves counters at zero out of
// every nest; they are 0 and present (shown as 0, not as "not counted").
TEST(ParseProc, SparseRecordReadsAbsentCountersAsZero) {
  NlBytes m(kFamily, NLM_F_MULTI, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7)
      .u32(COWPROBE_A_PROC_FLAGS, COWPROBE_PROC_F_SPARSE)
      .u32(COWPROBE_A_NR_FOLDED, 1);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_WP_FAULTS, 3).u64(COWPROBE_C_COPIES, 3).end();
  m.begin(COWPROBE_A_THREADS);
  m.begin(COWPROBE_A_THREAD).u32(COWPROBE_A_PID, 7);
  m.begin(COWPROBE_A_COUNTERS).end();
  m.end();
  m.end();
  m.begin(COWPROBE_A_REGIONS);
  m.begin(COWPROBE_A_REGION)
      .u64(COWPROBE_A_REGION_START, 0x1000)
      .u64(COWPROBE_A_REGION_END, 0x2000);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_REUSES, 1).end();
  m.end();
  m.end();
  m.begin(COWPROBE_A_FOLDED).end();
  auto rec = parse_proc(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  for (const auto& field : counter_fields()) {
    EXPECT_TRUE(rec->counters.has(field.attr)) << field.name;
    EXPECT_TRUE(rec->folded.has(field.attr)) << field.name;
  }
  EXPECT_EQ(rec->counters.copies, 3U);
  EXPECT_EQ(rec->counters.reuses, 0U);
  ASSERT_EQ(rec->threads.size(), 1U);
  EXPECT_TRUE(rec->threads[0].counters.has(COWPROBE_C_OTHER));
  EXPECT_EQ(rec->threads[0].counters.wp_faults, 0U);
  ASSERT_EQ(rec->regions.size(), 1U);
  EXPECT_TRUE(rec->regions[0].counters.has(COWPROBE_C_COPIES));
  EXPECT_EQ(rec->regions[0].counters.reuses, 1U);
  // without the flag, an absent counter is one the module does not know
  auto dense = parse_proc(proc_message().msg());
  ASSERT_TRUE(dense) << dense.error().what();
  EXPECT_FALSE(dense->counters.has(COWPROBE_C_OTHER));
}

// A sparse record leaves out ppid, root and exit-ns at 0 (a live process of
// no watched tree, under a dump of every record): each reads as 0. A parser
// given no counters nest at all reads the counters as present and 0 too.
TEST(ParseProc, SparseRecordReadsAbsentNestsAndZeroFieldsAsZero) {
  NlBytes m(kFamily, NLM_F_MULTI, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 9)
      .str(COWPROBE_A_COMM, "sleep")
      .u32(COWPROBE_A_PROC_FLAGS, COWPROBE_PROC_F_SPARSE | COWPROBE_PROC_F_AUTO)
      .u32(COWPROBE_A_NR_THREADS, 1)
      .u64(COWPROBE_A_START_NS, 5);
  m.begin(COWPROBE_A_THREADS);
  m.begin(COWPROBE_A_THREAD).u32(COWPROBE_A_PID, 9);
  m.end();
  m.end();
  auto rec = parse_proc(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->pid, 9U);
  EXPECT_EQ(rec->ppid, 0U);
  EXPECT_EQ(rec->root, 0U);
  EXPECT_EQ(rec->exit_ns, 0U);
  EXPECT_FALSE(rec->exited());
  EXPECT_EQ(rec->comm, "sleep");
  ASSERT_EQ(rec->threads.size(), 1U);
  for (const auto& field : counter_fields()) {
    EXPECT_TRUE(rec->counters.has(field.attr)) << field.name;
    EXPECT_EQ(rec->counters.*field.member, 0U) << field.name;
    EXPECT_TRUE(rec->threads[0].counters.has(field.attr)) << field.name;
    EXPECT_EQ(rec->threads[0].counters.*field.member, 0U) << field.name;
  }
}

TEST(ParseProc, UnknownAttributesAreIgnored) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7).raw(kUnknownAttr, {1, 2, 3, 4, 5, 6, 7});
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 2).u64(250, 99).str(251, "future").end();
  m.begin(COWPROBE_A_THREADS).u32(kUnknownAttr, 1).end();
  m.str(COWPROBE_A_COMM, "x");
  auto rec = parse_proc(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->pid, 7U);
  EXPECT_EQ(rec->comm, "x");
  EXPECT_EQ(rec->counters.copies, 2U);
  EXPECT_TRUE(rec->threads.empty());
}

TEST(ParseProc, WrongAttributeLengthIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7).raw(COWPROBE_A_START_NS, {1, 2, 3, 4});  // u64 sent as 4 bytes
  auto rec = parse_proc(m.msg());
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code(), EBADMSG);
  EXPECT_NE(rec.error().what().find("START_NS"), std::string::npos) << rec.error().what();
}

TEST(ParseProc, UnterminatedStringIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7).raw(COWPROBE_A_COMM, {'a', 'b', 'c', 'd'});
  EXPECT_FALSE(parse_proc(m.msg()));
}

TEST(ParseProc, TruncatedAttributeIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7).u64(COWPROBE_A_START_NS, 1).chop(4);
  auto rec = parse_proc(m.msg());
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code(), EBADMSG);
}

TEST(ParseProc, TruncatedNestIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.u32(COWPROBE_A_PID, 7);
  // A nest claiming 12 bytes holds a counter header saying 12 more.
  m.put16(12).put16(COWPROBE_A_COUNTERS).put16(12).put16(COWPROBE_C_COPIES).put32(1);
  EXPECT_FALSE(parse_proc(m.msg()));
}

TEST(ParseProc, RecordWithoutPidIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_GET);
  m.str(COWPROBE_A_COMM, "x");
  EXPECT_FALSE(parse_proc(m.msg()));
}

TEST(ParseProc, MessageShorterThanGenlHeader) {
  NlBytes m(kFamily, 0, 1, 0, false);
  EXPECT_FALSE(parse_proc(m.msg()));
}

TEST(ParseStatus, StatusWithProbes) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  m.str(COWPROBE_A_VERSION, "0.1.0")
      .u32(COWPROBE_A_GENL_VERSION, 1)
      .u32(COWPROBE_A_LIMIT_PROCS, 1024)
      .u32(COWPROBE_A_LIMIT_THREADS, 4096)
      .u32(COWPROBE_A_LIMIT_REGIONS, 8)
      .u32(COWPROBE_A_NR_PROCS, 3)
      .u32(COWPROBE_A_NR_THREADS, 4)
      .u64(COWPROBE_A_REFUSED_PROCS, 5)
      .u64(COWPROBE_A_REFUSED_THREADS, 6)
      .u32(COWPROBE_A_TRACK_ALL, 1)
      .u64(COWPROBE_A_EXITS_SENT, 10)
      .u64(COWPROBE_A_EXITS_DROPPED, 2)
      .u64(COWPROBE_A_SEQ, 12)
      .u32(COWPROBE_A_UNPRIVILEGED, 1)
      .u32(COWPROBE_A_LIMIT_USER_PROCS, 256)
      .u64(COWPROBE_A_FOLDED_PROCS, 9)
      .u32(kUnknownAttr, 0);
  m.begin(COWPROBE_A_PROBES);
  m.begin(COWPROBE_A_PROBE)
      .str(COWPROBE_PROBE_A_NAME, "do_wp_page")
      .str(COWPROBE_PROBE_A_SYMBOL, "do_wp_page")
      .u32(COWPROBE_PROBE_A_STATE, COWPROBE_PROBE_ACTIVE)
      .u32(COWPROBE_PROBE_A_ERROR, 0)
      .u64(COWPROBE_PROBE_A_NMISSED, 0)
      .u64(COWPROBE_PROBE_A_HITS, 321)
      .u32(COWPROBE_PROBE_A_HOOK, COWPROBE_PROBE_HOOK_DIRECT)
      .end();
  m.begin(COWPROBE_A_PROBE)
      .str(COWPROBE_PROBE_A_NAME, "wp_page_copy")
      .str(COWPROBE_PROBE_A_SYMBOL, "")
      .u32(COWPROBE_PROBE_A_STATE, COWPROBE_PROBE_ABSENT)
      .u32(COWPROBE_PROBE_A_ERROR, static_cast<std::uint32_t>(-ENOENT))
      .end();
  m.end();
  auto st = parse_status(m.msg());
  ASSERT_TRUE(st) << st.error().what();
  EXPECT_EQ(st->version, "0.1.0");
  EXPECT_EQ(st->genl_version, 1U);
  EXPECT_EQ(st->limit_procs, 1024U);
  EXPECT_EQ(st->limit_threads, 4096U);
  EXPECT_EQ(st->limit_regions, 8U);
  EXPECT_EQ(st->nr_procs, 3U);
  EXPECT_EQ(st->nr_threads, 4U);
  EXPECT_EQ(st->refused_procs, 5U);
  EXPECT_EQ(st->refused_threads, 6U);
  EXPECT_EQ(st->track_all, 1U);
  EXPECT_EQ(st->exits_sent, 10U);
  EXPECT_EQ(st->exits_dropped, 2U);
  EXPECT_EQ(st->seq, 12U);
  EXPECT_EQ(st->unprivileged, 1U);
  EXPECT_EQ(st->limit_user_procs, 256U);
  EXPECT_EQ(st->folded_procs, 9U);
  ASSERT_EQ(st->probes.size(), 2U);
  EXPECT_EQ(st->probes[0].name, "do_wp_page");
  EXPECT_EQ(st->probes[0].state, static_cast<std::uint32_t>(COWPROBE_PROBE_ACTIVE));
  EXPECT_EQ(st->probes[0].hits, 321U);
  EXPECT_EQ(probe_hook_name(st->probes[0].hook), "direct");
  // a module before 2026-12-08 sends no hook: read as not known
  EXPECT_EQ(probe_hook_name(st->probes[1].hook), "-");
  EXPECT_EQ(st->probes[1].name, "wp_page_copy");
  EXPECT_EQ(st->probes[1].symbol, "");
  EXPECT_EQ(st->probes[1].error, -ENOENT);
}

TEST(ProbeHookName, NamesEveryHookAndAnUnknownOne) {
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_NONE), "-");
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_KPROBE), "kprobe");
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_KRETPROBE), "kretprobe");
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_FTRACE), "ftrace");
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_DIRECT), "direct");
  // a newer module's hook this build does not know
  EXPECT_EQ(probe_hook_name(COWPROBE_PROBE_HOOK_DIRECT + 1), "unknown");
}

TEST(ParseStatus, ClassSelfCheck) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  m.str(COWPROBE_A_VERSION, "0.1.0");
  m.begin(COWPROBE_A_CLASSES);
  m.begin(COWPROBE_A_CLASS)
      .str(COWPROBE_CLASS_A_NAME, "reuse")
      .u32(COWPROBE_CLASS_A_STATE, COWPROBE_CLASS_DERIVED)
      .str(COWPROBE_CLASS_A_HOW, "wp_page_reuse inlined")
      .end();
  m.begin(COWPROBE_A_CLASS)
      .str(COWPROBE_CLASS_A_NAME, "thp")
      .u32(COWPROBE_CLASS_A_STATE, COWPROBE_CLASS_UNOBSERVABLE)
      .str(COWPROBE_CLASS_A_HOW, "CONFIG_TRANSPARENT_HUGEPAGE is off in this kernel")
      .u32(kUnknownAttr, 3)
      .end();
  m.end();
  auto st = parse_status(m.msg());
  ASSERT_TRUE(st) << st.error().what();
  ASSERT_EQ(st->classes.size(), 2U);
  EXPECT_EQ(st->classes[0].name, "reuse");
  EXPECT_TRUE(st->classes[0].observable());
  EXPECT_EQ(class_state_name(st->classes[0].state), "derived");
  EXPECT_EQ(st->classes[1].how, "CONFIG_TRANSPARENT_HUGEPAGE is off in this kernel");
  EXPECT_FALSE(st->classes[1].observable());
  ASSERT_NE(st->find_class("thp"), nullptr);
  EXPECT_EQ(st->find_class("thp")->name, "thp");
  EXPECT_EQ(st->find_class("ksm"), nullptr);
}

TEST(ParseStatus, ClassWithBadStateIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  m.begin(COWPROBE_A_CLASSES);
  m.begin(COWPROBE_A_CLASS).u64(COWPROBE_CLASS_A_STATE, 1).end();
  m.end();
  EXPECT_FALSE(parse_status(m.msg()));
}

TEST(ParseStatus, ProbeWithBadStateIsRejected) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  m.begin(COWPROBE_A_PROBES);
  m.begin(COWPROBE_A_PROBE).u64(COWPROBE_PROBE_A_STATE, 1).end();
  m.end();
  EXPECT_FALSE(parse_status(m.msg()));
}

// Pools that grow with use say how many records they hold now; a module
// that preallocated its limits says nothing, and the limits are what it holds.
TEST(ParseStatus, RecordPoolsAllocatedAndBehind) {
  NlBytes m(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  m.u32(COWPROBE_A_LIMIT_PROCS, 4096)
      .u32(COWPROBE_A_PROC_BYTES, 4224)
      .u32(COWPROBE_A_PROCS_ALLOCATED, 512)
      .u32(COWPROBE_A_THREADS_ALLOCATED, 256)
      .u64(COWPROBE_A_POOL_BEHIND, 3);
  auto st = parse_status(m.msg());
  ASSERT_TRUE(st) << st.error().what();
  EXPECT_EQ(st->procs_allocated, 512U);
  EXPECT_EQ(st->threads_allocated, 256U);
  EXPECT_EQ(st->pool_behind, 3U);
  NlBytes old(kFamily, 0, 1, COWPROBE_CMD_STATUS);
  old.u32(COWPROBE_A_LIMIT_PROCS, 4096);
  auto before = parse_status(old.msg());
  ASSERT_TRUE(before) << before.error().what();
  EXPECT_FALSE(before->procs_allocated);
  EXPECT_EQ(before->pool_behind, 0U);
}

TEST(ParseFamily, FamilyIdFromNlctrl) {
  NlBytes m(GENL_ID_CTRL, 0, 1, CTRL_CMD_NEWFAMILY);
  m.str(CTRL_ATTR_FAMILY_NAME, "cowprobe").raw(CTRL_ATTR_FAMILY_ID, {0x22, 0x00});
  m.u32(CTRL_ATTR_VERSION, 1);
  auto family = parse_family(m.msg());
  ASSERT_TRUE(family) << family.error().what();
  EXPECT_EQ(family->id, 0x22);
  EXPECT_EQ(family->name, "cowprobe");
}

TEST(ParseFamily, MissingIdIsAnError) {
  NlBytes m(GENL_ID_CTRL, 0, 1, CTRL_CMD_NEWFAMILY);
  m.str(CTRL_ATTR_FAMILY_NAME, "cowprobe");
  EXPECT_FALSE(parse_family(m.msg()));
}

}  // namespace
}  // namespace cowprobe
