// The Unix socket clients talk to: accepting, checking who connects
// (SO_PEERCRED), and lines in and out without ever blocking the daemon.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace cowprobe::daemon {

struct ServerOptions {
  std::string path;
  std::optional<gid_t> group;  // socket root:group 0660; without, root only 0600
};

// Who may talk to the daemon: root, the daemon's own user, and members of
// group (primary or supplementary).
bool peer_allowed(const ucred& peer, std::optional<gid_t> group);

class Server {
 public:
  struct Line {
    std::uint64_t client;
    std::string text;  // without '\n'
  };

  // Creates the directory, removes a stale socket (one nobody answers on),
  // binds, listens, and sets owner and mode.
  static Result<Server> open(ServerOptions opts);
  Server(Server&&) = default;
  Server& operator=(Server&&) = delete;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Unlinks the socket.
  ~Server();

  // Adds the listening socket and every client to fds.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  // Accepts, reads and writes as poll said; returns complete request lines.
  std::vector<Line> handle(const std::vector<pollfd>& fds);

  // Queues text (whole lines) for a client; a client more than
  // kMaxBacklog behind is dropped.
  void send(std::uint64_t client, std::string_view text);
  // Every streaming client gets line.
  void broadcast(std::string_view line);
  void set_streaming(std::uint64_t client);
  [[nodiscard]] bool connected(std::uint64_t client) const { return clients_.contains(client); }
  [[nodiscard]] std::optional<ucred> peer(std::uint64_t client) const;

  [[nodiscard]] std::size_t clients() const { return clients_.size(); }
  [[nodiscard]] std::size_t streams() const;
  [[nodiscard]] const std::string& path() const { return opts_.path; }

  static constexpr std::size_t kMaxBacklog = std::size_t{32} * 1024 * 1024;

 private:
  struct Client {
    UniqueFd fd;
    ucred peer{};
    std::string in;
    std::string out;
    bool streaming = false;
  };

  Server(ServerOptions opts, UniqueFd fd) : opts_(std::move(opts)), fd_(std::move(fd)) {}
  void accept_all();
  // False when the client is gone.
  static bool read_from(std::uint64_t id, Client& c, std::vector<Line>& lines);
  static bool write_to(Client& c);

  ServerOptions opts_;
  UniqueFd fd_;
  std::map<std::uint64_t, Client> clients_;
  std::uint64_t next_id_ = 1;
};

}  // namespace cowprobe::daemon
