// cowprobe check: the scenario library against the memory model.
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>

#include <iostream>
#include <nlohmann/json.hpp>

#include "check.hpp"
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

// The run goes through cowprobed, which runs cowprobe check --json itself.
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
  std::vector<const Scenario*> chosen;
  if (opts.scenarios.empty()) {
    for (const auto& s : scenarios()) {
      chosen.push_back(&s);
    }
  } else {
    for (const auto& name : opts.scenarios) {
      const auto* s = find_scenario(name);
      if (s == nullptr) {
        std::cerr << "cowprobe: unknown scenario '" << name << "' (see cowprobe check --list)\n";
        return 2;
      }
      chosen.push_back(s);
    }
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

  const auto kernel = KernelVersion::running();
  nlohmann::json out = {{"kernel", kernel.str()}, {"repeat", opts.repeat}};
  out["scenarios"] = nlohmann::json::array();
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  int number = 0;
  if (opts.tap) {
    fmt::print("KTAP version 1\n1..{}\n# kernel {}\n", chosen.size(), kernel.str());
  }
  for (const auto* s : chosen) {
    number++;
    std::string status = "pass";
    std::optional<std::string> skip;
    std::vector<std::string> why;
    nlohmann::json runs = nlohmann::json::array();
    for (int i = 1; i <= opts.repeat; i++) {
      if (!opts.json && !opts.tap) {
        std::cerr << fmt::format("\r[{}/{}] {} run {}/{}   ", number, chosen.size(), s->name, i,
                                 opts.repeat)
                  << std::flush;
      }
      auto r = run_check(*client, *s, i, opts.fork_time_iterations);
      if (!r) {
        status = "fail";
        why.push_back(fmt::format("run {}: {}", i, r.error().what()));
        runs.push_back({{"iteration", i}, {"status", "fail"}, {"error", r.error().what()}});
        continue;
      }
      runs.push_back(*r);
      if (r->skip) {
        skip = r->skip;
        break;
      }
      if (!r->pass()) {
        status = "fail";
        for (const auto& e : r->explanations) {
          why.push_back(fmt::format("run {}: {}", i, e));
        }
        for (const auto& p : r->problems) {
          why.push_back(fmt::format("run {}: {}", i, p));
        }
        for (const auto& x : r->crosschecks) {
          if (!x.ok) {
            why.push_back(fmt::format("run {}: {} {} < {}", i, x.name, x.kernel, x.ours));
          }
        }
      }
      if (i == 1 && !opts.json && !opts.tap) {
        std::cerr << "\r";
        fmt::print("{} ({})\n", s->name, s->summary);
        print_run(*r);
      }
    }
    if (skip) {
      status = "skip";
    }
    (status == "pass" ? passed : status == "fail" ? failed : skipped)++;
    out["scenarios"].push_back(
        {{"name", s->name}, {"summary", s->summary}, {"status", status}, {"runs", runs}});
    if (opts.tap) {
      if (skip) {
        fmt::print("ok {} {} # SKIP {}\n", number, s->name, *skip);
      } else {
        fmt::print("{} {} {}\n", status == "pass" ? "ok" : "not ok", number, s->name);
      }
      for (const auto& w : why) {
        fmt::print("# {}\n", w);
      }
    } else if (!opts.json) {
      if (skip) {
        if (opts.repeat > 0) {
          fmt::print("{}: skip: {}\n", s->name, *skip);
        }
      } else {
        fmt::print("{}: {} ({} run{})\n", s->name, status, opts.repeat,
                   opts.repeat == 1 ? "" : "s");
        for (const auto& w : why) {
          fmt::print("  {}\n", w);
        }
      }
    }
  }
  out["totals"] = {{"pass", passed}, {"fail", failed}, {"skip", skipped}};
  if (opts.json) {
    std::cout << out.dump(2) << "\n";
  } else if (opts.tap) {
    fmt::print("# totals: pass:{} fail:{} skip:{}\n", passed, failed, skipped);
  } else {
    fmt::print("\n{} passed, {} failed, {} skipped\n", passed, failed, skipped);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace cowprobe::cli
