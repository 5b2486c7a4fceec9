// HMAC-MD5 (RFC 2104), with the test vectors of RFC 2202.
//
// Two ways in: HmacMd5, a streaming object for one message, and HmacMd5Key, which computes the
// key's inner and outer states once (RFC 2104 4, "Implementation Note") so that each message
// under the same key costs only the compressions of the message itself plus one.
#ifndef NTLM_ENGINE_CRYPTO_HMAC_MD5_H_
#define NTLM_ENGINE_CRYPTO_HMAC_MD5_H_

#include <array>
#include <cstdint>
#include <span>

#include "engine/crypto/md5.h"

namespace ntlm::crypto {

// A key prepared for HMAC-MD5: the MD5 states after the blocks (K xor ipad) and (K xor opad)
// (RFC 2104 2 and 4). A key longer than 64 bytes is first hashed (RFC 2104 2).
class HmacMd5Key {
 public:
  explicit HmacMd5Key(std::span<const uint8_t> key);

  // HMAC_MD5(K, a || b): the parts are hashed in place, never copied together.
  Md5Digest Mac(std::span<const uint8_t> a, std::span<const uint8_t> b = {}) const;

  // The states after the key's first block (for HmacMd5 and the NTLMv2 kernels).
  const uint32_t* inner_state() const { return inner_; }
  const uint32_t* outer_state() const { return outer_; }

 private:
  uint32_t inner_[4];
  uint32_t outer_[4];
};

// Computes H(K xor ipad) and H(K xor opad) for a 16-byte key given as four little-endian words,
// the two compressions interleaved (they are independent). NTLM's keys are all 16 bytes.
void HmacMd5KeyStates16(const uint32_t key_words[4], uint32_t inner[4], uint32_t outer[4]);

// The outer hash of HMAC-MD5 (RFC 2104 2): MD5 of (K xor opad) || inner_digest, from the
// precomputed |outer| state, on words: |out| = the digest's four little-endian words.
void HmacMd5Outer(const uint32_t outer[4], const uint32_t inner_digest[4], uint32_t out[4]);

// Streaming HMAC-MD5.
class HmacMd5 {
 public:
  explicit HmacMd5(std::span<const uint8_t> key);
  void Update(std::span<const uint8_t> data);
  Md5Digest Final();

 private:
  Md5 inner_;
  uint32_t outer_[4];
};

Md5Digest HmacMd5Digest(std::span<const uint8_t> key, std::span<const uint8_t> data);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_HMAC_MD5_H_
