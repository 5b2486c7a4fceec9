// Tests of MD4 (RFC 1320): the RFC's own test suite, the compression function alone, the NT hash
// example of [MS-NLMP], and OpenSSL as an oracle on every length from 0 to 300 bytes, one-shot
// and streamed in random pieces.
#include "engine/crypto/md4.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "engine/bytes.h"
#include "engine/crypto/openssl_oracle_test_util.h"

namespace ntlm::crypto {
namespace {

using test_util::kMaxDifferentialLength;
using test_util::kRandomSeed;
using test_util::OpenSslOracle;
using test_util::PieceSizes;
using test_util::RandomBytes;
using test_util::RandomPieces;
using test_util::StreamPieces;

struct HashCase {
  const char* input;
  const char* digest_hex;
};

// RFC 1320 A.5, "Test suite".
constexpr HashCase kRfc1320TestSuite[] = {
    {"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
    {"a", "bde52cb31de33e46245e05fbdbd6fb24"},
    {"abc", "a448017aaf21d8525fc10ae87aa6729d"},
    {"message digest", "d9130a8164549fe818874806e1c7014b"},
    {"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "043f8582f241db351ce627e153e7f0e4"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "e33b4ddc9c38f2199c3e7b164fcc0536"},
};

TEST(Md4Test, Rfc1320A5TestSuite) {
  for (const HashCase& c : kRfc1320TestSuite) {
    SCOPED_TRACE(std::string("MD4(\"") + c.input + "\")");
    EXPECT_EQ(ToHex(Md4Hash(AsBytes(c.input))), c.digest_hex);
  }
}

TEST(Md4Test, Rfc1320A5TestSuiteFedOneByteAtATime) {
  for (const HashCase& c : kRfc1320TestSuite) {
    SCOPED_TRACE(std::string("MD4(\"") + c.input + "\")");
    const ByteView input = AsBytes(c.input);
    Md4 md4;
    for (size_t i = 0; i < input.size(); ++i) {
      md4.Update(input.subspan(i, 1));
    }
    EXPECT_EQ(ToHex(md4.Final()), c.digest_hex);
  }
}

// [MS-NLMP] 4.2.2.1.2: NTOWFv1 of the password "Password" is MD4(UNICODE("Password")).
TEST(Md4Test, NtHashOfPasswordMsNlmp42212) {
  const uint8_t kPasswordUtf16Le[] = {'P', 0, 'a', 0, 's', 0, 's', 0,
                                      'w', 0, 'o', 0, 'r', 0, 'd', 0};
  EXPECT_EQ(ToHex(Md4Hash(kPasswordUtf16Le)), "a4f49c406510bdcab6824ee7c30fd852");
}

// Md4Compress on its own: "abc" padded by hand (RFC 1320 3.1: 0x80 then zeros; 3.2: the length
// in bits, little-endian, at byte 56) is one block, and the state after it is the digest.
TEST(Md4Test, CompressFoldsOneHandPaddedBlock) {
  uint8_t block[kMd4BlockSize] = {'a', 'b', 'c', 0x80};
  block[56] = 3 * 8;
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};  // RFC 1320 3.3

  Md4Compress(state, block);

  uint8_t digest[kMd4DigestSize];
  for (int i = 0; i < 4; ++i) {
    StoreU32Le(digest + 4 * i, state[i]);
  }
  EXPECT_EQ(ToHex(digest), "a448017aaf21d8525fc10ae87aa6729d");
}

TEST(Md4Test, MatchesOpenSslOnEveryLengthUpTo300OneShotAndStreamed) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  ASSERT_EQ(ToHex(oracle.Md4(AsBytes("abc"))), "a448017aaf21d8525fc10ae87aa6729d")
      << "the oracle itself disagrees with RFC 1320";

  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    const Bytes data = RandomBytes(rng, len);
    const std::string expected = ToHex(oracle.Md4(data));

    EXPECT_EQ(ToHex(Md4Hash(data)), expected);

    const auto pieces = RandomPieces(rng, data);
    EXPECT_EQ(ToHex(StreamPieces<Md4>(pieces)), expected) << "pieces " << PieceSizes(pieces);
  }
}

TEST(Md4Test, MatchesOpenSslOnA100KiBInputStreamed) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed + 1);
  const Bytes data = RandomBytes(rng, 100 * 1024);
  const std::string expected = ToHex(oracle.Md4(data));

  EXPECT_EQ(ToHex(Md4Hash(data)), expected);
  EXPECT_EQ(ToHex(StreamPieces<Md4>(RandomPieces(rng, data))), expected);
}

}  // namespace
}  // namespace ntlm::crypto
