// Exit records and nlctrl notices as the listener's socket delivers them.
#include <linux/cowprobe.h>
#include <linux/genetlink.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "exit_listener.hpp"
#include "message.hpp"
#include "nl_bytes.hpp"

namespace cowprobe {
namespace {

using test::NlBytes;

constexpr std::uint16_t kFamily = 0x23;

// The literal bytes below spell these numbers.
static_assert(COWPROBE_CMD_EXIT == 8);
static_assert(COWPROBE_A_PAD == 1 && COWPROBE_A_PID == 12 && COWPROBE_A_COMM == 16);
static_assert(COWPROBE_A_COUNTERS == 20 && COWPROBE_A_SEQ == 29 && COWPROBE_C_COPIES == 3);

// An exit record as the module multicasts it: pid 1234, comm "cpburst", a
// PAD attribute (nla_put_u64_64bit on a strict-alignment machine), seq 42,
// 4 copies.
alignas(4) constexpr std::array<std::uint8_t, 72> kExitBytes{
    0x48, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00,  // nlmsghdr: len 72, type 0x23
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 0, portid 0 (the kernel)
    0x08, 0x01, 0x00, 0x00,                          // genlmsghdr: cmd EXIT, version 1
    0x08, 0x00, 0x0c, 0x00, 0xd2, 0x04, 0x00, 0x00,  // PID 1234
    0x0c, 0x00, 0x10, 0x00, 'c',  'p',  'b',  'u',  'r',  's',  't',  0x00,  // COMM
    0x04, 0x00, 0x01, 0x00,                                                  // PAD
    0x0c, 0x00, 0x1d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // SEQ 42
    0x10, 0x00, 0x14, 0x00,                                                  // COUNTERS
    0x0c, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //   COPIES 4
};

std::vector<std::uint8_t> bytes_of(NlBytes& m) {
  const nlmsghdr& h = m.msg();
  const auto* p = reinterpret_cast<const std::uint8_t*>(&h);
  return {p, p + h.nlmsg_len};
}

NlBytes exit_message(std::uint32_t pid, std::uint64_t seq) {
  NlBytes m(kFamily, 0, 0, COWPROBE_CMD_EXIT);
  m.u32(COWPROBE_A_PID, pid)
      .u32(COWPROBE_A_PPID, 1)
      .str(COWPROBE_A_COMM, "worker")
      .u32(COWPROBE_A_PROC_FLAGS, COWPROBE_PROC_F_EXITED | COWPROBE_PROC_F_AUTO)
      .u64(COWPROBE_A_START_NS, 100)
      .u64(COWPROBE_A_EXIT_NS, 200);
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 2).u64(COWPROBE_C_REUSES, 1).end();
  m.begin(COWPROBE_A_REGIONS);
  m.begin(COWPROBE_A_REGION)
      .u64(COWPROBE_A_REGION_START, 0x1000)
      .u64(COWPROBE_A_REGION_END, 0x3000)
      .str(COWPROBE_A_REGION_NAME, "buffer");
  m.begin(COWPROBE_A_COUNTERS).u64(COWPROBE_C_COPIES, 2).end();
  m.end();
  m.end();
  m.u64(COWPROBE_A_SEQ, seq);
  return m;
}

NlBytes ctrl_notice(std::uint8_t cmd, const std::string& name, std::uint16_t id) {
  NlBytes m(GENL_ID_CTRL, 0, 0, cmd);
  m.raw(CTRL_ATTR_FAMILY_ID,
        {static_cast<std::uint8_t>(id & 0xff), static_cast<std::uint8_t>(id >> 8)})
      .str(CTRL_ATTR_FAMILY_NAME, name);
  return m;
}

TEST(ParseExit, KnownBytes) {
  const auto& nlh = *reinterpret_cast<const nlmsghdr*>(kExitBytes.data());
  auto rec = parse_exit(nlh);
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->seq, 42U);
  EXPECT_EQ(rec->proc.pid, 1234U);
  EXPECT_EQ(rec->proc.comm, "cpburst");
  EXPECT_EQ(rec->proc.counters.copies, 4U);
  EXPECT_TRUE(rec->proc.counters.has(COWPROBE_C_COPIES));
  EXPECT_FALSE(rec->proc.counters.has(COWPROBE_C_REUSES));
}

TEST(ParseExit, FullRecordWithRegion) {
  NlBytes m = exit_message(77, 9);
  auto rec = parse_exit(m.msg());
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->seq, 9U);
  EXPECT_EQ(rec->proc.pid, 77U);
  EXPECT_EQ(rec->proc.ppid, 1U);
  EXPECT_TRUE(rec->proc.exited());
  EXPECT_EQ(rec->proc.start_ns, 100U);
  EXPECT_EQ(rec->proc.exit_ns, 200U);
  EXPECT_EQ(rec->proc.counters.reuses, 1U);
  ASSERT_EQ(rec->proc.regions.size(), 1U);
  EXPECT_EQ(rec->proc.regions[0].name, "buffer");
  EXPECT_EQ(rec->proc.regions[0].end, 0x3000U);
  EXPECT_TRUE(rec->proc.threads.empty());
}

TEST(ParseExit, MissingSeqIsRejected) {
  NlBytes m(kFamily, 0, 0, COWPROBE_CMD_EXIT);
  m.u32(COWPROBE_A_PID, 5);
  auto rec = parse_exit(m.msg());
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code(), EBADMSG);
  EXPECT_NE(rec.error().what().find("SEQ"), std::string::npos) << rec.error().what();
}

TEST(ParseExit, ShortSeqIsRejected) {
  NlBytes m(kFamily, 0, 0, COWPROBE_CMD_EXIT);
  m.u32(COWPROBE_A_PID, 5).u32(COWPROBE_A_SEQ, 3);
  EXPECT_FALSE(parse_exit(m.msg()));
}

TEST(ParseFamily, GroupsAndName) {
  NlBytes m(GENL_ID_CTRL, 0, 1, CTRL_CMD_NEWFAMILY);
  m.str(CTRL_ATTR_FAMILY_NAME, "cowprobe").raw(CTRL_ATTR_FAMILY_ID, {0x23, 0x00});
  m.begin(CTRL_ATTR_MCAST_GROUPS);
  m.begin(1).str(CTRL_ATTR_MCAST_GRP_NAME, "exits").u32(CTRL_ATTR_MCAST_GRP_ID, 11).end();
  m.begin(2).u32(CTRL_ATTR_MCAST_GRP_ID, 12).str(CTRL_ATTR_MCAST_GRP_NAME, "other").end();
  m.end();
  auto info = parse_family(m.msg());
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(info->id, 0x23);
  EXPECT_EQ(info->name, "cowprobe");
  ASSERT_EQ(info->groups.size(), 2U);
  EXPECT_EQ(info->group("exits"), 11U);
  EXPECT_EQ(info->group("other"), 12U);
  EXPECT_FALSE(info->group("nosuch"));
}

TEST(ParseFamily, WithoutIdIsRejected) {
  NlBytes m(GENL_ID_CTRL, 0, 1, CTRL_CMD_NEWFAMILY);
  m.str(CTRL_ATTR_FAMILY_NAME, "cowprobe");
  EXPECT_FALSE(parse_family(m.msg()));
}

TEST(DecodeDatagram, RecordsInOrder) {
  NlBytes a = exit_message(10, 1);
  NlBytes b = exit_message(11, 2);
  auto bytes = bytes_of(a);
  auto more = bytes_of(b);
  bytes.insert(bytes.end(), more.begin(), more.end());
  auto events = decode_exit_datagram(bytes, kFamily);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, ExitEvent::Kind::record);
  EXPECT_EQ(events[0].record.seq, 1U);
  EXPECT_EQ(events[1].record.proc.pid, 11U);
}

TEST(DecodeDatagram, OtherFamiliesAndCommandsAreIgnored) {
  NlBytes other = exit_message(10, 1);
  auto bytes = bytes_of(other);
  EXPECT_TRUE(decode_exit_datagram(bytes, kFamily + 1).empty());
  EXPECT_TRUE(decode_exit_datagram(bytes, 0).empty());  // not joined
  NlBytes get(kFamily, 0, 0, COWPROBE_CMD_GET);
  get.u32(COWPROBE_A_PID, 3);
  EXPECT_TRUE(decode_exit_datagram(bytes_of(get), kFamily).empty());
}

TEST(DecodeDatagram, FamilyNotices) {
  NlBytes del = ctrl_notice(CTRL_CMD_DELFAMILY, "cowprobe", kFamily);
  NlBytes add = ctrl_notice(CTRL_CMD_NEWFAMILY, "cowprobe", kFamily + 1);
  NlBytes unrelated = ctrl_notice(CTRL_CMD_DELFAMILY, "wireguard", 30);
  NlBytes group = ctrl_notice(CTRL_CMD_NEWMCAST_GRP, "cowprobe", kFamily + 1);
  auto d = decode_exit_datagram(bytes_of(del), kFamily);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].kind, ExitEvent::Kind::family_removed);
  EXPECT_EQ(d[0].family_id, kFamily);
  auto a = decode_exit_datagram(bytes_of(add), 0);
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(a[0].kind, ExitEvent::Kind::family_added);
  EXPECT_EQ(a[0].family_id, kFamily + 1);
  EXPECT_TRUE(decode_exit_datagram(bytes_of(unrelated), kFamily).empty());
  EXPECT_TRUE(decode_exit_datagram(bytes_of(group), kFamily).empty());
}

// cowprobed joins by polling too: the notice of the registration it joined
// may be read after it joined (an insmod under a slow kernel did that), and
// must not end the epoch it just began.
TEST(FamilyNotice, OnlyAnotherRegistrationOrTheJoinedOnesRemovalIsNews) {
  ExitEvent added;
  added.kind = ExitEvent::Kind::family_added;
  added.family_id = kFamily;
  ExitEvent removed = added;
  removed.kind = ExitEvent::Kind::family_removed;
  EXPECT_FALSE(family_notice_is_news(added, kFamily));        // joined it already
  EXPECT_TRUE(family_notice_is_news(added, kFamily - 1));     // a reload whose removal was lost
  EXPECT_TRUE(family_notice_is_news(added, 0));               // not joined: join
  EXPECT_TRUE(family_notice_is_news(removed, kFamily));       // rmmod of the joined one
  EXPECT_FALSE(family_notice_is_news(removed, kFamily + 1));  // an earlier one's, late
  ExitEvent unknown = added;
  unknown.family_id = 0;  // no id in the notice: as before, news
  EXPECT_TRUE(family_notice_is_news(unknown, kFamily));
}

TEST(DecodeDatagram, MalformedRecordIsReported) {
  NlBytes m(kFamily, 0, 0, COWPROBE_CMD_EXIT);
  m.u32(COWPROBE_A_PID, 5);  // no SEQ
  auto events = decode_exit_datagram(bytes_of(m), kFamily);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, ExitEvent::Kind::malformed);
  EXPECT_NE(events[0].detail.find("SEQ"), std::string::npos) << events[0].detail;
}

TEST(DecodeDatagram, TruncatedDatagramIsReported) {
  NlBytes m = exit_message(10, 1);
  auto bytes = bytes_of(m);
  bytes.resize(bytes.size() - 8);  // nlmsg_len now claims more than there is
  auto events = decode_exit_datagram(bytes, kFamily);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, ExitEvent::Kind::malformed);
}

TEST(BuildConfig, TrackAll) {
  RequestBuffer buf;
  auto bytes = build_config(buf, kFamily, 7, true);
  const auto& nlh = *reinterpret_cast<const nlmsghdr*>(bytes.data());
  EXPECT_EQ(nlh.nlmsg_type, kFamily);
  EXPECT_EQ(nlh.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  const auto* genl = reinterpret_cast<const genlmsghdr*>(bytes.data() + sizeof(nlmsghdr));
  EXPECT_EQ(genl->cmd, COWPROBE_CMD_CONFIG);
  // One u32 attribute: TRACK_ALL = 1.
  ASSERT_EQ(bytes.size(), sizeof(nlmsghdr) + sizeof(genlmsghdr) + 8);
  std::uint16_t type = 0;
  std::uint32_t value = 0;
  std::memcpy(&type, bytes.data() + sizeof(nlmsghdr) + sizeof(genlmsghdr) + 2, 2);
  std::memcpy(&value, bytes.data() + sizeof(nlmsghdr) + sizeof(genlmsghdr) + 4, 4);
  EXPECT_EQ(type, COWPROBE_A_TRACK_ALL);
  EXPECT_EQ(value, 1U);
}

}  // namespace
}  // namespace cowprobe
