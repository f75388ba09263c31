#include <nlohmann/json.hpp>

#include "client.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "json.hpp"
#include "maps.hpp"
#include "output.hpp"

namespace cowprobe::cli {
namespace {

CLI::Validator pid_validator() {
  return {[](const std::string& text) -> std::string {
            int pid = 0;
            if (CLI::detail::lexical_cast(text, pid) && pid > 0) {
              return {};
            }
            return "PID must be a positive number, not '" + text + "'";
          },
          "PID"};
}

}  // namespace

CLI::App* setup_stats(CLI::App& app, StatsOptions& opts) {
  CLI::App* sub = app.add_subcommand("stats", "Show the per-process records the module holds now");
  sub->add_option("-p,--pid", opts.pid, "Only this process")
      ->check(pid_validator())
      ->option_text("PID");
  sub->add_flag("--threads", opts.threads, "Add a row per live thread");
  sub->add_flag("--json", opts.json, "Print JSON instead of a table");
  sub->footer(
      "Lists the records of watched processes (and of exited ones until their root is\n"
      "unwatched): copy-on-write copies, reuses, zero-fills and write-protect faults.\n\n"
      "Example:\n"
      "  cowprobe stats\n"
      "  cowprobe stats --pid 1234 --json");
  return sub;
}

int run_stats(const StatsOptions& opts) {
  auto client = Client::open();
  if (!client) {
    return fail(client.error().what());
  }
  std::vector<ProcRecord> records;
  if (opts.pid) {
    auto rec = client->get(*opts.pid);
    if (!rec) {
      return fail(rec.error().what());
    }
    records.push_back(std::move(rec).value());
  } else {
    auto all = client->dump();
    if (!all) {
      return fail(all.error().what());
    }
    records = std::move(all).value();
  }
  sort_by_start(records);
  std::string text;
  // records of a watch with --maps (a cowprobe stat --maps running) carry
  // their mappings: shown too
  const MountTable mounts = MountTable::read();
  if (opts.json) {
    nlohmann::json j{{"processes", records}, {"totals", totals(records)}};
    add_mappings(j["processes"], records, mounts);
    text = j.dump(2) + "\n";
  } else {
    text = format_proc_table(records, opts.threads) + format_map_tables(records, mounts);
  }
  if (auto r = write_output({}, text, stdout); !r) {
    return fail(r.error().what());
  }
  return 0;
}

}  // namespace cowprobe::cli
