// ntlm-harness engine: error values.
//
// The engine never throws across its API. Every fallible call returns a Result<T>, which holds
// either a value or an Error. An Error names:
//   - code:   what kind of rule was broken (ErrorCode, stable, usable by callers and the CLI),
//   - rule:   the spec section the rule comes from, e.g. "MS-NLMP 2.2.1.2",
//   - field:  the message field being read, e.g. "TargetInfoFields.BufferOffset",
//   - offset: the byte offset in the input at which the problem was found,
//   - reason: one readable sentence.
// ToString() gives "<field> at offset <n>: <reason> [<rule>]", the CLI's error line.
#ifndef NTLM_ENGINE_ERROR_H_
#define NTLM_ENGINE_ERROR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ntlm {

// "1 byte", "0 bytes", "12 bytes": counts in reasons read as English.
inline std::string ByteCount(size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

enum class ErrorCode : uint16_t {
  kTruncated = 1,           // fewer bytes than a fixed-size field needs
  kPayloadOutOfBounds,      // a (Len, Offset) pair points outside the message
  kPayloadOverlapsHeader,   // a payload offset points into the fixed header
  kBadSignature,            // Signature is not "NTLMSSP\0" (MS-NLMP 2.2.1)
  kWrongMessageType,        // MessageType is not the one expected
  kBadLength,               // a length that the spec fixes has another value
  kBadValue,                // a field holds a value the spec does not allow
  kAvPairMissingEol,        // AV pair list ends without MsvAvEOL (2.2.2.1)
  kAvPairTruncated,         // an AV pair's AvLen runs past its list
  kAvPairBadLength,         // a fixed-size AV pair with the wrong AvLen (2.2.2.1)
  kAvPairDuplicate,         // the same AvId twice
  kAvPairUnknownId,         // an AvId the spec does not define (strict policy only)
  kTrailingBytes,           // bytes after the end of a structure (strict policy only)
  kEmptyTargetInfo,         // NEGOTIATE_TARGET_INFO set, target info empty (strict only)
  kInvalidUtf8,
  kInvalidUtf16,            // lone surrogate
  kOddLengthUtf16,          // a Unicode string with an odd byte count
  kTooLarge,                // a value too large for its 16-bit length field, or a limit
  kInvalidArgument,         // a caller's argument is unusable
  kPolicyViolation,         // a rule of the caller's policy was broken
  kAuthenticationFailed,    // a response, MIC or signature did not verify
  kUnsupported,
};

// A stable lower_snake name of the code, e.g. "payload_out_of_bounds".
const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string rule;    // spec section, e.g. "MS-NLMP 2.2.2.1"; may be empty
  std::string field;   // the field being read or checked; may be empty
  size_t offset = 0;   // byte offset in the input where the fault was found
  std::string reason;  // readable sentence, no trailing period

  // "<field> at offset <n>: <reason> [<rule>]"
  std::string ToString() const;

  // Returns a copy whose offset is moved by |base| and whose field is |outer| + "." + field
  // (or |outer| when field is empty). Used when a nested reader reports inside a larger message.
  Error Nested(const std::string& outer, size_t base) const;
};

Error MakeError(ErrorCode code, std::string rule, std::string field, size_t offset,
                std::string reason);

// Result<T>: a value or an Error. Must be used.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT(runtime/explicit)
  Result(Error error) : v_(std::move(error)) {}       // NOLINT(runtime/explicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(runtime/explicit)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_ERROR_H_
