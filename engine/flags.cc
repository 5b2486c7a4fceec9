// NEGOTIATE flag names, [MS-NLMP] 2.2.2.5.
#include "engine/flags.h"

#include <array>

namespace ntlm {

namespace {

constexpr std::array<FlagName, 32> kFlagNames = {{
    {0x00000001, "NTLMSSP_NEGOTIATE_UNICODE", 'A'},
    {0x00000002, "NTLM_NEGOTIATE_OEM", 'B'},
    {0x00000004, "NTLMSSP_REQUEST_TARGET", 'C'},
    {0x00000008, "NTLMSSP_RESERVED_R10", '-'},
    {0x00000010, "NTLMSSP_NEGOTIATE_SIGN", 'D'},
    {0x00000020, "NTLMSSP_NEGOTIATE_SEAL", 'E'},
    {0x00000040, "NTLMSSP_NEGOTIATE_DATAGRAM", 'F'},
    {0x00000080, "NTLMSSP_NEGOTIATE_LM_KEY", 'G'},
    {0x00000100, "NTLMSSP_RESERVED_R9", '-'},
    {0x00000200, "NTLMSSP_NEGOTIATE_NTLM", 'H'},
    {0x00000400, "NTLMSSP_RESERVED_R8", '-'},
    {0x00000800, "NTLMSSP_ANONYMOUS", 'J'},
    {0x00001000, "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED", 'K'},
    {0x00002000, "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED", 'L'},
    {0x00004000, "NTLMSSP_RESERVED_R7", '-'},
    {0x00008000, "NTLMSSP_NEGOTIATE_ALWAYS_SIGN", 'M'},
    {0x00010000, "NTLMSSP_TARGET_TYPE_DOMAIN", 'N'},
    {0x00020000, "NTLMSSP_TARGET_TYPE_SERVER", 'O'},
    {0x00040000, "NTLMSSP_RESERVED_R6", '-'},
    {0x00080000, "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY", 'P'},
    {0x00100000, "NTLMSSP_NEGOTIATE_IDENTIFY", 'Q'},
    {0x00200000, "NTLMSSP_RESERVED_R5", '-'},
    {0x00400000, "NTLMSSP_REQUEST_NON_NT_SESSION_KEY", 'R'},
    {0x00800000, "NTLMSSP_NEGOTIATE_TARGET_INFO", 'S'},
    {0x01000000, "NTLMSSP_RESERVED_R4", '-'},
    {0x02000000, "NTLMSSP_NEGOTIATE_VERSION", 'T'},
    {0x04000000, "NTLMSSP_RESERVED_R3", '-'},
    {0x08000000, "NTLMSSP_RESERVED_R2", '-'},
    {0x10000000, "NTLMSSP_RESERVED_R1", '-'},
    {0x20000000, "NTLMSSP_NEGOTIATE_128", 'U'},
    {0x40000000, "NTLMSSP_NEGOTIATE_KEY_EXCH", 'V'},
    {0x80000000, "NTLMSSP_NEGOTIATE_56", 'W'},
}};

}  // namespace

std::span<const FlagName> AllFlagNames() { return kFlagNames; }

std::string FlagsToString(uint32_t flags) {
  std::string out;
  for (const FlagName& f : kFlagNames) {
    if ((flags & f.bit) == 0) {
      continue;
    }
    if (!out.empty()) {
      out += " | ";
    }
    out += f.name;
  }
  return out.empty() ? std::string("0") : out;
}

}  // namespace ntlm
