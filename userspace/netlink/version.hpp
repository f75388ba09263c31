// What --version prints: the package's version and, when the module answers,
// the loaded module's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cowprobe {

// The userspace version: CMake's project VERSION, or the Debian package's
// when the build passes COWPROBE_PACKAGE_VERSION.
std::string_view package_version();

// "PROGRAM VERSION\nmodule: ..." with the module's version from STATUS when it
// is given, else why there is none.
std::string version_text(std::string_view program, const std::optional<std::string>& module,
                         std::string_view why_not);

// The same, asking the loaded module (if any) for its version.
std::string version_text(std::string_view program);

}  // namespace cowprobe
