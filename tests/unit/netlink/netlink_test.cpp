// Against the running kernel's nlctrl, which every Linux has: the real
// socket path (send, receive, error with extended ack) without the module.
// Nothing here needs a family but nlctrl: a socket that does not open is a
// failure, never a skip (exit_listener_test.cpp too).
#include <linux/genetlink.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "netlink.hpp"

namespace cowprobe {
namespace {

TEST(NlSocket, ResolvesNlctrl) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock) << sock.error().what();
  auto id = resolve_family(*sock, "nlctrl");
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, GENL_ID_CTRL);
}

TEST(NlSocket, MissingFamilyIsENOENT) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock) << sock.error().what();
  auto id = resolve_family(*sock, "cowprobe-nosuch");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code(), ENOENT);
  EXPECT_EQ(id.error().what(), "no generic netlink family \"cowprobe-nosuch\"");
  // The socket stays usable after an error reply.
  EXPECT_TRUE(resolve_family(*sock, "nlctrl"));
}

TEST(NlSocket, RejectedRequestIsAnError) {
  auto sock = NlSocket::open();
  ASSERT_TRUE(sock) << sock.error().what();
  // Longer than GENL_NAMSIZ: nlctrl's policy rejects it (with an extended
  // ack message on kernels that send one).
  auto id = resolve_family(*sock, "a-family-name-far-too-long");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code(), EINVAL);
  EXPECT_TRUE(resolve_family(*sock, "nlctrl"));
}

}  // namespace
}  // namespace cowprobe
