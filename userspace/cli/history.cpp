// cowprobe history: exit records from cowprobed, or from its journal files
// when it does not run.
#include <cerrno>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "daemon_protocol.hpp"
#include "history.hpp"
#include "journal.hpp"
#include "output.hpp"

namespace cowprobe::cli {
namespace {

struct Found {
  std::string source;  // "daemon" or the journal's path
  std::size_t count = 0;
  bool truncated = false;
  nlohmann::json entries = nlohmann::json::array();
};

HistoryQuery make_query(const HistoryOptions& opts) {
  HistoryQuery q;
  if (opts.pid) {
    q.pid = static_cast<std::uint32_t>(*opts.pid);
  }
  if (!opts.comm.empty()) {
    q.comm = opts.comm;
  }
  if (!opts.since.empty()) {
    q.since_ns = parse_since(opts.since, realtime_now_ns()).value();  // checked at parse time
  }
  q.limit = opts.limit;
  return q;
}

Result<Found> from_journal(const std::string& path, const HistoryQuery& q) {
  auto history = read_history(path, q);
  if (!history) {
    return history.error();
  }
  if (history->torn_lines > 0) {
    fmt::print(stderr, "cowprobe: {}: skipped a torn last line (a crash mid-write)\n", path);
  }
  Found f{path, history->records, history->truncated};
  for (auto& e : history->entries) {
    f.entries.push_back(std::move(e.json));
  }
  return f;
}

Result<Found> from_daemon(DaemonClient& client, const HistoryQuery& q) {
  auto reply = client.call(nlohmann::json(q));
  if (!reply) {
    return reply.error();
  }
  Found f;
  f.source = "daemon " + reply->value("source", std::string("index"));
  f.count = reply->value("count", std::size_t{0});
  f.truncated = reply->value("truncated", false);
  if (reply->contains("entries") && (*reply)["entries"].is_array()) {
    f.entries = std::move((*reply)["entries"]);
  }
  return f;
}

Result<Found> find(const HistoryOptions& opts, const HistoryQuery& q) {
  if (!opts.journal.empty()) {
    return from_journal(opts.journal, q);
  }
  auto client = DaemonClient::connect(opts.socket);
  if (client) {
    return from_daemon(*client, q);
  }
  const int code = client.error().code();
  const std::string journal(kDefaultJournal);
  if (!journal_files(journal).empty()) {
    return from_journal(journal, q);
  }
  if (code == EACCES) {
    return Error::message(EACCES,
                          fmt::format("{}: permission denied (cowprobed serves root and its "
                                      "--group), and there is no journal at {}",
                                      opts.socket, journal));
  }
  return Error::message(code, fmt::format("cowprobed is not running (nothing listens on {}) and "
                                          "there is no journal at {}: start cowprobed, or name a "
                                          "journal with --journal PATH",
                                          opts.socket, journal));
}

std::string counter(const nlohmann::json& counters, const char* name) {
  if (!counters.is_object() || !counters.contains(name) || !counters[name].is_number()) {
    return "-";
  }
  return std::to_string(counters[name].get<std::uint64_t>());
}

std::string gap_text(const nlohmann::json& e) {
  const auto reason = e.value("reason", std::string("?"));
  const auto after = e.value("after_seq", std::uint64_t{0});
  if (reason == "unloaded") {
    return fmt::format(
        "--- epoch {} ends after seq {}: the module was unloaded; exits until it came "
        "back are not recorded",
        e.value("epoch", 0), after);
  }
  return fmt::format("--- gap: {} exit records missed after seq {} ({})",
                     e.value("missed", std::uint64_t{0}), after, reason);
}

std::string format_table(const Found& f, bool filtered) {
  std::string out =
      fmt::format("{:<27} {:>7} {:>7} {:<16} {:>8} {:>8} {:>10} {:>9}\n", "TIME (UTC)", "PID",
                  "PPID", "COMM", "COPIES", "REUSES", "ZERO_FILLS", "WP_FAULTS");
  std::size_t gaps = 0;
  std::uint64_t missed = 0;
  for (const auto& e : f.entries) {
    const auto type = e.value("type", std::string());
    if (type == "exit") {
      const auto& c = e.contains("counters") ? e["counters"] : nlohmann::json();
      out += fmt::format("{:<27} {:>7} {:>7} {:<16} {:>8} {:>8} {:>10} {:>9}\n",
                         e.value("time", std::string()), e.value("pid", 0U), e.value("ppid", 0U),
                         e.value("comm", std::string()), counter(c, "copies"), counter(c, "reuses"),
                         counter(c, "zero_fills"), counter(c, "wp_faults"));
    } else if (type == "gap") {
      ++gaps;
      missed += e.value("missed", std::uint64_t{0});
      if (!filtered) {
        out += gap_text(e) + "\n";
      }
    } else if (type == "refused" && !filtered) {
      out += fmt::format(
          "--- the module refused {} processes and {} threads here (its limits): no exit "
          "records for them\n",
          e.value("procs", std::uint64_t{0}), e.value("threads", std::uint64_t{0}));
    } else if (type == "epoch" && !filtered) {
      out += fmt::format("--- epoch {} begins ({})\n", e.value("epoch", 0),
                         e.value("reason", std::string()));
    }
  }
  out += fmt::format("{} exit record{} ({}{})\n", f.count, f.count == 1 ? "" : "s", f.source,
                     f.truncated ? ", older ones cut by --limit" : "");
  if (filtered && gaps > 0) {
    out += fmt::format(
        "note: {} gap{} in this time range ({} records missed): a record may be "
        "missing\n",
        gaps, gaps == 1 ? "" : "s", missed);
  }
  return out;
}

CLI::Validator since_validator() {
  return {[](const std::string& text) -> std::string {
            auto t = parse_since(text, realtime_now_ns());
            return t ? std::string() : t.error().what();
          },
          "TIME"};
}

}  // namespace

CLI::App* setup_history(CLI::App& app, HistoryOptions& opts) {
  opts.socket = std::string(kDefaultSocket);
  CLI::App* sub = app.add_subcommand(
      "history", "Show exit records of processes that are gone, from cowprobed's journal");
  sub->add_option("-p,--pid", opts.pid, "Only this process id")
      ->check(CLI::Range(1, INT32_MAX))
      ->option_text("PID");
  sub->add_option("-c,--comm", opts.comm, "Only processes with this command name (exact)");
  sub->add_option("-s,--since", opts.since,
                  "Only exits at or after TIME: an age (90s, 15m, 2h, 3d), a date "
                  "(2025-05-01, 2025-05-01T12:30[:00][Z], local time unless Z) or @UNIXTIME")
      ->check(since_validator());
  sub->add_option("-n,--limit", opts.limit, "Only the last N entries")->check(CLI::PositiveNumber);
  sub->add_flag("--json", opts.json, "Print JSON: the journal's entries, gaps and epochs included");
  sub->add_option("--journal", opts.journal,
                  "Read this journal instead of asking cowprobed (PATH.1 .. PATH.N too)");
  sub->add_option("--socket", opts.socket, "cowprobed's socket")->capture_default_str();
  sub->footer(fmt::format(
      "Asks cowprobed when it runs; otherwise reads its journal ({}) directly.\n"
      "Gaps (records the kernel or the socket lost) and epochs (module reloads) are shown\n"
      "between the records.\n\n"
      "Example:\n"
      "  cowprobe history --comm make --since 1h\n"
      "  cowprobe history --pid 1234 --json",
      kDefaultJournal));
  return sub;
}

int run_history(const HistoryOptions& opts) {
  const auto query = make_query(opts);
  auto found = find(opts, query);
  if (!found) {
    return fail(found.error().what());
  }
  std::string text;
  if (opts.json) {
    const nlohmann::json j{{"source", found->source},
                           {"count", found->count},
                           {"truncated", found->truncated},
                           {"entries", std::move(found->entries)}};
    text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    text = format_table(*found, query.pid || query.comm);
  }
  if (auto r = write_output({}, text, stdout); !r) {
    return fail(r.error().what());
  }
  return 0;
}

}  // namespace cowprobe::cli
