#include "daemon.hpp"

#include <linux/cowprobe.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include "journal_entry.hpp"
#include "log.hpp"

namespace cowprobe::daemon {
namespace {

constexpr std::int64_t kMsec = 1'000'000;
constexpr std::int64_t kRetryNs = 1000 * kMsec;
constexpr std::int64_t kHeartbeatNs = 2000 * kMsec;

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<UniqueFd> block_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaddset(&set, sig);
  }
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) {
    return Error::from_errno("sigprocmask");
  }
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) {
    return Error::from_errno("signalfd");
  }
  (void)std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
  return fd;
}

struct Loaded {
  Index index;
  std::optional<JournalEntry> last;
  std::size_t bad_lines = 0;
};

// The journal's last index_size entries, and its last entry.
Loaded load_journal(const std::string& path, std::size_t index_size) {
  Loaded loaded{Index(index_size), std::nullopt, 0};
  for (const auto& file : journal_files(path)) {
    auto scan = scan_lines(file, [&](std::string_view line, std::size_t number) -> Result<void> {
      auto entry = parse_journal_line(line);
      if (!entry) {
        if (loaded.bad_lines++ == 0) {
          log("{}:{}: skipped: {}", file, number, entry.error().what());
        }
        return {};
      }
      loaded.index.add({entry->type, entry->time_ns, entry->pid, entry->comm, std::string(line)});
      loaded.last = std::move(entry).value();
      return {};
    });
    if (!scan) {
      log("reading {}: {}", file, scan.error().what());
    }
  }
  return loaded;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(const DaemonOptions& opts) {
  std::optional<gid_t> group;
  if (!opts.group.empty()) {
    group = lookup_group(opts.group);
    if (!group) {
      return Error::message(ENOENT, fmt::format("--group {}: no such group", opts.group));
    }
  }
  auto signals = block_signals();
  if (!signals) {
    return signals.error();
  }
  auto journal = JournalWriter::open({opts.journal, opts.rotate_size, opts.rotate_count, group});
  if (!journal) {
    return journal.error();
  }
  if (journal->repaired() > 0) {
    log("{}: cut a torn last line ({} bytes) left by a crash", opts.journal, journal->repaired());
  }
  auto listener = ExitListener::open(opts.receive_buffer);
  if (!listener) {
    return listener.error();
  }
  if (listener->receive_buffer() < opts.receive_buffer) {
    log("netlink receive buffer is {} bytes, not {} (SO_RCVBUFFORCE needs CAP_NET_ADMIN)",
        listener->receive_buffer(), opts.receive_buffer);
  }
  if (!listener->notified()) {
    log("cannot follow nlctrl notices: module reloads are seen by polling only");
  }
  auto server = Server::open({opts.socket, group});
  if (!server) {
    return server.error();
  }
  auto loaded = load_journal(opts.journal, opts.index_size);
  if (loaded.bad_lines > 0) {
    log("{}: {} lines were not journal entries", opts.journal, loaded.bad_lines);
  }
  const auto state = journal_state(loaded.last);
  auto d = std::make_unique<Daemon>(Token{}, opts, std::move(signals).value(),
                                    std::move(listener).value(), std::move(server).value(),
                                    std::move(journal).value(), state, group);
  d->index_ = std::move(loaded.index);
  return d;
}

Daemon::Daemon(Token /*token*/, const DaemonOptions& opts, UniqueFd signals, ExitListener listener,
               Server server, JournalWriter journal, JournalState state, std::optional<gid_t> group)
    : opts_(opts),
      group_(group),
      signals_(std::move(signals)),
      listener_(std::move(listener)),
      server_(std::move(server)),
      index_(opts.index_size),
      recorder_(std::move(journal), state, [this](const IndexEntry& e) {
        server_.broadcast(e.line + "\n");
        index_.add(e);
      }) {}

int Daemon::run() {
  started_ns_ = realtime_now_ns();
  log("journal {} ({} entries indexed), socket {}{}", recorder_.journal().path(), index_.size(),
      server_.path(), opts_.track_all ? ", tracking every new process" : "");
  try_join();
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.clear();
    fds.push_back({signals_.get(), POLLIN, 0});
    fds.push_back({listener_.fd(), POLLIN, 0});
    if (runner_) {
      runner_->add_poll_fds(fds);
    }
    server_.add_poll_fds(fds);
    const std::int64_t wait_ns = std::max<std::int64_t>(0, next_tick_ns_ - monotonic_ns());
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait_ns / kMsec) + 1);
    if (n < 0 && errno != EINTR) {
      log("poll: {}", std::strerror(errno));
      return 1;
    }
    if (n > 0) {
      if (fds[0].revents != 0) {
        on_signals();
      }
      if (fds[1].revents != 0) {
        on_exits();
      }
      if (runner_) {
        runner_->handle(fds);
      }
      for (auto& line : server_.handle(fds)) {
        on_request(line.client, line.text);
      }
    }
    if (runner_ && runner_->done()) {
      on_run_done();
    }
    if (monotonic_ns() >= next_tick_ns_) {
      if (joined_) {
        heartbeat();
      } else {
        try_join();
      }
    }
  }
  shutdown();
  return 0;
}

void Daemon::try_join() {
  next_tick_ns_ = monotonic_ns() + kRetryNs;
  auto family = listener_.join();
  if (!family) {
    if (!waiting_logged_) {
      log("waiting for the module: {}", family.error().what());
      waiting_logged_ = true;
    }
    return;
  }
  auto client = Client::open();
  auto status = client ? client->status() : Result<Status>(client.error());
  if (status && opts_.track_all) {
    track_all_before_ = status->track_all;
    if (auto r = client->config(true); !r) {
      log("cannot turn track_all on: {}", r.error().what());
    } else {
      status = client->status();
    }
  }
  if (!status) {
    log("joined, but STATUS failed: {}", status.error().what());
    listener_.left();
    return;
  }
  kernel_.emplace(std::move(client).value());
  joined_ = true;
  waiting_logged_ = false;
  log("listening to exit records (family id {}, group {}, module {}, track_all {})", family->id,
      family->group(COWPROBE_MCGRP_EXITS).value_or(0), status->version, status->track_all);
  recorder_.joined(status->seq, realtime_now_ns());
  recorder_.refusals(status->refused_procs, status->refused_threads, realtime_now_ns());
  next_tick_ns_ = monotonic_ns() + kHeartbeatNs;
}

void Daemon::gone() {
  recorder_.left(realtime_now_ns());
  listener_.left();
  kernel_.reset();
  joined_ = false;
  next_tick_ns_ = monotonic_ns();
}

void Daemon::heartbeat() {
  next_tick_ns_ = monotonic_ns() + kHeartbeatNs;
  auto status = kernel_->status();
  auto member = listener_.member();
  const auto last = recorder_.state().last_seq;
  std::string why;
  if (!status) {
    why = status.error().what();
  } else if (last && status->seq < *last) {
    why = fmt::format("its seq went back from {} to {}", *last, status->seq);
  } else if (member && !*member) {
    why = "the exits group membership is gone";
  }
  if (!why.empty()) {
    log("the module was unloaded or reloaded ({}): rejoining", why);
    gone();
    try_join();
    return;
  }
  recorder_.refusals(status->refused_procs, status->refused_threads, realtime_now_ns());
  if (opts_.track_all && status->track_all == 0) {
    log("track_all was turned off: turning it on again");
    (void)kernel_->config(true);
  }
}

void Daemon::on_signals() {
  signalfd_siginfo si{};
  while (::read(signals_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
    switch (si.ssi_signo) {
      case SIGTERM:
      case SIGINT:
        log("{}: stopping", strsignal(static_cast<int>(si.ssi_signo)));
        stop_ = true;
        break;
      case SIGHUP:
        if (auto r = recorder_.journal().reopen(); !r) {
          log("SIGHUP: reopening the journal failed: {}", r.error().what());
        } else {
          log("SIGHUP: journal {} reopened", recorder_.journal().path());
        }
        break;
      case SIGCHLD:
        if (runner_) {
          runner_->reap();
        }
        break;
      default:
        break;
    }
  }
}

void Daemon::on_exits() {
  auto events = listener_.receive();
  if (!events) {
    log("{}", events.error().what());
    return;
  }
  const std::int64_t offset = realtime_offset_ns();
  for (const auto& e : *events) {
    switch (e.kind) {
      case ExitEvent::Kind::record: {
        if (!joined_) {
          break;
        }
        const auto exit_ns = static_cast<std::int64_t>(e.record.proc.exit_ns);
        const std::int64_t now = realtime_now_ns();
        recorder_.record(e.record, exit_ns > 0 ? exit_ns + offset : now, now);
        break;
      }
      case ExitEvent::Kind::overflow:
        recorder_.overflow();
        break;
      case ExitEvent::Kind::family_removed:
        if (joined_ && family_notice_is_news(e, listener_.family_id())) {
          log("the cowprobe family was unregistered (rmmod)");
          gone();
        }
        break;
      case ExitEvent::Kind::family_added:
        // the family joined already, by polling before this notice was read
        if (!family_notice_is_news(e, listener_.family_id())) {
          break;
        }
        if (joined_) {
          gone();  // its removal was lost
        }
        try_join();
        break;
      case ExitEvent::Kind::malformed:
        recorder_.malformed(e.detail);
        break;
    }
  }
}

void Daemon::shutdown() {
  if (kernel_ && opts_.track_all && track_all_before_ && *track_all_before_ == 0) {
    if (auto r = kernel_->config(false); !r) {
      log("turning track_all off: {}", r.error().what());
    }
  }
  runner_.reset();
  if (auto r = recorder_.journal().sync(); !r) {
    log("{}", r.error().what());
  }
  const auto& s = recorder_.stats();
  log("stopped: {} exit records, {} gaps ({} records missed), {} overflows", s.records, s.gaps,
      s.missed, s.overflows);
}

}  // namespace cowprobe::daemon
