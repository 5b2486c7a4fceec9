// ntlm-harness engine: text encodings for NTLM (see text.h).
//
// UTF-8 follows RFC 3629 section 4 exactly: only the byte sequences of its UTF8-char rule are
// accepted, so overlong forms, encoded surrogates (ED A0..BF) and values above U+10FFFF are
// errors, as are C0, C1 and F5..FF, which can begin no well-formed sequence. UTF-16LE follows
// RFC 2781 section 2: a high surrogate must be followed by a low one, and neither may appear
// alone.
//
// Error offsets. Every error's offset is the byte offset, in the input, of the first unit that
// cannot be decoded: for UTF-8 the first byte of the ill-formed sequence (its lead byte, or the
// stray byte itself), for UTF-16LE the first byte of the offending code unit, and for an odd
// UTF-16LE length the dangling last byte. The field is left empty for the caller to fill with
// Error::Nested.
#include "engine/text.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace ntlm::text {
namespace {

#include "engine/unicode_upcase_table.inc"

// The table must be sorted and disjoint for the binary search in UpcaseCodePoint, every row must
// end on a member of its stride, and every result must be a scalar value (no surrogate, nothing
// above U+10FFFF). Checked at compile time so a hand edit of the generated file cannot slip by.
constexpr bool UpcaseTableIsWellFormed() {
  char32_t next_free = 0;
  for (const UpcaseRange& r : kUpcaseRanges) {
    if (r.first < next_free || r.last < r.first || r.last > 0x10FFFF) {
      return false;
    }
    if ((r.stride != 1 && r.stride != 2) || (r.last - r.first) % r.stride != 0) {
      return false;
    }
    for (char32_t cp = r.first; cp <= r.last; cp += r.stride) {
      const int64_t upper = static_cast<int64_t>(cp) + r.delta;
      if (upper < 0 || upper > 0x10FFFF || (upper >= 0xD800 && upper <= 0xDFFF)) {
        return false;
      }
    }
    next_free = r.last + 1;
  }
  return true;
}
static_assert(UpcaseTableIsWellFormed(), "engine/unicode_upcase_table.inc is malformed");

constexpr char kRuleUtf8[] = "RFC 3629";
constexpr char kRuleUtf16[] = "RFC 2781";
constexpr char kRuleOem[] = "ISO/IEC 8859-1";

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr char32_t kHighSurrogateFirst = 0xD800;
constexpr char32_t kLowSurrogateFirst = 0xDC00;
constexpr char32_t kSurrogateLast = 0xDFFF;

// "0x41".
std::string ByteName(uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "0x";
  out += kHex[b >> 4];
  out += kHex[b & 0x0F];
  return out;
}

// "U+00E9", "U+1F600": at least four hex digits, as the Unicode standard writes them.
std::string CodePointName(char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  do {
    digits.insert(digits.begin(), kHex[cp & 0x0F]);
    cp >>= 4;
  } while (cp != 0);
  while (digits.size() < 4) {
    digits.insert(digits.begin(), '0');
  }
  return "U+" + digits;
}

Error Utf8Error(size_t offset, std::string reason) {
  return MakeError(ErrorCode::kInvalidUtf8, kRuleUtf8, "", offset, std::move(reason));
}

// "truncated sequence: lead byte 0xE2 needs 2 continuation bytes".
std::string Truncated(uint8_t lead, size_t tail_len) {
  return "truncated sequence: lead byte " + ByteName(lead) + " needs " + std::to_string(tail_len) +
         (tail_len == 1 ? " continuation byte" : " continuation bytes");
}

// Reads one UTF-8 encoded code point (RFC 3629 section 4, rule UTF8-char) from |reader|.
//
// On success stores it in |*out_cp|, advances past its bytes and returns true. On failure fills
// |*out_error| (offset: the sequence's first byte) and returns false; the reader is then left
// somewhere inside the bad sequence, so callers stop at the first error.
[[nodiscard]] bool ReadUtf8(ByteReader* reader, char32_t* out_cp, Error* out_error) {
  const size_t start = reader->offset();
  uint8_t lead = 0;
  if (!reader->ReadU8(&lead)) {
    *out_error = Utf8Error(start, "no byte left to decode");
    return false;
  }

  if (lead < 0x80) {
    *out_cp = lead;
    return true;
  }

  // Classify the lead byte: how many continuation bytes follow, the payload bits it carries,
  // and the smallest code point its length may encode (anything less is overlong).
  size_t tail_len = 0;
  char32_t cp = 0;
  char32_t min_cp = 0;
  if (lead < 0xC0) {
    *out_error = Utf8Error(start, "unexpected continuation byte " + ByteName(lead));
    return false;
  }
  if (lead < 0xC2) {
    *out_error =
        Utf8Error(start, "byte " + ByteName(lead) + " can only begin an overlong encoding");
    return false;
  }
  if (lead < 0xE0) {
    tail_len = 1;
    cp = lead & 0x1F;
    min_cp = 0x80;
  } else if (lead < 0xF0) {
    tail_len = 2;
    cp = lead & 0x0F;
    min_cp = 0x800;
  } else if (lead < 0xF5) {
    tail_len = 3;
    cp = lead & 0x07;
    min_cp = 0x10000;
  } else {
    *out_error = Utf8Error(start, "byte " + ByteName(lead) + " never appears in UTF-8");
    return false;
  }

  // The continuation bytes, each 10xxxxxx.
  for (size_t i = 1; i <= tail_len; ++i) {
    uint8_t b = 0;
    if (!reader->ReadU8(&b)) {
      *out_error =
          Utf8Error(start, Truncated(lead, tail_len) + ", the input has " + std::to_string(i - 1));
      return false;
    }
    if ((b & 0xC0) != 0x80) {
      *out_error = Utf8Error(start, Truncated(lead, tail_len) + ", byte " + ByteName(b) +
                                        " at offset " + std::to_string(start + i) + " is not one");
      return false;
    }
    cp = (cp << 6) | (b & 0x3F);
  }

  // What the bytes are well formed as, but RFC 3629 still forbids.
  if (cp < min_cp) {
    *out_error = Utf8Error(start, "overlong " + std::to_string(tail_len + 1) +
                                      "-byte encoding of " + CodePointName(cp));
    return false;
  }
  if (cp >= kHighSurrogateFirst && cp <= kSurrogateLast) {
    *out_error = Utf8Error(start, "encoded surrogate " + CodePointName(cp));
    return false;
  }
  if (cp > kMaxCodePoint) {
    *out_error = Utf8Error(start, "code point " + CodePointName(cp) + " is above U+10FFFF");
    return false;
  }

  *out_cp = cp;
  return true;
}

// Appends the UTF-8 form of the scalar value |cp| (never a surrogate, at most U+10FFFF).
void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendU16Le(uint16_t unit, Bytes* out) {
  out->push_back(static_cast<uint8_t>(unit));
  out->push_back(static_cast<uint8_t>(unit >> 8));
}

}  // namespace

Result<Bytes> Utf8ToUtf16Le(std::string_view utf8) {
  Bytes out;
  out.reserve(utf8.size() * 2);

  ByteReader reader(AsBytes(utf8));
  while (!reader.empty()) {
    char32_t cp = 0;
    Error error;
    if (!ReadUtf8(&reader, &cp, &error)) {
      return error;
    }

    // RFC 2781 section 2.1: above U+FFFF, U' = U - 0x10000 is split into two 10-bit halves.
    if (cp < 0x10000) {
      AppendU16Le(static_cast<uint16_t>(cp), &out);
    } else {
      const char32_t u = cp - 0x10000;
      AppendU16Le(static_cast<uint16_t>(kHighSurrogateFirst + (u >> 10)), &out);
      AppendU16Le(static_cast<uint16_t>(kLowSurrogateFirst + (u & 0x3FF)), &out);
    }
  }
  return out;
}

Result<std::string> Utf16LeToUtf8(ByteView utf16le) {
  if (utf16le.size() % 2 != 0) {
    return MakeError(ErrorCode::kOddLengthUtf16, kRuleUtf16, "", utf16le.size() - 1,
                     "odd byte count " + std::to_string(utf16le.size()) +
                         ": UTF-16LE needs two bytes per code unit");
  }

  std::string out;
  out.reserve(utf16le.size());

  ByteReader reader(utf16le);
  while (!reader.empty()) {
    const size_t start = reader.offset();
    uint16_t unit = 0;
    if (!reader.ReadU16Le(&unit)) {
      // Unreachable: the length is even, and the loop runs only while bytes remain.
      return MakeError(ErrorCode::kOddLengthUtf16, kRuleUtf16, "", start, "half a code unit");
    }

    // RFC 2781 section 2.2: decoding.
    if (unit < kHighSurrogateFirst || unit > kSurrogateLast) {
      AppendUtf8(unit, &out);
      continue;
    }
    if (unit >= kLowSurrogateFirst) {
      return MakeError(ErrorCode::kInvalidUtf16, kRuleUtf16, "", start,
                       "lone low surrogate " + CodePointName(unit));
    }
    uint16_t low = 0;
    if (!reader.ReadU16Le(&low)) {
      return MakeError(ErrorCode::kInvalidUtf16, kRuleUtf16, "", start,
                       "lone high surrogate " + CodePointName(unit) + " at the end of the input");
    }
    if (low < kLowSurrogateFirst || low > kSurrogateLast) {
      return MakeError(ErrorCode::kInvalidUtf16, kRuleUtf16, "", start,
                       "lone high surrogate " + CodePointName(unit) + " followed by " +
                           CodePointName(low) + " instead of a low surrogate");
    }
    AppendUtf8(0x10000 + ((static_cast<char32_t>(unit) - kHighSurrogateFirst) << 10) +
                   (static_cast<char32_t>(low) - kLowSurrogateFirst),
               &out);
  }
  return out;
}

std::string OemToUtf8(ByteView oem) {
  std::string out;
  out.reserve(oem.size() * 2);
  for (uint8_t b : oem) {
    AppendUtf8(b, &out);
  }
  return out;
}

Result<Bytes> Utf8ToOem(std::string_view utf8) {
  Bytes out;
  out.reserve(utf8.size());

  ByteReader reader(AsBytes(utf8));
  while (!reader.empty()) {
    const size_t start = reader.offset();
    char32_t cp = 0;
    Error error;
    if (!ReadUtf8(&reader, &cp, &error)) {
      return error;
    }
    if (cp > 0xFF) {
      return MakeError(ErrorCode::kInvalidArgument, kRuleOem, "", start,
                       CodePointName(cp) + " has no OEM (ISO-8859-1) byte");
    }
    out.push_back(static_cast<uint8_t>(cp));
  }
  return out;
}

Status ValidateUtf8(std::string_view utf8) {
  ByteReader reader(AsBytes(utf8));
  while (!reader.empty()) {
    char32_t cp = 0;
    Error error;
    if (!ReadUtf8(&reader, &cp, &error)) {
      return error;
    }
  }
  return Status();
}

char32_t UpcaseCodePoint(char32_t cp) {
  // ASCII fast path: most user names never leave it.
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') ? cp - ('a' - 'A') : cp;
  }

  // The last row starting at or before |cp|; rows are sorted and disjoint.
  const auto* it =
      std::upper_bound(std::begin(kUpcaseRanges), std::end(kUpcaseRanges), cp,
                       [](char32_t value, const UpcaseRange& row) { return value < row.first; });
  if (it == std::begin(kUpcaseRanges)) {
    return cp;
  }
  const UpcaseRange& row = *(it - 1);
  if (cp > row.last || (cp - row.first) % row.stride != 0) {
    return cp;
  }
  return static_cast<char32_t>(static_cast<int64_t>(cp) + row.delta);
}

Result<std::string> ToUpperUtf8(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());

  ByteReader reader(AsBytes(utf8));
  while (!reader.empty()) {
    char32_t cp = 0;
    Error error;
    if (!ReadUtf8(&reader, &cp, &error)) {
      return error;
    }
    AppendUtf8(UpcaseCodePoint(cp), &out);
  }
  return out;
}

}  // namespace ntlm::text
