// cowprobe-workload's command line, testable without running a scenario.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace cowprobe::workload {

struct Options {
  std::string scenario;
  bool list = false;
  bool json = false;
  std::size_t pages = 256;    // N: the basic scenarios' buffer
  std::size_t writes = 64;    // K or M: pages written
  unsigned iterations = 100;  // seed-fork-time, fork-bench
  std::size_t mib = 50;       // fork-bench buffer
};

std::unique_ptr<CLI::App> make_app(Options& opts);
int run(const Options& opts);
int workload_main(int argc, char** argv);

}  // namespace cowprobe::workload
