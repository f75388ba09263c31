#include <nlohmann/json.hpp>

#include "client.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cowprobe::cli {

CLI::App* setup_status(CLI::App& app, StatusOptions& opts) {
  CLI::App* sub =
      app.add_subcommand("status", "Show the module's version, limits, tracked counts and probes");
  sub->add_flag("--json", opts.json, "Print JSON instead of text");
  sub->footer(
      "Shows what the loaded module can count: each probe's role, the kernel symbol it is\n"
      "placed on, its state (active, derived, absent), kprobe misses (NMISSED, should stay\n"
      "0) and handler calls for tracked tasks (HITS); plus how many processes and threads\n"
      "are tracked and how many were refused at the max_procs/max_threads limits.\n\n"
      "The probe self-check follows: for each fault class (copy, reuse, zero_fill,\n"
      "shared_write, unshare, ksm, thp, hugetlb, remote, file_copy) whether this kernel's\n"
      "probes see it (observed), infer it (derived) or cannot (unobservable), and how or\n"
      "why not: a symbol inlined or absent, a config option off, a flag the kernel lacks.\n\n"
      "Example:\n"
      "  cowprobe status\n"
      "  cowprobe status --json | jq '.probes[] | select(.nmissed > 0)'");
  return sub;
}

int run_status(const StatusOptions& opts) {
  auto client = Client::open();
  if (!client) {
    return fail(client.error().what());
  }
  auto status = client->status();
  if (!status) {
    return fail(status.error().what());
  }
  const std::string text =
      opts.json ? nlohmann::json(*status).dump(2) + "\n" : format_status(*status);
  if (auto r = write_output({}, text, stdout); !r) {
    return fail(r.error().what());
  }
  return 0;
}

}  // namespace cowprobe::cli
