// cowprobe-workload's command line, testable without running a scenario.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "workloads.hpp"

namespace cowprobe::workload {

struct Options {
  std::string scenario;
  bool list = false;
  bool json = false;
  WorkloadOptions workload;
};

std::unique_ptr<CLI::App> make_app(Options& opts);
int run(const Options& opts);
int workload_main(int argc, char** argv);

}  // namespace cowprobe::workload
