// Parses a cowprobe command line the way main() does, keeping what it printed.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"

namespace cowprobe::cli::test_support {

struct Parsed {
  std::optional<int> exit;  // set when parsing alone ended the program
  Options opts;
  std::string out;
  std::string err;
};

inline Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  auto app = make_app(p.opts);
  std::ostringstream out;
  std::ostringstream err;
  p.exit = parse_args(*app, p.opts, args, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

}  // namespace cowprobe::cli::test_support
