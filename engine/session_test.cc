// Tests of engine/session: the GSS_WrapEx examples of [MS-NLMP] 4.2.2.4, 4.2.3.4 and 4.2.4.4,
// and the sequence-number and failure contracts of 3.4.
#include "engine/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/flags.h"
#include "engine/testing/test_util.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

constexpr uint32_t kFlagsV1 = 0xe2028233;                                 // 4.2.2
constexpr uint32_t kFlagsV1Ess = 0x820a8233;                              // 4.2.3
constexpr uint32_t kFlagsV2 = 0xe28a8233;                                 // 4.2.4
constexpr char kPlaintextHex[] = "50006c00610069006e007400650078007400";  // "Plaintext"

Key16 K16(std::string_view hex) {
  const Bytes b = Hex(hex);
  Key16 k{};
  EXPECT_EQ(b.size(), k.size());
  std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
  return k;
}

const Key16 kRandomSessionKey = K16("55555555555555555555555555555555");

std::string H(const MessageSignature& s) { return ToHex(s); }

SessionSecurity Make(uint32_t flags, const Key16& key, Side side) {
  Result<SessionSecurity> s = SessionSecurity::Create(flags, key, side);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return std::move(*s);
}

// --- the spec's examples ---------------------------------------------------------------------

TEST(NtlmV1_4_2_2, GssWrapEx) {  // 4.2.2.4: no ESS, seal key = ExportedSessionKey
  SessionSecurity client = Make(kFlagsV1, kRandomSessionKey, Side::kClient);
  const SessionSecurity::Sealed out = client.Seal(Hex(kPlaintextHex));
  EXPECT_EQ(ToHex(out.data), "56fe04d861f9319af0d7238a2e3b4d457fb8");
  EXPECT_EQ(H(out.signature), "010000000000000009dcd1df2e459d36");
  EXPECT_EQ(client.send_sequence(), 1u);
}

TEST(NtlmV1Ess_4_2_3, GssWrapEx) {  // 4.2.3.4: ESS, no KEY_EXCH, exported = KXKEY
  SessionSecurity client =
      Make(kFlagsV1Ess, K16("eb93429a8bd952f8b89c55b87f475edc"), Side::kClient);
  const SessionSecurity::Sealed out = client.Seal(Hex(kPlaintextHex));
  EXPECT_EQ(ToHex(out.data), "a02372f6530273f3aa1eb90190ce5200c99d");
  EXPECT_EQ(H(out.signature), "01000000ff2aeb52f681793a00000000");
}

TEST(NtlmV2_4_2_4, GssWrapEx) {  // 4.2.4.4: ESS and KEY_EXCH, checksum sealed with RC4
  SessionSecurity client = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  const SessionSecurity::Sealed out = client.Seal(Hex(kPlaintextHex));
  EXPECT_EQ(ToHex(out.data), "54e50165bf1936dc996020c1811b0f06fb5f");
  EXPECT_EQ(H(out.signature), "010000007fb38ec5c55d497600000000");
}

// The server side of each example accepts what the client sealed.
TEST(Session_3_4_3, ServerUnsealsTheExamples) {
  struct Row {
    const char* name;
    uint32_t flags;
    Key16 key;
  };
  for (const Row& row : {Row{"4.2.2", kFlagsV1, kRandomSessionKey},
                         Row{"4.2.3", kFlagsV1Ess, K16("eb93429a8bd952f8b89c55b87f475edc")},
                         Row{"4.2.4", kFlagsV2, kRandomSessionKey}}) {
    SCOPED_TRACE(row.name);
    SessionSecurity client = Make(row.flags, row.key, Side::kClient);
    SessionSecurity server = Make(row.flags, row.key, Side::kServer);
    const SessionSecurity::Sealed out = client.Seal(Hex(kPlaintextHex));
    Result<Bytes> plain = server.Unseal(out.data, out.signature);
    ASSERT_TRUE(plain.ok()) << plain.error().ToString();
    EXPECT_EQ(ToHex(*plain), kPlaintextHex);
    EXPECT_EQ(server.receive_sequence(), 1u);
  }
}

// --- conversations in every mode -------------------------------------------------------------

struct Mode {
  const char* name;
  uint32_t flags;
};
const Mode kModes[] = {
    {"no ESS (4.2.2 flags)", kFlagsV1},
    {"no ESS, LM_KEY 56-bit", kFlagsV1 | kNegotiateLmKey},
    {"no ESS, LM_KEY 40-bit", (kFlagsV1 | kNegotiateLmKey) & ~kNegotiate56},
    {"ESS 56-bit, no KEY_EXCH (4.2.3 flags)", kFlagsV1Ess},
    {"ESS 128-bit, KEY_EXCH (4.2.4 flags)", kFlagsV2},
    {"ESS 40-bit, KEY_EXCH", kFlagsV2 & ~(kNegotiate128 | kNegotiate56)},
};

TEST(Session_3_4, ConversationBothWays) {
  for (const Mode& m : kModes) {
    SCOPED_TRACE(m.name);
    SessionSecurity client = Make(m.flags, kRandomSessionKey, Side::kClient);
    SessionSecurity server = Make(m.flags, kRandomSessionKey, Side::kServer);
    for (int round = 0; round < 4; ++round) {
      const Bytes request(static_cast<size_t>(10 + round), static_cast<uint8_t>(round));
      const SessionSecurity::Sealed sealed = client.Seal(request);
      Result<Bytes> got = server.Unseal(sealed.data, sealed.signature);
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      EXPECT_EQ(*got, request);

      const Bytes reply(static_cast<size_t>(3 * round), 0x5a);
      const MessageSignature sig = server.Sign(reply);
      EXPECT_TRUE(client.Verify(reply, sig).ok());

      const SessionSecurity::Sealed sealed_reply = server.Seal(reply);
      Result<Bytes> got_reply = client.Unseal(sealed_reply.data, sealed_reply.signature);
      ASSERT_TRUE(got_reply.ok()) << got_reply.error().ToString();
      EXPECT_EQ(*got_reply, reply);
    }
  }
}

TEST(Session_3_4_4, SequenceNumbersPerDirectionWithEss) {
  SessionSecurity client = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  SessionSecurity server = Make(kFlagsV2, kRandomSessionKey, Side::kServer);
  const Bytes msg = Hex("00010203");
  for (uint32_t i = 0; i < 3; ++i) {
    const MessageSignature sig = client.Sign(msg);
    EXPECT_EQ(LoadU32Le(sig.data() + 12), i);  // SeqNum in clear with ESS
    EXPECT_TRUE(server.Verify(msg, sig).ok());
  }
  EXPECT_EQ(client.send_sequence(), 3u);
  EXPECT_EQ(client.receive_sequence(), 0u);
  EXPECT_EQ(server.receive_sequence(), 3u);
  EXPECT_EQ(server.send_sequence(), 0u);
}

TEST(Session_3_4_4, OneSequenceForBothWaysWithoutEss) {
  SessionSecurity client = Make(kFlagsV1, kRandomSessionKey, Side::kClient);
  SessionSecurity server = Make(kFlagsV1, kRandomSessionKey, Side::kServer);
  const Bytes msg = Hex("00010203");
  EXPECT_TRUE(server.Verify(msg, client.Sign(msg)).ok());
  EXPECT_TRUE(client.Verify(msg, server.Sign(msg)).ok());
  EXPECT_EQ(client.send_sequence(), 2u);
  EXPECT_EQ(client.receive_sequence(), 2u);
}

TEST(Session_3_4_4_1, SignatureLayoutWithoutEss) {
  SessionSecurity client = Make(kFlagsV1, kRandomSessionKey, Side::kClient);
  const MessageSignature sig = client.Sign(Hex(kPlaintextHex));
  EXPECT_EQ(LoadU32Le(sig.data()), 1u);      // Version
  EXPECT_EQ(LoadU32Le(sig.data() + 4), 0u);  // RandomPad, set to 0 after RC4
}

// --- failures --------------------------------------------------------------------------------

TEST(Session_3_4_4, RejectsAlteredMessageAndKeepsState) {
  for (const Mode& m : kModes) {
    SCOPED_TRACE(m.name);
    SessionSecurity client = Make(m.flags, kRandomSessionKey, Side::kClient);
    SessionSecurity server = Make(m.flags, kRandomSessionKey, Side::kServer);
    const Bytes msg = Hex(kPlaintextHex);
    const MessageSignature sig = client.Sign(msg);

    Bytes altered = msg;
    altered[3] ^= 0x01;
    ASSERT_NE(altered, msg);
    Status bad = server.Verify(altered, sig);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kAuthenticationFailed);
    EXPECT_EQ(server.receive_sequence(), 0u);
    // Nothing moved: the genuine message still verifies.
    EXPECT_TRUE(server.Verify(msg, sig).ok());
  }
}

TEST(Session_3_4_4, RejectsReplayAndReorder) {
  for (const Mode& m : kModes) {
    SCOPED_TRACE(m.name);
    SessionSecurity client = Make(m.flags, kRandomSessionKey, Side::kClient);
    SessionSecurity server = Make(m.flags, kRandomSessionKey, Side::kServer);
    const Bytes a = Hex("aa");
    const Bytes b = Hex("bb");
    const MessageSignature sig_a = client.Sign(a);
    const MessageSignature sig_b = client.Sign(b);
    EXPECT_FALSE(server.Verify(b, sig_b).ok());  // out of order
    EXPECT_TRUE(server.Verify(a, sig_a).ok());
    EXPECT_FALSE(server.Verify(a, sig_a).ok());  // replay
    EXPECT_TRUE(server.Verify(b, sig_b).ok());
  }
}

TEST(Session_3_4_3, UnsealRejectsAlteredCiphertextAndKeepsState) {
  for (const Mode& m : kModes) {
    SCOPED_TRACE(m.name);
    SessionSecurity client = Make(m.flags, kRandomSessionKey, Side::kClient);
    SessionSecurity server = Make(m.flags, kRandomSessionKey, Side::kServer);
    const SessionSecurity::Sealed sealed = client.Seal(Hex(kPlaintextHex));
    Bytes altered = sealed.data;
    altered[0] ^= 0x80;
    Result<Bytes> bad = server.Unseal(altered, sealed.signature);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kAuthenticationFailed);
    Result<Bytes> good = server.Unseal(sealed.data, sealed.signature);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(ToHex(*good), kPlaintextHex);
  }
}

TEST(Session_3_4_4, WrongKeyFails) {
  SessionSecurity client = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  SessionSecurity server = Make(kFlagsV2, K16("66666666666666666666666666666666"), Side::kServer);
  const Bytes msg = Hex(kPlaintextHex);
  EXPECT_FALSE(server.Verify(msg, client.Sign(msg)).ok());
}

TEST(Session_3_4_4, SameSideCannotReadItself) {
  // With ESS the directions have different keys: a client cannot verify its own signature.
  SessionSecurity a = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  SessionSecurity b = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  const Bytes msg = Hex(kPlaintextHex);
  EXPECT_FALSE(b.Verify(msg, a.Sign(msg)).ok());
}

TEST(Session_3_4_4_1, RandomPadIsNotChecked) {
  SessionSecurity client = Make(kFlagsV1, kRandomSessionKey, Side::kClient);
  SessionSecurity server = Make(kFlagsV1, kRandomSessionKey, Side::kServer);
  const Bytes msg = Hex(kPlaintextHex);
  MessageSignature sig = client.Sign(msg);
  sig[5] ^= 0xff;  // RandomPad
  EXPECT_TRUE(server.Verify(msg, sig).ok());
}

TEST(Session_2_2_2_9, SignatureLength) {
  SessionSecurity server = Make(kFlagsV2, kRandomSessionKey, Side::kServer);
  Status s = server.Verify(Hex("00"), Hex("0100000000000000000000"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadLength);
  Result<Bytes> u = server.Unseal(Hex("00"), Bytes(17, 0));
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kBadLength);
}

TEST(Session_3_4, DatagramUnsupported) {
  Result<SessionSecurity> s =
      SessionSecurity::Create(kFlagsV2 | kNegotiateDatagram, kRandomSessionKey, Side::kClient);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
}

TEST(Session_3_4_3, EmptyMessage) {
  SessionSecurity client = Make(kFlagsV2, kRandomSessionKey, Side::kClient);
  SessionSecurity server = Make(kFlagsV2, kRandomSessionKey, Side::kServer);
  const SessionSecurity::Sealed sealed = client.Seal(ByteView());
  EXPECT_TRUE(sealed.data.empty());
  Result<Bytes> got = server.Unseal(sealed.data, sealed.signature);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

}  // namespace
}  // namespace ntlm
