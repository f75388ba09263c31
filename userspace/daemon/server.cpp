#include "server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "daemon_protocol.hpp"
#include "log.hpp"

namespace cowprobe::daemon {
namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error::message(ENAMETOOLONG, fmt::format("socket path too long: {}", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// A socket file nobody listens on is left over from a crash: remove it.
Result<void> remove_stale(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) < 0) {
    return {};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error::message(EEXIST, fmt::format("{} exists and is not a socket", path));
  }
  const UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.valid() &&
      ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    return Error::message(EADDRINUSE, fmt::format("another cowprobed listens on {}", path));
  }
  if (::unlink(path.c_str()) < 0) {
    return Error::from_errno(fmt::format("removing the stale socket {}", path));
  }
  return {};
}

bool in_group(uid_t uid, gid_t group) {
  std::array<char, 16384> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return false;
  }
  if (pw.pw_gid == group) {
    return true;
  }
  std::vector<gid_t> groups(64);
  int n = static_cast<int>(groups.size());
  if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<std::size_t>(n));
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
      return false;
    }
  }
  groups.resize(static_cast<std::size_t>(n));
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

}  // namespace

bool peer_allowed(const ucred& peer, std::optional<gid_t> group) {
  if (peer.uid == 0 || peer.uid == ::geteuid()) {
    return true;
  }
  return group && (peer.gid == *group || in_group(peer.uid, *group));
}

Result<Server> Server::open(ServerOptions opts) {
  auto addr = unix_address(opts.path);
  if (!addr) {
    return addr.error();
  }
  const auto parent = std::filesystem::path(opts.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Error(ec.value(), fmt::format("creating {}", parent.string()));
    }
  }
  if (auto r = remove_stale(opts.path, *addr); !r) {
    return r.error();
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return Error::from_errno("unix socket");
  }
  // Nobody may connect before owner and mode are set.
  const mode_t old_umask = ::umask(0177);
  const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  const int bind_errno = errno;
  ::umask(old_umask);
  if (bound < 0) {
    return Error(bind_errno, fmt::format("binding {}", opts.path));
  }
  Server server(std::move(opts), std::move(fd));
  const auto& path = server.opts_.path;
  if (server.opts_.group) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *server.opts_.group) < 0 ||
        ::chmod(path.c_str(), 0660) < 0) {
      return Error::from_errno(fmt::format("{}: setting group {}", path, *server.opts_.group));
    }
  }
  if (::listen(server.fd_.get(), 64) < 0) {
    return Error::from_errno(fmt::format("listening on {}", path));
  }
  return server;
}

Server::~Server() {
  if (fd_.valid()) {
    (void)::unlink(opts_.path.c_str());
  }
}

void Server::add_poll_fds(std::vector<pollfd>& fds) const {
  fds.push_back({fd_.get(), POLLIN, 0});
  for (const auto& [id, c] : clients_) {
    const auto events = static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT));
    fds.push_back({c.fd.get(), events, 0});
  }
}

void Server::accept_all() {
  for (;;) {
    UniqueFd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno != EAGAIN) {
        log("accept: {}", std::strerror(errno));
      }
      return;
    }
    ucred peer{};
    socklen_t len = sizeof(peer);
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 ||
        !peer_allowed(peer, opts_.group)) {
      const std::string msg = error_response("permission denied: root or the daemon's group only");
      (void)::send(fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      log("refused a client: uid {} gid {} pid {}", peer.uid, peer.gid, peer.pid);
      continue;
    }
    Client c;
    c.fd = std::move(fd);
    c.peer = peer;
    clients_.emplace(next_id_++, std::move(c));
  }
}

bool Server::read_from(std::uint64_t id, Client& c, std::vector<Line>& lines) {
  std::array<char, 16384> buf{};
  for (;;) {
    const ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      return false;
    }
    if (n == 0) {
      return false;
    }
    c.in.append(buf.data(), static_cast<std::size_t>(n));
    for (auto nl = c.in.find('\n'); nl != std::string::npos; nl = c.in.find('\n')) {
      lines.push_back({id, c.in.substr(0, nl)});
      c.in.erase(0, nl + 1);
    }
    if (c.in.size() > kMaxRequestLine) {
      const std::string msg = error_response("request line too long");
      (void)::send(c.fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      return false;
    }
  }
  return true;
}

bool Server::write_to(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  return true;
}

std::vector<Server::Line> Server::handle(const std::vector<pollfd>& fds) {
  std::vector<Line> lines;
  std::unordered_map<int, short> revents;
  for (const auto& p : fds) {
    revents[p.fd] = p.revents;
  }
  for (auto it = clients_.begin(); it != clients_.end();) {
    short ev = 0;
    if (const auto found = revents.find(it->second.fd.get()); found != revents.end()) {
      ev = found->second;
    }
    bool alive = true;
    if ((ev & (POLLIN | POLLHUP | POLLERR)) != 0) {
      alive = read_from(it->first, it->second, lines);
    }
    if (alive && (ev & POLLOUT) != 0) {
      alive = write_to(it->second);
    }
    it = alive ? std::next(it) : clients_.erase(it);
  }
  if ((revents[fd_.get()] & POLLIN) != 0) {
    accept_all();
  }
  return lines;
}

void Server::send(std::uint64_t client, std::string_view text) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    return;
  }
  Client& c = it->second;
  c.out.append(text);
  if (!write_to(c)) {
    clients_.erase(it);
    return;
  }
  if (c.out.size() > kMaxBacklog) {
    log("dropped client (pid {}): more than {} bytes behind", c.peer.pid, kMaxBacklog);
    clients_.erase(it);
  }
}

void Server::broadcast(std::string_view line) {
  std::vector<std::uint64_t> streams;
  for (const auto& [id, c] : clients_) {
    if (c.streaming) {
      streams.push_back(id);
    }
  }
  for (auto id : streams) {
    send(id, line);
  }
}

void Server::set_streaming(std::uint64_t client) {
  if (auto it = clients_.find(client); it != clients_.end()) {
    it->second.streaming = true;
  }
}

std::optional<ucred> Server::peer(std::uint64_t client) const {
  if (auto it = clients_.find(client); it != clients_.end()) {
    return it->second.peer;
  }
  return std::nullopt;
}

std::size_t Server::streams() const {
  return static_cast<std::size_t>(std::count_if(
      clients_.begin(), clients_.end(), [](const auto& kv) { return kv.second.streaming; }));
}

}  // namespace cowprobe::daemon
