#include "records.hpp"

#include <map>
#include <utility>

namespace cowprobe {

const std::array<CounterField, 18>& counter_fields() {
  static const std::array<CounterField, 18> fields{{
      {COWPROBE_C_WP_FAULTS, "wp_faults", "", &Counters::wp_faults},
      {COWPROBE_C_COPIES, "copies", "copy", &Counters::copies},
      {COWPROBE_C_REUSES, "reuses", "reuse", &Counters::reuses},
      {COWPROBE_C_ZERO_FILLS, "zero_fills", "zero_fill", &Counters::zero_fills},
      {COWPROBE_C_SHARED_WRITES, "shared_writes", "shared_write", &Counters::shared_writes},
      {COWPROBE_C_OTHER, "other", "", &Counters::other},
      {COWPROBE_C_UNSHARE_COPIES, "unshare_copies", "unshare", &Counters::unshare_copies},
      {COWPROBE_C_KSM_COPIES, "ksm_copies", "ksm", &Counters::ksm_copies},
      {COWPROBE_C_THP_COPIES, "thp_copies", "thp", &Counters::thp_copies},
      {COWPROBE_C_REMOTE_WP_FAULTS, "remote_wp_faults", "remote", &Counters::remote_wp_faults},
      {COWPROBE_C_REMOTE_COPIES, "remote_copies", "remote", &Counters::remote_copies},
      {COWPROBE_C_THP_WP_FAULTS, "thp_wp_faults", "thp", &Counters::thp_wp_faults},
      {COWPROBE_C_THP_REUSES, "thp_reuses", "thp", &Counters::thp_reuses},
      {COWPROBE_C_THP_FALLBACKS, "thp_fallbacks", "thp", &Counters::thp_fallbacks},
      {COWPROBE_C_HUGETLB_WP_FAULTS, "hugetlb_wp_faults", "hugetlb", &Counters::hugetlb_wp_faults},
      {COWPROBE_C_HUGETLB_COPIES, "hugetlb_copies", "hugetlb", &Counters::hugetlb_copies},
      {COWPROBE_C_HUGETLB_REUSES, "hugetlb_reuses", "hugetlb", &Counters::hugetlb_reuses},
      {COWPROBE_C_FILE_COPIES, "file_copies", "file_copy", &Counters::file_copies},
  }};
  return fields;
}

void Counters::set(int attr, std::uint64_t value) {
  for (const auto& field : counter_fields()) {
    if (field.attr == attr) {
      this->*field.member = value;
      present |= 1U << attr;
      return;
    }
  }
}

void Counters::mark_sparse() {
  // The counters of the module that introduced the flag, all of them: one
  // added later needs its own way to say that a module knows it.
  constexpr int kLastSparse = COWPROBE_C_FILE_COPIES;
  for (const auto& field : counter_fields()) {
    if (field.attr <= kLastSparse) {
      present |= 1U << field.attr;
    }
  }
}

Counters& Counters::operator+=(const Counters& other) {
  for (const auto& field : counter_fields()) {
    this->*field.member += other.*field.member;
  }
  present |= other.present;
  return *this;
}

std::string_view class_state_name(std::uint32_t state) {
  switch (state) {
    case COWPROBE_CLASS_OBSERVED:
      return "observed";
    case COWPROBE_CLASS_DERIVED:
      return "derived";
    case COWPROBE_CLASS_UNOBSERVABLE:
      return "unobservable";
    default:
      return "unknown";
  }
}

const ClassStatus* Status::find_class(std::string_view name) const {
  for (const auto& c : classes) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::string_view probe_hook_name(std::uint32_t hook) {
  switch (hook) {
    case COWPROBE_PROBE_HOOK_NONE:
      return "-";
    case COWPROBE_PROBE_HOOK_KPROBE:
      return "kprobe";
    case COWPROBE_PROBE_HOOK_KRETPROBE:
      return "kretprobe";
    case COWPROBE_PROBE_HOOK_FTRACE:
      return "ftrace";
    case COWPROBE_PROBE_HOOK_DIRECT:
      return "direct";
    default:
      return "unknown";
  }
}

std::string_view probe_state_name(std::uint32_t state) {
  switch (state) {
    case COWPROBE_PROBE_ABSENT:
      return "absent";
    case COWPROBE_PROBE_ACTIVE:
      return "active";
    case COWPROBE_PROBE_DERIVED:
      return "derived";
    default:
      return "unknown";
  }
}

std::vector<ProcRecord> unique_records(std::vector<ProcRecord> records) {
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::size_t> seen;
  std::vector<ProcRecord> out;
  out.reserve(records.size());
  for (auto& rec : records) {
    auto [it, fresh] = seen.try_emplace({rec.pid, rec.start_ns}, out.size());
    if (fresh) {
      out.push_back(std::move(rec));
    } else {
      out[it->second] = std::move(rec);
    }
  }
  return out;
}

}  // namespace cowprobe
