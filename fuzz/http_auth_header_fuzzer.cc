// Fuzz target: WWW-Authenticate / Authorization values (RFC 7235 2.1, 4.1, 4.2) and base64
// (RFC 4648 4), engine/http_auth.h, as NTLM over HTTP uses them ([MS-NTHT] 2.2).
//
// Input: a header value, as text.
// Oracle:
//   - ParseChallenges either fails with an offset inside the value, or returns challenges that,
//     written back in a canonical form (`scheme token68` or `scheme name="value", ...`,
//     joined by ", "), parse to the same challenges;
//   - for every token68 (and for the whole input) that Base64Decode accepts,
//     Base64Encode(decoded) is the same text: decoding is strict, so there is one encoding;
//   - Base64Decode(Base64Encode(input bytes)) gives the input back;
//   - a token68 of an NTLM or Negotiate challenge that decodes to an NTLM message goes on to
//     the message decoders, as `ntlmh decode` and the mock server do.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/http_auth.h"
#include "engine/messages.h"
#include "fuzz/fuzz_util.h"

namespace {

namespace http_auth = ntlm::http_auth;
using ntlm::ByteView;
using ntlm::fuzz::Describe;

std::string Quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Format(const std::vector<http_auth::Challenge>& challenges) {
  std::string out;
  for (const http_auth::Challenge& c : challenges) {
    if (!out.empty()) {
      out += ", ";
    }
    out += c.scheme;
    if (!c.token68.empty()) {
      out += " " + c.token68;
      continue;
    }
    for (size_t i = 0; i < c.params.size(); ++i) {
      out += (i == 0 ? " " : ", ") + c.params[i].first + "=" + Quote(c.params[i].second);
    }
  }
  return out;
}

std::string Show(const std::vector<http_auth::Challenge>& challenges) {
  std::string out;
  for (const http_auth::Challenge& c : challenges) {
    out += "[" + c.scheme + "|" + c.token68;
    for (const auto& [name, value] : c.params) {
      out += "|" + name + "=" + value;
    }
    out += "]";
  }
  return out;
}

bool Same(const std::vector<http_auth::Challenge>& a, const std::vector<http_auth::Challenge>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].scheme != b[i].scheme || a[i].token68 != b[i].token68 || a[i].params != b[i].params) {
      return false;
    }
  }
  return true;
}

void CheckBase64Text(std::string_view text) {
  auto decoded = http_auth::Base64Decode(text);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().offset <= text.size(),
               "Base64Decode error offset past the text: " + decoded.error().ToString());
    return;
  }
  const std::string again = http_auth::Base64Encode(*decoded);
  FUZZ_CHECK(again == text, "Base64Encode(Base64Decode(s)) != s: s = \"" + std::string(text) +
                                "\", got \"" + again + "\"");
}

void DecodeMessage(ByteView msg) {
  auto type = ntlm::PeekMessageType(msg);
  if (!type.ok()) {
    return;
  }
  switch (*type) {
    case ntlm::MessageType::kNegotiate:
      (void)ntlm::DecodeNegotiate(msg, ntlm::DecodePolicy::Lenient());
      break;
    case ntlm::MessageType::kChallenge:
      (void)ntlm::DecodeChallenge(msg, ntlm::DecodePolicy::Lenient());
      break;
    case ntlm::MessageType::kAuthenticate:
      (void)ntlm::DecodeAuthenticate(msg, ntlm::DecodePolicy::Lenient());
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  auto parsed = http_auth::ParseChallenges(value);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().offset <= size,
               "ParseChallenges error offset past the value: " + parsed.error().ToString());
  } else {
    const std::string formatted = Format(*parsed);
    auto again = http_auth::ParseChallenges(formatted);
    FUZZ_CHECK(again.ok(), "the canonical form of a parsed value does not parse: \"" + formatted +
                               "\": " + Describe(again));
    FUZZ_CHECK(Same(*parsed, *again), "parse, format, parse changed the challenges: " +
                                          Show(*parsed) + " vs " + Show(*again));
    for (const http_auth::Challenge& c : *parsed) {
      FUZZ_CHECK(!c.scheme.empty(), "a challenge without a scheme");
      (void)c.SchemeIs("NTLM");
      if (c.token68.empty()) {
        continue;
      }
      CheckBase64Text(c.token68);
      if (c.SchemeIs("NTLM") || c.SchemeIs("Negotiate")) {
        auto bytes = http_auth::Base64Decode(c.token68);
        if (bytes.ok()) {
          DecodeMessage(*bytes);
        }
      }
    }
  }

  CheckBase64Text(value);
  const std::string encoded = http_auth::Base64Encode(ByteView(data, size));
  auto back = http_auth::Base64Decode(encoded);
  FUZZ_CHECK(back.ok() && ntlm::fuzz::SameBytes(*back, ByteView(data, size)),
             "Base64Decode(Base64Encode(b)) != b: " + Describe(back));
  return 0;
}
