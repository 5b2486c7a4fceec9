// ntlmh explain: the analysis of one handshake. Sections of [MS-NLMP] beside each rule.
#include "explain/analyze.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "engine/av_pairs.h"
#include "engine/credentials.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/lint.h"
#include "engine/messages.h"
#include "engine/server.h"
#include "engine/text.h"

namespace ntlmh::explain {

namespace {

using ntlm::http_auth::EqualsIgnoreCase;

// Flags a server chooses from what the client offered (3.2.5.1.1): it must not add others.
constexpr uint32_t kNegotiableFlags =
    ntlm::kNegotiateUnicode | ntlm::kNegotiateOem | ntlm::kNegotiateSign | ntlm::kNegotiateSeal |
    ntlm::kNegotiateDatagram | ntlm::kNegotiateLmKey | ntlm::kNegotiateExtendedSessionSecurity |
    ntlm::kNegotiateIdentify | ntlm::kNegotiate128 | ntlm::kNegotiateKeyExch | ntlm::kNegotiate56;

// Most likely first: a handshake that cannot complete beats a wrong secret, which beats a
// policy the server may or may not have.
int Rank(const std::string& id) {
  static const char* const kOrder[] = {
      "capture_incomplete",
      "malformed_message",
      "bare_offer_to_negotiate",
      "connection_close_on_challenge",
      "connection_switched",
      "closed_after_challenge",
      "error_after_challenge",
      "no_challenge",
      "no_authenticate",
      "lm_sent",
      "ntlmv1_sent",
      "anonymous",
      "bad_nt_response",
      "wrong_password",
      "spelling_mismatch",
      "wrong_user",
      "wrong_domain",
      "mic_flag_without_mic",
      "mic_wrong",
      "channel_bindings_wrong",
      "no_channel_bindings",
      "timestamp_mismatch",
      "target_info_mismatch",
      "flags_disagree",
      "version_flag_without_field",
      "body_not_resent",
      "rejected_without_visible_fault",
  };
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (id == kOrder[i]) {
      return static_cast<int>(i);
    }
  }
  return static_cast<int>(std::size(kOrder));
}

// What a server's "X-NTLM-Reject" reason (ntlmh serve's names, engine/server.h) means, as the
// finding it confirms. The rule is the one engine/server.h gives the reason.
struct StatedReason {
  const char* reason;
  const char* id;
  const char* summary;
};
constexpr StatedReason kStated[] = {
    {"channel_binding_mismatch", "channel_bindings_wrong",
     "the server says the channel binding hash does not match its TLS channel: the client "
     "bound the handshake to another channel (a TLS-inspecting proxy, or another certificate)"},
    {"channel_binding_missing", "no_channel_bindings",
     "the server says the client sent no channel bindings, and it requires them (Extended "
     "Protection)"},
    {"wrong_proof", "server_rejected",
     "the server says the response does not verify: the password is wrong, or the client "
     "hashed other names than it sent (give the password with --password-stdin or "
     "NTLM_PASSWORD, or --nt-hash, to tell which)"},
    {"out_of_order", "server_rejected",
     "the server says the AUTHENTICATE came out of order: it holds no CHALLENGE for it on this "
     "connection (the AUTHENTICATE went on another connection, or the server let the "
     "challenge go)"},
    {"unknown_user", "server_rejected",
     "the server says it does not know the user in the domain the client sent"},
    {"mic_wrong", "mic_wrong", "the server says the MIC is wrong"},
    {"mic_missing", "mic_missing",
     "the server says the AUTHENTICATE has no MIC where one is required"},
    {"timestamp_mismatch", "timestamp_mismatch",
     "the server says the echoed MsvAvTimestamp is not the one it sent"},
    {"target_info_mismatch", "target_info_mismatch",
     "the server says the target info in the client's NTLMv2 blob is not the one it sent"},
    {"ntlmv1_refused", "ntlmv1_sent", "the server says it refuses NTLMv1"},
    {"lm_refused", "lm_sent", "the server says it refuses LM responses"},
    {"anonymous_refused", "anonymous", "the server says it refuses anonymous authentication"},
};

// The [MS-NLMP] section engine/server.h gives a reject reason, or 3.2.5.1.2 (the server's
// check of the AUTHENTICATE) for a reason it does not name.
std::string StatedRule(std::string_view reason) {
  for (int r = 0; r <= static_cast<int>(ntlm::RejectReason::kBadSessionKey); ++r) {
    const auto rr = static_cast<ntlm::RejectReason>(r);
    if (reason == ntlm::RejectReasonName(rr) && *ntlm::RejectReasonRule(rr) != '\0') {
      return ntlm::RejectReasonRule(rr);
    }
  }
  return "MS-NLMP 3.2.5.1.2";
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

bool AllZero(ntlm::ByteView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

// A finding and whether it certainly fails the handshake (fatal) or fails it only where the
// server's policy says so (likely).
struct Found {
  Finding finding;
  bool fatal = true;
};

class Analysis {
 public:
  Analysis(const Handshake& h, const Secrets& s) : h_(h), s_(s) {}

  Verdict Run();

 private:
  void Add(bool fatal, std::string id, std::string rule, std::string summary,
           std::vector<std::string> evidence) {
    found_.push_back(Found{
        Finding{std::move(id), std::move(rule), std::move(summary), std::move(evidence)}, fatal});
  }
  void Check(std::string text) { v_.checks.push_back(std::move(text)); }

  bool Decode();
  void Structure();
  void Flags();
  void TargetInfoEcho();
  void ChannelBindings();
  void Domain(bool proof_verified);
  void CheckSecrets();
  bool VerifyV2(const ntlm::Key16& nt);
  bool VerifyV1(const ntlm::Key16& nt);
  void VerifyMic(const ntlm::Key16& key_exchange_key);
  void Finish();

  std::string ServerNbDomain() const {
    if (chal_ && chal_->target_info) {
      return chal_->target_info->GetString(ntlm::AvId::kNbDomainName).value_or("");
    }
    return "";
  }
  std::string ServerDnsDomain() const {
    if (chal_ && chal_->target_info) {
      return chal_->target_info->GetString(ntlm::AvId::kDnsDomainName).value_or("");
    }
    return "";
  }

  const Handshake& h_;
  const Secrets& s_;
  Verdict v_;
  std::vector<Found> found_;
  std::optional<ntlm::NegotiateMessage> neg_;
  std::optional<ntlm::ChallengeMessage> chal_;
  std::optional<ntlm::AuthenticateMessage> auth_;
  std::string kind_;
};

bool Analysis::Decode() {
  const ntlm::DecodePolicy policy = ntlm::DecodePolicy::Lenient();
  bool ok = true;
  auto bad = [&](const char* what, const Leg& leg, const ntlm::Error& e) {
    Add(true, "malformed_message", e.rule.empty() ? "MS-NLMP 2.2.1" : e.rule,
        std::string("the ") + what + " cannot be decoded, so the peer must refuse it",
        {leg.where + ": " + e.ToString()});
    ok = false;
  };
  if (h_.negotiate) {
    auto m = ntlm::DecodeNegotiate(h_.negotiate->ntlm, policy);
    if (m.ok()) {
      neg_ = std::move(*m);
    } else {
      bad("NEGOTIATE_MESSAGE", *h_.negotiate, m.error());
    }
  }
  if (h_.challenge) {
    auto m = ntlm::DecodeChallenge(h_.challenge->ntlm, policy);
    if (m.ok()) {
      chal_ = std::move(*m);
    } else {
      bad("CHALLENGE_MESSAGE", *h_.challenge, m.error());
    }
  }
  if (h_.authenticate) {
    // The names in the character set the CHALLENGE chose, as a server reads them (messages.h
    // StringCharset: wget sets UNICODE over OEM names); Flags() reports the disagreement.
    ntlm::StringCharset charset = ntlm::StringCharset::kFromFlags;
    if (chal_ && (chal_->flags & ntlm::kNegotiateUnicode) != 0) {
      charset = ntlm::StringCharset::kUnicode;
    } else if (chal_ && (chal_->flags & ntlm::kNegotiateOem) != 0) {
      charset = ntlm::StringCharset::kOem;
    }
    auto m = ntlm::DecodeAuthenticate(h_.authenticate->ntlm, policy, charset);
    if (m.ok()) {
      auth_ = std::move(*m);
      v_.user = auth_->user;
      v_.domain = auth_->domain;
      v_.workstation = auth_->workstation;
      kind_ = ntlm::ResponseShape(*auth_);
      v_.response_kind = kind_;
    } else {
      bad("AUTHENTICATE_MESSAGE", *h_.authenticate, m.error());
    }
  }
  return ok;
}

void Analysis::Structure() {
  if (h_.bare_offer_where) {
    Add(true, "bare_offer_to_negotiate", "MS-NLMP 3.2.5.1.1",
        "the server answered the NEGOTIATE with a bare offer instead of a CHALLENGE: it did not "
        "take the NEGOTIATE (wrong scheme, a proxy in between, or NTLM disabled)",
        {*h_.bare_offer_where + ": 401 with a bare WWW-Authenticate and no token"});
  }
  if (h_.challenge_connection_close) {
    Add(true, "connection_close_on_challenge", "MS-NLMP 1.3.1.1",
        "the CHALLENGE came with \"Connection: close\": NTLM over HTTP is connection-oriented, "
        "and the AUTHENTICATE cannot reach the connection that holds the challenge",
        {h_.challenge->where + ": Connection: close"});
  }
  if (h_.authenticate && h_.challenge && !h_.authenticate->connection.empty() &&
      !h_.challenge->connection.empty() &&
      h_.authenticate->connection != h_.challenge->connection) {
    Add(true, "connection_switched", "MS-NLMP 1.3.1.1",
        "the AUTHENTICATE was sent on another TCP connection than the CHALLENGE: the server "
        "keeps the challenge with the connection, so it cannot verify the response",
        {"CHALLENGE on connection " + h_.challenge->connection + " (" + h_.challenge->where + ")",
         "AUTHENTICATE on connection " + h_.authenticate->connection + " (" +
             h_.authenticate->where + ")"});
  }
  if (h_.unreadable_challenge) {
    Add(true, "malformed_message", "MS-NLMP 2.2.1.2",
        "the server answered the NEGOTIATE with a token that is not a readable CHALLENGE, so "
        "the client cannot compute an AUTHENTICATE",
        {h_.unreadable_challenge->where + ": " + h_.unreadable_challenge->what});
  }
  if (h_.unreadable_request) {
    Add(true, "malformed_message", h_.challenge ? "MS-NLMP 2.2.1.3" : "MS-NLMP 2.2.1",
        h_.challenge ? "the client answered the CHALLENGE with a token that is not a readable "
                       "AUTHENTICATE, so the server must refuse it"
                     : "the client sent a token that is not a readable NTLM message, so the "
                       "server must refuse it",
        {h_.unreadable_request->where + ": " + h_.unreadable_request->what});
  }
  // A leg that is missing from an input that lost data may lie in what was lost: say so, and
  // blame no peer.
  const bool lost = !h_.capture_damage.empty();
  auto incomplete = [&](const std::string& rule, const std::string& what,
                        const std::string& where) {
    std::vector<std::string> evidence = {where};
    for (const std::string& d : h_.capture_damage) {
      evidence.push_back("note: " + d);
    }
    Add(true, "capture_incomplete", rule,
        "cannot tell: the capture is incomplete: " + what +
            " may lie in the data the capture lost, so no peer can be blamed",
        std::move(evidence));
  };
  if (lost && h_.negotiate && !h_.challenge && !h_.bare_offer_where && !h_.authenticate &&
      !h_.unreadable_challenge && !h_.unreadable_request) {
    incomplete("MS-NLMP 3.2.5.1.1", "the CHALLENGE for the NEGOTIATE", h_.negotiate->where);
  } else if (lost && h_.authenticate && !h_.challenge) {
    incomplete("MS-NLMP 3.1.5.1.2", "the CHALLENGE for the AUTHENTICATE", h_.authenticate->where);
  } else if (lost && h_.challenge && !h_.authenticate && !h_.unreadable_request) {
    incomplete("MS-NLMP 3.1.5.1.2", "the AUTHENTICATE after the CHALLENGE", h_.challenge->where);
  } else if (lost && h_.http && h_.authenticate && !h_.final_status && !h_.final_error) {
    incomplete("MS-NLMP 3.2.5.1.2", "the server's response to the AUTHENTICATE",
               h_.authenticate->where);
  }
  if (lost && (!h_.challenge || !h_.authenticate)) {
    // Reported as capture_incomplete above.
  } else if (h_.negotiate && !h_.challenge && !h_.bare_offer_where && !h_.authenticate &&
      !h_.unreadable_challenge && !h_.unreadable_request) {
    Add(true, "no_challenge", "MS-NLMP 3.2.5.1.1",
        h_.http ? "the server sent no CHALLENGE for the NEGOTIATE"
                : "no CHALLENGE among the messages given: the handshake stops at the NEGOTIATE "
                  "and cannot be judged a success",
        {h_.negotiate->where});
  }
  if (lost) {
    // Missing legs: reported as capture_incomplete above.
  } else if (h_.authenticate && !h_.challenge) {
    // Without the CHALLENGE neither the response (it is keyed to the server challenge), nor the
    // MIC, nor the echoed target info can be checked: never report such a handshake a success.
    Add(true, "no_challenge", "MS-NLMP 3.1.5.1.2",
        "no CHALLENGE for the AUTHENTICATE among the messages given: the response, the MIC and "
        "the echoed target info cannot be checked (give all three messages)",
        {h_.authenticate->where});
  }
  if (lost) {
    // Reported as capture_incomplete above.
  } else if (h_.challenge && !h_.authenticate && !h_.unreadable_request &&
             !h_.ended_in_error.empty()) {
    Add(true, "error_after_challenge", "MS-NLMP 3.1.5.1.2",
        "no AUTHENTICATE followed the CHALLENGE because the recorded exchange ended in an "
        "error there (the server closed the connection after the CHALLENGE, or the client "
        "could not answer it); the client did not abandon the handshake",
        {h_.challenge->where + ": the last message of this handshake",
         "the recording says: " + h_.ended_in_error});
  } else if (h_.challenge && !h_.authenticate && !h_.unreadable_request) {
    Add(true, "no_authenticate", "MS-NLMP 3.1.5.1.2",
        "the client sent no AUTHENTICATE after the CHALLENGE: the handshake was abandoned",
        {h_.challenge->where + ": the last message of this handshake"});
  }
  if (h_.authenticate && h_.challenge && !h_.final_status && h_.final_error) {
    Add(true, "closed_after_challenge", "MS-NLMP 3.2.5.1.2",
        "the server closed the connection after the CHALLENGE: the AUTHENTICATE got no "
        "response, so the server never said whether it accepts it",
        {h_.final_where + ": no response (" + *h_.final_error + ")"});
  }
  if (!auth_) {
    return;
  }
  if (kind_ == "LM") {
    Add(false, "lm_sent", "MS-NLMP 3.3.1",
        "the client answered with an LM response only, which servers refuse from "
        "LmCompatibilityLevel 4",
        {h_.authenticate->where + ": NtChallengeResponse is empty, LmChallengeResponse 24 bytes"});
  } else if (kind_ == "NTLMv1" || kind_ == "NTLMv1-ESS") {
    Add(false, "ntlmv1_sent", "MS-NLMP 3.3.1",
        "the client answered with " + kind_ +
            ", which servers refuse at LmCompatibilityLevel 5 (NTLMv2 only) and which "
            "hardened domains and NTLMv1 auditing policies block: v1 refused",
        {h_.authenticate->where + ": NtChallengeResponse is 24 bytes (" + kind_ + ")"});
  } else if (kind_ == "anonymous") {
    Add(false, "anonymous", "MS-NLMP 3.2.5.1.2",
        "the client authenticated anonymously, which servers refuse unless they allow it",
        {h_.authenticate->where + ": empty NtChallengeResponse and user name"});
  } else if (kind_ == "unknown") {
    Add(true, "bad_nt_response", "MS-NLMP 2.2.2.6",
        "the NT response is neither NTLMv1 (24 bytes) nor NTLMv2 (more than 24)",
        {h_.authenticate->where + ": NtChallengeResponse of " +
         std::to_string(auth_->nt_response.size()) + " bytes"});
  }

  if ((auth_->flags & ntlm::kNegotiateVersion) != 0 && !auth_->version) {
    Add(false, "version_flag_without_field", "MS-NLMP 2.2.1.3",
        "the AUTHENTICATE sets NTLMSSP_NEGOTIATE_VERSION but has no VERSION field",
        {h_.authenticate->where + ": the first payload starts before offset 72"});
  }
  if (auth_->ntlmv2) {
    const auto av_flags = auth_->ntlmv2->blob.av_pairs.GetFlags();
    if (av_flags && (*av_flags & ntlm::kAvFlagMicPresent) != 0 && !auth_->mic) {
      Add(true, "mic_flag_without_mic", "MS-NLMP 2.2.1.3",
          "MsvAvFlags says a MIC is present but the AUTHENTICATE has no room for one",
          {h_.authenticate->where + ": MsvAvFlags " + Hex32(*av_flags) +
           ", first payload before offset 88"});
    }
  }
}

void Analysis::Flags() {
  if (neg_ && (neg_->flags & ntlm::kNegotiateVersion) != 0 && !neg_->version) {
    Add(false, "version_flag_without_field", "MS-NLMP 2.2.1.1",
        "the NEGOTIATE sets NTLMSSP_NEGOTIATE_VERSION but has no VERSION field",
        {h_.negotiate->where + ": a NEGOTIATE of " + std::to_string(h_.negotiate->ntlm.size()) +
         " bytes"});
  }
  if (!chal_) {
    return;
  }
  if ((chal_->flags & (ntlm::kNegotiateUnicode | ntlm::kNegotiateOem)) == 0) {
    Add(true, "flags_disagree", "MS-NLMP 2.2.2.5",
        "the CHALLENGE selects no character set (neither NTLMSSP_NEGOTIATE_UNICODE nor "
        "NTLMSSP_NEGOTIATE_OEM), so the client cannot encode its names",
        {h_.challenge->where + ": NegotiateFlags " + Hex32(chal_->flags)});
  }
  if (neg_) {
    const uint32_t added = chal_->flags & kNegotiableFlags & ~neg_->flags;
    if (added != 0) {
      Add(false, "flags_disagree", "MS-NLMP 3.2.5.1.1",
          "the CHALLENGE selects flags the NEGOTIATE did not offer",
          {h_.challenge->where + ": " + ntlm::FlagsToString(added)});
    }
  }
  if (auth_) {
    const uint32_t added = auth_->flags & kNegotiableFlags & ~chal_->flags;
    if (added != 0) {
      Add(false, "flags_disagree", "MS-NLMP 3.1.5.1.2",
          "the AUTHENTICATE claims flags the CHALLENGE did not select",
          {h_.authenticate->where + ": " + ntlm::FlagsToString(added)});
    }
  }
}

void Analysis::TargetInfoEcho() {
  if (!auth_ || !auth_->ntlmv2 || !chal_ || !chal_->target_info) {
    return;
  }
  const ntlm::TargetInfo& issued = *chal_->target_info;
  const ntlm::TargetInfo& echoed = auth_->ntlmv2->blob.av_pairs;
  if (const auto ts = issued.GetTimestamp()) {
    const auto back = echoed.GetTimestamp();
    if (back && *back != *ts) {
      Add(true, "timestamp_mismatch", "MS-NLMP 3.1.5.1.2",
          "the MsvAvTimestamp the client echoed differs from the one the server sent",
          {h_.challenge->where + ": MsvAvTimestamp " + ntlm::FileTimeToIso8601(*ts),
           h_.authenticate->where + ": MsvAvTimestamp " + ntlm::FileTimeToIso8601(*back)});
    } else if (back) {
      Check("the echoed MsvAvTimestamp equals the server's [MS-NLMP 3.1.5.1.2]");
    }
  }
  std::vector<std::string> differ;
  for (const ntlm::AvPair& p : issued.pairs) {
    if (p.id == static_cast<uint16_t>(ntlm::AvId::kTimestamp) ||
        p.id == static_cast<uint16_t>(ntlm::AvId::kFlags) || p.id > 5) {
      continue;
    }
    const ntlm::AvPair* q = echoed.Find(static_cast<ntlm::AvId>(p.id));
    if (q == nullptr) {
      differ.push_back(ntlm::AvIdName(p.id) + " is missing");
    } else if (q->value != p.value) {
      differ.push_back(ntlm::AvIdName(p.id) + " differs");
    }
  }
  if (issued.GetTimestamp() && !echoed.GetTimestamp()) {
    differ.push_back("MsvAvTimestamp is missing");
  }
  if (!differ.empty()) {
    std::vector<std::string> evidence;
    for (const std::string& d : differ) {
      evidence.push_back(h_.authenticate->where + ": " + d);
    }
    Add(true, "target_info_mismatch", "MS-NLMP 3.1.5.1.2",
        "the target info in the client's NTLMv2 blob is not the one the server sent",
        std::move(evidence));
  }
}

void Analysis::ChannelBindings() {
  if (!auth_ || !auth_->ntlmv2) {
    return;
  }
  const ntlm::AvPair* cb = auth_->ntlmv2->blob.av_pairs.Find(ntlm::AvId::kChannelBindings);
  const bool sent = cb != nullptr && !AllZero(cb->value);
  if (h_.http && !h_.tls) {
    // Channel bindings bind the handshake to a TLS channel (RFC 5929): over plain HTTP there is
    // none, and a recording without an https: URL gives no evidence of one.
    if (s_.certificate_der) {
      Check("channel bindings not judged: no TLS in this recording (no https: URL), and they "
            "apply only over TLS [MS-NLMP 3.1.5.1.2; RFC 5929 4]");
    }
    return;
  }
  if (s_.certificate_der) {
    auto expected = ntlm::TlsServerEndPointBindingsHash(*s_.certificate_der);
    if (!expected.ok()) {
      Add(false, "channel_bindings_wrong", expected.error().rule,
          "the channel binding hash cannot be computed for this certificate",
          {"--cert: " + expected.error().ToString()});
      return;
    }
    if (!sent) {
      Add(false, "no_channel_bindings", "MS-NLMP 3.1.5.1.2",
          "the client sent no channel bindings; a server that requires Extended Protection "
          "refuses it",
          {h_.authenticate->where + ": " +
           (cb == nullptr ? std::string("no MsvAvChannelBindings")
                          : std::string("MsvAvChannelBindings is all zero"))});
    } else if (ntlm::ConstantTimeEqual(cb->value, *expected)) {
      Check(
          "MsvAvChannelBindings matches the certificate (tls-server-end-point) "
          "[MS-NLMP 2.2.2.1]");
    } else if (h_.final_status && *h_.final_status >= 200 && *h_.final_status < 300) {
      Add(false, "channel_bindings_not_this_cert", "MS-NLMP 2.2.2.1",
          "the channel binding hash is not the one of this certificate, yet the server accepted "
          "the handshake: --cert is not the certificate the client bound to, or the server does "
          "not enforce Extended Protection",
          {h_.authenticate->where +
           ": MsvAvChannelBindings differs from MD5(gss_channel_bindings_struct) over "
           "\"tls-server-end-point:\" and the certificate's hash [RFC 5929 4.1]"});
    } else {
      Add(true, "channel_bindings_wrong", "MS-NLMP 2.2.2.1",
          "the channel binding hash is not the one of this certificate: the client bound the "
          "handshake to another TLS channel (a TLS-inspecting proxy, or another certificate)",
          {h_.authenticate->where +
           ": MsvAvChannelBindings differs from MD5(gss_channel_bindings_struct) over "
           "\"tls-server-end-point:\" and the certificate's hash [RFC 5929 4.1]"});
    }
    return;
  }
  if (h_.tls && !sent) {
    Add(false, "no_channel_bindings", "MS-NLMP 3.1.5.1.2",
        "the client sent no channel bindings over HTTPS; a server that requires Extended "
        "Protection refuses it",
        {h_.authenticate->where + ": " +
         (cb == nullptr ? std::string("no MsvAvChannelBindings")
                        : std::string("MsvAvChannelBindings is all zero"))});
  }
}

// The account's domain against what the client sent. |proof_verified|: the NTProofStr verified
// with the names as sent, so only the lookup of the account can fail.
void Analysis::Domain(bool proof_verified) {
  if (!auth_ || kind_ == "anonymous") {
    return;
  }
  std::optional<std::string> given_user;
  std::optional<std::string> given_domain = s_.domain;
  if (s_.user) {
    ntlm::UserName n = ntlm::SplitUserName(*s_.user);
    given_user = n.user;
    if (!given_domain && s_.user->find('\\') != std::string::npos) {
      given_domain = n.domain;
    }
  }
  const std::string why = proof_verified ? " (the password is right for the names as sent)" : "";
  if (given_user && !auth_->user.empty()) {
    auto a = ntlm::text::ToUpperUtf8(*given_user);
    auto b = ntlm::text::ToUpperUtf8(auth_->user);
    if (a.ok() && b.ok() && *a != *b) {
      Add(true, "wrong_user", "MS-NLMP 3.2.5.1.2",
          "the client sent user " + Quote(auth_->user) + ", not " + Quote(*given_user) + why,
          {h_.authenticate->where + ": UserName " + Quote(auth_->user)});
    }
  }
  if (given_domain) {
    if (!EqualsIgnoreCase(*given_domain, auth_->domain)) {
      Add(true, "wrong_domain", "MS-NLMP 3.2.5.1.2",
          "the client sent domain " + Quote(auth_->domain) + ", but the account is in " +
              Quote(*given_domain) + why,
          {h_.authenticate->where + ": DomainName " + Quote(auth_->domain)});
    }
    return;
  }
  const std::string nb = ServerNbDomain();
  const std::string dns = ServerDnsDomain();
  if (auth_->domain.empty() || (nb.empty() && dns.empty()) || EqualsIgnoreCase(auth_->domain, nb) ||
      EqualsIgnoreCase(auth_->domain, dns)) {
    return;
  }
  std::vector<std::string> evidence = {h_.authenticate->where + ": DomainName " +
                                       Quote(auth_->domain)};
  evidence.push_back(h_.challenge->where + ": MsvAvNbDomainName " + Quote(nb) +
                     ", MsvAvDnsDomainName " + Quote(dns));
  Add(false, "wrong_domain", "MS-NLMP 3.2.5.1.2",
      "the client sent domain " + Quote(auth_->domain) +
          ", which is neither the server's NetBIOS domain nor its DNS domain" + why,
      std::move(evidence));
}

// One way a client may have spelled the names it fed to NTOWFv2 (3.3.2).
struct Spelling {
  std::string label;
  std::string user;
  std::string domain;
  bool raw_user = false;  // the user name not upper-cased (a client bug)
};

bool Analysis::VerifyV2(const ntlm::Key16& nt) {
  const ntlm::Bytes& resp = auth_->nt_response;
  const ntlm::ByteView proof(resp.data(), 16);
  const ntlm::ByteView temp = ntlm::ByteView(resp).subspan(16);
  const std::string& user = auth_->user;
  const std::string& domain = auth_->domain;

  std::vector<Spelling> spellings;
  spellings.push_back({"as sent", user, domain, false});
  if (s_.user || s_.domain) {
    ntlm::UserName n = ntlm::SplitUserName(s_.user.value_or(user));
    std::string d =
        s_.domain.value_or(s_.user && s_.user->find('\\') != std::string::npos ? n.domain : domain);
    spellings.push_back({"as given with -u/-d", n.user, d, false});
  }
  spellings.push_back({"with an empty domain", user, "", false});
  if (!ServerNbDomain().empty()) {
    spellings.push_back({"with the server's NetBIOS domain", user, ServerNbDomain(), false});
  }
  if (!ServerDnsDomain().empty()) {
    spellings.push_back({"with the server's DNS domain", user, ServerDnsDomain(), false});
    if (user.find('@') == std::string::npos) {
      spellings.push_back({"in UPN form", user + "@" + ServerDnsDomain(), "", false});
    }
  }
  if (const size_t at = user.find('@'); at != std::string::npos && domain.empty()) {
    spellings.push_back(
        {"with the UPN split at '@'", user.substr(0, at), user.substr(at + 1), false});
  }
  spellings.push_back({"with the domain in upper case", user, Upper(domain), false});
  spellings.push_back({"with the domain in lower case", user, Lower(domain), false});
  spellings.push_back({"with the user name not upper-cased", user, domain, true});

  std::set<std::tuple<std::string, std::string, bool>> seen;
  std::vector<std::string> tried;
  for (const Spelling& sp : spellings) {
    if (!seen.insert({sp.user, sp.domain, sp.raw_user}).second) {
      continue;
    }
    ntlm::Key16 key{};
    if (sp.raw_user) {
      auto unicode = ntlm::text::Utf8ToUtf16Le(sp.user + sp.domain);
      if (!unicode.ok()) {
        continue;
      }
      key = ntlm::crypto::HmacMd5Digest(nt, *unicode);
    } else {
      auto k = ntlm::NtOwfV2(nt, sp.user, sp.domain);
      if (!k.ok()) {
        continue;
      }
      key = *k;
    }
    const ntlm::Key16 computed = ntlm::NtProofStrOverTemp(key, chal_->server_challenge, temp);
    const std::string names = "user " + Quote(sp.user) + ", domain " + Quote(sp.domain);
    tried.push_back(names + " (" + sp.label + ")");
    if (!ntlm::ConstantTimeEqual(computed, proof)) {
      continue;
    }
    if (sp.label == "as sent") {
      Check("the NTProofStr verifies with the given " +
            std::string(s_.password ? "password" : "NT hash") + " for " + names +
            " [MS-NLMP 3.3.2]");
    } else {
      Add(true, "spelling_mismatch", "MS-NLMP 3.3.2",
          "the NTProofStr matches the password " + sp.label + " (" + names +
              "), not the names the client sent (user " + Quote(user) + ", domain " +
              Quote(domain) + "): the server computes it from what was sent",
          {h_.authenticate->where + ": NTProofStr verifies for " + names});
    }
    const ntlm::Key16 base = ntlm::NtlmV2SessionBaseKey(key, computed);
    VerifyMic(ntlm::KxKeyNtlmV2(base));
    return sp.label == "as sent";
  }
  std::vector<std::string> evidence;
  evidence.push_back(h_.authenticate->where + ": the NTProofStr matches none of " +
                     std::to_string(tried.size()) + " spellings tried");
  for (const std::string& t : tried) {
    evidence.push_back("tried " + t);
  }
  Add(true, "wrong_password", "MS-NLMP 3.3.2",
      "the password is wrong: no spelling of the user and domain gives the NTProofStr the "
      "client sent with this " +
          std::string(s_.password ? "password" : "NT hash"),
      std::move(evidence));
  return false;
}

bool Analysis::VerifyV1(const ntlm::Key16& nt) {
  const ntlm::Challenge8& chal = chal_->server_challenge;
  bool ok = false;
  std::optional<ntlm::Key16> lm_owf;
  if (s_.password) {
    auto lm = ntlm::LmOwfV1(*s_.password);
    if (lm.ok()) {
      lm_owf = *lm;
    }
  }
  if (kind_ == "NTLMv1" && auth_->nt_response.size() == 24) {
    const ntlm::Response24 r = ntlm::NtlmV1Response(nt, chal);
    ok = ntlm::ConstantTimeEqual(r, auth_->nt_response);
  } else if (kind_ == "NTLMv1-ESS" && auth_->nt_response.size() == 24 &&
             auth_->lm_response.size() >= 8) {
    ntlm::Challenge8 client{};
    std::copy_n(auth_->lm_response.begin(), 8, client.begin());
    const auto r = ntlm::NtlmV1EssResponse(nt, chal, client);
    ok = ntlm::ConstantTimeEqual(r.nt, auth_->nt_response);
  } else if (kind_ == "LM" && lm_owf && auth_->lm_response.size() == 24) {
    const ntlm::Response24 r = ntlm::LmV1Response(*lm_owf, chal);
    ok = ntlm::ConstantTimeEqual(r, auth_->lm_response);
  } else {
    return false;
  }
  if (!ok) {
    Add(true, "wrong_password", "MS-NLMP 3.3.1",
        "the password is wrong: the " + kind_ + " response is not the one this " +
            std::string(s_.password ? "password" : "NT hash") + " gives",
        {h_.authenticate->where + ": the " + kind_ + " response differs"});
    return false;
  }
  Check("the " + kind_ + " response verifies with the given " +
        std::string(s_.password ? "password" : "NT hash") + " [MS-NLMP 3.3.1]");
  const ntlm::Key16 base = ntlm::NtlmV1SessionBaseKey(nt);
  auto kx = ntlm::KxKeyNtlmV1(auth_->flags, base, auth_->lm_response, chal, lm_owf);
  if (kx.ok()) {
    VerifyMic(*kx);
  }
  return true;
}

void Analysis::VerifyMic(const ntlm::Key16& key_exchange_key) {
  if (!auth_->mic) {
    return;
  }
  auto exported = ntlm::ExportedSessionKeyFromWire(auth_->flags, key_exchange_key,
                                                   auth_->encrypted_random_session_key);
  auto zeroed = ntlm::ZeroMicField(h_.authenticate->ntlm);
  if (!exported.ok() || !zeroed.ok()) {
    return;
  }
  if (!h_.negotiate) {
    // The MIC covers the NEGOTIATE too (3.1.5.1.2): without it the MIC cannot be checked, and
    // a mismatch would blame the wrong input.
    Check("the MIC was not checked: the NEGOTIATE is not among the messages given");
    return;
  }
  const ntlm::ByteView negotiate = ntlm::ByteView(h_.negotiate->ntlm);
  const ntlm::Key16 mic = ntlm::ComputeMic(*exported, negotiate, h_.challenge->ntlm, *zeroed);
  if (ntlm::ConstantTimeEqual(mic, *auth_->mic)) {
    Check("the MIC verifies over NEGOTIATE, CHALLENGE and AUTHENTICATE [MS-NLMP 3.1.5.1.2]");
    return;
  }
  std::string which;
  if (!negotiate.empty() && ntlm::ConstantTimeEqual(ntlm::ComputeMic(*exported, ntlm::ByteView(),
                                                                     h_.challenge->ntlm, *zeroed),
                                                    *auth_->mic)) {
    which =
        "the NEGOTIATE_MESSAGE: the MIC matches one computed without it (over an empty "
        "NEGOTIATE), so the client signed another NEGOTIATE than the one it sent";
  } else if ((auth_->flags & ntlm::kNegotiateKeyExch) != 0 &&
             ntlm::ConstantTimeEqual(
                 ntlm::ComputeMic(key_exchange_key, negotiate, h_.challenge->ntlm, *zeroed),
                 *auth_->mic)) {
    which =
        "the key: the MIC matches one keyed with the key exchange key instead of the "
        "exported session key (NTLMSSP_NEGOTIATE_KEY_EXCH ignored)";
  } else {
    which =
        "the messages: the response verifies, so the key is right, but the NEGOTIATE, "
        "CHALLENGE or AUTHENTICATE bytes are not the ones the client signed (changed in "
        "transit, or a NEGOTIATE from another handshake)";
  }
  Add(true, "mic_wrong", "MS-NLMP 3.1.5.1.2",
      "the MIC is wrong; the input that differs is " + which,
      {h_.authenticate->where + ": MIC differs from HMAC_MD5(ExportedSessionKey, NEGOTIATE || "
                                "CHALLENGE || AUTHENTICATE with Z(16) as MIC)"});
}

void Analysis::CheckSecrets() {
  if (!auth_ || !chal_ || (!s_.password && !s_.nt_hash) || kind_ == "anonymous" ||
      kind_ == "unknown") {
    Domain(false);
    return;
  }
  ntlm::Key16 nt{};
  if (s_.password) {
    auto k = ntlm::NtOwfV1(*s_.password);
    if (!k.ok()) {
      Domain(false);
      return;
    }
    nt = *k;
  } else {
    nt = *s_.nt_hash;
  }
  bool as_sent = false;
  if (auth_->ntlmv2) {
    as_sent = VerifyV2(nt);
  } else {
    as_sent = VerifyV1(nt);
  }
  Domain(as_sent && auth_->ntlmv2.has_value());
}

void Analysis::Finish() {
  v_.final_status = h_.final_status;
  if (h_.http && h_.authenticate &&
      (h_.final_method == "POST" || h_.final_method == "PUT" || h_.final_method == "PATCH") &&
      h_.body_before > 0 && h_.final_body == 0 && !h_.final_body_unknown) {
    Add(true, "body_not_resent", "RFC 9110 11.6.2",
        "the request that carried the AUTHENTICATE had no body, though the " + h_.final_method +
            " sent one before: the server processed an empty " + h_.final_method,
        {h_.body_before_where + ": body of " + std::to_string(h_.body_before) + " bytes",
         h_.authenticate->where + ": no body"});
  }

  const bool http_refused = h_.final_status && (*h_.final_status == 401 || *h_.final_status == 407);
  const bool http_ok = h_.final_status && *h_.final_status >= 200 && *h_.final_status < 400;
  const bool http_2xx = h_.final_status && *h_.final_status >= 200 && *h_.final_status < 300;

  std::stable_sort(found_.begin(), found_.end(), [](const Found& a, const Found& b) {
    return Rank(a.finding.id) < Rank(b.finding.id);
  });
  // What the server said leads: its X-NTLM-Reject reason confirms a finding (moved first, with
  // the header as evidence) or is a cause of its own, ahead of every guess.
  if (http_refused && !h_.reject_header.empty()) {
    const std::string evidence =
        h_.final_where + ": HTTP " + std::to_string(*h_.final_status) +
        " (X-NTLM-Reject: " + h_.reject_header + ")";
    const StatedReason* stated = nullptr;
    for (const StatedReason& r : kStated) {
      if (h_.reject_header == r.reason) {
        stated = &r;
      }
    }
    const std::string id = stated != nullptr ? stated->id : "server_rejected";
    // The findings the reason confirms: the same id; for "wrong_proof" what the password check
    // found; for "unknown_user" the names checked against -u/-d.
    auto confirms = [&](const std::string& f) {
      if (f == id) {
        return true;
      }
      if (h_.reject_header == "wrong_proof") {
        return f == "wrong_password" || f == "spelling_mismatch";
      }
      if (h_.reject_header == "unknown_user") {
        return f == "wrong_user" || f == "wrong_domain";
      }
      return false;
    };
    auto it = std::find_if(found_.begin(), found_.end(),
                           [&](const Found& f) { return confirms(f.finding.id); });
    if (it != found_.end()) {
      // Confirmed: it leads, with the server's word as evidence.
      Found lead = std::move(*it);
      found_.erase(it);
      lead.finding.evidence.push_back(evidence);
      lead.fatal = true;
      found_.insert(found_.begin(), std::move(lead));
    } else if (std::none_of(found_.begin(), found_.end(),
                            [](const Found& f) { return f.fatal; })) {
      // Only guesses (or nothing) were found: the server's stated reason leads them. A certain
      // cause (a switched connection, a wrong MIC, ...) keeps the lead, as it explains the
      // reason; the reason is on the "checked: HTTP ..." line.
      Found lead;
      lead.finding = Finding{
          h_.reject_header == "wrong_proof" ? std::string("rejected_without_visible_fault") : id,
          StatedRule(h_.reject_header),
          stated != nullptr
              ? std::string(stated->summary)
              : "the server says it refused the handshake because of " + Quote(h_.reject_header),
          {evidence}};
      found_.insert(found_.begin(), std::move(lead));
    }
  }
  const bool any_fatal =
      std::any_of(found_.begin(), found_.end(), [](const Found& f) { return f.fatal; });
  // The domain heuristic (no -d: the domain sent is not the server's) is a guess: behind a
  // certain cause or the server's stated reason it is a warning, never a cause.
  if (any_fatal) {
    for (auto it = found_.begin(); it != found_.end();) {
      if (!it->fatal && it->finding.id == "wrong_domain") {
        v_.warnings.push_back(std::move(it->finding));
        it = found_.erase(it);
      } else {
        ++it;
      }
    }
  }
  const bool undecided =
      std::any_of(found_.begin(), found_.end(),
                  [](const Found& f) { return f.finding.id == "capture_incomplete"; }) &&
      std::count_if(found_.begin(), found_.end(), [](const Found& f) { return f.fatal; }) == 1;
  if (http_2xx) {
    // The server accepted the handshake: nothing about it is a cause of failure. Only a body
    // that was not re-sent (the request's effect, not the handshake) stays one.
    for (Found& f : found_) {
      (f.finding.id == "body_not_resent" ? v_.causes : v_.warnings)
          .push_back(std::move(f.finding));
    }
  } else if ((!any_fatal && http_ok) || undecided) {
    for (Found& f : found_) {
      (f.finding.id == "capture_incomplete" ? v_.causes : v_.warnings)
          .push_back(std::move(f.finding));
    }
  } else {
    for (Found& f : found_) {
      v_.causes.push_back(std::move(f.finding));
    }
  }
  if (v_.causes.empty() && http_refused) {
    std::string status = std::to_string(*h_.final_status);
    if (!h_.reject_header.empty()) {
      status += " (X-NTLM-Reject: " + h_.reject_header + ")";
    }
    std::string hint = (s_.password || s_.nt_hash)
                           ? "the server refused a handshake in which nothing wrong was found"
                           : "the server refused the handshake and its structure is sound: the "
                             "password is the likely cause; give the password (--password-stdin "
                             "or NTLM_PASSWORD) or --nt-hash to check the NTProofStr";
    v_.causes.push_back(Finding{"rejected_without_visible_fault",
                                "MS-NLMP 3.2.5.1.2",
                                hint,
                                {h_.final_where + ": HTTP " + status}});
  }
  if (h_.final_status) {
    std::string status = "HTTP " + std::to_string(*h_.final_status) + " after the AUTHENTICATE";
    if (!h_.reject_header.empty()) {
      status += " (X-NTLM-Reject: " + h_.reject_header + ")";
    }
    v_.checks.insert(v_.checks.begin(), status);
  }
  v_.outcome = v_.causes.empty()                                       ? Outcome::kSuccess
                : (undecided && !http_2xx && v_.causes.size() == 1) ? Outcome::kUndecided
                                                                     : Outcome::kFailure;
}

Verdict Analysis::Run() {
  v_.label = h_.Label();
  const bool decoded = Decode();
  Structure();
  if (decoded) {
    Flags();
    TargetInfoEcho();
    ChannelBindings();
    CheckSecrets();
  }
  Finish();
  return std::move(v_);
}

}  // namespace

Verdict Analyze(const Handshake& handshake, const Secrets& secrets) {
  return Analysis(handshake, secrets).Run();
}

ntlm::Result<ntlm::Bytes> LoadCertificate(ntlm::ByteView file) {
  const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) {
    if (!file.empty() && file[0] == 0x30) {
      return ntlm::Bytes(file.begin(), file.end());  // DER; the hash checks it
    }
    return ntlm::MakeError(
        ntlm::ErrorCode::kInvalidArgument, "RFC 7468 5", "certificate", 0,
        "neither PEM (no \"" + std::string(kBegin) + "\") nor DER (no SEQUENCE at offset 0)");
  }
  const size_t body = begin + kBegin.size();
  const size_t end = text.find(kEnd, body);
  if (end == std::string_view::npos) {
    return ntlm::MakeError(ntlm::ErrorCode::kTruncated, "RFC 7468 5", "certificate", body,
                           "no \"" + std::string(kEnd) + "\" after the BEGIN line");
  }
  std::string b64;
  for (size_t i = body; i < end; ++i) {
    const char c = text[i];
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      b64.push_back(c);
    }
  }
  auto der = ntlm::http_auth::Base64Decode(b64);
  if (!der.ok()) {
    return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "RFC 7468 5", "certificate", body,
                           "the PEM body is not base64: " + der.error().reason);
  }
  return std::move(*der);
}

}  // namespace ntlmh::explain
