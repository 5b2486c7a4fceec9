// HTTP authentication header values (RFC 7235 2.1, 4.1, 4.2) as NTLM over HTTP uses them
// ([MS-NTHT] 2.2): "NTLM <base64>", "Negotiate <base64>", bare "NTLM", and several challenges in
// one WWW-Authenticate value: `Negotiate, Basic realm="a, b", NTLM TlRM...`.
//
// Pure text in, values out: no I/O.
#ifndef NTLM_ENGINE_HTTP_AUTH_H_
#define NTLM_ENGINE_HTTP_AUTH_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::http_auth {

// One challenge (WWW-Authenticate) or credentials (Authorization): a scheme with either a
// token68 or a list of auth-params (or neither).
struct Challenge {
  std::string scheme;   // as sent; compare with SchemeIs()
  std::string token68;  // e.g. the base64 NTLM message; empty when absent
  // Where token68 starts in the parsed value (0 when absent), so that a caller can report a
  // fault inside the token (a bad base64 character) at its place in the whole header value.
  size_t token68_offset = 0;
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted

  bool SchemeIs(std::string_view name) const;
};

// Parses a whole header value (1#challenge, RFC 7235 4.1). Empty list elements are skipped.
// Errors name the byte offset in |value|.
Result<std::vector<Challenge>> ParseChallenges(std::string_view value);

// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Base64 (RFC 4648 4) with padding. Decoding is strict: characters outside the alphabet, bad
// padding, or non-zero pad bits are errors naming the offset in |text|. A character that is not
// printable ASCII is named by its byte value ("byte 0x1b"), so the reason is plain ASCII.
std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace ntlm::http_auth

#endif  // NTLM_ENGINE_HTTP_AUTH_H_
