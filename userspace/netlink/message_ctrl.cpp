#include "message.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "message_attr.hpp"

namespace cowprobe {
namespace {

using namespace attr;  // the parsers' vocabulary (message_attr.hpp)

// Offset of the extended ack TLVs in an NLMSG_ERROR payload.
std::size_t ack_tlv_offset(const nlmsghdr& nlh, const nlmsgerr& err) {
  std::size_t offset = sizeof(nlmsgerr);
  if ((nlh.nlmsg_flags & NLM_F_CAPPED) == 0 && err.msg.nlmsg_len > sizeof(nlmsghdr)) {
    offset += MNL_ALIGN(err.msg.nlmsg_len - sizeof(nlmsghdr));
  }
  return offset;
}

std::string extack_message(const nlmsghdr& nlh, std::size_t tlv_offset) {
  std::string message;
  if ((nlh.nlmsg_flags & NLM_F_ACK_TLVS) == 0) {
    return message;
  }
  const std::size_t payload_len = mnl_nlmsg_get_payload_len(&nlh);
  if (tlv_offset >= payload_len) {
    return message;
  }
  const auto* payload = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(&nlh));
  // A malformed TLV area only costs the message, not the error itself.
  (void)for_each_attr(payload + tlv_offset, payload_len - tlv_offset,
                      [&](const nlattr* attr) -> Result<void> {
                        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
                          message = mnl_attr_get_str(attr);
                        }
                        return {};
                      });
  return message;
}

}  // namespace

std::optional<std::uint32_t> FamilyInfo::group(std::string_view group_name) const {
  for (const auto& g : groups) {
    if (g.name == group_name) {
      return g.id;
    }
  }
  return std::nullopt;
}

Result<FamilyInfo> parse_family(const nlmsghdr& nlh) {
  FamilyInfo info;
  bool have_id = false;
  auto parse_group = [](const nlattr* nest, McastGroup& out) -> Result<void> {
    if (auto r = get_nested(nest, "MCAST_GROUP"); !r) {
      return r;
    }
    return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
      switch (mnl_attr_get_type(attr)) {
        case CTRL_ATTR_MCAST_GRP_NAME:
          return get_string(attr, "MCAST_GRP_NAME", out.name);
        case CTRL_ATTR_MCAST_GRP_ID:
          return get_u32(attr, "MCAST_GRP_ID", out.id);
        default:
          return {};
      }
    });
  };
  auto r = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case CTRL_ATTR_FAMILY_ID:
        if (auto v = validate(attr, MNL_TYPE_U16, "FAMILY_ID"); !v) {
          return v;
        }
        info.id = mnl_attr_get_u16(attr);
        have_id = true;
        return {};
      case CTRL_ATTR_FAMILY_NAME:
        return get_string(attr, "FAMILY_NAME", info.name);
      case CTRL_ATTR_MCAST_GROUPS:
        // Elements are numbered 1, 2, ...: every nest in the list is a group.
        if (auto v = get_nested(attr, "MCAST_GROUPS"); !v) {
          return v;
        }
        return for_each_nested(attr, [&](const nlattr* group) -> Result<void> {
          McastGroup g;
          if (auto v = parse_group(group, g); !v) {
            return v;
          }
          info.groups.push_back(std::move(g));
          return {};
        });
      default:
        return {};
    }
  });
  if (!r) {
    return r.error();
  }
  if (!have_id) {
    return Error(EBADMSG, "malformed reply", "no family id in the nlctrl message");
  }
  return info;
}

Result<void> parse_ack(const nlmsghdr& nlh) {
  const std::size_t payload_len = mnl_nlmsg_get_payload_len(&nlh);
  if (nlh.nlmsg_type == NLMSG_DONE) {
    if (payload_len < sizeof(int)) {
      return {};
    }
    const int error = *static_cast<const int*>(mnl_nlmsg_get_payload(&nlh));
    if (error >= 0) {
      return {};
    }
    return Error(-error, {}, extack_message(nlh, sizeof(int)));
  }
  if (nlh.nlmsg_type != NLMSG_ERROR) {
    return Error(EBADMSG, "malformed reply", fmt::format("unexpected type {}", nlh.nlmsg_type));
  }
  if (payload_len < sizeof(nlmsgerr)) {
    return Error(EBADMSG, "malformed reply", "truncated NLMSG_ERROR");
  }
  const auto& err = *static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(&nlh));
  if (err.error == 0) {
    return {};
  }
  const int code = err.error < 0 ? -err.error : err.error;
  return Error(code, {}, extack_message(nlh, ack_tlv_offset(nlh, err)));
}

}  // namespace cowprobe
