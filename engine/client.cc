// The client side of NTLM: [MS-NLMP] 3.1.5.1.1 (NEGOTIATE), 3.1.5.1.2 (CHALLENGE in,
// AUTHENTICATE out), 3.3 (responses), 3.4.5 (keys).
#include "engine/client.h"

#include <algorithm>
#include <cstring>

#include "engine/av_pairs.h"

namespace ntlm {

namespace {

constexpr char kRuleNegotiate[] = "MS-NLMP 3.1.5.1.1";
constexpr char kRuleAuthenticate[] = "MS-NLMP 3.1.5.1.2";

// Adjusts the configured flags to the response kind asked for, so the NEGOTIATE says what the
// client will do: extended session security for ESS and NTLMv2 (Windows sends it with v2),
// none for plain NTLMv1 and LM.
uint32_t FlagsForKind(uint32_t flags, ResponseKind kind, bool anonymous) {
  if (kind == ResponseKind::kNtlmV1 || kind == ResponseKind::kLm) {
    flags &= ~kNegotiateExtendedSessionSecurity;
  } else if (kind == ResponseKind::kNtlmV1Ess) {
    flags |= kNegotiateExtendedSessionSecurity;
  }
  if (anonymous) {
    flags |= kNegotiateAnonymous;
  }
  return flags;
}

}  // namespace

ClientContext::ClientContext(ClientConfig config)
    : ClientContext(std::move(config), &SystemEnvironment()) {}

ClientContext::ClientContext(ClientConfig config, Environment* env)
    : config_(std::move(config)), env_(env) {
  if (config_.anonymous) {
    config_.response = ResponseKind::kAnonymous;
  }
}

Result<Bytes> ClientContext::Negotiate() {
  NegotiateMessage m;
  m.flags = FlagsForKind(config_.negotiate_flags, config_.response, config_.anonymous);
  if (config_.version.has_value()) {
    m.flags |= kNegotiateVersion;
    m.version = config_.version;
  } else {
    m.flags &= ~kNegotiateVersion;
  }
  if ((m.flags & (kNegotiateUnicode | kNegotiateOem)) == 0) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleNegotiate, "NegotiateFlags", 12,
                     "the client must offer NTLMSSP_NEGOTIATE_UNICODE or NTLM_NEGOTIATE_OEM");
  }
  auto bytes = EncodeNegotiate(m);
  if (!bytes.ok()) {
    return bytes.error();
  }
  negotiate_ = *bytes;
  return bytes;
}

Result<Bytes> ClientContext::Authenticate(ByteView challenge_bytes) {
  if (authenticated_) {
    return MakeError(ErrorCode::kPolicyViolation, kRuleAuthenticate, "CHALLENGE", 0,
                     "this context has already answered a CHALLENGE");
  }
  auto decoded = DecodeChallenge(challenge_bytes, config_.challenge_policy);
  if (!decoded.ok()) {
    return decoded.error();
  }
  challenge_ = std::move(decoded).value();
  const ChallengeMessage& chal = challenge_;
  const ResponseKind kind = config_.response;

  // 2.2.2.5 A/B: the CHALLENGE must select a character set; Unicode wins when both are set.
  bool unicode = (chal.flags & kNegotiateUnicode) != 0;
  if (!unicode && (chal.flags & kNegotiateOem) == 0) {
    return MakeError(ErrorCode::kPolicyViolation, "MS-NLMP 2.2.2.5", "NegotiateFlags", 20,
                     "the CHALLENGE selects neither NTLMSSP_NEGOTIATE_UNICODE nor "
                     "NTLM_NEGOTIATE_OEM");
  }

  // The flags of the AUTHENTICATE, as Windows sets them (compare [MS-NLMP] 4.2.4): what the
  // client offered and the server kept, REQUEST_TARGET as offered, TARGET_INFO as the server
  // set it, exactly one character set; the server's TARGET_TYPE_* are not echoed.
  const uint32_t offered = FlagsForKind(config_.negotiate_flags, kind, config_.anonymous);
  uint32_t flags = (chal.flags & (offered | kNegotiateTargetInfo)) | (offered & kRequestTarget);
  flags &= ~(kNegotiateUnicode | kNegotiateOem | kNegotiateVersion);
  flags |= unicode ? kNegotiateUnicode : kNegotiateOem;
  if (config_.version.has_value()) {
    flags |= kNegotiateVersion;
  }
  if (config_.anonymous) {
    flags |= kNegotiateAnonymous;  // 3.2.5.1.2 reads an anonymous AUTHENTICATE by this flag too
  }
  if (config_.authenticate_flags.has_value()) {
    flags = *config_.authenticate_flags;
    unicode = (flags & kNegotiateUnicode) != 0;
  }

  // No downgrade the caller did not ask for: NTLMv1 with ESS needs the server's ESS; without
  // it the spec falls back to plain NTLMv1 (3.3.1), which is refused here.
  if (kind == ResponseKind::kNtlmV1Ess && (flags & kNegotiateExtendedSessionSecurity) == 0) {
    return MakeError(ErrorCode::kPolicyViolation, "MS-NLMP 3.3.1", "NegotiateFlags", 20,
                     "the server refused extended session security; falling back to NTLMv1 "
                     "was not allowed");
  }
  if (kind == ResponseKind::kNtlmV1 || kind == ResponseKind::kLm) {
    flags &= ~kNegotiateExtendedSessionSecurity;
  }

  // NtlmMinClientSec (3.1.5.1.2): "If ClientRequire128bitEncryption == TRUE, then if 128-bit
  // encryption is not negotiated, the client MUST return SEC_E_UNSUPPORTED_FUNCTION"; and
  // NTLMv2 session security, which the NTLMv2 response or ESS gives.
  if (config_.require_128bit && (flags & kNegotiate128) == 0) {
    return MakeError(ErrorCode::kPolicyViolation, "MS-NLMP 3.1.5.1.2", "NegotiateFlags", 20,
                     "128-bit session security is required (NtlmMinClientSec 0x20000000) and "
                     "the CHALLENGE does not negotiate NTLMSSP_NEGOTIATE_128");
  }
  if (config_.require_session_security && kind != ResponseKind::kNtlmV2 &&
      (flags & kNegotiateExtendedSessionSecurity) == 0) {
    return MakeError(ErrorCode::kPolicyViolation, "MS-NLMP 3.1.5.1.2", "NegotiateFlags", 20,
                     "NTLMv2 session security is required (NtlmMinClientSec 0x00080000) and "
                     "neither NTLMv2 nor NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is used");
  }

  // A target info the client would have to echo must leave room for a sane AUTHENTICATE.
  if (chal.target_info_field.len > kMaxClientTargetInfo) {
    return MakeError(ErrorCode::kTooLarge, kRuleAuthenticate, "TargetInfoFields", 40,
                     "target info of " + std::to_string(chal.target_info_field.len) +
                         " bytes exceeds the client's limit of " +
                         std::to_string(kMaxClientTargetInfo));
  }

  // Names. The domain placed in the message is the one NTOWFv2 uses.
  UserName name = SplitUserName(config_.user);
  if (config_.domain.has_value()) {
    name.domain = *config_.domain;
  }

  ResponseInputs in;
  in.kind = kind;
  in.server_challenge = chal.server_challenge;
  std::optional<Key16> lm_owf;
  Bytes client_av;
  bool send_mic = false;

  if (kind != ResponseKind::kAnonymous) {
    auto nt_owf = config_.secret.NtOwfV1();
    if (!nt_owf.ok()) {
      return nt_owf.error().Nested("password", 0);
    }
    auto lm = config_.secret.LmOwfV1();
    if (lm.ok()) {
      lm_owf = *lm;
    } else if (kind == ResponseKind::kLm) {
      return lm.error().Nested("password", 0);
    }
    if (kind == ResponseKind::kNtlmV2) {
      auto v2 = NtOwfV2(*nt_owf, name.user, name.domain);
      if (!v2.ok()) {
        return v2.error();
      }
      in.response_key_nt = *v2;
      in.response_key_lm = *v2;
    } else {
      in.response_key_nt = *nt_owf;
      in.response_key_lm = lm_owf;
    }
  }

  if (kind == ResponseKind::kNtlmV1Ess || kind == ResponseKind::kNtlmV2) {
    if (Status s = env_->Random(in.client_challenge); !s.ok()) {
      return s.error();
    }
  }

  if (kind == ResponseKind::kNtlmV2) {
    // 3.1.5.1.2: the client's AV pairs are the server's, plus MsvAvFlags, MsvAvTargetName and
    // MsvAvChannelBindings as configured. With a server MsvAvTimestamp, its time is used, a MIC
    // is sent, and LMv2 becomes Z(24).
    TargetInfo ti = chal.target_info.value_or(TargetInfo{});
    // MsvAvFlags, MsvAvTargetName and MsvAvChannelBindings are the client's own statements
    // (2.2.2.1): whatever the server put there is dropped, never signed on its behalf.
    ti.Remove(AvId::kFlags);
    ti.Remove(AvId::kTargetName);
    ti.Remove(AvId::kChannelBindings);
    const std::optional<uint64_t> server_time = ti.GetTimestamp();
    in.timestamp = server_time.value_or(env_->NowFileTime());
    send_mic = server_time.has_value() && config_.send_mic;
    if (send_mic) {
      ti.SetFlags(kAvFlagMicPresent);
    }
    if (config_.spn.has_value()) {
      if (Status s = ti.SetString(AvId::kTargetName, *config_.spn); !s.ok()) {
        return s.error().Nested("spn", 0);
      }
    }
    if (config_.channel_binding != ChannelBindingMode::kNone) {
      Key16 cb{};
      if (config_.channel_binding == ChannelBindingMode::kHash) {
        cb = config_.channel_bindings_hash;
      }
      ti.Set(AvId::kChannelBindings, Bytes(cb.begin(), cb.end()));
    }
    auto encoded = EncodeTargetInfo(ti);
    if (!encoded.ok()) {
      return encoded.error();
    }
    client_av = std::move(encoded).value();
    in.server_name = client_av;
    // With a server MsvAvTimestamp the LmChallengeResponse is Z(24) (below): no LMv2 to compute.
    in.lm_response_zero = server_time.has_value();
  }

  auto responses = ComputeResponse(in);
  if (!responses.ok()) {
    return responses.error();
  }
  // 3.1.5.1.2: with a server MsvAvTimestamp the LmChallengeResponse is Z(24), MIC or not, so
  // that no LMv2 (which does not cover the blob) is on the wire.
  if (kind == ResponseKind::kNtlmV2 && chal.target_info.has_value() &&
      chal.target_info->GetTimestamp().has_value()) {
    responses->lm_response.assign(24, 0);
  }

  auto kxkey = KeyExchangeKey(kind, flags, *responses, chal.server_challenge, lm_owf);
  if (!kxkey.ok()) {
    return kxkey.error();
  }
  session_base_key_ = responses->session_base_key;

  AuthenticateMessage msg;
  msg.flags = flags;
  msg.version = config_.version;
  msg.lm_response = responses->lm_response;
  msg.nt_response = responses->nt_response;
  if (kind != ResponseKind::kAnonymous) {
    msg.domain = name.domain;
    msg.user = name.user;
  }
  msg.workstation = config_.workstation;

  // 3.1.5.1.2: with KEY_EXCH a random ExportedSessionKey travels encrypted under KXKEY.
  if ((flags & kNegotiateKeyExch) != 0 && kind != ResponseKind::kAnonymous) {
    if (Status s = env_->Random(exported_session_key_); !s.ok()) {
      return s.error();
    }
    const Key16 enc = EncryptRandomSessionKey(*kxkey, exported_session_key_);
    msg.encrypted_random_session_key.assign(enc.begin(), enc.end());
  } else {
    exported_session_key_ = *kxkey;
  }
  if (send_mic) {
    msg.mic = std::array<uint8_t, 16>{};
  }

  auto wire = EncodeAuthenticate(msg);
  if (!wire.ok()) {
    return wire.error();
  }
  if (send_mic) {
    // The MIC covers the three messages as sent, with the MIC field zero (3.1.5.1.2).
    const Key16 mic = ComputeMic(exported_session_key_, negotiate_, challenge_bytes, *wire);
    std::memcpy(wire->data() + kAuthenticateMicOffset, mic.data(), mic.size());
  }
  flags_ = flags;
  mic_sent_ = send_mic;
  authenticated_ = true;
  return wire;
}

Result<SessionSecurity> ClientContext::Session() const {
  if (!authenticated_) {
    return MakeError(ErrorCode::kPolicyViolation, kRuleAuthenticate, "", 0,
                     "no session before Authenticate()");
  }
  return SessionSecurity::Create(flags_, exported_session_key_, Side::kClient);
}

}  // namespace ntlm
