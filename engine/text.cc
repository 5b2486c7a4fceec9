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

// Eight bytes as a little-endian 64-bit word (one load on x86-64).
uint64_t LoadU64Le(const uint8_t* p) {
  return static_cast<uint64_t>(LoadU32Le(p)) | (static_cast<uint64_t>(LoadU32Le(p + 4)) << 32);
}

// The length of the leading run of ASCII bytes (below 0x80) of |bytes|: each is a whole UTF-8
// sequence by itself (RFC 3629 4, UTF8-1), so the run needs no further check.
size_t AsciiPrefix(ByteView bytes) {
  size_t n = 0;
  // Eight bytes at a time while no top bit is set, then byte by byte.
  while (n + 8 <= bytes.size() && (LoadU64Le(bytes.data() + n) & 0x8080808080808080u) == 0) {
    n += 8;
  }
  while (n < bytes.size() && bytes[n] < 0x80) {
    ++n;
  }
  return n;
}

// The number of leading UTF-16LE code units of |utf16le| that are ASCII (U+0000..U+007F): no
// surrogate among them (RFC 2781 2.2), one UTF-8 byte each.
size_t AsciiUnitPrefix(ByteView utf16le) {
  size_t n = 0;
  // Four units at a time while each is below 0x80 (low byte's top bit and high byte clear).
  while (2 * n + 8 <= utf16le.size() &&
         (LoadU64Le(utf16le.data() + 2 * n) & 0xFF80FF80FF80FF80u) == 0) {
    n += 4;
  }
  while (2 * n + 1 < utf16le.size() && utf16le[2 * n] < 0x80 && utf16le[2 * n + 1] == 0) {
    ++n;
  }
  return n;
}

}  // namespace

Result<Bytes> Utf8ToUtf16Le(std::string_view utf8) {
  const ByteView bytes = AsBytes(utf8);
  // The ASCII start of the input is copied unit by unit; the rest (if any) is decoded with every
  // check of RFC 3629, its error offsets still counted from the start of |utf8|.
  const size_t ascii = AsciiPrefix(bytes);
  Bytes out;
  out.reserve(utf8.size() * 2);
  out.resize(ascii * 2);
  for (size_t i = 0; i < ascii; ++i) {
    out[2 * i] = bytes[i];
  }
  if (ascii == bytes.size()) {
    return out;
  }

  ByteReader reader(bytes.subspan(ascii), ascii);
  Error error;
  while (!reader.empty()) {
    char32_t cp = 0;
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

namespace {

// RFC 2781 section 2.2: decodes |utf16le| and appends its UTF-8 form to |out|, or only checks it
// when |out| is null. The first error found is returned, its offset counted from the start of
// |utf16le|.
Status DecodeUtf16Le(ByteView utf16le, std::string* out) {
  if (utf16le.size() % 2 != 0) {
    return MakeError(ErrorCode::kOddLengthUtf16, kRuleUtf16, "", utf16le.size() - 1,
                     "odd byte count " + std::to_string(utf16le.size()) +
                         ": UTF-16LE needs two bytes per code unit");
  }
  // An ASCII start needs no surrogate check: each unit is one UTF-8 byte.
  const size_t ascii = AsciiUnitPrefix(utf16le);
  if (out != nullptr) {
    out->reserve(utf16le.size());
    out->resize(ascii);
    for (size_t i = 0; i < ascii; ++i) {
      (*out)[i] = static_cast<char>(utf16le[2 * i]);
    }
  }

  ByteReader reader(utf16le.subspan(2 * ascii), 2 * ascii);
  while (!reader.empty()) {
    const size_t start = reader.offset();
    uint16_t unit = 0;
    if (!reader.ReadU16Le(&unit)) {
      // Unreachable: the length is even, and the loop runs only while bytes remain.
      return MakeError(ErrorCode::kOddLengthUtf16, kRuleUtf16, "", start, "half a code unit");
    }

    if (unit < kHighSurrogateFirst || unit > kSurrogateLast) {
      if (out != nullptr) {
        AppendUtf8(unit, out);
      }
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
    if (out != nullptr) {
      AppendUtf8(0x10000 + ((static_cast<char32_t>(unit) - kHighSurrogateFirst) << 10) +
                     (static_cast<char32_t>(low) - kLowSurrogateFirst),
                 out);
    }
  }
  return Status();
}

}  // namespace

Result<std::string> Utf16LeToUtf8(ByteView utf16le) {
  std::string out;
  if (Status s = DecodeUtf16Le(utf16le, &out); !s.ok()) {
    return s.error();
  }
  return out;
}

Status ValidateUtf16Le(ByteView utf16le) { return DecodeUtf16Le(utf16le, nullptr); }

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
  // The ASCII start is upper-cased byte by byte (UpcaseCodePoint's ASCII rule); the rest, if
  // any, is decoded with every check, its error offsets counted from the start of |utf8|.
  const ByteView bytes = AsBytes(utf8);
  const size_t ascii = AsciiPrefix(bytes);
  std::string out;
  out.reserve(utf8.size());
  out.resize(ascii);
  for (size_t i = 0; i < ascii; ++i) {
    const char c = utf8[i];
    out[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - ('a' - 'A')) : c;
  }
  if (ascii == bytes.size()) {
    return out;
  }

  ByteReader reader(bytes.subspan(ascii), ascii);
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
