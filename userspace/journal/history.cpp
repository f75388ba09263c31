#include "history.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "journal.hpp"

namespace cowprobe {
namespace {

constexpr std::int64_t kNsPerSec = 1'000'000'000;

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> parse_age(std::string_view text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  auto n = parse_int(text.substr(0, text.size() - 1));
  if (!n || *n < 0 || *n > 100LL * 365 * 86400 / unit) {
    return std::nullopt;
  }
  return *n * unit * kNsPerSec;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  bool utc = false;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    utc = true;
    text.remove_suffix(1);
  }
  const std::string s(text);
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') {
      continue;
    }
    tm.tm_isdst = -1;
    const std::time_t t = utc ? ::timegm(&tm) : ::mktime(&tm);
    if (t == static_cast<std::time_t>(-1)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(t) * kNsPerSec;
  }
  return std::nullopt;
}

}  // namespace

bool matches(const std::string& type, std::int64_t time_ns, std::optional<std::uint32_t> pid,
             std::string_view comm, const HistoryQuery& query) {
  if (query.since_ns && time_ns < *query.since_ns) {
    return false;
  }
  if (type != "exit") {
    return true;
  }
  if (query.pid && pid != query.pid) {
    return false;
  }
  return !query.comm || comm == *query.comm;
}

bool matches(const JournalEntry& entry, const HistoryQuery& query) {
  return matches(entry.type, entry.time_ns, entry.pid, entry.comm, query);
}

void apply_limit(History& history, std::optional<std::size_t> limit) {
  if (!limit || history.entries.size() <= *limit) {
    return;
  }
  const auto cut = static_cast<std::ptrdiff_t>(history.entries.size() - *limit);
  for (auto it = history.entries.begin(); it != history.entries.begin() + cut; ++it) {
    if (it->is_exit()) {
      --history.records;
    }
  }
  history.entries.erase(history.entries.begin(), history.entries.begin() + cut);
  history.truncated = true;
}

Result<History> read_history(const std::string& journal, const HistoryQuery& query) {
  const auto files = journal_files(journal);
  if (files.empty()) {
    return Error::message(ENOENT, fmt::format("no journal at {}", journal));
  }
  History history;
  for (const auto& file : files) {
    auto scan = scan_lines(file, [&](std::string_view line, std::size_t number) -> Result<void> {
      if (line.empty()) {
        return {};
      }
      auto entry = parse_journal_line(line);
      if (!entry) {
        return Error::message(EBADMSG,
                              fmt::format("{}:{}: {}", file, number, entry.error().detail()));
      }
      if (matches(*entry, query)) {
        history.records += entry->is_exit() ? 1 : 0;
        history.entries.push_back(std::move(entry).value());
      }
      return {};
    });
    if (!scan) {
      return scan.error();
    }
    history.torn_lines += scan->torn_tail ? 1 : 0;
  }
  apply_limit(history, query.limit);
  return history;
}

Result<std::int64_t> parse_since(std::string_view text, std::int64_t now_ns) {
  if (!text.empty() && text.front() == '@') {
    if (auto sec = parse_int(text.substr(1)); sec && *sec >= 0 && *sec < (INT64_MAX / kNsPerSec)) {
      return *sec * kNsPerSec;
    }
  } else if (auto age = parse_age(text)) {
    return now_ns - *age;
  } else if (auto date = parse_date(text)) {
    return *date;
  }
  return Error::message(EINVAL, fmt::format("bad time '{}': use an age (90s, 15m, 2h, 3d), a date "
                                            "(2025-05-01, 2025-05-01T12:30[:00][Z]) or @UNIXTIME",
                                            text));
}

void to_json(nlohmann::json& j, const HistoryQuery& q) {
  j = nlohmann::json{{"cmd", "history"}};
  if (q.pid) {
    j["pid"] = *q.pid;
  }
  if (q.comm) {
    j["comm"] = *q.comm;
  }
  if (q.since_ns) {
    j["since_ns"] = *q.since_ns;
  }
  if (q.limit) {
    j["limit"] = *q.limit;
  }
}

}  // namespace cowprobe
