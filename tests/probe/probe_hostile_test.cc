// `ntlmh probe` against hostile or broken servers that `ntlmh serve` does not imitate (issue #6,
// review findings): a tiny HTTP/1.1 server of the test's own on 127.0.0.1 answers each request
// with what the test says. One thread per connection, every wait bounded, stopped by the test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/http_auth.h"
#include "engine/messages.h"
#include "tests/probe/probe_run.h"

namespace ntlmh::testing {
namespace {

// A valid CHALLENGE (the README's example): TargetName "Server", NetBIOS names, no timestamp.
constexpr char kChallenge[] =
    "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgAC"
    "AAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA=";

// What the fake answers: the whole raw response, or "" to drop the connection unanswered.
using Answer = std::function<std::string(const std::string& authorization)>;

std::string Http(int status, const std::string& headers, const std::string& body = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class FakeServer {
 public:
  explicit FakeServer(Answer answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    accept_ = std::thread([this] { AcceptLoop(); });
  }
  ~FakeServer() {
    stop_ = true;
    if (accept_.joinable()) {
      accept_.join();
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) {
      t.join();
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  bool ok() const { return port_ != 0; }

 private:
  void AcceptLoop() {
    // At most 200 connections: the probe makes about 60.
    for (int n = 0; n < 200 && !stop_;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        continue;
      }
      ++n;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }
  // Reads requests (Content-Length bodies) until EOF, 3 s idle, a drop, or stop.
  void Serve(int c) {
    std::string in;
    for (int idle = 0; !stop_ && idle < 60;) {
      const size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
          ++idle;
          continue;
        }
        char buf[4096];
        const ssize_t got = ::recv(c, buf, sizeof(buf), 0);
        if (got <= 0) {
          break;
        }
        in.append(buf, static_cast<size_t>(got));
        idle = 0;
        continue;
      }
      const std::string head = in.substr(0, end);
      size_t body = 0;
      std::string auth;
      size_t at = 0;
      while ((at = head.find("\r\n", at)) != std::string::npos) {
        at += 2;
        const size_t eol = head.find("\r\n", at);
        const std::string line = head.substr(at, eol == std::string::npos ? eol : eol - at);
        const size_t colon = line.find(':');
        if (colon == std::string::npos) {
          continue;
        }
        std::string name = line.substr(0, colon);
        for (char& ch : name) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        const std::string value = line.substr(line.find_first_not_of(' ', colon + 1));
        if (name == "content-length") {
          body = std::stoul(value);
        } else if (name == "authorization" || name == "proxy-authorization") {
          auth = value;
        }
      }
      if (in.size() < end + 4 + body) {
        pollfd p{c, POLLIN, 0};
        char buf[4096];
        const ssize_t got = ::poll(&p, 1, 3000) > 0 ? ::recv(c, buf, sizeof(buf), 0) : 0;
        if (got <= 0) {
          break;
        }
        in.append(buf, static_cast<size_t>(got));
        continue;
      }
      in.erase(0, end + 4 + body);
      const std::string out = answer_(auth);
      if (out.empty() || ::send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) {
        break;  // dropped unanswered
      }
    }
    ::close(c);
  }

  Answer answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

// The NTLM message in "NTLM <base64>", or empty.
ntlm::Bytes TokenOf(const std::string& authorization) {
  if (authorization.rfind("NTLM ", 0) != 0) {
    return {};
  }
  auto b = ntlm::http_auth::Base64Decode(authorization.substr(5));
  return b.ok() ? *b : ntlm::Bytes{};
}

std::string Offer() { return Http(401, "WWW-Authenticate: NTLM\r\n"); }

ProbeRun Probe(const std::string& url, const std::vector<std::string>& extra = {}) {
  return RunProbeJson(url, extra, "CORP\\alice", "Secret1!");
}

// Finding 3a: garbage base64 in the 401's NTLM token is a malformed CHALLENGE, named with its
// place, not "no CHALLENGE".
TEST(ProbeHostile, GarbageBase64IsChallengeWellFormedFail) {
  FakeServer server([](const std::string& auth) {
    return auth.empty() ? Offer() : Http(401, "WWW-Authenticate: NTLM TlRMT-_NUAAC\r\n");
  });
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url());
  EXPECT_EQ(run.exit_code, 1) << run.report.dump(1);
  EXPECT_EQ(run.failed, std::set<std::string>{"challenge.well_formed"});
  EXPECT_EQ(
      run.evidence.at("challenge.well_formed"),
      "the NTLM token of the 401 is not base64: " + ntlm::http_auth::Base64Decode("TlRMT-_NUAAC")
                                                        .error()
                                                        .Nested("WWW-Authenticate", 5)
                                                        .ToString());
  EXPECT_NE(run.evidence.at("challenge.well_formed").find(" at offset 10: "), std::string::npos)
      << run.evidence.at("challenge.well_formed");
  for (const char* id : {"negotiate.version_accepted", "challenge.target_info",
                         "auth.ntlmv2_accepted", "info.server"}) {
    EXPECT_EQ(run.results.at(id), "skip") << id;
    EXPECT_EQ(run.evidence.at(id).rfind("depends on challenge.well_formed, which failed: ", 0), 0u)
        << run.evidence.at(id);
  }
  EXPECT_EQ(run.evidence.at("auth.replay_rejected"), run.evidence.at("auth.ntlmv2_accepted"));
}

// Review finding 3: in proxy mode the broken token is the 407's, in Proxy-Authenticate.
TEST(ProbeHostile, GarbageTokenOfA407NamesThe407) {
  FakeServer server([](const std::string& auth) {
    return Http(407, auth.empty() ? "Proxy-Authenticate: NTLM\r\n"
                                  : "Proxy-Authenticate: NTLM TlRMT-_NUAAC\r\n");
  });
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url());
  EXPECT_EQ(run.exit_code, 1) << run.report.dump(1);
  EXPECT_EQ(run.failed, std::set<std::string>{"challenge.well_formed"});
  EXPECT_EQ(
      run.evidence.at("challenge.well_formed"),
      "the NTLM token of the 407 is not base64: " + ntlm::http_auth::Base64Decode("TlRMT-_NUAAC")
                                                        .error()
                                                        .Nested("Proxy-Authenticate", 5)
                                                        .ToString());
}

// Review finding 3: a header value with a control byte names the header and the offset.
TEST(ProbeHostile, ControlByteInAHeaderIsNamed) {
  const std::string answer =
      "HTTP/1.1 401 X\r\nWWW-Authenticate: NTLM\r\nX-Evil: a\x01" "b\r\nContent-Length: 0\r\n\r\n";
  FakeServer server([&answer](const std::string&) { return answer; });
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url());
  EXPECT_EQ(run.exit_code, 2) << run.report.dump(1);
  const std::string host_port = server.url().substr(7, server.url().size() - 8);
  EXPECT_EQ(run.evidence.at("http.offers_ntlm"),
            "no HTTP response: no response from " + host_port +
                ": bad value (byte 0x01 at offset 9 of the header line X-Evil)");
}

// Finding 3a: a token that is base64 but not a CHALLENGE (here, the client's own NEGOTIATE
// sent back) fails challenge.well_formed with the field and offset the engine names.
TEST(ProbeHostile, NonChallengeMessageIsChallengeWellFormedFail) {
  FakeServer server([](const std::string& auth) {
    if (auth.empty()) {
      return Offer();
    }
    return Http(401, "WWW-Authenticate: " + auth + "\r\n");  // echo the NEGOTIATE
  });
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url());
  EXPECT_EQ(run.exit_code, 1) << run.report.dump(1);
  EXPECT_EQ(run.failed, std::set<std::string>{"challenge.well_formed"});
  EXPECT_EQ(run.evidence.at("challenge.well_formed")
                .rfind("strict decode fails: MessageType at "
                       "offset 8: ",
                       0),
            0u)
      << run.evidence.at("challenge.well_formed");
  EXPECT_EQ(run.results.at("auth.ntlmv2_accepted"), "skip");
}

// Finding 3b: a 2xx in answer to the NEGOTIATE alone is an authentication bypass.
TEST(ProbeHostile, SuccessForTheNegotiateIsABypass) {
  FakeServer server(
      [](const std::string& auth) { return auth.empty() ? Offer() : Http(200, "", "welcome"); });
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url());
  EXPECT_EQ(run.exit_code, 1) << run.report.dump(1);
  EXPECT_FALSE(run.report.contains("error"));
  EXPECT_EQ(run.failed, std::set<std::string>{"auth.negotiate_alone_refused"});
  EXPECT_EQ(run.evidence.at("auth.negotiate_alone_refused"),
            "40-byte NEGOTIATE alone was answered HTTP 200 (7-byte body): access without "
            "authentication");
  EXPECT_EQ(run.report["checks"][9]["id"], "auth.negotiate_alone_refused");
  EXPECT_EQ(run.report["checks"][9]["advice"],
            "answer every NEGOTIATE with 401 and a CHALLENGE (3.2.5.1.1); grant access only after "
            "an AUTHENTICATE that verifies (3.2.5.1.2)");
  for (const char* id : {"negotiate.version_accepted", "challenge.well_formed",
                         "auth.ntlmv2_accepted", "policy.ntlmv1_refused"}) {
    EXPECT_EQ(run.results.at(id), "skip") << id;
    EXPECT_EQ(
        run.evidence.at(id).rfind("depends on auth.negotiate_alone_refused, which failed: ", 0), 0u)
        << run.evidence.at(id);
  }
}

// A server that accepts any well-formed login and refuses malformed messages with 400, or
// (|drop|) drops their connection unanswered; with |die|, a malformed AUTHENTICATE breaks it
// and every later login gets 500.
struct Robust {
  bool drop = false;
  bool die = false;
  std::shared_ptr<std::atomic<bool>> broken = std::make_shared<std::atomic<bool>>(false);

  std::string operator()(const std::string& auth) const {
    if (auth.empty()) {
      return Offer();
    }
    const ntlm::Bytes msg = TokenOf(auth);
    const auto strict = ntlm::DecodePolicy::Strict();
    if (ntlm::DecodeNegotiate(msg, strict).ok()) {
      return Http(401, std::string("WWW-Authenticate: NTLM ") + kChallenge + "\r\n");
    }
    if (ntlm::DecodeAuthenticate(msg, strict).ok()) {
      return *broken ? Http(500, "") : Http(200, "", "{}");
    }
    if (die && msg.size() > 8 && msg[8] == 3) {
      *broken = true;
    }
    return drop ? std::string() : Http(400, "");
  }
};

// Finding 5: a dropped connection on a malformed message is a warning; the server still serves.
TEST(ProbeHostile, DroppedConnectionOnMalformedIsWarn) {
  FakeServer server(Robust{true, false});
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url(), {"--robustness", "--checks", "robustness.*"});
  EXPECT_EQ(run.exit_code, 0) << run.report.dump(1);
  EXPECT_EQ(run.results.at("robustness.malformed_negotiate"), "warn");
  EXPECT_EQ(run.evidence.at("robustness.malformed_negotiate")
                .rfind("0 of 5 refused with 4xx; Signature not NTLMSSP: connection dropped, no "
                       "answer (",
                       0),
            0u)
      << run.evidence.at("robustness.malformed_negotiate");
  EXPECT_EQ(run.results.at("robustness.malformed_authenticate"), "warn");
  EXPECT_EQ(run.evidence.at("robustness.still_serving"), "a correct login afterwards: HTTP 200");
  EXPECT_EQ(run.results.at("robustness.still_serving"), "pass");
}

// Finding 5: a server that stops serving after a malformed message still fails still_serving.
TEST(ProbeHostile, StopsServingAfterMalformedFailsStillServing) {
  FakeServer server(Robust{false, true});
  ASSERT_TRUE(server.ok());
  const ProbeRun run = Probe(server.url(), {"--robustness", "--checks", "robustness.*"});
  EXPECT_EQ(run.exit_code, 1) << run.report.dump(1);
  EXPECT_EQ(run.failed, std::set<std::string>{"robustness.still_serving"});
  EXPECT_EQ(run.evidence.at("robustness.still_serving"), "a correct login afterwards: HTTP 500");
  EXPECT_EQ(run.evidence.at("robustness.malformed_authenticate"), "5 of 5 refused with 4xx");
}

}  // namespace
}  // namespace ntlmh::testing
