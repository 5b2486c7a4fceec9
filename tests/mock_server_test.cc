// `ntlmh serve` (issue #4) driven by the engine's own client over plain sockets: success, wrong
// password, connection-bound state, keep-alive, body echo, policies, faults, the log, and a
// bounded hostile-client run. Every server listens on 127.0.0.1, on a port the kernel picks,
// and is stopped by the test (ServerProcess's destructor).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/http_auth.h"
#include "engine/spnego_ntlm.h"
#include "tests/mock_server_process.h"

namespace ntlmh::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kAlice = {"--user", "CORP\\alice:Secret1!"};

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One whole NTLM handshake on |conn|; returns the last response.
HttpResponse Handshake(HttpConnection& conn, const ntlm::ClientConfig& cfg,
                       const std::string& method = "GET", const std::string& body = "",
                       const std::vector<std::string>& extra = {}) {
  ntlm::ClientContext client(cfg);
  auto negotiate = client.Negotiate();
  EXPECT_TRUE(negotiate.ok());
  HttpResponse r1 =
      conn.Request(method, "/", With({"Authorization: NTLM " + B64(*negotiate)}, extra));
  EXPECT_EQ(r1.status, 401);
  auto authenticate = client.Authenticate(TokenOf(r1.Header("www-authenticate")));
  if (!authenticate.ok()) {
    ADD_FAILURE() << authenticate.error().ToString();
    return r1;
  }
  return conn.Request(method, "/", With({"Authorization: NTLM " + B64(*authenticate)}, extra),
                      body);
}

TEST(MockServer, OffersNtlmThenAuthenticatesOnOneConnection) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok()) << server.stderr_text();
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()));

  HttpConnection conn(server.port());
  HttpResponse offer = conn.Request("GET", "/anything");
  EXPECT_EQ(offer.status, 401);
  EXPECT_EQ(offer.Header("www-authenticate"), "NTLM");

  HttpResponse ok = Handshake(conn, Alice());
  ASSERT_EQ(ok.status, 200) << ok.Header("x-ntlm-reject");
  const json j = json::parse(ok.body);
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["domain"], "CORP");
  EXPECT_EQ(j["workstation"], "WS1");
  EXPECT_EQ(j["response_kind"], "ntlmv2");
  EXPECT_EQ(j["mic"]["present"], true);
  EXPECT_EQ(j["mic"]["valid"], true);
  EXPECT_EQ(j["channel_bindings"]["present"], false);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["body_length"], 0);
}

TEST(MockServer, WrongPasswordIs401WithReason) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse r = Handshake(conn, Alice("wrong"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("x-ntlm-reject"), "wrong_proof");
  EXPECT_EQ(r.Header("www-authenticate"), "NTLM");
  // The connection survives and a correct handshake on it succeeds.
  EXPECT_EQ(Handshake(conn, Alice()).status, 200);
}

TEST(MockServer, StateIsBoundToTheConnection) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());

  // The CHALLENGE from connection A does not count on connection B.
  ntlm::ClientContext client(Alice());
  HttpConnection a(server.port());
  HttpResponse r1 = a.Request("GET", "/", {"Authorization: NTLM " + B64(*client.Negotiate())});
  ASSERT_EQ(r1.status, 401);
  auto authenticate = client.Authenticate(TokenOf(r1.Header("www-authenticate")));
  ASSERT_TRUE(authenticate.ok());
  HttpConnection b(server.port());
  HttpResponse r2 = b.Request("GET", "/", {"Authorization: NTLM " + B64(*authenticate)});
  EXPECT_EQ(r2.status, 401);
  EXPECT_EQ(r2.Header("x-ntlm-reject"), "out_of_order");

  // An authenticated connection stays authenticated; another one is not.
  HttpConnection c(server.port());
  ASSERT_EQ(Handshake(c, Alice()).status, 200);
  for (int i = 0; i < 3; ++i) {
    HttpResponse again = c.Request("GET", "/again/" + std::to_string(i));
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(json::parse(again.body)["path"], "/again/" + std::to_string(i));
  }
  HttpConnection d(server.port());
  EXPECT_EQ(d.Request("GET", "/").status, 401);
}

TEST(MockServer, AuthPerRequestNeedsAHandshakeEachTime) {
  ServerProcess server(With(kAlice, {"--auth-per-request"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ASSERT_EQ(Handshake(conn, Alice()).status, 200);
  EXPECT_EQ(conn.Request("GET", "/").status, 401);
}

TEST(MockServer, PipelinedRequestsAreAnsweredInOrder) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ASSERT_EQ(Handshake(conn, Alice()).status, 200);
  std::string batch;
  for (int i = 0; i < 5; ++i) {
    batch += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(conn.SendRaw(batch));
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = conn.Read();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["path"], "/p" + std::to_string(i));
  }
}

// RFC 9110 9.3.2: the answer to a HEAD carries the head a GET would get and no body, so a
// request pipelined after it is read from the right place: before, and a 401 offer and an
// authenticated 200 alike.
TEST(MockServer, HeadAnswersCarryNoBody) {
  const std::string kHeadThenGet =
      "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n";
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ASSERT_TRUE(conn.SendRaw(kHeadThenGet));
  HttpResponse head = conn.Read(5000, /*head_request=*/true);
  EXPECT_EQ(head.status, 401);
  EXPECT_EQ(head.Header("content-length"), "24");
  EXPECT_EQ(head.body, "");
  HttpResponse get = conn.Read();
  EXPECT_EQ(get.status, 401);
  EXPECT_EQ(get.body, "authentication required\n");

  ASSERT_EQ(Handshake(conn, Alice()).status, 200);
  ASSERT_TRUE(conn.SendRaw(kHeadThenGet));
  head = conn.Read(5000, true);
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.Header("content-length"), "0");
  EXPECT_EQ(head.body, "");
  get = conn.Read();
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(json::parse(get.body)["path"], "/g");
}

TEST(MockServer, PostBodyIsEchoedWithItsSha256) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  const std::string body = "name=J%C3%BCrgen&city=Z%C3%BCrich&x=1";
  HttpResponse r = Handshake(conn, Alice(), "POST", body,
                             {"Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(r.status, 200);
  const json j = json::parse(r.body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["content_type"], "application/x-www-form-urlencoded");
  EXPECT_EQ(j["body_length"], body.size());
  // printf 'name=J%C3%BCrgen&city=Z%C3%BCrich&x=1' | sha256sum
  EXPECT_EQ(j["body_sha256"], "726651dfd72de3d76824ab78ba108d786485ec2c138a64f995b6c025abdaaeb6");
}

TEST(MockServer, MalformedTokensAre400WithTheField) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse bad64 = conn.Request("GET", "/", {"Authorization: NTLM TlRM!!!"});
  EXPECT_EQ(bad64.status, 400);
  EXPECT_NE(bad64.Header("x-ntlm-error").find("Authorization at offset"), std::string::npos)
      << bad64.Header("x-ntlm-error");

  // A NEGOTIATE cut short: the signature and type, then nothing.
  const ntlm::Bytes cut = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07};
  HttpResponse short_msg = conn.Request("GET", "/", {"Authorization: NTLM " + B64(cut)});
  EXPECT_EQ(short_msg.status, 400);
  EXPECT_NE(short_msg.Header("x-ntlm-error").find(" at offset "), std::string::npos);

  HttpResponse not_ntlm = conn.Request("GET", "/", {"Authorization: NTLM aGVsbG8="});
  EXPECT_EQ(not_ntlm.status, 400);
  // The connection still works.
  EXPECT_EQ(Handshake(conn, Alice()).status, 200);
}

TEST(MockServer, NegotiateWithSpnegoAndBothSchemes) {
  ServerProcess server(With(kAlice, {"--scheme", "both"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse offer = conn.Request("GET", "/");
  EXPECT_EQ(offer.status, 401);
  EXPECT_EQ(offer.Count("www-authenticate"), 2u);

  ntlm::SpnegoNtlmClient client(Alice());
  auto init = client.Initial();
  ASSERT_TRUE(init.ok());
  HttpResponse r1 = conn.Request("GET", "/", {"Authorization: Negotiate " + B64(*init)});
  ASSERT_EQ(r1.status, 401);
  auto resp = client.Respond(TokenOf(r1.Header("www-authenticate")));
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  HttpResponse r2 = conn.Request("GET", "/", {"Authorization: Negotiate " + B64(*resp)});
  ASSERT_EQ(r2.status, 200) << r2.Header("x-ntlm-reject");
  EXPECT_TRUE(client.Finish(TokenOf(r2.Header("www-authenticate"))).ok());
}

TEST(MockServer, ProxyModeUses407) {
  ServerProcess server(With(kAlice, {"--proxy"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse offer = conn.Request("GET", "http://example.test/");
  EXPECT_EQ(offer.status, 407);
  EXPECT_EQ(offer.Header("proxy-authenticate"), "NTLM");
  ntlm::ClientContext client(Alice());
  HttpResponse r1 = conn.Request("GET", "http://example.test/",
                                 {"Proxy-Authorization: NTLM " + B64(*client.Negotiate())});
  ASSERT_EQ(r1.status, 407);
  auto auth = client.Authenticate(TokenOf(r1.Header("proxy-authenticate")));
  ASSERT_TRUE(auth.ok());
  HttpResponse r2 =
      conn.Request("GET", "http://example.test/", {"Proxy-Authorization: NTLM " + B64(*auth)});
  EXPECT_EQ(r2.status, 200);
}

// --- CONNECT tunnels of --proxy (RFC 9110 9.3.6) ---------------------------------------------

// |method| |target| with a whole NTLM handshake at the proxy (the 407 with the CHALLENGE,
// then the AUTHENTICATE); the last answer.
HttpResponse ProxyHandshake(HttpConnection& conn, const std::string& method,
                            const std::string& target) {
  ntlm::ClientContext client(Alice());
  HttpResponse r1 =
      conn.Request(method, target, {"Proxy-Authorization: NTLM " + B64(*client.Negotiate())});
  EXPECT_EQ(r1.status, 407);
  EXPECT_EQ(r1.Header("proxy-authenticate").substr(0, 5), "NTLM ");
  auto auth = client.Authenticate(TokenOf(r1.Header("proxy-authenticate")));
  if (!auth.ok()) {
    ADD_FAILURE() << auth.error().ToString();
    return r1;
  }
  return conn.Request(method, target, {"Proxy-Authorization: NTLM " + B64(*auth)});
}

// A CONNECT authenticated like any request to the proxy (407, 407, then 200 Connection
// established), then bytes both ways: a plain HTTP request to another `ntlmh serve` through
// the tunnel gets that server's own 401.
TEST(MockServerTunnel, ConnectIsAuthenticatedThenRelaysBothWays) {
  ServerProcess origin(kAlice);
  ServerProcess proxy(With(kAlice, {"--proxy"}));
  ASSERT_TRUE(origin.ok() && proxy.ok());
  const std::string target = "127.0.0.1:" + std::to_string(origin.port());
  HttpConnection conn(proxy.port());
  HttpResponse offer = conn.Request("CONNECT", target);
  EXPECT_EQ(offer.status, 407);
  EXPECT_EQ(offer.Header("proxy-authenticate"), "NTLM");
  HttpResponse r2 = ProxyHandshake(conn, "CONNECT", target);
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.Count("content-length"), 0u);  // RFC 9110 9.3.6
  EXPECT_EQ(r2.Count("transfer-encoding"), 0u);
  EXPECT_EQ(r2.body, "");
  // Through the tunnel: the origin answers, with its own offer (WWW-Authenticate, 401).
  HttpResponse inner = conn.Request("GET", "/inside");
  EXPECT_EQ(inner.status, 401);
  EXPECT_EQ(inner.Header("www-authenticate"), "NTLM");
  EXPECT_EQ(inner.Count("proxy-authenticate"), 0u);
  // And a whole handshake with the origin over the same tunnel, with a body of many relay
  // buffers (16 KiB each way).
  const std::string body(300000, 'z');
  HttpResponse done = Handshake(conn, Alice(), "POST", body);
  ASSERT_EQ(done.status, 200);
  EXPECT_EQ(json::parse(done.body)["body_length"], body.size());
  EXPECT_EQ(json::parse(done.body)["path"], "/");
}

// The safety rule: loopback targets only. Anything else is 403 before any resolution or
// connection, with or without credentials; the connection stays usable.
TEST(MockServerTunnel, NonLoopbackTargetIs403WithoutAConnection) {
  ServerProcess proxy(With(kAlice, {"--proxy"}));
  ASSERT_TRUE(proxy.ok());
  const std::string why = "' is not; no connection was attempted\n";
  const std::string rule =
      "the mock proxy tunnels to loopback only (127.0.0.0/8, [::1], localhost): '";
  struct Case {
    std::string target;
    std::string host;
  };
  const Case cases[] = {{"example.com:443", "example.com"},
                        {"10.0.0.1:443", "10.0.0.1"},
                        {"169.254.169.254:80", "169.254.169.254"},
                        {"[2001:db8::1]:443", "2001:db8::1"},
                        {"[::ffff:127.0.0.1]:443", "::ffff:127.0.0.1"},
                        {"localhost.example:443", "localhost.example"}};
  HttpConnection conn(proxy.port());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    HttpResponse r = conn.Request("CONNECT", c.target);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body, rule + c.host + why);
  }
  // On a connection authenticated at the proxy (by a GET through it): still 403.
  ASSERT_EQ(ProxyHandshake(conn, "GET", "http://127.0.0.1/").status, 200);
  HttpResponse r2 = conn.Request("CONNECT", "example.com:443");
  EXPECT_EQ(r2.status, 403);
  EXPECT_EQ(r2.body, rule + "example.com" + why);
  EXPECT_TRUE(proxy.running());
}

TEST(MockServerTunnel, MalformedTargetsAre400NamingTheProblem) {
  ServerProcess proxy(With(kAlice, {"--proxy"}));
  ASSERT_TRUE(proxy.ok());
  struct Case {
    std::string target;
    std::string body;
  };
  const Case cases[] = {
      {"127.0.0.1",
       "CONNECT target '127.0.0.1' has no port: authority-form is host:port [RFC 9112 3.2.3]"},
      {"127.0.0.1:", "CONNECT target '127.0.0.1:' has an empty port at offset 10 [RFC 9112 3.2.3]"},
      {"127.0.0.1:0",
       "CONNECT target '127.0.0.1:0': the port at offset 10 is not a number in 1..65535 "
       "[RFC 3986 3.2.3]"},
      {"127.0.0.1:65536",
       "CONNECT target '127.0.0.1:65536': the port at offset 10 is not a number in 1..65535 "
       "[RFC 3986 3.2.3]"},
      {"127.0.0.1:8o",
       "CONNECT target '127.0.0.1:8o': the port at offset 10 is not a number in 1..65535 "
       "[RFC 3986 3.2.3]"},
      {":443", "CONNECT target ':443' has no host [RFC 9112 3.2.3]"},
      {"/index.html",
       "CONNECT target '/index.html' is not authority-form host:port (no path, no URL) "
       "[RFC 9112 3.2.3]"},
      {"http://127.0.0.1:80/",
       "CONNECT target 'http://127.0.0.1:80/' is not authority-form host:port (no path, no URL) "
       "[RFC 9112 3.2.3]"},
      {"u@127.0.0.1:80",
       "CONNECT target 'u@127.0.0.1:80': '@' at offset 1: authority-form has no userinfo "
       "[RFC 9112 3.2.3]"},
      {"::1:80",
       "CONNECT target '::1:80': ':' at offset 0: an IPv6 literal goes in brackets "
       "[RFC 3986 3.2.2]"},
      {"[::1:80",
       "CONNECT target '[::1:80': '[' at offset 0 is never closed by ']' [RFC 3986 3.2.2]"},
      {"[zz]:80", "CONNECT target '[zz]:80': 'zz' in brackets is not an IPv6 address "
                  "[RFC 3986 3.2.2]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    HttpConnection conn(proxy.port());
    HttpResponse r = conn.Request("CONNECT", c.target);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, c.body + "\n");
    EXPECT_TRUE(conn.PeerClosed());
  }
  EXPECT_TRUE(proxy.running());
}

// A target that refuses is a 502; an idle tunnel is closed after --idle-timeout; a tunnel
// holds one of --max-connections like any connection.
TEST(MockServerTunnel, RefusedTargetIdleTimeoutAndConnectionLimit) {
  ServerProcess origin(kAlice);
  ASSERT_TRUE(origin.ok());
  {
    ServerProcess proxy(With(kAlice, {"--proxy"}));
    ASSERT_TRUE(proxy.ok());
    HttpConnection conn(proxy.port());
    HttpResponse r = ProxyHandshake(conn, "CONNECT", "127.0.0.1:1");
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.body, "cannot connect to 127.0.0.1:1: Connection refused\n");
    EXPECT_TRUE(conn.PeerClosed());
  }
  // A proxy of its own for the limit, so that no connection of the case above still holds a
  // slot; an idle timeout long enough that no tunnel idles out before the third connects
  // (sanitizer builds are slow).
  ServerProcess open_proxy(With(kAlice, {"--proxy", "--idle-timeout", "3",
                                         "--max-connections", "2"}));
  ASSERT_TRUE(open_proxy.ok());
  const std::string target = "localhost:" + std::to_string(origin.port());
  HttpConnection first(open_proxy.port());
  HttpConnection second(open_proxy.port());
  EXPECT_EQ(ProxyHandshake(first, "CONNECT", target).status, 200);
  EXPECT_EQ(ProxyHandshake(second, "CONNECT", target).status, 200);
  HttpConnection third(open_proxy.port());  // over the limit of 2: closed at accept
  EXPECT_TRUE(third.PeerClosed(3000));
  // Idle for more than 3 s: both tunnels are closed by the proxy.
  EXPECT_TRUE(first.PeerClosed(8000));
  EXPECT_TRUE(second.PeerClosed(8000));
  EXPECT_TRUE(open_proxy.running());
}

TEST(MockServer, LmCompatibilityLevel) {
  ntlm::ClientConfig v1 = Alice();
  v1.response = ntlm::ResponseKind::kNtlmV1Ess;
  {
    ServerProcess server(kAlice);  // level 5
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    HttpResponse r = Handshake(conn, v1);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.Header("x-ntlm-reject"), "ntlmv1_refused");
  }
  {
    ServerProcess server(With(kAlice, {"--lm-compat", "2"}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    HttpResponse r = Handshake(conn, v1);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["response_kind"], "ntlmv1-ess");
  }
}

TEST(MockServer, RequireMicAndMinServerSec) {
  ntlm::ClientConfig no_mic = Alice();
  no_mic.send_mic = false;
  {
    ServerProcess server(With(kAlice, {"--require-mic"}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    EXPECT_EQ(Handshake(conn, no_mic).Header("x-ntlm-reject"), "mic_missing");
    EXPECT_EQ(Handshake(conn, Alice()).status, 200);
  }
  {
    ntlm::ClientConfig weak = Alice();
    weak.negotiate_flags &= ~ntlm::kNegotiate128;
    ServerProcess server(With(kAlice, {"--min-server-sec", "0x20080000"}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    EXPECT_EQ(Handshake(conn, weak).Header("x-ntlm-reject"), "session_security_too_weak");
  }
}

TEST(MockServer, FixedChallengeWarnsAndIsUsed) {
  ServerProcess server(With(kAlice, {"--challenge", "0123456789abcdef"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ntlm::ClientContext client(Alice());
  HttpResponse r1 = conn.Request("GET", "/", {"Authorization: NTLM " + B64(*client.Negotiate())});
  auto chal = ntlm::DecodeChallenge(TokenOf(r1.Header("www-authenticate")));
  ASSERT_TRUE(chal.ok());
  EXPECT_EQ(ntlm::ToHex(chal->server_challenge), "0123456789abcdef");
  EXPECT_NE(server.stderr_text().find("warning"), std::string::npos);
}

TEST(MockServer, NoTimestampNoVersion) {
  ServerProcess server(With(kAlice, {"--no-timestamp", "--no-version"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ntlm::ClientContext client(Alice());
  HttpResponse r1 = conn.Request("GET", "/", {"Authorization: NTLM " + B64(*client.Negotiate())});
  auto chal = ntlm::DecodeChallenge(TokenOf(r1.Header("www-authenticate")));
  ASSERT_TRUE(chal.ok());
  EXPECT_FALSE(chal->version.has_value());
  ASSERT_TRUE(chal->target_info.has_value());
  EXPECT_FALSE(chal->target_info->GetTimestamp().has_value());
}

TEST(MockServer, LogHasOneLinePerHandshakeAndNoSecrets) {
  char path[] = "/tmp/ntlmh-serve-log-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    ServerProcess server(With(kAlice, {"--log", path}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    EXPECT_EQ(Handshake(conn, Alice("wrong")).status, 401);
    EXPECT_EQ(Handshake(conn, Alice()).status, 200);
  }
  std::ifstream in(path);
  std::vector<json> lines;
  std::string line;
  std::string all;
  while (std::getline(in, line)) {
    all += line;
    lines.push_back(json::parse(line));
  }
  unlink(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["outcome"], "rejected");
  EXPECT_EQ(lines[0]["reason"], "wrong_proof");
  EXPECT_EQ(lines[1]["outcome"], "accepted");
  EXPECT_EQ(lines[1]["user"], "alice");
  EXPECT_EQ(lines[1]["scheme"], "NTLM");
  EXPECT_TRUE(lines[1].contains("flags_asked"));
  EXPECT_TRUE(lines[1].contains("negotiate_notes"));
  EXPECT_TRUE(lines[1].contains("authenticate_notes"));
  EXPECT_EQ(all.find("Secret1!"), std::string::npos);
  EXPECT_EQ(all.find("wrong\""), std::string::npos);
}

TEST(MockServer, UsersFileAndUnknownUser) {
  char path[] = "/tmp/ntlmh-serve-users-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "# accounts\nCORP:bob:Pa:ss\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  ServerProcess server({"--users", path});
  unlink(path);
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ntlm::ClientConfig bob;
  bob.user = "CORP\\bob";
  bob.secret.password = "Pa:ss";
  EXPECT_EQ(Handshake(conn, bob).status, 200);
  HttpConnection conn2(server.port());
  EXPECT_EQ(Handshake(conn2, Alice()).Header("x-ntlm-reject"), "unknown_user");
}

TEST(MockServer, UsageErrorsExit2) {
  ServerProcess bad_scheme({"--scheme", "basic"});
  EXPECT_FALSE(bad_scheme.ok());
  EXPECT_EQ(bad_scheme.Stop(), 2);
  ServerProcess bad_fault({"--fault", "nope"});
  EXPECT_FALSE(bad_fault.ok());
  EXPECT_EQ(bad_fault.Stop(), 2);
}

TEST(MockServer, ShutsDownCleanlyOnSigterm) {
  ServerProcess server(kAlice);
  ASSERT_TRUE(server.ok());
  HttpConnection idle(server.port());  // an open connection must not hold the shutdown
  EXPECT_EQ(server.Stop(), 0);
}

// ---- faults ----

HttpResponse FirstChallenge(HttpConnection& conn, const std::string& scheme = "NTLM") {
  ntlm::ClientContext client(Alice());
  return conn.Request("GET", "/", {"Authorization: " + scheme + " " + B64(*client.Negotiate())});
}

TEST(MockServerFault, CloseAfterChallenge) {
  ServerProcess server(With(kAlice, {"--fault", "close-after-challenge"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse r = FirstChallenge(conn);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(conn.PeerClosed());
}

TEST(MockServerFault, BareSecondLegAndCombinedHeader) {
  ServerProcess server(With(kAlice, {"--scheme", "both", "--fault", "bare-second-leg",
                                     "--fault", "combined-header"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  HttpResponse offer = conn.Request("GET", "/");
  EXPECT_EQ(offer.Count("www-authenticate"), 1u);
  EXPECT_EQ(offer.Header("www-authenticate"), "Negotiate, NTLM");
  EXPECT_EQ(FirstChallenge(conn).Header("www-authenticate"), "NTLM");
}

TEST(MockServerFault, ChallengeShapes) {
  struct Row {
    const char* fault;
    bool decodes_strictly;
  };
  for (const Row& row : {Row{"legacy-challenge", true}, Row{"empty-target-info", false},
                         Row{"huge-target-info", true}, Row{"offset-past-end", false}}) {
    SCOPED_TRACE(row.fault);
    ServerProcess server(With(kAlice, {"--fault", row.fault}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    const ntlm::Bytes token = TokenOf(FirstChallenge(conn).Header("www-authenticate"));
    auto chal = ntlm::DecodeChallenge(token);
    EXPECT_EQ(chal.ok(), row.decodes_strictly);
    if (std::string(row.fault) == "legacy-challenge") {
      ASSERT_TRUE(chal.ok());
      EXPECT_TRUE(chal->legacy_header);
      EXPECT_FALSE(chal->target_info.has_value());
    }
    if (std::string(row.fault) == "huge-target-info") {
      ASSERT_TRUE(chal.ok());
      EXPECT_GT(chal->target_info_field.len, 40000);
      // The engine's client refuses it (kMaxClientTargetInfo).
      ntlm::ClientContext client(Alice());
      (void)client.Negotiate();
      EXPECT_FALSE(client.Authenticate(token).ok());
    }
  }
}

TEST(MockServerFault, OemOnly) {
  ServerProcess server(With(kAlice, {"--fault", "oem-only"}));
  ASSERT_TRUE(server.ok());
  HttpConnection conn(server.port());
  auto chal = ntlm::DecodeChallenge(TokenOf(FirstChallenge(conn).Header("www-authenticate")));
  ASSERT_TRUE(chal.ok());
  EXPECT_EQ(chal->flags & ntlm::kNegotiateUnicode, 0u);
  EXPECT_NE(chal->flags & ntlm::kNegotiateOem, 0u);
}

TEST(MockServerFault, SameChallenge) {
  ServerProcess server(With(kAlice, {"--fault", "same-challenge"}));
  ASSERT_TRUE(server.ok());
  HttpConnection a(server.port());
  HttpConnection b(server.port());
  auto ca = ntlm::DecodeChallenge(TokenOf(FirstChallenge(a).Header("www-authenticate")));
  auto cb = ntlm::DecodeChallenge(TokenOf(FirstChallenge(b).Header("www-authenticate")));
  ASSERT_TRUE(ca.ok() && cb.ok());
  EXPECT_EQ(ca->server_challenge, cb->server_challenge);
  EXPECT_EQ(server.stderr_text().find("warning: --challenge"), std::string::npos);
}

TEST(MockServerFault, AnyPasswordAndSkipMic) {
  {
    ServerProcess server(With(kAlice, {"--fault", "any-password"}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    EXPECT_EQ(Handshake(conn, Alice("wrong")).status, 200);
  }
  {
    // A MIC under a wrong key: the client's flags say MIC, the key differs... simplest shape:
    // a client that announces a MIC but whose AUTHENTICATE is altered after signing.
    ServerProcess server(With(kAlice, {"--fault", "skip-mic"}));
    ASSERT_TRUE(server.ok());
    HttpConnection conn(server.port());
    ntlm::ClientContext client(Alice());
    HttpResponse r1 =
        conn.Request("GET", "/", {"Authorization: NTLM " + B64(*client.Negotiate())});
    auto auth = client.Authenticate(TokenOf(r1.Header("www-authenticate")));
    ASSERT_TRUE(auth.ok());
    ntlm::Bytes tampered = *auth;
    ASSERT_GT(tampered.size(), ntlm::kAuthenticateMicOffset + 16);
    tampered[ntlm::kAuthenticateMicOffset] ^= 0xff;  // break the MIC only
    HttpResponse r2 = conn.Request("GET", "/", {"Authorization: NTLM " + B64(tampered)});
    ASSERT_EQ(r2.status, 200) << r2.Header("x-ntlm-reject");
    EXPECT_EQ(json::parse(r2.body)["mic"]["valid"], false);
  }
}

// ---- hostile clients ----

TEST(MockServerHostile, SurvivesAndStillServes) {
  ServerProcess server(With(kAlice, {"--idle-timeout", "1", "--handshake-timeout", "1",
                                     "--max-connections", "300", "--max-body", "4096"}));
  ASSERT_TRUE(server.ok());
  const auto started = std::chrono::steady_clock::now();

  // Garbage tokens of many shapes.
  // (A control character in a header makes the request itself malformed: 400 and close, so
  // every token gets its own connection.)
  {
    const std::vector<std::string> tokens = {
        "", "=", "====", "TlRMTVNTUAA=", "TlRMTVNTUAADAAAA", "TlRMTVNTUAABAAAA//////////8=",
        std::string(6000, 'A'), "YIIBAAYGKwYBBQUCoA==", "oQMKAQE=", "\x01\x02\x7f"};
    for (const auto& t : tokens) {
      HttpConnection conn(server.port());
      for (const char* scheme : {"NTLM", "Negotiate", "Basic"}) {
        HttpResponse r = conn.Request("GET", "/", {std::string("Authorization: ") + scheme + " " + t});
        EXPECT_TRUE(r.status == 400 || r.status == 401) << scheme << " " << t << " " << r.status;
        if (r.status == 0 || r.Header("connection") == "close") {
          break;
        }
      }
    }
  }
  // Oversized header and body.
  {
    HttpConnection conn(server.port());
    HttpResponse r = conn.Request("GET", "/", {"X-Big: " + std::string(9000, 'a')});
    EXPECT_EQ(r.status, 431);
    HttpConnection conn2(server.port());
    HttpResponse r2 = conn2.Request("POST", "/", {}, std::string(5000, 'b'));
    EXPECT_EQ(r2.status, 413);
    HttpConnection conn3(server.port());
    HttpResponse r3 = conn3.Request("BAD REQUEST", "/");
    EXPECT_EQ(r3.status, 400);
  }
  // Truncated requests and a slow client: the server times them out (1 s).
  {
    HttpConnection truncated(server.port());
    ASSERT_TRUE(truncated.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"));
    HttpConnection slow(server.port());
    ASSERT_TRUE(slow.SendRaw("GET / HT"));
    HttpConnection half(server.port());
    ASSERT_TRUE(half.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n"));
    EXPECT_TRUE(truncated.PeerClosed(4000));
    EXPECT_TRUE(half.PeerClosed(4000));
    // Trickling one byte every 300 ms does not extend the 1 s budget of a request.
    bool closed = false;
    for (int i = 0; i < 15 && !closed; ++i) {
      closed = !slow.SendRaw("T");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    EXPECT_TRUE(closed || slow.PeerClosed(2000));
  }
  // Many connections at once, each asking once.
  {
    std::vector<std::unique_ptr<HttpConnection>> conns;
    for (int i = 0; i < 200; ++i) {
      conns.push_back(std::make_unique<HttpConnection>(server.port()));
      ASSERT_TRUE(conns.back()->connected());
      ASSERT_TRUE(conns.back()->Send("GET", "/"));
    }
    int answered = 0;
    for (auto& c : conns) {
      answered += c->Read(5000).status == 401 ? 1 : 0;
    }
    EXPECT_EQ(answered, 200);
  }
  // A handshake left hanging.
  {
    HttpConnection conn(server.port());
    EXPECT_EQ(FirstChallenge(conn).status, 401);
    EXPECT_TRUE(conn.PeerClosed(4000));
  }
  // Still serving normal clients.
  HttpConnection conn(server.port());
  EXPECT_EQ(Handshake(conn, Alice()).status, 200);
  EXPECT_TRUE(server.running());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(40));
}

TEST(MockServerHostile, ConnectionsOverTheLimitAreClosed) {
  ServerProcess server(With(kAlice, {"--max-connections", "5"}));
  ASSERT_TRUE(server.ok());
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(std::make_unique<HttpConnection>(server.port()));
    ASSERT_EQ(held.back()->Request("GET", "/").status, 401);
  }
  HttpConnection extra(server.port());
  EXPECT_TRUE(extra.PeerClosed(3000));
  held.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpConnection after(server.port());
  EXPECT_EQ(after.Request("GET", "/").status, 401);
}

}  // namespace
}  // namespace ntlmh::testing
