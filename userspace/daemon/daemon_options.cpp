#include "daemon_options.hpp"

#include <grp.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <charconv>

#include "daemon.hpp"
#include "daemon_protocol.hpp"
#include "version.hpp"

namespace cowprobe::daemon {

std::unique_ptr<CLI::App> make_app(DaemonOptions& opts) {
  auto app = std::make_unique<CLI::App>(
      "cowprobed: keeps every exit record of the cowprobe module in a journal and serves "
      "history, live records and scenario runs over a Unix socket",
      "cowprobed");
  opts.journal = std::string(kDefaultJournal);
  opts.socket = std::string(kDefaultSocket);
  app->failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return "cowprobed: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
  app->set_version_flag(
      "--version", [] { return version_text("cowprobed"); },
      "Print cowprobed's version and the loaded module's, then exit");
  app->add_option("--journal", opts.journal, "JSON Lines journal of exit records")
      ->capture_default_str();
  app->add_option("--rotate-size", opts.rotate_size,
                  "rotate the journal when it would grow past SIZE (0: never)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app->add_option("--rotate-count", opts.rotate_count, "rotated journals kept (PATH.1 .. PATH.N)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app->add_option("--socket", opts.socket, "Unix socket for cowprobe history and other clients")
      ->capture_default_str();
  app->add_option("--group", opts.group,
                  "group allowed to use the socket and read the journal (default: root only)");
  app->add_flag("--track-all", opts.track_all,
                "track every new process while running (COWPROBE_CMD_CONFIG track_all), "
                "not only the trees cowprobe stat/check watch");
  app->add_option("--index-size", opts.index_size, "most recent journal entries kept in memory")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  app->add_option("--receive-buffer", opts.receive_buffer,
                  "netlink receive buffer (SO_RCVBUFFORCE as root)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  // The daemon used to run scenarios by executing the CLI; unit files that
  // still name it keep starting.
  app->add_option("--cowprobe", opts.cowprobe,
                  "ignored: scenario runs use the check library in a forked child");
  app->add_flag("--status", opts.status,
                "ask the cowprobed on --socket for its status, print it as JSON and exit");
  app->footer(
      "Runs in the foreground (systemd: Type=simple); SIGTERM or SIGINT stop it cleanly,\n"
      "SIGHUP reopens the journal (after logrotate). Without the module loaded it waits for it,\n"
      "and it survives rmmod and insmod: each module instance is an epoch of the journal.\n\n"
      "Example:\n"
      "  cowprobed --journal /var/lib/cowprobe/exits.jsonl --group cowprobe --track-all\n"
      "  cowprobed --status");
  return app;
}

std::optional<gid_t> lookup_group(const std::string& name) {
  gid_t gid = 0;
  const auto* end = name.data() + name.size();
  if (auto [p, ec] = std::from_chars(name.data(), end, gid); ec == std::errc() && p == end) {
    return gid;
  }
  std::array<char, 16384> buf{};
  group gr{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return gr.gr_gid;
}

namespace {

int print_status(const std::string& socket) {
  auto client = DaemonClient::connect(socket);
  if (!client) {
    fmt::print(stderr, "cowprobed: no daemon on {}: {}\n", socket, client.error().what());
    return 1;
  }
  auto reply = client->call({{"cmd", "status"}});
  if (!reply) {
    fmt::print(stderr, "cowprobed: {}\n", reply.error().what());
    return 1;
  }
  fmt::print("{}\n", reply->dump(2));
  return 0;
}

}  // namespace

int daemon_main(int argc, char** argv) {
  DaemonOptions opts;
  auto app = make_app(opts);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app->exit(e);
    return code == 0 ? 0 : 2;
  }
  if (opts.status) {
    return print_status(opts.socket);
  }
  auto daemon = Daemon::create(opts);
  if (!daemon) {
    fmt::print(stderr, "cowprobed: {}\n", daemon.error().what());
    return 1;
  }
  return (*daemon)->run();
}

}  // namespace cowprobe::daemon
