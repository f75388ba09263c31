#include "workloads.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fd.hpp"
#include "workload_support.hpp"

namespace cowprobe {

using detail::CpuPin;
using detail::ForkedChild;
using detail::Mapping;

namespace {

constexpr std::array<WorkloadInfo, 8> kWorkloads{{
    {"child-writes", "child writes K distinct pages: child copies K, parent nothing"},
    {"parent-after-wait", "child exits at once, parent writes M pages after waitpid: reuses M"},
    {"parent-writes-child-alive",
     "parent writes M pages while the child lives (copies M), then the child writes them "
     "(reuses M)"},
    {"no-write", "fork, child exits without writing: no copies in the buffer"},
    {"seed-fork-time", "seed program 1: fork time with 1/10/50 MB, with and without writes"},
    {"seed-rss", "seed program 2: RSS of a 50 MB buffer before and after the child writes"},
    {"seed-global-array", "seed program 3: child writes 10 ints of a 4 MB global array"},
    {"fork-bench", "ms per fork + child write of --mib MiB: the median of --iterations"},
}};

Result<void> check_writes(const WorkloadOptions& opts) {
  if (opts.writes > opts.pages) {
    return Error(EINVAL, "workload",
                 fmt::format("--writes {} exceeds --pages {}", opts.writes, opts.pages));
  }
  return {};
}

// The buffer of a modelled scenario, written in full, with the process
// settled (pinned, LRU caches drained) before the measured phase.
struct Setup {
  Mapping buffer;
  WorkloadReport report;
};

Result<Setup> prepare(std::string_view name, const WorkloadOptions& opts) {
  if (auto r = check_writes(opts); !r) {
    return r.error();
  }
  auto buffer = Mapping::anonymous(opts.pages);
  if (!buffer) {
    return buffer.error();
  }
  buffer->fill('A');
  WorkloadReport report;
  report.name = std::string(name);
  report.parent_pid = ::getpid();
  report.buffer_start = buffer->start();
  report.buffer_end = buffer->end();
  report.pages = buffer->pages();
  report.page_size = detail::page_size();
  if (opts.settle) {
    detail::drain_lru_caches();
  }
  return Setup{std::move(buffer).value(), std::move(report)};
}

Result<void> reap(ForkedChild& child) {
  auto status = child.wait();
  if (!status) {
    return status.error();
  }
  return {};
}

}  // namespace

std::span<const WorkloadInfo> workload_list() { return kWorkloads; }

Result<WorkloadReport> run_workload(std::string_view name, const WorkloadOptions& opts) {
  using Fn = Result<WorkloadReport> (*)(const WorkloadOptions&);
  static constexpr std::array<std::pair<std::string_view, Fn>, kWorkloads.size()> kTable{{
      {"child-writes", child_writes},
      {"parent-after-wait", parent_after_wait},
      {"parent-writes-child-alive", parent_writes_child_alive},
      {"no-write", no_write},
      {"seed-fork-time", seed_fork_time},
      {"seed-rss", seed_rss},
      {"seed-global-array", seed_global_array},
      {"fork-bench", fork_bench},
  }};
  for (const auto& [known, fn] : kTable) {
    if (known == name) {
      return fn(opts);
    }
  }
  return Error::message(EINVAL, fmt::format("unknown scenario \"{}\" (see --list)", name));
}

Result<WorkloadReport> child_writes(const WorkloadOptions& opts) {
  const CpuPin pin;
  auto setup = prepare("child-writes", opts);
  if (!setup) {
    return setup.error();
  }
  const Mapping& buf = setup->buffer;
  const std::size_t writes = opts.writes;
  auto child = ForkedChild::start([&] { buf.write_pages(0, writes, 'C'); });
  if (!child) {
    return child.error();
  }
  setup->report.child_pids.push_back(child->pid());
  if (auto r = reap(*child); !r) {
    return r.error();
  }
  setup->report.child_expected = ExpectedCounts{writes, 0};
  setup->report.parent_expected = ExpectedCounts{0, 0};
  return std::move(setup->report);
}

Result<WorkloadReport> parent_after_wait(const WorkloadOptions& opts) {
  const CpuPin pin;
  auto setup = prepare("parent-after-wait", opts);
  if (!setup) {
    return setup.error();
  }
  auto child = ForkedChild::start([] {});
  if (!child) {
    return child.error();
  }
  setup->report.child_pids.push_back(child->pid());
  if (auto r = reap(*child); !r) {
    return r.error();
  }
  setup->buffer.write_pages(0, opts.writes, 'P');
  setup->report.child_expected = ExpectedCounts{0, 0};
  setup->report.parent_expected = ExpectedCounts{0, opts.writes};
  return std::move(setup->report);
}

Result<WorkloadReport> parent_writes_child_alive(const WorkloadOptions& opts) {
  const CpuPin pin;
  auto setup = prepare("parent-writes-child-alive", opts);
  if (!setup) {
    return setup.error();
  }
  auto gate = make_pipe();
  if (!gate) {
    return gate.error();
  }
  const Mapping& buf = setup->buffer;
  const std::size_t writes = opts.writes;
  const int gate_fd = gate->read.get();
  auto child = ForkedChild::start([&] {
    char go = 0;
    ssize_t n = 0;
    do {
      n = ::read(gate_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
      buf.write_pages(0, writes, 'C');
    }
  });
  if (!child) {
    return child.error();
  }
  setup->report.child_pids.push_back(child->pid());
  gate->read.reset();
  buf.write_pages(0, writes, 'P');
  const char go = 1;
  if (::write(gate->write.get(), &go, 1) != 1) {
    return Error::from_errno("releasing the child");
  }
  if (auto r = reap(*child); !r) {
    return r.error();
  }
  setup->report.parent_expected = ExpectedCounts{writes, 0};
  setup->report.child_expected = ExpectedCounts{0, writes};
  return std::move(setup->report);
}

Result<WorkloadReport> no_write(const WorkloadOptions& opts) {
  const CpuPin pin;
  WorkloadOptions none = opts;
  none.writes = 0;
  auto setup = prepare("no-write", none);
  if (!setup) {
    return setup.error();
  }
  auto child = ForkedChild::start([] {});
  if (!child) {
    return child.error();
  }
  setup->report.child_pids.push_back(child->pid());
  if (auto r = reap(*child); !r) {
    return r.error();
  }
  setup->report.child_expected = ExpectedCounts{0, 0};
  setup->report.parent_expected = ExpectedCounts{0, 0};
  return std::move(setup->report);
}

void to_json(nlohmann::json& j, const ExpectedCounts& e) {
  j = nlohmann::json{{"copies", e.copies}, {"reuses", e.reuses}};
}

void to_json(nlohmann::json& j, const WorkloadReport& r) {
  nlohmann::json expected = nlohmann::json::object();
  if (r.parent_expected) {
    expected["parent"] = *r.parent_expected;
  }
  if (r.child_expected) {
    expected["child"] = *r.child_expected;
  }
  j = nlohmann::json{
      {"scenario", r.name},
      {"parent_pid", r.parent_pid},
      {"child_pids", r.child_pids},
      {"buffer",
       {{"start", r.buffer_start},
        {"end", r.buffer_end},
        {"pages", r.pages},
        {"page_size", r.page_size}}},
      {"expected", expected},
  };
}

}  // namespace cowprobe
