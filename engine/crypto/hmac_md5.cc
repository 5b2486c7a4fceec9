// HMAC-MD5: RFC 2104 (keyed hashing for message authentication) over RFC 1321 MD5.
//
//   HMAC(K, text) = H(K xor opad, H(K xor ipad, text))        (RFC 2104 2)
//
// The key's two 64-byte blocks are compressed once per key (RFC 2104 4); what is left per
// message is MD5 of the text resumed from the inner state, and one block for the outer hash.
#include "engine/crypto/hmac_md5.h"

#include <cstring>

#include "engine/bytes.h"
#include "engine/crypto/internal/md5_lanes.h"

namespace ntlm::crypto {
namespace {

// The pad bytes of RFC 2104 2: ipad = 0x36, opad = 0x5C, each repeated B = 64 times; here as
// little-endian words.
constexpr uint32_t kIpadWord = 0x36363636;
constexpr uint32_t kOpadWord = 0x5c5c5c5c;

// The outer message is (K xor opad) || inner digest: 80 bytes, the second block holding the
// 16-byte digest, the 0x80 pad byte and the bit count 640 (RFC 1321 3.1-3.2).
constexpr uint32_t kOuterPadWord = 0x80;
constexpr uint32_t kOuterBitCount = (kMd5BlockSize + kMd5DigestSize) * 8;

// Both key blocks as words, then both compressions side by side.
void KeyStatesFromWords(const uint32_t key[16], uint32_t inner[4], uint32_t outer[4]) {
  internal::WordPair s[4];
  internal::WordPair x[16];
  for (int i = 0; i < 4; ++i) {
    s[i] = {internal::kMd5Init[i], internal::kMd5Init[i]};
  }
  for (int i = 0; i < 16; ++i) {
    x[i] = {key[i] ^ kIpadWord, key[i] ^ kOpadWord};
  }
  internal::Md5CompressLanes(s, x);
  for (int i = 0; i < 4; ++i) {
    inner[i] = s[i].x;
    outer[i] = s[i].y;
  }
}

}  // namespace

void HmacMd5KeyStates16(const uint32_t key_words[4], uint32_t inner[4], uint32_t outer[4]) {
  const uint32_t key[16] = {key_words[0], key_words[1], key_words[2], key_words[3]};
  KeyStatesFromWords(key, inner, outer);
}

void HmacMd5Outer(const uint32_t outer[4], const uint32_t inner_digest[4], uint32_t out[4]) {
  uint32_t w[16] = {inner_digest[0], inner_digest[1], inner_digest[2], inner_digest[3],
                    kOuterPadWord};
  w[14] = kOuterBitCount;
  uint32_t s[4] = {outer[0], outer[1], outer[2], outer[3]};
  Md5CompressWords(s, w);
  std::memcpy(out, s, sizeof(s));
}

namespace {

// RFC 2104 2: the outer hash over the inner digest, from the prepared K xor opad state.
Md5Digest OuterDigest(const uint32_t outer[4], const Md5Digest& inner_digest) {
  uint32_t d[4];
  for (int i = 0; i < 4; ++i) {
    d[i] = LoadU32Le(inner_digest.data() + 4 * i);
  }
  uint32_t mac[4];
  HmacMd5Outer(outer, d, mac);
  Md5Digest out;
  for (int i = 0; i < 4; ++i) {
    StoreU32Le(out.data() + 4 * i, mac[i]);
  }
  return out;
}

}  // namespace

HmacMd5Key::HmacMd5Key(std::span<const uint8_t> key) {
  // RFC 2104 2: a key longer than B bytes is replaced by H(key); the key is then padded with
  // zeros to B bytes.
  uint8_t block_key[kMd5BlockSize] = {};
  if (key.size() > kMd5BlockSize) {
    const Md5Digest hashed = Md5Hash(key);
    std::memcpy(block_key, hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block_key, key.data(), key.size());
  }
  uint32_t words[16];
  for (int i = 0; i < 16; ++i) {
    words[i] = LoadU32Le(block_key + 4 * i);
  }
  KeyStatesFromWords(words, inner_, outer_);
}

Md5Digest HmacMd5Key::Mac(std::span<const uint8_t> a, std::span<const uint8_t> b) const {
  // H(K xor ipad, text), resumed after the key's block.
  Md5 inner(inner_, kMd5BlockSize);
  inner.Update(a);
  inner.Update(b);
  const Md5Digest inner_digest = inner.Final();

  // H(K xor opad, inner digest).
  return OuterDigest(outer_, inner_digest);
}

HmacMd5::HmacMd5(std::span<const uint8_t> key) {
  const HmacMd5Key prepared(key);
  inner_ = Md5(prepared.inner_state(), kMd5BlockSize);
  std::memcpy(outer_, prepared.outer_state(), sizeof(outer_));
}

void HmacMd5::Update(std::span<const uint8_t> data) { inner_.Update(data); }

Md5Digest HmacMd5::Final() {
  const Md5Digest inner_digest = inner_.Final();
  return OuterDigest(outer_, inner_digest);
}

Md5Digest HmacMd5Digest(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return HmacMd5Key(key).Mac(data);
}

}  // namespace ntlm::crypto
