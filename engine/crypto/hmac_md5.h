// HMAC-MD5 (RFC 2104), with the test vectors of RFC 2202.
#ifndef NTLM_ENGINE_CRYPTO_HMAC_MD5_H_
#define NTLM_ENGINE_CRYPTO_HMAC_MD5_H_

#include <array>
#include <cstdint>
#include <span>

#include "engine/crypto/md5.h"

namespace ntlm::crypto {

// Streaming HMAC-MD5. A key longer than 64 bytes is first hashed (RFC 2104 2).
class HmacMd5 {
 public:
  explicit HmacMd5(std::span<const uint8_t> key);
  void Update(std::span<const uint8_t> data);
  Md5Digest Final();

 private:
  Md5 inner_;
  uint8_t opad_key_[kMd5BlockSize];
};

Md5Digest HmacMd5Digest(std::span<const uint8_t> key, std::span<const uint8_t> data);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_HMAC_MD5_H_
