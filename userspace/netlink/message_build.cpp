#include "message.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

namespace cowprobe {
namespace {

nlmsghdr* put_genl_header(RequestBuffer& buf, std::uint16_t type, std::uint16_t flags,
                          std::uint32_t seq, std::uint8_t cmd, std::uint8_t version) {
  buf.bytes.fill(0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.bytes.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = version;
  return nlh;
}

nlmsghdr* put_cowprobe(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                       std::uint8_t cmd, bool dump = false) {
  const auto flags = static_cast<std::uint16_t>(NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK));
  return put_genl_header(buf, family, flags, seq, cmd, COWPROBE_GENL_VERSION);
}

Bytes finish(const RequestBuffer& buf, const nlmsghdr* nlh) {
  return {buf.bytes.data(), nlh->nlmsg_len};
}

}  // namespace

Bytes build_get_family(RequestBuffer& buf, std::uint32_t seq, std::string_view name) {
  nlmsghdr* nlh =
      put_genl_header(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq, CTRL_CMD_GETFAMILY, 1);
  const std::string name_z(name);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name_z.c_str());
  return finish(buf, nlh);
}

Bytes build_status(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq) {
  return finish(buf, put_cowprobe(buf, family, seq, COWPROBE_CMD_STATUS));
}

Bytes build_watch(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, std::uint32_t pid,
                  std::uint32_t flags) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_WATCH);
  mnl_attr_put_u32(nlh, COWPROBE_A_PID, pid);
  mnl_attr_put_u32(nlh, COWPROBE_A_WATCH_FLAGS, flags);
  return finish(buf, nlh);
}

Bytes build_unwatch(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                    std::uint32_t pid) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_UNWATCH);
  mnl_attr_put_u32(nlh, COWPROBE_A_PID, pid);
  return finish(buf, nlh);
}

Bytes build_get(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, std::uint32_t pid) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_GET);
  mnl_attr_put_u32(nlh, COWPROBE_A_PID, pid);
  return finish(buf, nlh);
}

Bytes build_dump(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                 std::optional<std::uint32_t> root) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_GET, true);
  if (root) {
    mnl_attr_put_u32(nlh, COWPROBE_A_ROOT, *root);
  }
  return finish(buf, nlh);
}

Bytes build_reset(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                  std::optional<std::uint32_t> pid) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_RESET);
  if (pid) {
    mnl_attr_put_u32(nlh, COWPROBE_A_PID, *pid);
  }
  return finish(buf, nlh);
}

Bytes build_region_add(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq,
                       std::uint32_t pid, std::uint64_t start, std::uint64_t end,
                       std::string_view name) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_REGION_ADD);
  mnl_attr_put_u32(nlh, COWPROBE_A_PID, pid);
  mnl_attr_put_u64(nlh, COWPROBE_A_REGION_START, start);
  mnl_attr_put_u64(nlh, COWPROBE_A_REGION_END, end);
  if (!name.empty()) {
    const std::string name_z(name.substr(0, COWPROBE_REGION_NAME_LEN - 1));
    mnl_attr_put_strz(nlh, COWPROBE_A_REGION_NAME, name_z.c_str());
  }
  return finish(buf, nlh);
}

Bytes build_config(RequestBuffer& buf, std::uint16_t family, std::uint32_t seq, bool track_all) {
  nlmsghdr* nlh = put_cowprobe(buf, family, seq, COWPROBE_CMD_CONFIG);
  mnl_attr_put_u32(nlh, COWPROBE_A_TRACK_ALL, track_all ? 1U : 0U);
  return finish(buf, nlh);
}

}  // namespace cowprobe
