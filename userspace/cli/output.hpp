// Where a report goes: the -o file, or a standard stream.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "result.hpp"

namespace cowprobe::cli {

// Writes text to path (created or truncated) or, with an empty path, to
// fallback.
Result<void> write_output(const std::string& path, std::string_view text, std::FILE* fallback);

// "cowprobe: message" on stderr; returns the exit status 1.
int fail(std::string_view message);

}  // namespace cowprobe::cli
