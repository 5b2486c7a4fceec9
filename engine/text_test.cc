// Tests for engine/text: UTF-8 (RFC 3629), UTF-16LE (RFC 2781), OEM as ISO-8859-1, and the
// uppercase mapping NTOWFv2 applies to user names ([MS-NLMP] 3.3.2).
#include "engine/text.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::text {
namespace {

// The generated table's own count and checksum, to hold UpcaseCodePoint to them.
namespace generated {
#include "engine/unicode_upcase_table.inc"
}  // namespace generated

using namespace std::string_view_literals;

Bytes Hex(std::string_view hex) {
  Bytes out;
  EXPECT_TRUE(FromHex(hex, &out)) << hex;
  return out;
}

// An encoder written apart from text.cc, so the exhaustive test compares two implementations.
std::string EncodeUtf8(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 + cp / 64);
    s += static_cast<char>(0x80 + cp % 64);
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 + cp / 4096);
    s += static_cast<char>(0x80 + cp / 64 % 64);
    s += static_cast<char>(0x80 + cp % 64);
  } else {
    s += static_cast<char>(0xF0 + cp / 262144);
    s += static_cast<char>(0x80 + cp / 4096 % 64);
    s += static_cast<char>(0x80 + cp / 64 % 64);
    s += static_cast<char>(0x80 + cp % 64);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// UTF-8 <-> UTF-16LE round trips (RFC 3629 section 3, RFC 2781 section 2).

struct RoundTripCase {
  const char* name;
  std::string_view utf8;
  const char* utf16le_hex;
};

const RoundTripCase kRoundTrips[] = {
    {"empty", ""sv, ""},
    {"ascii", "User1"sv, "55007300650072003100"},
    {"ascii with domain", "DOMAIN\\user"sv, "44004f004d00410049004e005c007500730065007200"},
    {"cyrillic", "юзер"sv, "4e04370435044004"},
    {"latin-1", "Müller"sv, "4d00fc006c006c0065007200"},
    {"cjk", "用户"sv, "28753762"},
    {"emoji U+1F600 as D83D DE00", "\xF0\x9F\x98\x80"sv, "3dd800de"},
    {"emoji between ascii", "a\xF0\x9F\x98\x80z"sv, "61003dd800de7a00"},
    {"nul inside", "a\0b"sv, "610000006200"},
    {"nul alone", "\0"sv, "0000"},
    {"U+007F", "\x7F"sv, "7f00"},
    {"U+0080", "\xC2\x80"sv, "8000"},
    {"U+07FF", "\xDF\xBF"sv, "ff07"},
    {"U+0800", "\xE0\xA0\x80"sv, "0008"},
    {"U+D7FF below the surrogates", "\xED\x9F\xBF"sv, "ffd7"},
    {"U+E000 above the surrogates", "\xEE\x80\x80"sv, "00e0"},
    {"U+FFFD", "\xEF\xBF\xBD"sv, "fdff"},
    {"U+FFFF", "\xEF\xBF\xBF"sv, "ffff"},
    {"U+10000", "\xF0\x90\x80\x80"sv, "00d800dc"},
    {"U+10FFFF", "\xF4\x8F\xBF\xBF"sv, "ffdbffdf"},
};

std::string StripSpaces(std::string s) {
  std::erase(s, ' ');
  return s;
}

TEST(TextUtf16Test, RoundTripsRfc2781Section2) {
  for (const RoundTripCase& c : kRoundTrips) {
    SCOPED_TRACE(c.name);
    const Bytes utf16 = Hex(StripSpaces(c.utf16le_hex));

    Result<Bytes> encoded = Utf8ToUtf16Le(c.utf8);
    ASSERT_TRUE(encoded.ok()) << encoded.error().ToString();
    EXPECT_EQ(ToHex(*encoded), ToHex(utf16));

    Result<std::string> decoded = Utf16LeToUtf8(utf16);
    ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, std::string(c.utf8));

    EXPECT_TRUE(ValidateUtf8(c.utf8).ok());
  }
}

// Every scalar value, U+0000..U+D7FF and U+E000..U+10FFFF, through both directions at once.
TEST(TextUtf16Test, RoundTripsEveryScalarValue) {
  Bytes utf16;
  std::string utf8;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      continue;
    }
    utf8 += EncodeUtf8(cp);
    if (cp < 0x10000) {
      utf16.push_back(static_cast<uint8_t>(cp));
      utf16.push_back(static_cast<uint8_t>(cp >> 8));
    } else {
      const char32_t high = 0xD800 + ((cp - 0x10000) >> 10);
      const char32_t low = 0xDC00 + ((cp - 0x10000) & 0x3FF);
      utf16.push_back(static_cast<uint8_t>(high));
      utf16.push_back(static_cast<uint8_t>(high >> 8));
      utf16.push_back(static_cast<uint8_t>(low));
      utf16.push_back(static_cast<uint8_t>(low >> 8));
    }
  }

  Result<Bytes> encoded = Utf8ToUtf16Le(utf8);
  ASSERT_TRUE(encoded.ok()) << encoded.error().ToString();
  EXPECT_TRUE(*encoded == utf16);

  Result<std::string> decoded = Utf16LeToUtf8(utf16);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_TRUE(*decoded == utf8);
}

// ---------------------------------------------------------------------------------------------
// Ill-formed UTF-8 (RFC 3629 section 4 and section 10): every kind, its offset and its reason.

struct BadUtf8Case {
  const char* name;
  std::string_view input;
  size_t offset;
  const char* reason;
  // False when a valid code point above U+00FF comes before the fault, so that Utf8ToOem stops
  // there first.
  bool prefix_is_oem = true;
};

const BadUtf8Case kBadUtf8[] = {
    // Stray continuation bytes.
    {"continuation byte first", "\x80"sv, 0, "unexpected continuation byte 0x80"},
    {"continuation byte after ascii", "ab\xBF"sv, 2, "unexpected continuation byte 0xBF"},
    {"continuation byte after a full sequence", "\xC3\xA9\x80"sv, 2,
     "unexpected continuation byte 0x80"},
    {"extra continuation after emoji", "\xF0\x9F\x98\x80\x80"sv, 4,
     "unexpected continuation byte 0x80", false},

    // C0 and C1 can begin only overlong two-byte forms.
    {"C0 80, overlong NUL", "\xC0\x80"sv, 0, "byte 0xC0 can only begin an overlong encoding"},
    {"C1 BF, overlong U+007F", "x\xC1\xBF"sv, 1, "byte 0xC1 can only begin an overlong encoding"},

    // Overlong three- and four-byte forms.
    {"E0 80 AF, overlong '/'", "x\xE0\x80\xAF"sv, 1, "overlong 3-byte encoding of U+002F"},
    {"E0 9F BF, overlong U+07FF", "\xE0\x9F\xBF"sv, 0, "overlong 3-byte encoding of U+07FF"},
    {"F0 80 80 80, overlong NUL", "\xF0\x80\x80\x80"sv, 0, "overlong 4-byte encoding of U+0000"},
    {"F0 8F BF BF, overlong U+FFFF", "ok\xF0\x8F\xBF\xBF"sv, 2,
     "overlong 4-byte encoding of U+FFFF"},

    // Encoded surrogates (ED A0..BF).
    {"ED A0 80, U+D800", "\xED\xA0\x80"sv, 0, "encoded surrogate U+D800"},
    {"ED AF BF, U+DBFF", "\xED\xAF\xBF"sv, 0, "encoded surrogate U+DBFF"},
    {"ED B0 80, U+DC00", "\xED\xB0\x80"sv, 0, "encoded surrogate U+DC00"},
    {"ED BF BF, U+DFFF", "\xC3\xA9\xED\xBF\xBF"sv, 2, "encoded surrogate U+DFFF"},
    {"CESU-8 pair for U+1F600", "\xED\xA0\xBD\xED\xB8\x80"sv, 0, "encoded surrogate U+D83D"},

    // Above U+10FFFF.
    {"F4 90 80 80, U+110000", "\xF4\x90\x80\x80"sv, 0, "code point U+110000 is above U+10FFFF"},
    {"F4 BF BF BF, U+13FFFF", "a\xF4\xBF\xBF\xBF"sv, 1, "code point U+13FFFF is above U+10FFFF"},

    // Bytes that never appear.
    {"F5", "\xF5\x80\x80\x80"sv, 0, "byte 0xF5 never appears in UTF-8"},
    {"F7", "\xF7\xBF\xBF\xBF"sv, 0, "byte 0xF7 never appears in UTF-8"},
    {"F8", "\xF8\x88\x80\x80\x80"sv, 0, "byte 0xF8 never appears in UTF-8"},
    {"FE", "abc\xFE"sv, 3, "byte 0xFE never appears in UTF-8"},
    {"FF", "\xFF"sv, 0, "byte 0xFF never appears in UTF-8"},

    // Truncated sequences: at the end of the input, and cut short by a non-continuation byte.
    {"C3 at the end", "caf\xC3"sv, 3,
     "truncated sequence: lead byte 0xC3 needs 1 continuation byte, the input has 0"},
    {"E2 82 at the end", "\xE2\x82"sv, 0,
     "truncated sequence: lead byte 0xE2 needs 2 continuation bytes, the input has 1"},
    {"F0 9F 98 at the end", "x\xF0\x9F\x98"sv, 1,
     "truncated sequence: lead byte 0xF0 needs 3 continuation bytes, the input has 2"},
    {"C3 then ascii", "\xC3("sv, 0,
     "truncated sequence: lead byte 0xC3 needs 1 continuation byte, byte 0x28 at offset 1 "
     "is not one"},
    {"E2 41 82", "ab\xE2\x41\x82"sv, 2,
     "truncated sequence: lead byte 0xE2 needs 2 continuation bytes, byte 0x41 at offset 3 "
     "is not one"},
    {"E2 82 then a new lead byte", "\xE2\x82\xE2\x82\xAC"sv, 0,
     "truncated sequence: lead byte 0xE2 needs 2 continuation bytes, byte 0xE2 at offset 2 "
     "is not one"},
    {"F0 9F 98 then NUL", "\xF0\x9F\x98\0"sv, 0,
     "truncated sequence: lead byte 0xF0 needs 3 continuation bytes, byte 0x00 at offset 3 "
     "is not one"},
};

void ExpectUtf8Error(const Error& e, const BadUtf8Case& c) {
  EXPECT_EQ(e.code, ErrorCode::kInvalidUtf8) << ErrorCodeName(e.code);
  EXPECT_EQ(e.rule, "RFC 3629");
  EXPECT_EQ(e.field, "");
  EXPECT_EQ(e.offset, c.offset);
  EXPECT_EQ(e.reason, c.reason);
}

// Each function that reads UTF-8 rejects each kind the same way.
TEST(TextUtf8Test, RejectsIllFormedRfc3629Section4) {
  for (const BadUtf8Case& c : kBadUtf8) {
    SCOPED_TRACE(c.name);

    Status valid = ValidateUtf8(c.input);
    ASSERT_FALSE(valid.ok());
    ExpectUtf8Error(valid.error(), c);

    Result<Bytes> utf16 = Utf8ToUtf16Le(c.input);
    ASSERT_FALSE(utf16.ok());
    ExpectUtf8Error(utf16.error(), c);

    Result<std::string> upper = ToUpperUtf8(c.input);
    ASSERT_FALSE(upper.ok());
    ExpectUtf8Error(upper.error(), c);

    if (c.prefix_is_oem) {
      Result<Bytes> oem = Utf8ToOem(c.input);
      ASSERT_FALSE(oem.ok());
      ExpectUtf8Error(oem.error(), c);
    }
  }
}

// The ASCII start of an input is taken eight bytes at a time, then byte by byte; what follows
// is decoded with every check, its error offsets counted from the start of the input.
TEST(TextUtf8Test, FaultAfterAsciiRunKeepsItsOffset) {
  for (size_t ascii = 0; ascii <= 19; ++ascii) {
    SCOPED_TRACE(ascii);
    const std::string run(ascii, 'x');
    Result<Bytes> bad = Utf8ToUtf16Le(run + "\xc0\x80");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidUtf8);
    EXPECT_EQ(bad.error().offset, ascii);
    EXPECT_EQ(bad.error().reason, "byte 0xC0 can only begin an overlong encoding");

    Result<Bytes> good = Utf8ToUtf16Le(run +
                                       "\xc3\xa9"
                                       "abcdefghij");
    ASSERT_TRUE(good.ok());
    Bytes want;
    for (size_t i = 0; i < ascii; ++i) {
      want.push_back('x');
      want.push_back(0);
    }
    want.push_back(0xE9);
    want.push_back(0x00);
    for (char ch = 'a'; ch <= 'j'; ++ch) {
      want.push_back(static_cast<uint8_t>(ch));
      want.push_back(0);
    }
    EXPECT_EQ(*good, want);
  }
}

TEST(TextUtf8Test, AcceptsEmptyAndNul) {
  EXPECT_TRUE(ValidateUtf8("").ok());
  EXPECT_TRUE(ValidateUtf8("\0"sv).ok());
  EXPECT_TRUE(ValidateUtf8("a\0\xC3\xA9\0"sv).ok());
}

// A second reading of RFC 3629 section 4, written straight from its UTF8-char rule: each row is
// a lead-byte range, the range its second byte must fall in, and how many continuation bytes
// follow. Returns the offset of the first ill-formed sequence, or npos.
size_t FirstBadUtf8Offset(std::string_view s) {
  struct Row {
    uint8_t lead_lo, lead_hi, second_lo, second_hi;
    size_t tail_len;
  };
  static constexpr Row kRows[] = {
      {0xC2, 0xDF, 0x80, 0xBF, 1}, {0xE0, 0xE0, 0xA0, 0xBF, 2}, {0xE1, 0xEC, 0x80, 0xBF, 2},
      {0xED, 0xED, 0x80, 0x9F, 2}, {0xEE, 0xEF, 0x80, 0xBF, 2}, {0xF0, 0xF0, 0x90, 0xBF, 3},
      {0xF1, 0xF3, 0x80, 0xBF, 3}, {0xF4, 0xF4, 0x80, 0x8F, 3},
  };
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t lead = static_cast<uint8_t>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const Row* row = nullptr;
    for (const Row& r : kRows) {
      if (lead >= r.lead_lo && lead <= r.lead_hi) {
        row = &r;
      }
    }
    if (row == nullptr || row->tail_len > s.size() - i - 1) {
      return i;
    }
    const uint8_t second = static_cast<uint8_t>(s[i + 1]);
    if (second < row->second_lo || second > row->second_hi) {
      return i;
    }
    for (size_t k = 2; k <= row->tail_len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) {
        return i;
      }
    }
    i += 1 + row->tail_len;
  }
  return std::string_view::npos;
}

void ExpectMatchesGrammar(std::string_view s) {
  const size_t want = FirstBadUtf8Offset(s);
  Status got = ValidateUtf8(s);
  ASSERT_EQ(got.ok(), want == std::string_view::npos) << ToHex(AsBytes(s));
  if (!got.ok()) {
    ASSERT_EQ(got.error().code, ErrorCode::kInvalidUtf8) << ToHex(AsBytes(s));
    ASSERT_EQ(got.error().offset, want) << ToHex(AsBytes(s));
  }
}

// Every input of one and two bytes, and four-byte inputs with every multi-byte lead byte (and
// its neighbours C0, C1, F5..F7) and every second byte, against the grammar above: the same
// verdict and the same offset. Past the second byte, only lead bytes C2..F4 look further.
TEST(TextUtf8Test, MatchesRfc3629GrammarOnShortInputs) {
  for (int a = 0; a < 256; ++a) {
    const char one[1] = {static_cast<char>(a)};
    ExpectMatchesGrammar(std::string_view(one, 1));
    for (int b = 0; b < 256; ++b) {
      const char two[2] = {static_cast<char>(a), static_cast<char>(b)};
      ExpectMatchesGrammar(std::string_view(two, 2));
    }
  }

  // Third and fourth bytes from: ASCII, the two ends of the continuation range, a lead byte.
  static constexpr uint8_t kTail[] = {0x41, 0x80, 0xBF, 0xC3};
  for (int a = 0xC0; a <= 0xF7; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (uint8_t c : kTail) {
        for (uint8_t d : kTail) {
          const char four[4] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                                static_cast<char>(d)};
          ExpectMatchesGrammar(std::string_view(four, 4));
        }
      }
    }
  }
}

// The offset points into the whole message once the caller nests the error.
TEST(TextUtf8Test, ErrorNestsIntoMessageOffsets) {
  Result<Bytes> r = Utf8ToUtf16Le("us\xFFr"sv);
  ASSERT_FALSE(r.ok());
  const Error nested = r.error().Nested("UserName", 88);
  EXPECT_EQ(nested.offset, 90u);
  EXPECT_EQ(nested.ToString(),
            "UserName at offset 90: byte 0xFF never appears in UTF-8 [RFC 3629]");
}

// ---------------------------------------------------------------------------------------------
// Ill-formed UTF-16LE (RFC 2781 section 2.2).

struct BadUtf16Case {
  const char* name;
  const char* hex;
  ErrorCode code;
  size_t offset;
  const char* reason;
};

const BadUtf16Case kBadUtf16[] = {
    {"one byte", "61", ErrorCode::kOddLengthUtf16, 0,
     "odd byte count 1: UTF-16LE needs two bytes per code unit"},
    {"three bytes", "610062", ErrorCode::kOddLengthUtf16, 2,
     "odd byte count 3: UTF-16LE needs two bytes per code unit"},
    {"odd length wins over a lone surrogate", "00dc6100 62", ErrorCode::kOddLengthUtf16, 4,
     "odd byte count 5: UTF-16LE needs two bytes per code unit"},
    {"lone high surrogate at the end", "61003dd8", ErrorCode::kInvalidUtf16, 2,
     "lone high surrogate U+D83D at the end of the input"},
    {"lone high surrogate alone", "ffdb", ErrorCode::kInvalidUtf16, 0,
     "lone high surrogate U+DBFF at the end of the input"},
    {"lone low surrogate at the start", "00de6100", ErrorCode::kInvalidUtf16, 0,
     "lone low surrogate U+DE00"},
    {"reversed pair DE00 D83D", "00de3dd8", ErrorCode::kInvalidUtf16, 0,
     "lone low surrogate U+DE00"},
    {"high surrogate then ascii", "3dd84100", ErrorCode::kInvalidUtf16, 0,
     "lone high surrogate U+D83D followed by U+0041 instead of a low surrogate"},
    {"high surrogate then high surrogate", "6100 3dd8 3dd8 00de", ErrorCode::kInvalidUtf16, 2,
     "lone high surrogate U+D83D followed by U+D83D instead of a low surrogate"},
    {"low surrogate after a full pair", "3dd800de 00de", ErrorCode::kInvalidUtf16, 4,
     "lone low surrogate U+DE00"},
    {"high surrogate then NUL", "00d80000", ErrorCode::kInvalidUtf16, 0,
     "lone high surrogate U+D800 followed by U+0000 instead of a low surrogate"},
};

TEST(TextUtf16Test, RejectsIllFormedRfc2781Section22) {
  for (const BadUtf16Case& c : kBadUtf16) {
    SCOPED_TRACE(c.name);
    Result<std::string> r = Utf16LeToUtf8(Hex(StripSpaces(c.hex)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code) << ErrorCodeName(r.error().code);
    EXPECT_EQ(r.error().rule, "RFC 2781");
    EXPECT_EQ(r.error().field, "");
    EXPECT_EQ(r.error().offset, c.offset);
    EXPECT_EQ(r.error().reason, c.reason);
  }
}

// Every lone code unit: a surrogate alone is an error, anything else decodes.
TEST(TextUtf16Test, EverySingleCodeUnit) {
  for (uint32_t unit = 0; unit <= 0xFFFF; ++unit) {
    const uint8_t bytes[2] = {static_cast<uint8_t>(unit), static_cast<uint8_t>(unit >> 8)};
    Result<std::string> r = Utf16LeToUtf8(ByteView(bytes, 2));
    const bool surrogate = unit >= 0xD800 && unit <= 0xDFFF;
    ASSERT_EQ(r.ok(), !surrogate) << unit;
    if (surrogate) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidUtf16) << unit;
    } else {
      EXPECT_EQ(*r, EncodeUtf8(unit)) << unit;
    }
  }
}

// The ASCII start of an input is taken four units at a time, then unit by unit; a fault after it
// keeps its offset from the start of the input, and ValidateUtf16Le reports exactly what
// Utf16LeToUtf8 does.
TEST(TextUtf16Test, FaultAfterAsciiRunKeepsItsOffset) {
  for (size_t ascii = 0; ascii <= 19; ++ascii) {
    SCOPED_TRACE(ascii);
    Bytes b;
    for (size_t i = 0; i < ascii; ++i) {
      b.push_back(static_cast<uint8_t>('a' + i % 26));
      b.push_back(0);
    }
    Bytes good = b;
    good.push_back(0xE9);  // U+00E9, not ASCII: the rest goes the general way
    good.push_back(0x00);
    good.push_back('z');
    good.push_back(0x00);
    Result<std::string> ok = Utf16LeToUtf8(good);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->size(), ascii + 3);
    EXPECT_EQ(ok->substr(ascii), "\xc3\xa9z");
    EXPECT_TRUE(ValidateUtf16Le(good).ok());

    b.push_back(0x00);  // a lone low surrogate U+DC00
    b.push_back(0xDC);
    Result<std::string> r = Utf16LeToUtf8(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidUtf16);
    EXPECT_EQ(r.error().offset, 2 * ascii);
    EXPECT_EQ(r.error().reason, "lone low surrogate U+DC00");
    Status v = ValidateUtf16Le(b);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, r.error().code);
    EXPECT_EQ(v.error().rule, r.error().rule);
    EXPECT_EQ(v.error().offset, r.error().offset);
    EXPECT_EQ(v.error().reason, r.error().reason);
  }
}

// Units that look almost ASCII: U+0080 (the low byte's top bit) and U+0141 (a high byte) inside
// what would be a run of four.
TEST(TextUtf16Test, NearlyAsciiUnitsInARun) {
  const Bytes b = Hex("61006200800063006400650066004101670068006900");
  Result<std::string> r = Utf16LeToUtf8(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "ab\xc2\x80"
            "cdef\xc5\x81"
            "ghi");
  EXPECT_TRUE(ValidateUtf16Le(b).ok());
  const Status odd = ValidateUtf16Le(Hex("6100620063"));
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, ErrorCode::kOddLengthUtf16);
  EXPECT_EQ(odd.error().offset, 4u);
}

TEST(TextUtf16Test, Empty) {
  Result<std::string> r = Utf16LeToUtf8(ByteView());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
}

// ---------------------------------------------------------------------------------------------
// OEM as ISO-8859-1 ([MS-NLMP] 2.2.2.5, NTLMSSP_NEGOTIATE_OEM).

TEST(TextOemTest, EveryByteRoundTrips) {
  Bytes all;
  for (int b = 0; b < 256; ++b) {
    all.push_back(static_cast<uint8_t>(b));
  }
  const std::string utf8 = OemToUtf8(all);
  EXPECT_EQ(utf8.size(), 128u + 2 * 128u);
  EXPECT_TRUE(ValidateUtf8(utf8).ok());

  Result<Bytes> back = Utf8ToOem(utf8);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_TRUE(*back == all);
}

TEST(TextOemTest, Values) {
  EXPECT_EQ(OemToUtf8(Hex("")), "");
  EXPECT_EQ(OemToUtf8(Hex("557365723031")), "User01");
  EXPECT_EQ(OemToUtf8(Hex("4de46e6e6572")), "Männer");
  EXPECT_EQ(OemToUtf8(Hex("61006200")), "a\0b\0"sv);
  EXPECT_EQ(OemToUtf8(Hex("80a0ff")), "\xC2\x80\xC2\xA0\xC3\xBF");

  Result<Bytes> oem = Utf8ToOem("Müller\0"sv);
  ASSERT_TRUE(oem.ok());
  EXPECT_EQ(ToHex(*oem), "4dfc6c6c657200");

  Result<Bytes> empty = Utf8ToOem("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

struct NotOemCase {
  const char* name;
  std::string_view input;
  size_t offset;
  const char* reason;
};

const NotOemCase kNotOem[] = {
    {"U+0100, the first code point past ISO-8859-1", "\xC4\x80"sv, 0,
     "U+0100 has no OEM (ISO-8859-1) byte"},
    {"euro sign after a two-byte letter", "a\xC3\xA9\xE2\x82\xAC"sv, 3,
     "U+20AC has no OEM (ISO-8859-1) byte"},
    {"cyrillic", "юзер"sv, 0, "U+044E has no OEM (ISO-8859-1) byte"},
    {"emoji", "hi \xF0\x9F\x98\x80"sv, 3, "U+1F600 has no OEM (ISO-8859-1) byte"},
};

TEST(TextOemTest, RejectsCodePointsAboveU00FF) {
  for (const NotOemCase& c : kNotOem) {
    SCOPED_TRACE(c.name);
    Result<Bytes> r = Utf8ToOem(c.input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().rule, "ISO/IEC 8859-1");
    EXPECT_EQ(r.error().field, "");
    EXPECT_EQ(r.error().offset, c.offset);
    EXPECT_EQ(r.error().reason, c.reason);
  }
}

// ---------------------------------------------------------------------------------------------
// Upper-casing for NTOWFv2 ([MS-NLMP] 3.3.2): simple 1:1 mappings only.

struct UpcaseCase {
  const char* name;
  char32_t cp;
  char32_t upper;
};

const UpcaseCase kUpcase[] = {
    // ASCII.
    {"NUL", 0x0000, 0x0000},
    {"'a'", U'a', U'A'},
    {"'z'", U'z', U'Z'},
    {"'A' already upper", U'A', U'A'},
    {"'@' before 'A'", U'@', U'@'},
    {"'[' after 'Z'", U'[', U'['},
    {"'`' before 'a'", U'`', U'`'},
    {"'{' after 'z'", U'{', U'{'},
    {"'5'", U'5', U'5'},
    {"'i' is 'I', never U+0130", U'i', U'I'},

    // Latin-1 and Latin Extended.
    {"U+00B5 micro sign -> U+039C", 0x00B5, 0x039C},
    {"U+00E9 e acute", 0x00E9, 0x00C9},
    {"U+00F7 division sign", 0x00F7, 0x00F7},
    {"U+00FF y diaeresis -> U+0178", 0x00FF, 0x0178},
    {"U+0100 already upper", 0x0100, 0x0100},
    {"U+0101", 0x0101, 0x0100},
    {"U+0102 inside the stride-2 row U+0101..U+012F, other parity", 0x0102, 0x0102},
    {"U+012F", 0x012F, 0x012E},
    {"U+0130 capital I with dot stays", 0x0130, 0x0130},
    {"U+0131 dotless i -> 'I'", 0x0131, U'I'},
    {"U+017F long s -> 'S'", 0x017F, U'S'},
    {"U+01C4 DZ caron stays", 0x01C4, 0x01C4},
    {"U+01C5 Dz caron (titlecase) -> U+01C4", 0x01C5, 0x01C4},
    {"U+01C6 dz caron -> U+01C4", 0x01C6, 0x01C4},
    {"U+0250 turned a -> U+2C6F", 0x0250, 0x2C6F},

    // Greek.
    {"U+03B1 alpha", 0x03B1, 0x0391},
    {"U+03C2 final sigma -> U+03A3", 0x03C2, 0x03A3},
    {"U+03C3 sigma -> U+03A3", 0x03C3, 0x03A3},
    {"U+0345 ypogegrammeni -> U+0399", 0x0345, 0x0399},
    {"U+1F00 -> U+1F08", 0x1F00, 0x1F08},

    // Cyrillic, Armenian, Georgian, Cherokee.
    {"U+044E yu", 0x044E, 0x042E},
    {"U+0451 io", 0x0451, 0x0401},
    {"U+0561 Armenian ayb", 0x0561, 0x0531},
    {"U+10D0 Georgian an -> Mtavruli U+1C90", 0x10D0, 0x1C90},
    {"U+13F8 Cherokee small ye -> U+13F0", 0x13F8, 0x13F0},
    {"U+AB70 Cherokee small a -> U+13A0", 0xAB70, 0x13A0},
    {"U+ABBF Cherokee small ya -> U+13EF", 0xABBF, 0x13EF},
    {"U+13A0 Cherokee A stays", 0x13A0, 0x13A0},

    // Symbols and compatibility forms.
    {"U+2170 small roman numeral one", 0x2170, 0x2160},
    {"U+24D0 circled a", 0x24D0, 0x24B6},
    {"U+FF41 fullwidth a", 0xFF41, 0xFF21},

    // Supplementary planes stay: Windows upper-cases UTF-16 units, a surrogate never changes.
    {"U+10428 Deseret long i stays", 0x10428, 0x10428},
    {"U+1044F Deseret ew stays", 0x1044F, 0x1044F},
    {"U+10400 Deseret capital stays", 0x10400, 0x10400},
    {"U+1E922 Adlam alif stays", 0x1E922, 0x1E922},
    {"U+1F600 emoji", 0x1F600, 0x1F600},
    {"U+10FFFF", 0x10FFFF, 0x10FFFF},

    // Full uppercase of more than one code point: left as is.
    {"U+00DF sharp s", 0x00DF, 0x00DF},
    {"U+0149 n preceded by apostrophe", 0x0149, 0x0149},
    {"U+01F0 j caron", 0x01F0, 0x01F0},
    {"U+0390 iota dialytika tonos", 0x0390, 0x0390},
    {"U+0587 Armenian ech yiwn", 0x0587, 0x0587},
    {"U+1E96 h line below", 0x1E96, 0x1E96},
    {"U+1E9A a right half ring", 0x1E9A, 0x1E9A},
    {"U+1F80 (simple uppercase U+1F88, full 1F08 0399)", 0x1F80, 0x1F80},
    {"U+1FB3 (simple uppercase U+1FBC, full 0391 0399)", 0x1FB3, 0x1FB3},
    {"U+FB00 ff ligature", 0xFB00, 0xFB00},
    {"U+FB13 Armenian men now", 0xFB13, 0xFB13},

    // Not scalar values: returned unchanged.
    {"U+D800 surrogate", 0xD800, 0xD800},
    {"U+DFFF surrogate", 0xDFFF, 0xDFFF},
    {"U+110000", 0x110000, 0x110000},
    {"0xFFFFFFFF", 0xFFFFFFFF, 0xFFFFFFFF},
};

TEST(TextUpcaseTest, CodePoints) {
  for (const UpcaseCase& c : kUpcase) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(static_cast<uint32_t>(UpcaseCodePoint(c.cp)), static_cast<uint32_t>(c.upper));
  }
}

// Holds UpcaseCodePoint, over every code point, to the count and checksum the generator
// computed from Python's Unicode data (scripts/gen_upcase_table.py, same FNV-1a).
TEST(TextUpcaseTest, MatchesGeneratedTableEverywhere) {
  size_t mapped = 0;
  uint32_t h = 0x811C9DC5;
  auto mix = [&h](uint32_t v) {
    for (int shift = 0; shift < 32; shift += 8) {
      h ^= (v >> shift) & 0xFF;
      h *= 0x01000193;
    }
  };
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const char32_t upper = UpcaseCodePoint(cp);
    if (upper == cp) {
      continue;
    }
    ++mapped;
    mix(cp);
    mix(upper);

    // A result is a scalar value whose own uppercase is itself.
    ASSERT_FALSE(cp >= 0xD800 && cp <= 0xDFFF) << static_cast<uint32_t>(cp);
    ASSERT_FALSE(upper >= 0xD800 && upper <= 0xDFFF) << static_cast<uint32_t>(cp);
    ASSERT_LE(upper, 0x10FFFFu) << static_cast<uint32_t>(cp);
    ASSERT_EQ(UpcaseCodePoint(upper), upper) << static_cast<uint32_t>(cp);
  }
  EXPECT_EQ(mapped, generated::kUpcaseMappedCount);
  EXPECT_EQ(h, generated::kUpcaseChecksum);
  EXPECT_STREQ(generated::kUpcaseUnicodeVersion, "14.0.0");
}

struct ToUpperCase {
  const char* name;
  std::string_view input;
  std::string_view upper;
};

const ToUpperCase kToUpper[] = {
    {"empty", ""sv, ""sv},
    {"ascii user", "user@domain.example"sv, "USER@DOMAIN.EXAMPLE"sv},
    {"already upper", "ADMINISTRATOR"sv, "ADMINISTRATOR"sv},
    {"cyrillic", "юзер"sv, "ЮЗЕР"sv},
    {"mixed script", "Юзер-user"sv, "ЮЗЕР-USER"sv},
    {"sharp s stays", "straße"sv, "STRAßE"sv},
    {"dz caron", "\xC7\x86"sv, "\xC7\x84"sv},
    {"greek with final sigma", "οδυσσευς"sv, "ΟΔΥΣΣΕΥΣ"sv},
    {"dotless i shrinks to one byte", "\xC4\xB1"sv, "I"sv},
    {"turned a grows to three bytes", "\xC9\x90"sv, "\xE2\xB1\xAF"sv},
    {"georgian", "ანა"sv, "ᲐᲜᲐ"sv},
    {"cherokee small letters", "\xEA\xAD\xB0\xEA\xAE\xBF"sv, "\xE1\x8E\xA0\xE1\x8F\xAF"sv},
    {"deseret U+10428 stays", "\xF0\x90\x90\xA8"sv, "\xF0\x90\x90\xA8"sv},
    {"emoji unchanged", "a\xF0\x9F\x98\x80"sv, "A\xF0\x9F\x98\x80"sv},
    {"NUL inside", "a\0b"sv, "A\0B"sv},
    {"cjk unchanged", "用户"sv, "用户"sv},
};

TEST(TextUpcaseTest, ToUpperUtf8) {
  for (const ToUpperCase& c : kToUpper) {
    SCOPED_TRACE(c.name);
    Result<std::string> r = ToUpperUtf8(c.input);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, std::string(c.upper));
  }
}

}  // namespace
}  // namespace ntlm::text
