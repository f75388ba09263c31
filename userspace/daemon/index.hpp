// The most recent journal entries in memory, for history queries that need
// not read the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "history.hpp"

namespace cowprobe::daemon {

struct IndexEntry {
  std::string type;
  std::int64_t time_ns = 0;
  std::optional<std::uint32_t> pid;
  std::string comm;
  std::string line;  // the journal line, without '\n'
};

class Index {
 public:
  explicit Index(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(IndexEntry entry);
  // Loading from the journal: whether anything was dropped for room is
  // what tells if the index holds the whole journal.
  [[nodiscard]] bool complete() const { return complete_; }
  // The index answers query exactly: it holds the whole journal, or the
  // query starts after the oldest entry held.
  [[nodiscard]] bool covers(const HistoryQuery& query) const;
  // Matching entries, oldest first (query.limit is the caller's).
  [[nodiscard]] std::vector<const IndexEntry*> query(const HistoryQuery& query) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  std::deque<IndexEntry> entries_;
  std::size_t capacity_;
  bool complete_ = true;
};

}  // namespace cowprobe::daemon
