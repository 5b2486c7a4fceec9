// HTTP authentication header values: RFC 7235 2.1 (challenge grammar), RFC 4648 (base64).
#include "engine/http_auth.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace ntlm::http_auth {

namespace {

constexpr char kRuleAuth[] = "RFC 7235 2.1";
constexpr char kRuleBase64[] = "RFC 4648 4";

// Character classes by table, not <cctype>: locale-free, and these run on every character
// of every Authorization header the server reads.
enum CharClass : uint8_t {
  kTchar = 1,     // tchar, RFC 7230 3.2.6
  kToken68 = 2,   // token68 characters before the '=' padding, RFC 7235 2.1
};

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      t[c] = kTchar | kToken68;
    }
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] |= kTchar;
  }
  for (char c : std::string_view("-._~+/")) {
    t[static_cast<unsigned char>(c)] |= kToken68;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kCharClasses = MakeCharClasses();

bool IsTchar(char c) { return (kCharClasses[static_cast<unsigned char>(c)] & kTchar) != 0; }
bool IsToken68Char(char c) {
  return (kCharClasses[static_cast<unsigned char>(c)] & kToken68) != 0;
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

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(ByteView data) {
  std::string out((data.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3, o += 4) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    o[0] = kBase64Alphabet[(v >> 18) & 63];
    o[1] = kBase64Alphabet[(v >> 12) & 63];
    o[2] = kBase64Alphabet[(v >> 6) & 63];
    o[3] = kBase64Alphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {  // the '=' padding is already in place
    const uint32_t v = (data[i] << 16) | (rest == 2 ? data[i + 1] << 8 : 0);
    o[0] = kBase64Alphabet[(v >> 18) & 63];
    o[1] = kBase64Alphabet[(v >> 12) & 63];
    if (rest == 2) {
      o[2] = kBase64Alphabet[(v >> 6) & 63];
    }
  }
  return out;
}

namespace {
// The value of each base64 character, 0xFF for every other byte (RFC 4648 4, table 1).
constexpr std::array<uint8_t, 256> MakeBase64Values() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) {
    v = 0xFF;
  }
  for (int k = 0; k < 64; ++k) {
    t[static_cast<unsigned char>(kBase64Alphabet[k])] = static_cast<uint8_t>(k);
  }
  return t;
}
constexpr std::array<uint8_t, 256> kBase64Values = MakeBase64Values();
}  // namespace

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return MakeError(ErrorCode::kBadLength, kRuleBase64, "base64", text.size(),
                     "base64 length " + std::to_string(text.size()) +
                         " is not a multiple of 4");
  }
  Bytes out(text.size() / 4 * 3);
  uint8_t* o = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  // Every group but the last has no padding: four table lookups; a byte outside the
  // alphabet (0xFF) sends its group to the checked loop below, which names it.
  const size_t full = text.size() >= 4 ? text.size() - 4 : 0;
  size_t i = 0;
  for (; i < full; i += 4, o += 3) {
    const uint32_t a = kBase64Values[in[i]], b = kBase64Values[in[i + 1]],
                   c = kBase64Values[in[i + 2]], d = kBase64Values[in[i + 3]];
    if ((a | b | c | d) > 63) {
      break;
    }
    const uint32_t triple = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<uint8_t>(triple >> 16);
    o[1] = static_cast<uint8_t>(triple >> 8);
    o[2] = static_cast<uint8_t>(triple);
  }
  for (; i < text.size(); i += 4) {
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
      v[k] = kBase64Values[static_cast<unsigned char>(ch)];
      if (v[k] > 63 || pad > 0) {
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
    *o++ = static_cast<uint8_t>(triple >> 16);
    if (pad < 2) *o++ = static_cast<uint8_t>(triple >> 8);
    if (pad < 1) *o++ = static_cast<uint8_t>(triple);
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

}  // namespace ntlm::http_auth
