// Tests of CRC-32 (ITU-T V.42, reflected polynomial 0xEDB88320): the standard check value,
// further published values, chaining across calls, and a bit-at-a-time reference on every length
// from 0 to 300 bytes.
#include "engine/crypto/crc32.h"

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
using test_util::PieceSizes;
using test_util::RandomBytes;
using test_util::RandomPieces;

struct CrcCase {
  const char* name;
  Bytes input;
  uint32_t crc;
};

Bytes Text(const char* s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

// "123456789" -> 0xCBF43926 is the check value of the CRC-32 that zlib, PNG and V.42 share; the
// other values agree with zlib's crc32().
std::vector<CrcCase> KnownCrcs() {
  return {
      {"check value \"123456789\"", Text("123456789"), 0xcbf43926},
      {"empty", Bytes(), 0x00000000},
      {"\"a\"", Text("a"), 0xe8b7be43},
      {"quick brown fox", Text("The quick brown fox jumps over the lazy dog"), 0x414fa339},
      {"32 zero bytes", Bytes(32, 0x00), 0x190a55ad},
      {"32 0xff bytes", Bytes(32, 0xff), 0xff6cab0b},
  };
}

TEST(Crc32Test, KnownValues) {
  for (const CrcCase& c : KnownCrcs()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Crc32(c.input), c.crc);
  }
}

// The CRC as V.42 defines it, one bit at a time, as an independent reference for the table.
uint32_t BitwiseCrc32(ByteView data) {
  uint32_t r = 0xffffffff;
  for (uint8_t byte : data) {
    r ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      r = (r >> 1) ^ (0xedb88320 & (0u - (r & 1)));
    }
  }
  return ~r;
}

TEST(Crc32Test, BitwiseReferenceAgreesWithTheCheckValue) {
  EXPECT_EQ(BitwiseCrc32(AsBytes("123456789")), 0xcbf43926u);
}

// Every length 0..300: one call, and a chain of calls over random pieces, each passing the
// previous result on (Crc32(b, Crc32(a)) == Crc32(a || b)).
TEST(Crc32Test, MatchesBitwiseReferenceOnEveryLengthUpTo300OneShotAndChained) {
  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    const Bytes data = RandomBytes(rng, len);
    const uint32_t expected = BitwiseCrc32(data);

    EXPECT_EQ(Crc32(data), expected);

    const auto pieces = RandomPieces(rng, data);
    uint32_t crc = 0;
    for (ByteView piece : pieces) {
      crc = Crc32(piece, crc);
    }
    EXPECT_EQ(crc, expected) << "pieces " << PieceSizes(pieces);
  }
}

}  // namespace
}  // namespace ntlm::crypto
