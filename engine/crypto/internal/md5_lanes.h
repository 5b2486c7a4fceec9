// The MD5 compression function (RFC 1321 3.4) written once over any "word" type: uint32_t for
// one message, or a bundle of independent messages hashed side by side (a pair of uint32_t for
// two-way instruction-level parallelism, 8 x uint32_t in an AVX2 register for multi-buffer
// hashing). The type needs +, ^, &, |, ~, and << / >> by an int. Internal: callers use
// md5.h, hmac_md5.h or ntlmv2.h.
//
// Every function here is force-inlined so that the AVX2 instantiation ends up inside the
// caller that carries __attribute__((target("avx2"))), and nowhere else.
#ifndef NTLM_ENGINE_CRYPTO_INTERNAL_MD5_LANES_H_
#define NTLM_ENGINE_CRYPTO_INTERNAL_MD5_LANES_H_

#include <cstdint>

#define NTLM_MD5_INLINE inline __attribute__((always_inline))

// GCC warns that a 32-byte vector passed by value without AVX enabled has another ABI. Nothing
// here is ever called out of line (always_inline), so no such call exists.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ntlm::crypto::internal {

// Initial state, RFC 1321 3.3.
inline constexpr uint32_t kMd5Init[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

// T[i] = floor(2^32 * |sin(i)|), RFC 1321 3.4, stored 0-based (kMd5T[i - 1] is the RFC's T[i]).
// clang-format off
inline constexpr uint32_t kMd5T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
};
// clang-format on

// Two independent words (or vectors of words), operated on side by side: the compiler
// interleaves the two dependency chains, which one MD5 alone cannot fill the core with.
template <typename W>
struct Pair2 {
  W x, y;
};
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator+(const Pair2<W>& a, const Pair2<W>& b) {
  return {a.x + b.x, a.y + b.y};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator^(const Pair2<W>& a, const Pair2<W>& b) {
  return {a.x ^ b.x, a.y ^ b.y};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator&(const Pair2<W>& a, const Pair2<W>& b) {
  return {a.x & b.x, a.y & b.y};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator|(const Pair2<W>& a, const Pair2<W>& b) {
  return {a.x | b.x, a.y | b.y};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator~(const Pair2<W>& a) {
  return {~a.x, ~a.y};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator<<(const Pair2<W>& a, int s) {
  return {a.x << s, a.y << s};
}
template <typename W>
NTLM_MD5_INLINE Pair2<W> operator>>(const Pair2<W>& a, int s) {
  return {a.x >> s, a.y >> s};
}
using WordPair = Pair2<uint32_t>;

// A constant as a word of type T, the same in every lane.
template <typename T>
struct SplatOf {
  // uint32_t, or a GCC vector of uint32_t (a scalar operand is broadcast).
  NTLM_MD5_INLINE static T Get(uint32_t v) {
    if constexpr (sizeof(T) == sizeof(uint32_t)) {
      return v;
    } else {
      return T{} + v;
    }
  }
};
template <typename W>
struct SplatOf<Pair2<W>> {
  NTLM_MD5_INLINE static Pair2<W> Get(uint32_t v) {
    return {SplatOf<W>::Get(v), SplatOf<W>::Get(v)};
  }
};
template <typename T>
NTLM_MD5_INLINE T Splat(uint32_t v) {
  return SplatOf<T>::Get(v);
}

// T[i] repeated over the words of a vector type T, as a table row in memory.
template <typename T, int I>
struct WideRoundConstant {
  static constexpr int kWords = sizeof(T) / sizeof(uint32_t);
  struct Row {
    uint32_t w[kWords];
  };
  static constexpr Row Make() {
    Row row{};
    for (int k = 0; k < kWords; ++k) {
      row.w[k] = kMd5T[I];
    }
    return row;
  }
  alignas(T) static constexpr Row kRow = Make();
};

// T[i] in every lane. For vector words the constant is read from a table of whole vectors, so
// that it is an operand of the addition in memory instead of a broadcast built in registers.
template <typename T>
struct RoundConstant {
  template <int I>
  NTLM_MD5_INLINE static T Get() {
    if constexpr (sizeof(T) == sizeof(uint32_t)) {
      return kMd5T[I];
    } else {
      static_assert(sizeof(T) % sizeof(uint32_t) == 0, "a vector of 32-bit words");
      // The empty asm hides the table's contents from the optimizer, which would otherwise
      // rebuild the value from an immediate (mov, vmovd, vpbroadcastd) in every step.
      const void* p = &WideRoundConstant<T, I>::kRow;
      asm("" : "+r"(p));
      T v;
      __builtin_memcpy(&v, p, sizeof(T));
      return v;
    }
  }
};
template <typename W>
struct RoundConstant<Pair2<W>> {
  template <int I>
  NTLM_MD5_INLINE static Pair2<W> Get() {
    const W w = RoundConstant<W>::template Get<I>();
    return {w, w};
  }
};

template <int S, typename T>
NTLM_MD5_INLINE T Rotl(const T& x) {
  static_assert(S > 0 && S < 32, "rotation amount out of range");
  return (x << S) | (x >> (32 - S));
}

// One step [abcd k s i] of each round, RFC 1321 3.4: a = b + ((a + Fn(b,c,d) + X[k] + T[i]) <<< s).
// The terms that do not depend on b are added first; G(b,c,d) = (b and d) + (c and not d),
// since the two terms never share a set bit.
template <int S, int I, typename T>
NTLM_MD5_INLINE void Md5Step1(T& a, const T& b, const T& c, const T& d, const T& xk) {
  a = b + Rotl<S>((a + xk + RoundConstant<T>::template Get<I>()) + (d ^ (b & (c ^ d))));
}
template <int S, int I, typename T>
NTLM_MD5_INLINE void Md5Step2(T& a, const T& b, const T& c, const T& d, const T& xk) {
  a = b + Rotl<S>((a + xk + RoundConstant<T>::template Get<I>() + (c & ~d)) + (b & d));
}
template <int S, int I, typename T>
NTLM_MD5_INLINE void Md5Step3(T& a, const T& b, const T& c, const T& d, const T& xk) {
  a = b + Rotl<S>((a + xk + RoundConstant<T>::template Get<I>()) + (b ^ (c ^ d)));
}
template <int S, int I, typename T>
NTLM_MD5_INLINE void Md5Step4(T& a, const T& b, const T& c, const T& d, const T& xk) {
  a = b + Rotl<S>((a + xk + RoundConstant<T>::template Get<I>()) + (c ^ (b | ~d)));
}

// Folds one block, given as its sixteen words x[0..15], into state s[0..3].
template <typename T>
NTLM_MD5_INLINE void Md5CompressLanes(T s[4], const T x[16]) {
  T a = s[0], b = s[1], c = s[2], d = s[3];

  // Round 1: word k = i; shifts 7 12 17 22.
  Md5Step1<7, 0>(a, b, c, d, x[0]);
  Md5Step1<12, 1>(d, a, b, c, x[1]);
  Md5Step1<17, 2>(c, d, a, b, x[2]);
  Md5Step1<22, 3>(b, c, d, a, x[3]);
  Md5Step1<7, 4>(a, b, c, d, x[4]);
  Md5Step1<12, 5>(d, a, b, c, x[5]);
  Md5Step1<17, 6>(c, d, a, b, x[6]);
  Md5Step1<22, 7>(b, c, d, a, x[7]);
  Md5Step1<7, 8>(a, b, c, d, x[8]);
  Md5Step1<12, 9>(d, a, b, c, x[9]);
  Md5Step1<17, 10>(c, d, a, b, x[10]);
  Md5Step1<22, 11>(b, c, d, a, x[11]);
  Md5Step1<7, 12>(a, b, c, d, x[12]);
  Md5Step1<12, 13>(d, a, b, c, x[13]);
  Md5Step1<17, 14>(c, d, a, b, x[14]);
  Md5Step1<22, 15>(b, c, d, a, x[15]);

  // Round 2: word k = (1 + 5i) mod 16; shifts 5 9 14 20.
  Md5Step2<5, 16>(a, b, c, d, x[1]);
  Md5Step2<9, 17>(d, a, b, c, x[6]);
  Md5Step2<14, 18>(c, d, a, b, x[11]);
  Md5Step2<20, 19>(b, c, d, a, x[0]);
  Md5Step2<5, 20>(a, b, c, d, x[5]);
  Md5Step2<9, 21>(d, a, b, c, x[10]);
  Md5Step2<14, 22>(c, d, a, b, x[15]);
  Md5Step2<20, 23>(b, c, d, a, x[4]);
  Md5Step2<5, 24>(a, b, c, d, x[9]);
  Md5Step2<9, 25>(d, a, b, c, x[14]);
  Md5Step2<14, 26>(c, d, a, b, x[3]);
  Md5Step2<20, 27>(b, c, d, a, x[8]);
  Md5Step2<5, 28>(a, b, c, d, x[13]);
  Md5Step2<9, 29>(d, a, b, c, x[2]);
  Md5Step2<14, 30>(c, d, a, b, x[7]);
  Md5Step2<20, 31>(b, c, d, a, x[12]);

  // Round 3: word k = (5 + 3i) mod 16; shifts 4 11 16 23.
  Md5Step3<4, 32>(a, b, c, d, x[5]);
  Md5Step3<11, 33>(d, a, b, c, x[8]);
  Md5Step3<16, 34>(c, d, a, b, x[11]);
  Md5Step3<23, 35>(b, c, d, a, x[14]);
  Md5Step3<4, 36>(a, b, c, d, x[1]);
  Md5Step3<11, 37>(d, a, b, c, x[4]);
  Md5Step3<16, 38>(c, d, a, b, x[7]);
  Md5Step3<23, 39>(b, c, d, a, x[10]);
  Md5Step3<4, 40>(a, b, c, d, x[13]);
  Md5Step3<11, 41>(d, a, b, c, x[0]);
  Md5Step3<16, 42>(c, d, a, b, x[3]);
  Md5Step3<23, 43>(b, c, d, a, x[6]);
  Md5Step3<4, 44>(a, b, c, d, x[9]);
  Md5Step3<11, 45>(d, a, b, c, x[12]);
  Md5Step3<16, 46>(c, d, a, b, x[15]);
  Md5Step3<23, 47>(b, c, d, a, x[2]);

  // Round 4: word k = 7i mod 16; shifts 6 10 15 21.
  Md5Step4<6, 48>(a, b, c, d, x[0]);
  Md5Step4<10, 49>(d, a, b, c, x[7]);
  Md5Step4<15, 50>(c, d, a, b, x[14]);
  Md5Step4<21, 51>(b, c, d, a, x[5]);
  Md5Step4<6, 52>(a, b, c, d, x[12]);
  Md5Step4<10, 53>(d, a, b, c, x[3]);
  Md5Step4<15, 54>(c, d, a, b, x[10]);
  Md5Step4<21, 55>(b, c, d, a, x[1]);
  Md5Step4<6, 56>(a, b, c, d, x[8]);
  Md5Step4<10, 57>(d, a, b, c, x[15]);
  Md5Step4<15, 58>(c, d, a, b, x[6]);
  Md5Step4<21, 59>(b, c, d, a, x[13]);
  Md5Step4<6, 60>(a, b, c, d, x[4]);
  Md5Step4<10, 61>(d, a, b, c, x[11]);
  Md5Step4<15, 62>(c, d, a, b, x[2]);
  Md5Step4<21, 63>(b, c, d, a, x[9]);

  s[0] = s[0] + a;
  s[1] = s[1] + b;
  s[2] = s[2] + c;
  s[3] = s[3] + d;
}

}  // namespace ntlm::crypto::internal

#pragma GCC diagnostic pop

#endif  // NTLM_ENGINE_CRYPTO_INTERNAL_MD5_LANES_H_
