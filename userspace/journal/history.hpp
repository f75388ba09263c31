// History queries over journal entries: by pid, comm and time, from the
// journal files (without the daemon) or from the daemon's index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "journal_entry.hpp"
#include "result.hpp"

namespace cowprobe {

struct HistoryQuery {
  std::optional<std::uint32_t> pid;
  std::optional<std::string> comm;       // exact match
  std::optional<std::int64_t> since_ns;  // unix time; entries at or after it
  std::optional<std::size_t> limit;      // the most recent entries only
};

// Exit records match every criterion; gaps and epochs only the time (they
// say records may be missing, whatever the pid).
bool matches(const JournalEntry& entry, const HistoryQuery& query);
bool matches(const std::string& type, std::int64_t time_ns, std::optional<std::uint32_t> pid,
             std::string_view comm, const HistoryQuery& query);

struct History {
  std::vector<JournalEntry> entries;  // oldest first
  std::size_t records = 0;            // exit records among them
  std::size_t torn_lines = 0;         // torn tails skipped (a crash mid-write)
  bool truncated = false;             // limit cut older entries off
};

// Reads PATH.N .. PATH in order. A complete line that is not a journal
// object is an error naming file and line; a torn last line is skipped.
// ENOENT when there is no journal at all.
Result<History> read_history(const std::string& journal, const HistoryQuery& query);

// Keeps the last limit entries of history (limit: none keeps all).
void apply_limit(History& history, std::optional<std::size_t> limit);

// Parses --since: "@UNIX_SECONDS", "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]"
// (also with a space; local time, or UTC with a trailing Z), or an age:
// "90s", "15m", "2h", "3d" before now_ns. Returns unix ns.
Result<std::int64_t> parse_since(std::string_view text, std::int64_t now_ns);

// The request object for the daemon's history command.
void to_json(nlohmann::json& j, const HistoryQuery& q);

}  // namespace cowprobe
