// Tests of MD5 (RFC 1321): the RFC's own test suite, the compression function alone, and OpenSSL
// as an oracle on every length from 0 to 300 bytes, one-shot and streamed in random pieces.
#include "engine/crypto/md5.h"

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

// RFC 1321 A.5, "Test suite".
constexpr HashCase kRfc1321TestSuite[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

TEST(Md5Test, Rfc1321A5TestSuite) {
  for (const HashCase& c : kRfc1321TestSuite) {
    SCOPED_TRACE(std::string("MD5(\"") + c.input + "\")");
    EXPECT_EQ(ToHex(Md5Hash(AsBytes(c.input))), c.digest_hex);
  }
}

TEST(Md5Test, Rfc1321A5TestSuiteFedOneByteAtATime) {
  for (const HashCase& c : kRfc1321TestSuite) {
    SCOPED_TRACE(std::string("MD5(\"") + c.input + "\")");
    const ByteView input = AsBytes(c.input);
    Md5 md5;
    for (size_t i = 0; i < input.size(); ++i) {
      md5.Update(input.subspan(i, 1));
    }
    EXPECT_EQ(ToHex(md5.Final()), c.digest_hex);
  }
}

// Md5Compress on its own: "abc" padded by hand (RFC 1321 3.1: 0x80 then zeros; 3.2: the length
// in bits, little-endian, at byte 56) is one block, and the state after it is the digest.
TEST(Md5Test, CompressFoldsOneHandPaddedBlock) {
  uint8_t block[kMd5BlockSize] = {'a', 'b', 'c', 0x80};
  block[56] = 3 * 8;
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};  // RFC 1321 3.3

  Md5Compress(state, block);

  uint8_t digest[kMd5DigestSize];
  for (int i = 0; i < 4; ++i) {
    StoreU32Le(digest + 4 * i, state[i]);
  }
  EXPECT_EQ(ToHex(digest), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Test, MatchesOpenSslOnEveryLengthUpTo300OneShotAndStreamed) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  ASSERT_EQ(ToHex(oracle.Md5(AsBytes("abc"))), "900150983cd24fb0d6963f7d28e17f72")
      << "the oracle itself disagrees with RFC 1321";

  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    const Bytes data = RandomBytes(rng, len);
    const std::string expected = ToHex(oracle.Md5(data));

    EXPECT_EQ(ToHex(Md5Hash(data)), expected);

    const auto pieces = RandomPieces(rng, data);
    EXPECT_EQ(ToHex(StreamPieces<Md5>(pieces)), expected) << "pieces " << PieceSizes(pieces);
  }
}

TEST(Md5Test, MatchesOpenSslOnA100KiBInputStreamed) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed + 1);
  const Bytes data = RandomBytes(rng, 100 * 1024);
  const std::string expected = ToHex(oracle.Md5(data));

  EXPECT_EQ(ToHex(Md5Hash(data)), expected);
  EXPECT_EQ(ToHex(StreamPieces<Md5>(RandomPieces(rng, data))), expected);
}

}  // namespace
}  // namespace ntlm::crypto
