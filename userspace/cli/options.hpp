// Parsed command line of the cowprobe tool: one struct per subcommand.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cowprobe::cli {

struct StatOptions {
  bool json = false;
  bool threads = false;
  bool maps = false;   // --maps: counts by mapping, and the missing-copy hints
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
  bool daemon = false;  // ask cowprobed to run it
  std::string socket;
};

struct TopOptions {
  double interval = 1.0;    // seconds
  unsigned iterations = 0;  // 0: until q
  bool batch = false;
  std::optional<int> pid;  // a watched root: only its tree
  std::string sort = "copies";
  bool all = false;  // track_all on while top runs
};

struct HistoryOptions {
  std::optional<int> pid;
  std::string comm;
  std::string since;  // checked by parse_since at parse time
  std::optional<std::size_t> limit;
  bool json = false;
  std::string journal;  // empty: ask cowprobed, else its default journal
  std::string socket;
};

enum class Command { none, stat, status, stats, check, top, history };

struct Options {
  Command command = Command::none;
  StatOptions stat;
  StatusOptions status;
  StatsOptions stats;
  CheckOptions check;
  TopOptions top;
  HistoryOptions history;
};

}  // namespace cowprobe::cli
