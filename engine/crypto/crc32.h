// CRC-32 (ISO 3309 / ITU-T V.42, the zlib polynomial 0xEDB88320 reflected), used by NTLM's
// signature without extended session security ([MS-NLMP] 3.4.4.1).
#ifndef NTLM_ENGINE_CRYPTO_CRC32_H_
#define NTLM_ENGINE_CRYPTO_CRC32_H_

#include <cstdint>
#include <span>

namespace ntlm::crypto {

// Continues a CRC-32 over |data|; start with crc = 0. Crc32("123456789") == 0xCBF43926.
uint32_t Crc32(std::span<const uint8_t> data, uint32_t crc = 0);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_CRC32_H_
