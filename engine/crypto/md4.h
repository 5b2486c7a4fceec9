// MD4 (RFC 1320), our own implementation: NTLM's NT hash needs it and OpenSSL 3 hides it in the
// legacy provider, which many systems do not load.
#ifndef NTLM_ENGINE_CRYPTO_MD4_H_
#define NTLM_ENGINE_CRYPTO_MD4_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ntlm::crypto {

inline constexpr size_t kMd4DigestSize = 16;
inline constexpr size_t kMd4BlockSize = 64;
using Md4Digest = std::array<uint8_t, kMd4DigestSize>;

// The MD4 compression function: folds one 64-byte block into |state| (RFC 1320 3.4).
void Md4Compress(uint32_t state[4], const uint8_t block[kMd4BlockSize]);

// Streaming MD4.
class Md4 {
 public:
  Md4();
  void Update(std::span<const uint8_t> data);
  Md4Digest Final();  // the object must not be used after Final()

 private:
  uint32_t state_[4];
  uint64_t length_ = 0;  // bytes
  uint8_t buffer_[kMd4BlockSize];
  size_t buffered_ = 0;
};

Md4Digest Md4Hash(std::span<const uint8_t> data);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_MD4_H_
