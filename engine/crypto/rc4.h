// RC4 stream cipher. NTLM seals with it and keeps its state across messages ([MS-NLMP] 3.4.3).
#ifndef NTLM_ENGINE_CRYPTO_RC4_H_
#define NTLM_ENGINE_CRYPTO_RC4_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace ntlm::crypto {

class Rc4 {
 public:
  // |key| must be 1..256 bytes; an empty key is treated as one zero byte.
  explicit Rc4(std::span<const uint8_t> key);
  // Encrypts or decrypts |in| into |out| (same size; they may be the same buffer).
  void Process(std::span<const uint8_t> in, std::span<uint8_t> out);
  void ProcessInPlace(std::span<uint8_t> data) { Process(data, data); }

 private:
  uint8_t s_[256];
  uint8_t i_ = 0;
  uint8_t j_ = 0;
};

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_RC4_H_
