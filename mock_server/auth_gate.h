// The HTTP side of NTLM for one TCP connection of the mock server ([MS-NTHT] 3.2, [MS-NLMP]
// 3.2.5): which status and headers answer a request, given the connection's handshake state.
// Plain values in, plain values out: no sockets and no Beast here, so that the transport
// (server.cc) stays the only translation unit that pays for Boost.Beast, and so that this part
// can be tested without one.
//
// One AuthGate lives with one TCP connection, never with a client address. A NEGOTIATE starts a
// handshake (one engine SpnegoNtlmServer) on that connection; the AUTHENTICATE must come on the
// same connection. After success the connection stays authenticated, as IIS keeps it, unless
// Settings::auth_per_request.
//
// Example:
//   auto settings = std::make_shared<const Settings>(...);
//   AuthGate gate(settings, /*connection_id=*/7, /*tls_binding=*/std::nullopt);
//   Reply reply = gate.Handle(request);   // 401 offer, 401 CHALLENGE, 200 JSON, 400 ...
#ifndef NTLMH_MOCK_SERVER_AUTH_GATE_H_
#define NTLMH_MOCK_SERVER_AUTH_GATE_H_

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compute.h"
#include "engine/server.h"
#include "engine/spnego_ntlm.h"

namespace ntlmh::mock {

// Which schemes the server offers and takes ([MS-NTHT] 2.2, RFC 4559).
enum class SchemeChoice : uint8_t { kNtlm, kNegotiate, kBoth };

// Faults: deliberate misbehaviour, to test how clients cope with broken servers. Stable names:
// FaultName(); mock_server/README.md describes each.
enum class Fault : uint8_t {
  kCloseAfterChallenge,  // "close-after-challenge": send the CHALLENGE, then close
  kBareSecondLeg,        // "bare-second-leg": answer the NEGOTIATE with a bare "NTLM"
  kCombinedHeader,       // "combined-header": "WWW-Authenticate: Negotiate, NTLM" in one line
  kLegacyChallenge,      // "legacy-challenge": the 32-byte CHALLENGE without target info
  kEmptyTargetInfo,      // "empty-target-info": TARGET_INFO set, target info empty
  kHugeTargetInfo,       // "huge-target-info": a 40000-byte target info
  kOffsetPastEnd,        // "offset-past-end": TargetInfoFields.BufferOffset past the end
  kOemOnly,              // "oem-only": never select UNICODE
  kSameChallenge,        // "same-challenge": one server challenge for every handshake
  kAnyPassword,          // "any-password": a wrong password or unknown user is accepted
  kSkipMic,              // "skip-mic": a missing or wrong MIC is accepted
  // The faults below each break one rule that `ntlmh probe` checks (docs/probe.md).
  kAcceptWrongProof,        // "accept-wrong-proof": a response that does not verify is accepted
  kAcceptUnknownUser,       // "accept-unknown-user": an unknown user is accepted
  kAcceptWrongMic,          // "accept-wrong-mic": a wrong MIC is accepted (a missing one is not)
  kAcceptMissingMic,        // "accept-missing-mic": a MIC announced but missing is accepted
  kAcceptReplay,            // "accept-replay": a token accepted once is accepted again, anywhere
  kUnboundState,            // "unbound-state": the handshake is server-wide, not per connection
  kSkipTimestampEcho,       // "skip-timestamp-echo": the echoed MsvAvTimestamp is not checked
  kSkipTargetInfoEcho,      // "skip-target-info-echo": the echoed NetBIOS names are not checked
  kLongSessionKey,          // "long-session-key": a 64-byte EncryptedRandomSessionKey is taken
  kLmV2Fallback,            // "lmv2-fallback": a correct LMv2 rescues a wrong NTProofStr
  kUnknownAvPair,           // "unknown-av-pair": an undefined AvId in the target info
  kBothCharsets,            // "both-charsets": the CHALLENGE sets both UNICODE and OEM
  kNoNbComputer,            // "no-nb-computer": no MsvAvNbComputerName in the target info
  kRefuseShortNegotiate,    // "refuse-short-negotiate": 400 for a NEGOTIATE without VERSION
  kRefuseNegotiateVersion,  // "refuse-negotiate-version": 400 for a NEGOTIATE with VERSION
  kMalformed200,            // "malformed-200": a malformed token is answered 200, not 400
  // For `ntlmh probe`'s transport findings (issue #6).
  kSilentCloseAfterChallenge,  // "silent-close-after-challenge": CHALLENGE, then close unannounced
  kSlowAnswers,                // "slow-answers": every answer waits Settings::answer_delay
};
const char* FaultName(Fault f);
std::optional<Fault> ParseFault(std::string_view name);
std::vector<std::string> AllFaultNames();

// One JSON line per finished (or abandoned) handshake, shared by every connection. Never holds
// a password, a hash, a key or a response.
class HandshakeLog {
 public:
  // False when |path| cannot be opened for appending.
  [[nodiscard]] bool Open(const std::string& path);
  void Write(const std::string& json_line);

 private:
  std::mutex mu_;
  std::ofstream out_;
};

// State shared by every connection of one server, for the faults that break connection
// binding (kUnboundState) and replay protection (kAcceptReplay). Defined in auth_gate.cc.
struct ServerWideState;
std::shared_ptr<ServerWideState> NewServerWideState();
struct Settings;
// At server stop: the unbound-state handshake still waiting server-wide is logged as
// abandoned ("server_stopped") and dropped. The server calls it once its threads are joined.
void AbandonServerWide(const Settings& settings);

struct Settings {
  ntlm::ServerConfig engine;  // copied into one SpnegoNtlmServer per handshake
  SchemeChoice scheme = SchemeChoice::kNtlm;
  bool proxy = false;             // 407 / Proxy-Authenticate / Proxy-Authorization
  bool auth_per_request = false;  // every request needs its own handshake
  std::set<Fault> faults;
  HandshakeLog* log = nullptr;    // not owned; may be null
  std::chrono::milliseconds answer_delay{1000};  // Fault::kSlowAnswers
  // Shared by copies of these settings (one server); used only by the faults above.
  std::shared_ptr<ServerWideState> server_wide = NewServerWideState();

  bool Has(Fault f) const { return faults.count(f) != 0; }
};

// A request as the gate needs it.
struct Request {
  std::string method;
  std::string target;
  std::string content_type;
  std::vector<std::string> authorization;  // every Authorization (or Proxy-Authorization) value
  std::string_view body;
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // in order; names may repeat
  std::string body;
  std::string content_type;  // empty: no body type
  bool close = false;        // close the connection after this reply
  // Close it after this reply without announcing it (no Connection: close): a fault.
  bool close_unannounced = false;
  // The request passed authentication (this is the echo): for --proxy, a CONNECT may tunnel.
  bool authenticated = false;
};

// The target of a CONNECT to the mock proxy (RFC 9110 9.3.6), in authority-form "host:port"
// (RFC 9112 3.2.3), and the proxy's safety rule: a tunnel goes to a loopback literal
// (127.0.0.0/8, [::1]) or "localhost" only (RFC 6761 6.3: a loopback name, taken as 127.0.0.1
// without asking a resolver). |status| 0: |address| (an IP literal) and |port| say where to
// connect; 400: malformed; 403: not loopback (nothing is resolved or connected). |reason| is
// one line naming the problem.
struct TunnelTarget {
  int status = 0;
  std::string reason;
  std::string address;
  uint16_t port = 0;
};
TunnelTarget CheckTunnelTarget(std::string_view authority);

class AuthGate {
 public:
  // |tls_binding|: TlsServerEndPointBindingsHash of the server's certificate (HTTPS only); it
  // becomes ServerPolicy::expected_channel_bindings.
  AuthGate(std::shared_ptr<const Settings> settings, uint64_t connection_id,
           std::optional<ntlm::Key16> tls_binding);
  ~AuthGate();

  Reply Handle(const Request& request);

  // A CHALLENGE was sent and its AUTHENTICATE has not come yet.
  bool handshake_pending() const { return handshake_ != nullptr; }
  bool authenticated() const { return identity_.has_value(); }

  // The connection ends: a pending handshake is logged as abandoned.
  void Abandon(const char* why);

 private:
  struct Identity {
    ntlm::AcceptResult result;
  };
  struct Pending;  // the handshake between CHALLENGE and AUTHENTICATE
  friend struct ServerWideState;

  Reply Offer(const char* reject_reason) const;
  Reply Authenticated(const Request& request) const;
  Reply Malformed(const ntlm::Error& error, std::string_view scheme);
  Reply StartHandshake(std::string_view scheme, const ntlm::Bytes& token);
  Reply FinishHandshake(const Request& request, std::string_view scheme,
                        const ntlm::Bytes& token);
  std::string ChallengeHeaderName() const;
  int ChallengeStatus() const;

  std::shared_ptr<const Settings> settings_;
  uint64_t connection_id_;
  std::optional<ntlm::Key16> tls_binding_;
  std::unique_ptr<Pending> handshake_;
  std::optional<Identity> identity_;
};

// The 200 body: JSON with user, domain, workstation, response_kind, mic, channel_bindings, spn,
// method, path, content_type, body_length, body_sha256 (hex, SHA-256 by OpenSSL EVP).
std::string EchoJson(const ntlm::AcceptResult& who, const Request& request);

// Lower-case hex SHA-256 of |data|.
std::string Sha256Hex(std::string_view data);

}  // namespace ntlmh::mock

#endif  // NTLMH_MOCK_SERVER_AUTH_GATE_H_
