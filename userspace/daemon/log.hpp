// Messages on stderr, which systemd's journal keeps.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace cowprobe::daemon {

template <typename... Args>
void log(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "cowprobed: {}\n", fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

}  // namespace cowprobe::daemon
