// The cowprobe command line: building and parsing it is separate from
// running it, so tests can parse without a kernel.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"

namespace cowprobe::cli {

constexpr int kExitUsage = 2;

// The app with every subcommand; parsing fills opts.
std::unique_ptr<CLI::App> make_app(Options& opts);

// Parses args (without the program name). Returns an exit code when the
// program should stop (help printed: 0, usage error: 2, message on err),
// nothing when opts is ready to run.
std::optional<int> parse_args(CLI::App& app, Options& opts, std::vector<std::string> args,
                              std::ostream& out, std::ostream& err);

// Runs the parsed subcommand; returns the process exit status.
int run(const Options& opts);

int cli_main(int argc, char** argv);

}  // namespace cowprobe::cli
