// The daemon's socket and the CLI's client, talking over a real Unix
// socket in a temporary directory.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_options.hpp"
#include "daemon_protocol.hpp"
#include "server.hpp"
#include "temp_dir.hpp"
#include "version.hpp"

namespace cowprobe::daemon {
namespace {

using test::TempDir;

// Serves until the client thread is done: every request line is echoed
// back inside {"ok":true,"echo":...}; "stream" turns on broadcasts, "fail"
// is refused.
void serve(Server& server, const std::thread& client, const bool& done) {
  std::vector<pollfd> fds;
  while (!done) {
    fds.clear();
    server.add_poll_fds(fds);
    if (::poll(fds.data(), fds.size(), 50) <= 0) {
      continue;
    }
    for (const auto& line : server.handle(fds)) {
      if (line.text == R"({"cmd":"stream"})") {
        server.set_streaming(line.client);
        server.send(line.client, "{\"ok\":true}\n");
        server.broadcast("{\"type\":\"exit\"}\n");
        continue;
      }
      if (line.text == R"({"cmd":"fail"})") {
        server.send(line.client, error_response("nope"));
        continue;
      }
      server.send(line.client, nlohmann::json{{"ok", true}, {"echo", line.text}}.dump() + "\n");
    }
  }
  (void)client;
}

TEST(Server, RequestsAndRepliesAreLines) {
  TempDir dir;
  const auto path = dir.file("run/cowprobed.sock");
  auto server = Server::open({path, std::nullopt});
  ASSERT_TRUE(server) << server.error().what();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  bool done = false;
  std::string echoed;
  std::string streamed;
  std::thread client([&] {
    auto c = DaemonClient::connect(path);
    if (c) {
      auto reply = c->call({{"cmd", "status"}});
      echoed = reply ? (*reply)["echo"].get<std::string>() : reply.error().what();
      auto s = c->call({{"cmd", "stream"}});
      auto next = s ? c->read() : s.error();
      streamed = next ? next->dump() : next.error().what();
    }
    done = true;
  });
  serve(*server, client, done);
  client.join();
  EXPECT_EQ(echoed, R"({"cmd":"status"})");
  EXPECT_EQ(streamed, R"({"type":"exit"})");
}

TEST(Server, ErrorRepliesBecomeErrors) {
  TempDir dir;
  const auto path = dir.file("s");
  auto server = Server::open({path, std::nullopt});
  ASSERT_TRUE(server);
  bool done = false;
  std::string what;
  std::thread client([&] {
    auto c = DaemonClient::connect(path);
    if (c) {
      auto r = c->call({{"cmd", "fail"}});
      what = r ? "answered" : r.error().what();
    }
    done = true;
  });
  serve(*server, client, done);
  client.join();
  EXPECT_EQ(what, "cowprobed: nope");
}

TEST(Server, StaleSocketIsReplacedAndRemovedAtTheEnd) {
  TempDir dir;
  const auto path = dir.file("s");
  {
    // A socket file nobody listens on, as a crash leaves it.
    const UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  }
  {
    auto server = Server::open({path, std::nullopt});
    ASSERT_TRUE(server) << server.error().what();
    // A second daemon on the same path is refused while the first listens.
    auto second = Server::open({path, std::nullopt});
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().what().find("another cowprobed"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Server, RegularFileIsNotRemoved) {
  TempDir dir;
  const auto path = dir.file("s");
  test::write_file(path, "data");
  auto server = Server::open({path, std::nullopt});
  ASSERT_FALSE(server);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(Server, PeerCredentials) {
  ucred root{1, 0, 0};
  EXPECT_TRUE(peer_allowed(root, std::nullopt));
  ucred self{1, ::geteuid(), ::getegid()};
  EXPECT_TRUE(peer_allowed(self, std::nullopt));
  ASSERT_NE(::geteuid(), 4242U) << "uid 4242 is the stranger here";
  ucred other{1, 4242, 4242};
  EXPECT_FALSE(peer_allowed(other, std::nullopt));
  EXPECT_TRUE(peer_allowed(other, gid_t{4242}));
  EXPECT_FALSE(peer_allowed(other, gid_t{4243}));
}

// A status request to a server with group, sent by a child that became uid
// and gid 65534 (nobody) first: the first line it reads back, or what went
// wrong. The socket's mode is opened to everyone, so that the file lets
// nobody connect and the daemon's own check of the peer decides. Raw
// socket calls: the daemon may close on a refused peer before its request
// is sent (EPIPE), and the refusal is still there to read.
std::string ask_as_nobody(std::optional<gid_t> group) {
  TempDir dir;
  const auto path = dir.file("s");
  auto server = Server::open({path, group});
  if (!server) {
    return "open: " + server.error().what();
  }
  // mkdtemp made the directory 0700
  if (::chmod(std::filesystem::path(path).parent_path().c_str(), 0755) < 0 ||
      ::chmod(path.c_str(), 0666) < 0) {
    return "chmod failed";
  }
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) < 0) {
    return "pipe failed";
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string out;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const timeval timeout{5, 0};
    if (::setgroups(0, nullptr) < 0 || ::setresgid(65534, 65534, 65534) < 0 ||
        ::setresuid(65534, 65534, 65534) < 0) {
      out = "cannot become uid 65534";
    } else if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
               ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) {
      out = std::string("connect: ") + std::strerror(errno);
    } else {
      const std::string request = R"({"cmd":"status"})"
                                  "\n";
      (void)::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
      char c = 0;
      while (out.find('\n') == std::string::npos && ::recv(fd.get(), &c, 1, 0) == 1) {
        out += c;
      }
    }
    if (::write(pipe_fds[1], out.data(), out.size()) < 0) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  const UniqueFd from_child(pipe_fds[0]);
  std::string got;
  // until the child is done, 10 s at most
  for (int i = 0; i < 200 && pid > 0; ++i) {
    std::vector<pollfd> fds;
    server->add_poll_fds(fds);
    fds.push_back({from_child.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) {
      continue;
    }
    for (const auto& line : server->handle(fds)) {
      server->send(line.client, "{\"ok\":true}\n");
    }
    if ((fds.back().revents & (POLLIN | POLLHUP)) != 0) {
      std::array<char, 512> buf{};
      const ssize_t n = ::read(from_child.get(), buf.data(), buf.size());
      if (n <= 0) {
        break;
      }
      got.append(buf.data(), static_cast<std::size_t>(n));
    }
  }
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return got;
}

TEST(Server, RefusesAnUnprivilegedPeerOutsideTheGroup) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to become uid 65534";
  }
  const std::string refused = error_response("permission denied: root or the daemon's group only");
  EXPECT_EQ(ask_as_nobody(std::nullopt), refused);
  EXPECT_EQ(ask_as_nobody(gid_t{4243}), refused);
  // the same peer with the daemon's group its own: let in
  EXPECT_EQ(ask_as_nobody(gid_t{65534}), "{\"ok\":true}\n");
}

TEST(DaemonClient, NoDaemonIsENOENT) {
  TempDir dir;
  auto c = DaemonClient::connect(dir.file("none"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ENOENT);
}

TEST(DaemonOptions, Defaults) {
  DaemonOptions opts;
  auto app = make_app(opts);
  std::vector<std::string> args{"--track-all", "--rotate-size", "1M", "--index-size", "5"};
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app->parse(args);
  EXPECT_EQ(opts.journal, kDefaultJournal);
  EXPECT_EQ(opts.socket, kDefaultSocket);
  EXPECT_TRUE(opts.track_all);
  EXPECT_EQ(opts.rotate_size, 1024U * 1024U);
  EXPECT_EQ(opts.index_size, 5U);
}

TEST(DaemonOptions, Version) {
  DaemonOptions opts;
  auto app = make_app(opts);
  std::vector<std::string> args{"--version"};
  try {
    app->parse(args);
    FAIL() << "--version did not stop parsing";
  } catch (const CLI::CallForVersion& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cowprobed " + std::string(package_version()), 0), 0U)
        << e.what();
    EXPECT_EQ(e.get_exit_code(), 0);
  }
}

TEST(DaemonOptions, Group) {
  EXPECT_EQ(lookup_group("0"), gid_t{0});
  EXPECT_EQ(lookup_group("root"), gid_t{0});
  EXPECT_FALSE(lookup_group("no-such-group-here"));
}

}  // namespace
}  // namespace cowprobe::daemon
