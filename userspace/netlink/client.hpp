// The cowprobe generic netlink API, one method per command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "netlink.hpp"
#include "records.hpp"
#include "result.hpp"

namespace cowprobe {

class Client {
 public:
  // Opens a socket and resolves the "cowprobe" family; fails with a
  // one-line explanation when the module is not loaded.
  static Result<Client> open();

  Result<Status> status();
  // Tracks pid's threads; with children, every process it creates later.
  // With maps, counts per mapping too (COWPROBE_WATCH_F_MAPS).
  Result<void> watch(pid_t pid, bool children, bool maps = false);
  Result<void> unwatch(pid_t pid);
  Result<ProcRecord> get(pid_t pid);
  // Every record, or only those of the tree watched as root.
  Result<std::vector<ProcRecord>> dump(std::optional<pid_t> root = std::nullopt);
  // Zeroes one process's counters, or every record's.
  Result<void> reset(std::optional<pid_t> pid = std::nullopt);
  // Also counts faults of pid in [start, end) in the region's own counters;
  // processes it forks later inherit the region.
  Result<void> region_add(pid_t pid, std::uintptr_t start, std::uintptr_t end,
                          std::string_view name = {});
  // COWPROBE_CMD_CONFIG: track every new process (track_all), or not.
  Result<void> config(bool track_all);

  [[nodiscard]] std::uint16_t family() const { return family_; }

 private:
  Client(NlSocket sock, std::uint16_t family) : sock_(std::move(sock)), family_(family) {}

  NlSocket sock_;
  std::uint16_t family_;
};

// RAII: UNWATCHes a root when it goes out of scope, on every path.
class WatchGuard {
 public:
  WatchGuard(Client& client, pid_t pid) : client_(&client), pid_(pid) {}
  WatchGuard(const WatchGuard&) = delete;
  WatchGuard& operator=(const WatchGuard&) = delete;
  WatchGuard(WatchGuard&&) = delete;
  WatchGuard& operator=(WatchGuard&&) = delete;
  ~WatchGuard();

  // Unwatches now and reports the outcome; the destructor then does nothing.
  Result<void> release();

 private:
  Client* client_;
  pid_t pid_;
};

}  // namespace cowprobe
