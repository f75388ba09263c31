#include "netlink.hpp"

#include <linux/cowprobe.h>
#include <linux/genetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <new>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "message.hpp"

namespace cowprobe {
namespace {

struct Collector {
  std::vector<Message> messages;
  std::optional<Error> error;
};

int on_data(const nlmsghdr* nlh, void* data) noexcept {
  auto* c = static_cast<Collector*>(data);
  try {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(nlh);
    c->messages.emplace_back(std::span<const std::uint8_t>(bytes, nlh->nlmsg_len));
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

// NLMSG_ERROR (ack or error) and NLMSG_DONE both end a request.
int on_ack(const nlmsghdr* nlh, void* data) noexcept {
  auto* c = static_cast<Collector*>(data);
  try {
    auto r = parse_ack(*nlh);
    if (r) {
      return MNL_CB_STOP;
    }
    c->error = r.error();
    errno = r.error().code();
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
  }
  return MNL_CB_ERROR;
}

int on_overrun(const nlmsghdr* /*nlh*/, void* /*data*/) noexcept {
  errno = ENOSPC;
  return MNL_CB_ERROR;
}

constexpr std::array<mnl_cb_t, NLMSG_MIN_TYPE> control_callbacks() {
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> cbs{};
  cbs[NLMSG_ERROR] = on_ack;
  cbs[NLMSG_DONE] = on_ack;
  cbs[NLMSG_OVERRUN] = on_overrun;
  return cbs;
}

// A distinct Error code would collide with errnos: mark the retryable case.
constexpr std::string_view kDumpInterrupted =
    "interrupted: records left the kernel's table during every attempt";

}  // namespace

NlSocket::NlSocket(mnl_socket* nl, std::uint32_t seq)
    : nl_(nl), portid_(mnl_socket_get_portid(nl)), seq_(seq), buf_(kReceiveBufferSize) {}

Result<NlSocket> NlSocket::open() {
  mnl_socket* raw = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
  if (raw == nullptr) {
    return Error::from_errno("netlink socket");
  }
  std::unique_ptr<mnl_socket, Closer> nl(raw);
  int one = 1;
  // Both options are best effort: old kernels lack them, errors stay errors.
  (void)mnl_socket_setsockopt(nl.get(), NETLINK_EXT_ACK, &one, sizeof(one));
  (void)mnl_socket_setsockopt(nl.get(), NETLINK_CAP_ACK, &one, sizeof(one));
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error::from_errno("netlink bind");
  }
  return NlSocket(nl.release(), static_cast<std::uint32_t>(std::time(nullptr)));
}

Result<std::vector<Message>> NlSocket::transact(std::span<std::uint8_t> request) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(request.data());
  const bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  for (int attempt = 1;; ++attempt) {
    auto r = transact_once(request);
    if (r || !dump || r.error().context() != kDumpInterrupted || attempt == kDumpAttempts) {
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, kDumpBackoffMaxMs)));
  }
}

Result<std::vector<Message>> NlSocket::transact_once(std::span<std::uint8_t> request) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(request.data());
  const std::uint32_t seq = next_seq();
  nlh->nlmsg_seq = seq;
  while (mnl_socket_sendto(nl_.get(), request.data(), nlh->nlmsg_len) < 0) {
    if (errno != EINTR) {
      return Error::from_errno("netlink send");
    }
  }
  Collector c;
  auto callbacks = control_callbacks();  // libmnl takes a non-const array
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno("netlink receive");
    }
    const int ret = mnl_cb_run2(buf_.data(), static_cast<std::size_t>(n), seq, portid_, on_data, &c,
                                callbacks.data(), callbacks.size());
    if (ret == MNL_CB_STOP) {
      return std::move(c.messages);
    }
    if (ret == MNL_CB_ERROR) {
      if (c.error) {
        return *c.error;
      }
      if (errno == EINTR) {  // libmnl's report of NLM_F_DUMP_INTR
        drain(seq, static_cast<std::size_t>(n));
        return Error(EINTR, std::string(kDumpInterrupted));
      }
      return Error::from_errno("netlink reply");
    }
  }
}

// Reads the rest of an abandoned reply so the next request starts clean;
// the first len bytes of the buffer are the datagram already received.
void NlSocket::drain(std::uint32_t seq, std::size_t len) {
  for (;;) {
    int left = static_cast<int>(len);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
    for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_seq == seq &&
          (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)) {
        return;
      }
    }
    ssize_t n = -1;
    do {
      n = mnl_socket_recvfrom(nl_.get(), buf_.data(), buf_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return;
    }
    len = static_cast<std::size_t>(n);
  }
}

Result<FamilyInfo> get_family(NlSocket& sock, std::string_view name) {
  RequestBuffer buf;
  (void)build_get_family(buf, sock.next_seq(), name);
  auto reply = sock.transact(buf.bytes);
  if (!reply) {
    const Error& e = reply.error();
    if (e.code() == ENOENT && name == COWPROBE_GENL_NAME) {
      return Error::message(
          ENOENT,
          "cowprobe module is not loaded (no generic netlink family \"cowprobe\"); load it "
          "with: insmod cowprobe.ko  (or modprobe cowprobe)");
    }
    if (e.code() == ENOENT) {
      return Error::message(ENOENT, fmt::format("no generic netlink family \"{}\"", name));
    }
    return Error(e.code(), fmt::format("resolving generic netlink family \"{}\"", name),
                 e.detail());
  }
  if (reply->empty()) {
    return Error(EBADMSG, "malformed reply", "empty CTRL_CMD_GETFAMILY reply");
  }
  return parse_family(reply->front().header());
}

Result<std::uint16_t> resolve_family(NlSocket& sock, std::string_view name) {
  auto family = get_family(sock, name);
  if (!family) {
    return family.error();
  }
  return family->id;
}

}  // namespace cowprobe
