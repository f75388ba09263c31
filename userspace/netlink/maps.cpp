#include "maps.hpp"

#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

namespace cowprobe {
namespace {

constexpr std::uint64_t kHintMinBytes = 1ULL << 20;  // the kernel's bucket-at-fork minimum

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string_view oct = s.substr(i + 1, 3);
      if (oct.size() == 3 &&
          std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>(((oct[0] - '0') << 6) | ((oct[1] - '0') << 3) | (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string join_path(std::string_view dir, std::string_view rest) {
  if (dir.empty() || dir == "/") {
    return std::string(rest.empty() ? "/" : rest);
  }
  std::string out(dir);
  if (!rest.empty() && rest != "/") {
    out += rest;
  }
  return out;
}

bool starts_with_dir(std::string_view path, std::string_view dir) {
  if (dir == "/") {
    return true;
  }
  return path.substr(0, dir.size()) == dir &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string what_of(const Mapping& m) {
  const std::string size = format_size(m.end - m.start);
  if (m.kind == COWPROBE_MAP_ANON) {
    return size + " anonymous mapping";
  }
  return fmt::format("{} mapping {}", size, m.name);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) {
    return "0%";
  }
  const std::uint64_t pct = part * 100 / whole;
  return pct == 0 && part != 0 ? std::string("<1%") : fmt::format("{}%", pct);
}

}  // namespace

MountTable MountTable::read() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) {
    return {};
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text);
}

MountTable MountTable::parse(std::string_view mountinfo) {
  MountTable table;
  std::istringstream lines{std::string(mountinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string devno;
    std::string root;
    std::string point;
    if (!(fields >> id >> parent >> devno >> root >> point)) {
      continue;
    }
    Mount m;
    if (std::sscanf(devno.c_str(), "%u:%u", &m.major, &m.minor) != 2) {  // NOLINT(cert-err34-c)
      continue;
    }
    m.root = unescape(root);
    m.point = unescape(point);
    table.mounts_.push_back(std::move(m));
  }
  return table;
}

std::string MountTable::full_path(std::uint32_t dev, std::string_view inner) const {
  const auto major = static_cast<std::uint32_t>(::major(dev));
  const auto minor = static_cast<std::uint32_t>(::minor(dev));
  const Mount* best = nullptr;
  for (const auto& m : mounts_) {
    if (m.major == major && m.minor == minor && starts_with_dir(inner, m.root) &&
        (best == nullptr || m.root.size() > best->root.size())) {
      best = &m;
    }
  }
  if (best == nullptr) {
    return std::string(inner);
  }
  const std::string_view rest = best->root == "/" ? inner : inner.substr(best->root.size());
  return join_path(best->point, rest);
}

std::string format_size(std::uint64_t bytes) {
  constexpr double kKiB = 1024.0;
  const auto b = static_cast<double>(bytes);
  if (bytes >= (1ULL << 30)) {
    return fmt::format("{:.1f} GiB", b / (kKiB * kKiB * kKiB));
  }
  if (bytes >= (1ULL << 20)) {
    return fmt::format("{:.1f} MiB", b / (kKiB * kKiB));
  }
  return fmt::format("{:.1f} KiB", b / kKiB);
}

std::string mapping_name(const MapRecord& m, const MountTable& mounts) {
  const auto file = [&] { return mounts.full_path(m.dev, m.name); };
  switch (m.kind) {
    case COWPROBE_MAP_FILE:
    case COWPROBE_MAP_FILE_SHARED:
      return file();
    case COWPROBE_MAP_DATA:
      return file() + " (.data)";
    case COWPROBE_MAP_BSS:
      // unnamed when the kernel could not read the object's file safely
      return m.name.empty() ? fmt::format("[.bss {}]", format_size(m.end - m.start))
                            : file() + " (.bss)";
    case COWPROBE_MAP_HEAP:
      return "[heap]";
    case COWPROBE_MAP_STACK:
      return "[stack]";
    case COWPROBE_MAP_VDSO:
      return "[vdso]";
    default:
      return fmt::format("[anon {}]", format_size(m.end - m.start));
  }
}

std::vector<Mapping> mappings_of(const ProcRecord& rec, const MountTable& mounts) {
  // one mapping per (kind, start, name); the heap and stack by kind alone
  std::map<std::tuple<std::uint32_t, std::uint64_t, std::string>, Mapping> merged;
  for (const auto& b : rec.maps) {
    const bool by_kind = b.kind == COWPROBE_MAP_HEAP || b.kind == COWPROBE_MAP_STACK;
    std::string name = mapping_name(b, mounts);
    auto key = std::make_tuple(b.kind, by_kind ? 0 : b.start, by_kind ? std::string() : name);
    auto [it, fresh] = merged.try_emplace(std::move(key));
    Mapping& m = it->second;
    if (fresh) {
      m.name = std::move(name);
      m.kind = b.kind;
      m.start = b.start;
      m.end = b.end;
    }
    m.start = std::min(m.start, b.start);
    m.end = std::max(m.end, b.end);
    m.at_fork = m.at_fork || b.at_fork();
    m.counters += b.counters;
  }
  std::vector<Mapping> out;
  out.reserve(merged.size() + 1);
  for (auto& [key, m] : merged) {
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  if (rec.maps_overflow && rec.maps_overflow->wp_faults + rec.maps_overflow->file_copies +
                                   rec.maps_overflow->thp_wp_faults +
                                   rec.maps_overflow->hugetlb_wp_faults !=
                               0) {
    Mapping other;
    other.name = "[other]";
    other.counters = *rec.maps_overflow;
    out.push_back(std::move(other));
  }
  return out;
}

std::vector<ForkHint> fork_hints(const std::vector<ProcRecord>& records, const MountTable& mounts) {
  const auto find = [&](std::uint32_t pid) {
    return std::find_if(records.begin(), records.end(),
                        [&](const ProcRecord& p) { return p.pid == pid; });
  };
  std::vector<ForkHint> hints;
  std::vector<std::string> whats;  // of each hint, for its text
  for (const auto& rec : records) {
    for (const auto& m : mappings_of(rec, mounts)) {
      if (!m.at_fork || m.end - m.start < kHintMinBytes || m.counters.copies * 4 >= m.pages()) {
        continue;
      }
      const auto alike = std::find_if(hints.begin(), hints.end(), [&](const ForkHint& h) {
        return h.ppid == rec.ppid && h.mapping == m.name && h.pages == m.pages() &&
               h.copies == m.counters.copies;
      });
      if (alike != hints.end()) {
        alike->processes++;
        continue;
      }
      ForkHint h;
      h.pid = rec.pid;
      h.ppid = rec.ppid;
      h.mapping = m.name;
      h.pages = m.pages();
      h.copies = m.counters.copies;
      if (const auto parent = find(rec.ppid); parent != records.end()) {
        for (const auto& pm : mappings_of(*parent, mounts)) {
          if (pm.kind == m.kind && pm.start < m.end && m.start < pm.end) {
            h.parent_copies = static_cast<std::int64_t>(pm.counters.copies);
          }
        }
      }
      hints.push_back(std::move(h));
      whats.push_back(what_of(m));
    }
  }
  for (std::size_t i = 0; i < hints.size(); ++i) {
    ForkHint& h = hints[i];
    const auto child = find(h.pid);
    const auto parent = find(h.ppid);
    const std::string parent_comm =
        parent != records.end() ? fmt::format(" ({})", parent->comm) : std::string();
    const std::string who =
        h.processes == 1 ? fmt::format("pid {} ({})", h.pid, child->comm)
                         : fmt::format("{} children of pid {}{}", h.processes, h.ppid, parent_comm);
    h.text = fmt::format("{}: {} shared at fork: {} {} page{} ({})", who, whats[i],
                         h.processes == 1 ? "the child copied" : "each copied", h.copies,
                         h.copies == 1 ? "" : "s", percent(h.copies, h.pages));
    if (h.parent_copies >= 0) {
      h.text += fmt::format("; the parent (pid {}) copied {} page{} there in all", h.ppid,
                            h.parent_copies, h.parent_copies == 1 ? "" : "s");
    }
  }
  return hints;
}

}  // namespace cowprobe
