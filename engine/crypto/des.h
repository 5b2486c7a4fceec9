// DES (FIPS 46-3), single-block ECB encryption only: all that NTLM needs (LM hash, NTLMv1 DESL).
#ifndef NTLM_ENGINE_CRYPTO_DES_H_
#define NTLM_ENGINE_CRYPTO_DES_H_

#include <array>
#include <cstdint>
#include <span>

namespace ntlm::crypto {

using DesBlock = std::array<uint8_t, 8>;

// Spreads a 7-byte (56-bit) key over 8 bytes, 7 bits a byte, high bits first, and sets each
// byte's low bit to odd parity ([MS-NLMP] 6, "DES(K, D)" with the 7-to-8 key expansion).
DesBlock DesExpandKey56(std::span<const uint8_t, 7> key7);

// Encrypts one 8-byte block with an 8-byte key (parity bits ignored).
DesBlock DesEncryptBlock(std::span<const uint8_t, 8> key8, std::span<const uint8_t, 8> block);

// Decrypts one 8-byte block (for tests and for FIPS vectors).
DesBlock DesDecryptBlock(std::span<const uint8_t, 8> key8, std::span<const uint8_t, 8> block);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_DES_H_
