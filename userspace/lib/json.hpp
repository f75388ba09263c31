// JSON output for machines (nlohmann::json, found by ADL).
#pragma once

#include <nlohmann/json.hpp>

#include "maps.hpp"
#include "records.hpp"

namespace cowprobe {

// The six main counters always (null when the kernel did not send one),
// the others only when sent.
void to_json(nlohmann::json& j, const Counters& c);
// Counters' keys merged into an object.
void add_counters(nlohmann::json& j, const Counters& c);
void to_json(nlohmann::json& j, const ThreadRecord& t);
void to_json(nlohmann::json& j, const RegionRecord& r);
void to_json(nlohmann::json& j, const ProcRecord& p);
void to_json(nlohmann::json& j, const Mapping& m);
// processes: the JSON array of records; each record counted per mapping
// (watched with --maps) gets its "mappings", named with mounts.
void add_mappings(nlohmann::json& processes, const std::vector<ProcRecord>& records,
                  const MountTable& mounts);
void to_json(nlohmann::json& j, const ForkHint& h);
void to_json(nlohmann::json& j, const ProbeStatus& p);
void to_json(nlohmann::json& j, const Status& s);

}  // namespace cowprobe
