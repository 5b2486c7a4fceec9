// Tests of the client context, [MS-NLMP] 3.1.5.1: the 4.2.4 example reproduced through the
// context, MIC and channel bindings, and every refusal of a hostile or broken CHALLENGE.
#include "engine/client.h"

#include <gtest/gtest.h>

#include "engine/internal/test_seam.h"
#include "engine/messages.h"
#include "engine/testing/test_util.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

// [MS-NLMP] 4.2.4.2 and 4.2.4.3: the NTLMv2 example's CHALLENGE and AUTHENTICATE.
const char kSpecChallenge[] =
    "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef000000000000000024002400"
    "44000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c00"
    "53006500720076006500720000000000";
const char kSpecAuthenticate[] =
    "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000"
    "100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e0055007300"
    "6500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
    "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
    "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad254"
    "4fc9799094ce1ce90bc9d03e";

Bytes SpecRandom() {
  Bytes r(8, 0xaa);            // ClientChallenge (4.2.1)
  r.insert(r.end(), 16, 0x55); // RandomSessionKey (4.2.1)
  return r;
}

ClientConfig SpecConfig() {
  ClientConfig c;
  c.user = "User";
  c.domain = "Domain";
  c.secret.password = "Password";
  c.workstation = "COMPUTER";
  c.negotiate_flags = 0xe2888235u;  // the flags the example's AUTHENTICATE carries
  c.version = Version{5, 1, 2600, {0, 0, 0}, 15};
  return c;
}

TEST(ClientContext_4_2_4, ReproducesTheSpecAuthenticate) {
  internal::FixedEnvironment env(SpecRandom(), /*filetime=*/0);
  ClientContext client(SpecConfig(), &env);
  auto auth = client.Authenticate(Hex(kSpecChallenge));
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(ToHex(*auth), ToHex(Hex(kSpecAuthenticate)));
  EXPECT_EQ(client.negotiated_flags(), 0xe2888235u);
  EXPECT_EQ(ToHex(client.session_base_key()), "8de40ccadbc14a82f15cb0ad0de95ca3");
  EXPECT_EQ(ToHex(client.exported_session_key()), "55555555555555555555555555555555");
  EXPECT_FALSE(client.mic_sent());  // the example's CHALLENGE has no MsvAvTimestamp
}

TEST(ClientContext_4_2_4, SealsLikeTheSpec) {
  internal::FixedEnvironment env(SpecRandom(), 0);
  ClientContext client(SpecConfig(), &env);
  ASSERT_TRUE(client.Authenticate(Hex(kSpecChallenge)).ok());
  auto session = client.Session();
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  // 4.2.4.4: "Plaintext" in UTF-16LE sealed with the client's keys, sequence number 0.
  auto sealed = session->Seal(Hex("50006c00610069006e007400650078007400"));
  EXPECT_EQ(ToHex(sealed.data), "54e50165bf1936dc996020c1811b0f06fb5f");
  EXPECT_EQ(ToHex(sealed.signature), "010000007fb38ec5c55d497600000000");
}

// [MS-NLMP] 4.2.2.3 and 4.2.3.3: the NTLMv1 and NTLMv1-with-ESS AUTHENTICATE messages.
TEST(ClientContext_4_2_2, ReproducesTheSpecNtlmV1Authenticate) {
  internal::FixedEnvironment env(Bytes(16, 0x55), 0);  // RandomSessionKey
  ClientConfig cfg = SpecConfig();
  cfg.response = ResponseKind::kNtlmV1;
  cfg.authenticate_flags = 0xe2808235u;  // as printed in 4.2.2.3
  ClientContext client(cfg, &env);
  auto auth = client.Authenticate(Hex(
      "4e544c4d53535000020000000c000c0038000000338202e20123456789abcdef000000000000000000000000"
      "00000000060070170000000f530065007200760065007200"));
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(ToHex(*auth),
            "4e544c4d5353500003000000180018006c00000018001800840000000c000c0048000000080008005400"
            "0000100010005c000000100010009c000000358280e20501280a0000000f44006f006d00610069006e00"
            "550073006500720043004f004d0050005500540045005200"
            "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13"
            "67c43011f30298a2ad35ece64f16331c44bdbed927841f94"
            "518822b1b3f350c8958682ecbb3e3cb7");
}

TEST(ClientContext_4_2_3, ReproducesTheSpecEssAuthenticate) {
  internal::FixedEnvironment env(Bytes(8, 0xaa), 0);  // ClientChallenge
  ClientConfig cfg = SpecConfig();
  cfg.response = ResponseKind::kNtlmV1Ess;
  cfg.negotiate_flags = 0x82088235u;
  ClientContext client(cfg, &env);
  auto auth = client.Authenticate(Hex(
      "4e544c4d53535000020000000c000c003800000033820a820123456789abcdef000000000000000000000000"
      "00000000060070170000000f530065007200760065007200"));
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(client.negotiated_flags(), 0x82088235u);
  EXPECT_EQ(ToHex(*auth),
            "4e544c4d5353500003000000180018006c00000018001800840000000c000c0048000000080008005400"
            "0000100010005c000000000000009c000000358208820501280a0000000f44006f006d00610069006e00"
            "550073006500720043004f004d0050005500540045005200"
            "aaaaaaaaaaaaaaaa00000000000000000000000000000000"
            "7537f803ae367128ca458204bde7caf81e97ed2683267232");
}

// A modern CHALLENGE: Unicode, ESS, target info with a timestamp, as Windows servers send.
Bytes ModernChallenge(uint32_t flags = kNegotiateUnicode | kNegotiateNtlm |
                                       kNegotiateExtendedSessionSecurity | kNegotiateTargetInfo |
                                       kNegotiate128 | kNegotiateKeyExch | kNegotiate56 |
                                       kNegotiateVersion | kTargetTypeDomain,
                      bool with_timestamp = true) {
  ChallengeMessage c;
  c.flags = flags;
  c.target_name = "DOMAIN";
  c.server_challenge = {1, 2, 3, 4, 5, 6, 7, 8};
  TargetInfo ti;
  EXPECT_TRUE(ti.SetString(AvId::kNbDomainName, "DOMAIN").ok());
  EXPECT_TRUE(ti.SetString(AvId::kNbComputerName, "SERVER").ok());
  if (with_timestamp) {
    ti.SetTimestamp(0x01db000000000000ULL);
  }
  if ((flags & kNegotiateTargetInfo) != 0) {
    c.target_info = ti;
  }
  c.version = Version{10, 0, 20348, {0, 0, 0}, 15};
  if ((flags & kNegotiateVersion) == 0) {
    c.version.reset();
  }
  auto b = EncodeChallenge(c);
  EXPECT_TRUE(b.ok());
  return *b;
}

ClientConfig Alice() {
  ClientConfig c;
  c.user = "DOMAIN\\alice";
  c.secret.password = "Secret1!";
  c.workstation = "WS1";
  return c;
}

struct Handshake {
  Bytes negotiate;
  Bytes challenge;
  Bytes authenticate;
  AuthenticateMessage auth;
};

Handshake RunHandshake(ClientContext* client, const Bytes& challenge) {
  Handshake h;
  auto n = client->Negotiate();
  EXPECT_TRUE(n.ok());
  h.negotiate = *n;
  h.challenge = challenge;
  auto a = client->Authenticate(challenge);
  EXPECT_TRUE(a.ok()) << a.error().ToString();
  if (!a.ok()) {
    return h;
  }
  h.authenticate = *a;
  auto d = DecodeAuthenticate(*a, DecodePolicy::Strict());
  EXPECT_TRUE(d.ok()) << d.error().ToString();
  h.auth = *d;
  return h;
}

TEST(ClientContext_3_1_5_1_2, MicWithServerTimestamp) {
  internal::FixedEnvironment env(Bytes{0x42}, 0x01dc000000000000ULL);
  ClientContext client(Alice(), &env);
  Handshake h = RunHandshake(&client, ModernChallenge());
  ASSERT_TRUE(h.auth.ntlmv2.has_value());
  EXPECT_TRUE(client.mic_sent());
  EXPECT_EQ(h.auth.lm_response, Bytes(24, 0));  // LMv2 is Z(24) with a server timestamp
  EXPECT_EQ(h.auth.ntlmv2->blob.timestamp, 0x01db000000000000ULL);  // the server's time
  EXPECT_EQ(h.auth.ntlmv2->blob.av_pairs.GetFlags(), kAvFlagMicPresent);
  EXPECT_EQ(h.auth.domain, "DOMAIN");
  EXPECT_EQ(h.auth.user, "alice");
  EXPECT_EQ(h.auth.workstation, "WS1");
  ASSERT_TRUE(h.auth.mic.has_value());
  auto zeroed = ZeroMicField(h.authenticate);
  ASSERT_TRUE(zeroed.ok());
  const Key16 mic = ComputeMic(client.exported_session_key(), h.negotiate, h.challenge, *zeroed);
  EXPECT_EQ(ToHex(*h.auth.mic), ToHex(mic));
  EXPECT_EQ(ToHex(client.exported_session_key()), "42424242424242424242424242424242");
}

TEST(ClientContext_3_1_5_1_2, ServerTimestampMeansZeroLmEvenWithoutMic) {
  internal::FixedEnvironment env(Bytes{0x42}, 0x01dc000000000000ULL);
  ClientConfig cfg = Alice();
  cfg.send_mic = false;
  ClientContext client(cfg, &env);
  Handshake h = RunHandshake(&client, ModernChallenge());
  EXPECT_FALSE(client.mic_sent());
  EXPECT_EQ(h.auth.lm_response, Bytes(24, 0));
  EXPECT_FALSE(h.auth.ntlmv2->blob.av_pairs.Has(AvId::kFlags));
}

TEST(ClientContext_2_2_2_1, ServerChosenClientPairsAreNotSigned) {
  // A CHALLENGE that carries the pairs only a client may state: a relay's attempt to make the
  // victim sign the real server's channel binding and SPN.
  ChallengeMessage c;
  c.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateTargetInfo |
            kNegotiateExtendedSessionSecurity;
  TargetInfo ti;
  ASSERT_TRUE(ti.SetString(AvId::kNbDomainName, "DOMAIN").ok());
  ASSERT_TRUE(ti.SetString(AvId::kNbComputerName, "SERVER").ok());
  ASSERT_TRUE(ti.SetString(AvId::kTargetName, "HTTP/victim.example").ok());
  ti.Set(AvId::kChannelBindings, Bytes(16, 0xAB));
  ti.SetFlags(kAvFlagAccountAuthConstrained | kAvFlagUntrustedSpn);
  c.target_info = ti;
  auto wire = EncodeChallenge(c);
  ASSERT_TRUE(wire.ok());
  internal::FixedEnvironment env(Bytes{0x42}, 0);
  ClientContext client(Alice(), &env);
  Handshake h = RunHandshake(&client, *wire);
  const TargetInfo& av = h.auth.ntlmv2->blob.av_pairs;
  EXPECT_FALSE(av.Has(AvId::kTargetName));
  EXPECT_FALSE(av.Has(AvId::kChannelBindings));
  EXPECT_FALSE(av.Has(AvId::kFlags));
  EXPECT_EQ(av.GetString(AvId::kNbComputerName), "SERVER");
}

TEST(ClientContext_3_1_5_1_2, NoTimestampNoMicAndLmV2) {
  internal::FixedEnvironment env(Bytes{0x42}, 0x01dc000000000000ULL);
  ClientContext client(Alice(), &env);
  Handshake h = RunHandshake(&client, ModernChallenge(kNegotiateUnicode | kNegotiateNtlm |
                                                 kNegotiateExtendedSessionSecurity |
                                                 kNegotiateTargetInfo,
                                             /*with_timestamp=*/false));
  EXPECT_FALSE(client.mic_sent());
  EXPECT_FALSE(h.auth.mic.has_value());
  EXPECT_NE(h.auth.lm_response, Bytes(24, 0));
  EXPECT_EQ(h.auth.ntlmv2->blob.timestamp, 0x01dc000000000000ULL);  // the client's clock
}

TEST(ClientContext_2_2_2_1, SpnAndChannelBindings) {
  const struct {
    ChannelBindingMode mode;
    const char* expect_hex;  // nullptr: no pair
  } cases[] = {
      {ChannelBindingMode::kNone, nullptr},
      {ChannelBindingMode::kZero, "00000000000000000000000000000000"},
      {ChannelBindingMode::kHash, "0102030405060708090a0b0c0d0e0f10"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.mode));
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.spn = "HTTP/server.domain.test";
    cfg.channel_binding = c.mode;
    cfg.channel_bindings_hash = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ClientContext client(cfg, &env);
    Handshake h = RunHandshake(&client, ModernChallenge());
    const TargetInfo& av = h.auth.ntlmv2->blob.av_pairs;
    EXPECT_EQ(av.GetString(AvId::kTargetName), "HTTP/server.domain.test");
    const AvPair* cb = av.Find(AvId::kChannelBindings);
    if (c.expect_hex == nullptr) {
      EXPECT_EQ(cb, nullptr);
    } else {
      ASSERT_NE(cb, nullptr);
      EXPECT_EQ(ToHex(cb->value), c.expect_hex);
    }
  }
}

TEST(ClientContext_3_1_5_1_2, ServerCannotPushADowngrade) {
  // A CHALLENGE without ESS and without target info: the client still answers NTLMv2.
  internal::FixedEnvironment env(Bytes{0x42}, 0);
  ClientContext client(Alice(), &env);
  Handshake h = RunHandshake(&client, ModernChallenge(kNegotiateUnicode | kNegotiateNtlm, false));
  EXPECT_GT(h.auth.nt_response.size(), 24u);
  EXPECT_EQ(client.response_kind(), ResponseKind::kNtlmV2);
}

TEST(ClientContext_3_1_5_1_2, Refusals) {
  const Bytes modern = ModernChallenge();
  {
    SCOPED_TRACE("no character set");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientContext client(Alice(), &env);
    auto a = client.Authenticate(ModernChallenge(kNegotiateNtlm | kNegotiateTargetInfo));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::kPolicyViolation);
    EXPECT_EQ(a.error().rule, "MS-NLMP 2.2.2.5");
  }
  {
    SCOPED_TRACE("ESS asked, server refuses it");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.response = ResponseKind::kNtlmV1Ess;
    ClientContext client(cfg, &env);
    auto a = client.Authenticate(ModernChallenge(kNegotiateUnicode | kNegotiateNtlm, false));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::kPolicyViolation);
    EXPECT_EQ(a.error().rule, "MS-NLMP 3.3.1");
  }
  {
    SCOPED_TRACE("target info too large");
    ChallengeMessage c;
    c.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateTargetInfo;
    TargetInfo ti;
    ti.Set(static_cast<AvId>(0x0b), Bytes(9000, 0x41));
    c.target_info = ti;
    auto wire = EncodeChallenge(c);
    ASSERT_TRUE(wire.ok());
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientContext client(Alice(), &env);
    auto a = client.Authenticate(*wire);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::kTooLarge);
    EXPECT_EQ(a.error().field, "TargetInfoFields");
  }
  {
    SCOPED_TRACE("malformed CHALLENGE");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientContext client(Alice(), &env);
    Bytes bad(modern.begin(), modern.begin() + 20);
    auto a = client.Authenticate(bad);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::kTruncated);
  }
  {
    SCOPED_TRACE("second CHALLENGE");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientContext client(Alice(), &env);
    ASSERT_TRUE(client.Authenticate(modern).ok());
    auto again = client.Authenticate(modern);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kPolicyViolation);
  }
  {
    SCOPED_TRACE("invalid UTF-8 password");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.secret.password = "\xff";
    ClientContext client(cfg, &env);
    auto a = client.Authenticate(modern);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::kInvalidUtf8);
  }
}

// NtlmMinClientSec: a CHALLENGE without NTLMSSP_NEGOTIATE_128 is refused when 128-bit is
// required; NTLMv2 session security is met by the NTLMv2 response or by ESS, and an NTLMv1
// client without ESS is refused.
TEST(ClientContext_3_1_5_1_2, NtlmMinClientSec) {
  const uint32_t no128 = kNegotiateUnicode | kNegotiateNtlm | kNegotiateExtendedSessionSecurity |
                         kNegotiateTargetInfo | kNegotiateKeyExch | kNegotiate56;
  {
    SCOPED_TRACE("128-bit required, not negotiated");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.require_128bit = true;
    ClientContext client(cfg, &env);
    ASSERT_TRUE(client.Negotiate().ok());
    auto a = client.Authenticate(ModernChallenge(no128));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().ToString(),
              "NegotiateFlags at offset 20: 128-bit session security is required "
              "(NtlmMinClientSec 0x20000000) and the CHALLENGE does not negotiate "
              "NTLMSSP_NEGOTIATE_128 [MS-NLMP 3.1.5.1.2]");
  }
  {
    SCOPED_TRACE("128-bit required and negotiated");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.require_128bit = true;
    cfg.require_session_security = true;
    ClientContext client(cfg, &env);
    Handshake h = RunHandshake(&client, ModernChallenge());
    EXPECT_NE(client.negotiated_flags() & kNegotiate128, 0u);
  }
  {
    SCOPED_TRACE("without the requirement, no 128-bit is fine");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientContext client(Alice(), &env);
    Handshake h = RunHandshake(&client, ModernChallenge(no128));
    EXPECT_EQ(client.negotiated_flags() & kNegotiate128, 0u);
  }
  {
    SCOPED_TRACE("session security required: NTLMv2 without ESS passes");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.require_session_security = true;
    ClientContext client(cfg, &env);
    Handshake h = RunHandshake(&client, ModernChallenge(kNegotiateUnicode | kNegotiateNtlm, false));
    EXPECT_EQ(client.negotiated_flags() & kNegotiateExtendedSessionSecurity, 0u);
  }
  {
    SCOPED_TRACE("session security required: NTLMv1 is refused");
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.response = ResponseKind::kNtlmV1;
    cfg.require_session_security = true;
    ClientContext client(cfg, &env);
    auto a = client.Authenticate(ModernChallenge());
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().rule, "MS-NLMP 3.1.5.1.2");
    EXPECT_EQ(a.error().reason,
              "NTLMv2 session security is required (NtlmMinClientSec 0x00080000) and neither "
              "NTLMv2 nor NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is used");
  }
  {
    SCOPED_TRACE("session security required: NTLMv1 with ESS passes");
    internal::FixedEnvironment env(Bytes(16, 0x42), 0);
    ClientConfig cfg = Alice();
    cfg.response = ResponseKind::kNtlmV1Ess;
    cfg.require_session_security = true;
    ClientContext client(cfg, &env);
    Handshake h = RunHandshake(&client, ModernChallenge());
    EXPECT_NE(client.negotiated_flags() & kNegotiateExtendedSessionSecurity, 0u);
  }
}

TEST(ClientContext_3_3, AnonymousResponse) {
  internal::FixedEnvironment env(Bytes{0x42}, 0);
  ClientConfig cfg;
  cfg.anonymous = true;
  ClientContext client(cfg, &env);
  Handshake h = RunHandshake(&client, ModernChallenge());
  EXPECT_EQ(h.auth.user, "");
  EXPECT_EQ(h.auth.domain, "");
  EXPECT_EQ(h.auth.lm_response, Bytes{0});
  EXPECT_TRUE(h.auth.nt_response.empty());
  EXPECT_NE(h.auth.flags & kNegotiateAnonymous, 0u);
  EXPECT_EQ(client.response_kind(), ResponseKind::kAnonymous);
}

TEST(ClientContext_2_2_2_5, OemServerGetsOemStrings) {
  internal::FixedEnvironment env(Bytes{0x42}, 0);
  ClientContext client(Alice(), &env);
  Handshake h = RunHandshake(&client, ModernChallenge(kNegotiateOem | kNegotiateNtlm |
                                                 kNegotiateExtendedSessionSecurity |
                                                 kNegotiateTargetInfo, true));
  EXPECT_EQ(h.auth.flags & (kNegotiateUnicode | kNegotiateOem), kNegotiateOem);
  EXPECT_EQ(h.auth.user_field.len, 5);  // "alice" in OEM
}

TEST(ClientContext_3_3_2, UserNameForms) {
  const struct {
    const char* user;
    const char* domain;
    const char* user_out;
  } cases[] = {
      {"DOMAIN\\alice", "DOMAIN", "alice"},
      {"alice@domain.test", "", "alice@domain.test"},
      {"alice", "", "alice"},
      {"A\\B\\c", "A", "B\\c"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.user);
    internal::FixedEnvironment env(Bytes{0x42}, 0);
    ClientConfig cfg = Alice();
    cfg.user = c.user;
    ClientContext client(cfg, &env);
    Handshake h = RunHandshake(&client, ModernChallenge());
    EXPECT_EQ(h.auth.domain, c.domain);
    EXPECT_EQ(h.auth.user, c.user_out);
  }
}

TEST(ClientContext_3_3_1, PassTheHashMatchesPassword) {
  internal::FixedEnvironment env1(Bytes{0x42}, 0);
  internal::FixedEnvironment env2(Bytes{0x42}, 0);
  ClientConfig by_password = Alice();
  ClientConfig by_hash = Alice();
  by_hash.secret.password.reset();
  auto nt = NtOwfV1("Secret1!");
  ASSERT_TRUE(nt.ok());
  by_hash.secret.nt_hash = *nt;
  ClientContext a(by_password, &env1);
  ClientContext b(by_hash, &env2);
  Handshake ha = RunHandshake(&a, ModernChallenge());
  Handshake hb = RunHandshake(&b, ModernChallenge());
  EXPECT_EQ(ha.authenticate, hb.authenticate);
}

}  // namespace
}  // namespace ntlm
