// The server (acceptor) side of NTLM, [MS-NLMP] 3.2.5: NEGOTIATE in, CHALLENGE out,
// AUTHENTICATE in, verdict out. Bytes in, values out: no transport.
//
// One ServerContext is one handshake on one connection: it issues one server challenge and
// accepts at most one AUTHENTICATE for it (a second one fails with kChallengeReplayed).
//
// Example:
//   ServerConfig cfg;  cfg.store = ...;  cfg.identity.nb_domain = "DOMAIN";
//   ServerContext server(cfg);
//   Result<Bytes> challenge = server.Challenge(negotiate_bytes);
//   AcceptResult r = server.Accept(authenticate_bytes);
//   if (r.ok()) { ... r.user, r.session ... } else { log(RejectReasonName(r.reason)); }
#ifndef NTLM_ENGINE_SERVER_H_
#define NTLM_ENGINE_SERVER_H_

#include <functional>
#include <optional>
#include <string>

#include "engine/bytes.h"
#include "engine/compute.h"
#include "engine/credentials.h"
#include "engine/decode_policy.h"
#include "engine/environment.h"
#include "engine/error.h"
#include "engine/messages.h"
#include "engine/session.h"

namespace ntlm {

// What the server announces in its CHALLENGE (2.2.1.2, 2.2.2.1).
struct ServerIdentity {
  std::string nb_computer = "SERVER";
  std::string nb_domain = "DOMAIN";
  std::string dns_computer = "server.domain.test";
  std::string dns_domain = "domain.test";
  std::string dns_tree;                       // empty: no MsvAvDnsTreeName
  bool target_is_domain = true;               // TargetName = nb_domain, TARGET_TYPE_DOMAIN
  bool send_timestamp = true;                 // MsvAvTimestamp
  std::optional<Version> version = Version{10, 0, 20348, {0, 0, 0}, kNtlmRevisionW2k3};
};

// Extended Protection for Authentication (channel bindings), as IIS names it.
enum class EpaMode : uint8_t { kOff, kAccept, kRequire };

// Policies modelled on Windows' settings.
struct ServerPolicy {
  // LmCompatibilityLevel on the server (domain controller) side: 0..3 accept LM, NTLMv1 and
  // NTLMv2; 4 refuses LM; 5 accepts NTLMv2 only (the default). See docs/policies.md.
  int lm_compatibility_level = 5;
  // NtlmMinServerSec: require 128-bit session keys (0x20000000) and/or extended session
  // security or NTLMv2 (0x00080000).
  bool require_128bit = false;
  bool require_session_security = false;
  EpaMode epa = EpaMode::kOff;
  // The binding the server expects (e.g. TlsServerEndPointBindingsHash of its certificate).
  // With kAccept an absent or all-zero binding passes and a wrong one fails; with kRequire
  // only the expected one passes.
  std::optional<Key16> expected_channel_bindings;
  bool require_mic = false;
  bool allow_anonymous = false;
  // How long a challenge may wait for its AUTHENTICATE, in 100 ns ticks (0: forever). Also the
  // allowed skew of the client's NTLMv2 timestamp. Default 5 minutes.
  uint64_t challenge_lifetime = 5ull * 60 * 10000000;
  DecodePolicy decode_policy = DecodePolicy::Lenient();

  // Fault injection, for the mock server (`ntlmh serve --fault ...`) and the tests that show a
  // probe check failing. Each switch turns off one check of 3.2.5.1.2 that this server makes
  // and a hardened server should make. All are off by default; never turn them on in a server
  // that protects anything (mock_server/README.md lists the faults that use them).
  //
  // Accept an NTLMv2 blob whose MsvAvTimestamp differs from, or lacks, the one issued (3.3.2).
  bool insecure_skip_timestamp_echo_check = false;
  // Accept an NTLMv2 blob that lacks or changes the issued MsvAvNbDomainName or
  // MsvAvNbComputerName (3.3.2: temp carries the CHALLENGE's TargetInfo).
  bool insecure_skip_target_info_echo_check = false;
  // Accept a KEY_EXCH EncryptedRandomSessionKey longer than 16 bytes; its first 16 are used
  // (2.2.1.3 fixes it at 16).
  bool insecure_accept_long_session_key = false;
  // Accept an NTLMv2 AUTHENTICATE whose NTProofStr does not verify when its LMv2 response does,
  // as the pseudo-code of 3.2.5.1.2 allows. LMv2 does not cover the blob, so its MsvAvFlags,
  // timestamp and channel bindings can then be rewritten.
  bool insecure_accept_lmv2_fallback = false;
};

struct ServerConfig {
  CredentialStore store;
  ServerIdentity identity;
  ServerPolicy policy;
  // The CHALLENGE's flags are the client's NEGOTIATE flags intersected with these, plus the
  // server's own (TARGET_INFO, TARGET_TYPE_*), per 3.2.5.1.1.
  // UNICODE, OEM, REQUEST_TARGET, SIGN, SEAL, NTLM, ALWAYS_SIGN, ESS, TARGET_INFO, VERSION, 128,
  // KEY_EXCH, 56.
  uint32_t supported_flags = 0xE2888237;
  // A fixed server challenge instead of the CSPRNG's (reproducible tests only).
  std::optional<Challenge8> fixed_challenge;
  // Fault injection (see ServerPolicy's insecure_* switches): rewrites the CHALLENGE before it
  // is encoded. The rewritten message is the one issued: the MIC covers its bytes and the echo
  // checks compare against its target info. Empty (the default): no rewrite.
  std::function<void(ChallengeMessage*)> insecure_rewrite_challenge;
};

// Why an AUTHENTICATE was refused. Stable names: RejectReasonName().
enum class RejectReason : uint8_t {
  kNone = 0,
  kMalformed,                 // decode error (AcceptResult::error has field and offset)
  kOutOfOrder,                // AUTHENTICATE before a CHALLENGE
  kChallengeReplayed,         // a second AUTHENTICATE for the same challenge
  kChallengeExpired,          // after challenge_lifetime
  kUnknownUser,
  kWrongProof,                // NTProofStr / NTLMv1 / LM response does not verify
  kLmRefused,                 // LM response under LmCompatibilityLevel >= 4
  kNtlmV1Refused,             // NTLMv1 (with or without ESS) under LmCompatibilityLevel 5
  kAnonymousRefused,
  kSessionSecurityTooWeak,    // NtlmMinServerSec not met
  kMicMissing,                // MsvAvFlags says MIC (or policy requires one) but there is none
  kMicWrong,
  kChannelBindingMissing,
  kChannelBindingMismatch,
  kTimestampMismatch,         // the echoed MsvAvTimestamp differs from the one issued
  kTargetInfoMismatch,        // an issued AV pair is missing or changed in the client's blob
  kBadSessionKey,             // KEY_EXCH with an EncryptedRandomSessionKey that is not 16 bytes
};
const char* RejectReasonName(RejectReason r);  // "wrong_proof", ...
const char* RejectReasonRule(RejectReason r);  // "MS-NLMP 3.2.5.1.2", ...

struct AcceptResult {
  RejectReason reason = RejectReason::kNone;
  std::optional<Error> error;  // for kMalformed, and a readable detail for the others
  bool ok() const { return reason == RejectReason::kNone; }

  // What the client sent (filled as far as decoding got, also on failure).
  std::string user;
  std::string domain;
  std::string workstation;
  std::optional<ResponseKind> response_kind;
  bool mic_present = false;
  bool mic_checked = false;  // the MIC was computed and compared (needs the right secret)
  bool mic_valid = false;
  bool channel_bindings_present = false;  // a non-zero MsvAvChannelBindings
  // Compared with the expected value: only when there is one and every check before passed.
  bool channel_bindings_checked = false;
  bool channel_bindings_valid = false;
  std::optional<std::string> spn;         // MsvAvTargetName

  // On success:
  uint32_t negotiated_flags = 0;
  Key16 exported_session_key{};
};

class ServerContext {
 public:
  explicit ServerContext(ServerConfig config);
  // Not part of the API: a fixed environment (engine/internal/test_seam.h).
  ServerContext(ServerConfig config, Environment* env);

  // CHALLENGE_MESSAGE for a NEGOTIATE (3.2.5.1.1). A malformed NEGOTIATE is an error.
  [[nodiscard]] Result<Bytes> Challenge(ByteView negotiate);

  // Verifies an AUTHENTICATE (3.2.5.1.2). The challenge is consumed whatever the outcome.
  AcceptResult Accept(ByteView authenticate);

  // Session security for the accepted client (after a successful Accept).
  [[nodiscard]] Result<SessionSecurity> Session() const;

  const std::optional<Challenge8>& server_challenge() const { return server_challenge_; }
  const Bytes& challenge_message() const { return challenge_; }

 private:
  ServerConfig config_;
  Environment* env_;
  Bytes negotiate_;
  Bytes challenge_;
  std::optional<Challenge8> server_challenge_;
  TargetInfo issued_target_info_;
  uint64_t issued_at_ = 0;
  bool consumed_ = false;
  uint32_t flags_ = 0;
  std::optional<AcceptResult> accepted_;
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_SERVER_H_
