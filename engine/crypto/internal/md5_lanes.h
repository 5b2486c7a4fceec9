// The MD5 compression function (RFC 1321 3.4) written once over any "word" type: uint32_t for
// one message, or a bundle of independent messages hashed side by side (a pair of uint32_t for
// two-way instruction-level parallelism, 8 x uint32_t in an AVX2 register for multi-buffer
// hashing). The type needs +, -, ^, &, |, ~, and << / >> by an int. Internal: callers use
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
NTLM_MD5_INLINE Pair2<W> operator-(const Pair2<W>& a, const Pair2<W>& b) {
  return {a.x - b.x, a.y - b.y};
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

// True for a word type that holds a vector register's worth of lanes (a GCC vector, or a pair
// of them), false for uint32_t and a pair of uint32_t. The vector forms of a step count
// instructions (the lanes are throughput-bound); the scalar forms count latency.
template <typename T>
inline constexpr bool kIsVectorWord = sizeof(T) >= 16;

// The constant V repeated over the words of a vector type T, as a table row in memory.
template <typename T, uint32_t V>
struct WideConstant {
  static constexpr int kWords = sizeof(T) / sizeof(uint32_t);
  struct Row {
    uint32_t w[kWords];
  };
  static constexpr Row Make() {
    Row row{};
    for (int k = 0; k < kWords; ++k) {
      row.w[k] = V;
    }
    return row;
  }
  alignas(T) static constexpr Row kRow = Make();
};

// V in every lane. For vector words the constant is read from a table of whole vectors, so
// that it is an operand of the addition in memory instead of a broadcast built in registers.
template <typename T>
struct ConstantOf {
  template <uint32_t V>
  NTLM_MD5_INLINE static T Get() {
    if constexpr (sizeof(T) == sizeof(uint32_t)) {
      return V;
    } else {
      static_assert(sizeof(T) % sizeof(uint32_t) == 0, "a vector of 32-bit words");
      // The empty asm hides the table's contents from the optimizer, which would otherwise
      // rebuild the value from an immediate (mov, vmovd, vpbroadcastd) in every step.
      const void* p = &WideConstant<T, V>::kRow;
      asm("" : "+r"(p));
      T v;
      __builtin_memcpy(&v, p, sizeof(T));
      return v;
    }
  }
};
template <typename W>
struct ConstantOf<Pair2<W>> {
  template <uint32_t V>
  NTLM_MD5_INLINE static Pair2<W> Get() {
    const W w = ConstantOf<W>::template Get<V>();
    return {w, w};
  }
};

// The constant each step adds besides its message word: T[i] of RFC 1321 3.4, less one in the
// vector form of round 4, whose step subtracts not(I) instead of adding I (see Md5Step4).
template <typename T>
constexpr uint32_t StepConstant(int i) {
  return kMd5T[i] - (kIsVectorWord<T> && i >= 48 ? 1u : 0u);
}

// The sixteen message words of a block, as the steps read them: X[k] + StepConstant(i).
template <typename T>
struct Md5Words {
  const T* x;
  template <int I, int K>
  NTLM_MD5_INLINE T Plus() const {
    return x[K] + ConstantOf<T>::template Get<StepConstant<T>(I)>();
  }
};

// A block whose words 4..15 are the same constants in every lane (HMAC's pad blocks after a
// 16-byte key, a 16-byte message's padding): X[k] + StepConstant(i) is then one constant for
// those words, folded at compile time. Tail::kWords[k] gives word k for k >= 4.
template <typename T, typename Tail>
struct Md5WordsConstTail {
  const T* x;  // words 0..3
  template <int I, int K>
  NTLM_MD5_INLINE T Plus() const {
    if constexpr (K < 4) {
      return x[K] + ConstantOf<T>::template Get<StepConstant<T>(I)>();
    } else {
      return ConstantOf<T>::template Get<Tail::kWords[K] + StepConstant<T>(I)>();
    }
  }
};

// x <<< S. Vector words have no rotate instruction before AVX-512, so it is two shifts and an
// or; a rotation by 16 swaps the 16-bit halves of each word instead, one byte shuffle.
template <typename T>
struct RotlOf {
  template <int S>
  NTLM_MD5_INLINE static T Get(const T& x) {
    static_assert(S > 0 && S < 32, "rotation amount out of range");
    if constexpr (S == 16 && sizeof(T) == 32) {
      typedef uint8_t Bytes32 __attribute__((vector_size(32)));
      const Bytes32 swap = {2,  3,  0,  1,  6,  7,  4,  5,  10, 11, 8,  9,  14, 15, 12, 13,
                            18, 19, 16, 17, 22, 23, 20, 21, 26, 27, 24, 25, 30, 31, 28, 29};
      Bytes32 b;
      __builtin_memcpy(&b, &x, sizeof(b));
#if defined(__clang__)
      // clang (the fuzz and OSS-Fuzz builds) has no __builtin_shuffle; same permutation.
      (void)swap;
      b = __builtin_shufflevector(b, b, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 18,
                                  19, 16, 17, 22, 23, 20, 21, 26, 27, 24, 25, 30, 31, 28, 29);
#else
      b = __builtin_shuffle(b, swap);
#endif
      T out;
      __builtin_memcpy(&out, &b, sizeof(out));
      return out;
    } else {
      return (x << S) | (x >> (32 - S));
    }
  }
};
template <typename W>
struct RotlOf<Pair2<W>> {
  template <int S>
  NTLM_MD5_INLINE static Pair2<W> Get(const Pair2<W>& x) {
    return {RotlOf<W>::template Get<S>(x.x), RotlOf<W>::template Get<S>(x.y)};
  }
};
template <int S, typename T>
NTLM_MD5_INLINE T Rotl(const T& x) {
  return RotlOf<T>::template Get<S>(x);
}

// Keeps a pair of scalar words in two general registers after each step. Without it GCC packs
// the pair into one SSE register (SLP vectorization), where a rotation is four instructions
// and each step's latency grows by half: the pair then costs more than two chains side by side.
template <typename T>
NTLM_MD5_INLINE void KeepScalar(T& v) {
  if constexpr (sizeof(T) == 2 * sizeof(uint32_t)) {
    asm("" : "+r"(v.x), "+r"(v.y));
  }
}

// One step [abcd k s i] of each round, RFC 1321 3.4: a = b + ((a + Fn(b,c,d) + X[k] + T[i]) <<< s),
// with |xt| = X[k] + T[i] (Md5Words). The terms that do not depend on b are added first;
// G(b,c,d) = (b and d) + (c and not d), since the two terms never share a set bit.
template <int S, typename T>
NTLM_MD5_INLINE void Md5Step1(T& a, const T& b, const T& c, const T& d, const T& xt) {
  a = b + Rotl<S>((a + xt) + (d ^ (b & (c ^ d))));
  KeepScalar(a);
}
template <int S, typename T>
NTLM_MD5_INLINE void Md5Step2(T& a, const T& b, const T& c, const T& d, const T& xt) {
  a = b + Rotl<S>((a + xt + (c & ~d)) + (b & d));
  KeepScalar(a);
}
template <int S, typename T>
NTLM_MD5_INLINE void Md5Step3(T& a, const T& b, const T& c, const T& d, const T& xt) {
  a = b + Rotl<S>((a + xt) + (b ^ (c ^ d)));
  KeepScalar(a);
}
// I(b,c,d) = c xor (b or not d). For vector words, where every instruction counts:
// I = not(c xor (not b and d)), and adding not(v) is subtracting v + 1, so the step is
// (a + X[k] + T[i] - 1) - (c xor (not b and d)): an and-not, a xor and a subtraction, the 1
// folded into the constant (StepConstant). Scalar words keep the form with the fewest
// operations after b arrives (baseline x86-64 has no and-not instruction).
template <int S, typename T>
NTLM_MD5_INLINE void Md5Step4(T& a, const T& b, const T& c, const T& d, const T& xt) {
  if constexpr (kIsVectorWord<T>) {
    a = b + Rotl<S>((a + xt) - (c ^ (~b & d)));
  } else {
    a = b + Rotl<S>((a + xt) + (c ^ (b | ~d)));
  }
  KeepScalar(a);
}

// Folds one block into state s[0..3]; |m| gives each step's X[k] + T[i] (Md5Words,
// Md5WordsConstTail).
template <typename T, typename Words>
NTLM_MD5_INLINE void Md5CompressLanesWith(T s[4], const Words& m) {
  T a = s[0], b = s[1], c = s[2], d = s[3];

  // Round 1: word k = i; shifts 7 12 17 22.
  Md5Step1<7>(a, b, c, d, m.template Plus<0, 0>());
  Md5Step1<12>(d, a, b, c, m.template Plus<1, 1>());
  Md5Step1<17>(c, d, a, b, m.template Plus<2, 2>());
  Md5Step1<22>(b, c, d, a, m.template Plus<3, 3>());
  Md5Step1<7>(a, b, c, d, m.template Plus<4, 4>());
  Md5Step1<12>(d, a, b, c, m.template Plus<5, 5>());
  Md5Step1<17>(c, d, a, b, m.template Plus<6, 6>());
  Md5Step1<22>(b, c, d, a, m.template Plus<7, 7>());
  Md5Step1<7>(a, b, c, d, m.template Plus<8, 8>());
  Md5Step1<12>(d, a, b, c, m.template Plus<9, 9>());
  Md5Step1<17>(c, d, a, b, m.template Plus<10, 10>());
  Md5Step1<22>(b, c, d, a, m.template Plus<11, 11>());
  Md5Step1<7>(a, b, c, d, m.template Plus<12, 12>());
  Md5Step1<12>(d, a, b, c, m.template Plus<13, 13>());
  Md5Step1<17>(c, d, a, b, m.template Plus<14, 14>());
  Md5Step1<22>(b, c, d, a, m.template Plus<15, 15>());

  // Round 2: word k = (1 + 5i) mod 16; shifts 5 9 14 20.
  Md5Step2<5>(a, b, c, d, m.template Plus<16, 1>());
  Md5Step2<9>(d, a, b, c, m.template Plus<17, 6>());
  Md5Step2<14>(c, d, a, b, m.template Plus<18, 11>());
  Md5Step2<20>(b, c, d, a, m.template Plus<19, 0>());
  Md5Step2<5>(a, b, c, d, m.template Plus<20, 5>());
  Md5Step2<9>(d, a, b, c, m.template Plus<21, 10>());
  Md5Step2<14>(c, d, a, b, m.template Plus<22, 15>());
  Md5Step2<20>(b, c, d, a, m.template Plus<23, 4>());
  Md5Step2<5>(a, b, c, d, m.template Plus<24, 9>());
  Md5Step2<9>(d, a, b, c, m.template Plus<25, 14>());
  Md5Step2<14>(c, d, a, b, m.template Plus<26, 3>());
  Md5Step2<20>(b, c, d, a, m.template Plus<27, 8>());
  Md5Step2<5>(a, b, c, d, m.template Plus<28, 13>());
  Md5Step2<9>(d, a, b, c, m.template Plus<29, 2>());
  Md5Step2<14>(c, d, a, b, m.template Plus<30, 7>());
  Md5Step2<20>(b, c, d, a, m.template Plus<31, 12>());

  // Round 3: word k = (5 + 3i) mod 16; shifts 4 11 16 23.
  Md5Step3<4>(a, b, c, d, m.template Plus<32, 5>());
  Md5Step3<11>(d, a, b, c, m.template Plus<33, 8>());
  Md5Step3<16>(c, d, a, b, m.template Plus<34, 11>());
  Md5Step3<23>(b, c, d, a, m.template Plus<35, 14>());
  Md5Step3<4>(a, b, c, d, m.template Plus<36, 1>());
  Md5Step3<11>(d, a, b, c, m.template Plus<37, 4>());
  Md5Step3<16>(c, d, a, b, m.template Plus<38, 7>());
  Md5Step3<23>(b, c, d, a, m.template Plus<39, 10>());
  Md5Step3<4>(a, b, c, d, m.template Plus<40, 13>());
  Md5Step3<11>(d, a, b, c, m.template Plus<41, 0>());
  Md5Step3<16>(c, d, a, b, m.template Plus<42, 3>());
  Md5Step3<23>(b, c, d, a, m.template Plus<43, 6>());
  Md5Step3<4>(a, b, c, d, m.template Plus<44, 9>());
  Md5Step3<11>(d, a, b, c, m.template Plus<45, 12>());
  Md5Step3<16>(c, d, a, b, m.template Plus<46, 15>());
  Md5Step3<23>(b, c, d, a, m.template Plus<47, 2>());

  // Round 4: word k = 7i mod 16; shifts 6 10 15 21.
  Md5Step4<6>(a, b, c, d, m.template Plus<48, 0>());
  Md5Step4<10>(d, a, b, c, m.template Plus<49, 7>());
  Md5Step4<15>(c, d, a, b, m.template Plus<50, 14>());
  Md5Step4<21>(b, c, d, a, m.template Plus<51, 5>());
  Md5Step4<6>(a, b, c, d, m.template Plus<52, 12>());
  Md5Step4<10>(d, a, b, c, m.template Plus<53, 3>());
  Md5Step4<15>(c, d, a, b, m.template Plus<54, 10>());
  Md5Step4<21>(b, c, d, a, m.template Plus<55, 1>());
  Md5Step4<6>(a, b, c, d, m.template Plus<56, 8>());
  Md5Step4<10>(d, a, b, c, m.template Plus<57, 15>());
  Md5Step4<15>(c, d, a, b, m.template Plus<58, 6>());
  Md5Step4<21>(b, c, d, a, m.template Plus<59, 13>());
  Md5Step4<6>(a, b, c, d, m.template Plus<60, 4>());
  Md5Step4<10>(d, a, b, c, m.template Plus<61, 11>());
  Md5Step4<15>(c, d, a, b, m.template Plus<62, 2>());
  Md5Step4<21>(b, c, d, a, m.template Plus<63, 9>());

  s[0] = s[0] + a;
  s[1] = s[1] + b;
  s[2] = s[2] + c;
  s[3] = s[3] + d;
}

// Folds one block, given as its sixteen words x[0..15], into state s[0..3].
template <typename T>
NTLM_MD5_INLINE void Md5CompressLanes(T s[4], const T x[16]) {
  Md5CompressLanesWith(s, Md5Words<T>{x});
}

}  // namespace ntlm::crypto::internal

#pragma GCC diagnostic pop

#endif  // NTLM_ENGINE_CRYPTO_INTERNAL_MD5_LANES_H_
