// The Merkle-Damgard framing shared by MD4 (RFC 1320 3.1-3.2) and MD5 (RFC 1321 3.1-3.2):
// 64-byte blocks, a 0x80 pad byte, zeros up to 56 mod 64, then the message length in bits as a
// little-endian 64-bit value. Internal: callers use Md4 / Md5, not this.
#ifndef NTLM_ENGINE_CRYPTO_INTERNAL_MD_BUFFER_H_
#define NTLM_ENGINE_CRYPTO_INTERNAL_MD_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "engine/bytes.h"

namespace ntlm::crypto::internal {

inline constexpr size_t kMdBlockSize = 64;
inline constexpr size_t kMdLengthOffset = 56;  // where the 64-bit bit count goes (RFC 1320 3.2)

// A compression function: folds one 64-byte block into a 4-word state.
using MdCompressFn = void (*)(uint32_t*, const uint8_t*);
// The same, over the block already split into its sixteen little-endian words.
using MdCompressWordsFn = void (*)(uint32_t*, const uint32_t*);

// Feeds |data| through |Compress|. Whole blocks are compressed straight from |data|; only a
// partial block at either end goes through |buffer|. |buffered| (< 64) is the count of bytes
// waiting in |buffer|; |length| counts every byte ever fed, modulo 2^64.
template <MdCompressFn Compress>
inline void MdUpdate(uint32_t state[4], uint8_t buffer[kMdBlockSize], size_t* buffered,
                     uint64_t* length, std::span<const uint8_t> data) {
  size_t n = data.size();
  if (n == 0) {
    return;  // also keeps memcpy away from the null pointer of an empty span
  }
  const uint8_t* p = data.data();
  *length += n;

  // Top up a partly filled block first.
  if (*buffered > 0) {
    const size_t room = kMdBlockSize - *buffered;
    const size_t take = n < room ? n : room;
    std::memcpy(buffer + *buffered, p, take);
    *buffered += take;
    p += take;
    n -= take;
    if (*buffered < kMdBlockSize) {
      return;
    }
    Compress(state, buffer);
    *buffered = 0;
  }

  // Whole blocks, no copy.
  while (n >= kMdBlockSize) {
    Compress(state, p);
    p += kMdBlockSize;
    n -= kMdBlockSize;
  }

  // Keep the tail for later.
  if (n > 0) {
    std::memcpy(buffer, p, n);
    *buffered = n;
  }
}

// Pads the last |tail_len| (< 64) bytes of the message at |tail| (RFC 1320 3.1, RFC 1321 3.1),
// appends the bit count of the |total_len|-byte message (3.2), compresses the last block or two
// and writes the state out little-endian (3.5).
//
// The last block is put together as words, not bytes, so the compression reads back exactly the
// words just stored: byte stores feeding word loads would defeat store-to-load forwarding, which
// costs NTLM's short single-block hashes (the NT hash) a noticeable share of their time.
template <MdCompressWordsFn CompressWords>
inline void MdFinish(uint32_t state[4], const uint8_t* tail, size_t tail_len, uint64_t total_len,
                     uint8_t out[16]) {
  // The tail's whole words, then its last 0..3 bytes with the 0x80 pad byte after them.
  uint32_t w[16] = {};
  const size_t tail_words = tail_len / 4;
  const size_t rest = tail_len % 4;
  for (size_t i = 0; i < tail_words; ++i) {
    w[i] = LoadU32Le(tail + 4 * i);
  }
  uint32_t last_word = 0;
  for (size_t i = 0; i < rest; ++i) {
    last_word |= static_cast<uint32_t>(tail[4 * tail_words + i]) << (8 * i);
  }
  w[tail_words] = last_word | (uint32_t{0x80} << (8 * rest));

  // The bit count takes words 14 and 15; when the tail and pad byte reach into them, the count
  // goes in a block of its own.
  if (tail_words >= kMdLengthOffset / 4) {
    CompressWords(state, w);
    for (auto& word : w) {
      word = 0;
    }
  }
  const uint64_t bit_length = total_len * 8;  // modulo 2^64, as the RFCs ask (unsigned: wraps)
  w[14] = static_cast<uint32_t>(bit_length);
  w[15] = static_cast<uint32_t>(bit_length >> 32);
  CompressWords(state, w);

  for (int i = 0; i < 4; ++i) {
    StoreU32Le(out + 4 * i, state[i]);
  }
}

// One-shot hashing from the initial state |init|, without a streaming object: whole blocks
// straight from |data|, then MdFinish on the tail in place.
template <MdCompressFn Compress, MdCompressWordsFn CompressWords>
inline void MdOneShot(const uint32_t init[4], std::span<const uint8_t> data, uint8_t out[16]) {
  uint32_t state[4] = {init[0], init[1], init[2], init[3]};
  const size_t full = data.size() - data.size() % kMdBlockSize;
  for (size_t off = 0; off < full; off += kMdBlockSize) {
    Compress(state, data.data() + off);
  }
  // data.data() + full is one past the end (or null + 0) when there is no tail: valid, and
  // MdFinish reads nothing from it then.
  MdFinish<CompressWords>(state, data.data() + full, data.size() - full, data.size(), out);
}

}  // namespace ntlm::crypto::internal

#endif  // NTLM_ENGINE_CRYPTO_INTERNAL_MD_BUFFER_H_
