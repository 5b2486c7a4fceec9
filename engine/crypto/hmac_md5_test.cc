// Tests of HMAC-MD5 (RFC 2104): all seven test cases of RFC 2202 section 2, and OpenSSL as an
// oracle on every message length from 0 to 300 bytes and every key length from 0 to 200 bytes
// (across the 64-byte point where the key starts being hashed), one-shot and streamed.
#include "engine/crypto/hmac_md5.h"

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
using test_util::StreamPieces;
using test_util::Unhex;

constexpr size_t kMaxDifferentialKeyLength = 200;

struct HmacCase {
  const char* name;
  Bytes key;
  Bytes data;
  const char* digest_hex;
};

Bytes Repeat(uint8_t byte, size_t n) { return Bytes(n, byte); }

Bytes Text(const char* s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

// RFC 2202 section 2, "Test Cases for HMAC-MD5", test_case 1 to 7.
std::vector<HmacCase> Rfc2202Cases() {
  return {
      {"test_case 1", Repeat(0x0b, 16), Text("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"},
      {"test_case 2", Text("Jefe"), Text("what do ya want for nothing?"),
       "750c783e6ab0b503eaa86e310a5db738"},
      {"test_case 3", Repeat(0xaa, 16), Repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"},
      {"test_case 4", Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Repeat(0xcd, 50),
       "697eaf0aca3a3aea3a75164746ffaa79"},
      {"test_case 5", Repeat(0x0c, 16), Text("Test With Truncation"),
       "56461ef2342edc00f9bab995690efd4c"},
      {"test_case 6", Repeat(0xaa, 80),
       Text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {"test_case 7", Repeat(0xaa, 80),
       Text("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
       "6f630fad67cda0ee1fb1f562db3aa53e"},
  };
}

TEST(HmacMd5Test, Rfc2202Section2AllSevenCases) {
  for (const HmacCase& c : Rfc2202Cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ToHex(HmacMd5Digest(c.key, c.data)), c.digest_hex);
  }
}

TEST(HmacMd5Test, Rfc2202Section2AllSevenCasesFedOneByteAtATime) {
  for (const HmacCase& c : Rfc2202Cases()) {
    SCOPED_TRACE(c.name);
    HmacMd5 hmac(c.key);
    for (size_t i = 0; i < c.data.size(); ++i) {
      hmac.Update(ByteView(c.data).subspan(i, 1));
    }
    EXPECT_EQ(ToHex(hmac.Final()), c.digest_hex);
  }
}

// RFC 2202 test_case 5 also gives the digest truncated to 96 bits (RFC 2104 5): its prefix.
TEST(HmacMd5Test, Rfc2202TestCase5TruncatedTo96Bits) {
  const Md5Digest mac = HmacMd5Digest(Repeat(0x0c, 16), Text("Test With Truncation"));
  EXPECT_EQ(ToHex(ByteView(mac).first(12)), "56461ef2342edc00f9bab995");
}

// RFC 2104 2: a key longer than the block is replaced by its hash, so the two give one MAC.
TEST(HmacMd5Test, KeyLongerThanABlockActsAsItsMd5) {
  const Bytes long_key = Repeat(0xaa, 80);
  const Md5Digest hashed_key = Md5Hash(long_key);
  const Bytes data = Text("Test Using Larger Than Block-Size Key - Hash Key First");
  EXPECT_EQ(ToHex(HmacMd5Digest(hashed_key, data)), ToHex(HmacMd5Digest(long_key, data)));
}

TEST(HmacMd5Test, MatchesOpenSslOnEveryMessageLengthUpTo300) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  ASSERT_EQ(ToHex(oracle.HmacMd5(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "750c783e6ab0b503eaa86e310a5db738")
      << "the oracle itself disagrees with RFC 2202";

  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    const Bytes key = RandomBytes(rng, RandomSize(rng, 0, kMaxDifferentialKeyLength));
    SCOPED_TRACE("message length " + std::to_string(len) + ", key length " +
                 std::to_string(key.size()));
    const Bytes data = RandomBytes(rng, len);
    const std::string expected = ToHex(oracle.HmacMd5(key, data));

    EXPECT_EQ(ToHex(HmacMd5Digest(key, data)), expected);

    const auto pieces = RandomPieces(rng, data);
    EXPECT_EQ(ToHex(StreamPieces<HmacMd5>(pieces, ByteView(key))), expected)
        << "pieces " << PieceSizes(pieces);
  }
}

TEST(HmacMd5Test, MatchesOpenSslOnEveryKeyLengthUpTo200) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed + 1);
  for (size_t key_len = 0; key_len <= kMaxDifferentialKeyLength; ++key_len) {
    const Bytes data = RandomBytes(rng, RandomSize(rng, 0, kMaxDifferentialLength));
    SCOPED_TRACE("key length " + std::to_string(key_len) + ", message length " +
                 std::to_string(data.size()));
    const Bytes key = RandomBytes(rng, key_len);
    const std::string expected = ToHex(oracle.HmacMd5(key, data));

    EXPECT_EQ(ToHex(HmacMd5Digest(key, data)), expected);

    const auto pieces = RandomPieces(rng, data);
    EXPECT_EQ(ToHex(StreamPieces<HmacMd5>(pieces, ByteView(key))), expected)
        << "pieces " << PieceSizes(pieces);
  }
}

// HmacMd5Key (RFC 2104 4: the key's states computed once): RFC 2202's cases with the message
// split at every point into the two parts Mac takes, and one key reused for all splits.
TEST(HmacMd5KeyTest, Rfc2202Section2AllSevenCasesSplitAtEveryPoint) {
  for (const HmacCase& c : Rfc2202Cases()) {
    SCOPED_TRACE(c.name);
    const HmacMd5Key key(c.key);
    for (size_t cut = 0; cut <= c.data.size(); ++cut) {
      const ByteView data(c.data);
      EXPECT_EQ(ToHex(key.Mac(data.first(cut), data.subspan(cut))), c.digest_hex) << cut;
    }
  }
}

// The word-level helpers the NTLMv2 kernels use, on RFC 2202 test_case 1 and 3 (16-byte keys).
TEST(HmacMd5KeyTest, KeyStates16AndOuterGiveRfc2202Cases1And3) {
  for (const HmacCase& c : Rfc2202Cases()) {
    if (c.key.size() != 16) {
      continue;
    }
    SCOPED_TRACE(c.name);
    uint32_t key_words[4], inner[4], outer[4];
    for (int i = 0; i < 4; ++i) {
      key_words[i] = LoadU32Le(c.key.data() + 4 * i);
    }
    HmacMd5KeyStates16(key_words, inner, outer);
    const HmacMd5Key prepared(c.key);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(inner[i], prepared.inner_state()[i]);
      EXPECT_EQ(outer[i], prepared.outer_state()[i]);
    }
    Md5 h(inner, kMd5BlockSize);
    h.Update(c.data);
    const Md5Digest inner_digest = h.Final();
    uint32_t d[4], mac[4];
    for (int i = 0; i < 4; ++i) {
      d[i] = LoadU32Le(inner_digest.data() + 4 * i);
    }
    HmacMd5Outer(outer, d, mac);
    Md5Digest out;
    for (int i = 0; i < 4; ++i) {
      StoreU32Le(out.data() + 4 * i, mac[i]);
    }
    EXPECT_EQ(ToHex(out), c.digest_hex);
  }
}

TEST(HmacMd5KeyTest, MatchesOpenSslOnRandomKeysAndSplits) {
  ASSERT_TRUE(OpenSslOracle::Get().Ready());
  std::mt19937 rng(kRandomSeed + 8);
  for (int round = 0; round < 300; ++round) {
    const Bytes key = RandomBytes(rng, rng() % 100);
    const Bytes data = RandomBytes(rng, rng() % 300);
    const size_t cut = data.empty() ? 0 : rng() % (data.size() + 1);
    const ByteView view(data);
    EXPECT_EQ(ToHex(HmacMd5Key(key).Mac(view.first(cut), view.subspan(cut))),
              ToHex(OpenSslOracle::Get().HmacMd5(key, data)))
        << "key " << key.size() << ", data " << data.size() << ", cut " << cut;
  }
}

}  // namespace
}  // namespace ntlm::crypto
