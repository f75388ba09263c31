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
      case COWPROBE_PROBE_A_HOOK:
        return get_u32(attr, "PROBE_HOOK", out.hook);
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

// Counters at zero were left out of every nest of the record: they are 0.
void mark_sparse(ProcRecord& rec) {
  rec.counters.mark_sparse();
  for (auto& t : rec.threads) {
    t.counters.mark_sparse();
  }
  for (auto& r : rec.regions) {
    r.counters.mark_sparse();
  }
  for (auto& m : rec.maps) {
    m.counters.mark_sparse();
  }
  if (rec.maps_overflow) {
    rec.maps_overflow->mark_sparse();
  }
  if (rec.nr_folded != 0) {
    rec.folded.mark_sparse();
  }
}

}  // namespace

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
  if ((rec.flags & COWPROBE_PROC_F_SPARSE) != 0) {
    mark_sparse(rec);
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
      case COWPROBE_A_PROCS_ALLOCATED:
        return get_u32(attr, "PROCS_ALLOCATED", st.procs_allocated.emplace());
      case COWPROBE_A_THREADS_ALLOCATED:
        return get_u32(attr, "THREADS_ALLOCATED", st.threads_allocated.emplace());
      case COWPROBE_A_POOL_BEHIND:
        return get_u64(attr, "POOL_BEHIND", st.pool_behind);
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

}  // namespace cowprobe
