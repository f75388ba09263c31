// cowprobe check: the scenario library against the memory model.
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "check.hpp"
#include "check_suite.hpp"
#include "commands.hpp"
#include "daemon_protocol.hpp"
#include "scenario.hpp"

namespace cowprobe::cli {

CLI::App* setup_check(CLI::App& app, CheckOptions& opts) {
  auto* sub = app.add_subcommand(
      "check",
      "Run fork workloads whose copy-on-write faults the memory model predicts, and compare the "
      "kernel's counts with the prediction class by class (copies, reuses, zero fills, THP, "
      "hugetlb, KSM, remote, file copies), inside each workload's own buffers. Every difference "
      "comes with the rule of the model it breaks. Setups this kernel cannot give (no THP, no "
      "hugetlb pages, no KSM) are skipped with the reason. Needs root and the module.");
  sub->add_option("scenario", opts.scenarios, "scenarios to run (default: all; see --list)");
  sub->add_option("--repeat,-r", opts.repeat, "run each scenario N times; all must match")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--fork-time-iterations", opts.fork_time_iterations,
                  "forks per size and mode in seed-fork-time (the seed uses 100)")
      ->check(CLI::Range(1, 1000));
  auto* json = sub->add_flag("--json", opts.json, "one JSON object on stdout");
  auto* tap = sub->add_flag("--tap", opts.tap, "KTAP for kernel CI")->excludes(json);
  sub->add_flag("--list", opts.list, "list the scenarios and exit");
  sub->add_flag("--daemon", opts.daemon,
                "ask cowprobed to run them (root or cowprobed's group) and print its result")
      ->excludes(tap);
  opts.socket = std::string(kDefaultSocket);
  sub->add_option("--socket", opts.socket, "cowprobed's socket, with --daemon")
      ->capture_default_str();
  sub->footer(
      "Examples:\n"
      "  cowprobe check                       every scenario once, as a table\n"
      "  cowprobe check child-writes thp -r 5 two scenarios, five times each\n"
      "  cowprobe check --repeat 10 --tap     what kernel CI runs\n"
      "Exit status: 0 when every scenario matched or was skipped, 1 otherwise.");
  return sub;
}

namespace {

void print_run(const RunResult& r) {
  if (r.skip) {
    fmt::print("  skip: {}\n", *r.skip);
    return;
  }
  fmt::print("  {:<12} {:<10} {:<18} {:>9} {:>9}\n", "role", "region", "class", "expected",
             "measured");
  for (const auto& c : r.classes) {
    fmt::print("  {:<12} {:<10} {:<18} {:>9} {:>9}{}\n", c.role, c.region, counter_name(c.counter),
               c.expected, c.measured, c.ok() ? "" : "  <-- differs");
  }
  for (const auto& e : r.explanations) {
    fmt::print("  why: {}\n", e);
  }
  for (const auto& p : r.problems) {
    fmt::print("  problem: {}\n", p);
  }
  for (const auto& x : r.crosschecks) {
    if (!x.ok) {
      fmt::print("  cross-check {} failed: kernel {} < cowprobe {} ({})\n", x.name, x.kernel,
                 x.ours, x.detail);
    }
  }
}

// The run goes through cowprobed, which runs the suite in a child of its own.
int run_check_in_daemon(const CheckOptions& opts) {
  auto client = DaemonClient::connect(opts.socket);
  if (!client) {
    const int code = client.error().code();
    if (code == ENOENT || code == ECONNREFUSED) {
      std::cerr << "cowprobe: cowprobed is not running (nothing listens on " << opts.socket
                << ")\n";
    } else {
      std::cerr << "cowprobe: " << client.error().what() << "\n";
    }
    return 1;
  }
  nlohmann::json names = opts.scenarios;
  if (opts.scenarios.empty()) {
    for (const auto& s : scenarios()) {
      names.push_back(s.name);
    }
  }
  auto reply = client->call({{"cmd", "run"}, {"scenarios", names}, {"repeat", opts.repeat}});
  if (!reply) {
    std::cerr << "cowprobe: " << reply.error().what() << "\n";
    return 1;
  }
  const auto& result = (*reply)["result"];
  if (opts.json) {
    std::cout << result.dump(2) << "\n";
  } else {
    for (const auto& s : result.value("scenarios", nlohmann::json::array())) {
      fmt::print("{}: {}\n", s.value("name", ""), s.value("status", ""));
    }
    const auto totals = result.value("totals", nlohmann::json::object());
    fmt::print("\n{} passed, {} failed, {} skipped (run by cowprobed)\n", totals.value("pass", 0),
               totals.value("fail", 0), totals.value("skip", 0));
  }
  return reply->value("exit_status", 1);
}

}  // namespace

int run_check(const CheckOptions& opts) {
  if (opts.list) {
    for (const auto& s : scenarios()) {
      fmt::print("{:<28} {}\n", s.name, s.summary);
    }
    return 0;
  }
  if (opts.daemon) {
    return run_check_in_daemon(opts);
  }
  auto chosen = choose_scenarios(opts.scenarios);
  if (!chosen) {
    std::cerr << "cowprobe: " << chosen.error().what() << "\n";
    return 2;
  }
  if (geteuid() != 0) {
    std::cerr << "cowprobe: check needs root: it watches its workloads and registers regions\n";
    return 1;
  }
  auto client = Client::open();
  if (!client) {
    std::cerr << "cowprobe: " << client.error().what() << "\n";
    return 1;
  }

  const std::size_t count = chosen->size();
  const bool table = !opts.json && !opts.tap;
  SuiteHooks hooks;
  if (opts.tap) {
    fmt::print("KTAP version 1\n1..{}\n# kernel {}\n", count, KernelVersion::running().str());
    hooks.scenario_done = [](const ScenarioOutcome& o) {
      if (o.status == "skip") {
        fmt::print("ok {} {} # SKIP {}\n", o.number, o.scenario->name, *o.skip);
      } else {
        fmt::print("{} {} {}\n", o.status == "pass" ? "ok" : "not ok", o.number, o.scenario->name);
      }
      for (const auto& w : o.why) {
        fmt::print("# {}\n", w);
      }
    };
  } else if (table) {
    // With COWPROBE_CHECK_OUTPUT=1 the programs print on this terminal as
    // they run: a progress line rewritten in place would join their first
    // line, so it gets a line of its own.
    const char* out = std::getenv("COWPROBE_CHECK_OUTPUT");  // NOLINT(concurrency-mt-unsafe)
    const bool programs_print = out != nullptr && std::string_view(out) == "1";
    hooks.before_run = [&, programs_print](const ScenarioOutcome& o, int i) {
      std::cerr << fmt::format("{}[{}/{}] {} run {}/{}{}", programs_print ? "" : "\r", o.number,
                               count, o.scenario->name, i, opts.repeat,
                               programs_print ? "\n" : "   ")
                << std::flush;
    };
    hooks.first_run = [programs_print](const ScenarioOutcome& o, const RunResult& r) {
      if (!programs_print) {
        std::cerr << "\r";
      }
      fmt::print("{} ({})\n", o.scenario->name, o.scenario->summary);
      print_run(r);
    };
    hooks.scenario_done = [&](const ScenarioOutcome& o) {
      if (o.status == "skip") {
        if (opts.repeat > 0) {
          fmt::print("{}: skip: {}\n", o.scenario->name, *o.skip);
        }
        return;
      }
      fmt::print("{}: {} ({} run{})\n", o.scenario->name, o.status, opts.repeat,
                 opts.repeat == 1 ? "" : "s");
      for (const auto& w : o.why) {
        fmt::print("  {}\n", w);
      }
    };
  }
  SuiteTotals totals;
  const auto out =
      run_suite(*client, *chosen, {opts.repeat, opts.fork_time_iterations}, hooks, totals);
  if (opts.json) {
    std::cout << out.dump(2) << "\n";
  } else if (opts.tap) {
    fmt::print("# totals: pass:{} fail:{} skip:{}\n", totals.pass, totals.fail, totals.skip);
  } else {
    fmt::print("\n{} passed, {} failed, {} skipped\n", totals.pass, totals.fail, totals.skip);
  }
  return totals.fail == 0 ? 0 : 1;
}

}  // namespace cowprobe::cli
