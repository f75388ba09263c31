// cowprobed's socket protocol: one JSON object per line each way.
//
//   {"cmd":"status"}
//     -> {"ok":true,"records":..,"gaps":..,"missed":..,"overflows":..,..}
//   {"cmd":"history","pid":P,"comm":"NAME","since_ns":T,"limit":N}
//     -> {"ok":true,"source":"index"|"journal","count":..,"entries":[..]}
//   {"cmd":"stream"}
//     -> {"ok":true,"stream":true}, then every journal line as it is written
//   {"cmd":"run","scenarios":["child-writes"],"repeat":1}
//     -> {"ok":true,"exit_status":0,"result":{.. cowprobe check --json ..}}
//   errors: {"ok":false,"error":"..."}
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "fd.hpp"
#include "history.hpp"
#include "result.hpp"

namespace cowprobe {

inline constexpr std::string_view kDefaultSocket = "/run/cowprobe/cowprobed.sock";
inline constexpr std::string_view kDefaultJournal = "/var/lib/cowprobe/exits.jsonl";
inline constexpr std::size_t kMaxRequestLine = std::size_t{64} * 1024;

struct StatusRequest {};
struct HistoryRequest {
  HistoryQuery query;
};
struct StreamRequest {};
struct RunRequest {
  std::vector<std::string> scenarios;  // names from the scenario library
  int repeat = 1;
};
using Request = std::variant<StatusRequest, HistoryRequest, StreamRequest, RunRequest>;

// Whether a scenario of that name exists (the daemon asks the scenario
// library; the protocol itself does not know it).
using ScenarioKnown = std::function<bool(std::string_view)>;

// One request line (without '\n'); EINVAL with a message for the client,
// also for a "run" naming a scenario known() does not know.
Result<Request> parse_request(std::string_view line, const ScenarioKnown& known);

// {"ok":false,"error":message} and '\n'.
std::string error_response(std::string_view message);

// A blocking connection to the daemon, for the CLI.
class DaemonClient {
 public:
  // ENOENT or ECONNREFUSED: no daemon listens there; EACCES: not allowed.
  static Result<DaemonClient> connect(const std::string& socket_path);

  // Sends request, reads one response line; {"ok":false} becomes an Error.
  Result<nlohmann::json> call(const nlohmann::json& request);
  Result<void> send(const nlohmann::json& request);
  // The next line from the daemon, parsed.
  Result<nlohmann::json> read();

 private:
  explicit DaemonClient(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
  std::string buffer_;
};

}  // namespace cowprobe
