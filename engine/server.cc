// The server (acceptor) context, [MS-NLMP] 3.2.5.1.1 (NEGOTIATE in, CHALLENGE out) and
// 3.2.5.1.2 (AUTHENTICATE in, verdict out). See server.h for the API and docs/policies.md for
// the policy switches.
#include "engine/server.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "engine/flags.h"

namespace ntlm {
namespace {

constexpr char kRuleNegotiate[] = "MS-NLMP 3.2.5.1.1";
constexpr char kRuleAuthenticate[] = "MS-NLMP 3.2.5.1.2";

// NTLMv2_RESPONSE (2.2.2.8): NTProofStr, then the NTLMv2_CLIENT_CHALLENGE whose fixed header is
// 28 bytes (2.2.2.7). A shorter "NTLMv2" response cannot even hold its header.
constexpr size_t kNtProofStrSize = 16;
constexpr size_t kNtlmV1ResponseSize = 24;  // NTLM_RESPONSE (2.2.2.6), LM_RESPONSE (2.2.2.3)
constexpr size_t kMinNtlmV2ResponseSize = kNtProofStrSize + kNtlmV2ClientChallengeHeaderSize;

// NEGOTIATE-only flags ([MS-NLMP] 2.2.2.5 J, K, L) that have no meaning in a CHALLENGE.
constexpr uint32_t kNegotiateOnlyFlags =
    kNegotiateAnonymous | kNegotiateOemDomainSupplied | kNegotiateOemWorkstationSupplied;

// Wipes key material on every path out of a scope.
class Wipe {
 public:
  explicit Wipe(Key16* k) : k_(k) {}
  ~Wipe() { OPENSSL_cleanse(k_->data(), k_->size()); }
  Wipe(const Wipe&) = delete;
  Wipe& operator=(const Wipe&) = delete;

 private:
  Key16* k_;
};

bool AllZero(ByteView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

ErrorCode CodeFor(RejectReason reason) {
  switch (reason) {
    case RejectReason::kUnknownUser:
    case RejectReason::kWrongProof:
    case RejectReason::kMicWrong:
    case RejectReason::kChannelBindingMismatch:
    case RejectReason::kTimestampMismatch:
    case RejectReason::kTargetInfoMismatch:
      return ErrorCode::kAuthenticationFailed;
    case RejectReason::kMalformed:
    case RejectReason::kBadSessionKey:
      return ErrorCode::kBadValue;
    default:
      return ErrorCode::kPolicyViolation;
  }
}

// Fills |r| as a rejection. The key fields are cleared: they are reported on success only.
AcceptResult Reject(AcceptResult r, RejectReason reason, std::string field, size_t offset,
                    std::string text) {
  r.reason = reason;
  r.error = MakeError(CodeFor(reason), RejectReasonRule(reason), std::move(field), offset,
                      std::move(text));
  r.negotiated_flags = 0;
  r.exported_session_key = {};
  return r;
}

}  // namespace

const char* RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kNone:
      return "none";
    case RejectReason::kMalformed:
      return "malformed";
    case RejectReason::kOutOfOrder:
      return "out_of_order";
    case RejectReason::kChallengeReplayed:
      return "challenge_replayed";
    case RejectReason::kChallengeExpired:
      return "challenge_expired";
    case RejectReason::kUnknownUser:
      return "unknown_user";
    case RejectReason::kWrongProof:
      return "wrong_proof";
    case RejectReason::kLmRefused:
      return "lm_refused";
    case RejectReason::kNtlmV1Refused:
      return "ntlmv1_refused";
    case RejectReason::kAnonymousRefused:
      return "anonymous_refused";
    case RejectReason::kSessionSecurityTooWeak:
      return "session_security_too_weak";
    case RejectReason::kMicMissing:
      return "mic_missing";
    case RejectReason::kMicWrong:
      return "mic_wrong";
    case RejectReason::kChannelBindingMissing:
      return "channel_binding_missing";
    case RejectReason::kChannelBindingMismatch:
      return "channel_binding_mismatch";
    case RejectReason::kTimestampMismatch:
      return "timestamp_mismatch";
    case RejectReason::kTargetInfoMismatch:
      return "target_info_mismatch";
    case RejectReason::kBadSessionKey:
      return "bad_session_key";
  }
  return "unknown";
}

const char* RejectReasonRule(RejectReason r) {
  switch (r) {
    case RejectReason::kNone:
      return "";
    // The message itself: 2.2.1.3 and the structures it carries.
    case RejectReason::kMalformed:
      return "MS-NLMP 2.2.1.3";
    // The sequence NEGOTIATE, CHALLENGE, AUTHENTICATE, and the one-time nonce of 3.2.5.1.1.
    case RejectReason::kOutOfOrder:
      return "MS-NLMP 3.2.5";
    case RejectReason::kChallengeReplayed:
      return "MS-NLMP 3.2.5.1.1";
    case RejectReason::kChallengeExpired:
      return "MS-NLMP 3.2.5.1.1";
    // The lookup and the expected responses of 3.2.5.1.2 (computed as in 3.3).
    case RejectReason::kUnknownUser:
      return "MS-NLMP 3.2.5.1.2";
    case RejectReason::kWrongProof:
      return "MS-NLMP 3.2.5.1.2";
    // The refused response kinds are those of 3.3.1 (LmCompatibilityLevel is Windows' switch).
    case RejectReason::kLmRefused:
      return "MS-NLMP 3.3.1";
    case RejectReason::kNtlmV1Refused:
      return "MS-NLMP 3.3.1";
    case RejectReason::kAnonymousRefused:
      return "MS-NLMP 3.2.5.1.2";
    case RejectReason::kSessionSecurityTooWeak:
      return "MS-NLMP 3.2.5.1.2";
    case RejectReason::kMicMissing:
      return "MS-NLMP 3.2.5.1.2";
    case RejectReason::kMicWrong:
      return "MS-NLMP 3.2.5.1.2";
    // ServerChannelBindingsUnhashed and ApplicationRequiresCBT, 3.2.1.2, checked in 3.2.5.1.2.
    case RejectReason::kChannelBindingMissing:
      return "MS-NLMP 3.2.5.1.2";
    case RejectReason::kChannelBindingMismatch:
      return "MS-NLMP 3.2.5.1.2";
    // The client echoes the CHALLENGE's target info (with its MsvAvTimestamp) in temp, 3.3.2.
    case RejectReason::kTimestampMismatch:
      return "MS-NLMP 3.3.2";
    case RejectReason::kTargetInfoMismatch:
      return "MS-NLMP 3.3.2";
    case RejectReason::kBadSessionKey:
      return "MS-NLMP 3.2.5.1.2";
  }
  return "";
}

ServerContext::ServerContext(ServerConfig config)
    : ServerContext(std::move(config), &SystemEnvironment()) {}

ServerContext::ServerContext(ServerConfig config, Environment* env)
    : config_(std::move(config)), env_(env != nullptr ? env : &SystemEnvironment()) {}

// [MS-NLMP] 3.2.5.1.1: decode the NEGOTIATE, choose the flags, issue a nonce and the target
// info. The NEGOTIATE's raw bytes are kept for the MIC (3.1.5.1.2).
Result<Bytes> ServerContext::Challenge(ByteView negotiate) {
  if (server_challenge_.has_value()) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleNegotiate, "ServerContext", 0,
                     "a server context issues one CHALLENGE; use a new context per handshake");
  }
  Result<NegotiateMessage> neg = DecodeNegotiate(negotiate, config_.policy.decode_policy);
  if (!neg.ok()) {
    return neg.error();
  }
  const ServerIdentity& id = config_.identity;

  // Flags: what both sides support (2.2.2.5: 56, 128, KEY_EXCH, ESS, SIGN, SEAL are returned
  // only when the client asked), then the server's own.
  const uint32_t offered = neg->flags & config_.supported_flags;
  uint32_t flags = offered & ~(kNegotiateUnicode | kNegotiateOem | kNegotiateOnlyFlags |
                               kTargetTypeDomain | kTargetTypeServer);
  // Exactly one character set (2.2.2.5 A, B): UNICODE when offered, else OEM.
  if ((offered & kNegotiateUnicode) != 0) {
    flags |= kNegotiateUnicode;
  } else if ((offered & kNegotiateOem) != 0) {
    flags |= kNegotiateOem;
  } else {
    return MakeError(ErrorCode::kPolicyViolation, kRuleNegotiate, "NegotiateFlags", 12,
                     "the NEGOTIATE offers neither NTLMSSP_NEGOTIATE_UNICODE nor "
                     "NTLM_NEGOTIATE_OEM (among the supported flags)");
  }
  // 2.2.2.5 P: ESS and LM_KEY are mutually exclusive; ESS wins.
  if ((flags & kNegotiateExtendedSessionSecurity) != 0) {
    flags &= ~kNegotiateLmKey;
  }
  // TargetName and its type are sent always, as Windows does (the 4.2 examples too, without
  // REQUEST_TARGET); REQUEST_TARGET itself is echoed when the client set it.
  flags |= kNegotiateTargetInfo;
  flags |= id.target_is_domain ? kTargetTypeDomain : kTargetTypeServer;
  if (id.version.has_value()) {
    flags |= kNegotiateVersion;
  } else {
    flags &= ~kNegotiateVersion;
  }

  // The nonce, "intended for one-time use".
  Challenge8 nonce{};
  if (config_.fixed_challenge.has_value()) {
    nonce = *config_.fixed_challenge;
  } else if (Status s = env_->Random(nonce); !s.ok()) {
    return s.error();
  }

  // Target info (2.2.2.1), in the order Windows sends it.
  const uint64_t now = env_->NowFileTime();
  TargetInfo ti;
  ti.pairs.reserve(6);  // the five names and the timestamp
  struct Name {
    AvId id;
    const std::string* value;
    bool always;
  };
  const Name names[] = {
      {AvId::kNbDomainName, &id.nb_domain, true},
      {AvId::kNbComputerName, &id.nb_computer, true},
      {AvId::kDnsDomainName, &id.dns_domain, false},
      {AvId::kDnsComputerName, &id.dns_computer, false},
      {AvId::kDnsTreeName, &id.dns_tree, false},
  };
  for (const Name& n : names) {
    if (!n.always && n.value->empty()) {
      continue;
    }
    if (Status s = ti.SetString(n.id, *n.value); !s.ok()) {
      return s.error().Nested("ServerIdentity." + AvIdName(static_cast<uint16_t>(n.id)), 0);
    }
  }
  if (id.send_timestamp) {
    ti.SetTimestamp(now);
  }

  ChallengeMessage msg;
  msg.flags = flags;
  msg.target_name = id.target_is_domain ? id.nb_domain : id.nb_computer;
  msg.server_challenge = nonce;
  msg.target_info = std::move(ti);
  msg.version = id.version;
  if (config_.insecure_rewrite_challenge) {
    config_.insecure_rewrite_challenge(&msg);
  }
  Result<Bytes> encoded = EncodeChallenge(msg);
  if (!encoded.ok()) {
    return encoded.error();
  }

  negotiate_.assign(negotiate.begin(), negotiate.end());
  challenge_ = *encoded;
  server_challenge_ = nonce;
  issued_target_info_ = std::move(msg.target_info).value_or(TargetInfo{});
  issued_at_ = now;
  flags_ = msg.flags;
  consumed_ = false;
  accepted_.reset();
  return encoded;
}

// [MS-NLMP] 3.2.5.1.2. The checks run in this order, and the first that fails decides:
//   sequence (no challenge, replay), decoding, challenge lifetime, response kind (anonymous,
//   malformed), LmCompatibilityLevel, account lookup, the response itself, NtlmMinServerSec,
//   session keys, the echoed target info (NTLMv2), the MIC, channel bindings (NTLMv2).
AcceptResult ServerContext::Accept(ByteView authenticate) {
  AcceptResult r;
  const ServerPolicy& policy = config_.policy;

  // 3.2.5: an AUTHENTICATE answers a CHALLENGE this context issued, and only once (3.2.5.1.1:
  // the nonce is "intended for one-time use"). The challenge is consumed whatever follows.
  if (!server_challenge_.has_value()) {
    return Reject(std::move(r), RejectReason::kOutOfOrder, "ServerContext", 0,
                  "an AUTHENTICATE before any CHALLENGE");
  }
  if (consumed_) {
    return Reject(std::move(r), RejectReason::kChallengeReplayed, "ServerContext", 0,
                  "a second AUTHENTICATE for the same server challenge");
  }
  consumed_ = true;
  const Challenge8& server_challenge = *server_challenge_;
  const uint64_t now = env_->NowFileTime();

  // The strings in the character set this context chose in its CHALLENGE (2.2.2.5 A, B;
  // StringCharset in messages.h), whatever the AUTHENTICATE's own flag says.
  Result<AuthenticateMessage> decoded = DecodeAuthenticate(
      authenticate, policy.decode_policy,
      (flags_ & kNegotiateUnicode) != 0 ? StringCharset::kUnicode : StringCharset::kOem);
  if (!decoded.ok()) {
    r.reason = RejectReason::kMalformed;
    r.error = decoded.error();
    return r;
  }
  const AuthenticateMessage& m = *decoded;
  r.user = m.user;
  r.domain = m.domain;
  r.workstation = m.workstation;
  r.mic_present = m.mic.has_value();
  const TargetInfo* blob_av = m.ntlmv2.has_value() ? &m.ntlmv2->blob.av_pairs : nullptr;
  const AvPair* binding = blob_av != nullptr ? blob_av->Find(AvId::kChannelBindings) : nullptr;
  if (blob_av != nullptr) {
    r.spn = blob_av->GetString(AvId::kTargetName);
    r.channel_bindings_present = binding != nullptr && !AllZero(binding->value);
  }

  // Challenge lifetime (0: none). A clock that went backwards does not expire anything.
  if (policy.challenge_lifetime != 0 && now > issued_at_ &&
      now - issued_at_ > policy.challenge_lifetime) {
    return Reject(std::move(r), RejectReason::kChallengeExpired, "ServerContext", 0,
                  "the AUTHENTICATE came " + std::to_string((now - issued_at_) / 10000) +
                      " ms after the CHALLENGE, more than the challenge lifetime");
  }

  // The negotiated flags: those of the CHALLENGE that the client kept in its AUTHENTICATE. A
  // client cannot add a flag the server did not offer.
  uint32_t flags = flags_ & m.flags;
  if ((flags & kNegotiateExtendedSessionSecurity) != 0) {
    flags &= ~kNegotiateLmKey;
  }

  // The response kind, from the shapes of the responses (3.3, as ntlm::ResponseKind in lint.h).
  const ByteView nt(m.nt_response);
  const ByteView lm(m.lm_response);
  const bool lm_empty_or_z1 = lm.empty() || (lm.size() == 1 && lm[0] == 0);
  ResponseKind kind = ResponseKind::kAnonymous;
  if (nt.empty() && lm_empty_or_z1) {
    // 3.2.5.1.2: "If the user name and response are empty, the server authenticates the client
    // as the ANONYMOUS user". A user name with no response proves nothing about that user: it
    // is a failed proof (not anonymous, and not a shape error: the message is well formed).
    if (!m.user.empty()) {
      return Reject(std::move(r), RejectReason::kWrongProof, "NtChallengeResponseFields", 20,
                    "an empty response cannot prove the password of a named user");
    }
    kind = ResponseKind::kAnonymous;
  } else if (nt.size() > kNtlmV1ResponseSize) {
    if (nt.size() < kMinNtlmV2ResponseSize || !m.ntlmv2.has_value()) {
      return Reject(std::move(r), RejectReason::kMalformed, "NtChallengeResponseFields", 20,
                    "an NTLMv2 response of " + std::to_string(nt.size()) +
                        " bytes cannot hold NTProofStr and the client challenge header");
    }
    kind = ResponseKind::kNtlmV2;
  } else if (nt.size() == kNtlmV1ResponseSize) {
    // ESS (3.3.1): LmChallengeResponse = ClientChallenge || Z(16).
    const bool ess = (flags & kNegotiateExtendedSessionSecurity) != 0 &&
                     lm.size() == kNtlmV1ResponseSize && AllZero(lm.subspan(8));
    kind = ess ? ResponseKind::kNtlmV1Ess : ResponseKind::kNtlmV1;
  } else if (nt.empty() && lm.size() == kNtlmV1ResponseSize) {
    kind = ResponseKind::kLm;
  } else {
    return Reject(std::move(r), RejectReason::kMalformed, "NtChallengeResponseFields", 20,
                  "an NT response of " + std::to_string(nt.size()) + " bytes (LM " +
                      std::to_string(lm.size()) + ") is none of NTLMv2, NTLMv1, LM or anonymous");
  }
  r.response_kind = kind;

  if (kind == ResponseKind::kAnonymous && !policy.allow_anonymous) {
    return Reject(std::move(r), RejectReason::kAnonymousRefused, "UserNameFields", 36,
                  "anonymous authentication is not allowed by the server policy");
  }

  // LmCompatibilityLevel as a domain controller applies it: 0..3 accept LM, NTLMv1 and
  // NTLMv2; 4 refuses LM; 5 refuses LM and NTLMv1 (NTLMv2 only).
  const int level = std::clamp(policy.lm_compatibility_level, 0, 5);
  if (kind == ResponseKind::kLm && level >= 4) {
    return Reject(std::move(r), RejectReason::kLmRefused, "LmChallengeResponseFields", 12,
                  "an LM response under LmCompatibilityLevel " + std::to_string(level));
  }
  if ((kind == ResponseKind::kNtlmV1 || kind == ResponseKind::kNtlmV1Ess) && level >= 5) {
    return Reject(
        std::move(r), RejectReason::kNtlmV1Refused, "NtChallengeResponseFields", 20,
        std::string("an ") + ResponseKindName(kind) + " response under LmCompatibilityLevel 5");
  }

  // The account, and the response it must have produced (3.2.5.1.2, computed as in 3.3).
  Key16 session_base_key{};
  Wipe wipe_base(&session_base_key);
  std::optional<Key16> lm_owf;
  if (kind != ResponseKind::kAnonymous) {
    const Account* account = config_.store.Find(m.domain, m.user, config_.identity.nb_domain);
    if (account == nullptr) {
      return Reject(std::move(r), RejectReason::kUnknownUser, "UserNameFields", 36,
                    "no account " + (m.domain.empty() ? config_.identity.nb_domain : m.domain) +
                        "\\" + m.user);
    }
    Result<Key16> nt_owf_result = account->secret.NtOwfV1();
    if (!nt_owf_result.ok()) {
      return Reject(std::move(r), RejectReason::kWrongProof, "UserNameFields", 36,
                    "the account has no usable secret");
    }
    Key16 nt_owf = *nt_owf_result;
    Wipe wipe_nt_owf(&nt_owf);
    // LMOWFv1 serves the LM response and the NTLMv1 KXKEY only (3.3.1, 3.4.5.1): not
    // computed for NTLMv2, where its DES cost was a twentieth of the server's handshake.
    if (kind != ResponseKind::kNtlmV2) {
      Result<Key16> lm_owf_result = account->secret.LmOwfV1();
      if (lm_owf_result.ok()) {
        lm_owf = *lm_owf_result;
      }
    }

    bool good = false;
    switch (kind) {
      case ResponseKind::kNtlmV2: {
        // ResponseKeyNT = NTOWFv2 with the user and domain exactly as the client sent them.
        // NTProofStr is recomputed over the blob bytes as received.
        Result<Key16> key_result = NtOwfV2(nt_owf, m.user, m.domain);
        if (!key_result.ok()) {
          return Reject(std::move(r), RejectReason::kWrongProof, "UserNameFields", 36,
                        "NTOWFv2 cannot be computed for this user name");
        }
        Key16 key = *key_result;
        Wipe wipe_key(&key);
        // NTProofStr and the session base key that follows from it, the key's HMAC states
        // computed once for both.
        NtlmV2Check check = CheckNtlmV2OverTemp(key, server_challenge, nt.subspan(kNtProofStrSize));
        Wipe wipe_check(&check.session_base_key);
        const Key16& proof = check.nt_proof_str;
        good = ConstantTimeEqual(proof, nt.first(kNtProofStrSize));
        if (!good && policy.insecure_accept_lmv2_fallback && lm.size() == kNtlmV1ResponseSize) {
          // LMv2 = HMAC_MD5(LMOWFv2, ServerChallenge || CChallenge) || CChallenge (3.3.2), with
          // LMOWFv2 = NTOWFv2.
          Challenge8 lm_client_challenge{};
          std::memcpy(lm_client_challenge.data(), lm.data() + kNtProofStrSize,
                      lm_client_challenge.size());
          const Response24 expected_lm = LmV2Response(key, server_challenge, lm_client_challenge);
          good = ConstantTimeEqual(expected_lm, lm);
        }
        // [MS-NLMP] 3.2.5.1.2 would also accept a correct LMv2 when the NTProofStr differs.
        // We do not: LMv2 does not cover the NTLMv2 blob, so MsvAvFlags (the MIC), channel
        // bindings, the SPN and the timestamp could then be rewritten by a relay. See
        // docs/deviations.md.
        session_base_key = check.session_base_key;
        break;
      }
      case ResponseKind::kNtlmV1: {
        const Response24 expected = NtlmV1Response(nt_owf, server_challenge);
        good = ConstantTimeEqual(expected, nt);
        session_base_key = NtlmV1SessionBaseKey(nt_owf);
        break;
      }
      case ResponseKind::kNtlmV1Ess: {
        Challenge8 client_challenge{};
        std::memcpy(client_challenge.data(), lm.data(), client_challenge.size());
        const NtlmV1EssResponses expected =
            NtlmV1EssResponse(nt_owf, server_challenge, client_challenge);
        good = ConstantTimeEqual(expected.nt, nt);
        session_base_key = NtlmV1SessionBaseKey(nt_owf);
        break;
      }
      case ResponseKind::kLm: {
        // An account known only by its NT hash has no LMOWFv1: it cannot answer LM.
        if (lm_owf.has_value()) {
          const Response24 expected = LmV1Response(*lm_owf, server_challenge);
          good = ConstantTimeEqual(expected, lm);
        }
        session_base_key = NtlmV1SessionBaseKey(nt_owf);
        break;
      }
      case ResponseKind::kAnonymous:
        break;
    }
    if (!good) {
      return Reject(std::move(r), RejectReason::kWrongProof, "NtChallengeResponseFields", 20,
                    std::string("the ") + ResponseKindName(kind) + " response does not verify");
    }
  }

  // NtlmMinServerSec (3.2.5.1.2: "not strong enough for the server security policy"), which
  // applies to anonymous clients too.
  if (policy.require_128bit && (flags & kNegotiate128) == 0) {
    return Reject(std::move(r), RejectReason::kSessionSecurityTooWeak, "NegotiateFlags", 60,
                  "128-bit session security is required and NTLMSSP_NEGOTIATE_128 is not "
                  "negotiated");
  }
  if (policy.require_session_security && kind != ResponseKind::kNtlmV2 &&
      (flags & kNegotiateExtendedSessionSecurity) == 0) {
    return Reject(std::move(r), RejectReason::kSessionSecurityTooWeak, "NegotiateFlags", 60,
                  "NTLMv2 session security is required and neither NTLMv2 nor "
                  "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is used");
  }

  // Session keys: KXKEY (3.4.5.1), then ExportedSessionKey (3.2.5.1.2).
  Key16 key_exchange_key{};
  Wipe wipe_kxkey(&key_exchange_key);
  if (kind == ResponseKind::kNtlmV2 || kind == ResponseKind::kAnonymous) {
    key_exchange_key = KxKeyNtlmV2(session_base_key);
  } else {
    Result<Key16> kx = KxKeyNtlmV1(flags, session_base_key, lm, server_challenge, lm_owf);
    if (!kx.ok()) {
      return Reject(std::move(r), RejectReason::kBadSessionKey, kx.error().field, 0,
                    kx.error().reason);
    }
    key_exchange_key = *kx;
  }
  // An anonymous client has no secret to protect a key with: when it sends no encrypted key,
  // the exported key is KXKEY = Z(16) even under KEY_EXCH (a 16-byte one is still decrypted).
  const bool anonymous_without_key =
      kind == ResponseKind::kAnonymous && m.encrypted_random_session_key.empty();
  ByteView wire_key(m.encrypted_random_session_key);
  if (policy.insecure_accept_long_session_key && wire_key.size() > Key16{}.size()) {
    wire_key = wire_key.first(Key16{}.size());
  }
  Result<Key16> exported = anonymous_without_key
                               ? Result<Key16>(key_exchange_key)
                               : ExportedSessionKeyFromWire(flags, key_exchange_key, wire_key);
  if (!exported.ok()) {
    return Reject(std::move(r), RejectReason::kBadSessionKey, "EncryptedRandomSessionKeyFields", 52,
                  exported.error().reason);
  }
  Key16 exported_key = *exported;
  Wipe wipe_exported(&exported_key);

  // The target info the client echoed in its blob (3.3.2 temp.ServerName = the CHALLENGE's
  // TargetInfo), now that NTProofStr has authenticated it.
  if (kind == ResponseKind::kNtlmV2) {
    const std::optional<uint64_t> issued_time = issued_target_info_.GetTimestamp();
    if (policy.insecure_skip_timestamp_echo_check) {
      // Fault injection: neither the echo nor the client's clock is checked.
    } else if (issued_time.has_value()) {
      const std::optional<uint64_t> echoed = blob_av->GetTimestamp();
      if (!echoed.has_value() || *echoed != *issued_time) {
        return Reject(std::move(r), RejectReason::kTimestampMismatch,
                      "NtChallengeResponse.AvPairs.MsvAvTimestamp", 0,
                      echoed.has_value() ? "the echoed MsvAvTimestamp differs from the one issued"
                                         : "the issued MsvAvTimestamp is missing from the blob");
      }
    } else if (policy.challenge_lifetime != 0) {
      // No timestamp issued: the client's own clock must be within the lifetime of ours.
      const uint64_t t = m.ntlmv2->blob.timestamp;
      const uint64_t skew = t > now ? t - now : now - t;
      if (skew > policy.challenge_lifetime) {
        return Reject(std::move(r), RejectReason::kTimestampMismatch,
                      "NtChallengeResponse.TimeStamp", 0,
                      "the client's timestamp is " + std::to_string(skew / 10000000) +
                          " s away from the server's clock, more than the challenge lifetime");
      }
    }
    for (AvId id : {AvId::kNbDomainName, AvId::kNbComputerName}) {
      const AvPair* issued = issued_target_info_.Find(id);
      if (issued == nullptr || policy.insecure_skip_target_info_echo_check) {
        continue;
      }
      const AvPair* echoed = blob_av->Find(id);
      if (echoed == nullptr || echoed->value != issued->value) {
        const std::string name = AvIdName(static_cast<uint16_t>(id));
        return Reject(std::move(r), RejectReason::kTargetInfoMismatch,
                      "NtChallengeResponse.AvPairs." + name, 0,
                      echoed == nullptr ? "the issued " + name + " is missing from the blob"
                                        : "the echoed " + name + " differs from the one issued");
      }
    }
  }

  // MIC (3.2.5.1.2): announced by MsvAvFlags 0x2 in the blob, or demanded by the policy. It is
  // checked over NEGOTIATE || CHALLENGE || AUTHENTICATE-with-MIC-zeroed as received. An
  // anonymous client has no secret key, so a MIC would prove nothing: not checked.
  if (kind != ResponseKind::kAnonymous) {
    const std::optional<uint32_t> av_flags =
        blob_av != nullptr ? blob_av->GetFlags() : std::nullopt;
    const bool announced = av_flags.has_value() && (*av_flags & kAvFlagMicPresent) != 0;
    const bool needed = announced || policy.require_mic;
    if (m.mic.has_value()) {
      Result<Bytes> zeroed = ZeroMicField(authenticate);
      if (zeroed.ok()) {
        const Key16 mic = ComputeMic(exported_key, negotiate_, challenge_, *zeroed);
        r.mic_checked = true;
        r.mic_valid = ConstantTimeEqual(mic, *m.mic);
      }
    }
    if (needed && !m.mic.has_value()) {
      return Reject(std::move(r), RejectReason::kMicMissing, "MIC", kAuthenticateMicOffset,
                    announced ? "MsvAvFlags announces a MIC but the message has none"
                              : "the server policy requires a MIC and the message has none");
    }
    if (needed && !r.mic_valid) {
      return Reject(std::move(r), RejectReason::kMicWrong, "MIC", kAuthenticateMicOffset,
                    "the MIC does not verify");
    }
  }

  // Channel bindings (MsvAvChannelBindings, NTLMv2 only; an all-zero value is no binding). An
  // NTLMv1 or LM response cannot carry one: under EPA it counts as missing. Anonymous binds
  // nothing and is not checked.
  if (r.channel_bindings_present && policy.expected_channel_bindings.has_value()) {
    r.channel_bindings_checked = true;
    r.channel_bindings_valid = ConstantTimeEqual(binding->value, *policy.expected_channel_bindings);
  }
  if (kind != ResponseKind::kAnonymous && policy.epa != EpaMode::kOff) {
    if (policy.epa == EpaMode::kRequire && !r.channel_bindings_present) {
      return Reject(std::move(r), RejectReason::kChannelBindingMissing,
                    "NtChallengeResponse.AvPairs.MsvAvChannelBindings", 0,
                    kind == ResponseKind::kNtlmV2
                        ? "channel bindings are required and the blob has none"
                        : "channel bindings are required and an " +
                              std::string(ResponseKindName(kind)) + " response cannot carry them");
    }
    if (r.channel_bindings_present && !r.channel_bindings_valid) {
      return Reject(std::move(r), RejectReason::kChannelBindingMismatch,
                    "NtChallengeResponse.AvPairs.MsvAvChannelBindings", 0,
                    "the channel bindings are not those of this channel");
    }
  }

  r.reason = RejectReason::kNone;
  r.negotiated_flags = flags;
  r.exported_session_key = exported_key;
  accepted_ = r;
  return r;
}

Result<SessionSecurity> ServerContext::Session() const {
  if (!accepted_.has_value() || !accepted_->ok()) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleAuthenticate, "ServerContext", 0,
                     "no AUTHENTICATE has been accepted");
  }
  return SessionSecurity::Create(accepted_->negotiated_flags, accepted_->exported_session_key,
                                 Side::kServer);
}

}  // namespace ntlm
