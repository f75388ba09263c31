#include "json.hpp"

namespace cowprobe {
namespace {

constexpr int kMainCounters = 6;  // wp_faults .. other, first in counter_fields()

}  // namespace

void add_counters(nlohmann::json& j, const Counters& c) {
  int index = 0;
  for (const auto& field : counter_fields()) {
    const std::string key(field.name);
    if (c.has(field.attr)) {
      j[key] = c.*field.member;
    } else if (index < kMainCounters) {
      j[key] = nullptr;
    }
    ++index;
  }
}

void to_json(nlohmann::json& j, const Counters& c) {
  j = nlohmann::json::object();
  add_counters(j, c);
}

void to_json(nlohmann::json& j, const ThreadRecord& t) {
  j = nlohmann::json{{"tid", t.tid}};
  add_counters(j, t.counters);
}

void to_json(nlohmann::json& j, const RegionRecord& r) {
  j = nlohmann::json{{"start", r.start}, {"end", r.end}, {"name", r.name}};
  add_counters(j, r.counters);
}

void to_json(nlohmann::json& j, const ProcRecord& p) {
  j = nlohmann::json{
      {"pid", p.pid},         {"ppid", p.ppid},
      {"root", p.root},       {"comm", p.comm},
      {"exited", p.exited()}, {"partial", (p.flags & COWPROBE_PROC_F_PARTIAL) != 0},
      {"flags", p.flags},     {"start_ns", p.start_ns},
      {"exit_ns", p.exit_ns}, {"nr_threads", p.nr_threads},
      {"threads", p.threads},
  };
  if (!p.regions.empty()) {
    j["regions"] = p.regions;
  }
  if (p.nr_folded != 0) {
    j["folded"] = nlohmann::json{{"processes", p.nr_folded}};
    add_counters(j["folded"], p.folded);
  }
  add_counters(j, p.counters);
}

void to_json(nlohmann::json& j, const Mapping& m) {
  j = nlohmann::json{{"name", m.name}, {"start", m.start}, {"end", m.end}, {"at_fork", m.at_fork}};
  add_counters(j, m.counters);
}

void add_mappings(nlohmann::json& processes, const std::vector<ProcRecord>& records,
                  const MountTable& mounts) {
  for (std::size_t i = 0; i < records.size() && i < processes.size(); ++i) {
    if ((records[i].flags & COWPROBE_PROC_F_MAPS) != 0) {
      processes[i]["mappings"] = mappings_of(records[i], mounts);
    }
  }
}

void to_json(nlohmann::json& j, const ForkHint& h) {
  j = nlohmann::json{{"pid", h.pid},         {"ppid", h.ppid},   {"processes", h.processes},
                     {"mapping", h.mapping}, {"pages", h.pages}, {"copies", h.copies},
                     {"text", h.text}};
  if (h.parent_copies >= 0) {
    j["parent_copies"] = h.parent_copies;
  }
}

void to_json(nlohmann::json& j, const ProbeStatus& p) {
  j = nlohmann::json{
      {"name", p.name},
      {"symbol", p.symbol},
      {"state", probe_state_name(p.state)},
      {"error", p.error},
      {"nmissed", p.nmissed},
      {"hits", p.hits},
      {"hook", probe_hook_name(p.hook)},
  };
}

void to_json(nlohmann::json& j, const ClassStatus& c) {
  j = nlohmann::json{{"name", c.name},
                     {"state", class_state_name(c.state)},
                     {"observable", c.observable()},
                     {"how", c.how}};
}

void to_json(nlohmann::json& j, const Status& s) {
  j = nlohmann::json{
      {"version", s.version},
      {"genl_version", s.genl_version},
      {"limit_procs", s.limit_procs},
      {"limit_threads", s.limit_threads},
      {"limit_regions", s.limit_regions},
      {"limit_maps", s.limit_maps},
      {"maps_bytes", s.maps_bytes},
      {"nr_procs", s.nr_procs},
      {"nr_threads", s.nr_threads},
      {"refused_procs", s.refused_procs},
      {"refused_threads", s.refused_threads},
      {"track_all", s.track_all != 0},
      {"exits_sent", s.exits_sent},
      {"exits_dropped", s.exits_dropped},
      {"seq", s.seq},
      {"unprivileged", s.unprivileged != 0},
      {"limit_user_procs", s.limit_user_procs},
      {"folded_procs", s.folded_procs},
      {"armed", s.armed ? nlohmann::json(*s.armed) : nlohmann::json(nullptr)},
      {"armings", s.armings},
      {"proc_bytes", s.proc_bytes},
      {"thread_bytes", s.thread_bytes},
      {"procs_allocated", s.procs_allocated.value_or(s.limit_procs)},
      {"threads_allocated", s.threads_allocated.value_or(s.limit_threads)},
      {"pool_behind", s.pool_behind},
      {"probes", s.probes},
      {"classes", s.classes},
  };
}

}  // namespace cowprobe
