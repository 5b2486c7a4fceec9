// Conformance notes: [MS-NLMP] 2.2.1.1-2.2.1.3, 2.2.2.1, 2.2.2.5, 2.2.2.10, 3.1.5.1.2, 3.3.
#include "engine/lint.h"

#include <algorithm>

namespace ntlm {

namespace {

constexpr uint32_t kReservedFlagBits = 0x1D244508;  // r1..r10 of 2.2.2.5

void Add(std::vector<LintNote>* out, Severity s, const char* rule, const char* field,
         std::string text) {
  out->push_back(LintNote{s, rule, field, std::move(text)});
}

void CheckReservedBits(uint32_t flags, std::vector<LintNote>* out) {
  if ((flags & kReservedFlagBits) != 0) {
    Add(out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "reserved flag bits are set (" + FlagsToString(flags & kReservedFlagBits) +
            "); they MUST be zero");
  }
}

void CheckVersion(const std::optional<Version>& v, std::vector<LintNote>* out) {
  if (v.has_value() && v->ntlm_revision != kNtlmRevisionW2k3) {
    Add(out, Severity::kShould, "MS-NLMP 2.2.2.10", "Version.NTLMRevisionCurrent",
        "NTLMRevisionCurrent is " + std::to_string(v->ntlm_revision) +
            "; the current revision is 15 (NTLMSSP_REVISION_W2K3)");
  }
}

void CheckMaxLen(const PayloadField& f, const char* name, std::vector<LintNote>* out) {
  if (f.present && f.len != f.max_len) {
    Add(out, Severity::kShould, "MS-NLMP 2.2.1", name,
        std::string(name) + " MaxLen " + std::to_string(f.max_len) + " differs from Len " +
            std::to_string(f.len));
  }
}

}  // namespace

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kMust: return "MUST";
    case Severity::kShould: return "SHOULD";
    case Severity::kInfo: return "INFO";
  }
  return "?";
}

std::vector<LintNote> LintNegotiate(const NegotiateMessage& m) {
  std::vector<LintNote> out;
  CheckReservedBits(m.flags, &out);
  CheckVersion(m.version, &out);
  CheckMaxLen(m.domain_field, "DomainNameFields", &out);
  CheckMaxLen(m.workstation_field, "WorkstationFields", &out);
  if ((m.flags & (kNegotiateUnicode | kNegotiateOem)) == 0) {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "neither NTLMSSP_NEGOTIATE_UNICODE nor NTLM_NEGOTIATE_OEM is set");
  }
  if ((m.flags & kNegotiateNtlm) == 0) {
    Add(&out, Severity::kMust, "MS-NLMP 3.1.5.1.1", "NegotiateFlags",
        "NTLMSSP_NEGOTIATE_NTLM is not set");
  }
  if (!m.domain.empty() && (m.flags & kNegotiateOemDomainSupplied) == 0) {
    Add(&out, Severity::kShould, "MS-NLMP 2.2.1.1", "DomainNameFields",
        "a domain name is present without NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED");
  }
  if (!m.workstation.empty() && (m.flags & kNegotiateOemWorkstationSupplied) == 0) {
    Add(&out, Severity::kShould, "MS-NLMP 2.2.1.1", "WorkstationFields",
        "a workstation name is present without NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED");
  }
  if ((m.flags & kNegotiateLmKey) != 0) {
    Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "NTLMSSP_NEGOTIATE_LM_KEY asks for LM session security, which is weak");
  }
  return out;
}

std::vector<LintNote> LintChallenge(const ChallengeMessage& m) {
  std::vector<LintNote> out;
  CheckReservedBits(m.flags, &out);
  CheckVersion(m.version, &out);
  CheckMaxLen(m.target_name_field, "TargetNameFields", &out);
  CheckMaxLen(m.target_info_field, "TargetInfoFields", &out);
  // 2.2.2.5, A and B evaluated together: A set means Unicode; neither set is
  // SEC_E_INVALID_TOKEN.
  const uint32_t charset = m.flags & (kNegotiateUnicode | kNegotiateOem);
  if (charset == 0) {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "neither NTLMSSP_NEGOTIATE_UNICODE nor NTLM_NEGOTIATE_OEM is set: no character set");
  } else if (charset == (kNegotiateUnicode | kNegotiateOem)) {
    Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "both NTLMSSP_NEGOTIATE_UNICODE and NTLM_NEGOTIATE_OEM are set: Unicode is used");
  }
  if ((m.flags & kTargetTypeDomain) != 0 && (m.flags & kTargetTypeServer) != 0) {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER are both set");
  }
  if (std::any_of(m.reserved.begin(), m.reserved.end(), [](uint8_t b) { return b != 0; })) {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.1.2", "Reserved", "Reserved MUST be zero");
  }
  if (m.target_info.has_value()) {
    if ((m.flags & kNegotiateTargetInfo) == 0) {
      Add(&out, Severity::kShould, "MS-NLMP 2.2.1.2", "TargetInfoFields",
          "target info is present but NTLMSSP_NEGOTIATE_TARGET_INFO is not set");
    }
    // 2.2.2.1: MsvAvNbComputerName and MsvAvNbDomainName MUST be present.
    if (!m.target_info->Has(AvId::kNbComputerName)) {
      Add(&out, Severity::kMust, "MS-NLMP 2.2.2.1", "TargetInfo",
          "MsvAvNbComputerName is missing");
    }
    if (!m.target_info->Has(AvId::kNbDomainName)) {
      Add(&out, Severity::kMust, "MS-NLMP 2.2.2.1", "TargetInfo",
          "MsvAvNbDomainName is missing");
    }
    if (!m.target_info->Has(AvId::kTimestamp)) {
      Add(&out, Severity::kInfo, "MS-NLMP 3.1.5.1.2", "TargetInfo",
          "no MsvAvTimestamp: clients will not send a MIC");
    }
  }
  if ((m.flags & kNegotiateExtendedSessionSecurity) == 0 &&
      (m.flags & kNegotiateTargetInfo) == 0) {
    Add(&out, Severity::kInfo, "MS-NLMP 3.3.1", "NegotiateFlags",
        "neither extended session security nor target info: the server invites NTLMv1");
  }
  return out;
}

std::string ResponseKind(const AuthenticateMessage& m) {
  if (m.nt_response.empty() &&
      (m.lm_response.empty() || (m.lm_response.size() == 1 && m.lm_response[0] == 0))) {
    return "anonymous";
  }
  if (m.nt_response.size() > 24) {
    return "NTLMv2";
  }
  if (m.nt_response.size() == 24) {
    // ESS (NTLM2 session response): LM = ClientChallenge || Z(16), 3.3.1.
    const bool ess = (m.flags & kNegotiateExtendedSessionSecurity) != 0 &&
                     m.lm_response.size() == 24 &&
                     std::all_of(m.lm_response.begin() + 8, m.lm_response.end(),
                                 [](uint8_t b) { return b == 0; });
    return ess ? "NTLMv1-ESS" : "NTLMv1";
  }
  if (m.nt_response.empty() && m.lm_response.size() == 24) {
    return "LM";
  }
  return "unknown";
}

std::vector<LintNote> LintAuthenticate(const AuthenticateMessage& m) {
  std::vector<LintNote> out;
  CheckReservedBits(m.flags, &out);
  CheckVersion(m.version, &out);
  CheckMaxLen(m.lm_field, "LmChallengeResponseFields", &out);
  CheckMaxLen(m.nt_field, "NtChallengeResponseFields", &out);
  CheckMaxLen(m.domain_field, "DomainNameFields", &out);
  CheckMaxLen(m.user_field, "UserNameFields", &out);
  CheckMaxLen(m.workstation_field, "WorkstationFields", &out);
  CheckMaxLen(m.session_key_field, "EncryptedRandomSessionKeyFields", &out);

  const std::string kind = ResponseKind(m);
  if (kind == "unknown") {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.6", "NtChallengeResponseFields",
        "an NT response of " + std::to_string(m.nt_response.size()) +
            " bytes is neither NTLMv1 (24) nor NTLMv2 (more than 24)");
  }
  if (kind == "NTLMv1" || kind == "NTLMv1-ESS" || kind == "LM") {
    Add(&out, Severity::kInfo, "MS-NLMP 3.3.1", "NtChallengeResponseFields",
        "the client answered with " + kind + ", which can be cracked offline; use NTLMv2");
  }
  if (!m.lm_response.empty() && m.lm_response.size() != 24 && kind != "anonymous") {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.3", "LmChallengeResponseFields",
        "an LM response must be 24 bytes, this one has " + std::to_string(m.lm_response.size()));
  }
  if ((m.flags & kNegotiateKeyExch) != 0 && kind != "anonymous" &&
      m.encrypted_random_session_key.size() != 16) {
    Add(&out, Severity::kMust, "MS-NLMP 3.1.5.1.2", "EncryptedRandomSessionKeyFields",
        "NTLMSSP_NEGOTIATE_KEY_EXCH is set but EncryptedRandomSessionKey has " +
            std::to_string(m.encrypted_random_session_key.size()) + " bytes, not 16");
  }
  if (kind == "anonymous" && !m.user.empty()) {
    Add(&out, Severity::kMust, "MS-NLMP 3.3", "UserNameFields",
        "an anonymous response carries a user name");
  }
  if (m.ntlmv2.has_value()) {
    const TargetInfo& av = m.ntlmv2->blob.av_pairs;
    const auto av_flags = av.GetFlags();
    const bool says_mic = av_flags.has_value() && (*av_flags & kAvFlagMicPresent) != 0;
    if (says_mic && !m.mic.has_value()) {
      Add(&out, Severity::kMust, "MS-NLMP 2.2.1.3", "MIC",
          "MsvAvFlags says a MIC is present but the header has no room for one");
    }
    if (m.mic.has_value() && !says_mic) {
      Add(&out, Severity::kShould, "MS-NLMP 2.2.2.1", "MsvAvFlags",
          "a MIC field is present but MsvAvFlags does not set 0x00000002");
    }
    if (!av.Has(AvId::kChannelBindings)) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", "NTLMv2_CLIENT_CHALLENGE.AvPairs",
          "no MsvAvChannelBindings: the response is not bound to a TLS channel");
    }
    if (!av.Has(AvId::kTargetName)) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", "NTLMv2_CLIENT_CHALLENGE.AvPairs",
          "no MsvAvTargetName (SPN)");
    }
  }
  return out;
}

}  // namespace ntlm
