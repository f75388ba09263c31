// A generic netlink socket: requests out, reply messages in.
#pragma once

#include <libmnl/libmnl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace cowprobe {

struct FamilyInfo;  // message.hpp

// One reply message, copied out of the receive buffer.
class Message {
 public:
  explicit Message(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  [[nodiscard]] const nlmsghdr& header() const {
    return *reinterpret_cast<const nlmsghdr*>(bytes_.data());
  }

 private:
  std::vector<std::uint8_t> bytes_;  // heap storage: aligned for nlmsghdr
};

class NlSocket {
 public:
  static constexpr std::size_t kReceiveBufferSize = std::size_t{32} * 1024;
  // A dump is interrupted when a record leaves the module's table between
  // two of its datagrams (unwatch, reset, a track_all process reaped).
  // Retries wait attempt milliseconds (at most kDumpBackoffMaxMs) for a
  // quiet moment: about 0.4 s in all before giving up.
  static constexpr int kDumpAttempts = 48;
  static constexpr int kDumpBackoffMaxMs = 10;

  // NETLINK_GENERIC, NETLINK_EXT_ACK and NETLINK_CAP_ACK on, bound.
  static Result<NlSocket> open();

  // Sends request (its nlmsg_seq is replaced by the next sequence number)
  // and returns the data messages of the reply, up to the ack or the end of
  // the dump. A dump interrupted by a concurrent change (NLM_F_DUMP_INTR)
  // is started again, at most kDumpAttempts times, then fails with EINTR
  // (context: "interrupted: ..."). An error reply becomes
  // an Error with the kernel's extended ack message as detail.
  Result<std::vector<Message>> transact(std::span<std::uint8_t> request);

  [[nodiscard]] std::uint32_t next_seq() { return ++seq_; }

 private:
  struct Closer {
    void operator()(mnl_socket* nl) const { mnl_socket_close(nl); }
  };

  NlSocket(mnl_socket* nl, std::uint32_t seq);
  Result<std::vector<Message>> transact_once(std::span<std::uint8_t> request);
  void drain(std::uint32_t seq, std::size_t len);

  std::unique_ptr<mnl_socket, Closer> nl_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
  std::vector<std::uint8_t> buf_;
};

// CTRL_CMD_GETFAMILY: a generic netlink family's id and multicast groups,
// or only its id. A missing "cowprobe" family becomes the "module is not
// loaded" error.
Result<FamilyInfo> get_family(NlSocket& sock, std::string_view name);
Result<std::uint16_t> resolve_family(NlSocket& sock, std::string_view name);

}  // namespace cowprobe
