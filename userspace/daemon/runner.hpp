// Work the daemon runs for a client in a forked child (a scenario suite of
// the check library), its output gathered from pipes in the main loop, so
// exit records keep flowing while it runs.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace cowprobe::daemon {

class Runner {
 public:
  static constexpr std::size_t kMaxOutput = std::size_t{64} * 1024 * 1024;

  // fork(); the child, with stdout and stderr on pipes, stdin /dev/null, no
  // other descriptor of the daemon's and its signals as at exec, exits with
  // what body returns.
  static Result<Runner> start(const std::function<int()>& body, std::uint64_t client);
  Runner(Runner&& other) noexcept;
  Runner& operator=(Runner&&) = delete;
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  // A run still going is killed (SIGKILL) and reaped.
  ~Runner();

  void add_poll_fds(std::vector<pollfd>& fds) const;
  void handle(const std::vector<pollfd>& fds);
  // waitpid(WNOHANG): after SIGCHLD.
  void reap();
  [[nodiscard]] bool done() const { return !out_.valid() && !err_.valid() && pid_ < 0; }

  [[nodiscard]] std::uint64_t client() const { return client_; }
  [[nodiscard]] int wait_status() const { return status_; }
  [[nodiscard]] const std::string& output() const { return output_; }
  [[nodiscard]] const std::string& errors() const { return errors_; }

 private:
  Runner(pid_t pid, UniqueFd out, UniqueFd err, std::uint64_t client)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)), client_(client) {}
  static void drain(UniqueFd& fd, std::string& into);

  pid_t pid_;
  UniqueFd out_;
  UniqueFd err_;
  std::uint64_t client_;
  int status_ = 0;
  std::string output_;
  std::string errors_;
};

}  // namespace cowprobe::daemon
