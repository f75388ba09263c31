#include "model.hpp"

#include <sys/utsname.h>

#include <linux/cowprobe.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace cowprobe {

KernelVersion KernelVersion::parse(std::string_view release) {
  KernelVersion v;
  std::sscanf(std::string(release).c_str(), "%d.%d", &v.major, &v.minor);  // NOLINT
  return v;
}

KernelVersion KernelVersion::running() {
  utsname u{};
  uname(&u);
  return parse(u.release);
}

std::string KernelVersion::str() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

void to_json(nlohmann::json& j, const Expectation& e) {
  j = {{"role", e.role},
       {"region", e.region},
       {"counter", e.counter},
       {"value", e.value},
       {"rule", e.rule}};
}

void from_json(const nlohmann::json& j, Expectation& e) {
  j.at("role").get_to(e.role);
  j.at("region").get_to(e.region);
  j.at("counter").get_to(e.counter);
  j.at("value").get_to(e.value);
  j.at("rule").get_to(e.rule);
}

void to_json(nlohmann::json& j, const ScenarioReport& r) {
  j = {{"scenario", r.scenario},
       {"roles", r.roles},
       {"regions", r.regions},
       {"expect", r.expect},
       {"notes", r.notes}};
  if (r.skip) {
    j["skip"] = *r.skip;
  }
}

void from_json(const nlohmann::json& j, ScenarioReport& r) {
  j.at("scenario").get_to(r.scenario);
  j.at("roles").get_to(r.roles);
  j.at("regions").get_to(r.regions);
  j.at("expect").get_to(r.expect);
  j.at("notes").get_to(r.notes);
  if (j.contains("skip")) {
    r.skip = j.at("skip").get<std::string>();
  }
}

std::string_view counter_name(int counter) {
  for (const auto& f : counter_fields()) {
    if (f.attr == counter) {
      return f.name;
    }
  }
  return "unknown";
}

std::string_view counter_class(int counter) {
  for (const auto& f : counter_fields()) {
    if (f.attr == counter) {
      return f.check_class;
    }
  }
  return {};
}

std::vector<ClassCheck> compare(const ScenarioReport& report, const std::vector<ProcRecord>& procs,
                                std::vector<std::string>& problems) {
  using Key = std::tuple<std::string, std::string, int>;
  std::map<Key, std::uint64_t> expected;
  std::map<Key, std::string> rules;
  for (const auto& e : report.expect) {
    const Key k{e.role, e.region, e.counter};
    expected[k] += e.value;
    if (!e.rule.empty()) {
      rules[k] = e.rule;
    }
  }

  std::vector<ClassCheck> out;
  for (const auto& [role, pids] : report.roles) {
    for (const auto& region : report.regions) {
      Counters sum;
      for (const int pid : pids) {
        const auto p = std::find_if(procs.begin(), procs.end(), [&](const ProcRecord& r) {
          return r.pid == static_cast<std::uint32_t>(pid);
        });
        if (p == procs.end()) {
          problems.push_back("process " + std::to_string(pid) + " (" + role +
                             ") has no record: it was not tracked");
          continue;
        }
        for (const auto& r : p->regions) {
          if (r.name == region) {
            sum += r.counters;
          }
        }
      }
      for (const auto& f : counter_fields()) {
        const Key k{role, region, f.attr};
        const auto e = expected.find(k);
        const std::uint64_t want = e == expected.end() ? 0 : e->second;
        const std::uint64_t got = sum.*f.member;
        if (want == 0 && got == 0) {
          continue;
        }
        out.push_back({role, region, f.attr, want, got, rules.contains(k) ? rules[k] : ""});
      }
    }
  }
  return out;
}

std::string explain(const ClassCheck& c, const KernelVersion& kernel) {
  const bool more = c.measured > c.expected;
  switch (c.counter) {
    case COWPROBE_C_COPIES:
      return more ? "copies the model does not predict: a page it expects to be reused had an "
                    "extra reference (per-CPU LRU batch, swap cache, GUP pin, migration, KSM) "
                    "and the kernel copied it; pinning to one CPU and draining LRU batches "
                    "before the measured phase removes the usual cause; a write pin "
                    "(FOLL_WRITE: io_uring fixed buffers) of a shared page copies at the pin, "
                    "before any write"
                  : "fewer copies than predicted: either a write hit a page already made "
                    "private, or a probe missed (see nmissed in cowprobe status); a page "
                    "pinned at fork (an io_uring fixed buffer) is copied by fork itself "
                    "(copy_present_page), no fault and not counted, and neither process "
                    "faults on it afterwards";
    case COWPROBE_C_REUSES:
      return more ? "reuses where the model predicts copies: the writer was already the only "
                    "mapper (the other process exited or wrote first, or MADV_COLLAPSE copied "
                    "the other's pages into a huge page and unmapped them); a write that swaps "
                    "in a page nobody else maps reaches do_wp_page and reuses it after 6.12, "
                    "where before do_swap_page mapped it writable itself (no fault); lifting "
                    "userfaultfd write-protect leaves the PTE read-only before 6.3, so the "
                    "next write faults and reuses (kernel " +
                        kernel.str() + ")"
                  : "fewer reuses than predicted: an extra page reference turned the reuse "
                    "into a copy (LRU batch, swap cache, pin)";
    case COWPROBE_C_UNSHARE_COPIES:
      return more ? "unshare copies the model does not predict: a read-only pin (FOLL_PIN: "
                    "process_vm_readv, O_DIRECT, RDMA) met a page another process may map; "
                    "plain references (FOLL_GET: vmsplice) never unshare"
                  : "fewer unshare copies than predicted: before 5.19 a read-only pin takes "
                    "no FAULT_FLAG_UNSHARE, and a page already exclusive needs none (kernel " +
                        kernel.str() + ")";
    case COWPROBE_C_THP_REUSES:
    case COWPROBE_C_THP_FALLBACKS:
    case COWPROBE_C_THP_WP_FAULTS:
    case COWPROBE_C_THP_COPIES:
      return "huge-PMD handling differs between kernels: since 5.8 a shared THP is split and "
             "4 KiB copied; a PTE-mapped large folio (split PMD, e.g. half of it mremap'ed) "
             "is copied 4 KiB per write and, up to 6.12, never reused; 6.19+ may reuse large "
             "folios not shared between processes; a write to the huge zero page falls back "
             "and splits up to 6.12, later it allocates a whole THP; a read-only pin of a "
             "shared THP (5.19+) splits the PMD too and unshares 4 KiB per pinned page; "
             "MADV_COLLAPSE (6.1+) copies small pages into a THP without a fault, shared "
             "ones too, but up to 6.12 only where one PTE is writable (kernel " +
             kernel.str() + ")";
    case COWPROBE_C_ZERO_FILLS:
      return "zero fills come only from writes after a read of never-written memory (a "
             "MADV_WIPEONFORK range is never-written memory in the child); the huge zero "
             "page (a read of a THP-aligned range) becomes zero fills only where its write "
             "falls back to 4 KiB (up to 6.12)";
    case COWPROBE_C_WP_FAULTS:
      return more ? "write-protect faults the model does not predict: a PTE read-only under "
                    "a writable mapping comes from fork (pages it shares), a read of a "
                    "private file page or of never-written memory, KSM, clear_refs 4 "
                    "(soft-dirty) or mprotect before 6.0; fork copies no page table of a "
                    "MADV_DONTFORK or MADV_WIPEONFORK range, so there the parent's PTEs stay "
                    "writable and the child's writes are first touches"
                  : "the kernel did not count events the model predicts";
    case COWPROBE_C_FILE_COPIES:
      return "file copies come only from a write to a not-present page of a private file "
             "mapping (do_cow_fault); a file page already mapped read-only is copied by a "
             "write-protect fault (copies), and fork copies no page table of a private file "
             "mapping that was only read (no anon_vma), so the child's writes there are file "
             "copies; the swap-in of a private file mapping's anonymous page is none";
    case COWPROBE_C_OTHER:
      return "do_wp_page returned without copying or reusing: a race with another fault "
             "or a retry (e.g. the PTE changed under the fault), or a write under "
             "userfaultfd write-protect, handed to the uffd reader (handle_userfault) and "
             "retried once it lifts the protection";
    case COWPROBE_C_HUGETLB_COPIES:
    case COWPROBE_C_HUGETLB_REUSES:
      return "a private hugetlb page is copied whole (2 MiB) when another process maps it, "
             "and reused when it is anonymous and mapped once; a page-cache huge page (a "
             "hugetlbfs file, a MFD_HUGETLB memfd) is never reused, every first write "
             "copies it";
    default:
      return more ? "the kernel counted events the model does not predict here"
                  : "the kernel did not count events the model predicts";
  }
}

void to_json(nlohmann::json& j, const ClassCheck& c) {
  j = {{"role", c.role},         {"region", c.region},     {"counter", counter_name(c.counter)},
       {"expected", c.expected}, {"measured", c.measured}, {"ok", c.ok()},
       {"rule", c.rule}};
}

}  // namespace cowprobe
