// Tests of the conformance notes ([MS-NLMP] 2.2.1.1-2.2.1.3, 2.2.2.1, 2.2.2.5, 2.2.2.7). Each
// test builds the smallest message that breaks one rule and expects the note naming it; most
// also check that the message without the fault gets no such note.
#include "engine/lint.h"

#include <gtest/gtest.h>

#include "engine/av_pairs.h"
#include "engine/testing/test_util.h"
#include "engine/text.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

// The notes whose rule is |rule| and whose text contains |part|.
size_t CountNotes(const std::vector<LintNote>& notes, Severity severity, const std::string& rule,
                  const std::string& part) {
  size_t n = 0;
  for (const LintNote& note : notes) {
    if (note.severity == severity && note.rule == rule &&
        note.text.find(part) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

std::string Dump(const std::vector<LintNote>& notes) {
  std::string out;
  for (const LintNote& n : notes) {
    out += std::string("[") + SeverityName(n.severity) + " " + n.rule + "] " + n.field + ": " +
           n.text + "\n";
  }
  return out;
}

Bytes Utf16(const char* s) {
  auto b = text::Utf8ToUtf16Le(s);
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : Bytes();
}

Bytes U32(uint32_t v) {
  Bytes b(4);
  StoreU32Le(b.data(), v);
  return b;
}

Bytes U64(uint64_t v) {
  Bytes b(8);
  StoreU32Le(b.data(), static_cast<uint32_t>(v));
  StoreU32Le(b.data() + 4, static_cast<uint32_t>(v >> 32));
  return b;
}

// 2024-01-01T00:00:00Z.
const uint64_t kPlausibleTime = UnixToFileTime(1704067200);

// A CHALLENGE as Windows sends it, with nothing for the notes below to say.
ChallengeMessage GoodChallenge() {
  ChallengeMessage m;
  m.flags = kNegotiateUnicode | kNegotiateNtlm | kTargetTypeDomain |
            kNegotiateExtendedSessionSecurity | kNegotiateTargetInfo | kNegotiate128;
  m.target_name = "DOMAIN";
  TargetInfo ti;
  ti.pairs.push_back({static_cast<uint16_t>(AvId::kNbDomainName), Utf16("DOMAIN")});
  ti.pairs.push_back({static_cast<uint16_t>(AvId::kNbComputerName), Utf16("SERVER")});
  ti.pairs.push_back({static_cast<uint16_t>(AvId::kTimestamp), U64(kPlausibleTime)});
  m.target_info = ti;
  return m;
}

// An NTLMv2 AUTHENTICATE with a MIC, an SPN and real channel bindings.
AuthenticateMessage GoodAuthenticate() {
  AuthenticateMessage m;
  m.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateExtendedSessionSecurity |
            kNegotiateTargetInfo | kNegotiate128 | kNegotiateKeyExch;
  m.lm_response = Bytes(24, 0);
  m.nt_response = Bytes(64, 1);
  m.encrypted_random_session_key = Bytes(16, 2);
  m.user = "user";
  m.mic = std::array<uint8_t, 16>{};
  NtlmV2Response v2;
  v2.blob.timestamp = kPlausibleTime;
  v2.blob.av_pairs.pairs.push_back({static_cast<uint16_t>(AvId::kFlags), U32(kAvFlagMicPresent)});
  v2.blob.av_pairs.pairs.push_back({static_cast<uint16_t>(AvId::kTimestamp), U64(kPlausibleTime)});
  v2.blob.av_pairs.pairs.push_back(
      {static_cast<uint16_t>(AvId::kChannelBindings), Bytes(16, 0x5a)});
  v2.blob.av_pairs.pairs.push_back(
      {static_cast<uint16_t>(AvId::kTargetName), Utf16("HTTP/server.example")});
  m.ntlmv2 = v2;
  return m;
}

TEST(Lint, GoodMessagesHaveNoNotes) {
  EXPECT_EQ(Dump(LintChallenge(GoodChallenge())), "");
  EXPECT_EQ(Dump(LintAuthenticate(GoodAuthenticate())), "");
}

// ---- Deviations a lenient decoder tolerates (DecodePolicy::Lenient) -----------------------

TEST(Lint_2_2_2_1, MissingEolIsAMustNote) {
  ChallengeMessage m = GoodChallenge();
  m.target_info->had_eol = false;
  const auto notes = LintChallenge(m);
  EXPECT_EQ(CountNotes(notes, Severity::kMust, "MS-NLMP 2.2.2.1", "without MsvAvEOL"), 1u)
      << Dump(notes);

  AuthenticateMessage a = GoodAuthenticate();
  a.ntlmv2->blob.av_pairs.had_eol = false;
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kMust, "MS-NLMP 2.2.2.1",
                       "without MsvAvEOL"),
            1u);
}

TEST(Lint_2_2_2_1, BytesAfterEolInAChallenge) {
  ChallengeMessage m = GoodChallenge();
  m.target_info->bytes_after_eol = 1;
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kShould, "MS-NLMP 2.2.2.1",
                       "1 byte follows MsvAvEOL"),
            1u);
  m.target_info->bytes_after_eol = 3;
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kShould, "MS-NLMP 2.2.2.1",
                       "3 bytes follow MsvAvEOL"),
            1u);
}

TEST(Lint_2_2_2_1, DuplicateAndUnknownAvIdsAreReportedOnceEach) {
  ChallengeMessage m = GoodChallenge();
  m.target_info->pairs.push_back({static_cast<uint16_t>(AvId::kNbDomainName), Utf16("OTHER")});
  m.target_info->pairs.push_back({static_cast<uint16_t>(AvId::kNbDomainName), Utf16("THIRD")});
  m.target_info->pairs.push_back({0x000b, Bytes{1, 2}});
  m.target_info->pairs.push_back({0x000b, Bytes{3}});
  const auto notes = LintChallenge(m);
  EXPECT_EQ(CountNotes(notes, Severity::kShould, "MS-NLMP 2.2.2.1",
                       "MsvAvNbDomainName appears more than once"),
            1u)
      << Dump(notes);
  EXPECT_EQ(CountNotes(notes, Severity::kMust, "MS-NLMP 2.2.2.1",
                       "MsvAvUnknown(0x000b) is not an AvId the spec defines"),
            1u)
      << Dump(notes);
  EXPECT_EQ(CountNotes(notes, Severity::kShould, "MS-NLMP 2.2.2.1",
                       "MsvAvUnknown(0x000b) appears more than once"),
            1u)
      << Dump(notes);
}

TEST(Lint_2_2_1_2, TargetInfoFlagWithEmptyTargetInfo) {
  ChallengeMessage m = GoodChallenge();
  m.target_info.reset();
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kMust, "MS-NLMP 2.2.1.2",
                       "NTLMSSP_NEGOTIATE_TARGET_INFO is set but the target info is empty"),
            1u);
  m.flags &= ~kNegotiateTargetInfo;
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kMust, "MS-NLMP 2.2.1.2", "empty"), 0u);
}

// What the decoder records under the lenient policy reaches the notes: the [MS-NLMP] 4.2.4.2
// CHALLENGE with its MsvAvEOL replaced by an unknown pair of length 0.
TEST(Lint_2_2_2_1, LenientDecodeOfAListWithoutEolIsNoted) {
  Bytes wire = Hex(
      "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef0000000000000000240024"
      "0044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c"
      "0053006500720076006500720000000000");
  ASSERT_EQ(wire.size(), 104u);
  ASSERT_EQ(wire[100], 0x00);  // MsvAvEOL's AvId, low byte
  wire[100] = 0x0b;
  EXPECT_FALSE(DecodeChallenge(wire, DecodePolicy::Strict()).ok());
  auto m = DecodeChallenge(wire, DecodePolicy::Lenient());
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const auto notes = LintChallenge(*m);
  EXPECT_EQ(CountNotes(notes, Severity::kMust, "MS-NLMP 2.2.2.1", "without MsvAvEOL"), 1u)
      << Dump(notes);
  EXPECT_EQ(CountNotes(notes, Severity::kMust, "MS-NLMP 2.2.2.1", "MsvAvUnknown(0x000b)"), 1u)
      << Dump(notes);
}

// ---- What a Wireshark or curl user looks for -----------------------------------------------

TEST(Lint_2_2_2_1, UndefinedMsvAvFlagsBits) {
  AuthenticateMessage a = GoodAuthenticate();
  a.ntlmv2->blob.av_pairs.SetFlags(kAvFlagMicPresent | 0x00000010);
  const auto notes = LintAuthenticate(a);
  EXPECT_EQ(CountNotes(notes, Severity::kInfo, "MS-NLMP 2.2.2.1",
                       "MsvAvFlags 0x00000012 sets undefined bits 0x00000010"),
            1u)
      << Dump(notes);
  a.ntlmv2->blob.av_pairs.SetFlags(kAvFlagMicPresent | kAvFlagUntrustedSpn |
                                   kAvFlagAccountAuthConstrained);
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kInfo, "MS-NLMP 2.2.2.1", "undefined"),
            0u);
}

TEST(Lint_2_2_2_1, ClientOnlyPairsInAChallenge) {
  ChallengeMessage m = GoodChallenge();
  m.target_info->pairs.push_back({static_cast<uint16_t>(AvId::kTargetName), Utf16("HTTP/x")});
  m.target_info->pairs.push_back({static_cast<uint16_t>(AvId::kChannelBindings), Bytes(16, 0)});
  SingleHostData shd;
  m.target_info->pairs.push_back(
      {static_cast<uint16_t>(AvId::kSingleHost), EncodeSingleHostData(shd)});
  m.target_info->SetFlags(kAvFlagMicPresent);
  const auto notes = LintChallenge(m);
  for (const char* name : {"MsvAvTargetName is sent by clients",
                           "MsvAvChannelBindings is sent by clients",
                           "MsvAvSingleHost is sent by clients",
                           "MsvAvFlags 0x00000002 in a CHALLENGE sets client-only bits"}) {
    EXPECT_EQ(CountNotes(notes, Severity::kInfo, "MS-NLMP 2.2.2.1", name), 1u)
        << name << "\n" << Dump(notes);
  }
  // 0x1 (account authentication constrained) is the server's to say.
  ChallengeMessage ok = GoodChallenge();
  ok.target_info->SetFlags(kAvFlagAccountAuthConstrained);
  EXPECT_EQ(Dump(LintChallenge(ok)), "");
}

TEST(Lint_2_2_2_1, ImplausibleTimestamps) {
  ChallengeMessage m = GoodChallenge();
  m.target_info->SetTimestamp(0);
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kInfo, "MS-NLMP 2.2.2.1",
                       "MsvAvTimestamp 1601-01-01T00:00:00.0000000Z is implausible"),
            1u);
  m.target_info->SetTimestamp(UnixToFileTime(946684799));  // 1999-12-31T23:59:59Z
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kInfo, "MS-NLMP 2.2.2.1", "implausible"), 1u);
  m.target_info->SetTimestamp(UnixToFileTime(946684800));  // 2000-01-01T00:00:00Z
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kInfo, "MS-NLMP 2.2.2.1", "implausible"), 0u);
  m.target_info->SetTimestamp(UnixToFileTime(4102444800));  // 2100-01-01T00:00:00Z
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kInfo, "MS-NLMP 2.2.2.1", "implausible"), 1u);

  AuthenticateMessage a = GoodAuthenticate();
  a.ntlmv2->blob.timestamp = 0;
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kInfo, "MS-NLMP 2.2.2.7",
                       "TimeStamp 1601-01-01T00:00:00.0000000Z is implausible"),
            1u);
}

TEST(Lint_2_2_2_1, AllZeroChannelBindings) {
  AuthenticateMessage a = GoodAuthenticate();
  a.ntlmv2->blob.av_pairs.Set(AvId::kChannelBindings, Bytes(16, 0));
  const auto notes = LintAuthenticate(a);
  EXPECT_EQ(CountNotes(notes, Severity::kInfo, "MS-NLMP 2.2.2.1",
                       "MsvAvChannelBindings is all zero: no channel binding"),
            1u)
      << Dump(notes);
  a.ntlmv2->blob.av_pairs.Remove(AvId::kChannelBindings);
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kInfo, "MS-NLMP 2.2.2.1",
                       "no MsvAvChannelBindings"),
            1u);
}

TEST(Lint_2_2_1_1, SuppliedFlagsWithEmptyFields) {
  NegotiateMessage m;
  m.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateOemDomainSupplied |
            kNegotiateOemWorkstationSupplied;
  auto notes = LintNegotiate(m);
  EXPECT_EQ(CountNotes(notes, Severity::kShould, "MS-NLMP 2.2.1.1",
                       "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED is set but the domain name is "
                       "empty"),
            1u)
      << Dump(notes);
  EXPECT_EQ(CountNotes(notes, Severity::kShould, "MS-NLMP 2.2.1.1",
                       "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED is set but the workstation "
                       "name is empty"),
            1u)
      << Dump(notes);
  m.domain = "DOMAIN";
  m.domain_field.len = 6;
  m.workstation = "WS";
  m.workstation_field.len = 2;
  EXPECT_EQ(Dump(LintNegotiate(m)), "");
}

TEST(Lint_2_2_2_5, BothTargetTypes) {
  ChallengeMessage m = GoodChallenge();
  m.flags |= kTargetTypeServer;
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kMust, "MS-NLMP 2.2.2.5",
                       "NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER are both set"),
            1u);
  NegotiateMessage n;
  n.flags = kNegotiateUnicode | kNegotiateNtlm | kTargetTypeDomain | kTargetTypeServer;
  EXPECT_EQ(CountNotes(LintNegotiate(n), Severity::kInfo, "MS-NLMP 2.2.2.5",
                       "both are ignored outside a CHALLENGE"),
            1u);
}

TEST(Lint_2_2_2_5, ExtendedSessionSecurityWinsOverLmKey) {
  ChallengeMessage m = GoodChallenge();
  m.flags |= kNegotiateLmKey;
  EXPECT_EQ(CountNotes(LintChallenge(m), Severity::kMust, "MS-NLMP 2.2.2.5",
                       "must return extended session security alone"),
            1u);
  NegotiateMessage n;
  n.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateLmKey |
            kNegotiateExtendedSessionSecurity;
  auto notes = LintNegotiate(n);
  EXPECT_EQ(CountNotes(notes, Severity::kInfo, "MS-NLMP 2.2.2.5", "extended session security wins"),
            1u)
      << Dump(notes);
  EXPECT_EQ(CountNotes(notes, Severity::kInfo, "MS-NLMP 2.2.2.5", "which is weak"), 0u);
  AuthenticateMessage a = GoodAuthenticate();
  a.flags |= kNegotiateLmKey;
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kInfo, "MS-NLMP 2.2.2.5",
                       "extended session security wins, LM_KEY is ignored"),
            1u);
}

TEST(Lint_3_1_5_1_2, SessionKeySizeSaysOneByte) {
  AuthenticateMessage a = GoodAuthenticate();
  a.encrypted_random_session_key = Bytes(1, 0);
  EXPECT_EQ(CountNotes(LintAuthenticate(a), Severity::kMust, "MS-NLMP 3.1.5.1.2",
                       "EncryptedRandomSessionKey has 1 byte, not 16"),
            1u);
}

}  // namespace
}  // namespace ntlm
