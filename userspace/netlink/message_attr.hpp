// Reading netlink attributes with libmnl, for the reply parsers of
// message_parse.cpp and message_ctrl.cpp: every malformed attribute is an
// EBADMSG Error naming it, never a read past the message.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "result.hpp"

namespace cowprobe::attr {

// Walks the attributes in [start, start + len): f(attr) returns
// Result<void>. Bytes left over that do not form an attribute are an error.
template <typename F>
Result<void> for_each_attr(const void* start, std::size_t len, F&& f) {
  const auto* attr = static_cast<const nlattr*>(start);
  auto remaining = static_cast<int>(len);
  while (mnl_attr_ok(attr, remaining)) {
    if (auto r = f(attr); !r) {
      return r;
    }
    const auto* next = mnl_attr_next(attr);
    remaining -= static_cast<int>(reinterpret_cast<const std::uint8_t*>(next) -
                                  reinterpret_cast<const std::uint8_t*>(attr));
    attr = next;
  }
  if (remaining > 0) {
    return Error(EBADMSG, "malformed reply",
                 fmt::format("truncated attribute ({} bytes left over)", remaining));
  }
  return {};
}

template <typename F>
Result<void> for_each_nested(const nlattr* nest, F&& f) {
  return for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
                       std::forward<F>(f));
}

template <typename F>
Result<void> for_each_genl_attr(const nlmsghdr& nlh, F&& f) {
  if (nlh.nlmsg_len < mnl_nlmsg_size(sizeof(genlmsghdr))) {
    return Error(EBADMSG, "malformed reply", "message shorter than its genetlink header");
  }
  const auto* payload = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(&nlh));
  const std::size_t len = mnl_nlmsg_get_payload_len(&nlh) - sizeof(genlmsghdr);
  return for_each_attr(payload + sizeof(genlmsghdr), len, std::forward<F>(f));
}

inline Result<void> validate(const nlattr* attr, mnl_attr_data_type type, std::string_view what) {
  if (mnl_attr_validate(attr, type) < 0) {
    return Error(EBADMSG, "malformed reply",
                 fmt::format("attribute {} (type {}, {} bytes) is invalid", what,
                             mnl_attr_get_type(attr), mnl_attr_get_payload_len(attr)));
  }
  return {};
}

inline Result<void> get_u32(const nlattr* attr, std::string_view what, std::uint32_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U32, what); !r) {
    return r;
  }
  out = mnl_attr_get_u32(attr);
  return {};
}

inline Result<void> get_s32(const nlattr* attr, std::string_view what, std::int32_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U32, what); !r) {
    return r;
  }
  out = static_cast<std::int32_t>(mnl_attr_get_u32(attr));
  return {};
}

inline Result<void> get_u64(const nlattr* attr, std::string_view what, std::uint64_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U64, what); !r) {
    return r;
  }
  out = mnl_attr_get_u64(attr);
  return {};
}

inline Result<void> get_string(const nlattr* attr, std::string_view what, std::string& out) {
  if (auto r = validate(attr, MNL_TYPE_NUL_STRING, what); !r) {
    return r;
  }
  out = mnl_attr_get_str(attr);
  return {};
}

inline Result<void> get_nested(const nlattr* attr, std::string_view what) {
  return validate(attr, MNL_TYPE_NESTED, what);
}

}  // namespace cowprobe::attr
