#include "mock_server/auth_gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include <chrono>
#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>

#include "engine/av_pairs.h"
#include "engine/bytes.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/lint.h"
#include "engine/messages.h"
#include "engine/spnego.h"

namespace ntlmh::mock {
namespace {

using ntlm::Bytes;
using ntlm::ByteView;
using nlohmann::json;

struct FaultEntry {
  Fault fault;
  const char* name;
};
constexpr FaultEntry kFaults[] = {
    {Fault::kCloseAfterChallenge, "close-after-challenge"},
    {Fault::kBareSecondLeg, "bare-second-leg"},
    {Fault::kCombinedHeader, "combined-header"},
    {Fault::kLegacyChallenge, "legacy-challenge"},
    {Fault::kEmptyTargetInfo, "empty-target-info"},
    {Fault::kHugeTargetInfo, "huge-target-info"},
    {Fault::kOffsetPastEnd, "offset-past-end"},
    {Fault::kOemOnly, "oem-only"},
    {Fault::kSameChallenge, "same-challenge"},
    {Fault::kAnyPassword, "any-password"},
    {Fault::kSkipMic, "skip-mic"},
    {Fault::kAcceptWrongProof, "accept-wrong-proof"},
    {Fault::kAcceptUnknownUser, "accept-unknown-user"},
    {Fault::kAcceptWrongMic, "accept-wrong-mic"},
    {Fault::kAcceptMissingMic, "accept-missing-mic"},
    {Fault::kAcceptReplay, "accept-replay"},
    {Fault::kUnboundState, "unbound-state"},
    {Fault::kSkipTimestampEcho, "skip-timestamp-echo"},
    {Fault::kSkipTargetInfoEcho, "skip-target-info-echo"},
    {Fault::kLongSessionKey, "long-session-key"},
    {Fault::kLmV2Fallback, "lmv2-fallback"},
    {Fault::kUnknownAvPair, "unknown-av-pair"},
    {Fault::kBothCharsets, "both-charsets"},
    {Fault::kNoNbComputer, "no-nb-computer"},
    {Fault::kRefuseShortNegotiate, "refuse-short-negotiate"},
    {Fault::kRefuseNegotiateVersion, "refuse-negotiate-version"},
    {Fault::kMalformed200, "malformed-200"},
    {Fault::kSilentCloseAfterChallenge, "silent-close-after-challenge"},
    {Fault::kSlowAnswers, "slow-answers"},
};

// An AvId [MS-NLMP] 2.2.2.1 does not define, for the unknown-av-pair fault.
constexpr uint16_t kUndefinedAvId = 0x00f0;
// How many accepted tokens the accept-replay fault remembers.
constexpr size_t kReplayCacheSize = 64;
// NEGOTIATE_MESSAGE with its VERSION field (2.2.1.1): the fixed header is 40 bytes.
constexpr size_t kNegotiateWithVersionSize = 40;

// CHALLENGE_MESSAGE offsets ([MS-NLMP] 2.2.1.2): TargetInfoFields at 40 (Len, MaxLen, Offset).
constexpr size_t kTargetInfoLenOffset = 40;
constexpr size_t kTargetInfoMaxLenOffset = 42;
constexpr size_t kTargetInfoBufferOffset = 44;
// 40000 bytes of UTF-16LE: far beyond any real server's few hundred, yet the base64 header
// value stays under the 64 KiB a Beast header field can hold.
constexpr size_t kHugeTargetInfoChars = 20000;

// Keeps a header value on one line whatever an error text holds.
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
      1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  return buf;
}

json LintJson(const std::vector<ntlm::LintNote>& notes) {
  json out = json::array();
  for (const auto& n : notes) {
    out.push_back({{"severity", ntlm::SeverityName(n.severity)},
                   {"rule", n.rule},
                   {"field", n.field},
                   {"text", n.text}});
  }
  return out;
}

// The NTLM message inside a client token: the token itself (raw NTLMSSP) or the mechToken /
// responseToken of a SPNEGO token. Empty when there is none.
Bytes InnerNtlm(const Bytes& token) {
  if (ntlm::spnego::LooksLikeNtlmssp(token)) {
    return token;
  }
  auto decoded = ntlm::spnego::DecodeNegotiationToken(token);
  if (!decoded.ok()) {
    return {};
  }
  if (const auto* init = decoded->init(); init != nullptr && init->mech_token.has_value()) {
    return *init->mech_token;
  }
  if (const auto* resp = decoded->resp(); resp != nullptr && resp->response_token) {
    return *resp->response_token;
  }
  return {};
}

// Rewrites a raw CHALLENGE for the CHALLENGE faults. Returns |msg| unchanged when it cannot.
Bytes FaultChallenge(const Settings& s, Bytes msg) {
  if (s.Has(Fault::kLegacyChallenge) || s.Has(Fault::kHugeTargetInfo)) {
    auto m = ntlm::DecodeChallenge(msg, ntlm::DecodePolicy::Lenient());
    if (m.ok()) {
      if (s.Has(Fault::kLegacyChallenge)) {
        m->legacy_header = true;
        m->target_info.reset();
        m->version.reset();
        m->flags &= ~(ntlm::kNegotiateTargetInfo | ntlm::kNegotiateVersion);
      } else if (m->target_info.has_value()) {
        (void)m->target_info->SetString(ntlm::AvId::kDnsTreeName,
                                        std::string(kHugeTargetInfoChars, 'x'));
      }
      auto encoded = ntlm::EncodeChallenge(*m);
      if (encoded.ok()) {
        msg = std::move(*encoded);
      }
    }
  }
  if (s.Has(Fault::kEmptyTargetInfo) || s.Has(Fault::kOffsetPastEnd)) {
    ntlm::ByteWriter w;
    (void)w.WriteBytes(msg);
    if (s.Has(Fault::kEmptyTargetInfo)) {
      (void)w.PatchU16Le(kTargetInfoLenOffset, 0);
      (void)w.PatchU16Le(kTargetInfoMaxLenOffset, 0);
    }
    if (s.Has(Fault::kOffsetPastEnd)) {
      (void)w.PatchU32Le(kTargetInfoBufferOffset, static_cast<uint32_t>(msg.size() + 256));
    }
    if (w.ok()) {
      msg = w.Take();
    }
  }
  return msg;
}

bool ChallengeFaulted(const Settings& s) {
  return s.Has(Fault::kLegacyChallenge) || s.Has(Fault::kHugeTargetInfo) ||
         s.Has(Fault::kEmptyTargetInfo) || s.Has(Fault::kOffsetPastEnd);
}

// Applies the CHALLENGE faults to the server's reply, raw or inside a NegTokenResp.
Bytes FaultReply(const Settings& s, Bytes reply) {
  if (!ChallengeFaulted(s)) {
    return reply;
  }
  if (ntlm::spnego::LooksLikeNtlmssp(reply)) {
    return FaultChallenge(s, std::move(reply));
  }
  auto decoded = ntlm::spnego::DecodeNegotiationToken(reply);
  if (!decoded.ok() || decoded->resp() == nullptr || !decoded->resp()->response_token) {
    return reply;
  }
  ntlm::spnego::NegTokenResp resp = *decoded->resp();
  resp.response_token = FaultChallenge(s, *resp.response_token);
  auto encoded = ntlm::spnego::EncodeNegTokenResp(resp);
  return encoded.ok() ? std::move(*encoded) : reply;
}

// The engine's configuration for one handshake, with the faults that act inside the engine
// (its insecure_* switches and the CHALLENGE rewrite).
void ApplyEngineFaults(const Settings& s, ntlm::ServerConfig* config) {
  if (s.Has(Fault::kOemOnly)) {
    config->supported_flags &= ~ntlm::kNegotiateUnicode;
  }
  ntlm::ServerPolicy& p = config->policy;
  p.insecure_skip_timestamp_echo_check = s.Has(Fault::kSkipTimestampEcho);
  p.insecure_skip_target_info_echo_check = s.Has(Fault::kSkipTargetInfoEcho);
  p.insecure_accept_long_session_key = s.Has(Fault::kLongSessionKey);
  p.insecure_accept_lmv2_fallback = s.Has(Fault::kLmV2Fallback);
  const bool unknown = s.Has(Fault::kUnknownAvPair);
  const bool both = s.Has(Fault::kBothCharsets);
  const bool no_nb = s.Has(Fault::kNoNbComputer);
  if (unknown || both || no_nb) {
    config->insecure_rewrite_challenge = [unknown, both, no_nb](ntlm::ChallengeMessage* m) {
      if (both) {
        m->flags |= ntlm::kNegotiateUnicode | ntlm::kNegotiateOem;
      }
      if (m->target_info.has_value()) {
        if (unknown) {
          m->target_info->Set(static_cast<ntlm::AvId>(kUndefinedAvId),
                              Bytes{0x6e, 0x74, 0x6c, 0x6d});
        }
        if (no_nb) {
          m->target_info->Remove(ntlm::AvId::kNbComputerName);
        }
      }
    };
  }
}

}  // namespace

// What every connection of one server shares (for the unbound-state and accept-replay faults).
struct ServerWideState {
  std::mutex mu;
  std::unique_ptr<AuthGate::Pending> pending;  // unbound-state: the one handshake in flight
  // accept-replay: tokens accepted so far, oldest first, with whom they identified.
  std::deque<std::pair<Bytes, ntlm::AcceptResult>> accepted;

  // The handshake still in the slot when the server stops, logged as abandoned.
  void AbandonPending(HandshakeLog* log, const char* why);
};

std::shared_ptr<ServerWideState> NewServerWideState() {
  return std::make_shared<ServerWideState>();
}

const char* FaultName(Fault f) {
  for (const auto& e : kFaults) {
    if (e.fault == f) {
      return e.name;
    }
  }
  return "unknown";
}

std::optional<Fault> ParseFault(std::string_view name) {
  for (const auto& e : kFaults) {
    if (name == e.name) {
      return e.fault;
    }
  }
  return std::nullopt;
}

std::vector<std::string> AllFaultNames() {
  std::vector<std::string> out;
  for (const auto& e : kFaults) {
    out.emplace_back(e.name);
  }
  return out;
}

bool HandshakeLog::Open(const std::string& path) {
  out_.open(path, std::ios::app);
  return out_.is_open();
}

void HandshakeLog::Write(const std::string& json_line) {
  std::lock_guard<std::mutex> lock(mu_);
  out_ << json_line << '\n';
  out_.flush();
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return ntlm::ToHex(ByteView(digest, digest_len));
}

// A check's verdict for the echo and the log: null when the value was sent but never compared
// (the handshake failed earlier, or there was nothing to compare it with), so that a record
// never calls a MIC or a binding wrong that nobody checked.
json Verdict(bool present, bool checked, bool valid) {
  return present && !checked ? json(nullptr) : json(valid);
}

json MicJson(const ntlm::AcceptResult& r) {
  return {{"present", r.mic_present},
          {"valid", Verdict(r.mic_present, r.mic_checked, r.mic_valid)}};
}

json BindingsJson(const ntlm::AcceptResult& r) {
  return {{"present", r.channel_bindings_present},
          {"valid", Verdict(r.channel_bindings_present, r.channel_bindings_checked,
                            r.channel_bindings_valid)}};
}

namespace {

// |s| as a JSON string. Printable ASCII without quote or backslash, what names and paths
// nearly always are, is copied as it is; anything else goes through nlohmann's serializer,
// which escapes controls and replaces bad UTF-8 (names come from the wire).
void AppendJsonString(std::string& out, std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

void AppendVerdict(std::string& out, bool present, bool checked, bool valid) {
  out += present ? "{\"present\":true,\"valid\":" : "{\"present\":false,\"valid\":";
  out += present && !checked ? "null}" : valid ? "true}" : "false}";
}

}  // namespace

// Built by hand, not through nlohmann::json: this is every authenticated answer's body, and
// the tree of a json object cost the server a fifth of its instructions per handshake. The
// text is what nlohmann's dump() gives for the same object (keys in order, no spaces);
// EchoJsonIsWhatNlohmannWouldPrint checks that.
std::string EchoJson(const ntlm::AcceptResult& who, const Request& request) {
  static const std::string kEmptySha256 = Sha256Hex("");
  std::string out;
  out.reserve(512);
  out += "{\"body_length\":";
  out += std::to_string(request.body.size());
  out += ",\"body_sha256\":\"";
  out += request.body.empty() ? kEmptySha256 : Sha256Hex(request.body);
  out += "\",\"channel_bindings\":";
  AppendVerdict(out, who.channel_bindings_present, who.channel_bindings_checked,
                who.channel_bindings_valid);
  out += ",\"content_type\":";
  AppendJsonString(out, request.content_type);
  out += ",\"domain\":";
  AppendJsonString(out, who.domain);
  out += ",\"method\":";
  AppendJsonString(out, request.method);
  out += ",\"mic\":";
  AppendVerdict(out, who.mic_present, who.mic_checked, who.mic_valid);
  out += ",\"path\":";
  AppendJsonString(out, request.target);
  out += ",\"response_kind\":";
  if (who.response_kind) {
    AppendJsonString(out, ntlm::ResponseKindName(*who.response_kind));
  } else {
    out += "null";
  }
  out += ",\"spn\":";
  if (who.spn) {
    AppendJsonString(out, *who.spn);
  } else {
    out += "null";
  }
  out += ",\"user\":";
  AppendJsonString(out, who.user);
  out += ",\"workstation\":";
  AppendJsonString(out, who.workstation);
  out += "}\n";
  return out;
}

// The handshake between CHALLENGE and AUTHENTICATE, with what the log line needs.
struct AuthGate::Pending {
  explicit Pending(ntlm::ServerConfig config) : server(std::move(config)) {}
  ntlm::SpnegoNtlmServer server;
  std::string scheme;  // as the client spelt it
  json log;            // filled as the handshake goes
};

void ServerWideState::AbandonPending(HandshakeLog* log, const char* why) {
  std::lock_guard<std::mutex> lock(mu);
  if (pending != nullptr && log != nullptr) {
    json line = std::move(pending->log);
    line["time"] = NowIso8601();
    line["outcome"] = "abandoned";
    line["reason"] = why;
    log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  pending.reset();
}

void AbandonServerWide(const Settings& settings) {
  if (settings.server_wide != nullptr) {
    settings.server_wide->AbandonPending(settings.log, "server_stopped");
  }
}

AuthGate::AuthGate(std::shared_ptr<const Settings> settings, uint64_t connection_id,
                   std::optional<ntlm::Key16> tls_binding)
    : settings_(std::move(settings)),
      connection_id_(connection_id),
      tls_binding_(tls_binding) {}

AuthGate::~AuthGate() = default;

std::string AuthGate::ChallengeHeaderName() const {
  return settings_->proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
}

int AuthGate::ChallengeStatus() const { return settings_->proxy ? 407 : 401; }

Reply AuthGate::Offer(const char* reject_reason) const {
  Reply r;
  r.status = ChallengeStatus();
  const std::string name = ChallengeHeaderName();
  switch (settings_->scheme) {
    case SchemeChoice::kNtlm:
      r.headers.emplace_back(name, "NTLM");
      break;
    case SchemeChoice::kNegotiate:
      r.headers.emplace_back(name, "Negotiate");
      break;
    case SchemeChoice::kBoth:
      if (settings_->Has(Fault::kCombinedHeader)) {
        r.headers.emplace_back(name, "Negotiate, NTLM");
      } else {
        r.headers.emplace_back(name, "Negotiate");
        r.headers.emplace_back(name, "NTLM");
      }
      break;
  }
  if (reject_reason != nullptr) {
    r.headers.emplace_back("X-NTLM-Reject", reject_reason);
  }
  r.content_type = "text/plain";
  r.body = settings_->proxy ? "proxy authentication required\n" : "authentication required\n";
  return r;
}

Reply AuthGate::Authenticated(const Request& request) const {
  Reply r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = EchoJson(identity_->result, request);
  r.authenticated = true;
  return r;
}

Reply AuthGate::Malformed(const ntlm::Error& error, std::string_view scheme) {
  if (settings_->log != nullptr) {
    json line = {{"time", NowIso8601()},
                 {"connection", connection_id_},
                 {"scheme", std::string(scheme)},
                 {"outcome", "malformed"},
                 {"reason", "malformed"},
                 {"error", error.ToString()}};
    settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  Reply r;
  r.status = settings_->Has(Fault::kMalformed200) ? 200 : 400;
  r.headers.emplace_back("X-NTLM-Error", HeaderSafe(error.field + " at offset " +
                                                    std::to_string(error.offset) + ": " +
                                                    error.reason));
  r.content_type = "text/plain";
  r.body = HeaderSafe(error.ToString()) + "\n";
  return r;
}

void AuthGate::Abandon(const char* why) {
  if (handshake_ == nullptr) {
    return;
  }
  if (settings_->log != nullptr) {
    json line = std::move(handshake_->log);
    line["time"] = NowIso8601();
    line["outcome"] = "abandoned";
    line["reason"] = why;
    settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  handshake_.reset();
}

Reply AuthGate::StartHandshake(std::string_view scheme, const Bytes& token) {
  Abandon("restarted");
  identity_.reset();

  ntlm::ServerConfig config = settings_->engine;
  config.policy.expected_channel_bindings = tls_binding_;
  ApplyEngineFaults(*settings_, &config);
  auto pending = std::make_unique<Pending>(std::move(config));
  pending->scheme = std::string(scheme);

  // The log record is built only for --log (a handshake costs about 3% more with it), and
  // the NEGOTIATE decoded only for the record or the faults that read it.
  const bool logging = settings_->log != nullptr;
  json& log = pending->log;
  if (logging) {
    log["connection"] = connection_id_;
    log["scheme"] = pending->scheme;
  }
  const bool version_faults = settings_->Has(Fault::kRefuseShortNegotiate) ||
                              settings_->Has(Fault::kRefuseNegotiateVersion);
  if (logging || version_faults) {
    const Bytes inner = InnerNtlm(token);
    if (auto neg = ntlm::DecodeNegotiate(inner, ntlm::DecodePolicy::Lenient()); neg.ok()) {
      if (logging) {
        char flags_hex[16];
        std::snprintf(flags_hex, sizeof(flags_hex), "0x%08x", neg->flags);
        log["flags_asked"] = flags_hex;
        log["flags_asked_names"] = ntlm::FlagsToString(neg->flags);
        log["version_sent"] =
            neg->version ? json(ntlm::VersionToString(*neg->version)) : json(nullptr);
        log["version_flag_without_field"] =
            (neg->flags & ntlm::kNegotiateVersion) != 0 && !neg->version.has_value();
        log["negotiate_notes"] = LintJson(ntlm::LintNegotiate(*neg));
      }
      // Faults that refuse one form of a valid NEGOTIATE (2.2.1.1 allows both).
      const bool has_version = inner.size() >= kNegotiateWithVersionSize;
      if (settings_->Has(Fault::kRefuseShortNegotiate) && !has_version) {
        return Malformed(ntlm::MakeError(ntlm::ErrorCode::kTruncated, "MS-NLMP 2.2.1.1",
                                         "NEGOTIATE", inner.size(),
                                         "a NEGOTIATE without VERSION is refused (fault "
                                         "refuse-short-negotiate)"),
                         scheme);
      }
      if (settings_->Has(Fault::kRefuseNegotiateVersion) && has_version) {
        return Malformed(ntlm::MakeError(ntlm::ErrorCode::kBadValue, "MS-NLMP 2.2.1.1", "Version",
                                         32,
                                         "a NEGOTIATE with VERSION is refused (fault "
                                         "refuse-negotiate-version)"),
                         scheme);
      }
    }
  }

  auto reply = pending->server.Start(token);
  if (!reply.ok()) {
    return Malformed(reply.error(), scheme);
  }
  if (logging) {
    log["spnego"] = pending->server.spnego();
  }
  Bytes challenge = FaultReply(*settings_, std::move(*reply));

  Reply r;
  r.status = ChallengeStatus();
  if (settings_->Has(Fault::kBareSecondLeg)) {
    r.headers.emplace_back(ChallengeHeaderName(), std::string(scheme));
  } else {
    r.headers.emplace_back(ChallengeHeaderName(), std::string(scheme) + " " +
                                                      ntlm::http_auth::Base64Encode(challenge));
  }
  r.content_type = "text/plain";
  r.body = "continue the handshake on this connection\n";
  if (settings_->Has(Fault::kUnboundState)) {
    // The handshake waits server-wide: an AUTHENTICATE on any connection finishes it.
    std::lock_guard<std::mutex> lock(settings_->server_wide->mu);
    std::unique_ptr<Pending>& slot = settings_->server_wide->pending;
    if (slot != nullptr && settings_->log != nullptr) {
      json line = std::move(slot->log);
      line["time"] = NowIso8601();
      line["outcome"] = "abandoned";
      line["reason"] = "superseded";  // another NEGOTIATE took the one server-wide slot
      settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    slot = std::move(pending);
  } else {
    handshake_ = std::move(pending);
  }
  if (settings_->Has(Fault::kCloseAfterChallenge)) {
    r.close = true;
    Abandon("fault_close_after_challenge");
  } else if (settings_->Has(Fault::kSilentCloseAfterChallenge)) {
    r.close_unannounced = true;
    Abandon("fault_silent_close_after_challenge");
  }
  return r;
}

Reply AuthGate::FinishHandshake(const Request& request, std::string_view scheme,
                                const Bytes& token) {
  ServerWideState& wide = *settings_->server_wide;
  if (settings_->Has(Fault::kAcceptReplay)) {
    // A token accepted before is taken again, whatever the challenge now pending.
    std::lock_guard<std::mutex> lock(wide.mu);
    for (const auto& [seen, who] : wide.accepted) {
      if (seen == token) {
        Abandon("fault_accept_replay");
        if (settings_->log != nullptr) {
          json line = {{"time", NowIso8601()},      {"connection", connection_id_},
                       {"scheme", std::string(scheme)}, {"outcome", "accepted"},
                       {"reason", "none"},           {"fault", "accept-replay"},
                       {"user", who.user},           {"domain", who.domain},
                       {"workstation", who.workstation}};
          settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        identity_ = Identity{who};
        Reply r = Authenticated(request);
        if (settings_->auth_per_request) {
          identity_.reset();
        }
        return r;
      }
    }
  }
  if (handshake_ == nullptr && settings_->Has(Fault::kUnboundState)) {
    std::lock_guard<std::mutex> lock(wide.mu);
    handshake_ = std::move(wide.pending);
  }
  if (handshake_ == nullptr) {
    const ntlm::RejectReason reason = ntlm::RejectReason::kOutOfOrder;
    if (settings_->log != nullptr) {
      json line = {{"time", NowIso8601()},
                   {"connection", connection_id_},
                   {"scheme", std::string(scheme)},
                   {"outcome", "rejected"},
                   {"reason", ntlm::RejectReasonName(reason)},
                   {"rule", ntlm::RejectReasonRule(reason)},
                   {"error", "an AUTHENTICATE with no CHALLENGE pending on this connection"}};
      settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return Offer(ntlm::RejectReasonName(reason));
  }
  std::unique_ptr<Pending> pending = std::move(handshake_);
  ntlm::SpnegoNtlmServer::Outcome outcome = pending->server.Finish(token);
  ntlm::AcceptResult& result = outcome.result;

  // Faults that let a refusal through.
  std::string faulted;
  if (!result.ok()) {
    using ntlm::RejectReason;
    const RejectReason reason = result.reason;
    const bool wrong_proof = reason == RejectReason::kWrongProof;
    const bool unknown_user = reason == RejectReason::kUnknownUser;
    const bool mic_wrong = reason == RejectReason::kMicWrong;
    const bool mic_missing = reason == RejectReason::kMicMissing;
    if (settings_->Has(Fault::kAnyPassword) && (wrong_proof || unknown_user)) {
      faulted = "any-password";
    } else if (settings_->Has(Fault::kSkipMic) && (mic_wrong || mic_missing)) {
      faulted = "skip-mic";
    } else if (settings_->Has(Fault::kAcceptWrongProof) && wrong_proof) {
      faulted = "accept-wrong-proof";
    } else if (settings_->Has(Fault::kAcceptUnknownUser) && unknown_user) {
      faulted = "accept-unknown-user";
    } else if (settings_->Has(Fault::kAcceptWrongMic) && mic_wrong) {
      faulted = "accept-wrong-mic";
    } else if (settings_->Has(Fault::kAcceptMissingMic) && mic_missing) {
      faulted = "accept-missing-mic";
    }
  }
  const ntlm::RejectReason reason = result.reason;
  const bool accepted = result.ok() || !faulted.empty();

  if (settings_->log != nullptr) {
    json line = std::move(pending->log);
    line["time"] = NowIso8601();
    line["outcome"] = accepted ? "accepted" : "rejected";
    line["reason"] = ntlm::RejectReasonName(reason);
    if (reason != ntlm::RejectReason::kNone) {
      line["rule"] = ntlm::RejectReasonRule(reason);
      if (result.error.has_value()) {
        line["error"] = result.error->ToString();  // field, offset and why; never a secret
      }
    }
    if (!faulted.empty()) {
      line["fault"] = faulted;
    }
    line["user"] = result.user;
    line["domain"] = result.domain;
    line["workstation"] = result.workstation;
    line["response_kind"] =
        result.response_kind ? json(ntlm::ResponseKindName(*result.response_kind)) : json(nullptr);
    line["mic"] = MicJson(result);
    line["channel_bindings"] = BindingsJson(result);
    line["spn"] = result.spn ? json(*result.spn) : json(nullptr);
    if (pending->server.spnego()) {
      line["mech_list_mic"] = {{"present", outcome.mech_list_mic_present},
                               {"valid", outcome.mech_list_mic_valid}};
    }
    const Bytes inner = InnerNtlm(token);
    if (auto auth = ntlm::DecodeAuthenticate(inner, ntlm::DecodePolicy::Lenient()); auth.ok()) {
      line["authenticate_version_sent"] =
          auth->version ? json(ntlm::VersionToString(*auth->version)) : json(nullptr);
      line["authenticate_notes"] = LintJson(ntlm::LintAuthenticate(*auth));
    }
    settings_->log->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  if (reason == ntlm::RejectReason::kMalformed && faulted.empty()) {
    ntlm::Error error = result.error.value_or(ntlm::MakeError(
        ntlm::ErrorCode::kBadValue, "", "AUTHENTICATE", 0, "malformed AUTHENTICATE"));
    Reply r;
    r.status = settings_->Has(Fault::kMalformed200) ? 200 : 400;
    r.headers.emplace_back("X-NTLM-Reject", "malformed");
    r.headers.emplace_back("X-NTLM-Error", HeaderSafe(error.field + " at offset " +
                                                      std::to_string(error.offset) + ": " +
                                                      error.reason));
    r.content_type = "text/plain";
    r.body = HeaderSafe(error.ToString()) + "\n";
    return r;
  }
  if (!accepted) {
    return Offer(ntlm::RejectReasonName(reason));
  }

  if (settings_->Has(Fault::kAcceptReplay)) {
    std::lock_guard<std::mutex> lock(wide.mu);
    ntlm::AcceptResult remembered = result;
    remembered.exported_session_key = {};
    wide.accepted.emplace_back(token, std::move(remembered));
    if (wide.accepted.size() > kReplayCacheSize) {
      wide.accepted.pop_front();
    }
  }
  Identity who{std::move(result)};
  Reply r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = EchoJson(who.result, request);
  r.authenticated = true;
  if (!outcome.reply.empty() && !settings_->proxy) {
    r.headers.emplace_back(ChallengeHeaderName(),
                           std::string(scheme) + " " +
                               ntlm::http_auth::Base64Encode(outcome.reply));
  }
  if (!settings_->auth_per_request) {
    identity_ = std::move(who);
  }
  return r;
}

TunnelTarget CheckTunnelTarget(std::string_view authority) {
  TunnelTarget t;
  auto bad = [&t](int status, std::string reason) {
    t.status = status;
    t.reason = std::move(reason);
    return t;
  };
  const std::string shown = HeaderSafe(authority.substr(0, 256));
  if (authority.empty()) {
    return bad(400, "empty CONNECT target: authority-form is host:port [RFC 9112 3.2.3]");
  }
  if (authority.front() == '/' || authority.find("://") != std::string_view::npos) {
    return bad(400, "CONNECT target '" + shown +
                        "' is not authority-form host:port (no path, no URL) [RFC 9112 3.2.3]");
  }
  if (const size_t at = authority.find('@'); at != std::string_view::npos) {
    return bad(400, "CONNECT target '" + shown + "': '@' at offset " + std::to_string(at) +
                        ": authority-form has no userinfo [RFC 9112 3.2.3]");
  }
  std::string_view host;
  std::string_view port;
  const bool bracketed = authority.front() == '[';
  if (bracketed) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad(400, "CONNECT target '" + shown + "': '[' at offset 0 is never closed by ']' "
                      "[RFC 3986 3.2.2]");
    }
    host = authority.substr(1, close - 1);
    if (close + 1 >= authority.size() || authority[close + 1] != ':') {
      return bad(400, "CONNECT target '" + shown + "' has no port: authority-form is host:port "
                      "[RFC 9112 3.2.3]");
    }
    port = authority.substr(close + 2);
  } else {
    const size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
      return bad(400, "CONNECT target '" + shown + "' has no port: authority-form is host:port "
                      "[RFC 9112 3.2.3]");
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (const size_t inner = host.find(':'); inner != std::string_view::npos) {
      return bad(400, "CONNECT target '" + shown + "': ':' at offset " + std::to_string(inner) +
                          ": an IPv6 literal goes in brackets [RFC 3986 3.2.2]");
    }
  }
  if (host.empty()) {
    return bad(400, "CONNECT target '" + shown + "' has no host [RFC 9112 3.2.3]");
  }
  const size_t port_offset = authority.size() - port.size();
  if (port.empty()) {
    return bad(400, "CONNECT target '" + shown + "' has an empty port at offset " +
                        std::to_string(port_offset) + " [RFC 9112 3.2.3]");
  }
  uint32_t value = 0;
  for (size_t i = 0; i < port.size(); ++i) {
    if (port[i] < '0' || port[i] > '9' || i >= 5) {
      return bad(400, "CONNECT target '" + shown + "': the port at offset " +
                          std::to_string(port_offset) + " is not a number in 1..65535 "
                          "[RFC 3986 3.2.3]");
    }
    value = value * 10 + static_cast<uint32_t>(port[i] - '0');
  }
  if (value == 0 || value > 65535) {
    return bad(400, "CONNECT target '" + shown + "': the port at offset " +
                        std::to_string(port_offset) + " is not a number in 1..65535 "
                        "[RFC 3986 3.2.3]");
  }
  t.port = static_cast<uint16_t>(value);

  // The safety rule of the mock proxy: loopback only, decided on the text alone.
  const std::string name(host);
  const std::string refused = "the mock proxy tunnels to loopback only (127.0.0.0/8, [::1], "
                              "localhost): '" + HeaderSafe(name.substr(0, 256)) +
                              "' is not; no connection was attempted";
  if (!bracketed && ntlm::http_auth::EqualsIgnoreCase(name, "localhost")) {
    t.address = "127.0.0.1";
    return t;
  }
  if (bracketed) {
    in6_addr a6{};
    if (inet_pton(AF_INET6, name.c_str(), &a6) != 1) {
      return bad(400, "CONNECT target '" + shown + "': '" + HeaderSafe(name) +
                          "' in brackets is not an IPv6 address [RFC 3986 3.2.2]");
    }
    if (!IN6_IS_ADDR_LOOPBACK(&a6)) {
      return bad(403, refused);
    }
    t.address = "::1";
    return t;
  }
  in_addr a4{};
  if (inet_pton(AF_INET, name.c_str(), &a4) != 1) {
    return bad(403, refused);  // a name other than localhost: never resolved
  }
  const auto* octets = reinterpret_cast<const unsigned char*>(&a4.s_addr);
  if (octets[0] != 127) {
    return bad(403, refused);
  }
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a4, text, sizeof(text));
  t.address = text;
  return t;
}

Reply AuthGate::Handle(const Request& request) {
  const bool take_ntlm = settings_->scheme != SchemeChoice::kNegotiate;
  const bool take_negotiate = settings_->scheme != SchemeChoice::kNtlm;

  // The first credentials of a scheme this server takes.
  std::optional<ntlm::http_auth::Challenge> credentials;
  for (const std::string& value : request.authorization) {
    auto parsed = ntlm::http_auth::ParseChallenges(value);
    if (!parsed.ok()) {
      ntlm::Error e = parsed.error();
      e.field = settings_->proxy ? "Proxy-Authorization" : "Authorization";
      return Malformed(e, "");
    }
    for (auto& c : *parsed) {
      if ((take_ntlm && c.SchemeIs("NTLM")) || (take_negotiate && c.SchemeIs("Negotiate"))) {
        credentials = std::move(c);
        break;
      }
    }
    if (credentials) {
      break;
    }
  }

  if (!credentials || credentials->token68.empty()) {
    if (identity_.has_value() && !settings_->auth_per_request) {
      return Authenticated(request);
    }
    Abandon("no_credentials");
    return Offer(nullptr);
  }

  auto token = ntlm::http_auth::Base64Decode(credentials->token68);
  if (!token.ok()) {
    ntlm::Error e = token.error();
    e.field = settings_->proxy ? "Proxy-Authorization" : "Authorization";
    e.offset += credentials->token68_offset;
    Abandon("malformed_token");
    return Malformed(e, credentials->scheme);
  }

  const bool negotiate = credentials->SchemeIs("Negotiate");
  if (ntlm::spnego::LooksLikeNtlmssp(*token)) {
    auto type = ntlm::PeekMessageType(*token);
    if (!type.ok()) {
      Abandon("malformed_token");
      return Malformed(type.error(), credentials->scheme);
    }
    if (*type == ntlm::MessageType::kNegotiate) {
      return StartHandshake(credentials->scheme, *token);
    }
    if (*type == ntlm::MessageType::kAuthenticate) {
      return FinishHandshake(request, credentials->scheme, *token);
    }
    Abandon("malformed_token");
    return Malformed(ntlm::MakeError(ntlm::ErrorCode::kWrongMessageType, "MS-NLMP 2.2.1",
                                     "MessageType", 8,
                                     "a client sends NEGOTIATE (1) or AUTHENTICATE (3)"),
                     credentials->scheme);
  }
  if (negotiate && ntlm::spnego::LooksLikeSpnego(*token)) {
    const uint8_t first = (*token)[0];
    if (first == 0xa1 && handshake_ != nullptr) {
      return FinishHandshake(request, credentials->scheme, *token);
    }
    return StartHandshake(credentials->scheme, *token);
  }
  Abandon("malformed_token");
  return Malformed(ntlm::MakeError(ntlm::ErrorCode::kBadSignature, "MS-NLMP 2.2.1", "token", 0,
                                   negotiate ? "neither an NTLMSSP message nor a SPNEGO token"
                                             : "not an NTLMSSP message"),
                   credentials->scheme);
}

}  // namespace ntlmh::mock
