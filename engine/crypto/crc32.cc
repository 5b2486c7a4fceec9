// CRC-32: ISO 3309 / ITU-T V.42 (the reflected polynomial 0xEDB88320), as [MS-NLMP] 3.4.4.1 uses.
#include "engine/crypto/crc32.h"

#include <array>

namespace ntlm::crypto {
namespace {

// x^32 + x^26 + x^23 + x^22 + x^16 + x^12 + x^11 + x^10 + x^8 + x^7 + x^5 + x^4 + x^2 + x + 1
// (ITU-T V.42 8.1.1.6.2), bit-reversed because the CRC is computed least significant bit first.
constexpr uint32_t kReflectedPolynomial = 0xedb88320;

// kTable[b] is the CRC register after shifting the byte b through it: one lookup per byte
// instead of eight conditional XORs.
constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) {
      r = (r & 1) ? (r >> 1) ^ kReflectedPolynomial : r >> 1;
    }
    table[b] = r;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

}  // namespace

uint32_t Crc32(std::span<const uint8_t> data, uint32_t crc) {
  // The register starts at all ones and the result is complemented (V.42 8.1.1.6.2). Undoing the
  // final complement on entry lets a caller chain calls: Crc32(b, Crc32(a)) == Crc32(a || b).
  uint32_t r = ~crc;
  for (uint8_t byte : data) {
    r = kTable[(r ^ byte) & 0xff] ^ (r >> 8);
  }
  return ~r;
}

}  // namespace ntlm::crypto
