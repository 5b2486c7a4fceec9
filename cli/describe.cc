// Field-by-field descriptions of NTLM messages ([MS-NLMP] 2.2) and of their SPNEGO wrapping
// (RFC 4178) for `ntlmh decode`.
#include "cli/describe.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "cli/terminal_text.h"
#include "engine/av_pairs.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/lint.h"
#include "engine/messages.h"
#include "engine/spnego.h"
#include "engine/text.h"

namespace ntlmh {

namespace {

using ntlm::AvId;
using ntlm::ByteView;
using ntlm::ErrorCode;
using ntlm::MakeError;

constexpr char kRuleBase64[] = "RFC 4648 4";
constexpr char kRuleHex[] = "RFC 4648 8";
constexpr char kRuleAuthHeader[] = "RFC 7235 4.1";
constexpr char kRuleNtht[] = "MS-NTHT 2.2";
constexpr char kRuleSpnegoInit[] = "RFC 4178 4.2.1";
constexpr char kRuleSpnegoResp[] = "RFC 4178 4.2.2";

// A wrapped base64 paste is made of long lines; a first word shorter than this is a scheme
// name ("NTLM <b64>") and the line is a header value.
constexpr size_t kMinWrappedBase64Word = 16;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

std::string Hex2(unsigned v) {
  static const char kDigits[] = "0123456789abcdef";
  return std::string{kDigits[(v >> 4) & 15], kDigits[v & 15]};
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsBase64Char(char c) { return IsAlnum(c) || c == '+' || c == '/' || c == '='; }

// tchar, RFC 9110 5.6.2: what a header name is made of.
bool IsTchar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A character for an error reason: 'c' when printable ASCII, else its byte value.
std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    return std::string("character '") + c + "'";
  }
  return "byte 0x" + Hex2(u);
}

// curl -v's own lines, an HTTP status or request line, a comment: nothing to decode here.
bool IsStreamNoise(std::string_view t) {
  if (t[0] == '*' || t[0] == '{' || t[0] == '}' || t[0] == '#') {
    return true;  // curl info ("* Connected"), curl data ("{ [5 bytes data]"), comments
  }
  if (StartsWith(t, "HTTP/")) {
    return true;  // "HTTP/1.1 401 Unauthorized"
  }
  const size_t sp = t.find(' ');
  if (sp == std::string_view::npos || sp == 0) {
    return false;
  }
  const bool method = std::all_of(t.begin(), t.begin() + sp, [](char c) {
    return (c >= 'A' && c <= 'Z') || c == '-';
  });
  return method && t.find(" HTTP/", sp) != std::string_view::npos;  // "GET / HTTP/1.1"
}

FoundToken ErrorEntry(std::string origin, ntlm::Error e) {
  FoundToken t;
  t.origin = std::move(origin);
  t.error = std::move(e);
  return t;
}

// Decodes base64 that may have whitespace in it (a wrapped paste) and reports errors at their
// place in the line: |text| starts at |base| in the line.
ntlm::Result<ntlm::Bytes> DecodeBase64At(std::string_view text, size_t base) {
  // The size is checked first, so that nothing larger than a token is ever copied.
  const size_t chars = static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !IsSpace(c); }));
  constexpr size_t kMaxChars = (kMaxTokenBytes + 2) / 3 * 4;
  if (chars > kMaxChars) {
    return MakeError(ErrorCode::kTooLarge, kRuleUsage, "base64", base,
                     std::to_string(chars) + " base64 characters decode to more than " +
                         std::to_string(kMaxTokenBytes) + " bytes, the limit for one token");
  }
  std::string compact;
  std::vector<size_t> where;  // line offset of each character of |compact|
  compact.reserve(chars);
  where.reserve(chars);
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsSpace(text[i])) {
      compact.push_back(text[i]);
      where.push_back(base + i);
    }
  }
  auto b = ntlm::http_auth::Base64Decode(compact);
  if (!b.ok()) {
    ntlm::Error e = b.error();
    e.offset = e.offset < where.size() ? where[e.offset]
               : where.empty()         ? base
                                       : where.back() + 1;
    return e;
  }
  return b;
}

// Step 3 of the classification (describe.h). Returns false when |text| is not hex; otherwise
// adds the token or the error to |out|.
bool TryHex(std::string_view text, size_t base, LineTokens* out) {
  const bool prefixed = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  std::string digits;        // kept up to one token's worth; |digit_count| counts them all
  size_t digit_count = 0;
  size_t last_digit = 0;     // line offset of the last digit
  std::string head;  // the first 8 significant characters, lower-cased
  size_t first_bad = std::string_view::npos;
  bool separated = false;
  bool pairs = true;  // every group between separators has 2 characters
  bool first_group_hex = true;
  size_t groups = 0;
  size_t group_len = 0;
  auto end_group = [&]() {
    if (group_len != 0) {
      pairs = pairs && group_len == 2;
      ++groups;
      group_len = 0;
    }
  };
  for (size_t i = prefixed ? 2 : 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c) || c == ':') {
      separated = true;
      end_group();
      continue;
    }
    ++group_len;
    if (head.size() < 8) {
      head.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    if (IsHexDigit(c)) {
      if (digits.size() < 2 * kMaxTokenBytes + 2) {
        digits.push_back(c);
      }
      ++digit_count;
      last_digit = base + i;
    } else {
      if (first_bad == std::string_view::npos) {
        first_bad = i;
      }
      if (groups == 0) {
        first_group_hex = false;
      }
    }
  }
  end_group();

  const bool all_hex = first_bad == std::string_view::npos && digit_count != 0;
  const bool ntlm_hex = head == "4e544c4d";  // "NTLM", the start of NTLMSSP\0
  const bool byte_groups = separated && pairs && groups >= 2 && first_group_hex;
  if (!prefixed && !all_hex && !ntlm_hex && !byte_groups) {
    return false;
  }
  FoundToken t;
  t.origin = "input";
  if (first_bad != std::string_view::npos) {
    t.error = MakeError(ErrorCode::kBadValue, kRuleHex, "hex", base + first_bad,
                        DescribeChar(text[first_bad]) + " is not a hex digit");
  } else if (digit_count == 0) {
    t.error = MakeError(ErrorCode::kBadValue, kRuleHex, "hex", base + text.size(),
                        "no hex digits after 0x");
  } else if (digit_count % 2 != 0) {
    t.error = MakeError(ErrorCode::kBadLength, kRuleHex, "hex", last_digit,
                        "odd number of hex digits (" + std::to_string(digit_count) +
                            "): the last one has no pair");
  } else if (digit_count / 2 > kMaxTokenBytes) {
    t.error = MakeError(ErrorCode::kTooLarge, kRuleUsage, "hex", base,
                        std::to_string(digit_count / 2) + " bytes of hex exceed " +
                            std::to_string(kMaxTokenBytes) + ", the limit for one token");
  } else if (!ntlm::FromHex(digits, &t.bytes)) {
    t.error = MakeError(ErrorCode::kBadValue, kRuleHex, "hex", base, "not hex");
  }
  out->found.push_back(std::move(t));
  return true;
}

// Step 5: a bare base64 token, or a wrapped one (whitespace inside). Returns false when |text|
// is a header value instead: a short first word followed by more ("NTLM TlRM..."), a bare scheme
// name, or a list (',' or '"'). Any other character is reported as a base64 error at its place.
bool TryBase64(std::string_view text, size_t base, LineTokens* out) {
  size_t first_word_len = 0;
  while (first_word_len < text.size() && !IsSpace(text[first_word_len])) {
    ++first_word_len;
  }
  const bool spaced = first_word_len < text.size();
  if (spaced && first_word_len < kMinWrappedBase64Word) {
    return false;
  }
  if (text.find_first_of(",\"") != std::string_view::npos) {
    return false;
  }
  static const char* const kSchemes[] = {"NTLM", "Negotiate", "Basic", "Digest", "Bearer",
                                         "Kerberos"};
  for (const char* s : kSchemes) {
    if (ntlm::http_auth::EqualsIgnoreCase(text, s)) {
      return false;
    }
  }
  auto b = DecodeBase64At(text, base);
  FoundToken t;
  t.origin = "input";
  if (b.ok()) {
    t.bytes = std::move(b).value();
  } else {
    t.error = b.error();
  }
  out->found.push_back(std::move(t));
  return true;
}

bool IsSchemeWithToken(std::string_view word) {
  return ntlm::http_auth::EqualsIgnoreCase(word, "NTLM") ||
         ntlm::http_auth::EqualsIgnoreCase(word, "Negotiate");
}

// Whether |text| holds the word NTLM or Negotiate (any case), between separators.
bool NamesNtlmScheme(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && IsTchar(text[end])) {
      ++end;
    }
    if (end > i && IsSchemeWithToken(text.substr(i, end - i))) {
      return true;
    }
    i = end + 1;
  }
  return false;
}

// A header value that does not parse, or parses into auth-params, because an NTLM or Negotiate
// token holds a character that base64 does not have ("NTLM TlRM!VNT..." reads as a broken
// auth-param, "NTLM TlRM=abc" as the auth-param TlRM=abc) is reported as the base64 error it
// is. |value| starts at |begin| in the line.
std::optional<ntlm::Error> DiagnoseBadToken(std::string_view value, size_t begin) {
  auto is_break = [](char c) { return c == ' ' || c == '\t' || c == ','; };
  size_t i = 0;
  bool after_scheme = false;
  while (i < value.size()) {
    if (value[i] == ',') {
      after_scheme = false;
    }
    if (is_break(value[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < value.size() && !is_break(value[end])) {
      ++end;
    }
    const std::string_view word = value.substr(i, end - i);
    if (after_scheme) {
      bool padding = false;
      for (size_t k = 0; k < word.size(); ++k) {
        if (!IsBase64Char(word[k])) {
          return MakeError(ErrorCode::kBadValue, kRuleBase64, "base64", begin + i + k,
                           DescribeChar(word[k]) + " is not base64");
        }
        if (padding && word[k] != '=') {
          return MakeError(ErrorCode::kBadValue, kRuleBase64, "base64", begin + i + k,
                           DescribeChar(word[k]) + " follows the '=' padding");
        }
        padding = padding || word[k] == '=';
      }
    }
    after_scheme = IsSchemeWithToken(word);
    i = end;
  }
  return std::nullopt;
}

// A header value (RFC 7235 4.1: 1#challenge, or credentials) from |begin| to |end| in |line|.
void ExtractFromHeaderValue(std::string_view line, size_t line_begin, size_t begin, size_t end,
                            const std::string& header, InputSource source, LineTokens* out) {
  const std::string_view value = line.substr(begin, end - begin);
  const std::string where = header.empty() ? std::string("input") : header;
  auto challenges = ntlm::http_auth::ParseChallenges(value);
  if (!challenges.ok()) {
    std::optional<ntlm::Error> token_error = DiagnoseBadToken(value, begin);
    out->found.push_back(
        ErrorEntry(where, token_error.has_value() ? *token_error
                                                  : challenges.error().Nested("", begin)));
    return;
  }
  for (const auto& ch : *challenges) {
    if (!IsSchemeWithToken(ch.scheme)) {
      continue;
    }
    const std::string origin = header.empty() ? ch.scheme : header + ": " + ch.scheme;
    if (!ch.params.empty()) {
      std::optional<ntlm::Error> token_error = DiagnoseBadToken(value, begin);
      out->found.push_back(ErrorEntry(
          origin, token_error.has_value()
                      ? *token_error
                      : MakeError(ErrorCode::kBadValue, kRuleNtht, "header", begin,
                                  ch.scheme + " takes a base64 token, not auth-params")));
      continue;
    }
    if (ch.token68.empty()) {
      FoundToken t;
      t.origin = origin;
      t.offer = ch.scheme;
      out->found.push_back(std::move(t));
      continue;
    }
    auto b = DecodeBase64At(ch.token68, begin + ch.token68_offset);
    if (!b.ok()) {
      out->found.push_back(ErrorEntry(origin, b.error()));
      continue;
    }
    FoundToken t;
    t.origin = origin;
    t.bytes = std::move(b).value();
    out->found.push_back(std::move(t));
  }
  if (out->found.empty()) {
    if (source == InputSource::kStream) {
      out->skipped = true;  // "WWW-Authenticate: Basic realm=x" next to the NTLM one
      return;
    }
    out->found.push_back(ErrorEntry(
        where, MakeError(ErrorCode::kInvalidArgument, kRuleNtht, "header", line_begin,
                         "no NTLM or Negotiate challenge or token in the input")));
  }
}

// ---- Description (JSON) ------------------------------------------------------------------

Json FieldJson(const ntlm::PayloadField& f) {
  return Json{{"len", f.len}, {"max_len", f.max_len}, {"offset", f.offset}};
}

Json StringField(const std::string& value, const ntlm::PayloadField& f) {
  Json j = FieldJson(f);
  j["value"] = value;
  return j;
}

Json BytesField(const ntlm::Bytes& value, const ntlm::PayloadField& f) {
  Json j = FieldJson(f);
  j["hex"] = ntlm::ToHex(value);
  return j;
}

Json FlagsJson(uint32_t flags) {
  Json names = Json::array();
  for (const ntlm::FlagName& f : ntlm::AllFlagNames()) {
    if ((flags & f.bit) != 0) {
      names.push_back(f.name);
    }
  }
  return Json{{"value", Hex32(flags)}, {"names", names}};
}

Json VersionJson(const std::optional<ntlm::Version>& v) {
  if (!v.has_value()) {
    return nullptr;
  }
  return Json{{"major", v->major},
              {"minor", v->minor},
              {"build", v->build},
              {"ntlm_revision", v->ntlm_revision},
              {"text", ntlm::VersionToString(*v)}};
}

bool IsStringAvId(uint16_t id) {
  return (id >= static_cast<uint16_t>(AvId::kNbComputerName) &&
          id <= static_cast<uint16_t>(AvId::kDnsTreeName)) ||
         id == static_cast<uint16_t>(AvId::kTargetName);
}

Json AvPairJson(const ntlm::AvPair& p) {
  Json j{{"id", p.id}, {"name", ntlm::AvIdName(p.id)}, {"len", p.value.size()}};
  if (IsStringAvId(p.id)) {
    auto s = ntlm::text::Utf16LeToUtf8(p.value);
    if (s.ok()) {
      j["value"] = *s;
    } else {
      j["hex"] = ntlm::ToHex(p.value);
    }
    return j;
  }
  ntlm::ByteReader r(p.value);
  switch (static_cast<AvId>(p.id)) {
    case AvId::kFlags: {
      uint32_t f = 0;
      if (p.value.size() == 4 && r.ReadU32Le(&f)) {
        Json names = Json::array();
        if (f & ntlm::kAvFlagAccountAuthConstrained) names.push_back("ACCOUNT_AUTH_CONSTRAINED");
        if (f & ntlm::kAvFlagMicPresent) names.push_back("MIC_PRESENT");
        if (f & ntlm::kAvFlagUntrustedSpn) names.push_back("UNTRUSTED_SPN_SOURCE");
        j["value"] = Hex32(f);
        j["names"] = names;
        constexpr uint32_t kDefined = ntlm::kAvFlagAccountAuthConstrained |
                                      ntlm::kAvFlagMicPresent | ntlm::kAvFlagUntrustedSpn;
        if ((f & ~kDefined) != 0) {
          j["undefined_bits"] = Hex32(f & ~kDefined);
        }
        return j;
      }
      break;
    }
    case AvId::kTimestamp: {
      uint64_t t = 0;
      if (p.value.size() == 8 && r.ReadU64Le(&t)) {
        j["value"] = ntlm::FileTimeToIso8601(t);
        j["filetime"] = t;
        return j;
      }
      break;
    }
    case AvId::kSingleHost: {
      auto shd = ntlm::DecodeSingleHostData(p.value);
      if (shd.ok()) {
        Json v{{"size", shd->size},
               {"custom_data", ntlm::ToHex(shd->custom_data)},
               {"machine_id", ntlm::ToHex(shd->machine_id)}};
        if (!shd->extra.empty()) {
          v["extra"] = ntlm::ToHex(shd->extra);
        }
        j["value"] = v;
        return j;
      }
      break;
    }
    case AvId::kChannelBindings: {
      j["hex"] = ntlm::ToHex(p.value);
      if (std::all_of(p.value.begin(), p.value.end(), [](uint8_t b) { return b == 0; })) {
        j["meaning"] = "no channel binding (all zero)";
      }
      return j;
    }
    default:
      break;
  }
  j["hex"] = ntlm::ToHex(p.value);
  return j;
}

// The pairs as on the wire: MsvAvEOL only when it was there.
Json AvPairsJson(const ntlm::TargetInfo& ti) {
  Json arr = Json::array();
  for (const ntlm::AvPair& p : ti.pairs) {
    arr.push_back(AvPairJson(p));
  }
  if (ti.had_eol) {
    arr.push_back(Json{{"id", 0}, {"name", "MsvAvEOL"}, {"len", 0}});
  }
  return arr;
}

Json NotesJson(const std::vector<ntlm::LintNote>& notes) {
  Json arr = Json::array();
  for (const auto& n : notes) {
    arr.push_back(Json{{"severity", ntlm::SeverityName(n.severity)},
                       {"rule", n.rule},
                       {"field", n.field},
                       {"text", n.text}});
  }
  return arr;
}

ntlm::Result<Json> DescribeNtlm(ByteView msg, const ntlm::DecodePolicy& policy) {
  auto type = ntlm::PeekMessageType(msg);
  if (!type.ok()) {
    return type.error();
  }
  Json j;
  j["length"] = msg.size();
  switch (*type) {
    case ntlm::MessageType::kNegotiate: {
      auto m = ntlm::DecodeNegotiate(msg, policy);
      if (!m.ok()) {
        return m.error();
      }
      j["message"] = "NEGOTIATE_MESSAGE";
      j["flags"] = FlagsJson(m->flags);
      j["domain"] = StringField(m->domain, m->domain_field);
      j["workstation"] = StringField(m->workstation, m->workstation_field);
      j["version"] = VersionJson(m->version);
      j["notes"] = NotesJson(ntlm::LintNegotiate(*m));
      break;
    }
    case ntlm::MessageType::kChallenge: {
      auto m = ntlm::DecodeChallenge(msg, policy);
      if (!m.ok()) {
        return m.error();
      }
      j["message"] = "CHALLENGE_MESSAGE";
      j["target_name"] = StringField(m->target_name, m->target_name_field);
      j["flags"] = FlagsJson(m->flags);
      j["server_challenge"] = ntlm::ToHex(m->server_challenge);
      if (m->legacy_header) {
        j["header"] = "legacy 32-byte form without Reserved and TargetInfoFields";
      } else {
        j["reserved"] = ntlm::ToHex(m->reserved);
        Json ti = FieldJson(m->target_info_field);
        ti["pairs"] = m->target_info.has_value() ? AvPairsJson(*m->target_info) : Json::array();
        if (m->target_info.has_value() && m->target_info->bytes_after_eol != 0) {
          // The decoder checked that the payload lies inside the message.
          const size_t n = m->target_info->bytes_after_eol;
          const size_t end = size_t{m->target_info_field.offset} + m->target_info_field.len;
          Json after{{"len", n}};
          if (n <= end && end <= msg.size()) {
            after["hex"] = ntlm::ToHex(msg.subspan(end - n, n));
          }
          ti["after_eol"] = after;
        }
        j["target_info"] = ti;
      }
      j["version"] = VersionJson(m->version);
      j["notes"] = NotesJson(ntlm::LintChallenge(*m));
      break;
    }
    case ntlm::MessageType::kAuthenticate: {
      auto m = ntlm::DecodeAuthenticate(msg, policy);
      // UNICODE claimed over names that are not UTF-16LE: GNU wget sends OEM names under the
      // flag after an OEM CHALLENGE, and a server that negotiated OEM reads them as OEM
      // (engine/messages.h StringCharset). Shown so, with a note; other errors stand.
      std::optional<ntlm::LintNote> charset_note;
      if (!m.ok() && (m.error().code == ntlm::ErrorCode::kOddLengthUtf16 ||
                      m.error().code == ntlm::ErrorCode::kInvalidUtf16)) {
        auto oem = ntlm::DecodeAuthenticate(msg, policy, ntlm::StringCharset::kOem);
        if (oem.ok()) {
          charset_note = ntlm::LintNote{
              ntlm::Severity::kMust, "MS-NLMP 2.2.2.5", "NegotiateFlags",
              "NTLMSSP_NEGOTIATE_UNICODE is set but the names are not UTF-16LE (" +
                  m.error().ToString() +
                  "); shown as OEM, as a server that negotiated OEM reads them"};
          m = std::move(oem);
        }
      }
      if (!m.ok()) {
        return m.error();
      }
      j["message"] = "AUTHENTICATE_MESSAGE";
      j["response_kind"] = ntlm::ResponseShape(*m);
      j["lm_response"] = BytesField(m->lm_response, m->lm_field);
      Json nt = BytesField(m->nt_response, m->nt_field);
      if (m->ntlmv2.has_value()) {
        const auto& b = m->ntlmv2->blob;
        nt["ntlmv2"] = Json{{"nt_proof_str", ntlm::ToHex(m->ntlmv2->nt_proof_str)},
                            {"resp_type", b.resp_type},
                            {"hi_resp_type", b.hi_resp_type},
                            {"timestamp", ntlm::FileTimeToIso8601(b.timestamp)},
                            {"filetime", b.timestamp},
                            {"client_challenge", ntlm::ToHex(b.client_challenge)},
                            {"av_pairs", AvPairsJson(b.av_pairs)},
                            {"trailer", ntlm::ToHex(b.trailer)}};
      }
      j["nt_response"] = nt;
      j["domain"] = StringField(m->domain, m->domain_field);
      j["user"] = StringField(m->user, m->user_field);
      j["workstation"] = StringField(m->workstation, m->workstation_field);
      j["encrypted_random_session_key"] =
          BytesField(m->encrypted_random_session_key, m->session_key_field);
      j["flags"] = FlagsJson(m->flags);
      j["version"] = VersionJson(m->version);
      j["mic"] = m->mic.has_value() ? Json(ntlm::ToHex(*m->mic)) : Json(nullptr);
      std::vector<ntlm::LintNote> notes = ntlm::LintAuthenticate(*m);
      if (charset_note.has_value()) {
        notes.insert(notes.begin(), *charset_note);
      }
      j["notes"] = NotesJson(notes);
      break;
    }
  }
  // "message" first, then "length", then the fields.
  Json out;
  out["message"] = j["message"];
  j.erase("message");
  out.update(j);
  return out;
}

Json MechJson(const std::string& oid) {
  Json j{{"oid", oid}};
  const std::string_view name = ntlm::spnego::MechName(oid);
  if (!name.empty()) {
    j["name"] = std::string(name);
  }
  return j;
}

// "Kerberos 5 (1.2.840.113554.1.2.2)", or the bare OID when it has no name.
std::string MechText(const std::string& oid) {
  const std::string_view name = ntlm::spnego::MechName(oid);
  return name.empty() ? oid : std::string(name) + " (" + oid + ")";
}

Json InnerTokenJson(const std::optional<ntlm::Bytes>& token) {
  if (!token.has_value()) {
    return nullptr;
  }
  return Json{{"len", token->size()},
              {"mech", ntlm::spnego::LooksLikeNtlmssp(*token) ? "NTLMSSP" : "not NTLMSSP"}};
}

Json OptionalHex(const std::optional<ntlm::Bytes>& b) {
  return b.has_value() ? Json(ntlm::ToHex(*b)) : Json(nullptr);
}

// SPNEGO (RFC 4178): the negotiation layer, then the NTLM message it carries.
ntlm::Result<Json> DescribeSpnego(ByteView token, const ntlm::DecodePolicy& policy) {
  auto decoded = ntlm::spnego::DecodeNegotiationToken(token);
  if (!decoded.ok()) {
    return decoded.error();
  }
  Json sp;
  Json notes = Json::array();
  std::optional<ntlm::Bytes> inner;
  std::string inner_field;
  if (const ntlm::spnego::NegTokenInit* init = decoded->init(); init != nullptr) {
    sp["token"] = "NegTokenInit";
    sp["framing"] = init->initial_context_token ? "InitialContextToken" : "bare";
    Json mechs = Json::array();
    std::string mech_list;
    bool offers_ntlm = false;
    for (const std::string& oid : init->mech_types) {
      mechs.push_back(MechJson(oid));
      mech_list += (mech_list.empty() ? "" : ", ") + MechText(oid);
      offers_ntlm = offers_ntlm || oid == ntlm::spnego::kNtlmsspOid;
    }
    sp["mech_types"] = mechs;
    if (init->req_flags.has_value()) {
      sp["req_flags"] = ntlm::ToHex(*init->req_flags);
    }
    sp["mech_token"] = InnerTokenJson(init->mech_token);
    if (init->neg_hints.has_value()) {
      sp["neg_hints"] = ntlm::ToHex(*init->neg_hints);
    }
    sp["mech_list_mic"] = OptionalHex(init->mech_list_mic);
    const bool ntlm_token =
        init->mech_token.has_value() && ntlm::spnego::LooksLikeNtlmssp(*init->mech_token);
    if (ntlm_token) {
      inner = init->mech_token;
      inner_field = "NegTokenInit.mechToken";
      if (!init->mech_types.empty() && init->mech_types[0] != ntlm::spnego::kNtlmsspOid) {
        notes.push_back(Json{{"severity", "INFO"},
                             {"rule", kRuleSpnegoInit},
                             {"field", "mechTypes"},
                             {"text", "the mechToken is NTLMSSP but the first (preferred) "
                                      "mechType is " +
                                          MechText(init->mech_types[0]) +
                                          "; an optimistic token belongs to the first"}});
      }
    } else if (init->mech_token.has_value() || !offers_ntlm) {
      return MakeError(ErrorCode::kUnsupported, kRuleSpnegoInit, "NegTokenInit.mechToken", 0,
                       "SPNEGO token carries no NTLMSSP mechToken; mechTypes: " + mech_list);
    }
  } else {
    const ntlm::spnego::NegTokenResp* resp = decoded->resp();
    sp["token"] = "NegTokenResp";
    sp["neg_state"] = resp->neg_state.has_value()
                          ? Json(ntlm::spnego::NegStateName(*resp->neg_state))
                          : Json(nullptr);
    sp["supported_mech"] =
        resp->supported_mech.has_value() ? MechJson(*resp->supported_mech) : Json(nullptr);
    sp["response_token"] = InnerTokenJson(resp->response_token);
    sp["mech_list_mic"] = OptionalHex(resp->mech_list_mic);
    if (resp->response_token.has_value()) {
      if (!ntlm::spnego::LooksLikeNtlmssp(*resp->response_token)) {
        return MakeError(
            ErrorCode::kUnsupported, kRuleSpnegoResp, "NegTokenResp.responseToken", 0,
            "SPNEGO token carries no NTLMSSP responseToken; supportedMech: " +
                (resp->supported_mech.has_value() ? MechText(*resp->supported_mech)
                                                  : std::string("(absent)")));
      }
      inner = resp->response_token;
      inner_field = "NegTokenResp.responseToken";
    }
  }
  sp["notes"] = notes;

  Json j;
  j["spnego"] = sp;
  if (inner.has_value()) {
    auto d = DescribeNtlm(*inner, policy);
    if (!d.ok()) {
      return d.error().Nested(inner_field, 0);
    }
    j.update(*d);
  }
  return j;
}

// ---- Text rendering ----------------------------------------------------------------------

// Every string the renderer prints goes through EscapeForTerminal (cli/terminal_text.h), the
// one escaper of ntlmh: a field from the wire cannot move the cursor, forge a line, cut the
// output at a NUL or reorder the text.
std::string Plain(const Json& v) {
  if (v.is_string()) {
    return EscapeForTerminal(v.get<std::string>());
  }
  if (v.is_null()) {
    return "(absent)";
  }
  return v.dump();
}

// A string from the message, in double quotes so that an empty or space-padded value shows.
// EscapeForTerminal has already doubled every backslash, so a quote becomes \" unambiguously.
std::string Quoted(const Json& v) {
  if (!v.is_string()) {
    return Plain(v);
  }
  std::string out = "\"";
  for (char c : EscapeForTerminal(v.get<std::string>())) {
    if (c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

void Render(const Json& j, int indent, std::string* out);

// The spec's field names for the text view ([MS-NLMP] 2.2.1); JSON keeps snake_case.
std::string DisplayName(const std::string& key) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"flags", "NegotiateFlags"},
      {"domain", "DomainName"},
      {"workstation", "Workstation"},
      {"version", "Version"},
      {"target_name", "TargetName"},
      {"server_challenge", "ServerChallenge"},
      {"reserved", "Reserved"},
      {"target_info", "TargetInfo"},
      {"pairs", "AvPairs"},
      {"lm_response", "LmChallengeResponse"},
      {"nt_response", "NtChallengeResponse"},
      {"ntlmv2", "NTLMv2_RESPONSE"},
      {"nt_proof_str", "NTProofStr"},
      {"resp_type", "RespType"},
      {"hi_resp_type", "HiRespType"},
      {"timestamp", "TimeStamp"},
      {"filetime", "TimeStamp (FILETIME)"},
      {"client_challenge", "ChallengeFromClient"},
      {"av_pairs", "AvPairs"},
      {"trailer", "After MsvAvEOL"},
      {"user", "UserName"},
      {"encrypted_random_session_key", "EncryptedRandomSessionKey"},
      {"mic", "MIC"},
      {"notes", "Notes"},
      {"response_kind", "Response kind"},
      {"header", "Header"},
  };
  for (const auto& [k, name] : kNames) {
    if (key == k) {
      return name;
    }
  }
  return EscapeForTerminal(key);
}

std::string AvPairLine(const Json& item) {
  std::string line = Plain(item["name"]);
  const bool text_id = item["id"].is_number_integer() &&
                       IsStringAvId(static_cast<uint16_t>(item["id"].get<int>()));
  if (item.contains("value") && item["value"].is_object()) {
    // MsvAvSingleHost, 2.2.2.2.
    const Json& v = item["value"];
    line += ": Size " + Plain(v["size"]) + ", CustomData " + Plain(v["custom_data"]) +
            ", MachineID " + Plain(v["machine_id"]);
    if (v.contains("extra")) {
      line += ", then " + Plain(v["extra"]);
    }
  } else if (item.contains("value")) {
    line += ": " + (text_id ? Quoted(item["value"]) : Plain(item["value"]));
  } else if (item.contains("hex")) {
    const std::string hex = Plain(item["hex"]);
    line += hex.empty() ? std::string(": (empty)") : ": " + hex;
  }
  std::string extra;
  if (item.contains("names")) {
    for (const auto& n : item["names"]) {
      extra += (extra.empty() ? "" : ", ") + Plain(n);
    }
  }
  if (item.contains("undefined_bits")) {
    extra += (extra.empty() ? "" : ", ") + std::string("undefined ") +
             Plain(item["undefined_bits"]);
  }
  if (!extra.empty()) {
    line += " (" + extra + ")";
  }
  if (item.contains("meaning")) {
    line += ", " + Plain(item["meaning"]);
  }
  return line;
}

std::string NoteLine(const Json& n) {
  return "- [" + Plain(n["severity"]) + " " + Plain(n["rule"]) + "] " + Plain(n["field"]) + ": " +
         Plain(n["text"]);
}

void RenderKey(const std::string& json_key, const Json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  const std::string key = DisplayName(json_key);
  // Payload fields: the value, then (Len, MaxLen, Offset).
  if (v.is_object() && v.contains("len") && v.contains("offset") && v.contains("max_len")) {
    std::string shown = v.contains("value") ? Quoted(v["value"])
                        : v.contains("hex") ? Plain(v["hex"])
                                            : std::string();
    *out += pad + key + ": " + shown + (shown.empty() ? "" : "  ") + "(Len " + v["len"].dump() +
            ", MaxLen " + v["max_len"].dump() + ", Offset " + v["offset"].dump() + ")\n";
    for (const auto& [k, sub] : v.items()) {
      if (k == "after_eol") {
        const size_t n = sub["len"].get<size_t>();
        *out += pad + "    (" + CountOf(n, "byte") + " after MsvAvEOL" +
                (sub.contains("hex") ? ": " + Plain(sub["hex"]) : std::string()) + ")\n";
      } else if (k != "len" && k != "max_len" && k != "offset" && k != "value" && k != "hex") {
        RenderKey(k, sub, indent + 2, out);
      }
    }
    return;
  }
  if (v.is_object() && v.contains("value") && v.contains("names")) {
    *out += pad + key + ": " + Plain(v["value"]) + "\n";
    for (const auto& n : v["names"]) {
      *out += pad + "    " + Plain(n) + "\n";
    }
    return;
  }
  if (v.is_object() && v.contains("text") && v.contains("ntlm_revision")) {
    *out += pad + key + ": " + Plain(v["text"]) + "\n";
    return;
  }
  if (v.is_object()) {
    *out += pad + key + ":\n";
    Render(v, indent + 2, out);
    return;
  }
  if (v.is_array()) {
    if (v.empty()) {
      *out += pad + key + ": (none)\n";
      return;
    }
    *out += pad + key + ":\n";
    for (const auto& item : v) {
      if (item.is_object() && item.contains("severity")) {
        *out += pad + "  " + NoteLine(item) + "\n";
      } else if (item.is_object() && item.contains("name") && item.contains("id")) {
        *out += pad + "  " + AvPairLine(item) + "\n";
      } else {
        *out += pad + "  - " + Plain(item) + "\n";
      }
    }
    return;
  }
  if (v.is_string() && v.get<std::string>().empty()) {
    *out += pad + key + ": (none)\n";
    return;
  }
  *out += pad + key + ": " + Plain(v) + "\n";
}

void Render(const Json& j, int indent, std::string* out) {
  for (const auto& [k, v] : j.items()) {
    RenderKey(k, v, indent, out);
  }
}

std::string InnerTokenText(const Json& t) {
  if (t.is_null()) {
    return "(absent)";
  }
  return Plain(t["mech"]) + ", " + CountOf(t["len"].get<size_t>(), "byte");
}

std::string MechLine(const Json& m) {
  if (m.is_null()) {
    return "(absent)";
  }
  return m.contains("name") ? Plain(m["name"]) + " (" + Plain(m["oid"]) + ")" : Plain(m["oid"]);
}

void RenderSpnego(const Json& sp, std::string* out) {
  if (sp["token"] == "NegTokenInit") {
    *out += std::string("SPNEGO NegTokenInit (RFC 4178 4.2.1), ") +
            (sp["framing"] == "bare" ? "bare, without InitialContextToken framing\n"
                                     : "in an InitialContextToken (RFC 2743 3.1)\n");
    std::string mechs;
    for (const auto& m : sp["mech_types"]) {
      mechs += (mechs.empty() ? "" : ", ") + MechLine(m);
    }
    *out += "  mechTypes: " + mechs + "\n";
    if (sp.contains("req_flags")) {
      *out += "  reqFlags: " + Plain(sp["req_flags"]) + "\n";
    }
    *out += "  mechToken: " + InnerTokenText(sp["mech_token"]) + "\n";
    if (sp.contains("neg_hints")) {
      *out += "  negHints: " + Plain(sp["neg_hints"]) + "\n";
    }
  } else {
    *out += "SPNEGO NegTokenResp (RFC 4178 4.2.2)\n";
    *out += "  negState: " + Plain(sp["neg_state"]) + "\n";
    *out += "  supportedMech: " + MechLine(sp["supported_mech"]) + "\n";
    *out += "  responseToken: " + InnerTokenText(sp["response_token"]) + "\n";
  }
  *out += "  mechListMIC: " + Plain(sp["mech_list_mic"]) + "\n";
  if (sp.contains("notes") && !sp["notes"].empty()) {
    *out += "  Notes:\n";
    for (const auto& n : sp["notes"]) {
      *out += "    " + NoteLine(n) + "\n";
    }
  }
}

}  // namespace

std::string CountOf(size_t n, std::string_view unit) {
  return std::to_string(n) + " " + std::string(unit) + (n == 1 ? "" : "s");
}

LineTokens ExtractTokens(std::string_view line, InputSource source) {
  LineTokens out;
  const bool stream = source == InputSource::kStream;
  size_t b = 0;
  size_t e = line.size();
  while (e > b && IsSpace(line[e - 1])) {
    --e;
  }
  while (b < e && IsSpace(line[b])) {
    ++b;
  }
  // 1. curl -v: "< " before response headers, "> " before request headers.
  if (b < e && (line[b] == '<' || line[b] == '>') && (b + 1 == e || IsSpace(line[b + 1]))) {
    ++b;
    while (b < e && IsSpace(line[b])) {
      ++b;
    }
  }
  const std::string_view text = line.substr(b, e - b);
  if (text.empty()) {
    if (stream) {
      out.skipped = true;
    } else {
      out.found.push_back(ErrorEntry(
          "input", MakeError(ErrorCode::kInvalidArgument, kRuleUsage, "input", b, "no input")));
    }
    return out;
  }
  if (stream && IsStreamNoise(text)) {
    out.skipped = true;
    return out;
  }

  // "Name:" where Name is a token. With whitespace (or nothing) after the colon it is a header
  // line, never colon-separated hex.
  size_t name_len = 0;
  while (name_len < text.size() && IsTchar(text[name_len])) {
    ++name_len;
  }
  std::optional<size_t> colon;
  if (name_len > 0) {
    size_t p = name_len;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) {
      ++p;
    }
    if (p < text.size() && text[p] == ':') {
      colon = p;
    }
  }
  const bool header_line =
      colon.has_value() && (*colon + 1 == text.size() || IsSpace(text[*colon + 1]));

  // 2. An authentication header.
  if (colon.has_value()) {
    static const char* const kAuthHeaders[] = {"WWW-Authenticate", "Authorization",
                                               "Proxy-Authenticate", "Proxy-Authorization"};
    const std::string_view name = text.substr(0, name_len);
    for (const char* h : kAuthHeaders) {
      if (ntlm::http_auth::EqualsIgnoreCase(name, h)) {
        ExtractFromHeaderValue(line, b, b + *colon + 1, e, h, source, &out);
        return out;
      }
    }
  }
  // 3. Hex.
  if (!header_line && TryHex(text, b, &out)) {
    return out;
  }
  // 4. Another header.
  if (colon.has_value()) {
    if (stream) {
      out.skipped = true;
      return out;
    }
    out.found.push_back(ErrorEntry(
        "input", MakeError(ErrorCode::kInvalidArgument, kRuleAuthHeader, "header", b,
                           "'" + std::string(text.substr(0, name_len)) +
                               "' is not an authentication header (WWW-Authenticate, "
                               "Authorization or their Proxy- forms)")));
    return out;
  }
  // 5. Base64.
  if (TryBase64(text, b, &out)) {
    return out;
  }
  // 6. A header value. In a stream, only one that names NTLM or Negotiate: any other line
  // (prose, a log line) is not for us.
  if (stream && !NamesNtlmScheme(text)) {
    out.skipped = true;
    return out;
  }
  ExtractFromHeaderValue(line, b, b, e, "", source, &out);
  return out;
}

ntlm::Result<Json> DescribeMessage(ByteView token, const ntlm::DecodePolicy& policy) {
  if (ntlm::spnego::LooksLikeSpnego(token)) {
    return DescribeSpnego(token, policy);
  }
  return DescribeNtlm(token, policy);
}

std::string RenderText(const Json& d) {
  std::string out;
  if (d.contains("spnego")) {
    RenderSpnego(d["spnego"], &out);
  }
  if (!d.contains("message")) {
    return out;
  }
  out += Plain(d["message"]) + " (" + CountOf(d["length"].get<size_t>(), "byte") + ")\n";
  Json rest = d;
  for (const char* k : {"message", "length", "spnego", "origin", "line"}) {
    rest.erase(k);
  }
  Render(rest, 2, &out);
  return out;
}

}  // namespace ntlmh
