// MD5 message digest: RFC 1321.
#include "engine/crypto/md5.h"

#include "engine/bytes.h"
#include "engine/crypto/internal/md_buffer.h"

namespace ntlm::crypto {
namespace {

// Initial state, RFC 1321 3.3 (the same words as MD4's).
constexpr uint32_t kInitA = 0x67452301;
constexpr uint32_t kInitB = 0xefcdab89;
constexpr uint32_t kInitC = 0x98badcfe;
constexpr uint32_t kInitD = 0x10325476;

// Shift amounts of each round, RFC 1321 3.4.
constexpr int kR1S0 = 7, kR1S1 = 12, kR1S2 = 17, kR1S3 = 22;
constexpr int kR2S0 = 5, kR2S1 = 9, kR2S2 = 14, kR2S3 = 20;
constexpr int kR3S0 = 4, kR3S1 = 11, kR3S2 = 16, kR3S3 = 23;
constexpr int kR4S0 = 6, kR4S1 = 10, kR4S2 = 15, kR4S3 = 21;

// The table T[1..64] of RFC 1321 3.4: T[i] = floor(2^32 * |sin(i)|), i in radians. Stored
// 0-based: kT[i - 1] is the RFC's T[i].
// clang-format off
constexpr uint32_t kT[64] = {
    // Round 1
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821,
    // Round 2
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681,
    0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a,
    // Round 3
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60,
    0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5,
    0x1fa27cf8, 0xc4ac5665,
    // Round 4
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
    0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235,
    0x2ad7d2bb, 0xeb86d391,
};
// clang-format on

// The amount is a compile-time constant in 1..31, so neither shift can be by 32.
template <int S>
inline uint32_t RotateLeft(uint32_t x) {
  static_assert(S > 0 && S < 32, "rotation amount out of range");
  return (x << S) | (x >> (32 - S));
}

// The auxiliary functions of RFC 1321 3.4. In every step X is the word the previous step just
// produced, so each is written to leave the fewest operations after X arrives:
// F(X,Y,Z) = XY v not(X) Z   -> Z xor (X and (Y xor Z)): where X is set take Y, else Z
// G(X,Y,Z) = XZ v Y not(Z)   -> the two terms never share a set bit, so the "or" is an addition,
//                               and Step2 adds Y not(Z) early and XZ last (see there)
// H(X,Y,Z) = X xor Y xor Z
// I(X,Y,Z) = Y xor (X v not(Z))
inline uint32_t F(uint32_t x, uint32_t y, uint32_t z) { return z ^ (x & (y ^ z)); }
inline uint32_t H(uint32_t x, uint32_t y, uint32_t z) { return x ^ (y ^ z); }
inline uint32_t I(uint32_t x, uint32_t y, uint32_t z) { return y ^ (x | ~z); }

// [abcd k s i]: a = b + ((a + Fn(b,c,d) + X[k] + T[i]) <<< s). The sums are ordered so that the
// terms known early (a, X[k], T[i]) are added first.
template <int S>
inline void Step1(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk, uint32_t t) {
  a = b + RotateLeft<S>((a + xk + t) + F(b, c, d));
}
template <int S>
inline void Step2(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk, uint32_t t) {
  // G(b,c,d) = (b and d) + (c and not d), the second term ready before b is.
  a = b + RotateLeft<S>((a + xk + t + (c & ~d)) + (b & d));
}
template <int S>
inline void Step3(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk, uint32_t t) {
  a = b + RotateLeft<S>((a + xk + t) + H(b, c, d));
}
template <int S>
inline void Step4(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk, uint32_t t) {
  a = b + RotateLeft<S>((a + xk + t) + I(b, c, d));
}

// The block's sixteen little-endian words X[0..15] read in place from its bytes (RFC 1321 3.4,
// "Copy block i into X" without the copy): each step loads its word straight from the input.
struct LeWords {
  const uint8_t* block;
  uint32_t operator[](int i) const { return LoadU32Le(block + 4 * i); }
};

// The compression over X[0..15], given as words (const uint32_t*) or read from bytes (LeWords).
template <typename Words>
inline __attribute__((always_inline)) void CompressT(uint32_t state[4], const Words& x) {
  uint32_t a = state[0];
  uint32_t b = state[1];
  uint32_t c = state[2];
  uint32_t d = state[3];

  // Round 1: word k = i.
  Step1<kR1S0>(a, b, c, d, x[0], kT[0]);
  Step1<kR1S1>(d, a, b, c, x[1], kT[1]);
  Step1<kR1S2>(c, d, a, b, x[2], kT[2]);
  Step1<kR1S3>(b, c, d, a, x[3], kT[3]);
  Step1<kR1S0>(a, b, c, d, x[4], kT[4]);
  Step1<kR1S1>(d, a, b, c, x[5], kT[5]);
  Step1<kR1S2>(c, d, a, b, x[6], kT[6]);
  Step1<kR1S3>(b, c, d, a, x[7], kT[7]);
  Step1<kR1S0>(a, b, c, d, x[8], kT[8]);
  Step1<kR1S1>(d, a, b, c, x[9], kT[9]);
  Step1<kR1S2>(c, d, a, b, x[10], kT[10]);
  Step1<kR1S3>(b, c, d, a, x[11], kT[11]);
  Step1<kR1S0>(a, b, c, d, x[12], kT[12]);
  Step1<kR1S1>(d, a, b, c, x[13], kT[13]);
  Step1<kR1S2>(c, d, a, b, x[14], kT[14]);
  Step1<kR1S3>(b, c, d, a, x[15], kT[15]);

  // Round 2: word k = (1 + 5i) mod 16.
  Step2<kR2S0>(a, b, c, d, x[1], kT[16]);
  Step2<kR2S1>(d, a, b, c, x[6], kT[17]);
  Step2<kR2S2>(c, d, a, b, x[11], kT[18]);
  Step2<kR2S3>(b, c, d, a, x[0], kT[19]);
  Step2<kR2S0>(a, b, c, d, x[5], kT[20]);
  Step2<kR2S1>(d, a, b, c, x[10], kT[21]);
  Step2<kR2S2>(c, d, a, b, x[15], kT[22]);
  Step2<kR2S3>(b, c, d, a, x[4], kT[23]);
  Step2<kR2S0>(a, b, c, d, x[9], kT[24]);
  Step2<kR2S1>(d, a, b, c, x[14], kT[25]);
  Step2<kR2S2>(c, d, a, b, x[3], kT[26]);
  Step2<kR2S3>(b, c, d, a, x[8], kT[27]);
  Step2<kR2S0>(a, b, c, d, x[13], kT[28]);
  Step2<kR2S1>(d, a, b, c, x[2], kT[29]);
  Step2<kR2S2>(c, d, a, b, x[7], kT[30]);
  Step2<kR2S3>(b, c, d, a, x[12], kT[31]);

  // Round 3: word k = (5 + 3i) mod 16.
  Step3<kR3S0>(a, b, c, d, x[5], kT[32]);
  Step3<kR3S1>(d, a, b, c, x[8], kT[33]);
  Step3<kR3S2>(c, d, a, b, x[11], kT[34]);
  Step3<kR3S3>(b, c, d, a, x[14], kT[35]);
  Step3<kR3S0>(a, b, c, d, x[1], kT[36]);
  Step3<kR3S1>(d, a, b, c, x[4], kT[37]);
  Step3<kR3S2>(c, d, a, b, x[7], kT[38]);
  Step3<kR3S3>(b, c, d, a, x[10], kT[39]);
  Step3<kR3S0>(a, b, c, d, x[13], kT[40]);
  Step3<kR3S1>(d, a, b, c, x[0], kT[41]);
  Step3<kR3S2>(c, d, a, b, x[3], kT[42]);
  Step3<kR3S3>(b, c, d, a, x[6], kT[43]);
  Step3<kR3S0>(a, b, c, d, x[9], kT[44]);
  Step3<kR3S1>(d, a, b, c, x[12], kT[45]);
  Step3<kR3S2>(c, d, a, b, x[15], kT[46]);
  Step3<kR3S3>(b, c, d, a, x[2], kT[47]);

  // Round 4: word k = 7i mod 16.
  Step4<kR4S0>(a, b, c, d, x[0], kT[48]);
  Step4<kR4S1>(d, a, b, c, x[7], kT[49]);
  Step4<kR4S2>(c, d, a, b, x[14], kT[50]);
  Step4<kR4S3>(b, c, d, a, x[5], kT[51]);
  Step4<kR4S0>(a, b, c, d, x[12], kT[52]);
  Step4<kR4S1>(d, a, b, c, x[3], kT[53]);
  Step4<kR4S2>(c, d, a, b, x[10], kT[54]);
  Step4<kR4S3>(b, c, d, a, x[1], kT[55]);
  Step4<kR4S0>(a, b, c, d, x[8], kT[56]);
  Step4<kR4S1>(d, a, b, c, x[15], kT[57]);
  Step4<kR4S2>(c, d, a, b, x[6], kT[58]);
  Step4<kR4S3>(b, c, d, a, x[13], kT[59]);
  Step4<kR4S0>(a, b, c, d, x[4], kT[60]);
  Step4<kR4S1>(d, a, b, c, x[11], kT[61]);
  Step4<kR4S2>(c, d, a, b, x[2], kT[62]);
  Step4<kR4S3>(b, c, d, a, x[9], kT[63]);

  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

// The compression over words already split out (the padded last block, HMAC's blocks).
void CompressWords(uint32_t state[4], const uint32_t x[16]) { CompressT(state, x); }

}  // namespace

void Md5Compress(uint32_t state[4], const uint8_t block[kMd5BlockSize]) {
  CompressT(state, LeWords{block});
}

void Md5CompressWords(uint32_t state[4], const uint32_t words[16]) { CompressWords(state, words); }

// buffer_ is left uninitialized on purpose: no byte of it is read before it is written.
Md5::Md5() : state_{kInitA, kInitB, kInitC, kInitD} {}

Md5::Md5(const uint32_t state[4], uint64_t length)
    : state_{state[0], state[1], state[2], state[3]}, length_(length) {}

void Md5::Update(std::span<const uint8_t> data) {
  internal::MdUpdate<Md5Compress>(state_, buffer_, &buffered_, &length_, data);
}

Md5Digest Md5::Final() {
  Md5Digest digest;
  internal::MdFinish<CompressWords>(state_, buffer_, buffered_, length_, digest.data());
  return digest;
}

Md5Digest Md5Hash(std::span<const uint8_t> data) {
  static constexpr uint32_t kInit[4] = {kInitA, kInitB, kInitC, kInitD};
  Md5Digest digest;
  internal::MdOneShot<Md5Compress, CompressWords>(kInit, data, digest.data());
  return digest;
}

}  // namespace ntlm::crypto
