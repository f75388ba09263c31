// cowprobed's main loop: signals (signalfd), the exits group, the clients'
// socket and a running scenario, all in one poll().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client.hpp"
#include "daemon_options.hpp"
#include "daemon_protocol.hpp"
#include "exit_listener.hpp"
#include "fd.hpp"
#include "index.hpp"
#include "recorder.hpp"
#include "result.hpp"
#include "runner.hpp"
#include "server.hpp"

namespace cowprobe::daemon {

class Daemon {
  struct Token {
    explicit Token() = default;
  };

 public:
  static Result<std::unique_ptr<Daemon>> create(const DaemonOptions& opts);
  // For create() only (Token is private).
  Daemon(Token token, const DaemonOptions& opts, UniqueFd signals, ExitListener listener,
         Server server, JournalWriter journal, JournalState state, std::optional<gid_t> group);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  Daemon(Daemon&&) = delete;
  Daemon& operator=(Daemon&&) = delete;
  ~Daemon() = default;

  // Until SIGTERM or SIGINT; the exit status.
  int run();

 private:
  void try_join();
  void gone();
  void heartbeat();
  void on_signals();
  void on_exits();
  void shutdown();

  // requests.cpp
  void on_request(std::uint64_t client, const std::string& line);
  void on_run_done();
  void reply_status(std::uint64_t client);
  void reply_history(std::uint64_t client, const HistoryQuery& query);
  void start_run(std::uint64_t client, const RunRequest& req);

  DaemonOptions opts_;
  std::optional<gid_t> group_;
  UniqueFd signals_;
  ExitListener listener_;
  Server server_;
  Index index_;
  Recorder recorder_;
  std::optional<Client> kernel_;  // STATUS and CONFIG, while joined
  std::optional<Runner> runner_;
  std::optional<std::uint32_t> track_all_before_;  // to restore at exit
  std::int64_t started_ns_ = 0;
  std::int64_t next_tick_ns_ = 0;  // monotonic: retry joining, or heartbeat
  bool joined_ = false;
  bool waiting_logged_ = false;
  bool stop_ = false;
};

}  // namespace cowprobe::daemon
