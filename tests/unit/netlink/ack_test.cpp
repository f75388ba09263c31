#include <linux/cowprobe.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "message.hpp"
#include "nl_bytes.hpp"

namespace cowprobe {
namespace {

using test::NlBytes;

// The request an error refers to: 20 bytes, as echoed by the kernel.
void put_request_header(NlBytes& m, std::uint32_t len) {
  m.put32(len).put16(0x20).put16(NLM_F_REQUEST | NLM_F_ACK).put32(7).put32(0);
}

TEST(ParseAck, ZeroErrorIsAnAck) {
  NlBytes m(NLMSG_ERROR, NLM_F_CAPPED, 7, 0, false);
  m.put32(0);
  put_request_header(m, 28);
  EXPECT_TRUE(parse_ack(m.msg()));
}

TEST(ParseAck, CappedErrorWithExtackMessage) {
  NlBytes m(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 7, 0, false);
  m.put32(static_cast<std::uint32_t>(-ESRCH));
  put_request_header(m, 28);
  m.str(NLMSGERR_ATTR_MSG, "cowprobe: no process with this pid");
  m.u32(NLMSGERR_ATTR_OFFS, 20);
  auto r = parse_ack(m.msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ESRCH);
  EXPECT_EQ(r.error().detail(), "cowprobe: no process with this pid");
  EXPECT_EQ(r.error().what(), "cowprobe: no process with this pid");
}

TEST(ParseAck, UncappedErrorSkipsTheEchoedRequest) {
  NlBytes m(NLMSG_ERROR, NLM_F_ACK_TLVS, 7, 0, false);
  m.put32(static_cast<std::uint32_t>(-EINVAL));
  put_request_header(m, 28);
  // The echoed request's payload: genl header and a PID attribute.
  m.put32(0x00000102).put16(8).put16(COWPROBE_A_PID).put32(0);
  m.str(NLMSGERR_ATTR_MSG, "pid must not be 0");
  auto r = parse_ack(m.msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().detail(), "pid must not be 0");
}

TEST(ParseAck, ErrorWithoutExtackUsesStrerror) {
  NlBytes m(NLMSG_ERROR, NLM_F_CAPPED, 7, 0, false);
  m.put32(static_cast<std::uint32_t>(-EPERM));
  put_request_header(m, 20);
  auto r = parse_ack(m.msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPERM);
  EXPECT_TRUE(r.error().detail().empty());
  EXPECT_EQ(r.error().what(), "Operation not permitted");
}

TEST(ParseAck, TruncatedErrorIsMalformed) {
  NlBytes m(NLMSG_ERROR, 0, 7, 0, false);
  m.put32(static_cast<std::uint32_t>(-EPERM));
  auto r = parse_ack(m.msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBADMSG);
}

TEST(ParseAck, DoneEndsADump) {
  NlBytes m(NLMSG_DONE, NLM_F_MULTI, 7, 0, false);
  m.put32(0);
  EXPECT_TRUE(parse_ack(m.msg()));
}

TEST(ParseAck, DoneCarryingAnErrorAndMessage) {
  NlBytes m(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 7, 0, false);
  m.put32(static_cast<std::uint32_t>(-ENOENT));
  m.str(NLMSGERR_ATTR_MSG, "no such root");
  auto r = parse_ack(m.msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().detail(), "no such root");
}

TEST(ErrorText, ContextAndStrerror) {
  EXPECT_EQ(Error(ENOENT, "open /x").what(), "open /x: No such file or directory");
  EXPECT_EQ(Error(EINVAL, "watch 1", "bad flags").what(), "watch 1: bad flags");
  EXPECT_EQ(Error::message(EPERM, "plain text").what(), "plain text");
}

}  // namespace
}  // namespace cowprobe
