// Request building and reply parsing: pure functions over bytes, testable
// without a kernel. Requests follow include/uapi/linux/cowprobe.h.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"
#include "result.hpp"

namespace cowprobe {

// Room for any request this library sends.
struct RequestBuffer {
  alignas(NLMSG_ALIGNTO) std::array<std::uint8_t, 256> bytes{};
};

using Bytes = std::span<const std::uint8_t>;

// doit requests carry NLM_F_REQUEST | NLM_F_ACK, the dump NLM_F_REQUEST |
// NLM_F_DUMP. Each returns the message, nlmsg_len bytes of buf.
Bytes build_get_family(RequestBuffer& buf, std::uint32_t seq, std::string_view name);
Bytes build_status(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq);
Bytes build_watch(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, std::uint32_t pid,
                  std::uint32_t flags);
Bytes build_unwatch(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, std::uint32_t pid);
Bytes build_get(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, std::uint32_t pid);
Bytes build_dump(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                 std::optional<std::uint32_t> root);
Bytes build_reset(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                  std::optional<std::uint32_t> pid);
// name: empty for none, else shorter than COWPROBE_REGION_NAME_LEN.
Bytes build_region_add(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                       std::uint32_t pid, std::uint64_t start, std::uint64_t end,
                       std::string_view name);
Bytes build_config(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, bool track_all);

// Replies. nlh must span nlh.nlmsg_len valid bytes. Attributes of a known
// type with a wrong length or format are errors (EBADMSG); unknown ones are
// skipped.
Result<ProcRecord> parse_proc(const nlmsghdr& nlh);
Result<Status> parse_status(const nlmsghdr& nlh);

// A generic netlink family as nlctrl describes it, in a CTRL_CMD_GETFAMILY
// reply or a CTRL_CMD_NEWFAMILY/DELFAMILY notification.
struct McastGroup {
  std::string name;
  std::uint32_t id = 0;
};
struct FamilyInfo {
  std::uint16_t id = 0;
  std::string name;
  std::vector<McastGroup> groups;
  [[nodiscard]] std::optional<std::uint32_t> group(std::string_view group_name) const;
};
Result<FamilyInfo> parse_family(const nlmsghdr& nlh);
// COWPROBE_CMD_EXIT: a process record with COWPROBE_A_SEQ, which it must have.
Result<ExitRecord> parse_exit(const nlmsghdr& nlh);

// NLMSG_ERROR or NLMSG_DONE: success for an ack (error 0) or the end of a
// dump; otherwise an Error with the positive errno and, as detail, the
// kernel's extended ack message (NLMSGERR_ATTR_MSG) when it sent one.
Result<void> parse_ack(const nlmsghdr& nlh);

}  // namespace cowprobe
