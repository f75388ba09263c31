#include "fork_bench.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "helpers.hpp"

namespace cowprobe::workload {

Result<double> fork_bench(std::size_t mib, unsigned iterations) {
  using scenario_kit::barrier;
  if (iterations == 0 || mib == 0) {
    return Error(EINVAL, "fork-bench", "--iterations and --mib must be positive");
  }
  const std::size_t size = mib * scenario_kit::kMiB;
  const std::unique_ptr<char, decltype(&std::free)> buf(
      static_cast<char*>(std::malloc(size)),  // NOLINT(cppcoreguidelines-no-malloc)
      &std::free);
  if (!buf) {
    return Error(ENOMEM, "malloc");
  }
  std::memset(buf.get(), 'A', size);
  barrier();
  std::vector<double> ms;
  ms.reserve(iterations);
  for (unsigned i = 0; i < iterations; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t c = scenario_kit::spawn([&] {
      std::memset(buf.get(), 'B', size);
      barrier();
      return 0;
    });
    if (c < 0) {
      return Error::from_errno("fork");
    }
    scenario_kit::reap(c);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  // The median: a host hiccup under one fork (TCG, a noisy machine) moves
  // a mean far more than it moves the middle sample.
  auto mid = ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2);
  std::nth_element(ms.begin(), mid, ms.end());
  return *mid;
}

}  // namespace cowprobe::workload
