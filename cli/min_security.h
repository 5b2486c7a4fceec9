// NtlmMinServerSec / NtlmMinClientSec values on the command line (`ntlmh serve
// --min-server-sec`, `ntlmh request --min-client-sec`).
#ifndef NTLMH_CLI_MIN_SECURITY_H_
#define NTLMH_CLI_MIN_SECURITY_H_

#include <string>

namespace ntlmh {

struct MinSecurity {
  bool require_128bit = false;            // 0x20000000, NTLMSSP_NEGOTIATE_128
  bool require_session_security = false;  // 0x00080000, NTLMv2 or extended session security
};

// "0x20080000", "536870912", or names joined by ',' or '|': "128bit", "ntlmv2-session" (and
// their flag names NEGOTIATE_128, EXTENDED_SESSIONSECURITY). False for any other bit or name.
bool ParseMinSecurity(const std::string& text, MinSecurity* out);

}  // namespace ntlmh

#endif  // NTLMH_CLI_MIN_SECURITY_H_
