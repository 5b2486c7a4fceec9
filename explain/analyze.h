// ntlmh explain: why an NTLM handshake failed, from its messages and what HTTP said about them.
//
// Analyze() looks at one Handshake (explain/transcript.h) and returns its Verdict: the causes
// found, most likely first, each with the rule it breaks ([MS-NLMP] section, or the RFC for an
// HTTP rule) and the evidence; the checks that passed; and the outcome.
//
// Without secrets the causes come from structure alone (connection switched between legs,
// Connection: close on the CHALLENGE, a bare offer answering the NEGOTIATE, NTLMv1 or LM,
// VERSION or MIC flags without their fields, an echoed timestamp or target info that differs,
// no channel bindings over HTTPS, a body not re-sent, flags the two sides could not agree on).
// With the password or NT hash it verifies the NTProofStr (trying the other spellings of user
// and domain a client may have used), the NTLMv1/LM response, and the MIC; with the server's
// certificate, the channel binding hash (RFC 5929 tls-server-end-point).
//
// Never in a Verdict: the password, a hash, a key or a response. Secrets are compared in
// constant time. Strings from the wire are kept as sent: the caller escapes them for output.
#ifndef NTLMH_EXPLAIN_ANALYZE_H_
#define NTLMH_EXPLAIN_ANALYZE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "engine/compute.h"
#include "explain/transcript.h"

namespace ntlmh::explain {

struct Secrets {
  std::optional<std::string> password;
  std::optional<ntlm::Key16> nt_hash;
  std::optional<std::string> user;             // the account's user name (-u), may be "DOMAIN\user"
  std::optional<std::string> domain;           // the account's domain (-d)
  std::optional<ntlm::Bytes> certificate_der;  // the server's leaf certificate (--cert)
};

struct Finding {
  std::string id;       // stable: "wrong_password", "connection_switched", ...
  std::string rule;     // "MS-NLMP 3.3.2"
  std::string summary;  // one sentence
  std::vector<std::string> evidence;
};

enum class Outcome : uint8_t {
  kSuccess,  // nothing found that would make it fail (and HTTP, when known, said yes)
  kFailure,  // at least one cause
  // The input lost data where a leg of this handshake belongs (a capture gap, a truncated
  // file, a header over the limit, a limit that dropped data): no peer can be blamed. The only
  // cause is "capture_incomplete".
  kUndecided,
};

struct Verdict {
  std::string label;  // Handshake::Label()
  Outcome outcome = Outcome::kSuccess;
  std::vector<Finding> causes;      // most likely first
  std::vector<Finding> warnings;    // risks that did not make this handshake fail
  std::vector<std::string> checks;  // what was verified and passed, with its section
  // From the AUTHENTICATE, as sent.
  std::string user;
  std::string domain;
  std::string workstation;
  std::string response_kind;  // ntlm::ResponseShape() of engine/lint.h, "" without AUTHENTICATE
  std::optional<int> final_status;
};

Verdict Analyze(const Handshake& handshake, const Secrets& secrets);

// Loads a certificate from PEM ("-----BEGIN CERTIFICATE-----", the first one) or DER. Errors
// name the offset of what could not be read.
ntlm::Result<ntlm::Bytes> LoadCertificate(ntlm::ByteView file);

}  // namespace ntlmh::explain

#endif  // NTLMH_EXPLAIN_ANALYZE_H_
