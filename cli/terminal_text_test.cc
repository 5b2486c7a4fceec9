// Tests of EscapeForTerminal: each class of character a terminal acts on is spelled out, and
// everything else passes through unchanged.
#include "cli/terminal_text.h"

#include <gtest/gtest.h>

#include <string>

namespace ntlmh {
namespace {

struct Row {
  std::string input;
  std::string expected;
};

TEST(EscapeForTerminal, Table) {
  const Row kRows[] = {
      // Kept as they are.
      {"", ""},
      {"plain ASCII: a-z 0-9 ./:+ ~", "plain ASCII: a-z 0-9 ./:+ ~"},
      {"\xc3\xa9t\xc3\xa9 \xd1\x8e\xd0\xb7\xd0\xb5\xd1\x80",
       "\xc3\xa9t\xc3\xa9 \xd1\x8e\xd0\xb7\xd0\xb5\xd1\x80"},
      {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},  // U+1F600, four bytes
      {"\xc2\xa0", "\xc2\xa0"},                  // U+00A0, just past C1
      // C0 controls and DEL, as bytes.
      {"a b\nFAIL fake", "a b\\x0aFAIL fake"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"\r\t\x1b[31m", "\\x0d\\x09\\x1b[31m"},
      {"\x7f", "\\x7f"},
      // The backslash, so that escapes cannot be forged.
      {"a\\x0ab", "a\\\\x0ab"},
      // C1 controls (U+009B is CSI), as code points.
      {"\xc2\x80\xc2\x9b\xc2\x9f", "\\u{80}\\u{9b}\\u{9f}"},
      // Bidirectional controls, separators, invisible characters.
      {"\xe2\x80\xae"
       "evil",
       "\\u{202e}evil"},
      {"\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9",
       "\\u{61c}\\u{200e}\\u{200f}\\u{202a}\\u{2066}\\u{2069}"},
      {"\xe2\x80\xa8\xe2\x80\xa9", "\\u{2028}\\u{2029}"},
      {"\xe2\x80\x8b\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf", "\\u{200b}\\u{200d}\\u{2060}\\u{feff}"},
      // Not UTF-8: each offending byte.
      {"\xff", "\\xff"},
      {"\x80x", "\\x80x"},                           // stray continuation byte
      {"\xc3", "\\xc3"},                             // truncated at the end
      {"\xc3(", "\\xc3("},                           // bad continuation
      {"\xc0\xaf", "\\xc0\\xaf"},                    // overlong '/'
      {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},           // overlong, three bytes
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},           // encoded surrogate U+D800
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},  // above U+10FFFF
      {"\xf0\x9f\x98", "\\xf0\\x9f\\x98"},           // truncated four-byte sequence
  };
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.expected);
    EXPECT_EQ(EscapeForTerminal(row.input), row.expected);
  }
}

TEST(EscapeForTerminal, OutputHoldsNoControlByte) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) {
    every_byte.push_back(static_cast<char>(b));
  }
  const std::string out = EscapeForTerminal(every_byte);
  for (const char c : out) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b >= 0x20 && b != 0x7F) << static_cast<int>(b);
  }
}

}  // namespace
}  // namespace ntlmh
