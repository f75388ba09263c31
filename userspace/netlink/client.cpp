#include "client.hpp"

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "message.hpp"

namespace cowprobe {
namespace {

// Errors of commands that change tracking (CAP_NET_ADMIN) or name a pid.
Error explain(const Error& e, std::string_view what, std::optional<pid_t> pid) {
  if (e.code() == EPERM) {
    return Error::message(EPERM,
                          "permission denied: changing cowprobe's tracking needs root "
                          "(CAP_NET_ADMIN); to let users watch their own processes, load "
                          "the module in lab mode: modprobe cowprobe unprivileged=1 (or "
                          "echo 1 > /sys/module/cowprobe/parameters/unprivileged)");
  }
  if (pid && (e.code() == ESRCH || e.code() == ENOENT)) {
    if (!e.detail().empty()) {
      return Error::message(e.code(), e.detail());
    }
    return Error::message(e.code(), fmt::format("no such process: {}", *pid));
  }
  return {e.code(),
          e.context().empty() ? std::string(what) : fmt::format("{}: {}", what, e.context()),
          e.detail()};
}

std::uint32_t as_u32(pid_t pid) { return static_cast<std::uint32_t>(pid); }

std::optional<std::uint32_t> as_u32(std::optional<pid_t> pid) {
  if (!pid) {
    return std::nullopt;
  }
  return as_u32(*pid);
}

}  // namespace

Result<Client> Client::open() {
  auto sock = NlSocket::open();
  if (!sock) {
    return sock.error();
  }
  auto family = resolve_family(*sock, COWPROBE_GENL_NAME);
  if (!family) {
    return family.error();
  }
  return Client(std::move(sock).value(), *family);
}

Result<Status> Client::status() {
  RequestBuffer buf;
  (void)build_status(buf, family_, sock_.next_seq());
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), "status", std::nullopt);
  }
  if (reply->empty()) {
    return Error(EBADMSG, "status", "the module sent no reply");
  }
  return parse_status(reply->front().header());
}

Result<void> Client::watch(pid_t pid, bool children, bool maps) {
  RequestBuffer buf;
  std::uint32_t flags = children ? static_cast<std::uint32_t>(COWPROBE_WATCH_F_CHILDREN) : 0U;
  if (maps) {
    flags |= static_cast<std::uint32_t>(COWPROBE_WATCH_F_MAPS);
  }
  (void)build_watch(buf, family_, sock_.next_seq(), as_u32(pid), flags);
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), fmt::format("watch {}", pid), pid);
  }
  return {};
}

Result<void> Client::unwatch(pid_t pid) {
  RequestBuffer buf;
  (void)build_unwatch(buf, family_, sock_.next_seq(), as_u32(pid));
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), fmt::format("unwatch {}", pid), pid);
  }
  return {};
}

Result<ProcRecord> Client::get(pid_t pid) {
  RequestBuffer buf;
  (void)build_get(buf, family_, sock_.next_seq(), as_u32(pid));
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), fmt::format("get {}", pid), pid);
  }
  if (reply->empty()) {
    return Error(EBADMSG, fmt::format("get {}", pid), "the module sent no record");
  }
  return parse_proc(reply->front().header());
}

Result<std::vector<ProcRecord>> Client::dump(std::optional<pid_t> root) {
  RequestBuffer buf;
  (void)build_dump(buf, family_, sock_.next_seq(), as_u32(root));
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), "dump", root);
  }
  std::vector<ProcRecord> records;
  records.reserve(reply->size());
  for (const auto& msg : *reply) {
    auto rec = parse_proc(msg.header());
    if (!rec) {
      return rec.error();
    }
    records.push_back(std::move(rec).value());
  }
  return unique_records(std::move(records));
}

Result<void> Client::reset(std::optional<pid_t> pid) {
  RequestBuffer buf;
  (void)build_reset(buf, family_, sock_.next_seq(), as_u32(pid));
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), "reset", pid);
  }
  return {};
}

Result<void> Client::region_add(pid_t pid, std::uintptr_t start, std::uintptr_t end,
                                std::string_view name) {
  if (name.size() >= COWPROBE_REGION_NAME_LEN) {
    return Error(EINVAL, "region_add",
                 fmt::format("region name \"{}\" is longer than {} bytes", name,
                             COWPROBE_REGION_NAME_LEN - 1));
  }
  RequestBuffer buf;
  (void)build_region_add(buf, family_, sock_.next_seq(), as_u32(pid), start, end, name);
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), fmt::format("region_add {}", pid), pid);
  }
  return {};
}

Result<void> Client::config(bool track_all) {
  RequestBuffer buf;
  (void)build_config(buf, family_, sock_.next_seq(), track_all);
  auto reply = sock_.transact(buf.bytes);
  if (!reply) {
    return explain(reply.error(), "config", std::nullopt);
  }
  return {};
}

WatchGuard::~WatchGuard() { (void)release(); }

Result<void> WatchGuard::release() {
  if (client_ == nullptr) {
    return {};
  }
  Client* client = std::exchange(client_, nullptr);
  return client->unwatch(pid_);
}

}  // namespace cowprobe
