// HTTP authentication header values: RFC 7235 2.1 (challenge grammar), RFC 4648 (base64).
#include "engine/http_auth.h"

#include <cctype>

namespace ntlm::http_auth {

namespace {

constexpr char kRuleAuth[] = "RFC 7235 2.1";
constexpr char kRuleBase64[] = "RFC 4648 4";

// tchar, RFC 7230 3.2.6.
bool IsTchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// token68 characters before the '=' padding, RFC 7235 2.1.
bool IsToken68Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  void SkipOws() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  std::string_view Token() {
    size_t start = pos_;
    while (!done() && IsTchar(s_[pos_])) {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::string_view Token68() {
    size_t start = pos_;
    while (!done() && IsToken68Char(s_[pos_])) {
      ++pos_;
    }
    if (pos_ == start) {
      return {};
    }
    while (!done() && s_[pos_] == '=') {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }
  // quoted-string, RFC 7230 3.2.6; |out| gets the unescaped text.
  bool QuotedString(std::string* out) {
    if (peek() != '"') {
      return false;
    }
    size_t p = pos_ + 1;
    std::string v;
    while (p < s_.size()) {
      char c = s_[p];
      if (c == '"') {
        pos_ = p + 1;
        *out = std::move(v);
        return true;
      }
      if (c == '\\') {
        if (p + 1 >= s_.size()) {
          return false;
        }
        v.push_back(s_[p + 1]);
        p += 2;
        continue;
      }
      v.push_back(c);
      ++p;
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// A character for an error reason: 'c' when printable ASCII, else its byte value, so that a
// reason never carries a control character or a piece of a UTF-8 sequence.
std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    return std::string("character '") + c + "'";
  }
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// At the cursor: does an auth-param (token BWS "=" BWS (token / quoted-string)) start here?
bool AtAuthParam(Cursor c) {
  if (c.Token().empty()) {
    return false;
  }
  c.SkipOws();
  if (c.peek() != '=') {
    return false;
  }
  c.set_pos(c.pos() + 1);
  c.SkipOws();
  return c.peek() == '"' || IsTchar(c.peek());
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool Challenge::SchemeIs(std::string_view name) const { return EqualsIgnoreCase(scheme, name); }

Result<std::vector<Challenge>> ParseChallenges(std::string_view value) {
  std::vector<Challenge> out;
  Cursor c(value);
  while (true) {
    // Empty list elements: "," and OWS between them are allowed (RFC 7230 7).
    c.SkipOws();
    while (c.peek() == ',') {
      c.set_pos(c.pos() + 1);
      c.SkipOws();
    }
    if (c.done()) {
      break;
    }
    const size_t scheme_at = c.pos();
    std::string_view scheme = c.Token();
    if (scheme.empty()) {
      return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-scheme", scheme_at,
                       "expected an auth-scheme, found " + DescribeChar(c.peek()));
    }
    Challenge ch;
    ch.scheme = std::string(scheme);
    const size_t after_scheme = c.pos();
    c.SkipOws();
    if (c.done() || c.peek() == ',' || c.pos() == after_scheme) {
      if (!c.done() && c.peek() != ',') {
        return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-scheme", c.pos(),
                         "unexpected character after the scheme");
      }
      out.push_back(std::move(ch));
      continue;
    }

    // token68, when it is followed by the end of the element.
    const size_t body_at = c.pos();
    std::string_view t68 = c.Token68();
    Cursor look = c;
    look.SkipOws();
    if (!t68.empty() && (look.done() || look.peek() == ',')) {
      ch.token68 = std::string(t68);
      ch.token68_offset = body_at;
      c = look;
      out.push_back(std::move(ch));
      continue;
    }

    // Otherwise #auth-param.
    c.set_pos(body_at);
    while (true) {
      const size_t name_at = c.pos();
      std::string_view name = c.Token();
      c.SkipOws();
      if (name.empty() || c.peek() != '=') {
        return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-param", name_at,
                         "expected name=value or a token68 after scheme '" + ch.scheme + "'");
      }
      c.set_pos(c.pos() + 1);
      c.SkipOws();
      std::string v;
      const size_t value_at = c.pos();
      if (c.peek() == '"') {
        if (!c.QuotedString(&v)) {
          return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-param", value_at,
                           "unterminated quoted-string");
        }
      } else {
        v = std::string(c.Token());
        if (v.empty()) {
          return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-param", value_at,
                           "empty auth-param value");
        }
      }
      ch.params.emplace_back(Lower(name), std::move(v));
      c.SkipOws();
      if (c.done()) {
        break;
      }
      if (c.peek() != ',') {
        return MakeError(ErrorCode::kBadValue, kRuleAuth, "auth-param", c.pos(),
                         "expected ',' after an auth-param");
      }
      // After the comma: another param of this challenge, or the next challenge.
      Cursor next = c;
      next.set_pos(next.pos() + 1);
      next.SkipOws();
      while (next.peek() == ',') {
        next.set_pos(next.pos() + 1);
        next.SkipOws();
      }
      if (!AtAuthParam(next)) {
        break;
      }
      c = next;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

std::string Base64Encode(ByteView data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = data[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out += "=";
  }
  return out;
}

namespace {
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return MakeError(ErrorCode::kBadLength, kRuleBase64, "base64", text.size(),
                     "base64 length " + std::to_string(text.size()) +
                         " is not a multiple of 4");
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char ch = text[i + k];
      const bool last_group = i + 4 == text.size();
      if (ch == '=' && last_group && k >= 2 && (k == 3 || text[i + 3] == '=')) {
        v[k] = 0;
        ++pad;
        continue;
      }
      v[k] = Base64Value(ch);
      if (v[k] < 0 || pad > 0) {
        return MakeError(ErrorCode::kBadValue, kRuleBase64, "base64", i + k,
                         DescribeChar(ch) + " is not base64");
      }
    }
    const uint32_t triple = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    // Non-canonical encodings (pad bits set) are refused.
    if ((pad == 1 && (triple & 0xFF) != 0) || (pad == 2 && (triple & 0xFFFF) != 0)) {
      return MakeError(ErrorCode::kBadValue, kRuleBase64, "base64", i + 3 - pad,
                       "non-zero bits before the '=' padding");
    }
    out.push_back(static_cast<uint8_t>(triple >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(triple >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(triple));
  }
  return out;
}

}  // namespace ntlm::http_auth
