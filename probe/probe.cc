// The checks of `ntlmh probe` (probe.h, docs/probe.md). Order of a run:
//   1. http.offers_ntlm: without it nothing else can be probed (fatal, exit 2).
//   2. The two NEGOTIATE forms; the one the server answers becomes the probe's own form.
//   3. A baseline handshake (the report's diagram): its CHALLENGE feeds challenge.* and
//      info.server, its success is auth.ntlmv2_accepted. A "refused" means something only when
//      the same request done right is accepted, so the auth.* and policy.* checks are skipped
//      when the baseline fails, and the checks that must leave out the MIC are skipped when an
//      AUTHENTICATE without MIC is not accepted either.
//   4. The other checks, each on fresh connections; then, with --robustness, malformed
//      messages.
// One root cause, one failing check: a check that cannot mean anything because an earlier one
// failed (a 2xx to the NEGOTIATE, a CHALLENGE that does not decode, a connection closed after
// the CHALLENGE, a refused login) is skipped with "depends on ID, which failed: ...".
// Every connection and round trip goes through Open() and Send(), which hold --timeout and
// --max-time; once the limit is reached, every check not yet reported is skipped.
#include "probe/probe.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "engine/av_pairs.h"
#include "engine/bytes.h"
#include "engine/client.h"
#include "engine/compute.h"
#include "engine/credentials.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/lint.h"
#include "engine/messages.h"

namespace ntlmh::probe {
namespace {

using ntlm::Bytes;
using ntlm::ByteView;

// The checks, in the order they run and are reported.
const std::vector<CheckInfo> kCatalogue = {
    {"http.offers_ntlm", "RFC 7235 4.1; MS-NTHT 2.2",
     "a request without credentials is answered 401 with WWW-Authenticate: NTLM (or Negotiate)",
     false},
    {"negotiate.version_accepted", "MS-NLMP 2.2.1.1",
     "a 40-byte NEGOTIATE with the VERSION field is answered with a CHALLENGE", false},
    {"negotiate.minimal_accepted", "MS-NLMP 2.2.1.1",
     "the 32-byte NEGOTIATE without VERSION (valid, and what curl sends) is answered with a "
     "CHALLENGE",
     false},
    {"http.keepalive_after_challenge", "MS-NTHT 3.1.5.1.2; RFC 9112 9.3",
     "the 401 that carries the CHALLENGE keeps the connection open", false},
    {"challenge.well_formed", "MS-NLMP 2.2.1.2",
     "the CHALLENGE decodes by the letter of the spec, with no MUST-level deviation", false},
    {"challenge.flags_consistent", "MS-NLMP 2.2.2.5; 3.2.5.1.1",
     "exactly one of UNICODE and OEM; no key or session flag the client did not ask for", false},
    {"challenge.target_info", "MS-NLMP 2.2.2.1",
     "the target info holds MsvAvNbComputerName, MsvAvNbDomainName and MsvAvEOL", false},
    {"challenge.timestamp_present", "MS-NLMP 2.2.2.1; 3.1.5.1.2",
     "the target info holds MsvAvTimestamp, without which clients send no MIC", false},
    {"challenge.nonce_unique", "MS-NLMP 3.2.5.1.1",
     "no server challenge repeats over a series of handshakes", false},
    {"auth.negotiate_alone_refused", "MS-NLMP 3.2.5; 3.2.5.1.1",
     "a NEGOTIATE alone is answered with a CHALLENGE, never with success", false},
    {"auth.ntlmv2_accepted", "MS-NLMP 3.2.5.1.2; 3.3.2",
     "a correct NTLMv2 AUTHENTICATE with a MIC is accepted", false},
    {"auth.wrong_password_rejected", "MS-NLMP 3.2.5.1.2",
     "an NTLMv2 AUTHENTICATE computed with a wrong password is refused", false},
    {"auth.unknown_user_rejected", "MS-NLMP 3.2.5.1.2",
     "an AUTHENTICATE for a user that does not exist is refused", false},
    {"auth.replay_rejected", "MS-NLMP 3.2.5.1.1; 3.2.5.1.2",
     "an AUTHENTICATE accepted once is refused when sent again after a new CHALLENGE", false},
    {"auth.tampered_proof_rejected", "MS-NLMP 3.3.2; 3.2.5.1.2",
     "an NTLMv2 blob changed after NTProofStr was computed is refused, even with a correct "
     "LMv2",
     false},
    {"auth.mic_verified", "MS-NLMP 3.1.5.1.2; 3.2.5.1.2",
     "an AUTHENTICATE with a wrong MIC is refused", false},
    {"auth.mic_dropped_rejected", "MS-NLMP 3.2.5.1.2; 2.2.2.1",
     "an AUTHENTICATE whose MIC was removed while MsvAvFlags still announces it is refused", false},
    {"auth.connection_bound", "MS-NTHT 3.1.5.1.2; MS-NLMP 1.3.1.1",
     "an AUTHENTICATE sent on another connection than its CHALLENGE is refused", false},
    {"auth.timestamp_echo_checked", "MS-NLMP 3.3.2; 3.2.5.1.2",
     "an NTLMv2 blob whose MsvAvTimestamp differs from the CHALLENGE's is refused", false},
    {"auth.target_info_echo_checked", "MS-NLMP 3.3.2; 3.2.5.1.2",
     "an NTLMv2 blob missing a NetBIOS name pair the server sent is refused", false},
    {"auth.session_key_length_checked", "MS-NLMP 2.2.1.3; 3.2.5.1.2",
     "KEY_EXCH with a 64-byte EncryptedRandomSessionKey is refused", false},
    {"policy.ntlmv1_refused", "MS-NLMP 3.3.1; 3.2.5.1.2",
     "an NTLMv1 response is refused (LmCompatibilityLevel 5)", false},
    {"policy.lm_refused", "MS-NLMP 3.3.1; 3.2.5.1.2",
     "an LM-only response is refused (LmCompatibilityLevel 4 or 5)", false},
    {"policy.anonymous_refused", "MS-NLMP 3.2.5.1.2", "an anonymous AUTHENTICATE is refused",
     false},
    {"policy.epa_enforced", "MS-NLMP 3.2.5.1.2; RFC 5929 4",
     "over HTTPS, an AUTHENTICATE with wrong channel bindings is refused", false},
    {"http.body_resent", "RFC 9110 9.3.3; MS-NTHT 3.1.5.1.2",
     "a POST with an x-www-form-urlencoded body succeeds after the handshake", false},
    {"info.server", "MS-NLMP 2.2.2.1; 2.2.2.10",
     "what the CHALLENGE says about the server: names, Windows version, clock", false},
    {"robustness.malformed_negotiate", "MS-NLMP 2.2.1.1",
     "malformed NEGOTIATE messages are refused with 4xx", true},
    {"robustness.malformed_authenticate", "MS-NLMP 2.2.1.3",
     "malformed AUTHENTICATE messages are refused with 4xx", true},
    {"robustness.still_serving", "MS-NLMP 3.2.5",
     "after the malformed messages the server still completes a handshake", true},
};

constexpr char kProbeWorkstation[] = "NTLMH-PROBE";
constexpr char kUnknownUser[] = "ntlmh-probe-no-such-user";
constexpr char kFormBody[] = "probe=ntlmh&check=http.body_resent&text=a+b%26c";
constexpr char kFormType[] = "application/x-www-form-urlencoded";
constexpr size_t kNegotiateWithVersionSize = 40;  // 2.2.1.1 with the VERSION field
constexpr uint64_t kOneSecond = 10000000;         // FILETIME ticks
constexpr uint64_t kFileTimeUnixEpoch = 116444736000000000ull;
// Flags a CHALLENGE must not carry unless the NEGOTIATE asked for them (2.2.2.5: the server
// returns SIGN, SEAL, 56, 128, KEY_EXCH, ESS, LM_KEY, DATAGRAM, IDENTIFY only when requested).
constexpr uint32_t kRequestOnlyFlags =
    ntlm::kNegotiateSign | ntlm::kNegotiateSeal | ntlm::kNegotiateDatagram | ntlm::kNegotiateLmKey |
    ntlm::kNegotiateExtendedSessionSecurity | ntlm::kNegotiateIdentify | ntlm::kNegotiate128 |
    ntlm::kNegotiateKeyExch | ntlm::kNegotiate56;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Text from the wire, made safe for any report: control, DEL and non-ASCII bytes are escaped
// (\xNN),
// so a hostile server cannot drive a terminal or smuggle markup past a careless reader.
std::string Safe(std::string_view text, size_t max_len = 200) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max_len; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (i < text.size()) {
    out += "...";
  }
  return out;
}

std::string FileTimeUtc(uint64_t ft) {
  if (ft < kFileTimeUnixEpoch) {
    return "before 1970 (FILETIME " + std::to_string(ft) + ")";
  }
  const std::time_t t = static_cast<std::time_t>((ft - kFileTimeUnixEpoch) / kOneSecond);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    return "FILETIME " + std::to_string(ft);
  }
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

uint64_t NowFileTime() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ticks =
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100;
  return kFileTimeUnixEpoch + static_cast<uint64_t>(ticks);
}

bool Accepted(int status) { return status >= 200 && status < 400; }
bool Refused(int status) { return status >= 400 && status < 500; }

// What the probe saw of one handshake. The AUTHENTICATE bytes stay in memory for the replay
// check only; they are never written to a report.
struct Handshake {
  // kBadChallenge: the 401 carries a token of our scheme that is not a CHALLENGE (bad base64,
  // or bytes that do not decode even leniently). kClosed: the connection that carried the
  // CHALLENGE was closed before the AUTHENTICATE on it was answered.
  enum class Stage : uint8_t {
    kTransport,
    kNoChallenge,
    kBadChallenge,
    kClosed,
    kClientError,
    kEditError,
    kSent
  };
  Stage stage = Stage::kTransport;
  std::string error;  // transport, client, token or edit error, readable
  int negotiate_status = 0;
  std::string negotiate_reject;  // X-NTLM-Reject / X-NTLM-Error of the NEGOTIATE leg
  Bytes challenge;               // as received
  std::optional<ntlm::ChallengeMessage> challenge_msg;  // lenient decode
  bool open_after_challenge = false;
  bool close_announced = false;  // the CHALLENGE came with Connection: close
  int status = 0;      // of the AUTHENTICATE leg
  std::string reject;  // X-NTLM-Reject, when the server names its reason
  std::string body;
  Bytes authenticate;
  uint32_t negotiated_flags = 0;
  bool mic_sent = false;
  std::unique_ptr<http::Connection> conn;  // the connection that got the CHALLENGE, still open

  bool sent() const { return stage == Stage::kSent; }
  bool accepted() const { return sent() && Accepted(status); }
  bool refused() const { return sent() && Refused(status); }
};

struct HandshakeSpec {
  ntlm::ClientConfig config;
  std::function<void(ntlm::ChallengeMessage*)> edit_challenge;  // what the client is shown
  std::function<ntlm::Status(Bytes*)> edit_authenticate;        // after the client built it
  std::optional<Bytes> replay;  // send these bytes instead of the client's AUTHENTICATE
  bool authenticate_on_new_connection = false;
  std::string method = "GET";
  std::string body;
  std::string content_type;
  bool trace = false;
};

class Prober {
 public:
  explicit Prober(const ProbeOptions& o) : o_(o) {
    const ntlm::UserName name = ntlm::SplitUserName(o.user);
    user_ = name.user;
    domain_ = name.domain;
  }

  Report Run();

 private:
  // --- transport ---------------------------------------------------------------------------
  void Progress(const std::string& line) {
    if (o_.progress) {
      o_.progress(line);
    }
  }
  // --- the time limits: every connection and round trip goes through Open() and Send() ---
  bool Expired() const {
    return o_.max_time.count() > 0 && std::chrono::steady_clock::now() >= start_ + o_.max_time;
  }
  // The time one operation may take: --timeout, or less when --max-time comes sooner.
  std::chrono::milliseconds Budget() const {
    std::chrono::milliseconds b = o_.timeout.count() > 0 ? o_.timeout : std::chrono::hours(1);
    if (o_.max_time.count() > 0) {
      // Rounded up, and a little more, so that an operation cut by the limit ends after it and
      // Expired() tells the two timeouts apart.
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                            start_ + o_.max_time - std::chrono::steady_clock::now()) +
                        std::chrono::milliseconds(5);
      b = std::min(b, left);
    }
    return std::max(b, std::chrono::milliseconds(1));
  }
  std::string LimitText() const {
    return "the probe's time limit (--max-time " + Seconds(o_.max_time) + ") was reached";
  }
  // The time limit stops the run: from here on every operation fails at once and every check
  // still to be reported is skipped (Add).
  ntlm::Error Cut() {
    if (!cut_) {
      cut_ = true;
      Progress(LimitText() + ": the checks not done yet are skipped");
    }
    return ntlm::MakeError(ntlm::ErrorCode::kPolicyViolation, "", "connection", 0, LimitText());
  }
  ntlm::Result<std::unique_ptr<http::Connection>> Open() {
    if (!o_.open) {
      return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "", "connection", 0,
                             "no way to open a connection");
    }
    if (cut_ || Expired()) {
      return Cut();
    }
    auto conn = o_.open(Budget());
    if (!conn.ok() && Expired()) {
      return Cut();
    }
    return conn;
  }
  ntlm::Result<http::Response> Send(http::Connection& conn, const http::Request& request) {
    if (cut_ || Expired()) {
      return Cut();
    }
    conn.SetIoTimeout(Budget());
    auto resp = conn.RoundTrip(request);
    if (!resp.ok() && Expired()) {
      return Cut();
    }
    return resp;
  }
  static std::string Seconds(std::chrono::milliseconds ms) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
  }

  std::string Scheme() const { return o_.negotiate ? "Negotiate" : "NTLM"; }
  // A proxy (407) is probed through Proxy-Authorization and Proxy-Authenticate (RFC 9110
  // 11.7.1, 11.7.2; MS-NTHT uses the same exchange).
  std::string AuthHeaderName() const { return proxy_ ? "Proxy-Authorization" : "Authorization"; }
  std::string ChallengeHeaderName() const {
    return proxy_ ? "Proxy-Authenticate" : "WWW-Authenticate";
  }

  http::Request MakeRequest(const std::optional<Bytes>& token, const std::string& method = "GET",
                            const std::string& body = "", const std::string& type = "") const {
    http::Request r;
    r.method = method;
    r.target = o_.url.target.empty() ? "/" : o_.url.target;
    r.headers.push_back({"User-Agent", "ntlmh-probe"});
    if (token.has_value()) {
      r.headers.push_back(
          {AuthHeaderName(), Scheme() + " " + ntlm::http_auth::Base64Encode(*token)});
    }
    if (!type.empty()) {
      r.headers.push_back({"Content-Type", type});
    }
    r.body = body;
    return r;
  }

  // The token of our scheme in the response's WWW-Authenticate (Proxy-Authenticate) lines.
  struct Token {
    Bytes bytes;
    std::string error;  // non-empty: present but not base64, "<header> at offset <n>: ..."
  };
  // Nullopt when no line carries a token of our scheme.
  std::optional<Token> ServerToken(const http::Response& resp) const {
    std::optional<Token> bad;
    const std::vector<std::string> values = resp.Values(ChallengeHeaderName());
    for (size_t line = 0; line < values.size(); ++line) {
      const std::string header =
          ChallengeHeaderName() + (values.size() > 1 ? "[" + std::to_string(line) + "]" : "");
      auto parsed = ntlm::http_auth::ParseChallenges(values[line]);
      if (!parsed.ok()) {
        // "NTLM <something that is not token68>": our scheme's token, broken.
        const std::string_view v = values[line];
        if (!bad.has_value() && v.size() > Scheme().size() &&
            ntlm::http_auth::EqualsIgnoreCase(v.substr(0, Scheme().size()), Scheme()) &&
            v[Scheme().size()] == ' ') {
          bad = Token{{}, Safe(parsed.error().Nested(header, 0).ToString(), 300)};
        }
        continue;
      }
      for (const auto& c : *parsed) {
        if (!c.SchemeIs(Scheme()) || c.token68.empty()) {
          continue;
        }
        auto decoded = ntlm::http_auth::Base64Decode(c.token68);
        if (decoded.ok()) {
          return Token{*decoded, ""};
        }
        if (!bad.has_value()) {
          // The offset counts bytes of the header value, as `ntlmh decode` counts them.
          const ntlm::Error e = decoded.error().Nested(header, c.token68_offset);
          bad = Token{{}, Safe(e.ToString(), 300)};
        }
      }
    }
    return bad;
  }

  static std::string RejectOf(const http::Response& resp) {
    std::string out;
    for (const char* name : {"X-NTLM-Reject", "X-NTLM-Error"}) {
      const auto values = resp.Values(name);
      if (!values.empty() && out.empty()) {
        out = std::string(name) + ": " + Safe(values.front(), 160);
      }
    }
    return out;
  }

  static std::string StatusText(int status, const std::string& reject) {
    std::string s = "HTTP " + std::to_string(status);
    if (!reject.empty()) {
      s += " (" + reject + ")";
    }
    return s;
  }
  // "the 401" that carries the CHALLENGE, "the 407" when the target is a proxy.
  std::string ChallengeStatus() const { return proxy_ ? "the 407" : "the 401"; }
  // The status that refuses or challenges: 401, or 407 from a proxy (RFC 9110 15.5.2, 15.5.8).
  std::string RefusalStatus() const { return proxy_ ? "407" : "401"; }
  std::string StatusText(const Handshake& h) const {
    switch (h.stage) {
      case Handshake::Stage::kTransport:
        return "transport error: " + h.error;
      case Handshake::Stage::kNoChallenge:
        return "no CHALLENGE: " + (h.negotiate_status != 0
                                       ? StatusText(h.negotiate_status, h.negotiate_reject)
                                       : h.error);
      case Handshake::Stage::kBadChallenge:
        return "the token in answer to the NEGOTIATE is not a CHALLENGE: " + h.error;
      case Handshake::Stage::kClosed:
        return h.close_announced
                   ? ChallengeStatus() + " with the CHALLENGE closed the connection " +
                         "(Connection: close)"
                   : "the server closed the connection after the CHALLENGE without announcing "
                     "it (no Connection: close): " +
                         h.error;
      case Handshake::Stage::kClientError:
        return "the probe's client refused the CHALLENGE: " + h.error;
      case Handshake::Stage::kEditError:
        return "the message could not be built: " + h.error;
      case Handshake::Stage::kSent:
        return StatusText(h.status, h.reject);
    }
    return "";
  }

  // --- the client side ---------------------------------------------------------------------
  ntlm::ClientConfig BaseConfig() const {
    ntlm::ClientConfig c;
    c.user = o_.user;
    c.secret.password = o_.password;
    c.workstation = kProbeWorkstation;
    if (!use_version_) {
      c.version.reset();
    }
    c.spn = "HTTP/" + o_.url.host;
    if (cbt_.has_value()) {
      c.channel_binding = ntlm::ChannelBindingMode::kHash;
      c.channel_bindings_hash = *cbt_;
    }
    return c;
  }

  void Trace(const HandshakeSpec& spec, bool from_client, uint64_t conn, std::string line,
             std::string detail) {
    if (spec.trace) {
      trace_.push_back({from_client, conn, std::move(line), std::move(detail)});
    }
  }

  static std::string DescribeNegotiate(ByteView b) {
    auto m = ntlm::DecodeNegotiate(b, ntlm::DecodePolicy::Lenient());
    std::string s = "NEGOTIATE, " + std::to_string(b.size()) + " bytes";
    if (m.ok()) {
      s += ", flags " + Hex32(m->flags);
    }
    return s;
  }
  static std::string DescribeChallenge(const Handshake& h) {
    std::string s = "CHALLENGE, " + std::to_string(h.challenge.size()) + " bytes";
    if (h.challenge_msg.has_value()) {
      s += ", flags " + Hex32(h.challenge_msg->flags) + ", target \"" +
           Safe(h.challenge_msg->target_name, 40) + "\"";
    }
    return s;
  }

  // One handshake: NEGOTIATE, CHALLENGE, AUTHENTICATE (edited or replayed as |spec| says).
  Handshake RunHandshake(const HandshakeSpec& spec) {
    Handshake h;
    auto conn = Open();
    if (!conn.ok()) {
      h.error = conn.error().reason;
      return h;
    }
    ntlm::ClientContext client(spec.config);
    auto negotiate = client.Negotiate();
    if (!negotiate.ok()) {
      h.stage = Handshake::Stage::kClientError;
      h.error = negotiate.error().ToString();
      return h;
    }
    const std::string target = o_.url.target.empty() ? "/" : o_.url.target;
    const bool post = spec.method != "GET";
    Trace(spec, true, (*conn)->id(), spec.method + " " + Safe(target, 60),
          "Authorization: " + Scheme() + " <" + DescribeNegotiate(*negotiate) + ">");
    // The NEGOTIATE leg of a POST carries an empty body, as curl sends it.
    auto first = Send(**conn, MakeRequest(*negotiate, spec.method, "",
                                          post ? spec.content_type : ""));
    if (!first.ok()) {
      h.error = first.error().reason;
      return h;
    }
    h.negotiate_status = first->status;
    h.negotiate_reject = RejectOf(*first);
    NoteNegotiateAnswer(*first, spec.method + " with a " + std::to_string(negotiate->size()) +
                                    "-byte NEGOTIATE");
    auto token = ServerToken(*first);
    if (!token.has_value()) {
      h.stage = Handshake::Stage::kNoChallenge;
      Trace(spec, false, (*conn)->id(), std::to_string(first->status) + " " + Safe(first->reason),
            "no " + Scheme() + " token");
      return h;
    }
    if (!token->error.empty()) {
      h.stage = Handshake::Stage::kBadChallenge;
      h.error = "not base64: " + token->error;
      Trace(spec, false, (*conn)->id(), std::to_string(first->status) + " " + Safe(first->reason),
            ChallengeHeaderName() + ": " + Scheme() + " <not base64>");
      return h;
    }
    h.challenge = token->bytes;
    auto decoded = ntlm::DecodeChallenge(h.challenge, ntlm::DecodePolicy::Lenient());
    if (decoded.ok()) {
      h.challenge_msg = *decoded;
    }
    h.close_announced = !first->keep_alive;
    h.open_after_challenge = first->keep_alive && (*conn)->IsOpen();
    Trace(spec, false, (*conn)->id(), std::to_string(first->status) + " " + Safe(first->reason),
          ChallengeHeaderName() + ": " + Scheme() + " <" + DescribeChallenge(h) + ">" +
              (h.close_announced ? "; Connection: close" : ""));
    if (!decoded.ok()) {
      h.stage = Handshake::Stage::kBadChallenge;
      h.error = Safe(decoded.error().ToString(), 300);
      return h;
    }

    // What the client is shown.
    Bytes shown = h.challenge;
    if (spec.edit_challenge) {
      if (!h.challenge_msg.has_value()) {
        h.stage = Handshake::Stage::kEditError;
        h.error = "the CHALLENGE does not decode";
        return h;
      }
      ntlm::ChallengeMessage edited = *h.challenge_msg;
      spec.edit_challenge(&edited);
      auto encoded = ntlm::EncodeChallenge(edited);
      if (!encoded.ok()) {
        h.stage = Handshake::Stage::kEditError;
        h.error = encoded.error().ToString();
        return h;
      }
      shown = *encoded;
    }
    Bytes auth;
    if (spec.replay.has_value()) {
      auth = *spec.replay;
    } else {
      auto built = client.Authenticate(shown);
      if (!built.ok()) {
        h.stage = Handshake::Stage::kClientError;
        h.error = built.error().ToString();
        return h;
      }
      auth = *built;
      h.negotiated_flags = client.negotiated_flags();
      h.mic_sent = client.mic_sent();
      if (spec.edit_authenticate) {
        if (ntlm::Status s = spec.edit_authenticate(&auth); !s.ok()) {
          h.stage = Handshake::Stage::kEditError;
          h.error = s.error().ToString();
          return h;
        }
      }
    }
    h.authenticate = auth;

    std::unique_ptr<http::Connection> leg3 = std::move(*conn);
    std::unique_ptr<http::Connection> kept;
    if (spec.authenticate_on_new_connection) {
      kept = std::move(leg3);  // the CHALLENGE's connection stays open meanwhile
      auto other = Open();
      if (!other.ok()) {
        h.error = other.error().reason;
        return h;
      }
      leg3 = std::move(*other);
    } else if (h.close_announced || !leg3->IsOpen()) {
      // NTLM authenticates the connection (MS-NTHT 3.1.5.1.2): on another one the AUTHENTICATE
      // would prove nothing, so the handshake ends here, the same way every time.
      h.stage = Handshake::Stage::kClosed;
      h.error = "the connection was closed before the AUTHENTICATE could be sent";
      return h;
    }
    std::string what = "AUTHENTICATE, " + std::to_string(auth.size()) + " bytes";
    if (auto am = ntlm::DecodeAuthenticate(auth, ntlm::DecodePolicy::Lenient()); am.ok()) {
      what += ", " + ntlm::ResponseShape(*am) + (am->mic.has_value() ? ", MIC" : ", no MIC");
    }
    Trace(spec, true, leg3->id(), spec.method + " " + Safe(target, 60),
          "Authorization: " + Scheme() + " <" + what + ">" +
              (post ? "; " + std::to_string(spec.body.size()) + "-byte body" : ""));
    auto last = Send(*leg3, MakeRequest(auth, spec.method, spec.body, spec.content_type));
    if (!last.ok()) {
      h.error = last.error().reason;
      // EOF or reset where the answer to the AUTHENTICATE belongs, on the CHALLENGE's own
      // connection: the server closed it after the CHALLENGE (or on reading the AUTHENTICATE).
      // A timeout or the probe's own time limit is not a close.
      if (!spec.authenticate_on_new_connection && !cut_ &&
          h.error.find("timed out") == std::string::npos) {
        h.stage = Handshake::Stage::kClosed;
        h.error = "the AUTHENTICATE sent on it got no answer (" + h.error + ")";
      }
      return h;
    }
    h.stage = Handshake::Stage::kSent;
    h.status = last->status;
    h.reject = RejectOf(*last);
    h.body = last->body;
    Trace(spec, false, leg3->id(), std::to_string(last->status) + " " + Safe(last->reason),
          h.reject.empty() ? (Accepted(last->status) ? "authenticated" : "") : h.reject);
    h.conn = kept != nullptr ? std::move(kept) : std::move(leg3);
    return h;
  }

  // --- results -----------------------------------------------------------------------------
  bool Selected(const std::string& id) const {
    const CheckInfo* info = FindCheck(id);
    if (info != nullptr && info->robustness_only && !o_.robustness) {
      return false;
    }
    return MatchesChecks(o_.checks, id);
  }
  void Add(const std::string& id, Outcome result, std::string evidence, std::string advice = "") {
    if (cut_) {
      // Reported after the time limit stopped the run: its requests were not all answered.
      result = Outcome::kSkip;
      evidence = "not run: " + LimitText();
    }
    const CheckInfo* info = FindCheck(id);
    CheckResult r;
    r.id = id;
    r.result = result;
    r.reference = info != nullptr ? info->reference : "";
    r.evidence = std::move(evidence);
    r.advice = result == Outcome::kFail || result == Outcome::kWarn ? std::move(advice) : "";
    results_[id] = std::move(r);
    Progress(std::string(OutcomeName(result)) + "  " + id);
  }
  void SkipAll(const std::vector<std::string>& ids, const std::string& why) {
    for (const auto& id : ids) {
      if (Selected(id) && results_.count(id) == 0) {
        Add(id, Outcome::kSkip, why);
      }
    }
  }

  // Non-empty when the CHALLENGE's target info is larger than the probe's client answers
  // (ntlm::kMaxClientTargetInfo): "its target info of 40118 bytes is larger than the probe's
  // limit of 8192 bytes, so the probe sent no AUTHENTICATE".
  static std::string TooLargeForProbe(const ntlm::ChallengeMessage& ch) {
    if (ch.target_info_field.len <= ntlm::kMaxClientTargetInfo) {
      return "";
    }
    return "its target info of " + std::to_string(ch.target_info_field.len) +
           " bytes is larger than the probe's limit of " +
           std::to_string(ntlm::kMaxClientTargetInfo) +
           " bytes, so the probe sent no AUTHENTICATE";
  }

  // "depends on auth.ntlmv2_accepted, which failed: HTTP 401": the evidence of a check that
  // cannot mean anything because an earlier one failed (one root cause, one failing check).
  static std::string Depends(const std::string& id, const std::string& why) {
    return "depends on " + id + ", which failed: " + why;
  }
  // Why the baseline has no CHALLENGE to judge, for the checks that need one.
  std::string NoChallengeWhy(const Handshake& base) const {
    if (base.stage == Handshake::Stage::kBadChallenge) {
      return Depends("challenge.well_formed", "the answer to the NEGOTIATE is not a CHALLENGE");
    }
    if (!negotiate_success_.empty()) {
      return Depends("auth.negotiate_alone_refused", negotiate_success_);
    }
    return "no CHALLENGE was received: " + StatusText(base);
  }

  // Every answer to a NEGOTIATE passes here: a 2xx is a success granted before any
  // AUTHENTICATE (auth.negotiate_alone_refused).
  void NoteNegotiateAnswer(const http::Response& resp, const std::string& what) {
    ++negotiates_answered_;
    if (resp.status >= 200 && resp.status < 300 && negotiate_success_.empty()) {
      negotiate_success_ = what + " alone was answered " + StatusText(resp.status, RejectOf(resp)) +
                           " (" + std::to_string(resp.body.size()) + "-byte body)";
    }
  }

  // "refused" checks: pass when the server refuses |h|, fail when it accepts.
  void ExpectRefused(const std::string& id, const std::string& sent, const Handshake& h,
                     const std::string& advice) {
    if (h.refused()) {
      Add(id, Outcome::kPass, sent + ": refused, " + StatusText(h));
    } else if (h.accepted()) {
      Add(id, Outcome::kFail, sent + ": accepted, " + StatusText(h), advice);
    } else if (h.sent()) {
      Add(id, Outcome::kWarn, sent + ": neither accepted nor refused, " + StatusText(h),
          "answer a refused AUTHENTICATE with " + RefusalStatus() +
              " (MS-NTHT 3.2.5.1.3), not a server error");
    } else {
      Add(id, Outcome::kSkip, "could not be sent: " + StatusText(h));
    }
  }

  // --- the checks --------------------------------------------------------------------------
  bool CheckOffer();
  void CheckNegotiateForms();
  void CheckNegotiateAlone();
  void CheckKeepAlive(const Handshake& base);
  void CheckLogin(const Handshake& base);
  void CheckChallenge(const Handshake& base);
  void CheckNonce(const Handshake& base);
  void CheckAuth(const Handshake& base);
  void CheckPolicy(const Handshake& base);
  void CheckBody();
  void CheckServerInfo(const Handshake& base);
  void CheckRobustness();

  const ProbeOptions& o_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool cut_ = false;    // the time limit stopped the run
  bool proxy_ = false;  // the target answered 407: probe its Proxy-Authenticate
  int negotiates_answered_ = 0;
  std::string negotiate_success_;  // the first NEGOTIATE answered 2xx, described
  bool token_answered_ = false;    // a NEGOTIATE form got a token that is not a CHALLENGE
  std::string login_dependency_;   // non-empty: why the checks needing a login are skipped
  std::string user_;
  std::string domain_;
  bool use_version_ = true;
  std::optional<ntlm::Key16> cbt_;  // tls-server-end-point of the server's certificate
  bool tls_ = false;
  std::map<std::string, CheckResult> results_;
  std::vector<TraceStep> trace_;
  std::string fatal_;
  bool version_ok_ = false;
  bool minimal_ok_ = false;
  bool version_answered_ = false;  // a CHALLENGE, or an answer whose own check fails
  bool minimal_answered_ = false;
};

bool Prober::CheckOffer() {
  Progress("probing " + Safe(o_.target, 200));
  auto conn = Open();
  if (!conn.ok()) {
    fatal_ = "cannot connect: " + conn.error().reason;
    Add("http.offers_ntlm", Outcome::kFail, fatal_,
        "check the URL; the probe needs an HTTP(S) endpoint it can reach");
    return false;
  }
  tls_ = !(*conn)->PeerCertificateDer().empty();
  if (tls_) {
    auto cbt = ntlm::TlsServerEndPointBindingsHash((*conn)->PeerCertificateDer());
    if (cbt.ok()) {
      cbt_ = *cbt;
    }
  }
  HandshakeSpec none;
  none.trace = true;
  const std::string target = o_.url.target.empty() ? "/" : o_.url.target;
  Trace(none, true, (*conn)->id(), "GET " + Safe(target, 60), "no Authorization");
  auto resp = Send(**conn, MakeRequest(std::nullopt));
  if (!resp.ok()) {
    fatal_ = "no HTTP response: " + resp.error().reason;
    // A timeout says nothing about the protocol: the server was too slow for --timeout.
    const bool timed_out = resp.error().reason.find("timed out") != std::string::npos;
    Add("http.offers_ntlm", Outcome::kFail, fatal_,
        timed_out ? "answer within --timeout (" + Seconds(o_.timeout) +
                        "): the server was too slow, or it never answered; if it is merely "
                        "slow, probe again with a larger --timeout"
                  : "the endpoint must speak HTTP/1.1 (RFC 9112)");
    return false;
  }
  // RFC 9110 15.5.8: a 407 comes from a proxy that wants Proxy-Authorization; its NTLM is
  // probed the same way, through Proxy-Authenticate.
  proxy_ = resp->status == 407;
  std::vector<std::string> schemes;
  bool offered = false;
  for (const std::string& value : resp->Values(ChallengeHeaderName())) {
    auto parsed = ntlm::http_auth::ParseChallenges(value);
    if (!parsed.ok()) {
      schemes.push_back("(unparsable: " + Safe(value, 60) + ")");
      continue;
    }
    for (const auto& c : *parsed) {
      schemes.push_back(Safe(c.scheme, 40));
      offered = offered || c.SchemeIs(Scheme());
    }
  }
  std::string joined;
  for (const auto& s : schemes) {
    joined += (joined.empty() ? "" : ", ") + s;
  }
  Trace(none, false, (*conn)->id(), std::to_string(resp->status) + " " + Safe(resp->reason),
        joined.empty() ? "no " + ChallengeHeaderName() : ChallengeHeaderName() + ": " + joined);
  const std::string evidence =
      "HTTP " + std::to_string(resp->status) +
      (joined.empty() ? ", no " + ChallengeHeaderName()
                      : ", " + ChallengeHeaderName() + ": " + joined) +
      (proxy_ ? " (the target is a proxy asking for proxy authentication)" : "");
  if ((resp->status == 401 || proxy_) && offered) {
    if (proxy_) {
      Progress("the target is a proxy (407): probing its " + Scheme() +
               " with Proxy-Authorization");
    }
    Add("http.offers_ntlm", Outcome::kPass,
        evidence + (proxy_ ? "; its " + Scheme() + " is probed with Proxy-Authorization" : ""));
    return true;
  }
  if (proxy_) {
    fatal_ = "the target is a proxy asking for Proxy-Authenticate: " +
             (joined.empty() ? std::string("(no scheme named)") : joined) +
             "; it does not offer " + Scheme();
  } else {
    fatal_ = resp->status == 401 ? "the server does not offer " + Scheme()
                                 : "the URL does not ask for authentication";
  }
  Add("http.offers_ntlm", Outcome::kFail, evidence + "; " + fatal_,
      o_.negotiate ? "offer Negotiate on this URL, or probe without --negotiate"
                   : "offer " + ChallengeHeaderName() +
                         ": NTLM on this URL (with --negotiate the probe speaks NTLM inside "
                         "Negotiate)");
  return false;
}

void Prober::CheckNegotiateForms() {
  // VERSION form first (what Windows sends), then the minimal form (curl's).
  for (const bool with_version : {true, false}) {
    const char* id = with_version ? "negotiate.version_accepted" : "negotiate.minimal_accepted";
    ntlm::ClientConfig c = BaseConfig();
    if (!with_version) {
      c.version.reset();
    } else if (!c.version.has_value()) {
      c.version = ntlm::kDefaultClientVersion;
    }
    ntlm::ClientContext client(c);
    auto negotiate = client.Negotiate();
    auto conn = Open();
    bool ok = false;
    // Skipped rather than failed: the answer was a success (auth.negotiate_alone_refused) or
    // a token that is not a CHALLENGE (challenge.well_formed), whose own checks fail.
    std::string depends;
    std::string evidence;
    if (!negotiate.ok() || !conn.ok()) {
      evidence =
          !conn.ok() ? "transport error: " + conn.error().reason : negotiate.error().ToString();
    } else {
      auto resp = Send(**conn, MakeRequest(*negotiate));
      auto sent = ntlm::DecodeNegotiate(*negotiate, ntlm::DecodePolicy::Lenient());
      evidence = std::to_string(negotiate->size()) + "-byte NEGOTIATE (flags " +
                 Hex32(sent.ok() ? sent->flags : 0) + "): ";
      if (resp.ok()) {
        NoteNegotiateAnswer(*resp, std::to_string(negotiate->size()) + "-byte NEGOTIATE");
      }
      if (!resp.ok()) {
        evidence += "transport error: " + resp.error().reason;
      } else if (auto token = ServerToken(*resp); token.has_value()) {
        const auto type = ntlm::PeekMessageType(token->bytes);
        ok = token->error.empty() && type.ok() && *type == ntlm::MessageType::kChallenge;
        evidence += "HTTP " + std::to_string(resp->status) + " with a " +
                    (!token->error.empty()
                         ? std::string("token that is not base64")
                         : std::to_string(token->bytes.size()) + "-byte " +
                               (ok ? "CHALLENGE" : "token that is not a CHALLENGE"));
        if (!ok) {
          token_answered_ = true;
          depends = Depends("challenge.well_formed", "the answer is not a CHALLENGE");
        }
      } else {
        evidence += StatusText(resp->status, RejectOf(*resp)) + ", no CHALLENGE";
        if (resp->status >= 200 && resp->status < 300) {
          depends = Depends("auth.negotiate_alone_refused", evidence);
        }
      }
    }
    (with_version ? version_ok_ : minimal_ok_) = ok;
    (with_version ? version_answered_ : minimal_answered_) = ok || !depends.empty();
    if (!depends.empty() && Selected(id)) {
      Add(id, Outcome::kSkip, depends);
    } else if (Selected(id)) {
      Add(id, ok ? Outcome::kPass : Outcome::kFail, evidence,
          with_version ? "answer a NEGOTIATE that carries VERSION (2.2.1.1, 2.2.2.10)"
                       : "accept a NEGOTIATE without the VERSION field: 2.2.1.1 makes it "
                         "optional, and curl and other clients send the 32-byte form");
    }
  }
  use_version_ = version_answered_ || !minimal_answered_;
}

void Prober::CheckNegotiateAlone() {
  const char* id = "auth.negotiate_alone_refused";
  if (!Selected(id)) {
    return;
  }
  if (!negotiate_success_.empty()) {
    Add(id, Outcome::kFail, negotiate_success_ + ": access without authentication",
        "answer every NEGOTIATE with " + RefusalStatus() +
            " and a CHALLENGE (3.2.5.1.1); grant access only after an AUTHENTICATE that "
            "verifies (3.2.5.1.2)");
  } else if (negotiates_answered_ == 0) {
    Add(id, Outcome::kSkip, "no NEGOTIATE was answered");
  } else {
    Add(id, Outcome::kPass,
        std::to_string(negotiates_answered_) + " NEGOTIATEs answered, none with a success");
  }
}

void Prober::CheckKeepAlive(const Handshake& base) {
  const char* id = "http.keepalive_after_challenge";
  if (!Selected(id)) {
    return;
  }
  const std::string advice =
      "keep the connection open after the CHALLENGE: NTLM authenticates the connection, and "
      "the AUTHENTICATE must follow on it";
  if (base.stage == Handshake::Stage::kClosed) {
    Add(id, Outcome::kFail, StatusText(base),
        base.close_announced ? advice
                             : advice + "; never close it unannounced (RFC 9112 9.6: send "
                                        "Connection: close when you mean to close)");
  } else if (base.challenge.empty() || !base.challenge_msg.has_value()) {
    Add(id, Outcome::kSkip, NoChallengeWhy(base));
  } else if (base.sent()) {
    Add(id, Outcome::kPass,
        ChallengeStatus() +
            " with the CHALLENGE left the connection open, and the AUTHENTICATE sent on it "
            "was answered");
  } else {
    Add(id, Outcome::kSkip, "the AUTHENTICATE could not be sent: " + StatusText(base));
  }
}

void Prober::CheckLogin(const Handshake& base) {
  const char* id = "auth.ntlmv2_accepted";
  // Which failed check the others depend on (one root cause, one failing check).
  const std::string too_large = base.stage == Handshake::Stage::kClientError &&
                                        base.challenge_msg.has_value()
                                    ? TooLargeForProbe(*base.challenge_msg)
                                    : std::string();
  if (base.accepted()) {
    login_dependency_.clear();
  } else if (!too_large.empty()) {
    // The probe's own limit, not the server's fault: no AUTHENTICATE was sent, so nothing
    // that needs a login can be judged.
    login_dependency_ = "depends on challenge.well_formed, which warned: " + too_large;
  } else if (base.stage == Handshake::Stage::kClosed) {
    login_dependency_ = Depends("http.keepalive_after_challenge", StatusText(base));
  } else if (base.challenge.empty() || !base.challenge_msg.has_value()) {
    login_dependency_ = NoChallengeWhy(base);
  } else {
    login_dependency_ = Depends(id, StatusText(base));
  }
  if (!Selected(id)) {
    return;
  }
  const std::string what = std::string("NTLMv2") + (base.mic_sent ? " with MIC" : "") +
                           (cbt_.has_value() ? " and channel bindings" : "") + " for \"" +
                           Safe(o_.user, 80) + "\": " + StatusText(base);
  if (base.accepted()) {
    Add(id, Outcome::kPass, what);
  } else if (login_dependency_.rfind(Depends(id, ""), 0) != 0 || !too_large.empty()) {
    Add(id, Outcome::kSkip, login_dependency_);  // an earlier check failed: it is the cause
  } else if (base.refused()) {
    Add(id, Outcome::kFail, what,
        "check the account and password given to the probe; then the server's NTLMv2 support "
        "(3.3.2)");
  } else if (base.stage == Handshake::Stage::kClientError) {
    Add(id, Outcome::kFail, what,
        "send a CHALLENGE an NTLMv2 client can answer (see the challenge.* checks): no "
        "AUTHENTICATE was sent");
  } else {
    Add(id, Outcome::kFail, what,
        "answer a correct AUTHENTICATE (with a 2xx, or " + RefusalStatus() +
            " when it does not verify); the server gave no usable answer");
  }
}

void Prober::CheckChallenge(const Handshake& base) {
  const std::vector<std::string> ids = {"challenge.well_formed", "challenge.flags_consistent",
                                        "challenge.target_info", "challenge.timestamp_present"};
  if (base.stage == Handshake::Stage::kBadChallenge && base.challenge.empty()) {
    // 2.2.1.2 as MS-NTHT carries it: the token must be the base64 of a CHALLENGE.
    if (Selected(ids[0])) {
      Add(ids[0], Outcome::kFail,
          "the " + Scheme() + " token of the " + (proxy_ ? "407" : "401") + " is " + base.error,
          "send the base64 (RFC 4648 4, with padding) of a CHALLENGE after \"" + Scheme() +
              " \"");
    }
    SkipAll(ids, Depends(ids[0], "the token is not base64"));
    return;
  }
  if (base.challenge.empty()) {
    SkipAll(ids, NoChallengeWhy(base));
    return;
  }
  // well_formed: strict decode, then the MUST notes of the lint.
  auto strict = ntlm::DecodeChallenge(base.challenge, ntlm::DecodePolicy::Strict());
  if (Selected(ids[0])) {
    if (!strict.ok()) {
      Add(ids[0], Outcome::kFail, "strict decode fails: " + Safe(strict.error().ToString(), 300),
          "send a CHALLENGE that follows 2.2.1.2 and 2.2.2.1 to the letter");
    } else {
      std::string must, should;
      for (const auto& n : ntlm::LintChallenge(*strict)) {
        std::string& into = n.severity == ntlm::Severity::kMust ? must : should;
        // The flags and the NetBIOS name pairs have checks of their own
        // (challenge.flags_consistent, challenge.target_info): one fault, one failing check.
        const bool elsewhere = n.field == "NegotiateFlags" ||
                               (n.field == "TargetInfo" && n.text.rfind("MsvAvNb", 0) == 0);
        if (n.severity == ntlm::Severity::kInfo || elsewhere) {
          continue;
        }
        into += (into.empty() ? "" : "; ") + Safe(n.field + ": " + n.text + " [" + n.rule + "]");
      }
      const std::string too_large = TooLargeForProbe(*strict);
      if (!must.empty()) {
        Add(ids[0], Outcome::kFail, "decodes, but breaks a MUST: " + must,
            "fix the CHALLENGE fields named");
      } else if (!too_large.empty()) {
        // No rule of [MS-NLMP] bounds the target info below its 16-bit length, so this is no
        // failure; but the probe cannot answer it, and says so instead of blaming the server.
        Add(ids[0], Outcome::kWarn,
            "decodes strictly, " + std::to_string(base.challenge.size()) + " bytes, but " +
                too_large + (should.empty() ? "" : "; SHOULD-level notes: " + should),
            "keep the target info small (Windows servers send a few hundred bytes): every "
            "NTLMv2 client echoes it in its AUTHENTICATE (MS-NLMP 2.2.2.7, 3.1.5.1.2), which "
            "then grows by as much, 4/3 as much in base64 in the " + AuthHeaderName() +
                " header");
      } else if (!should.empty()) {
        Add(ids[0], Outcome::kWarn, "decodes strictly; SHOULD-level notes: " + should,
            "fix the CHALLENGE fields named");
      } else {
        Add(ids[0], Outcome::kPass,
            "decodes strictly, " + std::to_string(base.challenge.size()) +
                " bytes, no MUST or SHOULD note");
      }
    }
  }
  if (!base.challenge_msg.has_value()) {
    SkipAll(ids, Depends(ids[0], "the CHALLENGE does not decode even leniently"));
    return;
  }
  const ntlm::ChallengeMessage& ch = *base.challenge_msg;
  const uint32_t asked = BaseConfig().negotiate_flags;

  if (Selected(ids[1])) {
    std::vector<std::string> problems;
    const bool unicode = (ch.flags & ntlm::kNegotiateUnicode) != 0;
    const bool oem = (ch.flags & ntlm::kNegotiateOem) != 0;
    if (unicode && oem) {
      problems.push_back("both NTLMSSP_NEGOTIATE_UNICODE and NTLM_NEGOTIATE_OEM are set");
    } else if (!unicode && !oem) {
      problems.push_back("neither NTLMSSP_NEGOTIATE_UNICODE nor NTLM_NEGOTIATE_OEM is set");
    } else if (oem && (asked & ntlm::kNegotiateUnicode) != 0) {
      // 2.2.2.5 (A): when the client sets NTLMSSP_NEGOTIATE_UNICODE, the server's choice MUST
      // be Unicode, even when the client also offers OEM.
      problems.push_back(
          "NTLM_NEGOTIATE_OEM chosen though the NEGOTIATE set NTLMSSP_NEGOTIATE_UNICODE: the "
          "choice MUST then be UNICODE [MS-NLMP 2.2.2.5]");
    }
    const uint32_t unasked = ch.flags & kRequestOnlyFlags & ~asked;
    if (unasked != 0) {
      problems.push_back("flags the NEGOTIATE did not ask for: " + ntlm::FlagsToString(unasked));
    }
    if ((ch.flags & ntlm::kNegotiateExtendedSessionSecurity) != 0 &&
        (ch.flags & ntlm::kNegotiateLmKey) != 0) {
      problems.push_back("both EXTENDED_SESSIONSECURITY and LM_KEY are set");
    }
    std::string evidence = "flags " + Hex32(ch.flags) + " (" + ntlm::FlagsToString(ch.flags) +
                           ") for a NEGOTIATE asking " + Hex32(asked);
    if (problems.empty()) {
      Add(ids[1], Outcome::kPass, evidence);
    } else {
      std::string p;
      for (const auto& s : problems) {
        p += (p.empty() ? "" : "; ") + s;
      }
      Add(ids[1], Outcome::kFail, p + "; " + evidence,
          "select exactly one character set, UNICODE whenever the NEGOTIATE sets it "
          "(2.2.2.5), and return only the session flags the client asked for (3.2.5.1.1)");
    }
  }

  const std::optional<ntlm::TargetInfo>& ti = ch.target_info;
  if (Selected(ids[2])) {
    std::vector<std::string> missing;
    if (!ti.has_value()) {
      missing.push_back("the whole target info");
    } else {
      if (!ti->Has(ntlm::AvId::kNbComputerName)) {
        missing.push_back("MsvAvNbComputerName");
      }
      if (!ti->Has(ntlm::AvId::kNbDomainName)) {
        missing.push_back("MsvAvNbDomainName");
      }
      if (!ti->had_eol) {
        missing.push_back("MsvAvEOL");
      }
    }
    if (missing.empty()) {
      std::string present;
      for (const auto& p : ti->pairs) {
        present += (present.empty() ? "" : ", ") + ntlm::AvIdName(static_cast<uint16_t>(p.id));
      }
      Add(ids[2], Outcome::kPass, "target info: " + present + ", MsvAvEOL");
    } else {
      std::string m;
      for (const auto& s : missing) {
        m += (m.empty() ? "" : ", ") + s;
      }
      Add(ids[2], Outcome::kFail, "missing: " + m,
          "send MsvAvNbComputerName, MsvAvNbDomainName and a closing MsvAvEOL in the target "
          "info (2.2.2.1: they MUST be present)");
    }
  }
  if (Selected(ids[3])) {
    const auto ts = ti.has_value() ? ti->GetTimestamp() : std::nullopt;
    if (ts.has_value()) {
      Add(ids[3], Outcome::kPass, "MsvAvTimestamp " + FileTimeUtc(*ts));
    } else {
      Add(ids[3], Outcome::kFail,
          "no MsvAvTimestamp: clients then send no MIC and the NEGOTIATE/CHALLENGE can be "
          "altered unnoticed",
          "send MsvAvTimestamp in the target info, as Windows Server 2008 and later do");
    }
  }
}

void Prober::CheckNonce(const Handshake& base) {
  const char* id = "challenge.nonce_unique";
  if (!Selected(id)) {
    return;
  }
  std::vector<ntlm::Challenge8> seen;
  if (base.challenge_msg.has_value()) {
    seen.push_back(base.challenge_msg->server_challenge);
  }
  const int n = std::clamp(o_.nonce_handshakes, 2, 64);
  std::string error;
  for (int i = 0; i < n; ++i) {
    ntlm::ClientContext client(BaseConfig());
    auto negotiate = client.Negotiate();
    auto conn = Open();
    if (!negotiate.ok() || !conn.ok()) {
      error = !conn.ok() ? conn.error().reason : negotiate.error().ToString();
      break;
    }
    auto resp = Send(**conn, MakeRequest(*negotiate));
    if (!resp.ok()) {
      error = resp.error().reason;
      break;
    }
    auto token = ServerToken(*resp);
    if (!token.has_value() || !token->error.empty()) {
      continue;
    }
    auto ch = ntlm::DecodeChallenge(token->bytes, ntlm::DecodePolicy::Lenient());
    if (ch.ok()) {
      seen.push_back(ch->server_challenge);
    }
  }
  if (seen.size() < 2) {
    Add(id, Outcome::kSkip,
        !base.challenge_msg.has_value()
            ? NoChallengeWhy(base)
            : "fewer than two CHALLENGEs were received" + (error.empty() ? "" : ": " + error));
    return;
  }
  std::set<ntlm::Challenge8> distinct(seen.begin(), seen.end());
  const std::string counts = std::to_string(seen.size()) + " CHALLENGEs, " +
                             std::to_string(distinct.size()) + " distinct server challenges";
  if (distinct.size() == seen.size()) {
    Add(id, Outcome::kPass, counts);
  } else {
    // The repeated value: the most frequent one.
    ntlm::Challenge8 worst{};
    size_t worst_count = 0;
    for (const auto& c : distinct) {
      const auto k = static_cast<size_t>(std::count(seen.begin(), seen.end(), c));
      if (k > worst_count) {
        worst = c;
        worst_count = k;
      }
    }
    Add(id, Outcome::kFail,
        counts + "; " + ntlm::ToHex(worst) + " came " + std::to_string(worst_count) + " times",
        "draw every server challenge from a CSPRNG: a repeated nonce lets a captured "
        "AUTHENTICATE be replayed");
  }
}

void Prober::CheckAuth(const Handshake& base) {
  const std::vector<std::string> all = {"auth.wrong_password_rejected",
                                        "auth.unknown_user_rejected",
                                        "auth.replay_rejected",
                                        "auth.tampered_proof_rejected",
                                        "auth.mic_verified",
                                        "auth.mic_dropped_rejected",
                                        "auth.connection_bound",
                                        "auth.timestamp_echo_checked",
                                        "auth.target_info_echo_checked",
                                        "auth.session_key_length_checked"};
  if (!login_dependency_.empty()) {
    SkipAll(all, login_dependency_);  // a refusal would prove nothing
    return;
  }

  if (Selected("auth.wrong_password_rejected")) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.secret.password = o_.password + "-wrong";
    ExpectRefused("auth.wrong_password_rejected", "NTLMv2 with a wrong password", RunHandshake(s),
                  "verify NTProofStr against the account's NT hash (3.2.5.1.2)");
  }
  if (Selected("auth.unknown_user_rejected")) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.user = domain_.empty() ? kUnknownUser : domain_ + "\\" + kUnknownUser;
    ExpectRefused("auth.unknown_user_rejected",
                  "NTLMv2 for user \"" + std::string(kUnknownUser) + "\"", RunHandshake(s),
                  "refuse users that are not in the account database; do not map them to a "
                  "guest account");
  }
  if (Selected("auth.replay_rejected")) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.replay = base.authenticate;
    ExpectRefused("auth.replay_rejected",
                  "the accepted AUTHENTICATE sent again after a new CHALLENGE", RunHandshake(s),
                  "bind each AUTHENTICATE to a fresh one-time server challenge and never accept "
                  "the same one twice");
  }
  if (Selected("auth.mic_verified") || Selected("auth.mic_dropped_rejected")) {
    if (!base.mic_sent) {
      SkipAll({"auth.mic_verified", "auth.mic_dropped_rejected"},
              "no MIC can be sent: the CHALLENGE has no MsvAvTimestamp");
    } else {
      if (Selected("auth.mic_verified")) {
        HandshakeSpec s;
        s.config = BaseConfig();
        s.edit_authenticate = [](Bytes* auth) -> ntlm::Status {
          if (auth->size() < ntlm::kAuthenticateMicOffset + 16) {
            return ntlm::MakeError(ntlm::ErrorCode::kTruncated, "MS-NLMP 2.2.1.3", "MIC", 72,
                                   "no MIC field");
          }
          (*auth)[ntlm::kAuthenticateMicOffset + 5] ^= 0x20;
          return {};
        };
        ExpectRefused("auth.mic_verified", "NTLMv2 with one MIC byte changed", RunHandshake(s),
                      "verify the MIC over NEGOTIATE, CHALLENGE and AUTHENTICATE whenever "
                      "MsvAvFlags announces one (3.2.5.1.2)");
      }
      if (Selected("auth.mic_dropped_rejected")) {
        HandshakeSpec s;
        s.config = BaseConfig();
        s.edit_authenticate = [](Bytes* auth) -> ntlm::Status {
          auto m = ntlm::DecodeAuthenticate(*auth, ntlm::DecodePolicy::Lenient());
          if (!m.ok()) {
            return m.error();
          }
          m->mic.reset();
          auto encoded = ntlm::EncodeAuthenticate(*m);
          if (!encoded.ok()) {
            return encoded.error();
          }
          *auth = *encoded;
          return {};
        };
        ExpectRefused("auth.mic_dropped_rejected",
                      "NTLMv2 with the MIC field removed, MsvAvFlags still announcing it",
                      RunHandshake(s),
                      "refuse an AUTHENTICATE without MIC when the blob's MsvAvFlags has bit "
                      "0x2 (the \"drop the MIC\" attack, CVE-2019-1040)");
      }
    }
  }
  if (Selected("auth.connection_bound")) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.authenticate_on_new_connection = true;
    ExpectRefused("auth.connection_bound",
                  "a correct AUTHENTICATE sent on a second connection, the CHALLENGE's still "
                  "open",
                  RunHandshake(s),
                  "keep NTLM state with the TCP connection, never with the client address or "
                  "a cookie");
  }

  // The checks that change what NTProofStr or the MIC covers leave out the MIC; they mean
  // something only if the server accepts an AUTHENTICATE without MIC.
  const std::vector<std::string> no_mic_ids = {
      "auth.tampered_proof_rejected", "auth.timestamp_echo_checked",
      "auth.target_info_echo_checked", "auth.session_key_length_checked"};
  bool any = false;
  for (const auto& id : no_mic_ids) {
    any = any || Selected(id);
  }
  if (!any) {
    return;
  }
  HandshakeSpec control;
  control.config = BaseConfig();
  control.config.send_mic = false;
  const Handshake ctl = RunHandshake(control);
  if (!ctl.accepted()) {
    SkipAll(no_mic_ids, "a correct AUTHENTICATE without MIC is not accepted (" + StatusText(ctl) +
                            "); these checks need one");
    return;
  }

  if (Selected("auth.tampered_proof_rejected")) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.send_mic = false;
    const std::string user = user_;
    const std::string domain = domain_;
    const std::string password = o_.password;
    // The server challenge of this handshake: kept by the edit of the CHALLENGE.
    auto server_challenge = std::make_shared<ntlm::Challenge8>();
    s.edit_challenge = [server_challenge](ntlm::ChallengeMessage* m) {
      *server_challenge = m->server_challenge;
    };
    s.edit_authenticate = [=](Bytes* auth) -> ntlm::Status {
      auto m = ntlm::DecodeAuthenticate(*auth, ntlm::DecodePolicy::Lenient());
      if (!m.ok()) {
        return m.error();
      }
      // NTProofStr(16) RespType HiRespType Reserved1(2) Reserved2(4) TimeStamp(8), then
      // ChallengeFromClient (2.2.2.7): bytes 32..39 of the NT response.
      if (m->nt_response.size() < 40) {
        return ntlm::MakeError(ntlm::ErrorCode::kTruncated, "MS-NLMP 2.2.2.8",
                               "NtChallengeResponse", 0, "not an NTLMv2 response");
      }
      ntlm::Challenge8 cc{};
      std::copy_n(m->nt_response.begin() + 32, cc.size(), cc.begin());
      auto key = ntlm::NtOwfV2FromPassword(password, user, domain);
      if (!key.ok()) {
        return key.error();
      }
      // A correct LMv2 for the same client challenge, so that a server which falls back to
      // LMv2 (3.2.5.1.2 allows it) shows itself.
      const ntlm::Response24 lm = ntlm::LmV2Response(*key, *server_challenge, cc);
      m->lm_response.assign(lm.begin(), lm.end());
      m->nt_response[32] ^= 0x80;  // the blob changes; NTProofStr does not
      auto encoded = ntlm::EncodeAuthenticate(*m);
      if (!encoded.ok()) {
        return encoded.error();
      }
      *auth = *encoded;
      return {};
    };
    ExpectRefused("auth.tampered_proof_rejected",
                  "NTLMv2 (no MIC) with one blob byte changed and a correct LMv2", RunHandshake(s),
                  "refuse an NTLMv2 AUTHENTICATE whose NTProofStr does not verify, even when "
                  "the LMv2 response does: LMv2 does not cover the blob (MsvAvFlags, channel "
                  "bindings, timestamp)");
  }
  const auto ts = base.challenge_msg.has_value() && base.challenge_msg->target_info.has_value()
                      ? base.challenge_msg->target_info->GetTimestamp()
                      : std::nullopt;
  if (Selected("auth.timestamp_echo_checked")) {
    if (!ts.has_value()) {
      Add("auth.timestamp_echo_checked", Outcome::kSkip,
          "the CHALLENGE has no MsvAvTimestamp to echo");
    } else {
      HandshakeSpec s;
      s.config = BaseConfig();
      s.config.send_mic = false;
      s.edit_challenge = [](ntlm::ChallengeMessage* m) {
        if (m->target_info.has_value()) {
          const auto t = m->target_info->GetTimestamp();
          m->target_info->SetTimestamp(t.value_or(0) - kOneSecond);
        }
      };
      ExpectRefused("auth.timestamp_echo_checked",
                    "NTLMv2 (no MIC) echoing MsvAvTimestamp one second earlier than issued",
                    RunHandshake(s),
                    "compare the MsvAvTimestamp in the client's blob with the one issued in "
                    "the CHALLENGE");
    }
  }
  if (Selected("auth.target_info_echo_checked")) {
    const bool has_computer = base.challenge_msg.has_value() &&
                              base.challenge_msg->target_info.has_value() &&
                              base.challenge_msg->target_info->Has(ntlm::AvId::kNbComputerName);
    const ntlm::AvId removed =
        has_computer ? ntlm::AvId::kNbComputerName : ntlm::AvId::kNbDomainName;
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.send_mic = false;
    s.edit_challenge = [removed](ntlm::ChallengeMessage* m) {
      if (m->target_info.has_value()) {
        m->target_info->Remove(removed);
      }
    };
    ExpectRefused(
        "auth.target_info_echo_checked",
        "NTLMv2 (no MIC) whose blob lacks " + ntlm::AvIdName(static_cast<uint16_t>(removed)),
        RunHandshake(s),
        "check that the client's blob echoes the target info the CHALLENGE issued "
        "(3.3.2 temp carries it)");
  }
  if (Selected("auth.session_key_length_checked")) {
    if ((ctl.negotiated_flags & ntlm::kNegotiateKeyExch) == 0) {
      Add("auth.session_key_length_checked", Outcome::kSkip,
          "the server did not negotiate NTLMSSP_NEGOTIATE_KEY_EXCH");
    } else {
      HandshakeSpec s;
      s.config = BaseConfig();
      s.config.send_mic = false;
      s.edit_authenticate = [](Bytes* auth) -> ntlm::Status {
        auto m = ntlm::DecodeAuthenticate(*auth, ntlm::DecodePolicy::Lenient());
        if (!m.ok()) {
          return m.error();
        }
        m->encrypted_random_session_key.resize(64, 0x42);
        auto encoded = ntlm::EncodeAuthenticate(*m);
        if (!encoded.ok()) {
          return encoded.error();
        }
        *auth = *encoded;
        return {};
      };
      ExpectRefused("auth.session_key_length_checked",
                    "NTLMv2 (no MIC), KEY_EXCH, a 64-byte EncryptedRandomSessionKey whose "
                    "first 16 bytes are right",
                    RunHandshake(s),
                    "refuse an EncryptedRandomSessionKey that is not exactly 16 bytes");
    }
  }
}

void Prober::CheckPolicy(const Handshake& base) {
  const std::vector<std::string> ids = {"policy.ntlmv1_refused", "policy.lm_refused",
                                        "policy.anonymous_refused", "policy.epa_enforced"};
  if (Selected("policy.epa_enforced") && !tls_) {
    Add("policy.epa_enforced", Outcome::kSkip, "plain HTTP: there is no channel to bind");
  }
  if (!login_dependency_.empty()) {
    SkipAll(ids, login_dependency_);  // a refusal would prove nothing
    return;
  }
  if (Selected(ids[0])) {
    const bool ess = base.challenge_msg.has_value() &&
                     (base.challenge_msg->flags & ntlm::kNegotiateExtendedSessionSecurity) != 0;
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.response = ess ? ntlm::ResponseKind::kNtlmV1Ess : ntlm::ResponseKind::kNtlmV1;
    ExpectRefused(ids[0],
                  ess ? "an NTLMv1 response with extended session security" : "an NTLMv1 response",
                  RunHandshake(s),
                  "accept NTLMv2 only: LmCompatibilityLevel 5 on the domain controllers, and "
                  "\"Network security: Restrict NTLM\" policies");
  }
  if (Selected(ids[1])) {
    if (o_.password.size() > ntlm::kLmOwfMaxPasswordLen) {
      Add(ids[1], Outcome::kSkip, "the password is longer than 14 characters: LM cannot hold it");
    } else {
      HandshakeSpec s;
      s.config = BaseConfig();
      s.config.response = ntlm::ResponseKind::kLm;
      ExpectRefused(ids[1], "an LM-only response", RunHandshake(s),
                    "refuse LM responses: LmCompatibilityLevel 4 or 5, and \"Do not store LAN "
                    "Manager hash value\"");
    }
  }
  if (Selected(ids[2])) {
    HandshakeSpec s;
    s.config = BaseConfig();
    s.config.anonymous = true;
    ExpectRefused(ids[2], "an anonymous AUTHENTICATE (empty user, LM Z(1), NT empty)",
                  RunHandshake(s),
                  "refuse anonymous NTLM on authenticated resources (Windows: \"Network "
                  "access: Restrict anonymous\", IIS: disable anonymous with NTLM)");
  }
  if (Selected(ids[3]) && tls_) {
    HandshakeSpec wrong;
    wrong.config = BaseConfig();
    wrong.config.channel_binding = ntlm::ChannelBindingMode::kHash;
    wrong.config.channel_bindings_hash.fill(0x5a);
    const Handshake w = RunHandshake(wrong);
    HandshakeSpec absent;
    absent.config = BaseConfig();
    absent.config.channel_binding = ntlm::ChannelBindingMode::kNone;
    const Handshake a = RunHandshake(absent);
    const std::string evidence = "wrong channel bindings: " + StatusText(w) +
                                 "; no channel bindings: " + StatusText(a) +
                                 "; the right ones: " + StatusText(base);
    if (w.accepted()) {
      Add(ids[3], Outcome::kFail, evidence,
          "turn on Extended Protection for Authentication (IIS: extendedProtection "
          "tokenChecking=\"Require\"), so that an AUTHENTICATE relayed from another TLS "
          "channel fails");
    } else if (!w.refused()) {
      Add(ids[3], Outcome::kSkip, "could not be decided: " + evidence);
    } else if (a.accepted()) {
      Add(ids[3], Outcome::kWarn, evidence + " (EPA in \"Allow\" mode)",
          "require channel bindings (tokenChecking=\"Require\") once every client sends them");
    } else {
      Add(ids[3], Outcome::kPass, evidence);
    }
  }
}

void Prober::CheckBody() {
  const char* id = "http.body_resent";
  if (!Selected(id)) {
    return;
  }
  if (!login_dependency_.empty()) {
    Add(id, Outcome::kSkip, login_dependency_);
    return;
  }
  HandshakeSpec s;
  s.config = BaseConfig();
  s.method = "POST";
  s.body = kFormBody;
  s.content_type = kFormType;
  const Handshake h = RunHandshake(s);
  std::string evidence = "POST, " + std::to_string(s.body.size()) + "-byte " + kFormType +
                         " body on the AUTHENTICATE leg: " + StatusText(h);
  if (h.accepted()) {
    // The mock server and similar echo servers say what they received.
    const std::string marker = "\"body_length\":";
    if (const size_t at = h.body.find(marker); at != std::string::npos) {
      const unsigned long got = std::strtoul(h.body.c_str() + at + marker.size(), nullptr, 10);
      evidence += "; the server reports " + std::to_string(got) + " body bytes";
      if (got != s.body.size()) {
        Add(id, Outcome::kFail, evidence, "read the whole request body after the handshake");
        return;
      }
    }
    Add(id, Outcome::kPass, evidence);
  } else if (h.sent()) {
    Add(id, Outcome::kFail, evidence,
        "accept the request body on the leg that carries the AUTHENTICATE (clients such as "
        "curl send it there, with an empty body on the NEGOTIATE leg)");
  } else {
    Add(id, Outcome::kSkip, evidence);
  }
}

void Prober::CheckServerInfo(const Handshake& base) {
  const char* id = "info.server";
  if (!Selected(id)) {
    return;
  }
  if (!base.challenge_msg.has_value()) {
    Add(id, Outcome::kSkip, NoChallengeWhy(base));
    return;
  }
  const ntlm::ChallengeMessage& ch = *base.challenge_msg;
  std::vector<std::string> parts;
  parts.push_back("TargetName \"" + Safe(ch.target_name, 80) + "\"");
  if (ch.target_info.has_value()) {
    const struct {
      ntlm::AvId id;
      const char* label;
    } names[] = {{ntlm::AvId::kNbComputerName, "NetBIOS computer"},
                 {ntlm::AvId::kNbDomainName, "NetBIOS domain"},
                 {ntlm::AvId::kDnsComputerName, "DNS computer"},
                 {ntlm::AvId::kDnsDomainName, "DNS domain"},
                 {ntlm::AvId::kDnsTreeName, "DNS tree"}};
    for (const auto& n : names) {
      if (auto v = ch.target_info->GetString(n.id); v.has_value()) {
        parts.push_back(std::string(n.label) + " \"" + Safe(*v, 80) + "\"");
      }
    }
  }
  parts.push_back(ch.version.has_value() ? "version " + Safe(ntlm::VersionToString(*ch.version))
                                         : "no VERSION");
  const auto ts = ch.target_info.has_value() ? ch.target_info->GetTimestamp() : std::nullopt;
  if (ts.has_value()) {
    const int64_t skew = (static_cast<int64_t>(*ts) - static_cast<int64_t>(NowFileTime())) /
                         static_cast<int64_t>(kOneSecond);
    parts.push_back("clock " + FileTimeUtc(*ts) + " (" + (skew >= 0 ? "+" : "") +
                    std::to_string(skew) + " s from ours)");
  }
  std::string evidence;
  for (const auto& p : parts) {
    evidence += (evidence.empty() ? "" : ", ") + p;
  }
  Add(id, Outcome::kInfo, evidence);
}

// --- --robustness: a fixed, bounded list of malformed messages -------------------------------

struct Malformed {
  const char* what;
  Bytes bytes;
};

void PutU16(Bytes* b, size_t at, uint16_t v) {
  if (at + 2 <= b->size()) {
    (*b)[at] = static_cast<uint8_t>(v);
    (*b)[at + 1] = static_cast<uint8_t>(v >> 8);
  }
}
void PutU32(Bytes* b, size_t at, uint32_t v) {
  for (size_t i = 0; i < 4 && at + i < b->size(); ++i) {
    (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

std::vector<Malformed> MalformedNegotiates(const Bytes& good) {
  std::vector<Malformed> out;
  Bytes b = good;
  b[0] = 'X';
  out.push_back({"Signature not NTLMSSP", b});
  b = good;
  PutU32(&b, 8, 7);
  out.push_back({"MessageType 7", b});
  out.push_back({"truncated to 12 bytes", Bytes(good.begin(), good.begin() + 12)});
  b = good;
  PutU16(&b, 16, 200);  // DomainNameFields.Len
  PutU16(&b, 18, 200);
  PutU32(&b, 20, 0xfffffff0u);  // BufferOffset far past the end
  out.push_back({"DomainNameFields past the end", b});
  b = good;
  PutU16(&b, 24, 0xffff);  // WorkstationFields.Len 65535
  PutU16(&b, 26, 0xffff);
  PutU32(&b, 28, 32);
  out.push_back({"WorkstationFields.Len 65535", b});
  return out;
}

std::vector<Malformed> MalformedAuthenticates(const Bytes& good) {
  std::vector<Malformed> out;
  Bytes b = good;
  b[1] = 'X';
  out.push_back({"Signature not NTLMSSP", b});
  out.push_back({"truncated to 40 bytes", Bytes(good.begin(), good.begin() + 40)});
  b = good;
  PutU32(&b, 24, 0xfffffff0u);  // NtChallengeResponseFields.BufferOffset
  out.push_back({"NtChallengeResponseFields past the end", b});
  b = good;
  PutU16(&b, 20, 0xffff);  // NtChallengeResponseFields.Len
  PutU16(&b, 22, 0xffff);
  out.push_back({"NtChallengeResponseFields.Len 65535", b});
  b = good;
  PutU32(&b, 40, 8);  // UserNameFields.BufferOffset into the header
  out.push_back({"UserNameFields inside the header", b});
  return out;
}

void Prober::CheckRobustness() {
  const char* neg_id = "robustness.malformed_negotiate";
  const char* auth_id = "robustness.malformed_authenticate";
  const char* alive_id = "robustness.still_serving";
  if (!Selected(neg_id) && !Selected(auth_id) && !Selected(alive_id)) {
    return;
  }
  ntlm::ClientContext client(BaseConfig());
  auto negotiate = client.Negotiate();
  if (!negotiate.ok() || negotiate->size() < 32) {
    SkipAll({neg_id, auth_id, alive_id}, "no NEGOTIATE to start from");
    return;
  }
  // Each malformed message: refused with 4xx (pass), accepted (fail), or answered with a 5xx
  // or a dropped connection (warn: no vulnerability by itself, but not the clean 4xx a client
  // can act on; whether the server still serves is robustness.still_serving's question).
  auto run = [&](const std::vector<Malformed>& list, bool authenticate, const char* id) {
    int refused = 0;
    bool accepted = false;
    std::string bad;
    auto note = [&bad](const std::string& what, const std::string& result) {
      bad += (bad.empty() ? "" : "; ") + what + ": " + result;
    };
    for (const Malformed& m : list) {
      if (authenticate) {
        // A real CHALLENGE first, then the malformed AUTHENTICATE on the same connection.
        HandshakeSpec s;
        s.config = BaseConfig();
        s.replay = m.bytes;
        const Handshake h = RunHandshake(s);
        if (h.refused()) {
          ++refused;
          continue;
        }
        accepted = accepted || h.accepted();
        note(m.what, h.stage == Handshake::Stage::kClosed
                         ? "connection dropped, no answer (" + h.error + ")"
                         : StatusText(h));
        continue;
      }
      auto c = Open();
      if (!c.ok()) {
        note(m.what, c.error().reason);
        continue;
      }
      auto resp = Send(**c, MakeRequest(m.bytes));
      if (resp.ok() && Refused(resp->status)) {
        ++refused;
        continue;
      }
      accepted = accepted || (resp.ok() && Accepted(resp->status));
      note(m.what, resp.ok() ? StatusText(resp->status, RejectOf(*resp))
                             : "connection dropped, no answer (" + resp.error().reason + ")");
    }
    const std::string evidence = std::to_string(refused) + " of " + std::to_string(list.size()) +
                                 " refused with 4xx" + (bad.empty() ? "" : "; " + bad);
    if (Selected(id)) {
      Add(id, bad.empty() ? Outcome::kPass : (accepted ? Outcome::kFail : Outcome::kWarn),
          evidence,
          accepted ? "never answer a malformed NTLM message with success: refuse it with 400 "
                     "(or 401) and a fresh offer"
                   : "answer a malformed NTLM message with 400 (or 401) and a fresh offer "
                     "rather than a server error or a dropped connection");
    }
  };
  if (Selected(neg_id)) {
    if (!negotiate_success_.empty()) {
      Add(neg_id, Outcome::kSkip, Depends("auth.negotiate_alone_refused", negotiate_success_));
    } else {
      run(MalformedNegotiates(*negotiate), false, neg_id);
    }
  }
  if (Selected(auth_id)) {
    if (!login_dependency_.empty()) {
      Add(auth_id, Outcome::kSkip, login_dependency_);
    } else {
      HandshakeSpec s;
      s.config = BaseConfig();
      const Handshake good = RunHandshake(s);
      if (good.authenticate.size() < 64) {
        Add(auth_id, Outcome::kSkip, "no AUTHENTICATE to start from: " + StatusText(good));
      } else {
        run(MalformedAuthenticates(good.authenticate), true, auth_id);
      }
    }
  }
  if (Selected(alive_id)) {
    if (!login_dependency_.empty()) {
      // A login that never worked cannot stop working.
      Add(alive_id, Outcome::kSkip, login_dependency_);
    } else {
      HandshakeSpec s;
      s.config = BaseConfig();
      const Handshake h = RunHandshake(s);
      Add(alive_id, h.accepted() ? Outcome::kPass : Outcome::kFail,
          "a correct login afterwards: " + StatusText(h),
          "the server must survive malformed messages: find what the earlier ones broke");
    }
  }
}

Report Prober::Run() {
  Report report;
  report.target = o_.target;

  if (CheckOffer()) {
    CheckNegotiateForms();
    if (!cut_ && !version_answered_ && !minimal_answered_) {
      fatal_ = "the server answers neither form of NEGOTIATE with a CHALLENGE";
    }
  }
  if (fatal_.empty()) {
    HandshakeSpec baseline;
    baseline.config = BaseConfig();
    baseline.trace = true;
    Progress("baseline handshake");
    const Handshake base = RunHandshake(baseline);
    CheckNegotiateAlone();
    CheckKeepAlive(base);
    CheckChallenge(base);
    CheckServerInfo(base);  // from the baseline CHALLENGE alone: before any later time limit
    CheckLogin(base);
    CheckNonce(base);
    CheckAuth(base);
    CheckPolicy(base);
    CheckBody();
    if (o_.robustness) {
      CheckRobustness();
    }
  }

  // Everything selected and not run is skipped with the reason.
  for (const CheckInfo& c : kCatalogue) {
    if (!Selected(c.id)) {
      continue;
    }
    auto it = results_.find(c.id);
    if (it == results_.end()) {
      CheckResult r;
      r.id = c.id;
      r.result = Outcome::kSkip;
      r.reference = c.reference;
      r.evidence = cut_ ? "not run: " + LimitText()
                        : (fatal_.empty() ? "not run" : "not run: " + fatal_);
      report.checks.push_back(std::move(r));
    } else {
      report.checks.push_back(it->second);
    }
  }
  report.handshake = trace_;
  report.fatal = fatal_;
  if (cut_) {
    report.incomplete = LimitText();
  }
  return report;
}

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kSkip:
      return "skip";
    case Outcome::kInfo:
      return "info";
  }
  return "skip";
}

const std::vector<CheckInfo>& Catalogue() { return kCatalogue; }

const CheckInfo* FindCheck(const std::string& id) {
  for (const CheckInfo& c : kCatalogue) {
    if (id == c.id) {
      return &c;
    }
  }
  return nullptr;
}

bool MatchesChecks(const std::string& globs, const std::string& id) {
  std::stringstream in(globs.empty() ? "*" : globs);
  std::string glob;
  while (std::getline(in, glob, ',')) {
    if (!glob.empty() && fnmatch(glob.c_str(), id.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

Summary Summarize(const Report& report) {
  Summary s;
  for (const CheckResult& c : report.checks) {
    switch (c.result) {
      case Outcome::kPass:
        ++s.pass;
        break;
      case Outcome::kFail:
        ++s.fail;
        break;
      case Outcome::kWarn:
        ++s.warn;
        break;
      case Outcome::kSkip:
        ++s.skip;
        break;
      case Outcome::kInfo:
        ++s.info;
        break;
    }
  }
  return s;
}

int ExitStatus(const Report& report) {
  if (!report.fatal.empty()) {
    return 2;
  }
  const Summary s = Summarize(report);
  if (s.fail > 0) {
    return 1;
  }
  // Stopped by --max-time with nothing failed so far: not every check was tested, and a 0
  // would say more than the probe knows.
  if (!report.incomplete.empty()) {
    return 2;
  }
  // Every selected check that could judge something was skipped (no login possible, say): the
  // target was not probed, and a green result would be a lie.
  if (s.pass == 0 && s.skip > 0) {
    return 2;
  }
  return 0;
}

Report RunProbe(const ProbeOptions& options) {
  Prober p(options);
  return p.Run();
}

}  // namespace ntlmh::probe
