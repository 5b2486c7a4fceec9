// Conformance notes on decoded messages: rules of [MS-NLMP] that a message breaks but that do
// not stop it from being decoded (a MUST on the sender, a SHOULD, or flags that contradict the
// payload). `ntlmh decode` prints them; the probe and `ntlmh explain` build on them.
//
// Every deviation that a lenient DecodePolicy lets through is reported here as well (an AV pair
// list without MsvAvEOL or with bytes after it, duplicate or undefined AvIds,
// NTLMSSP_NEGOTIATE_TARGET_INFO with an empty target info), so that decoding leniently never
// hides a fault. The notes read only the decoded message: TargetInfo::had_eol and
// bytes_after_eol say what the list looked like on the wire.
#ifndef NTLM_ENGINE_LINT_H_
#define NTLM_ENGINE_LINT_H_

#include <string>
#include <vector>

#include "engine/messages.h"

namespace ntlm {

enum class Severity : uint8_t {
  kMust,    // breaks a MUST (or MUST NOT)
  kShould,  // breaks a SHOULD
  kInfo,    // worth knowing: weak or legacy choice
};

struct LintNote {
  Severity severity;
  std::string rule;   // "MS-NLMP 2.2.1.2"
  std::string field;  // "NegotiateFlags"
  std::string text;   // one sentence
};

const char* SeverityName(Severity s);  // "MUST", "SHOULD", "INFO"

std::vector<LintNote> LintNegotiate(const NegotiateMessage& m);
std::vector<LintNote> LintChallenge(const ChallengeMessage& m);
std::vector<LintNote> LintAuthenticate(const AuthenticateMessage& m);

// How the client answered, from the responses' shapes ([MS-NLMP] 3.3): "NTLMv2", "NTLMv1",
// "NTLMv1-ESS" (NTLM2 session response), "LM", "anonymous", or "unknown".
std::string ResponseShape(const AuthenticateMessage& m);

}  // namespace ntlm

#endif  // NTLM_ENGINE_LINT_H_
