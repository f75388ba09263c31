#include "app.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json.hpp"

namespace cowprobe::workload {

std::unique_ptr<CLI::App> make_app(Options& opts) {
  auto app = std::make_unique<CLI::App>(
      "Fork workloads with known copy-on-write outcomes, to compare with cowprobe's counts",
      "cowprobe-workload");
  app->failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return "cowprobe-workload: " + std::string(e.what()) +
           "\nRun with --help for more information.\n";
  });
  app->add_option("scenario", opts.scenario, "The workload to run (see --list)")
      ->option_text("SCENARIO");
  app->add_flag("--list", opts.list, "List the scenarios and exit");
  app->add_option("--pages", opts.workload.pages, "N: pages in the buffer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--writes", opts.workload.writes, "K or M: pages written")->capture_default_str();
  app->add_option("--iterations", opts.workload.iterations,
                  "Forks per measurement (seed-fork-time, fork-bench)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--mib", opts.workload.mib, "Buffer size for fork-bench")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_flag("--json", opts.json,
                "Print the report (pids, buffer, expected counts) as JSON on stdout; the "
                "seed programs' own output then goes to stderr");
  app->footer(
      "Each modelled scenario writes an mmap(MAP_PRIVATE|MAP_ANONYMOUS) buffer in full,\n"
      "pins itself to CPU 0, drains LRU caches, forks, and reports the copies and reuses\n"
      "the model expects inside the buffer for the parent and the child.\n\n"
      "Example:\n"
      "  cowprobe stat -- cowprobe-workload child-writes --pages 256 --writes 64\n"
      "  cowprobe-workload parent-writes-child-alive --writes 16 --json");
  return app;
}

int run(const Options& opts) {
  if (opts.list) {
    for (const auto& w : workload_list()) {
      fmt::print("{:<28} {}\n", w.name, w.description);
    }
    return 0;
  }
  if (opts.scenario.empty()) {
    fmt::print(stderr, "cowprobe-workload: no scenario given (see --list)\n");
    return 2;
  }
  WorkloadOptions wopts = opts.workload;
  wopts.out = opts.json ? stderr : stdout;
  auto report = run_workload(opts.scenario, wopts);
  if (!report) {
    fmt::print(stderr, "cowprobe-workload: {}\n", report.error().what());
    return 1;
  }
  if (opts.json) {
    fmt::print("{}\n", nlohmann::json(*report).dump(2));
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
