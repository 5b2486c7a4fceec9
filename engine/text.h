// ntlm-harness engine: text encodings for NTLM.
//
// The engine's API speaks UTF-8. On the wire NTLM uses UTF-16LE (NEGOTIATE_UNICODE) or an OEM
// code page ([MS-NLMP] 2.2.2.5 "OEM"). We treat OEM bytes as ISO-8859-1 (each byte is the code
// point of the same value), so any OEM byte string round-trips exactly through UTF-8.
//
// Invalid input is an error, never a silent replacement: malformed, overlong or surrogate UTF-8,
// odd-length UTF-16LE and lone surrogates each give an Error whose offset is the byte offset of
// the first bad unit in the input.
#ifndef NTLM_ENGINE_TEXT_H_
#define NTLM_ENGINE_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::text {

// UTF-8 -> UTF-16LE bytes (surrogate pairs for code points above U+FFFF).
Result<Bytes> Utf8ToUtf16Le(std::string_view utf8);

// UTF-16LE bytes -> UTF-8. Odd length: kOddLengthUtf16; lone surrogate: kInvalidUtf16.
Result<std::string> Utf16LeToUtf8(ByteView utf16le);

// Checks |utf16le| as Utf16LeToUtf8 does, with the same errors, without building the string.
Status ValidateUtf16Le(ByteView utf16le);

// OEM (ISO-8859-1) bytes -> UTF-8. Never fails.
std::string OemToUtf8(ByteView oem);

// UTF-8 -> OEM (ISO-8859-1). A code point above U+00FF is kInvalidArgument naming its offset.
Result<Bytes> Utf8ToOem(std::string_view utf8);

// Checks that |utf8| is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
Status ValidateUtf8(std::string_view utf8);

// Simple (1:1) Unicode uppercase mapping of one code point, as Windows upper-cases user names
// for NTOWFv2 ([MS-NLMP] 3.3.2): 'a'->'A', U+044E 'ю'->U+042E 'Ю'; code points whose uppercase
// is more than one code point (U+00DF 'ß') stay as they are. Only the Basic Multilingual Plane
// is mapped: Windows upper-cases UTF-16 units one at a time, so a supplementary-plane letter (a
// surrogate pair on the wire) never changes.
char32_t UpcaseCodePoint(char32_t cp);

// Upper-cases a whole UTF-8 string with UpcaseCodePoint. Invalid UTF-8 is an error.
Result<std::string> ToUpperUtf8(std::string_view utf8);

}  // namespace ntlm::text

#endif  // NTLM_ENGINE_TEXT_H_
