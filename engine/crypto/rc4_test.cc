// Tests of RC4: keystream samples of RFC 6229 section 2 (several keys, offsets from 0 to 4096),
// the state carried across calls, and OpenSSL's RC4 as an oracle on every length from 0 to 300
// bytes and every key length from 1 to 256 bytes.
#include "engine/crypto/rc4.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

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
using test_util::RandomSize;
using test_util::Unhex;

constexpr size_t kMaxKeyLength = 256;

struct KeystreamCase {
  const char* key;
  size_t offset;
  const char* keystream;  // the 16 bytes at |offset|
};

// RFC 6229 section 2 ("Test Vectors for RC4"), a selection of its rows: the 40, 56, 64, 128 and
// 256-bit keys 0x0102..., and the 40 and 128-bit keys of the second set.
constexpr KeystreamCase kRfc6229[] = {
    {"0102030405", 0, "b2396305f03dc027ccc3524a0a1118a8"},
    {"0102030405", 16, "6982944f18fc82d589c403a47a0d0919"},
    {"0102030405", 240, "28cb1132c96ce286421dcaadb8b69eae"},
    {"0102030405", 256, "1cfcf62b03eddb641d77dfcf7f8d8c93"},
    {"0102030405", 1520, "3294f744d8f9790507e70f62e5bbceea"},
    {"0102030405", 1536, "d8729db41882259bee4f825325f5a130"},
    {"0102030405", 4080, "068326a2118416d21f9d04b2cd1ca050"},
    {"0102030405", 4096, "ff25b58995996707e51fbdf08b34d875"},
    {"01020304050607", 0, "293f02d47f37c9b633f2af5285feb46b"},
    {"01020304050607", 4096, "e74b0b9731227fd37c0ec08a47ddd8b8"},
    {"0102030405060708", 0, "97ab8a1bf0afb96132f2f67258da15a8"},
    {"0102030405060708", 256, "d0a990ff2c05fef5b90373c9ff4b870a"},
    {"0102030405060708", 4096, "3fb46e2c8f0f068edce8cdcd7dfc5862"},
    {"0102030405060708090a0b0c0d0e0f10", 0, "9ac7cc9a609d1ef7b2932899cde41b97"},
    {"0102030405060708090a0b0c0d0e0f10", 16, "5248c4959014126a6e8a84f11d1a9e1c"},
    {"0102030405060708090a0b0c0d0e0f10", 1520, "b40110c4190b5622a96116b0017ed297"},
    {"0102030405060708090a0b0c0d0e0f10", 4096, "a36a4c301ae8ac13610ccbc12256cacc"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 0,
     "eaa6bd25880bf93d3f5d1e4ca2611d91"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 240,
     "114ae344ded71b35f2e60febad727fd8"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 4096,
     "f3e4c0a2e02d1d01f7f0a74618af2b48"},
    {"833222772a", 0, "80ad97bdc973df8a2e879e92a497efda"},
    {"833222772a", 4080, "6349d126a37afcba89794f9804914fdc"},
    {"833222772a", 4096, "bf42c3018c2f7c66bfde524975768115"},
    {"ebb46227c6cc8b37641910833222772a", 0, "720c94b63edf44e131d950ca211a5a30"},
    {"ebb46227c6cc8b37641910833222772a", 512, "970dacef40ad98723bac5d6955b81761"},
    {"ebb46227c6cc8b37641910833222772a", 4096, "5bbeb4787d59e5373fdbea6c6f75c29b"},
};

std::string TraceName(const KeystreamCase& c) {
  return std::string("key ") + c.key + ", offset " + std::to_string(c.offset);
}

// The keystream is RC4 of zeros.
TEST(Rc4Test, Rfc6229Section2KeystreamSamples) {
  for (const KeystreamCase& c : kRfc6229) {
    SCOPED_TRACE(TraceName(c));
    Rc4 rc4(Unhex(c.key));
    Bytes stream(c.offset + 16, 0);
    rc4.ProcessInPlace(stream);
    EXPECT_EQ(ToHex(ByteView(stream).subspan(c.offset)), c.keystream);
  }
}

// The same samples reached by many small calls: the cipher keeps i, j and S between calls, as
// sealing across messages needs ([MS-NLMP] 3.4.3).
TEST(Rc4Test, Rfc6229Section2KeystreamSamplesInSeventeenByteCalls) {
  for (const KeystreamCase& c : kRfc6229) {
    SCOPED_TRACE(TraceName(c));
    Rc4 rc4(Unhex(c.key));
    Bytes stream(c.offset + 16, 0);
    for (size_t pos = 0; pos < stream.size(); pos += 17) {
      const size_t n = std::min<size_t>(17, stream.size() - pos);
      rc4.ProcessInPlace(std::span<uint8_t>(stream).subspan(pos, n));
    }
    EXPECT_EQ(ToHex(ByteView(stream).subspan(c.offset)), c.keystream);
  }
}

TEST(Rc4Test, Rfc6229SamplesAlsoHoldForTheOpenSslOracle) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  for (const KeystreamCase& c : kRfc6229) {
    SCOPED_TRACE(TraceName(c));
    const Bytes stream = oracle.Rc4(Unhex(c.key), Bytes(c.offset + 16, 0));
    ASSERT_EQ(stream.size(), c.offset + 16);
    EXPECT_EQ(ToHex(ByteView(stream).subspan(c.offset)), c.keystream);
  }
}

TEST(Rc4Test, SeparateOutputEqualsInPlace) {
  std::mt19937 rng(kRandomSeed);
  const Bytes key = RandomBytes(rng, 16);
  const Bytes plaintext = RandomBytes(rng, 100);

  Bytes out(plaintext.size());
  Rc4(key).Process(plaintext, out);
  Bytes in_place = plaintext;
  Rc4(key).ProcessInPlace(in_place);

  EXPECT_EQ(ToHex(out), ToHex(in_place));
}

TEST(Rc4Test, DecryptingTheCiphertextGivesThePlaintext) {
  std::mt19937 rng(kRandomSeed);
  const Bytes key = RandomBytes(rng, 16);
  const Bytes plaintext = RandomBytes(rng, 300);

  Bytes data = plaintext;
  Rc4(key).ProcessInPlace(data);
  EXPECT_NE(ToHex(data), ToHex(plaintext));
  Rc4(key).ProcessInPlace(data);

  EXPECT_EQ(ToHex(data), ToHex(plaintext));
}

// The header's contract: an empty key is the one-byte key 00.
TEST(Rc4Test, EmptyKeyActsAsOneZeroByte) {
  const uint8_t kZero[1] = {0};
  Bytes from_empty(64, 0);
  Bytes from_zero(64, 0);
  Rc4(ByteView()).ProcessInPlace(from_empty);
  Rc4(kZero).ProcessInPlace(from_zero);
  EXPECT_EQ(ToHex(from_empty), ToHex(from_zero));
}

TEST(Rc4Test, MatchesOpenSslOnEveryLengthUpTo300) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    const Bytes key = RandomBytes(rng, RandomSize(rng, 1, kMaxKeyLength));
    SCOPED_TRACE("length " + std::to_string(len) + ", key length " + std::to_string(key.size()));
    const Bytes data = RandomBytes(rng, len);
    const std::string expected = ToHex(oracle.Rc4(key, data));

    Bytes one_shot(data.size());
    Rc4(key).Process(data, one_shot);
    EXPECT_EQ(ToHex(one_shot), expected);

    // Streamed: the output of each call lands where that piece of the input was.
    const auto pieces = RandomPieces(rng, data);
    Bytes streamed(data.size());
    Rc4 rc4(key);
    size_t pos = 0;
    for (ByteView piece : pieces) {
      rc4.Process(piece, std::span<uint8_t>(streamed).subspan(pos, piece.size()));
      pos += piece.size();
    }
    EXPECT_EQ(ToHex(streamed), expected) << "pieces " << PieceSizes(pieces);
  }
}

TEST(Rc4Test, MatchesOpenSslOnEveryKeyLengthFrom1To256) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed + 1);
  for (size_t key_len = 1; key_len <= kMaxKeyLength; ++key_len) {
    const Bytes data = RandomBytes(rng, RandomSize(rng, 0, kMaxDifferentialLength));
    SCOPED_TRACE("key length " + std::to_string(key_len) + ", length " +
                 std::to_string(data.size()));
    const Bytes key = RandomBytes(rng, key_len);

    Bytes out(data.size());
    Rc4(key).Process(data, out);
    EXPECT_EQ(ToHex(out), ToHex(oracle.Rc4(key, data)));
  }
}

}  // namespace
}  // namespace ntlm::crypto
