#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace cowprobe {
namespace {

constexpr std::size_t kChunk = std::size_t{64} * 1024;

Result<std::uint64_t> file_size(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) {
    return Error::from_errno(what);
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> pread_full(int fd, char* buf, std::size_t len, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno("journal read");
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<void> make_parent(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) {
    return {};
  }
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Error(ec.value(), fmt::format("creating {}", parent.string()));
  }
  return {};
}

std::string rotated(const std::string& path, int n) { return fmt::format("{}.{}", path, n); }

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The last complete line of one file, if it has one.
Result<std::optional<std::string>> last_line_of(const std::string& file) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    return Error::from_errno(file);
  }
  auto size = file_size(fd.get(), file);
  if (!size) {
    return size.error();
  }
  for (std::uint64_t window = kChunk;; window *= 2) {
    const std::uint64_t len = std::min(window, *size);
    std::string buf(len, '\0');
    auto got = pread_full(fd.get(), buf.data(), len, *size - len);
    if (!got) {
      return got.error();
    }
    buf.resize(*got);
    const auto end = buf.rfind('\n');
    if (end != std::string::npos) {
      const auto start = end == 0 ? std::string::npos : buf.rfind('\n', end - 1);
      if (start != std::string::npos) {
        return std::optional<std::string>(buf.substr(start + 1, end - start - 1));
      }
      if (len == *size) {
        return std::optional<std::string>(buf.substr(0, end));
      }
    } else if (len == *size) {
      return std::optional<std::string>();
    }
  }
}

}  // namespace

Result<std::uint64_t> repair_tail(int fd) {
  auto size = file_size(fd, "journal");
  if (!size) {
    return size.error();
  }
  std::uint64_t end = *size;
  std::string buf(kChunk, '\0');
  while (end > 0) {
    const std::uint64_t len = std::min<std::uint64_t>(kChunk, end);
    auto got = pread_full(fd, buf.data(), len, end - len);
    if (!got) {
      return got.error();
    }
    const auto nl = std::string_view(buf.data(), *got).rfind('\n');
    if (nl != std::string_view::npos) {
      end = end - len + nl + 1;
      break;
    }
    end -= len;
  }
  if (end == *size) {
    return std::uint64_t{0};
  }
  if (::ftruncate(fd, static_cast<off_t>(end)) < 0) {
    return Error::from_errno("cutting a torn line off the journal");
  }
  return *size - end;
}

Result<JournalWriter> JournalWriter::open(JournalOptions opts) {
  JournalWriter w(std::move(opts));
  if (auto r = w.open_file(); !r) {
    return r.error();
  }
  return w;
}

Result<void> JournalWriter::open_file() {
  if (auto r = make_parent(opts_.path); !r) {
    return r;
  }
  const mode_t mode = opts_.group ? 0640 : 0600;
  UniqueFd fd(::open(opts_.path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return Error::from_errno(opts_.path);
  }
  if (opts_.group) {
    if (::fchown(fd.get(), static_cast<uid_t>(-1), *opts_.group) < 0 ||
        ::fchmod(fd.get(), mode) < 0) {
      return Error::from_errno(fmt::format("{}: setting group {}", opts_.path, *opts_.group));
    }
  }
  auto cut = repair_tail(fd.get());
  if (!cut) {
    return Error(cut.error().code(), opts_.path, cut.error().what());
  }
  auto size = file_size(fd.get(), opts_.path);
  if (!size) {
    return size.error();
  }
  fd_ = std::move(fd);
  size_ = *size;
  repaired_ = *cut;
  return {};
}

Result<void> JournalWriter::append(std::string_view line) {
  if (opts_.rotate_bytes > 0 && size_ > 0 && size_ + line.size() > opts_.rotate_bytes) {
    if (auto r = rotate(); !r) {
      return r;
    }
  }
  ssize_t n = -1;
  do {
    n = ::write(fd_.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return Error::from_errno(opts_.path);
  }
  if (static_cast<std::size_t>(n) != line.size()) {
    // A full disk: take the partial line back rather than leave it torn.
    auto size = file_size(fd_.get(), opts_.path);
    if (size && *size >= static_cast<std::uint64_t>(n)) {
      (void)::ftruncate(fd_.get(), static_cast<off_t>(*size - static_cast<std::uint64_t>(n)));
    }
    return Error(ENOSPC,
                 fmt::format("{}: short write ({} of {} bytes)", opts_.path, n, line.size()));
  }
  size_ += line.size();
  return {};
}

Result<void> JournalWriter::reopen() {
  fd_.reset();
  return open_file();
}

Result<void> JournalWriter::sync() {
  if (fd_.valid() && ::fdatasync(fd_.get()) < 0) {
    return Error::from_errno(fmt::format("{}: fdatasync", opts_.path));
  }
  return {};
}

Result<void> JournalWriter::rotate() {
  fd_.reset();
  const int count = std::max(opts_.rotate_count, 1);
  (void)::unlink(rotated(opts_.path, count).c_str());
  for (int i = count - 1; i >= 1; --i) {
    if (::rename(rotated(opts_.path, i).c_str(), rotated(opts_.path, i + 1).c_str()) < 0 &&
        errno != ENOENT) {
      return Error::from_errno(fmt::format("rotating {}", rotated(opts_.path, i)));
    }
  }
  if (::rename(opts_.path.c_str(), rotated(opts_.path, 1).c_str()) < 0 && errno != ENOENT) {
    return Error::from_errno(fmt::format("rotating {}", opts_.path));
  }
  return open_file();
}

std::vector<std::string> journal_files(const std::string& path) {
  std::vector<std::string> files;
  for (int i = 1; exists(rotated(path, i)); ++i) {
    files.push_back(rotated(path, i));
  }
  std::reverse(files.begin(), files.end());
  if (exists(path)) {
    files.push_back(path);
  }
  return files;
}

Result<ScanResult> scan_lines(const std::string& file, const LineFn& f) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Error::from_errno(file);
  }
  ScanResult result;
  std::string carry;
  std::string buf(kChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno(file);
    }
    if (n == 0) {
      break;
    }
    std::string_view data(buf.data(), static_cast<std::size_t>(n));
    for (auto nl = data.find('\n'); nl != std::string_view::npos; nl = data.find('\n')) {
      ++result.lines;
      Result<void> r;
      if (carry.empty()) {
        r = f(data.substr(0, nl), result.lines);
      } else {
        carry.append(data.substr(0, nl));
        r = f(carry, result.lines);
        carry.clear();
      }
      if (!r) {
        return r.error();
      }
      data.remove_prefix(nl + 1);
    }
    carry.append(data);
  }
  result.torn_tail = !carry.empty();
  return result;
}

Result<std::optional<std::string>> last_journal_line(const std::string& path) {
  auto line = last_line_of(path);
  if (!line || *line) {
    return line;
  }
  return last_line_of(rotated(path, 1));
}

}  // namespace cowprobe
