// Describes NTLM messages field by field, as JSON (the model) and as text rendered from it.
// Shared by `ntlmh decode` and, later, `request -v` and `explain`.
//
// Input (ExtractTokens): one line of user input, classified once, in this order:
//   1. curl -v prefixes are dropped: "< " (response header), "> " (request header).
//   2. "WWW-Authenticate:", "Authorization:", "Proxy-Authenticate:" or "Proxy-Authorization:"
//      (any case): the rest is a header value.
//   3. Hex: an optional "0x", then hex digits with optional spaces, tabs, ':' or newlines between
//      them ("4e544c4d...", "4e 54 4c 4d", "4e:54:4c:4d", Wireshark's copies). A token that
//      starts with 4e544c4d ("NTLM" in hex) or is written as 2-digit groups stays hex even with
//      a bad digit in it, so the error names the digit instead of blaming base64.
//   4. Any other "Name: value" line: not an authentication header.
//   5. Base64: one word, or several words of which the first is long (a wrapped paste: the
//      whitespace is removed). A character outside base64 is a base64 error.
//   6. Anything else is a header value: "NTLM <b64>", "Negotiate <b64>", several challenges.
//      In a stream, only when it names NTLM or Negotiate; other lines are skipped.
//
// Offsets in errors about the text (header syntax, base64, hex) count bytes of the line as the
// user gave it, from 0. Offsets in errors about a decoded message count bytes of that message,
// as in a hex dump of it; for an NTLM message inside SPNEGO, bytes of the NTLM message, with the
// field named "NegTokenInit.mechToken.<field>" or "NegTokenResp.responseToken.<field>".
#ifndef NTLMH_CLI_DESCRIBE_H_
#define NTLMH_CLI_DESCRIBE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/bytes.h"
#include "engine/decode_policy.h"
#include "engine/error.h"

namespace ntlmh {

using Json = nlohmann::ordered_json;

// A decoded token is at most this many bytes. An NTLM message is under 64 KiB (Windows' own
// limit is a few KiB); the cap is checked on the text, before anything is decoded.
inline constexpr size_t kMaxTokenBytes = 64 * 1024;

// The rule named by errors about ntlmh's own limits and usage (not the spec's).
inline constexpr char kRuleUsage[] = "ntlmh decode --help";

// Where a line came from: a command-line argument must be something to decode; a line of a
// stream (stdin) may be anything a curl -v paste or a log holds, and what is not an
// authentication header or a token is skipped: curl's "*", "{" and "}" lines, HTTP status and
// request lines, "#" comments, blank lines, other "Name: value" headers, authentication headers
// without NTLM or Negotiate, and lines that do not name NTLM or Negotiate.
enum class InputSource : uint8_t { kArgument, kStream };

// One thing found in a line: a token to decode, a scheme named without a token (a server's
// first offer, "WWW-Authenticate: NTLM"), or an error about the text.
struct FoundToken {
  std::string origin;               // "input", "NTLM", "WWW-Authenticate: NTLM"
  ntlm::Bytes bytes;                // the decoded token
  std::string offer;                // the scheme of an offer ("NTLM", "Negotiate"), else empty
  std::optional<ntlm::Error> error; // offsets count bytes of the line
};

struct LineTokens {
  bool skipped = false;  // kStream only: no authentication content (status line, curl info...)
  std::vector<FoundToken> found;
};

// Classifies |line| (see the top of this file) and returns every NTLM or Negotiate token, offer
// and error in it, in order. Never fails as a whole: errors are entries.
LineTokens ExtractTokens(std::string_view line, InputSource source);

// Decodes one token: an NTLM message (NEGOTIATE, CHALLENGE or AUTHENTICATE), or SPNEGO
// (RFC 4178) with the NTLM message inside it, into a JSON description with "notes" for broken
// rules. A SPNEGO token whose mech token is not NTLMSSP is an error naming the mechanisms.
ntlm::Result<Json> DescribeMessage(ntlm::ByteView token, const ntlm::DecodePolicy& policy);

// Renders a description as indented text. Every string goes through EscapeForTerminal
// (cli/terminal_text.h); strings the message holds (names, AV pair text) are also quoted, with
// '"' escaped, so that an empty or space-padded value is visible.
std::string RenderText(const Json& description);

// "1 byte", "2 bytes".
std::string CountOf(size_t n, std::string_view unit);

}  // namespace ntlmh

#endif  // NTLMH_CLI_DESCRIBE_H_
