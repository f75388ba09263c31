#include "top_model.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace cowprobe::cli {
namespace {

constexpr std::array<SortKey, 4> kSortKeys{SortKey::copies, SortKey::reuses, SortKey::faults,
                                           SortKey::pid};
constexpr std::array<std::string_view, 4> kSortNames{"copies", "reuses", "faults", "pid"};

struct RateField {
  int attr;
  std::uint64_t Counters::*counter;
  double Rates::*rate;
};

constexpr std::array<RateField, 4> kRateFields{{
    {COWPROBE_C_COPIES, &Counters::copies, &Rates::copies},
    {COWPROBE_C_REUSES, &Counters::reuses, &Rates::reuses},
    {COWPROBE_C_ZERO_FILLS, &Counters::zero_fills, &Rates::zero_fills},
    {COWPROBE_C_WP_FAULTS, &Counters::wp_faults, &Rates::wp_faults},
}};

// Counts of the interval; a counter that went down was reset in between.
Counters delta(const Counters* before, const Counters& now) {
  if (before == nullptr) {
    return now;
  }
  Counters d = now;
  for (const auto& f : counter_fields()) {
    const std::uint64_t b = before->*f.member;
    const std::uint64_t n = now.*f.member;
    d.*f.member = n >= b ? n - b : n;
  }
  return d;
}

Rates per_second(const Counters& counts, double seconds) {
  Rates r;
  r.present = counts.present;
  if (seconds <= 0) {
    return r;
  }
  for (const auto& f : kRateFields) {
    r.*f.rate = static_cast<double>(counts.*f.counter) / seconds;
  }
  return r;
}

double sort_value(const ProcRow& row, SortKey key) {
  switch (key) {
    case SortKey::copies:
      return row.rates.copies;
    case SortKey::reuses:
      return row.rates.reuses;
    case SortKey::faults:
      return row.rates.wp_faults;
    case SortKey::pid:
      break;
  }
  return 0;
}

// comm is whatever the process named itself: no escape sequence of its own
// reaches the terminal, and every byte is one column.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      c = '?';
    }
  }
  return out;
}

std::string rate(const Rates& r, int attr, double value) {
  return r.has(attr) ? fmt::format("{:.1f}", value) : std::string("-");
}

std::string row_line(const ProcRow& row) {
  const Rates& r = row.rates;
  return fmt::format("{:>8} {:>8} {:1} {:<16} {:>10} {:>10} {:>10} {:>10} {:>12}", row.pid,
                     row.ppid, row.exited ? "X" : "", printable(row.comm),
                     rate(r, COWPROBE_C_COPIES, r.copies), rate(r, COWPROBE_C_REUSES, r.reuses),
                     rate(r, COWPROBE_C_ZERO_FILLS, r.zero_fills),
                     rate(r, COWPROBE_C_WP_FAULTS, r.wp_faults),
                     r.has(COWPROBE_C_COPIES) ? fmt::to_string(row.copies) : std::string("-"));
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::vector<std::string> header_lines(const TopFrame& frame, const TopHeader& h) {
  std::vector<std::string> out;
  std::string first =
      fmt::format("cowprobe top - module {}, {} tracked, exit records: {} sent, {} dropped",
                  h.version.empty() ? "?" : printable(h.version),
                  plural(h.nr_procs, "record", "records"), h.exits_sent, h.exits_dropped);
  if (h.track_all) {
    first += ", track_all on";
  }
  if (h.root) {
    first += fmt::format(", tree of {}", *h.root);
  }
  out.push_back(std::move(first));
  const std::size_t exited_now = frame.rows.size() - frame.live;
  out.push_back(fmt::format("processes: {} running, {} exited in the last {:.2f} s, {} before",
                            frame.live, exited_now, frame.seconds, frame.exited_earlier));
  const Rates& t = frame.total;
  out.push_back(fmt::format(
      "total/s: copies {}, reuses {}, zero fills {}, wp faults {}",
      rate(t, COWPROBE_C_COPIES, t.copies), rate(t, COWPROBE_C_REUSES, t.reuses),
      rate(t, COWPROBE_C_ZERO_FILLS, t.zero_fills), rate(t, COWPROBE_C_WP_FAULTS, t.wp_faults)));
  out.push_back(h.interactive
                    ? fmt::format("sort: {} (s: next sort key, q: quit)", sort_key_name(h.sort))
                    : fmt::format("sort: {}", sort_key_name(h.sort)));
  out.push_back(printable(h.note));
  out.push_back(fmt::format("{:>8} {:>8} {:1} {:<16} {:>10} {:>10} {:>10} {:>10} {:>12}", "PID",
                            "PPID", "S", "COMM", "COPIES/s", "REUSES/s", "ZEROFILL/s", "WPFAULT/s",
                            "COPIES"));
  return out;
}

}  // namespace

std::optional<SortKey> parse_sort_key(std::string_view name) {
  for (std::size_t i = 0; i < kSortKeys.size(); i++) {
    if (kSortNames.at(i) == name) {
      return kSortKeys.at(i);
    }
  }
  return std::nullopt;
}

std::string_view sort_key_name(SortKey key) { return kSortNames.at(static_cast<std::size_t>(key)); }

SortKey next_sort_key(SortKey key) {
  return kSortKeys.at((static_cast<std::size_t>(key) + 1) % kSortKeys.size());
}

TopFrame compute_frame(const Snapshot& prev, const Snapshot& cur) {
  TopFrame frame;
  frame.seconds =
      cur.time_ns > prev.time_ns ? static_cast<double>(cur.time_ns - prev.time_ns) / 1e9 : 0.0;
  std::map<std::pair<std::uint32_t, std::uint64_t>, const ProcRecord*> before;
  for (const auto& rec : prev.procs) {
    before.emplace(std::pair{rec.pid, rec.start_ns}, &rec);
  }
  Counters sum;
  for (const auto& rec : cur.procs) {
    const auto it = before.find({rec.pid, rec.start_ns});
    const ProcRecord* old = it != before.end() ? it->second : nullptr;
    if (rec.exited() && old != nullptr && old->exited()) {
      frame.exited_earlier++;
      continue;
    }
    const Counters d = delta(old != nullptr ? &old->counters : nullptr, rec.counters);
    sum += d;
    ProcRow row;
    row.pid = rec.pid;
    row.ppid = rec.ppid;
    row.comm = rec.comm;
    row.exited = rec.exited();
    row.rates = per_second(d, frame.seconds);
    row.copies = rec.counters.copies;
    frame.live += row.exited ? 0 : 1;
    frame.rows.push_back(std::move(row));
  }
  frame.total = per_second(sum, frame.seconds);
  if (frame.rows.empty()) {  // nothing happened, rather than nothing observable
    for (const auto& f : kRateFields) {
      frame.total.present |= 1U << f.attr;
    }
  }
  return frame;
}

void sort_rows(std::vector<ProcRow>& rows, SortKey key) {
  std::stable_sort(rows.begin(), rows.end(), [key](const ProcRow& a, const ProcRow& b) {
    if (key != SortKey::pid) {
      const double va = sort_value(a, key);
      const double vb = sort_value(b, key);
      if (va != vb) {
        return va > vb;
      }
    }
    return a.pid < b.pid;
  });
}

std::vector<std::string> render_frame(const TopFrame& frame, const TopHeader& header,
                                      std::size_t width, std::size_t height) {
  std::vector<std::string> lines = header_lines(frame, header);
  std::size_t shown = frame.rows.size();
  if (height > 0) {
    const std::size_t room = height > lines.size() ? height - lines.size() : 0;
    if (shown > room) {
      shown = room > 0 ? room - 1 : 0;
    }
  }
  for (std::size_t i = 0; i < shown; i++) {
    lines.push_back(row_line(frame.rows[i]));
  }
  if (shown < frame.rows.size()) {
    const std::size_t more = frame.rows.size() - shown;
    lines.push_back(fmt::format("... {} more {}", more, more == 1 ? "process" : "processes"));
  }
  if (height > 0 && lines.size() > height) {
    lines.resize(height);
  }
  if (width > 0) {
    for (auto& line : lines) {
      if (line.size() > width) {
        line.resize(width);
      }
    }
  }
  return lines;
}

}  // namespace cowprobe::cli
