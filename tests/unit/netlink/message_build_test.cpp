#include <linux/cowprobe.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "message.hpp"

namespace cowprobe {
namespace {

std::vector<std::uint8_t> vec(Bytes b) { return {b.begin(), b.end()}; }

TEST(BuildRequest, WatchPid1234WithChildren) {
  RequestBuffer buf;
  const std::vector<std::uint8_t> expected{
      // nlmsghdr: len 36, type 0x20 (family), flags REQUEST|ACK, seq 7, pid 0
      0x24, 0x00, 0x00, 0x00, 0x20, 0x00, 0x05, 0x00,  //
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      // genlmsghdr: cmd WATCH (2), version 1, reserved
      0x02, 0x01, 0x00, 0x00,  //
      // COWPROBE_A_PID (12) = 1234
      0x08, 0x00, 0x0c, 0x00, 0xd2, 0x04, 0x00, 0x00,  //
      // COWPROBE_A_WATCH_FLAGS (13) = 1
      0x08, 0x00, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x00,  //
  };
  EXPECT_EQ(vec(build_watch(buf, 0x20, 7, 1234, 1)), expected);
}

TEST(BuildRequest, StatusHasNoAttributes) {
  RequestBuffer buf;
  const std::vector<std::uint8_t> expected{
      0x14, 0x00, 0x00, 0x00, 0x20, 0x00, 0x05, 0x00,  //
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x01, 0x01, 0x00, 0x00,                          // cmd STATUS (1)
  };
  EXPECT_EQ(vec(build_status(buf, 0x20, 1)), expected);
}

TEST(BuildRequest, DumpWithRootUsesDumpFlags) {
  RequestBuffer buf;
  const std::vector<std::uint8_t> expected{
      // flags REQUEST|ROOT|MATCH = 0x0301
      0x1c, 0x00, 0x00, 0x00, 0x21, 0x00, 0x01, 0x03,  //
      0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x04, 0x01, 0x00, 0x00,                          // cmd GET (4)
      0x08, 0x00, 0x0e, 0x00, 0x39, 0x30, 0x00, 0x00,  // COWPROBE_A_ROOT (14) = 12345
  };
  EXPECT_EQ(vec(build_dump(buf, 0x21, 9, 12345U)), expected);
}

TEST(BuildRequest, DumpWithoutRootAndResetWithoutPid) {
  RequestBuffer buf;
  auto dump = build_dump(buf, 0x21, 9, std::nullopt);
  EXPECT_EQ(dump.size(), 20U);
  auto reset = build_reset(buf, 0x21, 3, std::nullopt);
  ASSERT_EQ(reset.size(), 20U);
  EXPECT_EQ(reset[16], COWPROBE_CMD_RESET);
  EXPECT_EQ(reset[6], 0x05);  // REQUEST|ACK
}

TEST(BuildRequest, UnwatchAndGet) {
  RequestBuffer buf;
  auto unwatch = vec(build_unwatch(buf, 0x20, 2, 42));
  ASSERT_EQ(unwatch.size(), 28U);
  EXPECT_EQ(unwatch[16], COWPROBE_CMD_UNWATCH);
  EXPECT_EQ((std::vector<std::uint8_t>(unwatch.begin() + 20, unwatch.end())),
            (std::vector<std::uint8_t>{0x08, 0x00, 0x0c, 0x00, 0x2a, 0x00, 0x00, 0x00}));
  auto get = vec(build_get(buf, 0x20, 2, 42));
  EXPECT_EQ(get[16], COWPROBE_CMD_GET);
  EXPECT_EQ(get[6], 0x05);
}

TEST(BuildRequest, RegionAdd) {
  RequestBuffer buf;
  const std::vector<std::uint8_t> expected{
      // len 60, family 0x20, REQUEST|ACK, seq 3
      0x3c, 0x00, 0x00, 0x00, 0x20, 0x00, 0x05, 0x00,  //
      0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x06, 0x01, 0x00, 0x00,                          // cmd REGION_ADD (6)
      0x08, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x00,  // PID (12) = 10
      // REGION_START (26) = 0x7f0000001000
      0x0c, 0x00, 0x1a, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,
      // REGION_END (27) = 0x7f0000003000
      0x0c, 0x00, 0x1b, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,
      // REGION_NAME (28) = "buf\0"
      0x08, 0x00, 0x1c, 0x00, 'b', 'u', 'f', 0x00,  //
  };
  EXPECT_EQ(vec(build_region_add(buf, 0x20, 3, 10, 0x7f0000001000ULL, 0x7f0000003000ULL, "buf")),
            expected);
}

TEST(BuildRequest, GetFamilyAsksNlctrl) {
  RequestBuffer buf;
  const std::vector<std::uint8_t> expected{
      // len 36 (the last attribute's padding counts), type GENL_ID_CTRL
      // (0x10), REQUEST|ACK, seq 5
      0x24,
      0x00,
      0x00,
      0x00,
      0x10,
      0x00,
      0x05,
      0x00,  //
      0x05,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,  //
      0x03,
      0x01,
      0x00,
      0x00,  // CTRL_CMD_GETFAMILY, version 1
      // CTRL_ATTR_FAMILY_NAME (2) = "cowprobe\0": len 13, padded to 16
      0x0d,
      0x00,
      0x02,
      0x00,
      'c',
      'o',
      'w',
      'p',
      'r',
      'o',
      'b',
      'e',
      0x00,
      0x00,
      0x00,
      0x00,
  };
  EXPECT_EQ(vec(build_get_family(buf, 5, "cowprobe")), expected);
}

}  // namespace
}  // namespace cowprobe
