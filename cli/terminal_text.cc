// ntlm-harness: making untrusted text safe to print on a terminal (see terminal_text.h).
#include "cli/terminal_text.h"

#include <cstddef>
#include <cstdint>

namespace ntlmh {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendByteEscape(uint8_t b, std::string* out) {
  out->append("\\x");
  out->push_back(kHexDigits[b >> 4]);
  out->push_back(kHexDigits[b & 0x0F]);
}

void AppendCodePointEscape(char32_t cp, std::string* out) {
  std::string digits;
  do {
    digits.insert(digits.begin(), kHexDigits[cp & 0x0F]);
    cp >>= 4;
  } while (cp != 0);
  out->append("\\u{");
  out->append(digits);
  out->push_back('}');
}

// Characters above U+007F that a terminal acts on or that cannot be seen.
bool IsHiddenOrControl(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) ||      // C1 controls (CSI is U+009B)
         cp == 0x061C ||                    // ARABIC LETTER MARK
         (cp >= 0x200B && cp <= 0x200F) ||  // zero-width space/joiners, LRM, RLM
         (cp >= 0x2028 && cp <= 0x202E) ||  // line/paragraph separators, LRE..RLO
         cp == 0x2060 ||                    // WORD JOINER
         (cp >= 0x2066 && cp <= 0x2069) ||  // LRI, RLI, FSI, PDI
         cp == 0xFEFF;                      // ZERO WIDTH NO-BREAK SPACE (BOM)
}

// Decodes one UTF-8 sequence of 2 to 4 bytes at |text[pos]| (RFC 3629, section 4: no
// overlongs, no surrogates, nothing above U+10FFFF). Returns its length and stores the code
// point, or returns 0 when the bytes there are not a valid sequence.
size_t DecodeMultibyte(std::string_view text, size_t pos, char32_t* out_cp) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const uint8_t lead = byte(0);
  size_t len = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
  char32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0F;
    if (lead == 0xE0) {
      second_min = 0xA0;  // below: overlong
    } else if (lead == 0xED) {
      second_max = 0x9F;  // above: a surrogate
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07;
    if (lead == 0xF0) {
      second_min = 0x90;  // below: overlong
    } else if (lead == 0xF4) {
      second_max = 0x8F;  // above: beyond U+10FFFF
    }
  } else {
    return 0;
  }

  if (len > text.size() - pos) {
    return 0;
  }
  for (size_t i = 1; i < len; ++i) {
    const uint8_t b = byte(i);
    const uint8_t lo = i == 1 ? second_min : 0x80;
    const uint8_t hi = i == 1 ? second_max : 0xBF;
    if (b < lo || b > hi) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *out_cp = cp;
  return len;
}

}  // namespace

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const uint8_t b = static_cast<uint8_t>(text[pos]);

    if (b < 0x80) {
      if (b < 0x20 || b == 0x7F) {
        AppendByteEscape(b, &out);
      } else if (b == '\\') {
        out.append("\\\\");
      } else {
        out.push_back(static_cast<char>(b));
      }
      ++pos;
      continue;
    }

    char32_t cp = 0;
    const size_t len = DecodeMultibyte(text, pos, &cp);
    if (len == 0) {
      // Not UTF-8: show this byte and resynchronise on the next one.
      AppendByteEscape(b, &out);
      ++pos;
      continue;
    }
    if (IsHiddenOrControl(cp)) {
      AppendCodePointEscape(cp, &out);
    } else {
      out.append(text.substr(pos, len));
    }
    pos += len;
  }
  return out;
}

}  // namespace ntlmh
