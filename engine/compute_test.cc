// Tests of engine/compute: every value of [MS-NLMP] 4.2.1-4.2.4 that the computations produce,
// plus the cases the spec's examples do not reach (key strengths, LM_KEY, anonymous, MIC,
// channel bindings). Test names carry the spec section.
#include "engine/compute.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>

#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/md5.h"
#include "engine/flags.h"
#include "engine/testing/test_util.h"
#include "engine/text.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

// --- [MS-NLMP] 4.2.1 common values ------------------------------------------------------------
constexpr char kUser[] = "User";
constexpr char kUserDom[] = "Domain";
constexpr char kPassword[] = "Password";
constexpr char kServerName[] = "Server";
constexpr char kWorkstation[] = "COMPUTER";
const Key16 kRandomSessionKey = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55};
constexpr uint64_t kTime = 0;
const Challenge8 kClientChallenge = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
const Challenge8 kServerChallenge = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
// "Plaintext" in UTF-16LE, the GSS_WrapEx input of 4.2.2.4, 4.2.3.4 and 4.2.4.4.
constexpr char kPlaintextHex[] = "50006c00610069006e007400650078007400";

// Challenge flags of 4.2.2, 4.2.3 and 4.2.4.
constexpr uint32_t kFlagsV1 = 0xe2028233;
constexpr uint32_t kFlagsV1Ess = 0x820a8233;
constexpr uint32_t kFlagsV2 = 0xe28a8233;

// AV pairs of 4.2.4 (MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL).
constexpr char kTargetInfoV2Hex[] =
    "02000c0044006f006d00610069006e00"
    "01000c00530065007200760065007200"
    "00000000";

Key16 Hex16(std::string_view hex) {
  const Bytes b = Hex(hex);
  Key16 k{};
  EXPECT_EQ(b.size(), k.size());
  std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
  return k;
}

template <size_t N>
std::string H(const std::array<uint8_t, N>& a) {
  return ToHex(ByteView(a.data(), a.size()));
}

Key16 NtHash() {
  Result<Key16> k = NtOwfV1(kPassword);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : Key16{};
}

Key16 LmHash() {
  Result<Key16> k = LmOwfV1(kPassword);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : Key16{};
}

Key16 ResponseKeyV2() {
  Result<Key16> k = NtOwfV2FromPassword(kPassword, kUser, kUserDom);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : Key16{};
}

// --- 4.2.1 -------------------------------------------------------------------------------------

TEST(Common_4_2_1, UnicodeStrings) {
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le(kUser)), "5500730065007200");
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le(kUserDom)), "44006f006d00610069006e00");
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le(kPassword)),
            "50006100730073007700"
            "6f0072006400");
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le(kServerName)), "530065007200760065007200");
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le(kWorkstation)), "43004f004d0050005500540045005200");
  EXPECT_EQ(ToHex(*text::Utf8ToUtf16Le("Plaintext")), kPlaintextHex);
}

TEST(Common_4_2_1, Constants) {
  EXPECT_EQ(H(kRandomSessionKey), "55555555555555555555555555555555");
  EXPECT_EQ(kTime, 0u);
  EXPECT_EQ(H(kClientChallenge), "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(H(kServerChallenge), "0123456789abcdef");
}

// --- 4.2.2 NTLMv1 ----------------------------------------------------------------------------

TEST(NtlmV1_4_2_2, Lmowfv1) {  // 4.2.2.1.1
  EXPECT_EQ(H(LmHash()), "e52cac67419a9a224a3b108f3fa6cb6d");
}

TEST(NtlmV1_4_2_2, Ntowfv1) {  // 4.2.2.1.2
  EXPECT_EQ(H(NtHash()), "a4f49c406510bdcab6824ee7c30fd852");
}

TEST(NtlmV1_4_2_2, SessionBaseKey) {  // 4.2.2.1.3
  EXPECT_EQ(H(NtlmV1SessionBaseKey(NtHash())), "d87262b0cde4b1cb7499becccdf10784");
}

TEST(NtlmV1_4_2_2, KeyExchangeKey) {  // 4.2.2.1.3
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  Result<Key16> kx =
      KxKeyNtlmV1(kFlagsV1, NtlmV1SessionBaseKey(NtHash()), lm, kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "d87262b0cde4b1cb7499becccdf10784");
}

TEST(NtlmV1_4_2_2, KeyExchangeKeyWithLmKey) {  // 4.2.2.1.3, NTLMSSP_NEGOTIATE_LM_KEY set
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  Result<Key16> kx = KxKeyNtlmV1(kFlagsV1 | kNegotiateLmKey, NtlmV1SessionBaseKey(NtHash()), lm,
                                 kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "b09e379f7fbecb1eaf0afdcb0383c8a0");
  EXPECT_EQ(H(KxKeyLmKey(LmHash(), std::span<const uint8_t, 8>(lm.data(), 8))),
            "b09e379f7fbecb1eaf0afdcb0383c8a0");
}

TEST(NtlmV1_4_2_2, NtlmV1Response) {  // 4.2.2.2.1
  EXPECT_EQ(H(NtlmV1Response(NtHash(), kServerChallenge)),
            "67c43011f30298a2ad35ece64f16331c44bdbed927841f94");
}

TEST(NtlmV1_4_2_2, LmV1Response) {  // 4.2.2.2.2
  EXPECT_EQ(H(LmV1Response(LmHash(), kServerChallenge)),
            "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13");
}

TEST(NtlmV1_4_2_2, EncryptedSessionKey) {  // 4.2.2.2.3
  const Key16 kx = NtlmV1SessionBaseKey(NtHash());
  EXPECT_EQ(H(EncryptRandomSessionKey(kx, kRandomSessionKey)), "518822b1b3f350c8958682ecbb3e3cb7");
}

TEST(NtlmV1_4_2_2, EncryptedSessionKeyNonNtSessionKey) {  // 4.2.2.2.3, REQUEST_NON_NT_SESSION_KEY
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  Result<Key16> kx = KxKeyNtlmV1(kFlagsV1 | kRequestNonNtSessionKey, NtlmV1SessionBaseKey(NtHash()),
                                 lm, kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "e52cac67419a9a220000000000000000");  // LMOWF[0..7] || Z(8)
  EXPECT_EQ(H(EncryptRandomSessionKey(*kx, kRandomSessionKey)), "7452ca55c225a1ca04b48fae32cf56fc");
}

TEST(NtlmV1_4_2_2, EncryptedSessionKeyLmKey) {  // 4.2.2.2.3, NTLMSSP_NEGOTIATE_LM_KEY
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  Result<Key16> kx = KxKeyNtlmV1(kFlagsV1 | kNegotiateLmKey, NtlmV1SessionBaseKey(NtHash()), lm,
                                 kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(EncryptRandomSessionKey(*kx, kRandomSessionKey)), "4cd7bb57d697ef9b549f02b8f9b37864");
}

TEST(NtlmV1_4_2_2, ExportedSessionKeyFromEncryptedKey) {  // 4.2.2.2.3, server side
  const Key16 kx = NtlmV1SessionBaseKey(NtHash());
  Result<Key16> exported =
      ExportedSessionKeyFromWire(kFlagsV1, kx, Hex("518822b1b3f350c8958682ecbb3e3cb7"));
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(*exported, kRandomSessionKey);
}

TEST(NtlmV1_4_2_2, SealKeyIsExportedSessionKey) {  // 3.4.5.3 with the 4.2.2 flags
  const SealKey k = ComputeSealKey(kFlagsV1, kRandomSessionKey, Side::kClient);
  EXPECT_EQ(ToHex(k.view()), "55555555555555555555555555555555");
  EXPECT_FALSE(SignKey(kFlagsV1, kRandomSessionKey, Side::kClient).has_value());
}

TEST(NtlmV1_4_2_2, ComputeResponse) {
  ResponseInputs in;
  in.kind = ResponseKind::kNtlmV1;
  in.response_key_nt = NtHash();
  in.response_key_lm = LmHash();
  in.server_challenge = kServerChallenge;
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->nt_response), "67c43011f30298a2ad35ece64f16331c44bdbed927841f94");
  EXPECT_EQ(ToHex(r->lm_response), "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13");
  EXPECT_EQ(H(r->session_base_key), "d87262b0cde4b1cb7499becccdf10784");
  EXPECT_FALSE(r->nt_proof_str.has_value());
  Result<Key16> kx = KeyExchangeKey(in.kind, kFlagsV1, *r, kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "d87262b0cde4b1cb7499becccdf10784");
}

// --- 4.2.3 NTLMv1 with client challenge (extended session security) --------------------------

TEST(NtlmV1Ess_4_2_3, Ntowfv1) {  // 4.2.3.1.1
  EXPECT_EQ(H(NtHash()), "a4f49c406510bdcab6824ee7c30fd852");
}

TEST(NtlmV1Ess_4_2_3, SessionBaseKey) {  // 4.2.3.1.2
  EXPECT_EQ(H(NtlmV1SessionBaseKey(NtHash())), "d87262b0cde4b1cb7499becccdf10784");
}

TEST(NtlmV1Ess_4_2_3, KeyExchangeKey) {  // 4.2.3.1.3
  const NtlmV1EssResponses r = NtlmV1EssResponse(NtHash(), kServerChallenge, kClientChallenge);
  Result<Key16> kx = KxKeyNtlmV1(kFlagsV1Ess, NtlmV1SessionBaseKey(NtHash()), r.lm,
                                 kServerChallenge, std::nullopt);
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "eb93429a8bd952f8b89c55b87f475edc");
}

TEST(NtlmV1Ess_4_2_3, LmV1Response) {  // 4.2.3.2.1
  const NtlmV1EssResponses r = NtlmV1EssResponse(NtHash(), kServerChallenge, kClientChallenge);
  EXPECT_EQ(H(r.lm), "aaaaaaaaaaaaaaaa00000000000000000000000000000000");
}

TEST(NtlmV1Ess_4_2_3, NtlmV1Response) {  // 4.2.3.2.2
  const NtlmV1EssResponses r = NtlmV1EssResponse(NtHash(), kServerChallenge, kClientChallenge);
  EXPECT_EQ(H(r.nt), "7537f803ae367128ca458204bde7caf81e97ed2683267232");
}

TEST(NtlmV1Ess_4_2_3, SignAndSealKeys) {  // 4.2.3.4: no KEY_EXCH, exported = KXKEY; 56-bit seal
  const Key16 exported = *KxKeyNtlmV1(kFlagsV1Ess, NtlmV1SessionBaseKey(NtHash()),
                                      Hex("aaaaaaaaaaaaaaaa0000000000000000"
                                          "0000000000000000"),
                                      kServerChallenge, std::nullopt);
  const std::optional<Key16> sign = SignKey(kFlagsV1Ess, exported, Side::kClient);
  ASSERT_TRUE(sign.has_value());
  EXPECT_EQ(H(*sign), "60e799be5c72fc92922ae8ebe961fb8d");
  EXPECT_EQ(ToHex(ComputeSealKey(kFlagsV1Ess, exported, Side::kClient).view()),
            "04dd7f014d8504d265a25cc86a3a7c06");
}

TEST(NtlmV1Ess_4_2_3, ComputeResponse) {
  ResponseInputs in;
  in.kind = ResponseKind::kNtlmV1Ess;
  in.response_key_nt = NtHash();
  in.server_challenge = kServerChallenge;
  in.client_challenge = kClientChallenge;
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->lm_response), "aaaaaaaaaaaaaaaa00000000000000000000000000000000");
  EXPECT_EQ(ToHex(r->nt_response), "7537f803ae367128ca458204bde7caf81e97ed2683267232");
  Result<Key16> kx = KeyExchangeKey(in.kind, kFlagsV1Ess, *r, kServerChallenge, std::nullopt);
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "eb93429a8bd952f8b89c55b87f475edc");
}

// --- 4.2.4 NTLMv2 ----------------------------------------------------------------------------

NtlmV2Temp TempV2(const Bytes& target_info) {
  return NtlmV2Temp{kTime, kClientChallenge, target_info};
}

TEST(NtlmV2_4_2_4, Ntowfv2) {  // 4.2.4.1.1
  EXPECT_EQ(H(ResponseKeyV2()), "0c868a403bfd7a93a3001ef22ef02e3f");
  Result<Key16> from_hash = NtOwfV2(NtHash(), kUser, kUserDom);
  ASSERT_TRUE(from_hash.ok());
  EXPECT_EQ(H(*from_hash), "0c868a403bfd7a93a3001ef22ef02e3f");
}

TEST(NtlmV2_4_2_4, Lmowfv2) {  // 4.2.4.1.1
  Result<Key16> k = LmOwfV2(NtHash(), kUser, kUserDom);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(H(*k), "0c868a403bfd7a93a3001ef22ef02e3f");
}

TEST(NtlmV2_4_2_4, SessionBaseKey) {  // 4.2.4.1.2
  const Bytes ti = Hex(kTargetInfoV2Hex);
  const Key16 proof = NtProofStr(ResponseKeyV2(), kServerChallenge, TempV2(ti));
  EXPECT_EQ(H(NtlmV2SessionBaseKey(ResponseKeyV2(), proof)), "8de40ccadbc14a82f15cb0ad0de95ca3");
}

TEST(NtlmV2_4_2_4, LmV2Response) {  // 4.2.4.2.1
  EXPECT_EQ(H(LmV2Response(ResponseKeyV2(), kServerChallenge, kClientChallenge)),
            "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
}

TEST(NtlmV2_4_2_4, NtProofStr) {  // 4.2.4.2.2
  const Bytes ti = Hex(kTargetInfoV2Hex);
  EXPECT_EQ(H(NtProofStr(ResponseKeyV2(), kServerChallenge, TempV2(ti))),
            "68cd0ab851e51c96aabc927bebef6a1c");
}

// The NtChallengeResponse as carried in the 4.2.4.3 AUTHENTICATE_MESSAGE: NTProofStr || temp.
constexpr char kNtResponseV2Hex[] =
    "68cd0ab851e51c96aabc927bebef6a1c"
    "0101000000000000"
    "0000000000000000"
    "aaaaaaaaaaaaaaaa"
    "00000000"
    "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000";

TEST(NtlmV2_4_2_4, NtlmV2Response) {  // 4.2.4.2.2 / 4.2.4.3
  const Bytes ti = Hex(kTargetInfoV2Hex);
  Result<Bytes> r = NtlmV2NtResponse(ResponseKeyV2(), kServerChallenge, TempV2(ti));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(*r), kNtResponseV2Hex);
  EXPECT_EQ(r->size(), 16 + NtlmV2TempSize(ti));
}

TEST(NtlmV2_4_2_4, NtProofStrOverReceivedTemp) {  // server side of 3.3.2
  const Bytes response = Hex(kNtResponseV2Hex);
  const Key16 proof =
      NtProofStrOverTemp(ResponseKeyV2(), kServerChallenge, ByteView(response).subspan(16));
  EXPECT_EQ(H(proof), "68cd0ab851e51c96aabc927bebef6a1c");
}

// A server's check with the key's HMAC states shared: the same NTProofStr and session base key.
TEST(NtlmV2_4_2_4, CheckOverReceivedTemp) {  // 3.2.5.1.2 with 3.3.2, 4.2.4.1.2, 4.2.4.2.2
  const Bytes response = Hex(kNtResponseV2Hex);
  const NtlmV2Check check =
      CheckNtlmV2OverTemp(ResponseKeyV2(), kServerChallenge, ByteView(response).subspan(16));
  EXPECT_EQ(H(check.nt_proof_str), "68cd0ab851e51c96aabc927bebef6a1c");
  EXPECT_EQ(H(check.session_base_key), "8de40ccadbc14a82f15cb0ad0de95ca3");
}

TEST(NtlmV2_4_2_4, EncryptedSessionKey) {  // 4.2.4.2.3 (KXKEY = SessionBaseKey for NTLMv2)
  const Key16 kx = KxKeyNtlmV2(Hex16("8de40ccadbc14a82f15cb0ad0de95ca3"));
  EXPECT_EQ(H(EncryptRandomSessionKey(kx, kRandomSessionKey)), "c5dad2544fc9799094ce1ce90bc9d03e");
  EXPECT_EQ(DecryptRandomSessionKey(kx, Hex16("c5dad2544fc9799094ce1ce90bc9d03e")),
            kRandomSessionKey);
}

TEST(NtlmV2_4_2_4, SignAndSealKeys) {  // 4.2.4.4
  const std::optional<Key16> sign = SignKey(kFlagsV2, kRandomSessionKey, Side::kClient);
  ASSERT_TRUE(sign.has_value());
  EXPECT_EQ(H(*sign), "4788dc861b4782f35d43fd98fe1a2d39");
  EXPECT_EQ(ToHex(ComputeSealKey(kFlagsV2, kRandomSessionKey, Side::kClient).view()),
            "59f600973cc4960a25480a7c196e4c58");
}

TEST(NtlmV2_4_2_4, ComputeResponse) {
  const Bytes ti = Hex(kTargetInfoV2Hex);
  ResponseInputs in;
  in.kind = ResponseKind::kNtlmV2;
  in.response_key_nt = ResponseKeyV2();
  in.server_challenge = kServerChallenge;
  in.client_challenge = kClientChallenge;
  in.timestamp = kTime;
  in.server_name = ti;
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->nt_response), kNtResponseV2Hex);
  EXPECT_EQ(ToHex(r->lm_response), "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
  EXPECT_EQ(H(r->session_base_key), "8de40ccadbc14a82f15cb0ad0de95ca3");
  ASSERT_TRUE(r->nt_proof_str.has_value());
  EXPECT_EQ(H(*r->nt_proof_str), "68cd0ab851e51c96aabc927bebef6a1c");
  Result<Key16> kx = KeyExchangeKey(in.kind, kFlagsV2, *r, kServerChallenge, std::nullopt);
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(*kx, r->session_base_key);
}

// --- one-way functions beyond the examples ---------------------------------------------------

TEST(OneWay_3_3_1, LmOwfV1UpperCasesAndPads) {
  EXPECT_EQ(*LmOwfV1("password"), *LmOwfV1("PASSWORD"));
  EXPECT_EQ(*LmOwfV1("Password"), LmHash());
  // The empty password's LM hash, the well-known AAD3B435B51404EE twice.
  EXPECT_EQ(H(*LmOwfV1("")), "aad3b435b51404eeaad3b435b51404ee");
  // ISO-8859-1 letters are upper-cased too ("é" -> "É").
  EXPECT_EQ(*LmOwfV1("\xc3\xa9"), *LmOwfV1("\xc3\x89"));
}

TEST(OneWay_3_3_1, LmOwfV1Undefined) {
  EXPECT_TRUE(LmOwfV1("12345678901234").ok());  // 14: the limit
  Result<Key16> too_long = LmOwfV1("123456789012345");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::kTooLarge);
  Result<Key16> not_oem = LmOwfV1("\xd1\x8e");  // U+044E
  ASSERT_FALSE(not_oem.ok());
  EXPECT_EQ(not_oem.error().code, ErrorCode::kInvalidArgument);
  Result<Key16> bad = LmOwfV1("\xff");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidUtf8);
  // The reason never quotes the password.
  EXPECT_EQ(not_oem.error().reason.find("\xd1\x8e"), std::string::npos);
}

TEST(OneWay_3_3_1, NtOwfV1) {
  // MD4 of nothing: the NT hash of the empty password.
  EXPECT_EQ(H(*NtOwfV1("")), "31d6cfe0d16ae931b73c59d7e0c089c0");
  Result<Key16> bad = NtOwfV1("\xc0\x80");  // overlong NUL
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(bad.error().field, "Passwd");
}

TEST(OneWay_3_3_1, ParseNtHash) {
  Result<Key16> k = ParseNtHash("A4F49C406510BDCAB6824EE7C30FD852");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, NtHash());
  EXPECT_FALSE(ParseNtHash("a4f49c40").ok());
  EXPECT_FALSE(ParseNtHash("zz").ok());
}

TEST(OneWay_3_3_2, NtOwfV2UpperCasesUserNotDomain) {
  EXPECT_EQ(*NtOwfV2(NtHash(), "user", "Domain"), ResponseKeyV2());
  EXPECT_NE(*NtOwfV2(NtHash(), "User", "DOMAIN"), ResponseKeyV2());
  // Unicode case mapping: "юзер" is hashed as "ЮЗЕР".
  EXPECT_EQ(*NtOwfV2(NtHash(), "\xd1\x8e\xd0\xb7\xd0\xb5\xd1\x80", ""),
            *NtOwfV2(NtHash(), "\xd0\xae\xd0\x97\xd0\x95\xd0\xa0", ""));
  // By definition: HMAC_MD5(NT, UTF-16LE("USER" || "Domain")).
  const Bytes msg = *text::Utf8ToUtf16Le("USERDomain");
  const crypto::Md5Digest d = crypto::HmacMd5Digest(NtHash(), msg);
  EXPECT_EQ(ToHex(d), H(ResponseKeyV2()));
}

// ASCII names take a shorter path than other text (and than names too long for its buffer);
// every path gives HMAC_MD5(NT, UNICODE(ConcatenationOf(Uppercase(User), UserDom))), with the
// domain never upper-cased, even after an empty user name.
TEST(OneWay_3_3_2, NtOwfV2EveryPathByDefinition) {
  struct Case {
    std::string user;
    std::string domain;
    std::string hashed;  // Uppercase(User) || UserDom, as UTF-8
  };
  const Case cases[] = {
      {"user", "Domain", "USERDomain"},
      {"", "Domain", "Domain"},
      {"user", "", "USER"},
      {"a-z_0~{}", "dom.example", "A-Z_0~{}dom.example"},
      {"us\xc3\xa9r", "dom", "US\xc3\x89Rdom"},  // U+00E9 upper-cased to U+00C9
      {"admin", "d\xc3\xa9", "ADMINd\xc3\xa9"},  // a non-ASCII domain is not upper-cased
      {std::string(100, 'u'), std::string(100, 'd'), std::string(100, 'U') + std::string(100, 'd')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hashed);
    const Bytes msg = *text::Utf8ToUtf16Le(c.hashed);
    const crypto::Md5Digest d = crypto::HmacMd5Digest(NtHash(), msg);
    Result<Key16> k = NtOwfV2(NtHash(), c.user, c.domain);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(H(*k), ToHex(d));
  }
}

TEST(OneWay_3_3_2, NtOwfV2InvalidText) {
  Result<Key16> u = NtOwfV2(NtHash(), "\xed\xa0\x80", "d");  // encoded surrogate
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().field, "User");
  Result<Key16> d = NtOwfV2(NtHash(), "u", "\x80");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().field, "UserDom");
}

// --- responses beyond the examples -----------------------------------------------------------

TEST(Responses_3_3_1, DeslSplitsKeyInThree) {
  // DESL with an all-zero key is three DES encryptions under the zero key: equal blocks.
  const Response24 r = Desl(Key16{}, kServerChallenge);
  EXPECT_EQ(H(r).substr(0, 16), H(r).substr(16, 16));
  EXPECT_EQ(H(r).substr(0, 16), H(r).substr(32, 16));
}

TEST(Responses_3_3_1, NtlmV1WithoutLmHashCopiesNtResponse) {  // NoLMResponseNTLMv1
  ResponseInputs in;
  in.kind = ResponseKind::kNtlmV1;
  in.response_key_nt = NtHash();
  in.server_challenge = kServerChallenge;
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lm_response, r->nt_response);
}

TEST(Responses_3_3_1, LmOnly) {
  ResponseInputs in;
  in.kind = ResponseKind::kLm;
  in.response_key_nt = NtHash();
  in.server_challenge = kServerChallenge;
  EXPECT_FALSE(ComputeResponse(in).ok());  // needs the LMOWF
  in.response_key_lm = LmHash();
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->lm_response), "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13");
  EXPECT_TRUE(r->nt_response.empty());
  EXPECT_EQ(H(r->session_base_key), "d87262b0cde4b1cb7499becccdf10784");
}

TEST(Responses_3_3_1, Anonymous) {
  ResponseInputs in;
  in.kind = ResponseKind::kAnonymous;
  Result<ComputedResponses> r = ComputeResponse(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->lm_response), "00");
  EXPECT_TRUE(r->nt_response.empty());
  EXPECT_EQ(r->session_base_key, Key16{});
  Result<Key16> kx = KeyExchangeKey(in.kind, kFlagsV2, *r, kServerChallenge, std::nullopt);
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(*kx, Key16{});
}

TEST(Responses_3_3_2, TempHeaderLayout) {
  const NtlmV2Temp t{0x0123456789abcdefULL, kClientChallenge, ByteView()};
  EXPECT_EQ(H(NtlmV2TempHeader(t)),
            "0101000000000000"
            "efcdab8967452301"
            "aaaaaaaaaaaaaaaa"
            "00000000");
  EXPECT_EQ(NtlmV2TempSize(ByteView()), 32u);
}

TEST(Responses_3_3_2, NtlmV2ResponseTooLarge) {
  const Bytes huge(0xFFFF, 0);
  Result<Bytes> r = NtlmV2NtResponse(ResponseKeyV2(), kServerChallenge, TempV2(huge));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  // The largest that fits: 65535 - 16 - 28 - 4 bytes of AV pairs.
  const Bytes fits(0xFFFF - 48, 0);
  Result<Bytes> ok = NtlmV2NtResponse(ResponseKeyV2(), kServerChallenge, TempV2(fits));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 0xFFFFu);
}

TEST(Responses, KindNames) {
  for (ResponseKind k : {ResponseKind::kLm, ResponseKind::kNtlmV1, ResponseKind::kNtlmV1Ess,
                         ResponseKind::kNtlmV2, ResponseKind::kAnonymous}) {
    EXPECT_EQ(ParseResponseKind(ResponseKindName(k)), k);
  }
  EXPECT_EQ(ResponseKindName(ResponseKind::kNtlmV1Ess), std::string("ntlmv1-ess"));
  EXPECT_FALSE(ParseResponseKind("ntlm").has_value());
}

// --- KXKEY beyond the examples ---------------------------------------------------------------

TEST(KxKey_3_4_5_1, EssTakesPrecedenceOverLmKey) {
  const NtlmV1EssResponses r = NtlmV1EssResponse(NtHash(), kServerChallenge, kClientChallenge);
  const Key16 base = NtlmV1SessionBaseKey(NtHash());
  Result<Key16> both = KxKeyNtlmV1(kFlagsV1Ess | kNegotiateLmKey | kRequestNonNtSessionKey, base,
                                   r.lm, kServerChallenge, LmHash());
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(H(*both), "eb93429a8bd952f8b89c55b87f475edc");
}

TEST(KxKey_3_4_5_1, LmKeyTakesPrecedenceOverNonNt) {
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  Result<Key16> kx = KxKeyNtlmV1(kFlagsV1 | kNegotiateLmKey | kRequestNonNtSessionKey,
                                 NtlmV1SessionBaseKey(NtHash()), lm, kServerChallenge, LmHash());
  ASSERT_TRUE(kx.ok());
  EXPECT_EQ(H(*kx), "b09e379f7fbecb1eaf0afdcb0383c8a0");
}

TEST(KxKey_3_4_5_1, MissingInputs) {
  const Key16 base = NtlmV1SessionBaseKey(NtHash());
  EXPECT_FALSE(KxKeyNtlmV1(kFlagsV1Ess, base, Hex("00"), kServerChallenge, std::nullopt).ok());
  const Response24 lm = LmV1Response(LmHash(), kServerChallenge);
  EXPECT_FALSE(
      KxKeyNtlmV1(kFlagsV1 | kNegotiateLmKey, base, lm, kServerChallenge, std::nullopt).ok());
  EXPECT_FALSE(KxKeyNtlmV1(kFlagsV1 | kRequestNonNtSessionKey, base, ByteView(), kServerChallenge,
                           std::nullopt)
                   .ok());
  // NON_NT needs no LM response.
  EXPECT_TRUE(
      KxKeyNtlmV1(kFlagsV1 | kRequestNonNtSessionKey, base, ByteView(), kServerChallenge, LmHash())
          .ok());
}

TEST(KeyExchange_3_2_5_1_2, ExportedSessionKeyFromWire) {
  const Key16 kx = NtlmV1SessionBaseKey(NtHash());
  // Without KEY_EXCH the exported key is the KXKEY, whatever the field holds.
  Result<Key16> plain = ExportedSessionKeyFromWire(kFlagsV1Ess, kx, ByteView());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, kx);
  Result<Key16> short_key = ExportedSessionKeyFromWire(kFlagsV1, kx, Hex("5188"));
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, ErrorCode::kBadLength);
}

// --- SIGNKEY / SEALKEY in all strengths ------------------------------------------------------

Key16 Md5Of(ByteView a, std::string_view magic_with_nul) {
  crypto::Md5 md5;
  md5.Update(a);
  md5.Update(AsBytes(magic_with_nul));
  const crypto::Md5Digest d = md5.Final();
  Key16 k;
  std::copy(d.begin(), d.end(), k.begin());
  return k;
}

// The magic constants with their terminating NUL, as 3.4.5.2/3.4.5.3 hash them.
constexpr char kCliSealC[] = "session key to client-to-server sealing key magic constant";
constexpr char kSrvSealC[] = "session key to server-to-client sealing key magic constant";
constexpr char kCliSignC[] = "session key to client-to-server signing key magic constant";
constexpr char kSrvSignC[] = "session key to server-to-client signing key magic constant";
constexpr std::string_view kCliSeal(kCliSealC, sizeof(kCliSealC));
constexpr std::string_view kSrvSeal(kSrvSealC, sizeof(kSrvSealC));
constexpr std::string_view kCliSign(kCliSignC, sizeof(kCliSignC));
constexpr std::string_view kSrvSign(kSrvSignC, sizeof(kSrvSignC));

TEST(SignKey_3_4_5_2, BothSides) {
  const Key16 k = kRandomSessionKey;
  EXPECT_EQ(*SignKey(kFlagsV2, k, Side::kClient), Md5Of(k, kCliSign));
  EXPECT_EQ(*SignKey(kFlagsV2, k, Side::kServer), Md5Of(k, kSrvSign));
  EXPECT_NE(*SignKey(kFlagsV2, k, Side::kClient), *SignKey(kFlagsV2, k, Side::kServer));
  EXPECT_FALSE(SignKey(kFlagsV1, k, Side::kServer).has_value());
}

TEST(SealKey_3_4_5_3, EssStrengths) {
  const Key16 k = Hex16("0102030405060708090a0b0c0d0e0f10");
  const uint32_t ess = kNegotiateExtendedSessionSecurity;
  // 128 bits: all 16 bytes.
  EXPECT_EQ(ComputeSealKey(ess | kNegotiate128 | kNegotiate56, k, Side::kClient).view().size(),
            16u);
  EXPECT_EQ(H(ComputeSealKey(ess | kNegotiate128, k, Side::kClient).bytes), H(Md5Of(k, kCliSeal)));
  EXPECT_EQ(H(ComputeSealKey(ess | kNegotiate128, k, Side::kServer).bytes), H(Md5Of(k, kSrvSeal)));
  // 56 bits: 7 bytes.
  EXPECT_EQ(H(ComputeSealKey(ess | kNegotiate56, k, Side::kClient).bytes),
            H(Md5Of(ByteView(k.data(), 7), kCliSeal)));
  // 40 bits: 5 bytes.
  EXPECT_EQ(H(ComputeSealKey(ess, k, Side::kServer).bytes),
            H(Md5Of(ByteView(k.data(), 5), kSrvSeal)));
}

TEST(SealKey_3_4_5_3, LmKeyStrengths) {
  const Key16 k = Hex16("0102030405060708090a0b0c0d0e0f10");
  const SealKey k56 = ComputeSealKey(kNegotiateLmKey | kNegotiate56, k, Side::kClient);
  EXPECT_EQ(ToHex(k56.view()), "01020304050607a0");
  const SealKey k40 = ComputeSealKey(kNegotiateLmKey, k, Side::kServer);
  EXPECT_EQ(ToHex(k40.view()), "0102030405e538b0");
  // Without ESS the key does not depend on the side.
  EXPECT_EQ(ComputeSealKey(kNegotiateLmKey, k, Side::kClient), k40);
  // NEGOTIATE_128 does not widen the LM_KEY key: 56 wins if set, else 40.
  EXPECT_EQ(ToHex(ComputeSealKey(kNegotiateLmKey | kNegotiate128, k, Side::kClient).view()),
            "0102030405e538b0");
}

TEST(SealKey_3_4_5_3, DatagramNeedsRevisionW2k3) {
  const Key16 k = Hex16("0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(ToHex(ComputeSealKey(kNegotiateDatagram | kNegotiate56, k, Side::kClient).view()),
            "01020304050607a0");
  EXPECT_EQ(ToHex(ComputeSealKey(kNegotiateDatagram, k, Side::kClient, 0x0A).view()), H(k));
}

TEST(SealKey_3_4_5_3, PlainIsExportedKey) {
  const Key16 k = Hex16("0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(ToHex(ComputeSealKey(kNegotiate128 | kNegotiate56, k, Side::kServer).view()), H(k));
}

// --- MIC -------------------------------------------------------------------------------------

TEST(Mic_3_1_5_1_2, HmacOverTheThreeMessages) {
  Bytes auth(100);
  for (size_t i = 0; i < auth.size(); ++i) {
    auth[i] = static_cast<uint8_t>(i);
  }
  const Bytes neg = Hex("4e544c4d5353500001000000");
  const Bytes chal = Hex("4e544c4d5353500002000000");
  Result<Bytes> zeroed = ZeroMicField(auth);
  ASSERT_TRUE(zeroed.ok());
  for (size_t i = 0; i < auth.size(); ++i) {
    EXPECT_EQ((*zeroed)[i], (i >= 72 && i < 88) ? 0 : auth[i]) << i;
  }

  Bytes all = neg;
  all.insert(all.end(), chal.begin(), chal.end());
  all.insert(all.end(), zeroed->begin(), zeroed->end());
  const crypto::Md5Digest want = crypto::HmacMd5Digest(kRandomSessionKey, all);
  EXPECT_EQ(H(ComputeMic(kRandomSessionKey, neg, chal, *zeroed)), ToHex(want));

  Result<Bytes> short_msg = ZeroMicField(ByteView(auth).first(87));
  ASSERT_FALSE(short_msg.ok());
  EXPECT_EQ(short_msg.error().code, ErrorCode::kTruncated);
}

// --- channel bindings ------------------------------------------------------------------------

TEST(ChannelBindings_2_2_2_1, HashOfGssChannelBindings) {
  // Microsoft Open Specifications blog, "NTLM and Channel Binding Hash (aka Extended
  // Protection for Authentication)", 2013: application data "tls-server-end-point:" followed by
  // the certificate's SHA-256, and the resulting MsvAvChannelBindings value.
  const ByteView prefix = AsBytes("tls-server-end-point:");
  Bytes data(prefix.begin(), prefix.end());
  const Bytes cert_hash = Hex("ea05fefecc6b0bd571dbbc5baa3ed45386d0446835f7b74c85621b9983475f95");
  data.insert(data.end(), cert_hash.begin(), cert_hash.end());
  Result<Key16> h = ChannelBindingsHash(data);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(H(*h), "6586e99d81c2fc984e47172fd4dd0310");
}

TEST(ChannelBindings_2_2_2_1, EmptyApplicationData) {
  // MD5 of twenty zero bytes: five zero u32le fields.
  Result<Key16> h = ChannelBindingsHash(ByteView());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(H(*h), ToHex(crypto::Md5Hash(Bytes(20, 0))));
}

// A self-signed certificate signed with |md| (nullptr for Ed25519), DER-encoded.
Bytes MakeCert(const EVP_MD* md, bool ed25519) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
              : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
      &EVP_PKEY_free);
  if (key == nullptr) {
    ADD_FAILURE() << "keygen failed";
    return {};
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ntlm-test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), md) == 0) {
    ADD_FAILURE() << "X509_sign failed";
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string Sha(const EVP_MD* md, const Bytes& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, md, nullptr);
  return ToHex(ByteView(d, n));
}

TEST(ChannelBindings_Rfc5929, TlsServerEndPointHashChoice) {
  const std::string prefix = ToHex(AsBytes("tls-server-end-point:"));
  struct Row {
    const EVP_MD* sign_md;
    const EVP_MD* want_md;
  };
  for (const Row& row : {Row{EVP_sha256(), EVP_sha256()}, Row{EVP_sha384(), EVP_sha384()},
                         Row{EVP_sha512(), EVP_sha512()}, Row{EVP_sha1(), EVP_sha256()}}) {
    SCOPED_TRACE(EVP_MD_get0_name(row.sign_md));
    const Bytes der = MakeCert(row.sign_md, false);
    Result<Bytes> data = TlsServerEndPointData(der);
    ASSERT_TRUE(data.ok()) << data.error().ToString();
    EXPECT_EQ(ToHex(*data), prefix + Sha(row.want_md, der));
    Result<Key16> hash = TlsServerEndPointBindingsHash(der);
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(*hash, *ChannelBindingsHash(*data));
  }
}

TEST(ChannelBindings_Rfc5929, Errors) {
  Result<Bytes> junk = TlsServerEndPointData(Hex("3003020101"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(TlsServerEndPointData(ByteView()).ok());

  Bytes der = MakeCert(EVP_sha256(), false);
  der.push_back(0);
  Result<Bytes> trailing = TlsServerEndPointData(der);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code, ErrorCode::kInvalidArgument);

  const Bytes ed = MakeCert(nullptr, true);
  Result<Bytes> no_hash = TlsServerEndPointData(ed);
  ASSERT_FALSE(no_hash.ok());
  EXPECT_EQ(no_hash.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace ntlm
