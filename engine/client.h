// The client (initiator) side of NTLM, [MS-NLMP] 3.1.5.1: NEGOTIATE out, CHALLENGE in,
// AUTHENTICATE out, then session security. Bytes in, bytes out: no transport.
//
// Example:
//   ClientConfig cfg;
//   cfg.user = "DOMAIN\\alice";
//   cfg.secret.password = "s3cret";
//   ClientContext client(cfg);
//   Result<Bytes> negotiate = client.Negotiate();            // send as "NTLM <base64>"
//   Result<Bytes> authenticate = client.Authenticate(chal);  // the server's CHALLENGE
//   Result<SessionSecurity> session = client.Session();
//
// Safety: the client refuses what an attacker or a broken server could push it into
// (ClientErrorReason below): a downgrade to NTLMv1/LM the caller did not allow, a CHALLENGE that
// selects no character set, a target info too large for a sane AUTHENTICATE, a malformed
// CHALLENGE.
#ifndef NTLM_ENGINE_CLIENT_H_
#define NTLM_ENGINE_CLIENT_H_

#include <optional>
#include <string>

#include "engine/bytes.h"
#include "engine/compute.h"
#include "engine/credentials.h"
#include "engine/decode_policy.h"
#include "engine/environment.h"
#include "engine/error.h"
#include "engine/flags.h"
#include "engine/messages.h"
#include "engine/session.h"

namespace ntlm {

// UNICODE, OEM, REQUEST_TARGET, NTLM, ALWAYS_SIGN, ESS, VERSION, 128, KEY_EXCH, 56 (and
// TARGET_INFO is the server's to set). OEM is offered so that an OEM-only server can answer.
inline constexpr uint32_t kDefaultClientFlags =
    kNegotiateUnicode | kNegotiateOem | kRequestTarget | kNegotiateNtlm | kNegotiateAlwaysSign |
    kNegotiateExtendedSessionSecurity | kNegotiateVersion | kNegotiate128 | kNegotiateKeyExch |
    kNegotiate56;

// The VERSION the client sends: 10.0.20348, revision 15.
inline constexpr Version kDefaultClientVersion{10, 0, 20348, {0, 0, 0}, kNtlmRevisionW2k3};

// The largest target info the client will echo in its NTLMv2 blob. Windows servers send a few
// hundred bytes; anything near 64 KiB would make the AUTHENTICATE overflow its 16-bit lengths.
inline constexpr size_t kMaxClientTargetInfo = 8192;

enum class ChannelBindingMode : uint8_t {
  kNone,      // no MsvAvChannelBindings pair
  kZero,      // an explicit all-zero MsvAvChannelBindings (what clients send without TLS)
  kHash,      // ClientConfig::channel_bindings_hash (e.g. TlsServerEndPointBindingsHash)
};

struct ClientConfig {
  // "DOMAIN\user", "user@dns.domain" or "user"; |domain| below overrides the parsed domain
  // when set. The domain placed in the AUTHENTICATE is the one NTOWFv2 uses.
  std::string user;
  std::optional<std::string> domain;
  Secret secret;
  std::string workstation;
  bool anonymous = false;

  uint32_t negotiate_flags = kDefaultClientFlags;
  // For testing servers (and replaying [MS-NLMP] 4.2.2): the AUTHENTICATE carries exactly
  // these flags instead of those derived from the NEGOTIATE and the CHALLENGE.
  std::optional<uint32_t> authenticate_flags;
  std::optional<Version> version = kDefaultClientVersion;  // nullopt: no VERSION flag/field
  // Which response to send: NTLMv2 by default. The others are sent only when chosen here, and
  // a server cannot push the client into them.
  ResponseKind response = ResponseKind::kNtlmV2;
  // With NTLMv2 and a CHALLENGE carrying MsvAvTimestamp: send a MIC (and MsvAvFlags 0x2),
  // and LMv2 as Z(24) ([MS-NLMP] 3.1.5.1.2).
  bool send_mic = true;
  std::optional<std::string> spn;  // MsvAvTargetName, e.g. "HTTP/server.example.com"
  ChannelBindingMode channel_binding = ChannelBindingMode::kNone;
  Key16 channel_bindings_hash{};
  DecodePolicy challenge_policy = DecodePolicy::Lenient();
  // NtlmMinClientSec ([MS-NLMP] 3.1.5.1.2: the client refuses a CHALLENGE whose features are
  // not strong enough for its policy): 0x20000000, ClientRequire128bitEncryption, needs
  // NTLMSSP_NEGOTIATE_128; 0x00080000 needs NTLMv2 or extended session security.
  bool require_128bit = false;
  bool require_session_security = false;
};

class ClientContext {
 public:
  explicit ClientContext(ClientConfig config);
  // Not part of the API: a fixed environment (engine/internal/test_seam.h).
  ClientContext(ClientConfig config, Environment* env);

  // NEGOTIATE_MESSAGE, 2.2.1.1 / 3.1.5.1.1.
  [[nodiscard]] Result<Bytes> Negotiate();

  // AUTHENTICATE_MESSAGE for |challenge|, 3.1.5.1.2. May be called without Negotiate() (the
  // MIC then covers an empty NEGOTIATE, as for connectionless NTLM).
  [[nodiscard]] Result<Bytes> Authenticate(ByteView challenge);

  // After Authenticate:
  uint32_t negotiated_flags() const { return flags_; }
  const Key16& exported_session_key() const { return exported_session_key_; }
  const Key16& session_base_key() const { return session_base_key_; }
  ResponseKind response_kind() const { return config_.anonymous ? ResponseKind::kAnonymous
                                                                : config_.response; }
  bool mic_sent() const { return mic_sent_; }
  const ChallengeMessage& challenge() const { return challenge_; }
  [[nodiscard]] Result<SessionSecurity> Session() const;

 private:
  ClientConfig config_;
  Environment* env_;
  Bytes negotiate_;
  ChallengeMessage challenge_;
  uint32_t flags_ = 0;
  Key16 exported_session_key_{};
  Key16 session_base_key_{};
  bool mic_sent_ = false;
  bool authenticated_ = false;
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_CLIENT_H_
