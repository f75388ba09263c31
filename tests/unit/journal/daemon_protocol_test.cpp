// Requests to cowprobed: what parses, and what is refused with a reason.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "daemon_protocol.hpp"
#include "fd.hpp"
#include "history.hpp"
#include "temp_dir.hpp"

namespace cowprobe {
namespace {

// The scenario library as the daemon would ask it, reduced to one name.
bool known(std::string_view name) { return name == "child-writes"; }

std::string refusal(std::string_view line) {
  auto r = parse_request(line, known);
  EXPECT_FALSE(r) << line;
  return r ? std::string() : r.error().what();
}

TEST(ParseRequest, Status) {
  auto r = parse_request(R"({"cmd":"status"})", known);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(std::holds_alternative<StatusRequest>(*r));
}

TEST(ParseRequest, Stream) {
  auto r = parse_request(R"({"cmd":"stream","extra":1})", known);
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<StreamRequest>(*r));
}

TEST(ParseRequest, HistoryWithEveryFilter) {
  auto r = parse_request(
      R"({"cmd":"history","pid":42,"comm":"make","since_ns":1700000000000000000,"limit":5})",
      known);
  ASSERT_TRUE(r) << r.error().what();
  const auto& q = std::get<HistoryRequest>(*r).query;
  EXPECT_EQ(q.pid, 42U);
  EXPECT_EQ(q.comm, "make");
  EXPECT_EQ(q.since_ns, 1'700'000'000'000'000'000LL);
  EXPECT_EQ(q.limit, 5U);
}

TEST(ParseRequest, HistoryQueryRoundTrip) {
  HistoryQuery q;
  q.pid = 7;
  q.since_ns = -5;  // before 1970 is odd but valid
  auto r = parse_request(nlohmann::json(q).dump(), known);
  ASSERT_TRUE(r) << r.error().what();
  const auto& back = std::get<HistoryRequest>(*r).query;
  EXPECT_EQ(back.pid, 7U);
  EXPECT_EQ(back.since_ns, -5);
  EXPECT_FALSE(back.comm);
  EXPECT_FALSE(back.limit);
}

TEST(ParseRequest, Run) {
  auto r = parse_request(R"({"cmd":"run","scenarios":["child-writes"],"repeat":3})", known);
  ASSERT_TRUE(r) << r.error().what();
  const auto& run = std::get<RunRequest>(*r);
  EXPECT_EQ(run.scenarios, (std::vector<std::string>{"child-writes"}));
  EXPECT_EQ(run.repeat, 3);
}

TEST(ParseRequest, Refusals) {
  EXPECT_NE(refusal("not json").find("one JSON object"), std::string::npos);
  EXPECT_NE(refusal("[1]").find("one JSON object"), std::string::npos);
  EXPECT_NE(refusal(R"({"pid":1})").find("needs \"cmd\""), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"reboot"})").find("unknown command 'reboot'"), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"history","pid":-1})").find("\"pid\""), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"history","pid":"1"})").find("\"pid\""), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"history","pid":5000000000})").find("\"pid\""), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"history","comm":3})").find("\"comm\""), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"history","since_ns":"1h"})").find("since_ns"), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"run"})").find("scenarios"), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"run","scenarios":[]})").find("scenarios"), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"run","scenarios":["--list"]})").find("letters"), std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"run","scenarios":["no-such-scenario"]})").find("unknown scenario"),
            std::string::npos);
  EXPECT_NE(refusal(R"({"cmd":"run","scenarios":["child-writes"],"repeat":0})").find("repeat"),
            std::string::npos);
}

// A daemon that refuses a peer answers and closes before the request is
// sent: the client must report the answer, not the send's broken pipe.
TEST(DaemonClient, AnswerOfADaemonThatClosedBeforeTheRequestIsRead) {
  const test::TempDir dir;
  const auto path = dir.file("d.sock");
  const UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  auto client = DaemonClient::connect(path);
  ASSERT_TRUE(client) << client.error().what();
  {
    const UniqueFd peer(::accept(listener.get(), nullptr, nullptr));
    ASSERT_TRUE(peer.valid());
    const std::string_view answer = R"({"ok":false,"error":"root or the daemon's group only"})"
                                    "\n";
    ASSERT_EQ(::write(peer.get(), answer.data(), answer.size()),
              static_cast<ssize_t>(answer.size()));
  }
  auto reply = client->call({{"cmd", "status"}});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().what(), "cowprobed: root or the daemon's group only");
}

TEST(ErrorResponse, OneLine) {
  EXPECT_EQ(error_response("no \"such\" thing"), R"({"error":"no \"such\" thing","ok":false})"
                                                 "\n");
}

}  // namespace
}  // namespace cowprobe
