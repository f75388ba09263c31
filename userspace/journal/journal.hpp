// cowprobed's journal files: append-only JSON Lines, rotated by size.
//
// A line is written with one write() to an O_APPEND file, so a crash or a
// kill -9 leaves whole lines only; a torn tail (a full disk, a power cut
// before the page cache reached the disk) is cut back to the last newline
// when the writer opens the file, and readers skip it.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace cowprobe {

struct JournalOptions {
  std::string path;
  std::uint64_t rotate_bytes = std::uint64_t{16} * 1024 * 1024;  // 0: never rotate
  int rotate_count = 4;                                          // PATH.1 .. PATH.N kept
  std::optional<gid_t> group;  // files owned by root:group, mode 0640; else 0600
};

// Truncates the file back to just after its last '\n' (to empty without
// one). Returns the bytes cut.
Result<std::uint64_t> repair_tail(int fd);

class JournalWriter {
 public:
  // Creates the file (and its directory) if needed and repairs its tail.
  static Result<JournalWriter> open(JournalOptions opts);

  // line: one complete line ending in '\n', written with one write(). A
  // short write is cut back off, so the file never ends in a torn line.
  Result<void> append(std::string_view line);
  // Closes and opens PATH again (after logrotate moved it: SIGHUP).
  Result<void> reopen();
  Result<void> sync();

  [[nodiscard]] const std::string& path() const { return opts_.path; }
  [[nodiscard]] std::uint64_t size() const { return size_; }
  // Bytes cut from a torn tail by the last open.
  [[nodiscard]] std::uint64_t repaired() const { return repaired_; }

 private:
  explicit JournalWriter(JournalOptions opts) : opts_(std::move(opts)) {}
  Result<void> open_file();
  Result<void> rotate();

  JournalOptions opts_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  std::uint64_t repaired_ = 0;
};

// PATH.N .. PATH.2, PATH.1, PATH: those that exist, oldest first.
std::vector<std::string> journal_files(const std::string& path);

struct ScanResult {
  std::size_t lines = 0;
  bool torn_tail = false;  // the file ended in a line without '\n': skipped
};

// Calls f(line, number) for each complete line of file (without '\n',
// numbered from 1); an error from f stops the scan and is returned.
using LineFn = std::function<Result<void>(std::string_view line, std::size_t number)>;
Result<ScanResult> scan_lines(const std::string& file, const LineFn& f);

// The last complete line of the journal, looking into PATH.1 when PATH is
// empty; nothing when there is none.
Result<std::optional<std::string>> last_journal_line(const std::string& path);

}  // namespace cowprobe
