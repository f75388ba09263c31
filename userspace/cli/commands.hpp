// One setup function (options onto a CLI11 subcommand) and one run function
// per subcommand, as in CLI11's examples/subcom_in_files.
#pragma once

#include <CLI/CLI.hpp>

#include "options.hpp"

namespace cowprobe::cli {

CLI::App* setup_stat(CLI::App& app, StatOptions& opts);
int run_stat(const StatOptions& opts);

CLI::App* setup_status(CLI::App& app, StatusOptions& opts);
int run_status(const StatusOptions& opts);

CLI::App* setup_stats(CLI::App& app, StatsOptions& opts);
int run_stats(const StatsOptions& opts);

CLI::App* setup_check(CLI::App& app, CheckOptions& opts);
int run_check(const CheckOptions& opts);

CLI::App* setup_top(CLI::App& app, TopOptions& opts);
int run_top(const TopOptions& opts);

CLI::App* setup_history(CLI::App& app, HistoryOptions& opts);
int run_history(const HistoryOptions& opts);

}  // namespace cowprobe::cli
