#include <csignal>
#include <ctime>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "client.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "json.hpp"
#include "maps.hpp"
#include "output.hpp"
#include "process.hpp"

namespace cowprobe::cli {
namespace {

// Like perf stat and time: ^C and ^\ go to the command, cowprobe stays to
// report. Restored on destruction.
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int_);
    sigaction(SIGQUIT, &ignore, &old_quit_);
  }
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts(IgnoreInterrupts&&) = delete;
  IgnoreInterrupts& operator=(IgnoreInterrupts&&) = delete;
  ~IgnoreInterrupts() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGQUIT, &old_quit_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_quit_ {};
};

double seconds_since(const timespec& start) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec - start.tv_sec) +
         (static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9);
}

std::string stat_table(const StatOptions& opts, const std::vector<ProcRecord>& records,
                       double seconds) {
  std::string out =
      fmt::format("\n Copy-on-write faults for '{}':\n\n", fmt::join(opts.command, " "));
  out += format_proc_table(records, opts.threads);
  if (opts.maps) {
    const MountTable mounts = MountTable::read();
    out += format_map_tables(records, mounts);
    const auto hints = fork_hints(records, mounts);
    if (!hints.empty()) {
      out += "\n Copies that did not happen:\n";
      for (const auto& h : hints) {
        fmt::format_to(std::back_inserter(out), "   {}\n", h.text);
      }
    }
  }
  fmt::format_to(std::back_inserter(out), "\n {:.6f} seconds time elapsed\n\n", seconds);
  return out;
}

std::string stat_json(const StatOptions& opts, int exit_status,
                      const std::vector<ProcRecord>& records) {
  nlohmann::json j{
      {"command", opts.command},
      {"exit_status", exit_status},
      {"processes", records},
      {"totals", totals(records)},
  };
  if (opts.maps) {
    const MountTable mounts = MountTable::read();
    add_mappings(j["processes"], records, mounts);
    j["hints"] = fork_hints(records, mounts);
  }
  return j.dump(2) + "\n";
}

}  // namespace

CLI::App* setup_stat(CLI::App& app, StatOptions& opts) {
  CLI::App* sub = app.add_subcommand(
      "stat", "Run COMMAND and count the copy-on-write faults of it and every process it forks");
  sub->add_flag("--json", opts.json, "Print one JSON object (on stdout) instead of a table");
  sub->add_flag("--threads", opts.threads, "Add a row per live thread");
  sub->add_flag("--maps", opts.maps,
                "Count by mapping too (a file and its .data or .bss, [heap], [stack], [anon "
                "SIZE]) and say which large mappings shared at fork were hardly copied");
  sub->add_option("-o,--output", opts.output, "Write the report to FILE")->option_text("FILE");
  sub->add_option("command", opts.command, "The command to run, with its arguments")
      ->required()
      ->option_text("COMMAND [ARGS...]");
  sub->footer(
      "Counts, per process, the write faults on write-protected pages (WP-FAULTS) and how\n"
      "the kernel resolved them: a page copied (COPIES), a page made writable in place\n"
      "because no other process mapped it (REUSES), a zeroed page after a read of the zero\n"
      "page (ZERO-FILLS). The table goes to stderr, so COMMAND's output stays clean; the\n"
      "exit status is COMMAND's. Needs root (CAP_NET_ADMIN) and the cowprobe module.\n"
      "Put -- before COMMAND when it has options of its own.\n\n"
      "With --maps, each process's counts are broken down by the mapping the fault hit,\n"
      "named when the kernel first saw it (so a process that exits at once keeps its\n"
      "names); a child also gets, at fork, each private writable mapping of 1 MiB or more\n"
      "it shares with its parent, and a line says when it copied under a quarter of one.\n\n"
      "Example:\n"
      "  cowprobe stat -- cowprobe-workload child-writes --pages 256 --writes 64\n"
      "  cowprobe stat --json -o report.json -- make -j2\n"
      "  cowprobe stat --maps -- ./seed-rss");
  return sub;
}

int run_stat(const StatOptions& opts) {
  auto client = Client::open();
  if (!client) {
    return fail(client.error().what());
  }
  auto cmd = HeldCommand::spawn(opts.command);
  if (!cmd) {
    return fail(cmd.error().what());
  }
  const pid_t pid = cmd->pid();
  if (auto r = client->watch(pid, true, opts.maps); !r) {
    return fail(r.error().what());
  }
  WatchGuard guard(*client, pid);
  CommandExit exit;
  double seconds = 0;
  {
    const IgnoreInterrupts ignore;
    timespec start{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (auto r = cmd->release(); !r) {
      return fail(r.error().what());
    }
    auto waited = cmd->wait();
    if (!waited) {
      return fail(waited.error().what());
    }
    exit = std::move(waited).value();
    seconds = seconds_since(start);
  }
  if (exit.exec_errno != 0) {
    fail(exit.exec_error);
    return exit.status;
  }
  auto records = client->dump(pid);
  if (!records) {
    return fail(records.error().what());
  }
  if (auto r = guard.release(); !r) {
    fail(r.error().what());
  }
  sort_by_start(*records);
  const auto written =
      opts.json ? write_output(opts.output, stat_json(opts, exit.status, *records), stdout)
                : write_output(opts.output, stat_table(opts, *records, seconds), stderr);
  if (!written) {
    return fail(written.error().what());
  }
  return exit.status;
}

}  // namespace cowprobe::cli
