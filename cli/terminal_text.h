// ntlm-harness: making untrusted text safe to print on a terminal.
//
// Anything ntlmh echoes that it did not write itself (a file name, a key from a vector file, a
// user name decoded off the wire, a parser's complaint quoting its input) may hold bytes that a
// terminal acts on: a newline that starts a forged "PASS" line, a NUL that cuts the line short,
// an escape sequence, a C1 control, or a bidirectional override that shows text in another
// order than it is stored. EscapeForTerminal spells every such character out so that one
// string always prints as one visible line.
//
// Example:
//   std::printf("error: %s\n", ntlmh::EscapeForTerminal(path).c_str());
//   // "a\nFAIL" prints as  a\x0aFAIL
#ifndef NTLMH_CLI_TERMINAL_TEXT_H_
#define NTLMH_CLI_TERMINAL_TEXT_H_

#include <string>
#include <string_view>

namespace ntlmh {

// Returns |text| with every character a terminal could act on written as an escape:
//   - C0 controls U+0000..U+001F (newline, tab and ESC included) and DEL U+007F: \xNN;
//   - a byte that is not part of valid UTF-8 (stray, overlong, surrogate, too large): \xNN;
//   - the backslash itself: \\ (so an escape in the output always means an escaped character,
//     and the original text can be recovered);
//   - C1 controls U+0080..U+009F, bidirectional controls (U+061C, U+200E, U+200F,
//     U+202A..U+202E, U+2066..U+2069), the line and paragraph separators U+2028, U+2029 and
//     the invisible U+200B..U+200D, U+2060, U+FEFF: \u{hex}, lowercase, no leading zeros.
// NN and hex are lowercase. Every other character, printable ASCII and valid UTF-8 alike, is
// kept as it is. The result never holds a byte below 0x20 or 0x7F, and the function never
// fails. Apply it exactly once, where the text is put into a line of output.
std::string EscapeForTerminal(std::string_view text);

}  // namespace ntlmh

#endif  // NTLMH_CLI_TERMINAL_TEXT_H_
