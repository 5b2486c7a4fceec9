// Conformance notes: [MS-NLMP] 2.2.1.1-2.2.1.3, 2.2.2.1, 2.2.2.5, 2.2.2.7, 2.2.2.10, 3.1.5.1.2,
// 3.3.
#include "engine/lint.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace ntlm {

namespace {

constexpr uint32_t kReservedFlagBits = 0x1D244508;  // r1..r10 of 2.2.2.5

void Add(std::vector<LintNote>* out, Severity s, const char* rule, const char* field,
         std::string text) {
  out->push_back(LintNote{s, rule, field, std::move(text)});
}

// "1 byte", "2 bytes".
std::string Count(size_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// FILETIMEs outside [2000-01-01, 2100-01-01) are taken for a broken clock or a broken field.
bool PlausibleFileTime(uint64_t filetime) {
  static const uint64_t kFrom = UnixToFileTime(946684800);   // 2000-01-01T00:00:00Z
  static const uint64_t kTo = UnixToFileTime(4102444800);    // 2100-01-01T00:00:00Z
  return filetime >= kFrom && filetime < kTo;
}

void CheckTimestamp(uint64_t filetime, const char* rule, const char* field, const char* what,
                    std::vector<LintNote>* out) {
  if (!PlausibleFileTime(filetime)) {
    Add(out, Severity::kInfo, rule, field,
        std::string(what) + " " + FileTimeToIso8601(filetime) +
            " is implausible (before 2000 or after 2100): a wrong clock or a corrupt field");
  }
}

// What every AV pair list is checked for, in a CHALLENGE (|field| "TargetInfo") and in the
// NTLMv2 client challenge. A missing MsvAvEOL and undefined or repeated AvIds get past a lenient
// decoder only (a strict one refuses the message); with --lenient they show up here.
void CheckAvList(const TargetInfo& ti, const char* field, std::vector<LintNote>* out) {
  // 2.2.2.1 MsvAvEOL: "This type of information MUST be present in the AV pair list."
  if (!ti.had_eol) {
    Add(out, Severity::kMust, "MS-NLMP 2.2.2.1", field,
        "the AV pair list ends without MsvAvEOL, which must be present");
  }
  std::set<uint16_t> seen;
  std::set<uint16_t> unknown_reported;
  std::set<uint16_t> duplicate_reported;
  for (const AvPair& p : ti.pairs) {
    // 2.2.2.1 AvId: "The contents of this field MUST be a value from the following table."
    if (p.id > kMaxKnownAvId && unknown_reported.insert(p.id).second) {
      Add(out, Severity::kMust, "MS-NLMP 2.2.2.1", field,
          AvIdName(p.id) + " is not an AvId the spec defines");
    }
    if (!seen.insert(p.id).second && duplicate_reported.insert(p.id).second) {
      Add(out, Severity::kShould, "MS-NLMP 2.2.2.1", field,
          AvIdName(p.id) + " appears more than once; receivers use the first");
    }
  }
  // MsvAvFlags, 2.2.2.1: bits 0x1, 0x2 and 0x4 are defined; the others mean nothing.
  if (const auto flags = ti.GetFlags(); flags.has_value()) {
    constexpr uint32_t kDefined =
        kAvFlagAccountAuthConstrained | kAvFlagMicPresent | kAvFlagUntrustedSpn;
    if ((*flags & ~kDefined) != 0) {
      Add(out, Severity::kInfo, "MS-NLMP 2.2.2.1", field,
          "MsvAvFlags " + Hex32(*flags) + " sets undefined bits " + Hex32(*flags & ~kDefined) +
              "; only 0x00000001, 0x00000002 and 0x00000004 are defined");
    }
  }
  if (const auto ts = ti.GetTimestamp(); ts.has_value()) {
    CheckTimestamp(*ts, "MS-NLMP 2.2.2.1", field, "MsvAvTimestamp", out);
  }
}

void CheckTargetTypes(uint32_t flags, bool in_challenge, std::vector<LintNote>* out) {
  if ((flags & kTargetTypeDomain) == 0 || (flags & kTargetTypeServer) == 0) {
    return;
  }
  if (in_challenge) {
    Add(out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER are both set; one of them "
        "must not be");
  } else {
    Add(out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER are both set; both are "
        "ignored outside a CHALLENGE");
  }
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
  // K and L say the field is supplied (2.2.2.5); an empty field contradicts the flag.
  if ((m.flags & kNegotiateOemDomainSupplied) != 0 && m.domain_field.len == 0) {
    Add(&out, Severity::kShould, "MS-NLMP 2.2.1.1", "DomainNameFields",
        "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED is set but the domain name is empty");
  }
  if ((m.flags & kNegotiateOemWorkstationSupplied) != 0 && m.workstation_field.len == 0) {
    Add(&out, Severity::kShould, "MS-NLMP 2.2.1.1", "WorkstationFields",
        "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED is set but the workstation name is empty");
  }
  CheckTargetTypes(m.flags, false, &out);
  if ((m.flags & kNegotiateLmKey) != 0) {
    if ((m.flags & kNegotiateExtendedSessionSecurity) != 0) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
          "both NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY and NTLMSSP_NEGOTIATE_LM_KEY are "
          "requested: extended session security wins, the server returns it alone");
    } else {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
          "NTLMSSP_NEGOTIATE_LM_KEY asks for LM session security, which is weak");
    }
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
  CheckTargetTypes(m.flags, true, &out);
  // 2.2.2.5 G: with both requested, extended session security alone MUST be returned.
  if ((m.flags & kNegotiateLmKey) != 0 && (m.flags & kNegotiateExtendedSessionSecurity) != 0) {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY and NTLMSSP_NEGOTIATE_LM_KEY are both set; "
        "the server must return extended session security alone");
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
    // Bytes after MsvAvEOL inside TargetInfoLen: MsvAvEOL "indicates that this is the last
    // AV_PAIR in the list" (2.2.2.1).
    if (m.target_info->had_eol && m.target_info->bytes_after_eol != 0) {
      Add(&out, Severity::kShould, "MS-NLMP 2.2.2.1", "TargetInfo",
          Count(m.target_info->bytes_after_eol, "byte") +
              (m.target_info->bytes_after_eol == 1 ? " follows" : " follow") +
              " MsvAvEOL inside TargetInfoLen; MsvAvEOL ends the list");
    }
    CheckAvList(*m.target_info, "TargetInfo", &out);
    // Pairs that the client adds to its own copy (3.1.5.1.2) have no business in a CHALLENGE:
    // a client that copies the server's list would send them twice or vouch for them. In
    // MsvAvFlags only 0x1 (account authentication constrained) is the server's to say.
    for (const AvId id : {AvId::kTargetName, AvId::kChannelBindings, AvId::kSingleHost}) {
      if (m.target_info->Has(id)) {
        Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", "TargetInfo",
            AvIdName(static_cast<uint16_t>(id)) +
                " is sent by clients, in the AUTHENTICATE; a server has no reason to send it");
      }
    }
    if (const auto flags = m.target_info->GetFlags();
        flags.has_value() && (*flags & ~kAvFlagAccountAuthConstrained) != 0) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", "TargetInfo",
          "MsvAvFlags " + Hex32(*flags) +
              " in a CHALLENGE sets client-only bits; a server may only say 0x00000001");
    }
  } else if ((m.flags & kNegotiateTargetInfo) != 0) {
    // Only a lenient decoder gets here (the strict one refuses the message).
    Add(&out, Severity::kMust, "MS-NLMP 2.2.1.2", "TargetInfoFields",
        "NTLMSSP_NEGOTIATE_TARGET_INFO is set but the target info is empty");
  }
  if ((m.flags & kNegotiateExtendedSessionSecurity) == 0 &&
      (m.flags & kNegotiateTargetInfo) == 0) {
    Add(&out, Severity::kInfo, "MS-NLMP 3.3.1", "NegotiateFlags",
        "neither extended session security nor target info: the server invites NTLMv1");
  }
  return out;
}

std::string ResponseShape(const AuthenticateMessage& m) {
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

  CheckTargetTypes(m.flags, false, &out);
  if ((m.flags & kNegotiateLmKey) != 0 && (m.flags & kNegotiateExtendedSessionSecurity) != 0) {
    Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.5", "NegotiateFlags",
        "both NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY and NTLMSSP_NEGOTIATE_LM_KEY are set: "
        "extended session security wins, LM_KEY is ignored");
  }

  const std::string kind = ResponseShape(m);
  if (kind == "unknown") {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.6", "NtChallengeResponseFields",
        "an NT response of " + Count(m.nt_response.size(), "byte") +
            " is neither NTLMv1 (24) nor NTLMv2 (more than 24)");
  }
  if (kind == "NTLMv1" || kind == "NTLMv1-ESS" || kind == "LM") {
    Add(&out, Severity::kInfo, "MS-NLMP 3.3.1", "NtChallengeResponseFields",
        "the client answered with " + kind + ", which can be cracked offline; use NTLMv2");
  }
  if (!m.lm_response.empty() && m.lm_response.size() != 24 && kind != "anonymous") {
    Add(&out, Severity::kMust, "MS-NLMP 2.2.2.3", "LmChallengeResponseFields",
        "an LM response must be 24 bytes, this one has " + Count(m.lm_response.size(), "byte"));
  }
  if ((m.flags & kNegotiateKeyExch) != 0 && kind != "anonymous" &&
      m.encrypted_random_session_key.size() != 16) {
    Add(&out, Severity::kMust, "MS-NLMP 3.1.5.1.2", "EncryptedRandomSessionKeyFields",
        "NTLMSSP_NEGOTIATE_KEY_EXCH is set but EncryptedRandomSessionKey has " +
            Count(m.encrypted_random_session_key.size(), "byte") + ", not 16");
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
    static constexpr char kAvField[] = "NTLMv2_CLIENT_CHALLENGE.AvPairs";
    CheckAvList(av, kAvField, &out);
    CheckTimestamp(m.ntlmv2->blob.timestamp, "MS-NLMP 2.2.2.7",
                   "NTLMv2_CLIENT_CHALLENGE.TimeStamp", "TimeStamp", &out);
    if (const AvPair* cb = av.Find(AvId::kChannelBindings); cb == nullptr) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", kAvField,
          "no MsvAvChannelBindings: the response is not bound to a TLS channel");
    } else if (std::all_of(cb->value.begin(), cb->value.end(), [](uint8_t b) { return b == 0; })) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", kAvField,
          "MsvAvChannelBindings is all zero: no channel binding, the response is not bound to a "
          "TLS channel");
    }
    if (!av.Has(AvId::kTargetName)) {
      Add(&out, Severity::kInfo, "MS-NLMP 2.2.2.1", kAvField, "no MsvAvTargetName (SPN)");
    }
  }
  return out;
}

}  // namespace ntlm
