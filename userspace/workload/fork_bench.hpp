// fork-bench: a benchmark, not a modelled scenario (no prediction to check).
#pragma once

#include <cstddef>

#include "result.hpp"

namespace cowprobe::workload {

// The median milliseconds of iterations forks of a process holding mib MiB,
// each child writing all of it before it exits (fork, copies, exit, waitpid).
Result<double> fork_bench(std::size_t mib, unsigned iterations);

}  // namespace cowprobe::workload
