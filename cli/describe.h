// Describes NTLM messages field by field, as JSON (the model) and as text rendered from it.
// Shared by `ntlmh decode` and, later, `request -v` and `explain`.
#ifndef NTLMH_CLI_DESCRIBE_H_
#define NTLMH_CLI_DESCRIBE_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/bytes.h"
#include "engine/decode_policy.h"
#include "engine/error.h"

namespace ntlmh {

using Json = nlohmann::ordered_json;

// One NTLM token found in the user's input, with where it came from ("Authorization: NTLM").
struct FoundToken {
  std::string origin;
  ntlm::Bytes bytes;
};

// Accepts base64, hex, "NTLM <b64>", "Negotiate <b64>", or a whole header line
// ("WWW-Authenticate: ...", "Authorization: ...", and their Proxy- forms) that may hold several
// schemes. Returns every NTLM token found. Errors name the offset in |input|.
ntlm::Result<std::vector<FoundToken>> ExtractTokens(std::string_view input);

// Decodes one message (NEGOTIATE, CHALLENGE or AUTHENTICATE; a SPNEGO wrapper is looked
// through) into a JSON description with "notes" for broken rules.
ntlm::Result<Json> DescribeMessage(ntlm::ByteView msg, const ntlm::DecodePolicy& policy);

// Renders a description as indented text.
std::string RenderText(const Json& description);

}  // namespace ntlmh

#endif  // NTLMH_CLI_DESCRIBE_H_
