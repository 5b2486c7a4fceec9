// Fuzz target: the mock server's request handling (mock_server/auth_gate.h) fed raw bytes, in
// process, the way one TCP connection of `ntlmh serve` feeds it: Beast's HTTP/1.1 request
// parser with the server's limits (8 KiB of header, 1 MiB of body), then one AuthGate for the
// whole connection, request after request (keep-alive and pipelining), each reply serialised
// by SerializeReply as server.cc sends it.
//
// Input layout (a short input reads as zeros):
//   u8  options: bits 0-1 scheme (0 ntlm, 1 negotiate, 2 both, 3 ntlm), bit 2 proxy (407,
//       Proxy-Authorization), bit 3 auth per request, bit 4 the connection is HTTPS (the gate
//       holds a channel-binding hash; EPA accept), bit 5 strict decoding, bit 6 anonymous
//       allowed, bit 7 one fault (the next byte picks it from AllFaultNames())
//   [u8 fault index when bit 7]
//   the rest: the bytes a client sends on the connection, one request after another.
//
// Determinism: the server challenge is fixed (ServerConfig::fixed_challenge), so a CHALLENGE
// is a function of the input; only MsvAvTimestamp follows the clock, which no branch here
// depends on.
//
// Oracle (besides the sanitizers):
//   - every reply has a status the gate may give (200, 400, 401, 407) and its header names and
//     values hold no CR, LF or NUL (no response splitting from client bytes, RFC 9110 5.5);
//   - an offer (401/407 without a token) names the header the mode wants: WWW-Authenticate for a
//     server, Proxy-Authenticate for a proxy (RFC 9110 11.6.1, 11.7.1);
//   - no authentication bypass: unless a fault that accepts bad proofs or anonymous logins is on,
//     no request is answered 200. The one account's password is drawn from OpenSSL's CSPRNG
//     when the process starts and appears in no input, so no input can carry a valid proof;
//     a 200 can only come from a check the gate or the engine skipped;
//   - the gate says authenticated() exactly when it has answered 200 on this connection.
#include <openssl/rand.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/decode_policy.h"
#include "fuzz/fuzz_util.h"
#include "mock_server/auth_gate.h"
#include "mock_server/reply_wire.h"

namespace {

namespace http = boost::beast::http;
using ntlmh::mock::AuthGate;
using ntlmh::mock::Reply;
using ntlmh::mock::Request;
using ntlmh::mock::SchemeChoice;
using ntlmh::mock::Settings;

constexpr size_t kMaxHeaderBytes = 8 * 1024;     // ServerOptions::max_header_bytes
constexpr size_t kMaxBodyBytes = 1024 * 1024;    // ServerOptions::max_body_bytes
constexpr int kMaxRequestsPerInput = 16;

bool FaultLetsStrangersIn(const Settings& s) {
  for (const char* name : {"any-password", "accept-wrong-proof", "accept-unknown-user",
                           "accept-replay", "unbound-state", "lmv2-fallback"}) {
    auto f = ntlmh::mock::ParseFault(name);
    if (f.has_value() && s.Has(*f)) {
      return true;
    }
  }
  return false;
}

bool Clean(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::shared_ptr<Settings> MakeSettings(uint8_t options, std::optional<uint8_t> fault) {
  auto s = std::make_shared<Settings>();
  switch (options & 3) {
    case 1:
      s->scheme = SchemeChoice::kNegotiate;
      break;
    case 2:
      s->scheme = SchemeChoice::kBoth;
      break;
    default:
      s->scheme = SchemeChoice::kNtlm;
  }
  s->proxy = (options & 4) != 0;
  s->auth_per_request = (options & 8) != 0;
  if ((options & 32) != 0) {
    s->engine.policy.decode_policy = ntlm::DecodePolicy::Strict();
  }
  s->engine.policy.allow_anonymous = (options & 64) != 0;
  if ((options & 16) != 0) {
    s->engine.policy.epa = ntlm::EpaMode::kAccept;
  }
  s->engine.fixed_challenge = ntlm::Challenge8{0x4e, 0x54, 0x4c, 0x4d, 0x66, 0x75, 0x7a, 0x7a};
  // [MS-NLMP] 4.2.1's user name with a password no input can know (see the oracle above).
  static const std::string password = [] {
    unsigned char raw[24];
    FUZZ_CHECK(RAND_bytes(raw, sizeof(raw)) == 1, "RAND_bytes failed");
    return ntlm::ToHex(ntlm::ByteView(raw, sizeof(raw)));
  }();
  FUZZ_CHECK(s->engine.store.Add("Domain", "User", password).ok(), "adding the account failed");
  if (fault.has_value()) {
    const auto names = ntlmh::mock::AllFaultNames();
    if (!names.empty()) {
      auto f = ntlmh::mock::ParseFault(names[*fault % names.size()]);
      if (f.has_value()) {
        s->faults.insert(*f);
      }
    }
  }
  return s;
}

// What server.cc sends for |reply| (SerializeReply): the head ends with Content-Length, the
// body follows it whole.
void CheckSerialized(const Reply& reply, unsigned version, bool keep_alive) {
  const std::string out = SerializeReply(reply.status, version, reply, keep_alive);
  const std::string tail =
      "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
  FUZZ_CHECK(out.size() >= tail.size() && out.compare(out.size() - tail.size(), tail.size(),
                                                      tail) == 0,
             "a serialised reply does not end with its Content-Length and body");
  const std::string status_line = "HTTP/" + std::to_string(version / 10) + "." +
                                  std::to_string(version % 10) + " " +
                                  std::to_string(reply.status) + " ";
  FUZZ_CHECK(out.rfind(status_line, 0) == 0,
             "a serialised reply does not start with its status line");
}

void CheckReply(const Settings& s, const Reply& reply, const AuthGate& gate,
                bool* answered_200) {
  FUZZ_CHECK(reply.status == 200 || reply.status == 400 || reply.status == 401 ||
                 reply.status == 407,
             "unexpected status " + std::to_string(reply.status));
  for (const auto& [name, value] : reply.headers) {
    FUZZ_CHECK(!name.empty() && Clean(name) && Clean(value),
               "a reply header carries CR, LF or NUL: " + name);
  }
  if (reply.status == 401 || reply.status == 407) {
    FUZZ_CHECK((reply.status == 407) == s.proxy, "401/407 does not follow the proxy mode");
    const std::string want = s.proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
    bool offered = false;
    for (const auto& [name, value] : reply.headers) {
      offered = offered || name == want;
    }
    FUZZ_CHECK(offered, "a " + std::to_string(reply.status) + " without " + want);
  }
  if (reply.status == 200) {
    *answered_200 = true;
    auto fake = ntlmh::mock::ParseFault("malformed-200");
    if (fake.has_value() && s.Has(*fake)) {
      return;  // a 200 for a malformed token, on purpose: neither a login nor a bypass
    }
    FUZZ_CHECK(FaultLetsStrangersIn(s) || s.engine.policy.allow_anonymous,
               "200 without a fault or anonymous policy that allows it: authentication bypass");
    FUZZ_CHECK(s.auth_per_request || gate.authenticated(),
               "200 while the gate does not hold an identity");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t pos = 0;
  const uint8_t options = size > pos ? data[pos++] : 0;
  std::optional<uint8_t> fault;
  if ((options & 128) != 0) {
    fault = size > pos ? data[pos++] : 0;
  }
  auto settings = MakeSettings(options, fault);
  std::optional<ntlm::Key16> binding;
  if ((options & 16) != 0) {
    binding = ntlm::Key16{0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                          0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5};
  }
  AuthGate gate(settings, /*connection_id=*/1, binding);

  const std::string_view rest(reinterpret_cast<const char*>(data) + pos, size - pos);
  size_t fed = 0;
  bool answered_200 = false;
  for (int i = 0; i < kMaxRequestsPerInput && fed < rest.size(); ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(kMaxHeaderBytes));
    parser.body_limit(kMaxBodyBytes);
    parser.eager(true);
    boost::beast::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(rest.data() + fed, rest.size() - fed), ec);
    fed += used;
    if (ec == http::error::need_more) {
      parser.put_eof(ec);
    }
    if (ec || !parser.is_done()) {
      gate.Abandon("bad_http");  // server.cc answers 400/413/431 and closes
      break;
    }
    auto& req = parser.get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[http::field::content_type]);
    const auto auth_field =
        settings->proxy ? http::field::proxy_authorization : http::field::authorization;
    for (const auto& field : req) {
      if (field.name() == auth_field) {
        request.authorization.emplace_back(field.value());
      }
    }
    request.body = req.body();
    const Reply reply = gate.Handle(request);
    CheckReply(*settings, reply, gate, &answered_200);
    const bool keep_alive = req.keep_alive() && !reply.close;
    CheckSerialized(reply, req.version(), keep_alive);
    if (!keep_alive || used == 0) {
      break;
    }
  }
  if (!answered_200 && !settings->auth_per_request) {
    FUZZ_CHECK(!gate.authenticated(), "the gate holds an identity it never answered 200 for");
  }
  gate.Abandon("connection_closed");
  return 0;
}
