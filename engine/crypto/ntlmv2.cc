// NTLMv2 hot path, [MS-NLMP] 3.3.2 (formulas in ntlmv2.h).
//
// Both paths compute on MD5 states as words and never go through bytes between the steps:
// NTOWFv2's output words are the next HMAC's key words, NTProofStr's the session base key's
// message words.
#include "engine/crypto/ntlmv2.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "engine/bytes.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/internal/md5_lanes.h"
#include "engine/crypto/internal/md_buffer.h"

// The AVX2 part passes 32-byte vectors between force-inlined helpers only; GCC's note that
// such a call out of line would have another ABI (-Wpsabi) concerns calls that never exist.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ntlm::crypto {
namespace {

constexpr uint32_t kIpadWord = 0x36363636;  // RFC 2104 2, ipad as a little-endian word
constexpr uint32_t kOpadWord = 0x5c5c5c5c;  // RFC 2104 2, opad
constexpr uint32_t kPadWord = 0x80;         // RFC 1321 3.1: the 1 bit after the message
// The bit count of a 16-byte message after HMAC's 64-byte key block (RFC 1321 3.2).
constexpr uint32_t kBitsKeyBlockPlus16 = (64 + 16) * 8;

void LoadWords16(const uint8_t* p, uint32_t w[4]) {
  for (int i = 0; i < 4; ++i) {
    w[i] = LoadU32Le(p + 4 * i);
  }
}

void StoreWords16(const uint32_t w[4], Md5Digest* out) {
  for (int i = 0; i < 4; ++i) {
    StoreU32Le(out->data() + 4 * i, w[i]);
  }
}

// HMAC-MD5's inner hash of a || b from the key's inner state, as words: MD5 resumed after the
// 64-byte key block (RFC 2104 2). Whole blocks are compressed straight from the caller's bytes
// and the last one is padded as words (internal::MdFinish); only a block that straddles a and b
// is put together, as words too.
void InnerWords(const uint32_t inner[4], std::span<const uint8_t> a, std::span<const uint8_t> b,
                uint32_t out[4]) {
  uint32_t state[4] = {inner[0], inner[1], inner[2], inner[3]};
  const uint64_t total = kMd5BlockSize + a.size() + b.size();
  std::span<const uint8_t> rest = b;
  if (!a.empty()) {
    if (a.size() % 4 != 0 || a.size() >= kMd5BlockSize || b.size() < kMd5BlockSize - a.size()) {
      Md5 h(inner, kMd5BlockSize);  // the general case, rare in NTLM
      h.Update(a);
      h.Update(b);
      const Md5Digest d = h.Final();
      LoadWords16(d.data(), out);
      return;
    }
    // ServerChallenge || temp: the first block takes all of a and the start of b.
    uint32_t w[16];
    const size_t a_words = a.size() / 4;
    for (size_t i = 0; i < a_words; ++i) {
      w[i] = LoadU32Le(a.data() + 4 * i);
    }
    for (size_t i = a_words; i < 16; ++i) {
      w[i] = LoadU32Le(b.data() + 4 * (i - a_words));
    }
    Md5CompressWords(state, w);
    rest = b.subspan(kMd5BlockSize - a.size());
  }
  const size_t full = rest.size() - rest.size() % kMd5BlockSize;
  for (size_t off = 0; off < full; off += kMd5BlockSize) {
    Md5Compress(state, rest.data() + off);
  }
  uint8_t digest[kMd5DigestSize];
  internal::MdFinish<Md5CompressWords>(state, rest.data() + full, rest.size() - full, total,
                                       digest);
  LoadWords16(digest, out);
}

// ------------------------------------------------------------------------------------------
// AVX2: 16 jobs at a time, as two groups of 8 lanes (one 256-bit register each) whose
// compressions are interleaved, so that the vector units have two independent chains to run.
// Every function of this part carries the target attribute; the rest of the file, and the
// build, stay baseline x86-64.
// ------------------------------------------------------------------------------------------
#if defined(__x86_64__) && defined(__GNUC__)
#define NTLM_HAVE_AVX2_PATH 1
#define NTLM_AVX2 __attribute__((target("avx2")))

typedef uint32_t V8 __attribute__((vector_size(32)));
using V16 = internal::Pair2<V8>;  // lanes 0-7 in x, 8-15 in y
constexpr size_t kLanes = 16;

// One lane's message a || b, hashed after the 64-byte key block.
struct LaneMessage {
  const uint8_t* a = nullptr;
  size_t a_len = 0;
  const uint8_t* b = nullptr;
  size_t b_len = 0;
  size_t len() const { return a_len + b_len; }
  // RFC 1321 3.1-3.2: the message, one 0x80 byte, zeros, 8 bytes of bit count.
  size_t blocks() const { return (len() + 9 + 63) / 64; }
};

// Points at block |k| of |m|: straight into the message when the block lies inside one part
// and holds no padding, else a padded copy put together in |scratch|.
const uint8_t* BlockOf(const LaneMessage& m, size_t k, uint8_t scratch[64]) {
  const size_t off = 64 * k;
  const size_t len = m.len();
  if (off + 64 <= m.a_len) {
    return m.a + off;
  }
  if (off >= m.a_len && off + 64 <= len) {
    return m.b + (off - m.a_len);
  }
  if (off == 0 && m.a_len == 8 && m.b_len >= 56) {
    // The common first block of ServerChallenge || temp: fixed sizes, no padding.
    std::memcpy(scratch, m.a, 8);
    std::memcpy(scratch + 8, m.b, 56);
    return scratch;
  }
  std::memset(scratch, 0, 64);
  if (off >= m.blocks() * 64) {
    return scratch;  // past this lane's end: computed, then discarded by the mask
  }
  if (off < m.a_len) {  // the end of part a
    std::memcpy(scratch, m.a + off, std::min<size_t>(64, m.a_len - off));
  }
  const size_t b_from = std::max(off, m.a_len);  // message offsets of part b in this block
  const size_t b_to = std::min(off + 64, len);
  if (b_to > b_from) {
    std::memcpy(scratch + (b_from - off), m.b + (b_from - m.a_len), b_to - b_from);
  }
  if (len >= off && len < off + 64) {
    scratch[len - off] = 0x80;
  }
  if (k + 1 == m.blocks()) {
    const uint64_t bits = (uint64_t{64} + len) * 8;
    StoreU32Le(scratch + 56, static_cast<uint32_t>(bits));
    StoreU32Le(scratch + 60, static_cast<uint32_t>(bits >> 32));
  }
  return scratch;
}

// Eight rows of eight words in, eight columns out: out[i] holds word i of every row.
NTLM_AVX2 inline void Transpose8(const __m256i r[8], V8 out[8]) {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
  const __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
  const __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
  const __m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
  const __m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2);
  const __m256i u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3);
  const __m256i u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6);
  const __m256i u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7);
  const __m256i u7 = _mm256_unpackhi_epi64(t5, t7);
  out[0] = (V8)_mm256_permute2x128_si256(u0, u4, 0x20);
  out[1] = (V8)_mm256_permute2x128_si256(u1, u5, 0x20);
  out[2] = (V8)_mm256_permute2x128_si256(u2, u6, 0x20);
  out[3] = (V8)_mm256_permute2x128_si256(u3, u7, 0x20);
  out[4] = (V8)_mm256_permute2x128_si256(u0, u4, 0x31);
  out[5] = (V8)_mm256_permute2x128_si256(u1, u5, 0x31);
  out[6] = (V8)_mm256_permute2x128_si256(u2, u6, 0x31);
  out[7] = (V8)_mm256_permute2x128_si256(u3, u7, 0x31);
}

// The sixteen message words of eight lanes' blocks (each 64 bytes at p[l]). MD5 reads its
// words little-endian (RFC 1321 3.4), as x86 loads them.
NTLM_AVX2 inline void LoadBlocks8(const uint8_t* const p[8], V8 x[16]) {
  __m256i lo[8], hi[8];
  for (int l = 0; l < 8; ++l) {
    lo[l] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[l]));
    hi[l] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[l] + 32));
  }
  Transpose8(lo, x);
  Transpose8(hi, x + 8);
}

NTLM_AVX2 inline V16 Load16(const uint32_t* w) {
  V16 v;
  std::memcpy(&v.x, w, sizeof(V8));
  std::memcpy(&v.y, w + 8, sizeof(V8));
  return v;
}

NTLM_AVX2 inline void Store16(V16 v, uint32_t* w) {
  std::memcpy(w, &v.x, sizeof(V8));
  std::memcpy(w + 8, &v.y, sizeof(V8));
}

// Words 4..15 of the blocks whose first 16 bytes are the only ones that differ between lanes:
// a 16-byte key's (K xor ipad) and (K xor opad) blocks (RFC 2104 2: the key padded with zeros,
// so its words 4..15 are the pad's), and a 16-byte message after the key block, padded (RFC
// 1321 3.1-3.2: 0x80, zeros, the bit count). Their X[k] + T[i] are compile-time constants.
struct IpadTail {
  static constexpr uint32_t kWords[16] = {
      0,         0,         0,         0,         kIpadWord, kIpadWord, kIpadWord, kIpadWord,
      kIpadWord, kIpadWord, kIpadWord, kIpadWord, kIpadWord, kIpadWord, kIpadWord, kIpadWord};
};
struct OpadTail {
  static constexpr uint32_t kWords[16] = {
      0,         0,         0,         0,         kOpadWord, kOpadWord, kOpadWord, kOpadWord,
      kOpadWord, kOpadWord, kOpadWord, kOpadWord, kOpadWord, kOpadWord, kOpadWord, kOpadWord};
};
struct Message16Tail {
  static constexpr uint32_t kWords[16] = {
      0, 0, 0, 0, kPadWord, 0, 0, 0, 0, 0, 0, 0, 0, 0, kBitsKeyBlockPlus16, 0};
};

// H(K xor ipad) and H(K xor opad) for 16-byte keys given as words (RFC 2104 2, 4).
NTLM_AVX2 void KeyStates16(const V16 key[4], V16 inner[4], V16 outer[4]) {
  V16 x[4];
  for (int i = 0; i < 4; ++i) {
    inner[i] = internal::Splat<V16>(internal::kMd5Init[i]);
    outer[i] = inner[i];
    x[i] = key[i] ^ internal::Splat<V16>(kIpadWord);
  }
  internal::Md5CompressLanesWith(inner, internal::Md5WordsConstTail<V16, IpadTail>{x});
  for (int i = 0; i < 4; ++i) {
    x[i] = key[i] ^ internal::Splat<V16>(kOpadWord);
  }
  internal::Md5CompressLanesWith(outer, internal::Md5WordsConstTail<V16, OpadTail>{x});
}

// MD5 from |state| over a one-block message of 16 bytes (|words|) after the key block:
// HMAC's outer hash, and the session base key's inner one.
NTLM_AVX2 void Hash16AfterKey(const V16 state[4], const V16 words[4], V16 out[4]) {
  for (int i = 0; i < 4; ++i) {
    out[i] = state[i];
  }
  internal::Md5CompressLanesWith(out, internal::Md5WordsConstTail<V16, Message16Tail>{words});
}

// MD5 from |state| (after a 64-byte key block) over each lane's message; lanes with fewer
// blocks keep their state once done (a mask per lane), so any mix of lengths is right.
NTLM_AVX2 void HashMessages(const V16 state[4], const LaneMessage m[kLanes], V16 out[4]) {
  size_t blocks[kLanes];
  size_t max_blocks = 0;
  bool same = true;
  for (size_t l = 0; l < kLanes; ++l) {
    blocks[l] = m[l].blocks();
    max_blocks = std::max(max_blocks, blocks[l]);
    same = same && blocks[l] == blocks[0];
  }
  for (int i = 0; i < 4; ++i) {
    out[i] = state[i];
  }

  alignas(32) uint8_t scratch[kLanes][64];
  for (size_t k = 0; k < max_blocks; ++k) {
    const uint8_t* p[kLanes];
    for (size_t l = 0; l < kLanes; ++l) {
      p[l] = BlockOf(m[l], k, scratch[l]);
    }
    V8 xs[16], ys[16];
    LoadBlocks8(p, xs);
    LoadBlocks8(p + 8, ys);
    V16 x[16];
    for (int i = 0; i < 16; ++i) {
      x[i] = V16{xs[i], ys[i]};
    }
    V16 next[4] = {out[0], out[1], out[2], out[3]};
    internal::Md5CompressLanes(next, x);
    if (same) {
      for (int i = 0; i < 4; ++i) {
        out[i] = next[i];
      }
      continue;
    }
    alignas(32) uint32_t mask_words[kLanes];
    for (size_t l = 0; l < kLanes; ++l) {
      mask_words[l] = k < blocks[l] ? 0xffffffffu : 0;
    }
    const V16 mask = Load16(mask_words);
    for (int i = 0; i < 4; ++i) {
      out[i] = (next[i] & mask) | (out[i] & ~mask);
    }
  }
}

// Sixteen NTLMv2 computations side by side, [MS-NLMP] 3.3.2.
NTLM_AVX2 void ComputeNtlmV2x16(const NtlmV2Job* const jobs[kLanes],
                                NtlmV2Result* const out[kLanes]) {
  alignas(32) uint32_t w[4][kLanes];

  // NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(Uppercase(User) || UserDom)).
  for (size_t l = 0; l < kLanes; ++l) {
    for (int i = 0; i < 4; ++i) {
      w[i][l] = LoadU32Le(jobs[l]->nt_hash.data() + 4 * i);
    }
  }
  V16 key[4], inner[4], outer[4], h[4];
  for (int i = 0; i < 4; ++i) {
    key[i] = Load16(w[i]);
  }
  KeyStates16(key, inner, outer);
  LaneMessage m[kLanes];
  for (size_t l = 0; l < kLanes; ++l) {
    m[l].b = jobs[l]->identity.data();
    m[l].b_len = jobs[l]->identity.size();
  }
  HashMessages(inner, m, h);
  V16 response_key[4];
  Hash16AfterKey(outer, h, response_key);

  // NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp).
  KeyStates16(response_key, inner, outer);
  for (size_t l = 0; l < kLanes; ++l) {
    m[l].a = jobs[l]->server_challenge.data();
    m[l].a_len = jobs[l]->server_challenge.size();
    m[l].b = jobs[l]->temp.data();
    m[l].b_len = jobs[l]->temp.size();
  }
  HashMessages(inner, m, h);
  V16 proof[4];
  Hash16AfterKey(outer, h, proof);

  // SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr).
  Hash16AfterKey(inner, proof, h);
  V16 base[4];
  Hash16AfterKey(outer, h, base);

  // Back to bytes, lane by lane.
  alignas(32) uint32_t rk[4][kLanes], pf[4][kLanes], bk[4][kLanes];
  for (int i = 0; i < 4; ++i) {
    Store16(response_key[i], rk[i]);
    Store16(proof[i], pf[i]);
    Store16(base[i], bk[i]);
  }
  for (size_t l = 0; l < kLanes; ++l) {
    for (int i = 0; i < 4; ++i) {
      StoreU32Le(out[l]->response_key.data() + 4 * i, rk[i][l]);
      StoreU32Le(out[l]->nt_proof_str.data() + 4 * i, pf[i][l]);
      StoreU32Le(out[l]->session_base_key.data() + 4 * i, bk[i][l]);
    }
  }
}

void ComputeBatchAvx2(std::span<const NtlmV2Job> jobs, std::span<NtlmV2Result> out) {
  NtlmV2Result discard[kLanes];
  for (size_t start = 0; start < jobs.size(); start += kLanes) {
    const NtlmV2Job* in[kLanes];
    NtlmV2Result* res[kLanes];
    for (size_t l = 0; l < kLanes; ++l) {
      // A short last group repeats its last job into lanes whose results are dropped.
      const size_t i = std::min(start + l, jobs.size() - 1);
      in[l] = &jobs[i];
      res[l] = start + l < jobs.size() ? &out[start + l] : &discard[l];
    }
    ComputeNtlmV2x16(in, res);
  }
}
#endif  // x86-64 GCC/Clang

}  // namespace

void ComputeNtlmV2(const NtlmV2Job& job, NtlmV2Result* out) {
  // NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(ConcatenationOf(Uppercase(User), UserDom))), 3.3.2.
  uint32_t key[4], inner[4], outer[4], h[4];
  LoadWords16(job.nt_hash.data(), key);
  HmacMd5KeyStates16(key, inner, outer);
  InnerWords(inner, job.identity, {}, h);
  uint32_t response_key[4];
  HmacMd5Outer(outer, h, response_key);

  // NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(ServerChallenge, temp)), 3.3.2: the
  // key's states are computed once for this and the session base key.
  HmacMd5KeyStates16(response_key, inner, outer);
  InnerWords(inner, job.server_challenge, job.temp, h);
  uint32_t proof[4];
  HmacMd5Outer(outer, h, proof);

  // SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr), 3.3.2: one 16-byte block.
  uint32_t x[16] = {proof[0], proof[1], proof[2], proof[3], kPadWord};
  x[14] = kBitsKeyBlockPlus16;
  std::memcpy(h, inner, sizeof(h));
  Md5CompressWords(h, x);
  uint32_t base[4];
  HmacMd5Outer(outer, h, base);

  StoreWords16(response_key, &out->response_key);
  StoreWords16(proof, &out->nt_proof_str);
  StoreWords16(base, &out->session_base_key);
}

bool Avx2Available() {
#ifdef NTLM_HAVE_AVX2_PATH
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

void ComputeNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<NtlmV2Result> out,
                        BatchPath path) {
  const size_t n = std::min(jobs.size(), out.size());
  if (n == 0) {
    return;
  }
#ifdef NTLM_HAVE_AVX2_PATH
  if (path == BatchPath::kAvx2 || (path == BatchPath::kAuto && Avx2Available())) {
    ComputeBatchAvx2(jobs.first(n), out.first(n));
    return;
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    ComputeNtlmV2(jobs[i], &out[i]);
  }
}

void VerifyNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<const Md5Digest> proofs,
                       std::span<NtlmV2Result> results, std::span<uint8_t> ok, BatchPath path) {
  const size_t n = std::min({jobs.size(), proofs.size(), results.size(), ok.size()});
  ComputeNtlmV2Batch(jobs.first(n), results.first(n), path);
  // 3.2.5.1.2: the server compares the NTProofStr it computed with the one received; in
  // constant time, so that the comparison reveals nothing of the expected value.
  for (size_t i = 0; i < n; ++i) {
    uint8_t diff = 0;
    for (size_t k = 0; k < kMd5DigestSize; ++k) {
      diff |= static_cast<uint8_t>(results[i].nt_proof_str[k] ^ proofs[i][k]);
    }
    ok[i] = static_cast<uint8_t>(1 & ((diff - 1u) >> 8));
  }
}

}  // namespace ntlm::crypto
