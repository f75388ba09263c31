// Parsed command line of the cowprobe tool: one struct per subcommand.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cowprobe::cli {

struct StatOptions {
  bool json = false;
  bool threads = false;
  std::string output;  // -o FILE; empty: stderr (table) or stdout (JSON)
  std::vector<std::string> command;
};

struct StatusOptions {
  bool json = false;
};

struct StatsOptions {
  std::optional<int> pid;
  bool json = false;
  bool threads = false;
};

struct CheckOptions {
  std::vector<std::string> scenarios;  // empty: all
  int repeat = 1;
  int fork_time_iterations = 10;
  bool json = false;
  bool tap = false;
  bool list = false;
};

enum class Command { none, stat, status, stats, check };

struct Options {
  Command command = Command::none;
  StatOptions stat;
  StatusOptions status;
  StatsOptions stats;
  CheckOptions check;
};

}  // namespace cowprobe::cli
