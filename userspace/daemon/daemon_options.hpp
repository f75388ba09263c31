// cowprobed's command line.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cowprobe::daemon {

struct DaemonOptions {
  std::string journal;
  std::uint64_t rotate_size = std::uint64_t{16} * 1024 * 1024;
  int rotate_count = 4;
  std::string socket;
  std::string group;  // empty: root only
  bool track_all = false;
  std::size_t index_size = 10000;
  // 64 MiB: exit records (about 960 bytes of it each) back up here while the
  // daemon is behind; past half of it the module's exit work yields and its
  // queue fills max_procs, refusing new processes (tools/bench/daemon-burst:
  // 16 MiB refused 3,468 of 30,000 with the daemon stopped, 64 MiB none).
  std::uint64_t receive_buffer = std::uint64_t{64} * 1024 * 1024;
  std::string cowprobe;  // --cowprobe: accepted, ignored (runs use the library)
  bool status = false;   // client mode: print a running daemon's status
};

std::unique_ptr<CLI::App> make_app(DaemonOptions& opts);

// The group's id, by name or number.
std::optional<gid_t> lookup_group(const std::string& name);

int daemon_main(int argc, char** argv);

}  // namespace cowprobe::daemon
