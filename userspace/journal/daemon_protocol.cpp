#include "daemon_protocol.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace cowprobe {
namespace {

Error bad(std::string message) { return Error::message(EINVAL, std::move(message)); }

template <typename T>
Result<std::optional<T>> optional_uint(const nlohmann::json& j, const char* key, T max) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return std::optional<T>();
  }
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
    return bad(fmt::format("\"{}\" must be a number from 0 to {}", key, max));
  }
  return std::optional<T>(it->get<T>());
}

bool valid_scenario_name(std::string_view name) {
  return !name.empty() && name.front() != '-' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

Result<Request> parse_history(const nlohmann::json& j) {
  HistoryRequest req;
  auto pid = optional_uint<std::uint32_t>(j, "pid", UINT32_MAX);
  if (!pid) {
    return pid.error();
  }
  req.query.pid = *pid;
  auto limit = optional_uint<std::size_t>(j, "limit", SIZE_MAX);
  if (!limit) {
    return limit.error();
  }
  req.query.limit = *limit;
  if (const auto it = j.find("comm"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      return bad("\"comm\" must be a string");
    }
    req.query.comm = it->get<std::string>();
  }
  if (const auto it = j.find("since_ns"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return bad("\"since_ns\" must be an integer (unix time in nanoseconds)");
    }
    req.query.since_ns = it->get<std::int64_t>();
  }
  return Request{std::move(req)};
}

Result<Request> parse_run(const nlohmann::json& j, const ScenarioKnown& known) {
  RunRequest req;
  const auto it = j.find("scenarios");
  if (it == j.end() || !it->is_array() || it->empty()) {
    return bad(R"("run" needs "scenarios": a list of scenario names (cowprobe check --list))");
  }
  for (const auto& s : *it) {
    if (!s.is_string() || !valid_scenario_name(s.get<std::string>())) {
      return bad("a scenario name must be a string of letters, digits, '-' and '_'");
    }
    const auto name = s.get<std::string>();
    if (!known(name)) {
      return bad(fmt::format("unknown scenario '{}' (see cowprobe check --list)", name));
    }
    req.scenarios.push_back(name);
  }
  if (const auto r = j.find("repeat"); r != j.end()) {
    if (!r->is_number_unsigned() || r->get<std::uint64_t>() < 1 || r->get<std::uint64_t>() > 1000) {
      return bad("\"repeat\" must be a number from 1 to 1000");
    }
    req.repeat = r->get<int>();
  }
  return Request{std::move(req)};
}

}  // namespace

Result<Request> parse_request(std::string_view line, const ScenarioKnown& known) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad("a request is one JSON object on one line");
  }
  const auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string()) {
    return bad("a request needs \"cmd\": status, history, stream or run");
  }
  const auto name = cmd->get<std::string>();
  if (name == "status") {
    return Request{StatusRequest{}};
  }
  if (name == "history") {
    return parse_history(j);
  }
  if (name == "stream") {
    return Request{StreamRequest{}};
  }
  if (name == "run") {
    return parse_run(j, known);
  }
  return bad(fmt::format("unknown command '{}': status, history, stream or run", name));
}

std::string error_response(std::string_view message) {
  return nlohmann::json{{"ok", false}, {"error", message}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

Result<DaemonClient> DaemonClient::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return Error::message(ENAMETOOLONG, fmt::format("socket path too long: {}", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Error::from_errno("unix socket");
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) {
    return Error::from_errno(socket_path);
  }
  return DaemonClient(std::move(fd));
}

Result<void> DaemonClient::send(const nlohmann::json& request) {
  const std::string line = request.dump() + "\n";
  std::string_view left = line;
  while (!left.empty()) {
    const ssize_t n = ::send(fd_.get(), left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno("sending to cowprobed");
    }
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<nlohmann::json> DaemonClient::read() {
  std::size_t nl = buffer_.find('\n');
  std::array<char, 65536> chunk{};
  while (nl == std::string::npos) {
    const ssize_t n = ::recv(fd_.get(), chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::from_errno("reading from cowprobed");
    }
    if (n == 0) {
      return Error::message(ECONNRESET, "cowprobed closed the connection");
    }
    const std::size_t old = buffer_.size();
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    nl = buffer_.find('\n', old);
  }
  auto j = nlohmann::json::parse(std::string_view(buffer_).substr(0, nl), nullptr, false);
  buffer_.erase(0, nl + 1);
  if (j.is_discarded()) {
    return Error::message(EBADMSG, "cowprobed sent a line that is not JSON");
  }
  return j;
}

Result<nlohmann::json> DaemonClient::call(const nlohmann::json& request) {
  // A daemon that refuses a client answers and closes at once, possibly
  // before the request is sent: the answer is still there to read.
  auto sent = send(request);
  if (!sent && sent.error().code() != EPIPE && sent.error().code() != ECONNRESET) {
    return sent.error();
  }
  auto reply = read();
  if (!reply) {
    return sent ? reply : Result<nlohmann::json>(sent.error());
  }
  if (!reply->is_object() || !reply->value("ok", false)) {
    std::string message = "cowprobed refused the request";
    if (reply->is_object() && reply->contains("error") && (*reply)["error"].is_string()) {
      message = "cowprobed: " + (*reply)["error"].get<std::string>();
    }
    return Error::message(EPROTO, message);
  }
  return reply;
}

}  // namespace cowprobe
