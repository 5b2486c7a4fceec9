// NEGOTIATE flags, [MS-NLMP] 2.2.2.5. Each constant keeps the spec's name and letter.
#ifndef NTLM_ENGINE_FLAGS_H_
#define NTLM_ENGINE_FLAGS_H_

#include <cstdint>
#include <span>
#include <string>

namespace ntlm {

inline constexpr uint32_t kNegotiateUnicode = 0x00000001;                 // A
inline constexpr uint32_t kNegotiateOem = 0x00000002;                     // B
inline constexpr uint32_t kRequestTarget = 0x00000004;                    // C
inline constexpr uint32_t kNegotiateSign = 0x00000010;                    // D
inline constexpr uint32_t kNegotiateSeal = 0x00000020;                    // E
inline constexpr uint32_t kNegotiateDatagram = 0x00000040;                // F
inline constexpr uint32_t kNegotiateLmKey = 0x00000080;                   // G
inline constexpr uint32_t kNegotiateNtlm = 0x00000200;                    // H
inline constexpr uint32_t kNegotiateAnonymous = 0x00000800;               // J
inline constexpr uint32_t kNegotiateOemDomainSupplied = 0x00001000;       // K
inline constexpr uint32_t kNegotiateOemWorkstationSupplied = 0x00002000;  // L
inline constexpr uint32_t kNegotiateAlwaysSign = 0x00008000;              // M
inline constexpr uint32_t kTargetTypeDomain = 0x00010000;                 // N
inline constexpr uint32_t kTargetTypeServer = 0x00020000;                 // O
inline constexpr uint32_t kNegotiateExtendedSessionSecurity = 0x00080000; // P
inline constexpr uint32_t kNegotiateIdentify = 0x00100000;                // Q
inline constexpr uint32_t kRequestNonNtSessionKey = 0x00400000;           // R
inline constexpr uint32_t kNegotiateTargetInfo = 0x00800000;              // S
inline constexpr uint32_t kNegotiateVersion = 0x02000000;                 // T
inline constexpr uint32_t kNegotiate128 = 0x20000000;                     // U
inline constexpr uint32_t kNegotiateKeyExch = 0x40000000;                 // V
inline constexpr uint32_t kNegotiate56 = 0x80000000;                      // W

struct FlagName {
  uint32_t bit;
  const char* name;    // "NTLMSSP_NEGOTIATE_UNICODE"
  char letter;         // 'A'; '-' for reserved bits r1..r10
};

// Every one of the 32 bits, low to high, reserved ones named "NTLMSSP_RESERVED_Rn".
std::span<const FlagName> AllFlagNames();

// "NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM | ..." (low bit first); "0" for none.
std::string FlagsToString(uint32_t flags);

}  // namespace ntlm

#endif  // NTLM_ENGINE_FLAGS_H_
