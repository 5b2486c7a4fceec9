// MD4 message digest: RFC 1320.
#include "engine/crypto/md4.h"

#include "engine/bytes.h"
#include "engine/crypto/internal/md_buffer.h"

namespace ntlm::crypto {
namespace {

// Initial state, RFC 1320 3.3 (words A, B, C, D as little-endian numbers).
constexpr uint32_t kInitA = 0x67452301;
constexpr uint32_t kInitB = 0xefcdab89;
constexpr uint32_t kInitC = 0x98badcfe;
constexpr uint32_t kInitD = 0x10325476;

// Additive constants of rounds 2 and 3, RFC 1320 3.4: floor(2^30 * sqrt(2)), floor(2^30 * sqrt(3)).
constexpr uint32_t kRound2K = 0x5a827999;
constexpr uint32_t kRound3K = 0x6ed9eba1;

// Shift amounts of each round, RFC 1320 3.4.
constexpr int kR1S0 = 3, kR1S1 = 7, kR1S2 = 11, kR1S3 = 19;
constexpr int kR2S0 = 3, kR2S1 = 5, kR2S2 = 9, kR2S3 = 13;
constexpr int kR3S0 = 3, kR3S1 = 9, kR3S2 = 11, kR3S3 = 15;

// The amount is a compile-time constant in 1..31, so neither shift can be by 32.
template <int S>
inline uint32_t RotateLeft(uint32_t x) {
  static_assert(S > 0 && S < 32, "rotation amount out of range");
  return (x << S) | (x >> (32 - S));
}

// F(X,Y,Z) = XY v not(X) Z, written with one operation less: where X is set take Y, else Z.
inline uint32_t F(uint32_t x, uint32_t y, uint32_t z) { return z ^ (x & (y ^ z)); }
// G(X,Y,Z) = XY v XZ v YZ, the majority function, grouped as X(Y v Z) v YZ.
// H(X,Y,Z) = X xor Y xor Z.
// In every step X is the word the previous step just produced, so both are written to leave the
// fewest operations after X arrives: the Y, Z parts are computed while X is still in flight.
inline uint32_t G(uint32_t x, uint32_t y, uint32_t z) { return (x & (y | z)) | (y & z); }
inline uint32_t H(uint32_t x, uint32_t y, uint32_t z) { return x ^ (y ^ z); }

// [abcd k s]: a = (a + F(b,c,d) + X[k]) <<< s, and the same with G and H plus the constants.
// The sums are ordered so that the terms known early (a, X[k], the constant) are added first.
template <int S>
inline void Step1(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk) {
  a = RotateLeft<S>((a + xk) + F(b, c, d));
}
template <int S>
inline void Step2(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk) {
  a = RotateLeft<S>((a + xk + kRound2K) + G(b, c, d));
}
template <int S>
inline void Step3(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, uint32_t xk) {
  a = RotateLeft<S>((a + xk + kRound3K) + H(b, c, d));
}

// The block's sixteen little-endian words X[0..15] read in place from its bytes (RFC 1320 3.4,
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

  // Round 1: words in order.
  Step1<kR1S0>(a, b, c, d, x[0]);
  Step1<kR1S1>(d, a, b, c, x[1]);
  Step1<kR1S2>(c, d, a, b, x[2]);
  Step1<kR1S3>(b, c, d, a, x[3]);
  Step1<kR1S0>(a, b, c, d, x[4]);
  Step1<kR1S1>(d, a, b, c, x[5]);
  Step1<kR1S2>(c, d, a, b, x[6]);
  Step1<kR1S3>(b, c, d, a, x[7]);
  Step1<kR1S0>(a, b, c, d, x[8]);
  Step1<kR1S1>(d, a, b, c, x[9]);
  Step1<kR1S2>(c, d, a, b, x[10]);
  Step1<kR1S3>(b, c, d, a, x[11]);
  Step1<kR1S0>(a, b, c, d, x[12]);
  Step1<kR1S1>(d, a, b, c, x[13]);
  Step1<kR1S2>(c, d, a, b, x[14]);
  Step1<kR1S3>(b, c, d, a, x[15]);

  // Round 2: words by columns (0 4 8 12, 1 5 9 13, ...).
  Step2<kR2S0>(a, b, c, d, x[0]);
  Step2<kR2S1>(d, a, b, c, x[4]);
  Step2<kR2S2>(c, d, a, b, x[8]);
  Step2<kR2S3>(b, c, d, a, x[12]);
  Step2<kR2S0>(a, b, c, d, x[1]);
  Step2<kR2S1>(d, a, b, c, x[5]);
  Step2<kR2S2>(c, d, a, b, x[9]);
  Step2<kR2S3>(b, c, d, a, x[13]);
  Step2<kR2S0>(a, b, c, d, x[2]);
  Step2<kR2S1>(d, a, b, c, x[6]);
  Step2<kR2S2>(c, d, a, b, x[10]);
  Step2<kR2S3>(b, c, d, a, x[14]);
  Step2<kR2S0>(a, b, c, d, x[3]);
  Step2<kR2S1>(d, a, b, c, x[7]);
  Step2<kR2S2>(c, d, a, b, x[11]);
  Step2<kR2S3>(b, c, d, a, x[15]);

  // Round 3: words in bit-reversed order (0 8 4 12, 2 10 6 14, ...).
  Step3<kR3S0>(a, b, c, d, x[0]);
  Step3<kR3S1>(d, a, b, c, x[8]);
  Step3<kR3S2>(c, d, a, b, x[4]);
  Step3<kR3S3>(b, c, d, a, x[12]);
  Step3<kR3S0>(a, b, c, d, x[2]);
  Step3<kR3S1>(d, a, b, c, x[10]);
  Step3<kR3S2>(c, d, a, b, x[6]);
  Step3<kR3S3>(b, c, d, a, x[14]);
  Step3<kR3S0>(a, b, c, d, x[1]);
  Step3<kR3S1>(d, a, b, c, x[9]);
  Step3<kR3S2>(c, d, a, b, x[5]);
  Step3<kR3S3>(b, c, d, a, x[13]);
  Step3<kR3S0>(a, b, c, d, x[3]);
  Step3<kR3S1>(d, a, b, c, x[11]);
  Step3<kR3S2>(c, d, a, b, x[7]);
  Step3<kR3S3>(b, c, d, a, x[15]);

  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

// The compression over words already split out (the padded last block, HMAC's blocks).
void CompressWords(uint32_t state[4], const uint32_t x[16]) { CompressT(state, x); }

}  // namespace

void Md4Compress(uint32_t state[4], const uint8_t block[kMd4BlockSize]) {
  CompressT(state, LeWords{block});
}

// buffer_ is left uninitialized on purpose: no byte of it is read before it is written.
Md4::Md4() : state_{kInitA, kInitB, kInitC, kInitD} {}

void Md4::Update(std::span<const uint8_t> data) {
  internal::MdUpdate<Md4Compress>(state_, buffer_, &buffered_, &length_, data);
}

Md4Digest Md4::Final() {
  Md4Digest digest;
  internal::MdFinish<CompressWords>(state_, buffer_, buffered_, length_, digest.data());
  return digest;
}

Md4Digest Md4Hash(std::span<const uint8_t> data) {
  static constexpr uint32_t kInit[4] = {kInitA, kInitB, kInitC, kInitD};
  Md4Digest digest;
  internal::MdOneShot<Md4Compress, CompressWords>(kInit, data, digest.data());
  return digest;
}

}  // namespace ntlm::crypto
