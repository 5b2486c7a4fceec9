// MD5 (RFC 1321), our own implementation, used by HMAC-MD5 for NTLMv2, MIC and signing.
#ifndef NTLM_ENGINE_CRYPTO_MD5_H_
#define NTLM_ENGINE_CRYPTO_MD5_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ntlm::crypto {

inline constexpr size_t kMd5DigestSize = 16;
inline constexpr size_t kMd5BlockSize = 64;
using Md5Digest = std::array<uint8_t, kMd5DigestSize>;

// The MD5 compression function: folds one 64-byte block into |state| (RFC 1321 3.4).
void Md5Compress(uint32_t state[4], const uint8_t block[kMd5BlockSize]);

// The same over a block already split into its sixteen little-endian words X[0..15] (HMAC's
// fixed-layout blocks are put together as words).
void Md5CompressWords(uint32_t state[4], const uint32_t words[16]);

class Md5 {
 public:
  Md5();
  // Resumes a hash after |length| bytes (a multiple of 64) that left |state|: HMAC starts from
  // a precomputed H(K xor ipad) state this way (RFC 2104 4).
  Md5(const uint32_t state[4], uint64_t length);
  void Update(std::span<const uint8_t> data);
  Md5Digest Final();

 private:
  uint32_t state_[4];
  uint64_t length_ = 0;
  uint8_t buffer_[kMd5BlockSize];
  size_t buffered_ = 0;
};

Md5Digest Md5Hash(std::span<const uint8_t> data);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_MD5_H_
