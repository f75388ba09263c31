#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "fd.hpp"

namespace cowprobe::cli {
namespace {

Result<void> write_all(int fd, std::string_view text, const std::string& what) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno(what);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<void> write_output(const std::string& path, std::string_view text, std::FILE* fallback) {
  if (path.empty()) {
    std::fflush(fallback);
    return write_all(::fileno(fallback), text, "writing the report");
  }
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd.valid()) {
    return Error::from_errno(path);
  }
  return write_all(fd.get(), text, path);
}

int fail(std::string_view message) {
  fmt::print(stderr, "cowprobe: {}\n", message);
  return 1;
}

}  // namespace cowprobe::cli
