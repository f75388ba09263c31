#include "index.hpp"

namespace cowprobe::daemon {

void Index::add(IndexEntry entry) {
  if (entries_.size() == capacity_) {
    entries_.pop_front();
    complete_ = false;
  }
  entries_.push_back(std::move(entry));
}

bool Index::covers(const HistoryQuery& query) const {
  if (complete_) {
    return true;
  }
  return query.since_ns && !entries_.empty() && *query.since_ns >= entries_.front().time_ns;
}

std::vector<const IndexEntry*> Index::query(const HistoryQuery& query) const {
  std::vector<const IndexEntry*> out;
  for (const auto& e : entries_) {
    if (matches(e.type, e.time_ns, e.pid, e.comm, query)) {
      out.push_back(&e);
    }
  }
  return out;
}

}  // namespace cowprobe::daemon
