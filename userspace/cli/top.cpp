#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <ctime>
#include <exception>

#include <fmt/format.h>

#include "client.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "terminal.hpp"
#include "top_model.hpp"

namespace cowprobe::cli {
namespace {

constexpr double kMinInterval = 0.1;
constexpr double kMaxInterval = 3600;

CLI::Validator interval_validator() {
  return {[](const std::string& text) -> std::string {
            double s = 0;
            if (CLI::detail::lexical_cast(text, s) && std::isfinite(s) && s >= kMinInterval &&
                s <= kMaxInterval) {
              return {};
            }
            return fmt::format("interval must be {} to {} seconds, not '{}'", kMinInterval,
                               kMaxInterval, text);
          },
          "SECONDS"};
}

CLI::Validator top_pid_validator() {
  return {[](const std::string& text) -> std::string {
            int pid = 0;
            if (CLI::detail::lexical_cast(text, pid) && pid > 0) {
              return {};
            }
            return "PID must be a positive number, not '" + text + "'";
          },
          "PID"};
}

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (static_cast<std::uint64_t>(ts.tv_sec) * 1000000000U) +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// What a refresh asks the module, and what the last one got.
class Sampler {
 public:
  Sampler(Client& client, const TopOptions& opts) : client_(client), opts_(opts) {}

  // False when the refresh was skipped: records came and went during every
  // attempt of the dump (NLM_F_DUMP_INTR, EINTR once the library gave up),
  // as under heavy fork churn. The next refresh compares with the last
  // snapshot that was whole, so no rate is wrong, only later.
  Result<bool> refresh() {
    auto records = client_.dump(opts_.pid);
    if (!records && records.error().code() != EINTR) {
      return records.error();
    }
    auto status = client_.status();
    if (!status) {
      return status.error();
    }
    set_status(*status);
    if (!records) {
      skipped_++;
      header_.note = fmt::format(
          "records changed during every dump: {} refresh{} skipped, showing the last whole one",
          skipped_, skipped_ == 1 ? "" : "es");
      return false;
    }
    skipped_ = 0;
    header_.note.clear();
    prev_ = std::exchange(cur_, Snapshot{now_ns(), std::move(records).value()});
    if (!primed_) {
      prev_ = cur_;
      primed_ = true;
    }
    frame_ = compute_frame(prev_, cur_);
    return true;
  }

  [[nodiscard]] const std::string& note() const { return header_.note; }

  // The last frame, sorted by key, cut to the screen (0: unlimited).
  [[nodiscard]] std::vector<std::string> lines(SortKey key, bool interactive, TermSize size) {
    sort_rows(frame_.rows, key);
    header_.sort = key;
    header_.interactive = interactive;
    return render_frame(frame_, header_, size.cols, size.rows);
  }

 private:
  void set_status(const Status& status) {
    header_.version = status.version;
    header_.nr_procs = status.nr_procs;
    header_.exits_sent = status.exits_sent;
    header_.exits_dropped = status.exits_dropped;
    header_.track_all = status.track_all != 0;
    if (opts_.pid) {
      header_.root = static_cast<std::uint32_t>(*opts_.pid);
    }
  }

  Client& client_;
  const TopOptions& opts_;
  bool primed_ = false;
  unsigned skipped_ = 0;
  Snapshot prev_;
  Snapshot cur_;
  TopFrame frame_;
  TopHeader header_;
};

// --all: COWPROBE_CMD_CONFIG track_all on while top runs; switched back off
// on every way out, unless it was on already.
class TrackAll {
 public:
  static Result<std::optional<TrackAll>> enable(Client& client) {
    auto status = client.status();
    if (!status) {
      return status.error();
    }
    if (status->track_all != 0) {
      return std::optional<TrackAll>();
    }
    if (auto r = client.config(true); !r) {
      return r.error();
    }
    return std::optional<TrackAll>(TrackAll(client));
  }

  TrackAll(const TrackAll&) = delete;
  TrackAll& operator=(const TrackAll&) = delete;
  TrackAll(TrackAll&& other) noexcept : client_(std::exchange(other.client_, nullptr)) {}
  TrackAll& operator=(TrackAll&&) = delete;
  ~TrackAll() {
    if (client_ != nullptr) {
      (void)client_->config(false);
    }
  }

 private:
  explicit TrackAll(Client& client) : client_(&client) {}

  Client* client_;
};

enum class Event { refresh, redraw, quit, none };

// One key: what it asks for, and the sort key it may change.
Event on_key(char c, SortKey& key) {
  switch (c) {
    case 'q':
    case 'Q':
    case 0x03:  // ^C
    case 0x1c:  // ^backslash
      return Event::quit;
    case 's':
      key = next_sort_key(key);
      return Event::redraw;
    case 'c':
      key = SortKey::copies;
      return Event::redraw;
    case 'r':
      key = SortKey::reuses;
      return Event::redraw;
    case 'f':
      key = SortKey::faults;
      return Event::redraw;
    case 'p':
      key = SortKey::pid;
      return Event::redraw;
    case ' ':
      return Event::refresh;
    default:
      return Event::none;
  }
}

// Waits for the deadline, a key (interactive) or a signal.
Result<Event> wait_event(SignalFd& signals, bool interactive, std::uint64_t deadline_ns,
                         SortKey& key) {
  const std::uint64_t now = now_ns();
  if (now >= deadline_ns) {
    return Event::refresh;
  }
  std::array<pollfd, 2> fds{{{signals.fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}}};
  const auto timeout_ms = static_cast<int>((deadline_ns - now + 999999) / 1000000);
  const int n = ::poll(fds.data(), interactive ? 2 : 1, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) {
      return Event::none;
    }
    return Error::from_errno("poll");
  }
  if ((fds[0].revents & POLLIN) != 0) {
    while (auto sig = signals.take()) {
      if (*sig != SIGWINCH) {
        return Event::quit;
      }
    }
    return Event::redraw;
  }
  if (interactive && (fds[1].revents & (POLLHUP | POLLERR)) != 0) {
    return Event::quit;  // the terminal is gone
  }
  if (interactive && (fds[1].revents & POLLIN) != 0) {
    std::array<char, 64> buf{};
    const ssize_t got = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (got == 0) {
      return Event::quit;
    }
    Event event = Event::none;
    for (ssize_t i = 0; i < got; i++) {
      const Event e = on_key(buf.at(static_cast<std::size_t>(i)), key);
      if (e == Event::quit) {
        return e;
      }
      if (e != Event::none && event != Event::refresh) {
        event = e;
      }
    }
    return event;
  }
  return now_ns() >= deadline_ns ? Event::refresh : Event::none;
}

Result<void> show(Sampler& sampler, SortKey key, bool interactive, bool first) {
  if (interactive) {
    const TermSize size = terminal_size(STDOUT_FILENO).value_or(TermSize{80, 24});
    return write_output({}, paint(sampler.lines(key, true, size), size.rows), stdout);
  }
  std::string text = first ? "" : "\n";
  for (const auto& line : sampler.lines(key, false, TermSize{})) {
    text += line;
    text += '\n';
  }
  return write_output({}, text, stdout);
}

Result<void> loop(Client& client, const TopOptions& opts, bool interactive) {
  // Before anything needs undoing: a signal then ends the loop, not the process.
  auto signals = SignalFd::open({SIGINT, SIGTERM, SIGHUP, SIGWINCH});
  if (!signals) {
    return signals.error();
  }
  std::optional<TrackAll> track_all;
  if (opts.all) {
    auto enabled = TrackAll::enable(client);
    if (!enabled) {
      return enabled.error();
    }
    if (enabled->has_value()) {
      track_all.emplace(std::move(**enabled));
    }
  }
  SortKey key = parse_sort_key(opts.sort).value_or(SortKey::copies);
  Sampler sampler(client, opts);
  // The first snapshot must be whole: it is what the first frame compares to.
  for (;;) {
    auto fresh = sampler.refresh();
    if (!fresh) {
      return fresh.error();
    }
    if (*fresh) {
      break;
    }
  }
  std::optional<RawTerminal> raw;
  if (interactive) {
    auto entered = RawTerminal::enter(STDIN_FILENO, STDOUT_FILENO);
    if (!entered) {
      return entered.error();
    }
    raw.emplace(std::move(entered).value());
    // Until the first interval ends: every tracked process, rates 0.
    if (auto r = show(sampler, key, true, true); !r) {
      return r;
    }
  }
  const auto interval_ns = static_cast<std::uint64_t>(opts.interval * 1e9);
  std::uint64_t deadline = now_ns() + interval_ns;
  unsigned frames = 0;
  for (;;) {
    auto event = wait_event(*signals, interactive, deadline, key);
    if (!event) {
      return event.error();
    }
    if (*event == Event::quit) {
      return {};
    }
    bool fresh = false;
    if (*event == Event::refresh) {
      auto r = sampler.refresh();
      if (!r) {
        return r.error();
      }
      fresh = *r;
      deadline = now_ns() + interval_ns;
      if (!fresh && !interactive) {
        fmt::print(stderr, "cowprobe: top: {}\n", sampler.note());
      }
    }
    // Batch frames are new samples only; the screen also shows a skip.
    if (fresh || (interactive && *event != Event::none)) {
      if (auto r = show(sampler, key, interactive, frames == 0); !r) {
        return r;
      }
    }
    if (fresh && ++frames == opts.iterations) {
      return {};
    }
  }
}

}  // namespace

CLI::App* setup_top(CLI::App& app, TopOptions& opts) {
  CLI::App* sub =
      app.add_subcommand("top", "Live view of per-process copy-on-write rates, like top(1)");
  sub->add_option("-d,--interval", opts.interval, "Seconds between refreshes (default 1)")
      ->check(interval_validator())
      ->option_text("SECONDS");
  sub->add_option("-n,--iterations", opts.iterations, "Stop after N refreshes (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->option_text("N");
  sub->add_flag("-b,--batch", opts.batch,
                "Plain frames one after another, no screen control (for scripts and logs)");
  sub->add_option("-p,--pid", opts.pid, "Only the tree watched with this root pid")
      ->check(top_pid_validator())
      ->option_text("PID");
  sub->add_flag("-a,--all", opts.all,
                "Track every process created from now on (track_all) while top runs")
      ->excludes("--pid");
  sub->add_option("-s,--sort", opts.sort, "Sort by copies, reuses, faults (per second) or pid")
      ->check(CLI::IsMember({"copies", "reuses", "faults", "pid"}))
      ->capture_default_str();
  sub->footer(
      "Every interval, reads the records of the processes the module tracks (those under\n"
      "`cowprobe stat`; with --all, every process created from now on) and shows what each\n"
      "did since the last refresh: copies, reuses, zero fills and write-protect faults per\n"
      "second, and its copies since it was first tracked. A process that exited in the\n"
      "interval is shown once, marked X. Keys: q quit, s next sort key (c, r, f, p: copies,\n"
      "reuses, faults, pid), space refresh now. Without a terminal, prints frames as with\n"
      "--batch. --all needs root (CAP_NET_ADMIN); track_all goes back off when top ends.\n\n"
      "Example:\n"
      "  cowprobe top\n"
      "  cowprobe top --all\n"
      "  cowprobe top --batch --iterations 5 --interval 0.5 --sort reuses");
  return sub;
}

int run_top(const TopOptions& opts) {
  auto client = Client::open();
  if (!client) {
    return fail(client.error().what());
  }
  bool interactive = !opts.batch;
  if (interactive && (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0)) {
    fmt::print(stderr, "cowprobe: top: not a terminal, printing plain frames (--batch)\n");
    interactive = false;
  }
  // The terminal is restored by unwinding, so nothing may escape uncaught.
  try {
    if (auto r = loop(*client, opts, interactive); !r) {
      return fail(r.error().what());
    }
  } catch (const std::exception& e) {
    return fail(fmt::format("top: {}", e.what()));
  }
  return 0;
}

}  // namespace cowprobe::cli
