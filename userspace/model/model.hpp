// The memory model: what a scenario predicts (Expectation, ScenarioReport),
// the kernel version its rules depend on, and the comparison of a prediction
// with the kernel's counts, explained from the model's rules.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace cowprobe {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  static KernelVersion running();
  static KernelVersion parse(std::string_view release);
  [[nodiscard]] bool at_least(int maj, int min) const {
    return major > maj || (major == maj && minor >= min);
  }
  [[nodiscard]] std::string str() const;
};

// One predicted count: the sum of counter `counter` (COWPROBE_C_*) over the
// processes playing `role`, inside the region named `region`. Every counter of
// a region that no expectation names is predicted to be zero.
struct Expectation {
  std::string role;
  std::string region;
  int counter = 0;
  std::uint64_t value = 0;
  std::string rule;  // which rule of the model predicts it
};

// What a scenario run reports from inside the watched process tree.
struct ScenarioReport {
  std::string scenario;
  std::map<std::string, std::vector<int>> roles;  // role -> pids
  std::vector<std::string> regions;               // names registered
  std::vector<Expectation> expect;
  std::optional<std::string> skip;  // why this kernel or setup cannot run it
  std::vector<std::string> notes;
};

void to_json(nlohmann::json& j, const Expectation& e);
void from_json(const nlohmann::json& j, Expectation& e);
void to_json(nlohmann::json& j, const ScenarioReport& r);
void from_json(const nlohmann::json& j, ScenarioReport& r);

struct ClassCheck {
  std::string role;
  std::string region;
  int counter = 0;  // COWPROBE_C_*
  std::uint64_t expected = 0;
  std::uint64_t measured = 0;
  std::string rule;
  [[nodiscard]] bool ok() const { return expected == measured; }
};

// Every row of a region's counters is checked: a counter no expectation
// names must be zero. Pure: testable without a kernel.
std::vector<ClassCheck> compare(const ScenarioReport& report, const std::vector<ProcRecord>& procs,
                                std::vector<std::string>& problems);

// Why measured differs from expected for one class, from the model's rules.
std::string explain(const ClassCheck& c, const KernelVersion& kernel);

void to_json(nlohmann::json& j, const ClassCheck& c);

// COWPROBE_C_* by its JSON name, and the self-check class (cowprobe status)
// it belongs to ("" for none): both from the one counter table,
// counter_fields(), which tests/ynl/check-header holds to the spec.
std::string_view counter_name(int counter);
std::string_view counter_class(int counter);

// The two rules most predictions rest on.
inline const std::string kCopyRule =
    "a write to a page shared with another process copies it (wp_page_copy)";
inline const std::string kReuseRule =
    "the writer is the page's only mapper: the kernel makes it writable in place "
    "(wp_page_reuse), no copy";

}  // namespace cowprobe
