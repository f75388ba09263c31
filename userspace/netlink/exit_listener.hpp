// The multicast side of the protocol: exit records on the "exits" group,
// on a socket of their own, and nlctrl's notices of the family coming and
// going (rmmod, insmod).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fd.hpp"
#include "message.hpp"
#include "netlink.hpp"
#include "records.hpp"
#include "result.hpp"

namespace cowprobe {

struct ExitEvent {
  enum class Kind {
    record,          // record is set
    overflow,        // ENOBUFS: the socket overflowed, records were lost
    family_added,    // nlctrl: the cowprobe family was registered (insmod)
    family_removed,  // nlctrl: it was unregistered (rmmod)
    malformed,       // a message that did not parse; detail says why
  };
  Kind kind = Kind::record;
  ExitRecord record;
  std::string detail;
  std::uint16_t family_id = 0;  // family_added, family_removed: its id
};

// Whether a family notice is news to a listener joined to the family of id
// joined_id (0: not joined). Not news: the registration of the family it
// joined already (by polling, before the notice was read), or the removal
// of another one than it joined (an earlier instance's, read late).
[[nodiscard]] bool family_notice_is_news(const ExitEvent& e, std::uint16_t joined_id);

// Decodes one datagram read from the listener's socket: exit records of
// the family family_id, nlctrl notices about the "cowprobe" family; other
// messages are ignored. Pure, for tests.
std::vector<ExitEvent> decode_exit_datagram(std::span<const std::uint8_t> bytes,
                                            std::uint16_t family_id);

// Whether the netlink socket fd is in multicast group (NETLINK_LIST_MEMBERSHIPS).
Result<bool> netlink_member(int fd, std::uint32_t group);

class ExitListener {
 public:
  static constexpr std::size_t kDefaultReceiveBuffer = std::size_t{16} * 1024 * 1024;

  // A non-blocking NETLINK_GENERIC socket with a receive buffer of
  // rcvbuf bytes (SO_RCVBUFFORCE with CAP_NET_ADMIN, else SO_RCVBUF, which
  // net.core.rmem_max caps), NETLINK_BROADCAST_ERROR on (the module counts
  // what overflows it as dropped), joined to nlctrl's "notify" group.
  static Result<ExitListener> open(std::size_t rcvbuf = kDefaultReceiveBuffer);

  // Resolves the cowprobe family and joins its "exits" group. ENOENT: the
  // module is not loaded.
  Result<FamilyInfo> join();
  // Forgets the family (after family_removed): records are not expected.
  void left() { family_id_ = 0; }
  // Whether the socket is still in the group join() joined: unregistering
  // the family takes every socket out of its groups.
  [[nodiscard]] Result<bool> member() const;

  // Every datagram queued now, decoded; never blocks. ENOBUFS (the
  // kernel dropped datagrams for this socket) becomes an overflow event.
  Result<std::vector<ExitEvent>> receive();

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] bool joined() const { return family_id_ != 0; }
  // The id of the family joined; 0 when not joined.
  [[nodiscard]] std::uint16_t family_id() const { return family_id_; }
  [[nodiscard]] std::size_t receive_buffer() const { return rcvbuf_; }
  // Whether nlctrl's notices arrive; without them only polling sees a reload.
  [[nodiscard]] bool notified() const { return notified_; }

 private:
  ExitListener(UniqueFd fd, std::size_t rcvbuf, bool notified)
      : fd_(std::move(fd)), rcvbuf_(rcvbuf), notified_(notified), buf_(kDatagramSize) {}

  static constexpr std::size_t kDatagramSize = std::size_t{64} * 1024;

  UniqueFd fd_;
  std::size_t rcvbuf_;
  bool notified_;
  std::uint16_t family_id_ = 0;
  std::uint32_t group_id_ = 0;
  std::vector<std::uint8_t> buf_;
};

}  // namespace cowprobe
