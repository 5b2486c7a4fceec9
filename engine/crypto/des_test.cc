// Tests of DES (FIPS 46-3) and of the 7-to-8-byte key spreading of [MS-NLMP] 6: published
// known-answer vectors, the LM hash example of [MS-NLMP] 4.2.2.1.1, algebraic properties of DES
// (weak keys, complementation, ignored parity bits), and OpenSSL's DES-ECB as an oracle on
// random keys and blocks.
#include "engine/crypto/des.h"

#include <bit>
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
using test_util::RandomBytes;
using test_util::Unhex;

DesBlock Block(std::string_view hex) {
  const Bytes bytes = Unhex(hex);
  DesBlock block{};
  EXPECT_EQ(bytes.size(), block.size()) << "not an 8-byte block: " << hex;
  for (size_t i = 0; i < block.size() && i < bytes.size(); ++i) {
    block[i] = bytes[i];
  }
  return block;
}

DesBlock RandomBlock(std::mt19937& rng) {
  DesBlock block;
  for (auto& b : block) {
    b = static_cast<uint8_t>(rng());
  }
  return block;
}

DesBlock Complement(DesBlock block) {
  for (auto& b : block) {
    b = static_cast<uint8_t>(~b);
  }
  return block;
}

struct DesCase {
  const char* source;
  const char* key;
  const char* plaintext;
  const char* ciphertext;
};

constexpr DesCase kKnownAnswers[] = {
    // The worked example of J. Orlin Grabbe, "The DES Algorithm Illustrated".
    {"worked example", "133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405"},
    // FIPS 81 appendix B, table B1 (ECB mode), "Now is the time for all ".
    {"FIPS 81 B1 block 1", "0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815"},
    {"FIPS 81 B1 block 2", "0123456789abcdef", "68652074696d6520", "6a271787ab8883f9"},
    {"FIPS 81 B1 block 3", "0123456789abcdef", "666f7220616c6c20", "893d51ec4b563b53"},
    // NBS SP 500-20, variable plaintext known answer test (key with every key bit zero).
    {"NBS variable plaintext, bit 1", "0101010101010101", "8000000000000000", "95f8a5e5dd31d900"},
    {"NBS variable plaintext, bit 2", "0101010101010101", "4000000000000000", "dd7f121ca5015619"},
    {"NBS variable plaintext, bit 3", "0101010101010101", "2000000000000000", "2e8653104f3834ea"},
    {"NBS variable plaintext, bit 64", "0101010101010101", "0000000000000001", "166b40b44aba4bd6"},
    // NBS SP 500-20, variable key known answer test (plaintext zero).
    {"NBS variable key, bit 1", "8001010101010101", "0000000000000000", "95a8d72813daa94d"},
    {"NBS variable key, bit 2", "4001010101010101", "0000000000000000", "0eec1487dd8c26d5"},
    {"NBS variable key, bit 3", "2001010101010101", "0000000000000000", "7ad16ffb79c45926"},
    {"NBS variable key, bit 57", "0101010101010180", "0000000000000000", "9cc62df43b6eed74"},
    {"NBS variable key, bit 63", "0101010101010102", "0000000000000000", "869efd7f9f265a09"},
    // All-zero key bits and plaintext.
    {"zero key, zero block", "0101010101010101", "0000000000000000", "8ca64de9c1b123a7"},
};

TEST(DesTest, KnownAnswerVectorsEncrypt) {
  for (const DesCase& c : kKnownAnswers) {
    SCOPED_TRACE(c.source);
    EXPECT_EQ(ToHex(DesEncryptBlock(Block(c.key), Block(c.plaintext))), c.ciphertext);
  }
}

TEST(DesTest, KnownAnswerVectorsDecrypt) {
  for (const DesCase& c : kKnownAnswers) {
    SCOPED_TRACE(c.source);
    EXPECT_EQ(ToHex(DesDecryptBlock(Block(c.key), Block(c.ciphertext))), c.plaintext);
  }
}

TEST(DesTest, KnownAnswerVectorsAlsoHoldForTheOpenSslOracle) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  for (const DesCase& c : kKnownAnswers) {
    SCOPED_TRACE(c.source);
    EXPECT_EQ(ToHex(oracle.DesEcb(Block(c.key), Block(c.plaintext), /*encrypt=*/true)),
              c.ciphertext);
  }
}

// FIPS 46-3: the low bit of each key byte is a parity bit and takes no part in the cipher.
TEST(DesTest, ParityBitsOfTheKeyAreIgnored) {
  std::mt19937 rng(kRandomSeed);
  for (int i = 0; i < 64; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const DesBlock key = RandomBlock(rng);
    const DesBlock plaintext = RandomBlock(rng);
    DesBlock flipped = key;
    for (auto& b : flipped) {
      b ^= 0x01;
    }
    EXPECT_EQ(ToHex(DesEncryptBlock(flipped, plaintext)), ToHex(DesEncryptBlock(key, plaintext)));
  }
}

// The four weak keys (FIPS 74): every subkey is the same, so encryption is an involution.
TEST(DesTest, WeakKeysMakeEncryptionItsOwnInverse) {
  const char* const kWeakKeys[] = {"0101010101010101", "fefefefefefefefe", "e0e0e0e0f1f1f1f1",
                                   "1f1f1f1f0e0e0e0e"};
  std::mt19937 rng(kRandomSeed);
  for (const char* key_hex : kWeakKeys) {
    SCOPED_TRACE(key_hex);
    const DesBlock key = Block(key_hex);
    const DesBlock plaintext = RandomBlock(rng);
    EXPECT_EQ(ToHex(DesEncryptBlock(key, DesEncryptBlock(key, plaintext))), ToHex(plaintext));
  }
}

// DES(~K, ~P) = ~DES(K, P), the complementation property.
TEST(DesTest, ComplementationProperty) {
  std::mt19937 rng(kRandomSeed);
  for (int i = 0; i < 64; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const DesBlock key = RandomBlock(rng);
    const DesBlock plaintext = RandomBlock(rng);
    EXPECT_EQ(ToHex(DesEncryptBlock(Complement(key), Complement(plaintext))),
              ToHex(Complement(DesEncryptBlock(key, plaintext))));
  }
}

// For every length 0..300, DES-ECB over its whole 8-byte blocks under a random key, block by
// block, against OpenSSL's des-ecb without padding, both ways.
TEST(DesTest, MatchesOpenSslDesEcbOnRandomKeysAndBlocks) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());

  std::mt19937 rng(kRandomSeed);
  for (size_t len = 0; len <= kMaxDifferentialLength; ++len) {
    const DesBlock key = RandomBlock(rng);
    SCOPED_TRACE("length " + std::to_string(len) + ", key " + ToHex(key));
    const Bytes data = RandomBytes(rng, len - len % 8);

    Bytes encrypted;
    Bytes decrypted;
    for (size_t off = 0; off < data.size(); off += 8) {
      const std::span<const uint8_t, 8> block(data.data() + off, 8);
      const DesBlock e = DesEncryptBlock(key, block);
      const DesBlock d = DesDecryptBlock(key, block);
      encrypted.insert(encrypted.end(), e.begin(), e.end());
      decrypted.insert(decrypted.end(), d.begin(), d.end());
      EXPECT_EQ(ToHex(DesDecryptBlock(key, e)), ToHex(block)) << "round trip at offset " << off;
    }

    EXPECT_EQ(ToHex(encrypted), ToHex(oracle.DesEcb(key, data, /*encrypt=*/true)));
    EXPECT_EQ(ToHex(decrypted), ToHex(oracle.DesEcb(key, data, /*encrypt=*/false)));
  }
}

struct ExpandCase {
  const char* key7;
  const char* key8;
};

// Values worked by hand from [MS-NLMP] 6 (seven bits a byte, most significant first) and the
// odd parity rule of FIPS 46-3.
constexpr ExpandCase kExpandCases[] = {
    {"00000000000000", "0101010101010101"},
    {"ffffffffffffff", "fefefefefefefefe"},
    {"0123456789abcd", "0191d0ad794cae9b"},
    {"50415353574f52", "5120546b34ba3da4"},  // "PASSWOR", first half of the LM key
    {"44000000000000", "4501010101010101"},  // "D" and six zero bytes, the second half
};

TEST(DesTest, ExpandKey56Vectors) {
  for (const ExpandCase& c : kExpandCases) {
    SCOPED_TRACE(c.key7);
    const Bytes key7 = Unhex(c.key7);
    ASSERT_EQ(key7.size(), 7u);
    EXPECT_EQ(ToHex(DesExpandKey56(std::span<const uint8_t, 7>(key7.data(), 7))), c.key8);
  }
}

// The two properties that define the expansion, on random keys: every output byte has odd
// parity, and the high seven bits of the eight bytes, concatenated, are the 56 input bits.
TEST(DesTest, ExpandKey56HasOddParityAndKeepsEveryKeyBit) {
  std::mt19937 rng(kRandomSeed);
  for (int i = 0; i < 256; ++i) {
    const Bytes key7 = RandomBytes(rng, 7);
    SCOPED_TRACE(ToHex(key7));
    const DesBlock key8 = DesExpandKey56(std::span<const uint8_t, 7>(key7.data(), 7));

    uint64_t in_bits = 0;
    for (uint8_t b : key7) {
      in_bits = (in_bits << 8) | b;
    }
    uint64_t out_bits = 0;
    for (uint8_t b : key8) {
      EXPECT_EQ(std::popcount(b) % 2, 1) << "byte " << ToHex(ByteView(&b, 1));
      out_bits = (out_bits << 7) | (b >> 1);
    }
    EXPECT_EQ(out_bits, in_bits);
  }
}

// [MS-NLMP] 3.3.1 and 4.2.2.1.1: LMOWFv1("Password") =
//   DES(expand("PASSWOR"), "KGS!@#$%") || DES(expand("D" + six zero bytes), "KGS!@#$%")
//   = e52cac67419a9a22 4a3b108f3fa6cb6d.
TEST(DesTest, LmHashOfPasswordMsNlmp42211) {
  const uint8_t kFirstHalf[7] = {'P', 'A', 'S', 'S', 'W', 'O', 'R'};
  const uint8_t kSecondHalf[7] = {'D', 0, 0, 0, 0, 0, 0};
  const DesBlock kMagic = {'K', 'G', 'S', '!', '@', '#', '$', '%'};

  const DesBlock first = DesEncryptBlock(DesExpandKey56(kFirstHalf), kMagic);
  const DesBlock second = DesEncryptBlock(DesExpandKey56(kSecondHalf), kMagic);

  EXPECT_EQ(ToHex(first) + ToHex(second), "e52cac67419a9a224a3b108f3fa6cb6d");

  // The same through OpenSSL with the keys we expanded, so the expansion is checked against an
  // implementation we did not write.
  OpenSslOracle& oracle = OpenSslOracle::Get();
  ASSERT_TRUE(oracle.Ready());
  EXPECT_EQ(ToHex(oracle.DesEcb(DesExpandKey56(kFirstHalf), kMagic, /*encrypt=*/true)) +
                ToHex(oracle.DesEcb(DesExpandKey56(kSecondHalf), kMagic, /*encrypt=*/true)),
            "e52cac67419a9a224a3b108f3fa6cb6d");
}

}  // namespace
}  // namespace ntlm::crypto
