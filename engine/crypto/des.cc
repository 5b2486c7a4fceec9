// DES single-block encryption and decryption: FIPS 46-3; the 7-to-8-byte key spreading of
// [MS-NLMP] 6 (DES(K, D)) with the odd key-byte parity FIPS 46-3 describes.
#include "engine/crypto/des.h"

#include <bit>

namespace ntlm::crypto {
namespace {

// All the FIPS 46-3 tables below number bits from 1, bit 1 being the most significant (the
// leftmost) bit of the block. Entry j of a permutation table names the input bit that becomes
// output bit j + 1.

// clang-format off
// Initial permutation IP, FIPS 46-3 "Enciphering" (figure 1).
constexpr uint8_t kIp[64] = {
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
    62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
    57, 49, 41, 33, 25, 17, 9,  1, 59, 51, 43, 35, 27, 19, 11, 3,
    61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
};

// Inverse initial permutation IP^-1, FIPS 46-3 "Enciphering".
constexpr uint8_t kIpInverse[64] = {
    40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
    38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
    36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
    34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9,  49, 17, 57, 25,
};

// E bit-selection table, FIPS 46-3 "The Cipher Function f". Not used at run time: the code
// takes each 6-bit group straight out of a rotated R (see CipherF), and the static_assert below
// proves that this is the same selection.
constexpr uint8_t kE[48] = {
    32, 1,  2,  3,  4,  5,  4,  5,  6,  7,  8,  9,  8,  9,  10, 11,
    12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21,
    22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
};

// Permutation P, FIPS 46-3 "The Cipher Function f".
constexpr uint8_t kP[32] = {
    16, 7, 20, 21, 29, 12, 28, 17, 1,  15, 23, 26, 5,  18, 31, 10,
    2,  8, 24, 14, 32, 27, 3,  9,  19, 13, 30, 6,  22, 11, 4,  25,
};

// Selection functions S1..S8, FIPS 46-3 "The Cipher Function f": kS[n][16 * row + column].
constexpr uint8_t kS[8][64] = {
    {14, 4,  13, 1, 2,  15, 11, 8,  3,  10, 6,  12, 5,  9,  0, 7,
     0,  15, 7,  4, 14, 2,  13, 1,  10, 6,  12, 11, 9,  5,  3, 8,
     4,  1,  14, 8, 13, 6,  2,  11, 15, 12, 9,  7,  3,  10, 5, 0,
     15, 12, 8,  2, 4,  9,  1,  7,  5,  11, 3,  14, 10, 0,  6, 13},
    {15, 1,  8,  14, 6,  11, 3,  4,  9,  7, 2,  13, 12, 0, 5,  10,
     3,  13, 4,  7,  15, 2,  8,  14, 12, 0, 1,  10, 6,  9, 11, 5,
     0,  14, 7,  11, 10, 4,  13, 1,  5,  8, 12, 6,  9,  3, 2,  15,
     13, 8,  10, 1,  3,  15, 4,  2,  11, 6, 7,  12, 0,  5, 14, 9},
    {10, 0,  9,  14, 6, 3,  15, 5,  1,  13, 12, 7,  11, 4,  2,  8,
     13, 7,  0,  9,  3, 4,  6,  10, 2,  8,  5,  14, 12, 11, 15, 1,
     13, 6,  4,  9,  8, 15, 3,  0,  11, 1,  2,  12, 5,  10, 14, 7,
     1,  10, 13, 0,  6, 9,  8,  7,  4,  15, 14, 3,  11, 5,  2,  12},
    {7,  13, 14, 3, 0,  6,  9,  10, 1,  2, 8, 5,  11, 12, 4,  15,
     13, 8,  11, 5, 6,  15, 0,  3,  4,  7, 2, 12, 1,  10, 14, 9,
     10, 6,  9,  0, 12, 11, 7,  13, 15, 1, 3, 14, 5,  2,  8,  4,
     3,  15, 0,  6, 10, 1,  13, 8,  9,  4, 5, 11, 12, 7,  2,  14},
    {2,  12, 4,  1,  7,  10, 11, 6,  8,  5,  3,  15, 13, 0, 14, 9,
     14, 11, 2,  12, 4,  7,  13, 1,  5,  0,  15, 10, 3,  9, 8,  6,
     4,  2,  1,  11, 10, 13, 7,  8,  15, 9,  12, 5,  6,  3, 0,  14,
     11, 8,  12, 7,  1,  14, 2,  13, 6,  15, 0,  9,  10, 4, 5,  3},
    {12, 1,  10, 15, 9, 2,  6,  8,  0,  13, 3,  4,  14, 7,  5,  11,
     10, 15, 4,  2,  7, 12, 9,  5,  6,  1,  13, 14, 0,  11, 3,  8,
     9,  14, 15, 5,  2, 8,  12, 3,  7,  0,  4,  10, 1,  13, 11, 6,
     4,  3,  2,  12, 9, 5,  15, 10, 11, 14, 1,  7,  6,  0,  8,  13},
    {4,  11, 2,  14, 15, 0, 8,  13, 3,  12, 9, 7,  5,  10, 6, 1,
     13, 0,  11, 7,  4,  9, 1,  10, 14, 3,  5, 12, 2,  15, 8, 6,
     1,  4,  11, 13, 12, 3, 7,  14, 10, 15, 6, 8,  0,  5,  9, 2,
     6,  11, 13, 8,  1,  4, 10, 7,  9,  5,  0, 15, 14, 2,  3, 12},
    {13, 2,  8,  4, 6,  15, 11, 1,  10, 9,  3,  14, 5,  0,  12, 7,
     1,  15, 13, 8, 10, 3,  7,  4,  12, 5,  6,  11, 0,  14, 9,  2,
     7,  11, 4,  1, 9,  12, 14, 2,  0,  6,  10, 13, 15, 3,  5,  8,
     2,  1,  14, 7, 4,  10, 8,  13, 15, 12, 9,  0,  3,  5,  6,  11},
};

// Permuted choice 1, FIPS 46-3 "Key Schedule Calculation": the top 28 output bits
// are C0, the bottom 28 are D0. The parity bits 8, 16, ..., 64 are never chosen.
constexpr uint8_t kPc1[56] = {
    57, 49, 41, 33, 25, 17, 9,  1,  58, 50, 42, 34, 26, 18,
    10, 2,  59, 51, 43, 35, 27, 19, 11, 3,  60, 52, 44, 36,
    63, 55, 47, 39, 31, 23, 15, 7,  62, 54, 46, 38, 30, 22,
    14, 6,  61, 53, 45, 37, 29, 21, 13, 5,  28, 20, 12, 4,
};

// Permuted choice 2, FIPS 46-3 "Key Schedule Calculation": K_n is 48 bits picked from C_n D_n.
constexpr uint8_t kPc2[48] = {
    14, 17, 11, 24, 1,  5,  3,  28, 15, 6,  21, 10, 23, 19, 12, 4,
    26, 8,  16, 7,  27, 20, 13, 2,  41, 52, 31, 37, 47, 55, 30, 40,
    51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
};

// Left shifts of C and D before each of the 16 iterations, FIPS 46-3 "Key Schedule Calculation".
constexpr uint8_t kKeyShifts[16] = {1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1};
// clang-format on

constexpr int kRounds = 16;
constexpr uint32_t kMask28 = 0x0fffffff;

// ---- Compile-time checks that the tables above are what the standard says they are. ----

constexpr bool IpInverseUndoesIp() {
  for (int j = 0; j < 64; ++j) {
    if (kIp[kIpInverse[j] - 1] != j + 1) {
      return false;
    }
  }
  return true;
}
static_assert(IpInverseUndoesIp(), "IP^-1 must be the inverse of IP");

// Group g of E(R) is R's bits 4g .. 4g+5 (1-based, wrapping 0 -> 32 and 33 -> 1), which is what
// CipherF reads out of rotations of R.
constexpr bool EIsSixBitWindows() {
  for (int g = 0; g < 8; ++g) {
    for (int t = 0; t < 6; ++t) {
      if (kE[6 * g + t] != (4 * g + t + 31) % 32 + 1) {
        return false;
      }
    }
  }
  return true;
}
static_assert(EIsSixBitWindows(), "E must select overlapping 6-bit windows");

constexpr bool SBoxRowsArePermutations() {
  for (const auto& box : kS) {
    for (int row = 0; row < 4; ++row) {
      unsigned seen = 0;
      for (int col = 0; col < 16; ++col) {
        seen |= 1u << box[16 * row + col];
      }
      if (seen != 0xffff) {
        return false;
      }
    }
  }
  return true;
}
static_assert(SBoxRowsArePermutations(), "each S-box row is a permutation of 0..15");

constexpr bool Pc1SkipsParityBits() {
  for (uint8_t bit : kPc1) {
    if (bit % 8 == 0) {
      return false;
    }
  }
  return true;
}
static_assert(Pc1SkipsParityBits(), "PC-1 must drop the parity bits");

// ---- Tables derived from the ones above at compile time. ----

// A bit permutation (or selection) of an |kInBits|-bit value into a |kOutBits|-bit value, done
// four input bits at a time: table[n][v] holds the output bits that input nibble n (counting
// from the most significant) contributes when its value is v. Sixteen lookups replace 64
// single-bit moves.
template <int kInBits, int kOutBits>
struct NibblePermutation {
  static_assert(kInBits % 4 == 0 && kInBits <= 64 && kOutBits <= 64);
  static constexpr int kNibbles = kInBits / 4;
  uint64_t table[kNibbles][16] = {};

  constexpr explicit NibblePermutation(const uint8_t (&map)[kOutBits]) {
    for (int j = 0; j < kOutBits; ++j) {
      const int src = map[j] - 1;  // 0-based from the most significant bit
      const int nibble = src / 4;
      const int bit_in_nibble = 3 - src % 4;
      const uint64_t out_bit = uint64_t{1} << (kOutBits - 1 - j);
      for (int v = 0; v < 16; ++v) {
        if ((v >> bit_in_nibble) & 1) {
          table[nibble][v] |= out_bit;
        }
      }
    }
  }

  uint64_t Apply(uint64_t in) const {
    uint64_t out = 0;
    for (int n = 0; n < kNibbles; ++n) {
      out |= table[n][(in >> (kInBits - 4 - 4 * n)) & 0xf];
    }
    return out;
  }
};

constexpr NibblePermutation<64, 64> kIpTable(kIp);
constexpr NibblePermutation<64, 64> kIpInverseTable(kIpInverse);
constexpr NibblePermutation<64, 56> kPc1Table(kPc1);
constexpr NibblePermutation<56, 48> kPc2Table(kPc2);

// The SP boxes: kSp[n][x] = P(S_{n+1}(x) placed in its nibble of the 32-bit S output), so that
// f(R, K) = OR over n of kSp[n][6-bit group n of E(R) xor K]. The row of S_n is the outer two
// bits of the group, the column the middle four (FIPS 46-3 "The Cipher Function f").
struct SpBoxes {
  uint32_t box[8][64] = {};

  constexpr SpBoxes() {
    for (int n = 0; n < 8; ++n) {
      for (int x = 0; x < 64; ++x) {
        const int row = ((x >> 4) & 2) | (x & 1);
        const int column = (x >> 1) & 0xf;
        const uint32_t s_out = uint32_t{kS[n][16 * row + column]} << (28 - 4 * n);
        uint32_t p_out = 0;
        for (int j = 0; j < 32; ++j) {
          if ((s_out >> (32 - kP[j])) & 1) {
            p_out |= uint32_t{1} << (31 - j);
          }
        }
        box[n][x] = p_out;
      }
    }
  }
};

constexpr SpBoxes kSp;

// The amount is a compile-time constant in 1..31, so neither shift can be by 32.
template <int S>
inline uint32_t RotateRight(uint32_t x) {
  static_assert(S > 0 && S < 32, "rotation amount out of range");
  return (x >> S) | (x << (32 - S));
}

// The 16 subkeys K1..K16, each as eight 6-bit groups (the S-box inputs they are XORed into).
struct KeySchedule {
  uint8_t k[kRounds][8];
};

uint64_t LoadU64Be(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

void StoreU64Be(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

// FIPS 46-3 "Key Schedule Calculation": PC-1, then for each iteration rotate C and D left by the
// iteration's shift and take PC-2 of C_n D_n.
KeySchedule MakeKeySchedule(const uint8_t key[8]) {
  const uint64_t cd0 = kPc1Table.Apply(LoadU64Be(key));
  uint32_t c = static_cast<uint32_t>(cd0 >> 28) & kMask28;
  uint32_t d = static_cast<uint32_t>(cd0) & kMask28;

  KeySchedule ks;
  for (int n = 0; n < kRounds; ++n) {
    const int s = kKeyShifts[n];  // 1 or 2: the shifts below stay well inside 32 bits
    c = ((c << s) | (c >> (28 - s))) & kMask28;
    d = ((d << s) | (d >> (28 - s))) & kMask28;
    const uint64_t kn = kPc2Table.Apply((uint64_t{c} << 28) | d);
    for (int g = 0; g < 8; ++g) {
      ks.k[n][g] = static_cast<uint8_t>((kn >> (42 - 6 * g)) & 0x3f);
    }
  }
  return ks;
}

// f(R, K) = P(S(E(R) xor K)). Group g of E(R) is R's bits 4g .. 4g+5 (1-based, wrapping), which
// lands in the low six bits when R is rotated right by 27 - 4g (left by 1 for the last group).
inline uint32_t CipherF(uint32_t r, const uint8_t k[8]) {
  return kSp.box[0][(RotateRight<27>(r) & 0x3f) ^ k[0]] |
         kSp.box[1][(RotateRight<23>(r) & 0x3f) ^ k[1]] |
         kSp.box[2][(RotateRight<19>(r) & 0x3f) ^ k[2]] |
         kSp.box[3][(RotateRight<15>(r) & 0x3f) ^ k[3]] |
         kSp.box[4][(RotateRight<11>(r) & 0x3f) ^ k[4]] |
         kSp.box[5][(RotateRight<7>(r) & 0x3f) ^ k[5]] |
         kSp.box[6][(RotateRight<3>(r) & 0x3f) ^ k[6]] |
         kSp.box[7][(RotateRight<31>(r) & 0x3f) ^ k[7]];
}

// FIPS 46-3 "Enciphering" / "Deciphering": IP, sixteen iterations L' = R, R' = L xor f(R, K_n),
// then IP^-1 of the preoutput R16 L16. Deciphering is the same with K16 .. K1.
DesBlock Crypt(std::span<const uint8_t, 8> key8, std::span<const uint8_t, 8> block, bool decrypt) {
  const KeySchedule ks = MakeKeySchedule(key8.data());

  const uint64_t permuted = kIpTable.Apply(LoadU64Be(block.data()));
  uint32_t l = static_cast<uint32_t>(permuted >> 32);
  uint32_t r = static_cast<uint32_t>(permuted);

  for (int n = 0; n < kRounds; ++n) {
    const uint8_t* k = ks.k[decrypt ? kRounds - 1 - n : n];
    const uint32_t next_r = l ^ CipherF(r, k);
    l = r;
    r = next_r;
  }

  const uint64_t preoutput = (uint64_t{r} << 32) | l;
  DesBlock out;
  StoreU64Be(out.data(), kIpInverseTable.Apply(preoutput));
  return out;
}

}  // namespace

DesBlock DesExpandKey56(std::span<const uint8_t, 7> key7) {
  // [MS-NLMP] 6: the 56 key bits, most significant first, seven to a byte in the high bits;
  // the low bit of each byte is set so that the byte has odd parity, as FIPS 46-3 defines the
  // key's error-detecting bits.
  uint64_t bits = 0;
  for (uint8_t b : key7) {
    bits = (bits << 8) | b;
  }

  DesBlock out;
  for (int i = 0; i < 8; ++i) {
    auto byte = static_cast<uint8_t>(((bits >> (49 - 7 * i)) & 0x7f) << 1);
    if (std::popcount(byte) % 2 == 0) {
      byte |= 1;
    }
    out[i] = byte;
  }
  return out;
}

DesBlock DesEncryptBlock(std::span<const uint8_t, 8> key8, std::span<const uint8_t, 8> block) {
  return Crypt(key8, block, /*decrypt=*/false);
}

DesBlock DesDecryptBlock(std::span<const uint8_t, 8> key8, std::span<const uint8_t, 8> block) {
  return Crypt(key8, block, /*decrypt=*/true);
}

}  // namespace ntlm::crypto
