// Field-by-field descriptions of NTLM messages ([MS-NLMP] 2.2) for `ntlmh decode`.
#include "cli/describe.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "engine/av_pairs.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/lint.h"
#include "engine/messages.h"
#include "engine/text.h"

namespace ntlmh {

namespace {

using ntlm::AvId;
using ntlm::ByteView;
using ntlm::ErrorCode;
using ntlm::MakeError;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool LooksHex(std::string_view s) {
  return !s.empty() && s.size() % 2 == 0 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c) != 0; });
}

// A raw token: hex when it is hex and decodes to an NTLM signature, else base64.
ntlm::Result<ntlm::Bytes> DecodeRawToken(std::string_view tok, size_t at) {
  if (LooksHex(tok)) {
    ntlm::Bytes b;
    if (ntlm::FromHex(tok, &b) && b.size() >= 8 &&
        std::equal(ntlm::kNtlmSignature.begin(), ntlm::kNtlmSignature.end(), b.begin())) {
      return b;
    }
  }
  auto b = ntlm::http_auth::Base64Decode(tok);
  if (!b.ok()) {
    return b.error().Nested("", at);
  }
  return b;
}

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

Json AvPairsJson(const ntlm::TargetInfo& ti) {
  Json arr = Json::array();
  for (const ntlm::AvPair& p : ti.pairs) {
    Json j{{"id", p.id}, {"name", ntlm::AvIdName(p.id)}, {"len", p.value.size()}};
    switch (static_cast<AvId>(p.id)) {
      case AvId::kNbComputerName:
      case AvId::kNbDomainName:
      case AvId::kDnsComputerName:
      case AvId::kDnsDomainName:
      case AvId::kDnsTreeName:
      case AvId::kTargetName: {
        auto s = ntlm::text::Utf16LeToUtf8(p.value);
        j["value"] = s.ok() ? *s : ntlm::ToHex(p.value);
        break;
      }
      case AvId::kFlags: {
        ntlm::ByteReader r(p.value);
        uint32_t f = 0;
        if (r.ReadU32Le(&f)) {
          Json names = Json::array();
          if (f & ntlm::kAvFlagAccountAuthConstrained) names.push_back("ACCOUNT_AUTH_CONSTRAINED");
          if (f & ntlm::kAvFlagMicPresent) names.push_back("MIC_PRESENT");
          if (f & ntlm::kAvFlagUntrustedSpn) names.push_back("UNTRUSTED_SPN_SOURCE");
          j["value"] = Hex32(f);
          j["names"] = names;
        }
        break;
      }
      case AvId::kTimestamp: {
        ntlm::ByteReader r(p.value);
        uint64_t t = 0;
        if (r.ReadU64Le(&t)) {
          j["value"] = ntlm::FileTimeToIso8601(t);
          j["filetime"] = t;
        }
        break;
      }
      case AvId::kSingleHost: {
        auto shd = ntlm::DecodeSingleHostData(p.value);
        if (shd.ok()) {
          j["value"] = Json{{"size", shd->size},
                            {"custom_data", ntlm::ToHex(shd->custom_data)},
                            {"machine_id", ntlm::ToHex(shd->machine_id)}};
        } else {
          j["hex"] = ntlm::ToHex(p.value);
        }
        break;
      }
      default:
        j["hex"] = ntlm::ToHex(p.value);
        break;
    }
    arr.push_back(std::move(j));
  }
  arr.push_back(Json{{"id", 0}, {"name", "MsvAvEOL"}, {"len", 0}});
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

// SPNEGO (RFC 4178) wraps the NTLM token in DER. Until the engine's SPNEGO reader exists
// (issue #3), the NTLMSSP signature is looked for inside the DER bytes.
std::optional<size_t> FindNtlmInSpnego(ByteView msg) {
  if (msg.empty() || (msg[0] != 0x60 && msg[0] != 0xa1 && msg[0] != 0xa0)) {
    return std::nullopt;
  }
  auto it = std::search(msg.begin(), msg.end(), ntlm::kNtlmSignature.begin(),
                        ntlm::kNtlmSignature.end());
  if (it == msg.end()) {
    return std::nullopt;
  }
  return static_cast<size_t>(it - msg.begin());
}

}  // namespace

ntlm::Result<std::vector<FoundToken>> ExtractTokens(std::string_view input) {
  const std::string text = Trim(input);
  std::vector<FoundToken> out;
  if (text.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "", "input", 0, "no input");
  }
  const size_t lead = input.find_first_not_of(" \t\r\n");

  // "Name: value" header lines.
  std::string value = text;
  std::string origin;
  size_t value_at = lead;
  const size_t colon = text.find(':');
  if (colon != std::string::npos) {
    const std::string name = Trim(std::string_view(text).substr(0, colon));
    static const char* kHeaders[] = {"WWW-Authenticate", "Authorization", "Proxy-Authenticate",
                                     "Proxy-Authorization"};
    for (const char* h : kHeaders) {
      if (ntlm::http_auth::EqualsIgnoreCase(name, h)) {
        origin = h;
        value = text.substr(colon + 1);
        value_at = lead + colon + 1;
      }
    }
    if (origin.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "", "header", lead,
                       "'" + name + "' is not an authentication header");
    }
  }

  // A bare token (no scheme): hex or base64.
  const std::string bare = Trim(value);
  if (origin.empty() && bare.find_first_of(" \t,") == std::string::npos &&
      !ntlm::http_auth::EqualsIgnoreCase(bare, "NTLM") &&
      !ntlm::http_auth::EqualsIgnoreCase(bare, "Negotiate")) {
    auto b = DecodeRawToken(bare, lead);
    if (!b.ok()) {
      return b.error();
    }
    out.push_back(FoundToken{"input", std::move(b).value()});
    return out;
  }

  auto challenges = ntlm::http_auth::ParseChallenges(value);
  if (!challenges.ok()) {
    return challenges.error().Nested("", value_at);
  }
  for (const auto& ch : *challenges) {
    if (!ch.SchemeIs("NTLM") && !ch.SchemeIs("Negotiate")) {
      continue;
    }
    if (ch.token68.empty()) {
      continue;  // a bare "NTLM" offer carries no message
    }
    auto b = ntlm::http_auth::Base64Decode(ch.token68);
    if (!b.ok()) {
      ntlm::Error e = b.error();
      e.field = ch.scheme + " token";
      return e;
    }
    std::string from = origin.empty() ? ch.scheme : origin + ": " + ch.scheme;
    out.push_back(FoundToken{from, std::move(b).value()});
  }
  if (out.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "MS-NTHT 2.2", "header", lead,
                     "no NTLM or Negotiate token in the input");
  }
  return out;
}

ntlm::Result<Json> DescribeMessage(ByteView msg, const ntlm::DecodePolicy& policy) {
  Json j;
  if (auto at = FindNtlmInSpnego(msg); at.has_value()) {
    j["wrapper"] = "SPNEGO (RFC 4178), NTLMSSP token at offset " + std::to_string(*at);
    msg = msg.subspan(*at);
  }
  auto type = ntlm::PeekMessageType(msg);
  if (!type.ok()) {
    return type.error();
  }
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
        j["target_info"] = ti;
      }
      j["version"] = VersionJson(m->version);
      j["notes"] = NotesJson(ntlm::LintChallenge(*m));
      break;
    }
    case ntlm::MessageType::kAuthenticate: {
      auto m = ntlm::DecodeAuthenticate(msg, policy);
      if (!m.ok()) {
        return m.error();
      }
      j["message"] = "AUTHENTICATE_MESSAGE";
      j["response_kind"] = ntlm::ResponseKind(*m);
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
      j["notes"] = NotesJson(ntlm::LintAuthenticate(*m));
      break;
    }
  }
  return j;
}

namespace {

std::string Scalar(const Json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_null()) {
    return "(absent)";
  }
  return v.dump();
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
      {"wrapper", "Wrapper"},
      {"header", "Header"},
  };
  for (const auto& [k, name] : kNames) {
    if (key == k) {
      return name;
    }
  }
  return key;
}

void RenderKey(const std::string& json_key, const Json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  const std::string key = DisplayName(json_key);
  // Payload fields: value on one line with (Len, MaxLen, Offset).
  if (v.is_object() && v.contains("len") && v.contains("offset") && v.contains("max_len")) {
    std::string shown = v.contains("value") ? "\"" + v["value"].get<std::string>() + "\""
                        : v.contains("hex") ? v["hex"].get<std::string>() : std::string();
    *out += pad + key + ": " + shown + "  (Len " + v["len"].dump() + ", MaxLen " +
            v["max_len"].dump() + ", Offset " + v["offset"].dump() + ")\n";
    for (const auto& [k, sub] : v.items()) {
      if (k != "len" && k != "max_len" && k != "offset" && k != "value" && k != "hex") {
        RenderKey(k, sub, indent + 2, out);
      }
    }
    return;
  }
  if (v.is_object() && v.contains("value") && v.contains("names")) {
    *out += pad + key + ": " + v["value"].get<std::string>() + "\n";
    for (const auto& n : v["names"]) {
      *out += pad + "    " + n.get<std::string>() + "\n";
    }
    return;
  }
  if (v.is_object() && v.contains("text") && v.contains("ntlm_revision")) {
    *out += pad + key + ": " + v["text"].get<std::string>() + "\n";
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
        *out += pad + "  - [" + item["severity"].get<std::string>() + " " +
                item["rule"].get<std::string>() + "] " + item["field"].get<std::string>() +
                ": " + item["text"].get<std::string>() + "\n";
      } else if (item.is_object() && item.contains("name") && item.contains("id")) {
        std::string line = pad + "  " + item["name"].get<std::string>();
        if (item.contains("value")) {
          line += ": " + Scalar(item["value"]);
        } else if (item.contains("hex")) {
          line += ": " + item["hex"].get<std::string>();
        }
        if (item.contains("names") && !item["names"].empty()) {
          std::string names;
          for (const auto& n : item["names"]) {
            names += (names.empty() ? "" : ", ") + n.get<std::string>();
          }
          line += " (" + names + ")";
        }
        *out += line + "\n";
      } else {
        *out += pad + "  - " + Scalar(item) + "\n";
      }
    }
    return;
  }
  *out += pad + key + ": " + Scalar(v) + "\n";
}

void Render(const Json& j, int indent, std::string* out) {
  for (const auto& [k, v] : j.items()) {
    RenderKey(k, v, indent, out);
  }
}

}  // namespace

std::string RenderText(const Json& d) {
  std::string out;
  out += d.value("message", std::string("?")) + " (" + d["length"].dump() + " bytes)\n";
  Json rest = d;
  rest.erase("message");
  rest.erase("length");
  Render(rest, 2, &out);
  return out;
}

}  // namespace ntlmh
