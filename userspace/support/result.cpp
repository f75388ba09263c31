#include "result.hpp"

#include <cerrno>
#include <cstring>

namespace cowprobe {

Error Error::from_errno(std::string context) { return {errno, std::move(context)}; }

std::string Error::what() const {
  std::string text = detail_.empty() ? std::string(std::strerror(code_)) : detail_;
  if (context_.empty()) {
    return text;
  }
  return context_ + ": " + text;
}

}  // namespace cowprobe
