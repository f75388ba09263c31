#include "exit_listener.hpp"

#include <libmnl/libmnl.h>
#include <linux/cowprobe.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

namespace cowprobe {
namespace {

constexpr std::size_t kMaxDatagramsPerReceive = 1024;

std::optional<std::uint8_t> genl_cmd(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < mnl_nlmsg_size(sizeof(genlmsghdr))) {
    return std::nullopt;
  }
  return static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(&nlh))->cmd;
}

ExitEvent malformed(std::string detail) {
  ExitEvent e;
  e.kind = ExitEvent::Kind::malformed;
  e.detail = std::move(detail);
  return e;
}

void decode_one(const nlmsghdr& nlh, std::uint16_t family_id, std::vector<ExitEvent>& out) {
  const auto cmd = genl_cmd(nlh);
  if (nlh.nlmsg_type == GENL_ID_CTRL) {
    if (!cmd || (*cmd != CTRL_CMD_NEWFAMILY && *cmd != CTRL_CMD_DELFAMILY)) {
      return;
    }
    auto info = parse_family(nlh);
    if (!info || info->name != COWPROBE_GENL_NAME) {
      return;
    }
    ExitEvent e;
    e.kind = *cmd == CTRL_CMD_NEWFAMILY ? ExitEvent::Kind::family_added
                                        : ExitEvent::Kind::family_removed;
    e.family_id = info->id;
    out.push_back(std::move(e));
    return;
  }
  if (family_id == 0 || nlh.nlmsg_type != family_id) {
    return;
  }
  if (!cmd || *cmd != COWPROBE_CMD_EXIT) {
    return;
  }
  auto rec = parse_exit(nlh);
  if (!rec) {
    out.push_back(malformed(rec.error().what()));
    return;
  }
  ExitEvent e;
  e.record = std::move(rec).value();
  out.push_back(std::move(e));
}

Result<void> add_membership(int fd, std::uint32_t group, std::string_view what) {
  if (::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
    return Error::from_errno(fmt::format("joining multicast group {} ({})", what, group));
  }
  return {};
}

}  // namespace

bool family_notice_is_news(const ExitEvent& e, std::uint16_t joined_id) {
  if (joined_id == 0 || e.family_id == 0) {
    return true;
  }
  if (e.kind == ExitEvent::Kind::family_added) {
    return e.family_id != joined_id;
  }
  if (e.kind == ExitEvent::Kind::family_removed) {
    return e.family_id == joined_id;
  }
  return false;
}

std::vector<ExitEvent> decode_exit_datagram(std::span<const std::uint8_t> bytes,
                                            std::uint16_t family_id) {
  std::vector<ExitEvent> out;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data());
  auto left = static_cast<int>(bytes.size());
  for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
    decode_one(*nlh, family_id, out);
  }
  if (left > 0) {
    out.push_back(malformed(fmt::format("truncated netlink message ({} bytes left over)", left)));
  }
  return out;
}

Result<ExitListener> ExitListener::open(std::size_t rcvbuf) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC));
  if (!fd.valid()) {
    return Error::from_errno("netlink socket");
  }
  const int want =
      rcvbuf > static_cast<std::size_t>(INT32_MAX / 2) ? INT32_MAX / 2 : static_cast<int>(rcvbuf);
  // FORCE passes net.core.rmem_max but needs CAP_NET_ADMIN.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0 &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)) < 0) {
    return Error::from_errno("setting the netlink receive buffer");
  }
  int got = 0;
  socklen_t len = sizeof(got);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &got, &len) < 0) {
    return Error::from_errno("reading the netlink receive buffer size");
  }
  // Without it a record lost to this socket's overflow is no error for the
  // module's genlmsg_multicast(), and STATUS's exits_dropped misses it.
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one, sizeof(one)) < 0) {
    return Error::from_errno("NETLINK_BROADCAST_ERROR");
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) {
    return Error::from_errno("netlink bind");
  }
  auto sock = NlSocket::open();
  if (!sock) {
    return sock.error();
  }
  bool notified = false;
  auto ctrl = get_family(*sock, "nlctrl");
  if (ctrl) {
    if (auto notify = ctrl->group("notify")) {
      notified = add_membership(fd.get(), *notify, "nlctrl notify").ok();
    }
  }
  return ExitListener(std::move(fd), static_cast<std::size_t>(got), notified);
}

Result<FamilyInfo> ExitListener::join() {
  auto sock = NlSocket::open();
  if (!sock) {
    return sock.error();
  }
  auto family = get_family(*sock, COWPROBE_GENL_NAME);
  if (!family) {
    return family.error();
  }
  auto group = family->group(COWPROBE_MCGRP_EXITS);
  if (!group) {
    return Error::message(ENOENT, "the cowprobe module has no \"" COWPROBE_MCGRP_EXITS
                                  "\" multicast group (a version before exit records)");
  }
  if (auto r = add_membership(fd_.get(), *group, COWPROBE_MCGRP_EXITS); !r) {
    return r.error();
  }
  family_id_ = family->id;
  group_id_ = *group;
  return family;
}

Result<bool> netlink_member(int fd, std::uint32_t group) {
  if (group == 0) {
    return false;
  }
  // Group g is bit g - 1. The kernel fills the buffer as far as its groups
  // go; the length it reports is not to be trusted (before Linux 6.4 it
  // rounds down), so the zeroed buffer is read whole.
  const std::uint32_t bit = group - 1;
  std::vector<std::uint32_t> mask(bit / 32 + 1);
  auto len = static_cast<socklen_t>(mask.size() * sizeof(std::uint32_t));
  if (::getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, mask.data(), &len) < 0) {
    return Error::from_errno("NETLINK_LIST_MEMBERSHIPS");
  }
  return ((mask[bit / 32] >> (bit % 32)) & 1U) != 0;
}

Result<bool> ExitListener::member() const {
  if (family_id_ == 0) {
    return false;
  }
  return netlink_member(fd_.get(), group_id_);
}

Result<std::vector<ExitEvent>> ExitListener::receive() {
  std::vector<ExitEvent> events;
  for (std::size_t n = 0; n < kMaxDatagramsPerReceive; ++n) {
    sockaddr_nl from{};
    iovec iov{buf_.data(), buf_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t len = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
    if (len < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      if (errno == ENOBUFS) {
        ExitEvent e;
        e.kind = ExitEvent::Kind::overflow;
        events.push_back(std::move(e));
        continue;
      }
      return Error::from_errno("netlink receive");
    }
    // Only the kernel sends to a multicast group; any process can unicast
    // to this port, so a record from anyone else would be a forgery.
    if (from.nl_pid != 0) {
      continue;
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      events.push_back(malformed(fmt::format("datagram larger than {} bytes", buf_.size())));
      continue;
    }
    auto decoded = decode_exit_datagram({buf_.data(), static_cast<std::size_t>(len)}, family_id_);
    for (auto& e : decoded) {
      events.push_back(std::move(e));
    }
  }
  return events;
}

}  // namespace cowprobe
