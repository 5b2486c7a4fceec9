// The `ntlmh serve --log` record is truthful (issue #4, review of 2026-12-05): every AUTHENTICATE
// gets a line, also one with no CHALLENGE pending and a replay that a fault lets through; a MIC
// or a channel binding that was sent but never compared is "valid": null, not false; a refusal
// carries the engine's detail (field, offset, why); under the unbound-state fault a NEGOTIATE
// that takes the one server-wide slot logs the handshake it pushes out.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/http_auth.h"
#include "tests/mock_server_process.h"

namespace ntlmh::testing {
namespace {

using nlohmann::json;

constexpr char kUser[] = "CORP\\alice:Secret1!";

// A log file for one test, removed at the end.
class LogFile {
 public:
  LogFile() {
    char path[] = "/tmp/ntlmh-serve-log-XXXXXX";
    const int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    if (fd >= 0) {
      close(fd);
    }
    path_ = path;
  }
  ~LogFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::vector<json> Lines() const {
    std::vector<json> out;
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      out.push_back(json::parse(line));
    }
    return out;
  }

 private:
  std::string path_;
};

// NEGOTIATE on |conn|; the AUTHENTICATE that answers its CHALLENGE (empty on failure).
ntlm::Bytes FirstLeg(HttpConnection& conn, ntlm::ClientContext& client) {
  auto negotiate = client.Negotiate();
  EXPECT_TRUE(negotiate.ok());
  HttpResponse r = conn.Request("GET", "/", {"Authorization: NTLM " + B64(*negotiate)});
  EXPECT_EQ(r.status, 401);
  auto authenticate = client.Authenticate(TokenOf(r.Header("www-authenticate")));
  EXPECT_TRUE(authenticate.ok());
  return authenticate.ok() ? *authenticate : ntlm::Bytes{};
}

TEST(MockServerLog, AuthenticateWithoutChallengeIsLoggedOutOfOrder) {
  LogFile log;
  {
    ServerProcess server({"--user", kUser, "--log", log.path()});
    ASSERT_TRUE(server.ok()) << server.stderr_text();
    HttpConnection a(server.port());
    ntlm::ClientContext client(Alice());
    const ntlm::Bytes authenticate = FirstLeg(a, client);
    // The same AUTHENTICATE on another connection, which holds no CHALLENGE.
    HttpConnection b(server.port());
    HttpResponse r = b.Request("GET", "/", {"Authorization: NTLM " + B64(authenticate)});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.Header("x-ntlm-reject"), "out_of_order");
  }
  const std::vector<json> lines = log.Lines();
  ASSERT_EQ(lines.size(), 2u);  // b's refusal, then a's pending handshake abandoned at close
  EXPECT_EQ(lines[0]["outcome"], "rejected");
  EXPECT_EQ(lines[0]["reason"], "out_of_order");
  EXPECT_EQ(lines[0]["rule"], "MS-NLMP 3.2.5");
  EXPECT_EQ(lines[0]["error"], "an AUTHENTICATE with no CHALLENGE pending on this connection");
  EXPECT_EQ(lines[0]["scheme"], "NTLM");
  EXPECT_EQ(lines[1]["outcome"], "abandoned");
}

TEST(MockServerLog, ReplayLetThroughByTheFaultIsLogged) {
  LogFile log;
  {
    ServerProcess server({"--user", kUser, "--fault", "accept-replay", "--log", log.path()});
    ASSERT_TRUE(server.ok()) << server.stderr_text();
    HttpConnection a(server.port());
    ntlm::ClientContext client(Alice());
    const ntlm::Bytes authenticate = FirstLeg(a, client);
    ASSERT_EQ(a.Request("GET", "/", {"Authorization: NTLM " + B64(authenticate)}).status, 200);
    for (int i = 0; i < 2; ++i) {
      HttpConnection again(server.port());
      EXPECT_EQ(again.Request("GET", "/", {"Authorization: NTLM " + B64(authenticate)}).status,
                200);
    }
  }
  const std::vector<json> lines = log.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["outcome"], "accepted");
  EXPECT_FALSE(lines[0].contains("fault"));
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(lines[i]["outcome"], "accepted");
    EXPECT_EQ(lines[i]["fault"], "accept-replay");
    EXPECT_EQ(lines[i]["user"], "alice");
    EXPECT_EQ(lines[i]["domain"], "CORP");
    EXPECT_NE(lines[i]["connection"], lines[0]["connection"]);
  }
}

// A wrong password: the proof fails first, so the MIC is never computed; over plain HTTP a
// channel binding has nothing to be compared with, even on success.
TEST(MockServerLog, UncheckedMicAndBindingsAreNullNotFalse) {
  LogFile log;
  std::string echo;
  {
    ServerProcess server({"--user", kUser, "--log", log.path()});
    ASSERT_TRUE(server.ok()) << server.stderr_text();
    HttpConnection conn(server.port());
    ntlm::ClientContext wrong(Alice("wrong"));
    const ntlm::Bytes bad = FirstLeg(conn, wrong);
    HttpResponse r = conn.Request("GET", "/", {"Authorization: NTLM " + B64(bad)});
    EXPECT_EQ(r.status, 401);
    ntlm::ClientConfig bound = Alice();
    bound.channel_binding = ntlm::ChannelBindingMode::kHash;
    bound.channel_bindings_hash.fill(0x5a);
    ntlm::ClientContext client(bound);
    const ntlm::Bytes good = FirstLeg(conn, client);
    HttpResponse ok = conn.Request("GET", "/", {"Authorization: NTLM " + B64(good)});
    ASSERT_EQ(ok.status, 200);
    echo = ok.body;
  }
  const json e = json::parse(echo);
  EXPECT_EQ(e["channel_bindings"], (json{{"present", true}, {"valid", nullptr}}));
  EXPECT_EQ(e["mic"], (json{{"present", true}, {"valid", true}}));
  const std::vector<json> lines = log.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["reason"], "wrong_proof");
  EXPECT_EQ(lines[0]["mic"], (json{{"present", true}, {"valid", nullptr}}));
  EXPECT_EQ(lines[0]["channel_bindings"], (json{{"present", false}, {"valid", false}}));
  EXPECT_EQ(lines[0]["error"],
            "NtChallengeResponseFields at offset 20: the ntlmv2 response does not verify "
            "[MS-NLMP 3.2.5.1.2]");
  EXPECT_EQ(lines[1]["outcome"], "accepted");
  EXPECT_FALSE(lines[1].contains("error"));
  EXPECT_EQ(lines[1]["channel_bindings"], (json{{"present", true}, {"valid", nullptr}}));
}

TEST(MockServerLog, MalformedAuthenticateCarriesFieldAndOffset) {
  LogFile log;
  {
    ServerProcess server({"--user", kUser, "--log", log.path()});
    ASSERT_TRUE(server.ok()) << server.stderr_text();
    HttpConnection conn(server.port());
    ntlm::ClientContext client(Alice());
    ntlm::Bytes authenticate = FirstLeg(conn, client);
    ASSERT_GE(authenticate.size(), 64u);
    authenticate.resize(60);  // cut inside the fixed header
    HttpResponse r = conn.Request("GET", "/", {"Authorization: NTLM " + B64(authenticate)});
    EXPECT_EQ(r.status, 400);
  }
  const std::vector<json> lines = log.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "rejected");
  EXPECT_EQ(lines[0]["reason"], "malformed");
  EXPECT_EQ(lines[0]["error"],
            "AUTHENTICATE at offset 60: an AUTHENTICATE message needs at least 64 bytes, got 60 "
            "[MS-NLMP 2.2.1.3]");
}

TEST(MockServerLog, UnboundStateLogsTheHandshakeItPushesOut) {
  LogFile log;
  {
    ServerProcess server({"--user", kUser, "--fault", "unbound-state", "--log", log.path()});
    ASSERT_TRUE(server.ok()) << server.stderr_text();
    HttpConnection a(server.port());
    HttpConnection b(server.port());
    ntlm::ClientContext first(Alice());
    ntlm::ClientContext second(Alice());
    FirstLeg(a, first);
    FirstLeg(b, second);
  }
  // The first handshake, pushed out by the second; the second, still waiting at the stop.
  const std::vector<json> lines = log.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["outcome"], "abandoned");
  EXPECT_EQ(lines[0]["reason"], "superseded");
  EXPECT_EQ(lines[1]["outcome"], "abandoned");
  EXPECT_EQ(lines[1]["reason"], "server_stopped");
  EXPECT_EQ(lines[0]["connection"], 1);
  EXPECT_EQ(lines[1]["connection"], 2);
}

}  // namespace
}  // namespace ntlmh::testing
