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

Result<void> validate(const nlattr* attr, mnl_attr_data_type type, std::string_view what) {
  if (mnl_attr_validate(attr, type) < 0) {
    return Error(EBADMSG, "malformed reply",
                 fmt::format("attribute {} (type {}, {} bytes) is invalid", what,
                             mnl_attr_get_type(attr), mnl_attr_get_payload_len(attr)));
  }
  return {};
}

Result<void> get_u32(const nlattr* attr, std::string_view what, std::uint32_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U32, what); !r) {
    return r;
  }
  out = mnl_attr_get_u32(attr);
  return {};
}

Result<void> get_s32(const nlattr* attr, std::string_view what, std::int32_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U32, what); !r) {
    return r;
  }
  out = static_cast<std::int32_t>(mnl_attr_get_u32(attr));
  return {};
}

Result<void> get_u64(const nlattr* attr, std::string_view what, std::uint64_t& out) {
  if (auto r = validate(attr, MNL_TYPE_U64, what); !r) {
    return r;
  }
  out = mnl_attr_get_u64(attr);
  return {};
}

Result<void> get_string(const nlattr* attr, std::string_view what, std::string& out) {
  if (auto r = validate(attr, MNL_TYPE_NUL_STRING, what); !r) {
    return r;
  }
  out = mnl_attr_get_str(attr);
  return {};
}

Result<void> get_nested(const nlattr* attr, std::string_view what) {
  return validate(attr, MNL_TYPE_NESTED, what);
}

Result<void> parse_counters(const nlattr* nest, Counters& out) {
  if (auto r = get_nested(nest, "COUNTERS"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    const int type = mnl_attr_get_type(attr);
    if (type <= COWPROBE_C_PAD || type > COWPROBE_C_MAX) {
      return {};
    }
    std::uint64_t value = 0;
    if (auto r = get_u64(attr, "counter", value); !r) {
      return r;
    }
    out.set(type, value);
    return {};
  });
}

Result<void> parse_thread(const nlattr* nest, ThreadRecord& out) {
  if (auto r = get_nested(nest, "THREAD"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_A_PID:
        return get_u32(attr, "PID", out.tid);
      case COWPROBE_A_COUNTERS:
        return parse_counters(attr, out.counters);
      default:
        return {};
    }
  });
}

Result<void> parse_region(const nlattr* nest, RegionRecord& out) {
  if (auto r = get_nested(nest, "REGION"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_A_REGION_START:
        return get_u64(attr, "REGION_START", out.start);
      case COWPROBE_A_REGION_END:
        return get_u64(attr, "REGION_END", out.end);
      case COWPROBE_A_REGION_NAME:
        return get_string(attr, "REGION_NAME", out.name);
      case COWPROBE_A_COUNTERS:
        return parse_counters(attr, out.counters);
      default:
        return {};
    }
  });
}

Result<void> parse_map(const nlattr* nest, MapRecord& out) {
  if (auto r = get_nested(nest, "MAP"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_A_MAP_START:
        return get_u64(attr, "MAP_START", out.start);
      case COWPROBE_A_MAP_END:
        return get_u64(attr, "MAP_END", out.end);
      case COWPROBE_A_MAP_KIND:
        return get_u32(attr, "MAP_KIND", out.kind);
      case COWPROBE_A_MAP_NAME:
        return get_string(attr, "MAP_NAME", out.name);
      case COWPROBE_A_MAP_DEV:
        return get_u32(attr, "MAP_DEV", out.dev);
      case COWPROBE_A_MAP_INO:
        return get_u64(attr, "MAP_INO", out.ino);
      case COWPROBE_A_MAP_PGOFF:
        return get_u64(attr, "MAP_PGOFF", out.pgoff);
      case COWPROBE_A_MAP_FLAGS:
        return get_u32(attr, "MAP_FLAGS", out.flags);
      case COWPROBE_A_COUNTERS:
        return parse_counters(attr, out.counters);
      default:
        return {};
    }
  });
}

// A nest holding a list of element_type nests, each parsed by parse_one.
template <typename T, typename Parse>
Result<void> parse_list(const nlattr* nest, std::string_view what, int element_type,
                        std::vector<T>& out, Parse parse_one) {
  if (auto r = get_nested(nest, what); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    if (mnl_attr_get_type(attr) != element_type) {
      return {};
    }
    T item;
    if (auto r = parse_one(attr, item); !r) {
      return r;
    }
    out.push_back(std::move(item));
    return {};
  });
}

Result<void> parse_probe(const nlattr* nest, ProbeStatus& out) {
  if (auto r = get_nested(nest, "PROBE"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_PROBE_A_NAME:
        return get_string(attr, "PROBE_NAME", out.name);
      case COWPROBE_PROBE_A_SYMBOL:
        return get_string(attr, "PROBE_SYMBOL", out.symbol);
      case COWPROBE_PROBE_A_STATE:
        return get_u32(attr, "PROBE_STATE", out.state);
      case COWPROBE_PROBE_A_ERROR:
        return get_s32(attr, "PROBE_ERROR", out.error);
      case COWPROBE_PROBE_A_NMISSED:
        return get_u64(attr, "PROBE_NMISSED", out.nmissed);
      case COWPROBE_PROBE_A_HITS:
        return get_u64(attr, "PROBE_HITS", out.hits);
      default:
        return {};
    }
  });
}

Result<void> parse_class(const nlattr* nest, ClassStatus& out) {
  if (auto r = get_nested(nest, "CLASS"); !r) {
    return r;
  }
  return for_each_nested(nest, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_CLASS_A_NAME:
        return get_string(attr, "CLASS_NAME", out.name);
      case COWPROBE_CLASS_A_STATE:
        return get_u32(attr, "CLASS_STATE", out.state);
      case COWPROBE_CLASS_A_HOW:
        return get_string(attr, "CLASS_HOW", out.how);
      default:
        return {};
    }
  });
}

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

Result<ProcRecord> parse_proc(const nlmsghdr& nlh) {
  ProcRecord rec;
  bool have_pid = false;
  auto r = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_A_PID:
        have_pid = true;
        return get_u32(attr, "PID", rec.pid);
      case COWPROBE_A_PPID:
        return get_u32(attr, "PPID", rec.ppid);
      case COWPROBE_A_ROOT:
        return get_u32(attr, "ROOT", rec.root);
      case COWPROBE_A_COMM:
        return get_string(attr, "COMM", rec.comm);
      case COWPROBE_A_PROC_FLAGS:
        return get_u32(attr, "PROC_FLAGS", rec.flags);
      case COWPROBE_A_START_NS:
        return get_u64(attr, "START_NS", rec.start_ns);
      case COWPROBE_A_EXIT_NS:
        return get_u64(attr, "EXIT_NS", rec.exit_ns);
      case COWPROBE_A_NR_THREADS:
        return get_u32(attr, "NR_THREADS", rec.nr_threads);
      case COWPROBE_A_COUNTERS:
        return parse_counters(attr, rec.counters);
      case COWPROBE_A_THREADS:
        return parse_list(attr, "THREADS", COWPROBE_A_THREAD, rec.threads, parse_thread);
      case COWPROBE_A_REGIONS:
        return parse_list(attr, "REGIONS", COWPROBE_A_REGION, rec.regions, parse_region);
      case COWPROBE_A_MAPS:
        return parse_list(attr, "MAPS", COWPROBE_A_MAP, rec.maps, parse_map);
      case COWPROBE_A_MAPS_OVERFLOW:
        return parse_counters(attr, rec.maps_overflow.emplace());
      case COWPROBE_A_NR_FOLDED:
        return get_u32(attr, "NR_FOLDED", rec.nr_folded);
      case COWPROBE_A_FOLDED:
        return parse_counters(attr, rec.folded);
      default:
        return {};
    }
  });
  if (!r) {
    return r.error();
  }
  if (!have_pid) {
    return Error(EBADMSG, "malformed reply", "process record without a pid");
  }
  return rec;
}

Result<Status> parse_status(const nlmsghdr& nlh) {
  Status st;
  auto r = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Result<void> {
    switch (mnl_attr_get_type(attr)) {
      case COWPROBE_A_VERSION:
        return get_string(attr, "VERSION", st.version);
      case COWPROBE_A_GENL_VERSION:
        return get_u32(attr, "GENL_VERSION", st.genl_version);
      case COWPROBE_A_LIMIT_PROCS:
        return get_u32(attr, "LIMIT_PROCS", st.limit_procs);
      case COWPROBE_A_LIMIT_THREADS:
        return get_u32(attr, "LIMIT_THREADS", st.limit_threads);
      case COWPROBE_A_LIMIT_REGIONS:
        return get_u32(attr, "LIMIT_REGIONS", st.limit_regions);
      case COWPROBE_A_LIMIT_MAPS:
        return get_u32(attr, "LIMIT_MAPS", st.limit_maps);
      case COWPROBE_A_MAPS_BYTES:
        return get_u32(attr, "MAPS_BYTES", st.maps_bytes);
      case COWPROBE_A_NR_PROCS:
        return get_u32(attr, "NR_PROCS", st.nr_procs);
      case COWPROBE_A_NR_THREADS:
        return get_u32(attr, "NR_THREADS", st.nr_threads);
      case COWPROBE_A_REFUSED_PROCS:
        return get_u64(attr, "REFUSED_PROCS", st.refused_procs);
      case COWPROBE_A_REFUSED_THREADS:
        return get_u64(attr, "REFUSED_THREADS", st.refused_threads);
      case COWPROBE_A_TRACK_ALL:
        return get_u32(attr, "TRACK_ALL", st.track_all);
      case COWPROBE_A_EXITS_SENT:
        return get_u64(attr, "EXITS_SENT", st.exits_sent);
      case COWPROBE_A_EXITS_DROPPED:
        return get_u64(attr, "EXITS_DROPPED", st.exits_dropped);
      case COWPROBE_A_SEQ:
        return get_u64(attr, "SEQ", st.seq);
      case COWPROBE_A_UNPRIVILEGED:
        return get_u32(attr, "UNPRIVILEGED", st.unprivileged);
      case COWPROBE_A_LIMIT_USER_PROCS:
        return get_u32(attr, "LIMIT_USER_PROCS", st.limit_user_procs);
      case COWPROBE_A_FOLDED_PROCS:
        return get_u64(attr, "FOLDED_PROCS", st.folded_procs);
      case COWPROBE_A_ARMED: {
        std::uint32_t armed = 0;
        if (auto r = get_u32(attr, "ARMED", armed); !r) {
          return r;
        }
        st.armed = armed != 0;
        return {};
      }
      case COWPROBE_A_ARMINGS:
        return get_u64(attr, "ARMINGS", st.armings);
      case COWPROBE_A_PROC_BYTES:
        return get_u32(attr, "PROC_BYTES", st.proc_bytes);
      case COWPROBE_A_THREAD_BYTES:
        return get_u32(attr, "THREAD_BYTES", st.thread_bytes);
      case COWPROBE_A_PROBES:
        return parse_list(attr, "PROBES", COWPROBE_A_PROBE, st.probes, parse_probe);
      case COWPROBE_A_CLASSES:
        return parse_list(attr, "CLASSES", COWPROBE_A_CLASS, st.classes, parse_class);
      default:
        return {};
    }
  });
  if (!r) {
    return r.error();
  }
  return st;
}

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

Result<ExitRecord> parse_exit(const nlmsghdr& nlh) {
  auto proc = parse_proc(nlh);
  if (!proc) {
    return proc.error();
  }
  ExitRecord rec{0, std::move(proc).value()};
  bool have_seq = false;
  auto r = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Result<void> {
    if (mnl_attr_get_type(attr) != COWPROBE_A_SEQ) {
      return {};
    }
    have_seq = true;
    return get_u64(attr, "SEQ", rec.seq);
  });
  if (!r) {
    return r.error();
  }
  if (!have_seq) {
    return Error(EBADMSG, "malformed exit record", "no COWPROBE_A_SEQ");
  }
  return rec;
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
