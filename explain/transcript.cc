// Grouping HTTP exchanges and token lines into NTLM handshakes ([MS-NTHT] 2.2, RFC 7235).
#include "explain/transcript.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "engine/http_auth.h"
#include "engine/spnego.h"

namespace ntlmh::explain {

namespace {

using ntlm::http_auth::EqualsIgnoreCase;

bool IsRequestAuthHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Authorization") || EqualsIgnoreCase(name, "Proxy-Authorization");
}

bool IsResponseAuthHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "WWW-Authenticate") || EqualsIgnoreCase(name, "Proxy-Authenticate");
}

// One NTLM or Negotiate element of a header value.
struct Found {
  std::string scheme;
  bool offer = false;  // scheme without a token
  ntlm::Bytes bytes;
  size_t offset = 0;  // of the token in the value
};

// The NTLM and Negotiate elements of one header value. Other schemes are ignored.
ntlm::Result<std::vector<Found>> ParseAuthValue(std::string_view value) {
  if (value.size() > kMaxTokenTextBytes) {
    return ntlm::MakeError(
        ntlm::ErrorCode::kTooLarge, "ntlmh explain --help", "header value", kMaxTokenTextBytes,
        "the value has " + std::to_string(value.size()) + " bytes, more than the " +
            std::to_string(kMaxTokenTextBytes) + " an NTLM token can need");
  }
  auto parsed = ntlm::http_auth::ParseChallenges(value);
  if (!parsed.ok()) {
    return parsed.error();
  }
  std::vector<Found> out;
  for (const auto& c : *parsed) {
    if (!c.SchemeIs("NTLM") && !c.SchemeIs("Negotiate")) {
      continue;
    }
    Found f;
    f.scheme = c.SchemeIs("NTLM") ? "NTLM" : "Negotiate";
    if (c.token68.empty()) {
      f.offer = true;
      out.push_back(std::move(f));
      continue;
    }
    auto bytes = ntlm::http_auth::Base64Decode(c.token68);
    if (!bytes.ok()) {
      ntlm::Error e = bytes.error();
      e.offset += c.token68_offset;
      return e;
    }
    f.bytes = std::move(*bytes);
    f.offset = c.token68_offset;
    out.push_back(std::move(f));
  }
  return out;
}

// The first NTLM or Negotiate token of the headers named by |is_auth|, unwrapped; or, when
// none can be read, why the first one could not (header, offset in its value, the error).
struct AuthToken {
  std::optional<Leg> leg;
  ntlm::MessageType type{};
  bool offer = false;  // a bare scheme was seen
  std::optional<std::string> unreadable;
};

// Whether a header value's first auth-scheme is NTLM or Negotiate: only then is a value that
// cannot be read a token of this handshake (a bad Basic or Bearer header is not).
bool NamesNtlmScheme(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  const std::string_view scheme = value.substr(0, value.find_first_of(" \t,"));
  return EqualsIgnoreCase(scheme, "NTLM") || EqualsIgnoreCase(scheme, "Negotiate");
}

template <typename Pred>
AuthToken ReadAuthToken(const HttpMessage& m, Pred is_auth, const std::string& where,
                        const std::string& connection, std::vector<std::string>* notes) {
  AuthToken out;
  for (const HttpHeader& h : m.headers) {
    if (!is_auth(h.name)) {
      continue;
    }
    auto found = ParseAuthValue(h.value);
    if (!found.ok()) {
      notes->push_back(where + ": " + h.name + " skipped: " + found.error().ToString());
      if (!out.unreadable && NamesNtlmScheme(h.value)) {
        out.unreadable = h.name + ": " + found.error().ToString();
      }
      continue;
    }
    for (Found& f : *found) {
      if (f.offer) {
        out.offer = true;
        continue;
      }
      Leg leg;
      std::string why;
      if (!UnwrapToken(f.bytes, &leg.ntlm, &leg.spnego, &out.type, &why)) {
        const std::string what = h.name + " at offset " + std::to_string(f.offset) + ": the " +
                                 f.scheme + " token is " + why;
        notes->push_back(where + ": " + what + "; skipped");
        if (!out.unreadable) {
          out.unreadable = what;
        }
        continue;
      }
      leg.scheme = f.scheme;
      leg.where = where;
      leg.connection = connection;
      out.leg = std::move(leg);
      return out;
    }
  }
  return out;
}

const char* TypeName(ntlm::MessageType t) {
  switch (t) {
    case ntlm::MessageType::kNegotiate:
      return "NEGOTIATE_MESSAGE";
    case ntlm::MessageType::kChallenge:
      return "CHALLENGE_MESSAGE";
    case ntlm::MessageType::kAuthenticate:
      return "AUTHENTICATE_MESSAGE";
  }
  return "message";
}

bool HasToken(std::string_view list, std::string_view token) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) {
      comma = list.size();
    }
    std::string_view item = list.substr(pos, comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (EqualsIgnoreCase(item, token)) {
      return true;
    }
    pos = comma + 1;
  }
  return false;
}

}  // namespace

std::vector<std::string_view> HttpMessage::FindAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      out.push_back(h.value);
    }
  }
  return out;
}

std::optional<std::string_view> HttpMessage::Find(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

std::string Handshake::Label() const {
  const Leg* first = negotiate      ? &*negotiate
                     : challenge    ? &*challenge
                     : authenticate ? &*authenticate
                                    : nullptr;
  if (first == nullptr) {
    if (unreadable_request) {
      return (unreadable_request->connection.empty()
                  ? ""
                  : "connection " + unreadable_request->connection + ", ") +
             unreadable_request->where;
    }
    return "(empty)";
  }
  if (!first->connection.empty()) {
    return "connection " + first->connection + ", " + first->where;
  }
  return first->where;
}

bool UnwrapToken(ntlm::ByteView bytes, ntlm::Bytes* ntlm, bool* spnego, ntlm::MessageType* type,
                 std::string* why) {
  *spnego = false;
  ntlm::Bytes inner;
  if (ntlm::spnego::LooksLikeNtlmssp(bytes)) {
    inner.assign(bytes.begin(), bytes.end());
  } else if (ntlm::spnego::LooksLikeSpnego(bytes)) {
    auto token = ntlm::spnego::DecodeNegotiationToken(bytes);
    if (!token.ok()) {
      *why = "SPNEGO token: " + token.error().ToString();
      return false;
    }
    *spnego = true;
    const std::optional<ntlm::Bytes>* mech =
        token->is_init() ? &token->init()->mech_token : &token->resp()->response_token;
    if (!mech->has_value()) {
      *why = "SPNEGO token without an NTLM message";
      return false;
    }
    inner = **mech;
  } else {
    *why = "neither an NTLM message nor SPNEGO";
    return false;
  }
  auto t = ntlm::PeekMessageType(inner);
  if (!t.ok()) {
    // Without the rule: the caller names the section once (MS-NLMP 2.2.1).
    const ntlm::Error& e = t.error();
    *why = "an NTLM message with a bad " + e.field + " (at offset " + std::to_string(e.offset) +
           ": " + e.reason + ")";
    return false;
  }
  *type = *t;
  *ntlm = std::move(inner);
  return true;
}

std::vector<Handshake> GroupHandshakes(const Transcript& transcript,
                                       std::vector<std::string>* notes) {
  std::vector<Handshake> out;
  std::map<std::string, size_t> open_by_connection;  // awaiting an AUTHENTICATE
  std::optional<size_t> last_open;
  struct Earlier {
    size_t body = 0;
    std::string where;
  };
  std::map<std::string, Earlier> refused;  // per connection: a request that drew a 401/407

  for (const Exchange& e : transcript.exchanges) {
    AuthToken request =
        ReadAuthToken(e.request, IsRequestAuthHeader, e.where + " request", e.connection, notes);
    const bool refused_status =
        e.response.has_value() && (e.response->status == 401 || e.response->status == 407);
    // The handshake this request would continue: open on its connection, or the last one open.
    auto open_handshake = [&]() -> std::optional<size_t> {
      auto open = open_by_connection.find(e.connection);
      if (open != open_by_connection.end()) {
        return open->second;
      }
      if (last_open.has_value() && !out[*last_open].authenticate.has_value()) {
        return last_open;
      }
      return std::nullopt;
    };
    // The last leg of a handshake (the AUTHENTICATE, or an unreadable token in its place)
    // closes the handshake open on this connection, or starts one of its own.
    auto final_leg = [&]() -> Handshake& {
      std::optional<size_t> idx = open_handshake();
      if (!idx.has_value()) {
        Handshake h;
        h.http = true;
        h.tls = e.tls;
        out.push_back(std::move(h));
        idx = out.size() - 1;
      }
      for (auto it = open_by_connection.begin(); it != open_by_connection.end();) {
        it = it->second == *idx ? open_by_connection.erase(it) : std::next(it);
      }
      if (last_open == idx) {
        last_open.reset();
      }
      Handshake& h = out[*idx];
      h.final_method = e.request.method;
      h.final_body = e.request.body_length;
      h.final_body_unknown = e.request.body_unknown;
      if (!e.response.has_value() && e.error.has_value()) {
        h.final_error = *e.error;
        h.final_where = e.where + " response";
      }
      if (e.response.has_value()) {
        h.final_status = e.response->status;
        h.final_where = e.where + " response";
        if (auto reject = e.response->Find("X-NTLM-Reject")) {
          h.reject_header = std::string(reject->substr(0, 64));
        }
      }
      return h;
    };
    if (!request.leg.has_value() && request.unreadable.has_value()) {
      // A token that cannot be read still went on the wire: after a CHALLENGE it stands where
      // the AUTHENTICATE belongs; otherwise it is a handshake of its own that cannot start.
      final_leg().unreadable_request =
          Unreadable{e.where + " request", *request.unreadable, e.connection};
      continue;
    }
    if (!request.leg.has_value()) {
      if (refused_status) {
        refused[e.connection] = Earlier{e.request.body_length, e.where + " request"};
      }
      continue;
    }
    Leg leg = std::move(*request.leg);
    const ntlm::MessageType type = request.type;

    if (type == ntlm::MessageType::kNegotiate) {
      Handshake h;
      h.http = true;
      h.tls = e.tls;
      h.negotiate = std::move(leg);
      auto earlier = refused.find(e.connection);
      if (earlier != refused.end() && earlier->second.body > 0) {
        h.body_before = earlier->second.body;
        h.body_before_where = earlier->second.where;
      }
      refused.erase(e.connection);
      if (e.request.body_length > h.body_before) {
        h.body_before = e.request.body_length;
        h.body_before_where = e.where + " request";
      }
      if (e.response.has_value()) {
        const std::string where = e.where + " response";
        AuthToken reply =
            ReadAuthToken(*e.response, IsResponseAuthHeader, where, e.connection, notes);
        if (reply.leg.has_value() && reply.type == ntlm::MessageType::kChallenge) {
          h.challenge = std::move(*reply.leg);
          auto conn = e.response->Find("Connection");
          h.challenge_connection_close = conn.has_value() && HasToken(*conn, "close");
        } else if (reply.leg.has_value()) {
          const std::string what =
              std::string("a ") + TypeName(reply.type) + " where the CHALLENGE_MESSAGE belongs";
          notes->push_back(where + ": " + what + "; skipped");
          h.unreadable_challenge = Unreadable{where, what, e.connection};
        } else if (reply.unreadable.has_value()) {
          h.unreadable_challenge = Unreadable{where, *reply.unreadable, e.connection};
        } else if (reply.offer && (e.response->status == 401 || e.response->status == 407)) {
          h.bare_offer_where = where;
        }
      }
      out.push_back(std::move(h));
      if (out.back().challenge.has_value()) {
        open_by_connection[e.connection] = out.size() - 1;
        last_open = out.size() - 1;
      }
      continue;
    }

    if (type == ntlm::MessageType::kAuthenticate) {
      final_leg().authenticate = std::move(leg);
      continue;
    }
    notes->push_back(e.where + " request: a CHALLENGE in a request; skipped");
  }
  if (!transcript.recorded_error.empty() && !out.empty() && out.back().challenge &&
      !out.back().authenticate && !out.back().unreadable_request) {
    out.back().ended_in_error = transcript.recorded_error;
  }
  if (!transcript.damage.empty()) {
    // Damage is not tied to one handshake (a truncated file, a limit, a gap that shifts what
    // follows): every handshake of a damaged input may have lost a leg.
    std::vector<std::string> damage(transcript.damage.begin(),
                                    transcript.damage.begin() +
                                        static_cast<std::ptrdiff_t>(
                                            std::min<size_t>(transcript.damage.size(), 3)));
    for (Handshake& h : out) {
      h.capture_damage = damage;
    }
  }
  return out;
}

namespace {

// "Name: value" with an HTTP token as the name (RFC 9110 5.1).
bool SplitHeaderLine(std::string_view line, std::string_view* name, std::string_view* value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    const bool tchar =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!tchar) {
      return false;
    }
  }
  *name = line.substr(0, colon);
  *value = line.substr(colon + 1);
  return true;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

}  // namespace

ntlm::Result<std::vector<Handshake>> HandshakesFromText(const std::vector<TextInput>& inputs,
                                                        bool stream,
                                                        std::vector<std::string>* notes) {
  std::vector<Handshake> out;
  for (const TextInput& in : inputs) {
    std::string_view line = in.text;
    size_t base = 0;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() >= 2 && (line[0] == '<' || line[0] == '>') && line[1] == ' ') {
      line.remove_prefix(2);
      base = 2;
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
      ++base;
    }
    if (line.empty()) {
      if (!stream) {
        return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "ntlmh explain --help", in.where,
                               0, "empty input");
      }
      continue;
    }

    // A status line of a response (curl -v's "< HTTP/1.1 200 OK"): the verdict of the server
    // on the AUTHENTICATE just before it (RFC 9112 4).
    if (stream && line.size() >= 12 && line.substr(0, 7) == "HTTP/1." && line[8] == ' ' &&
        std::isdigit(static_cast<unsigned char>(line[9])) &&
        std::isdigit(static_cast<unsigned char>(line[10])) &&
        std::isdigit(static_cast<unsigned char>(line[11]))) {
      if (!out.empty() && out.back().authenticate.has_value() &&
          !out.back().final_status.has_value()) {
        out.back().final_status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        out.back().final_where = in.where;
      }
      continue;
    }

    // Which side sent it, when the line says so.
    enum class Side { kUnknown, kClient, kServer } side = Side::kUnknown;
    std::string_view value = line;
    size_t value_base = base;
    std::string_view name;
    std::string_view rest;
    if (SplitHeaderLine(line, &name, &rest)) {
      if (IsRequestAuthHeader(name)) {
        side = Side::kClient;
      } else if (IsResponseAuthHeader(name)) {
        side = Side::kServer;
      } else {
        if (!stream) {
          return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "MS-NTHT 2.2", in.where, 0,
                                 "not an authentication header");
        }
        continue;
      }
      value = rest;
      value_base = base + name.size() + 1;
    }

    std::vector<Found> found;
    const bool one_word =
        value.find(' ') == std::string_view::npos && value.find('\t') == std::string_view::npos;
    if (side == Side::kUnknown && one_word && !EqualsIgnoreCase(value, "NTLM") &&
        !EqualsIgnoreCase(value, "Negotiate")) {
      // A bare base64 token.
      if (value.size() > kMaxTokenTextBytes) {
        return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "ntlmh explain --help", in.where,
                               value_base,
                               "a token of " + std::to_string(value.size()) +
                                   " bytes is longer than " + std::to_string(kMaxTokenTextBytes));
      }
      if (stream && !std::all_of(value.begin(), value.end(), IsBase64Char)) {
        continue;
      }
      auto bytes = ntlm::http_auth::Base64Decode(value);
      if (!bytes.ok()) {
        ntlm::Error e = bytes.error();
        e.field = in.where + ": base64";
        e.offset += value_base;
        return e;
      }
      Found f;
      f.scheme = "NTLM";
      f.bytes = std::move(*bytes);
      found.push_back(std::move(f));
    } else {
      const bool names_ntlm = value.find("NTLM") != std::string_view::npos ||
                              value.find("Negotiate") != std::string_view::npos ||
                              value.find("ntlm") != std::string_view::npos ||
                              value.find("negotiate") != std::string_view::npos;
      if (stream && !names_ntlm) {
        continue;
      }
      auto parsed = ParseAuthValue(value);
      if (!parsed.ok() && stream && side == Side::kUnknown) {
        // Prose that mentions NTLM ("* Server auth using NTLM ...", a decoded field of
        // `ntlmh request -v`) is neither a header line nor a token: skip it.
        notes->push_back(in.where + ": not a token or an authentication header line; skipped");
        continue;
      }
      if (!parsed.ok()) {
        ntlm::Error e = parsed.error();
        e.field = in.where + ": " + e.field;
        e.offset += value_base;
        return e;
      }
      found = std::move(*parsed);
      if (found.empty()) {
        if (stream) {
          continue;
        }
        return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "MS-NTHT 2.2", in.where, 0,
                               "no NTLM or Negotiate token");
      }
    }

    for (Found& f : found) {
      if (f.offer) {
        if (side != Side::kClient && !out.empty() && out.back().negotiate.has_value() &&
            !out.back().challenge.has_value() && !out.back().authenticate.has_value()) {
          out.back().bare_offer_where = in.where;
        }
        continue;
      }
      Leg leg;
      leg.scheme = f.scheme;
      leg.where = in.where;
      ntlm::MessageType type{};
      std::string why;
      if (!UnwrapToken(f.bytes, &leg.ntlm, &leg.spnego, &type, &why)) {
        if (stream && side == Side::kUnknown) {
          notes->push_back(in.where + ": a token that is not NTLM or SPNEGO (" + why +
                           "); skipped");
          continue;
        }
        return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "MS-NLMP 2.2.1", in.where,
                               value_base + f.offset, "the token is " + why);
      }
      const bool open = !out.empty() && !out.back().authenticate.has_value();
      if (type == ntlm::MessageType::kNegotiate || !open ||
          (type == ntlm::MessageType::kChallenge && out.back().challenge.has_value())) {
        out.emplace_back();
      }
      Handshake& h = out.back();
      if (type == ntlm::MessageType::kNegotiate) {
        h.negotiate = std::move(leg);
      } else if (type == ntlm::MessageType::kChallenge) {
        h.challenge = std::move(leg);
      } else {
        h.authenticate = std::move(leg);
      }
    }
  }
  return out;
}

}  // namespace ntlmh::explain
