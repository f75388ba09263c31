#include "version.hpp"

#include <fmt/format.h>

#include "client.hpp"

#ifndef COWPROBE_PACKAGE_VERSION
#error "COWPROBE_PACKAGE_VERSION must be defined by the build"
#endif

namespace cowprobe {

std::string_view package_version() { return COWPROBE_PACKAGE_VERSION; }

std::string version_text(std::string_view program, const std::optional<std::string>& module,
                         std::string_view why_not) {
  if (module) {
    return fmt::format("{} {}\nmodule: cowprobe {}", program, package_version(), *module);
  }
  return fmt::format("{} {}\nmodule: {}", program, package_version(), why_not);
}

std::string version_text(std::string_view program) {
  auto client = Client::open();
  if (!client) {
    return version_text(program, std::nullopt, client.error().what());
  }
  auto status = client->status();
  if (!status) {
    return version_text(program, std::nullopt, status.error().what());
  }
  return version_text(program, fmt::format("{} (genl {})", status->version, status->genl_version),
                      {});
}

}  // namespace cowprobe
