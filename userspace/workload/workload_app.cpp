#include "workload_app.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "fork_bench.hpp"
#include "scenario.hpp"

namespace cowprobe::workload {

std::unique_ptr<CLI::App> make_app(Options& opts) {
  auto app = std::make_unique<CLI::App>(
      "Fork workloads with known copy-on-write outcomes, to compare with cowprobe's counts",
      "cowprobe-workload");
  app->failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return "cowprobe-workload: " + std::string(e.what()) +
           "\nRun with --help for more information.\n";
  });
  app->add_option("scenario", opts.scenario, "The scenario to run (see --list)")
      ->option_text("SCENARIO");
  app->add_flag("--list", opts.list, "List the scenarios and exit");
  app->add_option("--pages", opts.pages, "N: pages in the buffer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--writes", opts.writes, "K or M: pages written")->capture_default_str();
  app->add_option("--iterations", opts.iterations,
                  "Forks per measurement (seed-fork-time, fork-bench)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--mib", opts.mib, "Buffer size for fork-bench")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_flag("--json", opts.json,
                "Print the scenario's report (roles and their pids, regions, expected counts) "
                "as JSON on stdout; the seed programs' own output then goes to stderr");
  app->footer(
      "Runs one scenario of `cowprobe check` (the same code and model) on its own:\n"
      "--pages and --writes size the basic scenarios' buffer (child-writes, no-write,\n"
      "parent-after-wait, parent-writes-child-alive), --iterations the forks of\n"
      "seed-fork-time. fork-bench, a benchmark, prints the median ms per fork + write.\n\n"
      "Example:\n"
      "  cowprobe stat -- cowprobe-workload child-writes --pages 256 --writes 64\n"
      "  cowprobe-workload parent-writes-child-alive --writes 16 --json");
  return app;
}

namespace {

constexpr std::string_view kForkBench = "fork-bench";

int bench(const Options& opts) {
  auto ms = fork_bench(opts.mib, opts.iterations);
  if (!ms) {
    fmt::print(stderr, "cowprobe-workload: {}\n", ms.error().what());
    return 1;
  }
  if (opts.json) {
    fmt::print("{}\n", nlohmann::json{{"scenario", kForkBench}, {"median_ms", *ms}}.dump(2));
  } else {
    fmt::print("{:.3f}\n", *ms);
  }
  return 0;
}

}  // namespace

int run(const Options& opts) {
  if (opts.list) {
    for (const auto& s : scenarios()) {
      fmt::print("{:<28} {}\n", s.name, s.summary);
    }
    fmt::print("{:<28} {}\n", kForkBench,
               "ms per fork + child write of --mib MiB: the median of --iterations");
    return 0;
  }
  if (opts.scenario.empty()) {
    fmt::print(stderr, "cowprobe-workload: no scenario given (see --list)\n");
    return 2;
  }
  if (opts.scenario == kForkBench) {
    return bench(opts);
  }
  const Scenario* scenario = find_scenario(opts.scenario);
  if (scenario == nullptr) {
    fmt::print(stderr, "cowprobe-workload: unknown scenario \"{}\" (see --list)\n", opts.scenario);
    return 1;
  }
  if (opts.writes > opts.pages) {
    fmt::print(stderr, "cowprobe-workload: --writes {} exceeds --pages {}\n", opts.writes,
               opts.pages);
    return 1;
  }
  ScenarioEnv env;
  env.kernel = KernelVersion::running();
  // alone, nobody counts regions apart: registering one is a no-op
  env.add_region = [](pid_t /*pid*/, std::uintptr_t /*start*/, std::uintptr_t /*end*/,
                      const std::string& /*name*/) { return Result<void>(); };
  env.fork_time_iterations = static_cast<int>(opts.iterations);
  env.pages = opts.pages;
  env.writes = opts.writes;
  env.out = opts.json ? stderr : stdout;
  auto report = scenario->run(env);
  std::fflush(env.out);
  if (!report) {
    fmt::print(stderr, "cowprobe-workload: {}\n", report.error().what());
    return 1;
  }
  if (opts.json) {
    fmt::print("{}\n", nlohmann::json(*report).dump(2));
  } else if (report->skip) {
    fmt::print(stderr, "cowprobe-workload: {} cannot run here: {}\n", opts.scenario, *report->skip);
  }
  return 0;
}

int workload_main(int argc, char** argv) {
  Options opts;
  auto app = make_app(opts);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app->exit(e);
    return code == 0 ? 0 : 2;
  }
  return run(opts);
}

}  // namespace cowprobe::workload
