// The listener's socket against the running kernel's nlctrl, which every
// Linux has: multicast membership as the daemon checks it.
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "exit_listener.hpp"
#include "fd.hpp"

namespace cowprobe {
namespace {

TEST(NetlinkMember, SeesTheGroupJoinedAndNoOther) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock) << sock.error().what();
  auto ctrl = get_family(*sock, "nlctrl");
  ASSERT_TRUE(ctrl) << ctrl.error().what();
  const auto notify = ctrl->group("notify");
  ASSERT_TRUE(notify);
  const UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
  ASSERT_TRUE(fd.valid());
  EXPECT_FALSE(*netlink_member(fd.get(), *notify));
  std::uint32_t group = *notify;
  ASSERT_EQ(::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)), 0);
  EXPECT_TRUE(*netlink_member(fd.get(), *notify));
  EXPECT_FALSE(*netlink_member(fd.get(), *notify + 1));
  EXPECT_FALSE(*netlink_member(fd.get(), *notify - 1));
  EXPECT_FALSE(*netlink_member(fd.get(), 0));
}

TEST(ExitListener, OpensAndFollowsNlctrl) {
  auto listener = ExitListener::open(std::size_t{1} << 20);
  ASSERT_TRUE(listener) << listener.error().what();
  EXPECT_TRUE(listener->notified());
  EXPECT_FALSE(listener->joined());
  EXPECT_GE(listener->receive_buffer(), std::size_t{1} << 20);
  auto events = listener->receive();  // nothing queued: returns at once
  ASSERT_TRUE(events) << events.error().what();
}

}  // namespace
}  // namespace cowprobe
