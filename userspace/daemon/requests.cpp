// cowprobed's answers to its clients: status, history, live streams, and
// scenario runs.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "check_suite.hpp"
#include "client.hpp"
#include "daemon.hpp"
#include "history.hpp"
#include "journal_entry.hpp"
#include "log.hpp"
#include "scenario.hpp"

namespace cowprobe::daemon {
namespace {

int shell_code(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 1;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) {
    return "no message";
  }
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

}  // namespace

void Daemon::on_request(std::uint64_t client, const std::string& line) {
  auto req =
      parse_request(line, [](std::string_view name) { return find_scenario(name) != nullptr; });
  if (!req) {
    server_.send(client, error_response(req.error().what()));
    return;
  }
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, StatusRequest>) {
          reply_status(client);
        } else if constexpr (std::is_same_v<T, HistoryRequest>) {
          reply_history(client, r.query);
        } else if constexpr (std::is_same_v<T, StreamRequest>) {
          server_.set_streaming(client);
          server_.send(client, R"({"ok":true,"stream":true})"
                               "\n");
        } else {
          start_run(client, r);
        }
      },
      *req);
}

void Daemon::reply_status(std::uint64_t client) {
  const auto& s = recorder_.stats();
  const auto& state = recorder_.state();
  nlohmann::json j{
      {"ok", true},
      {"pid", ::getpid()},
      {"started", format_utc(started_ns_)},
      {"joined", joined_},
      {"epoch", state.epoch},
      {"last_seq", state.last_seq ? nlohmann::json(*state.last_seq) : nlohmann::json()},
      {"records", s.records},
      {"gaps", s.gaps},
      {"missed", s.missed},
      {"overflows", s.overflows},
      {"malformed", s.malformed},
      {"epochs", s.epochs},
      {"write_errors", s.write_errors},
      {"refused_procs", s.refused_procs},
      {"refused_threads", s.refused_threads},
      {"journal",
       {{"path", recorder_.journal().path()},
        {"size", recorder_.journal().size()},
        {"repaired_bytes", recorder_.journal().repaired()}}},
      {"index",
       {{"entries", index_.size()},
        {"capacity", index_.capacity()},
        {"complete", index_.complete()}}},
      {"clients", server_.clients()},
      {"streams", server_.streams()},
      {"receive_buffer", listener_.receive_buffer()},
      {"track_all", opts_.track_all},
      {"running", runner_.has_value()},
  };
  j["kernel"] = nullptr;
  if (kernel_) {
    if (auto st = kernel_->status()) {
      j["kernel"] = {{"version", st->version},          {"seq", st->seq},
                     {"exits_sent", st->exits_sent},    {"exits_dropped", st->exits_dropped},
                     {"track_all", st->track_all != 0}, {"refused_procs", st->refused_procs},
                     {"nr_procs", st->nr_procs}};
    }
  }
  server_.send(client, j.dump() + "\n");
}

void Daemon::reply_history(std::uint64_t client, const HistoryQuery& query) {
  std::vector<std::string> lines;
  std::size_t records = 0;
  bool truncated = false;
  std::string source = "index";
  if (index_.covers(query)) {
    auto found = index_.query(query);
    if (query.limit && found.size() > *query.limit) {
      found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(*query.limit));
      truncated = true;
    }
    for (const auto* e : found) {
      records += e->type == "exit" ? 1 : 0;
      lines.push_back(e->line);
    }
  } else {
    source = "journal";
    auto history = read_history(recorder_.journal().path(), query);
    if (!history) {
      server_.send(client, error_response(history.error().what()));
      return;
    }
    records = history->records;
    truncated = history->truncated;
    for (const auto& e : history->entries) {
      lines.push_back(e.json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  std::string out =
      nlohmann::json{{"ok", true}, {"source", source}, {"count", records}, {"truncated", truncated}}
          .dump();
  out.pop_back();  // '}': the entries follow as they are in the journal
  out += R"(,"entries":[)";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += lines[i];
  }
  out += "]}\n";
  server_.send(client, out);
}

void Daemon::start_run(std::uint64_t client, const RunRequest& req) {
  if (runner_) {
    server_.send(client, error_response("busy: a scenario run is in progress"));
    return;
  }
  // the names were checked when the request was parsed (daemon_protocol);
  // a failure here would be a bug, still answered, never run
  auto chosen = choose_scenarios(req.scenarios);
  if (!chosen) {
    server_.send(client, error_response(chosen.error().what()));
    return;
  }
  SuiteOptions suite;
  suite.repeat = req.repeat;
  auto runner = Runner::start(
      [&chosen, &suite] {
        auto nl = Client::open();
        if (!nl) {
          std::fprintf(stderr, "cowprobe check: %s\n", nl.error().what().c_str());
          return 1;
        }
        SuiteTotals totals;
        const auto out = run_suite(*nl, *chosen, suite, {}, totals);
        std::fputs((out.dump() + "\n").c_str(), stdout);
        return totals.fail == 0 ? 0 : 1;
      },
      client);
  if (!runner) {
    server_.send(client, error_response(runner.error().what()));
    return;
  }
  const auto peer = server_.peer(client);
  log("running cowprobe check {} for pid {}", fmt::join(req.scenarios, " "), peer ? peer->pid : 0);
  runner_.emplace(std::move(runner).value());
}

void Daemon::on_run_done() {
  const int code = shell_code(runner_->wait_status());
  const auto result = nlohmann::json::parse(runner_->output(), nullptr, false);
  std::string reply;
  if (!result.is_discarded() && result.is_object()) {
    reply = nlohmann::json{{"ok", true}, {"exit_status", code}, {"result", result}}.dump() + "\n";
  } else {
    reply = error_response(fmt::format("cowprobe check exited with status {}: {}", code,
                                       last_line(runner_->errors())));
  }
  server_.send(runner_->client(), reply);
  runner_.reset();
}

}  // namespace cowprobe::daemon
