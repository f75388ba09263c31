#include "app.hpp"

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "version.hpp"

namespace cowprobe::cli {

std::unique_ptr<CLI::App> make_app(Options& opts) {
  auto app = std::make_unique<CLI::App>(
      "cowprobe: count copy-on-write faults per process with the cowprobe kernel module",
      "cowprobe");
  // At most one; none is reported by parse_args, and an unknown word as
  // one (CLI11 would say only that a subcommand is required).
  app->require_subcommand(0, 1);
  app->set_version_flag(
      "--version", [] { return version_text("cowprobe"); },
      "Print cowprobe's version and the loaded module's, then exit");
  app->failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return "cowprobe: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
  app->footer(
      "Examples:\n"
      "  cowprobe stat -- make -j2        copy-on-write faults of a command and its children\n"
      "  cowprobe status                  module version, limits and probes\n"
      "  cowprobe stats --json            records the module holds, as JSON\n"
      "  cowprobe check --repeat 10       run the scenario library against the model\n"
      "  cowprobe top --all               live copy-on-write rates of every new process");

  CLI::App* stat = setup_stat(*app, opts.stat);
  stat->parse_complete_callback([&opts] { opts.command = Command::stat; });
  CLI::App* status = setup_status(*app, opts.status);
  status->parse_complete_callback([&opts] { opts.command = Command::status; });
  CLI::App* stats = setup_stats(*app, opts.stats);
  stats->parse_complete_callback([&opts] { opts.command = Command::stats; });
  CLI::App* check = setup_check(*app, opts.check);
  check->parse_complete_callback([&opts] { opts.command = Command::check; });
  CLI::App* top = setup_top(*app, opts.top);
  top->parse_complete_callback([&opts] { opts.command = Command::top; });
  CLI::App* history = setup_history(*app, opts.history);
  history->parse_complete_callback([&opts] { opts.command = Command::history; });
  return app;
}

std::optional<int> parse_args(CLI::App& app, Options& opts, std::vector<std::string> args,
                              std::ostream& out, std::ostream& err) {
  // The word a user meant as a subcommand, to name it when it is unknown.
  const auto word = std::find_if(args.begin(), args.end(),
                                 [](const std::string& a) { return !a.starts_with("-"); });
  const std::string first_word = word == args.end() ? std::string() : *word;
  // CLI11 parses a reversed vector (and consumes it).
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ExtrasError& e) {
    const CLI::App& capp = app;
    const auto subs = capp.get_subcommands([](const CLI::App*) { return true; });
    const bool known = std::any_of(subs.begin(), subs.end(), [&](const CLI::App* sub) {
      return sub->get_name() == first_word;
    });
    if (!first_word.empty() && !known) {
      err << "cowprobe: unknown subcommand '" << first_word << "' (known:";
      for (const CLI::App* sub : subs) {
        err << ' ' << sub->get_name();
      }
      err << ")\nRun with --help for more information.\n";
      return kExitUsage;
    }
    app.exit(e, out, err);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : kExitUsage;
  }
  if (opts.command == Command::none) {
    err << "cowprobe: no subcommand given\n";
    return kExitUsage;
  }
  return std::nullopt;
}

int run(const Options& opts) {
  switch (opts.command) {
    case Command::stat:
      return run_stat(opts.stat);
    case Command::status:
      return run_status(opts.status);
    case Command::stats:
      return run_stats(opts.stats);
    case Command::check:
      return run_check(opts.check);
    case Command::top:
      return run_top(opts.top);
    case Command::history:
      return run_history(opts.history);
    case Command::none:
      break;
  }
  return kExitUsage;
}

int cli_main(int argc, char** argv) {
  Options opts;
  auto app = make_app(opts);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto code = parse_args(*app, opts, std::move(args), std::cout, std::cerr)) {
    return *code;
  }
  return run(opts);
}

}  // namespace cowprobe::cli
