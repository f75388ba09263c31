#include <gtest/gtest.h>

#include "json.hpp"

namespace cowprobe {
namespace {

ProcRecord sample() {
  ProcRecord rec;
  rec.pid = 10;
  rec.ppid = 1;
  rec.root = 10;
  rec.comm = "sh";
  rec.flags = COWPROBE_PROC_F_EXITED;
  rec.start_ns = 100;
  rec.exit_ns = 200;
  rec.nr_threads = 1;
  rec.counters.set(COWPROBE_C_COPIES, 5);
  rec.counters.set(COWPROBE_C_REUSES, 2);
  rec.counters.set(COWPROBE_C_WP_FAULTS, 9);
  rec.counters.set(COWPROBE_C_ZERO_FILLS, 0);
  rec.counters.set(COWPROBE_C_SHARED_WRITES, 0);
  ThreadRecord t;
  t.tid = 10;
  t.counters.set(COWPROBE_C_COPIES, 5);
  rec.threads.push_back(t);
  return rec;
}

TEST(Json, ProcRecordKeys) {
  const nlohmann::json j = sample();
  for (const char* key :
       {"pid", "ppid", "root", "comm", "exited", "start_ns", "exit_ns", "threads", "copies",
        "reuses", "zero_fills", "wp_faults", "shared_writes", "other"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["pid"], 10);
  EXPECT_EQ(j["comm"], "sh");
  EXPECT_EQ(j["exited"], true);
  EXPECT_EQ(j["copies"], 5);
  // Not sent by the kernel: null, never a made-up 0.
  EXPECT_TRUE(j["other"].is_null());
  // Extra counters appear only when sent.
  EXPECT_FALSE(j.contains("thp_copies"));
  ASSERT_EQ(j["threads"].size(), 1U);
  EXPECT_EQ(j["threads"][0]["tid"], 10);
  EXPECT_EQ(j["threads"][0]["copies"], 5);
  EXPECT_TRUE(j["threads"][0]["reuses"].is_null());
}

TEST(Json, StatusHasProbes) {
  Status st;
  st.version = "0.1";
  st.probes.push_back(ProbeStatus{"do_wp_page", "do_wp_page", COWPROBE_PROBE_ACTIVE, 0, 0, 3});
  const nlohmann::json j = st;
  EXPECT_EQ(j["version"], "0.1");
  ASSERT_EQ(j["probes"].size(), 1U);
  EXPECT_EQ(j["probes"][0]["state"], "active");
  EXPECT_EQ(j["probes"][0]["hits"], 3);
}

}  // namespace
}  // namespace cowprobe
