#include "engine/error.h"

namespace ntlm {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kPayloadOutOfBounds: return "payload_out_of_bounds";
    case ErrorCode::kPayloadOverlapsHeader: return "payload_overlaps_header";
    case ErrorCode::kBadSignature: return "bad_signature";
    case ErrorCode::kWrongMessageType: return "wrong_message_type";
    case ErrorCode::kBadLength: return "bad_length";
    case ErrorCode::kBadValue: return "bad_value";
    case ErrorCode::kAvPairMissingEol: return "av_pair_missing_eol";
    case ErrorCode::kAvPairTruncated: return "av_pair_truncated";
    case ErrorCode::kAvPairBadLength: return "av_pair_bad_length";
    case ErrorCode::kAvPairDuplicate: return "av_pair_duplicate";
    case ErrorCode::kAvPairUnknownId: return "av_pair_unknown_id";
    case ErrorCode::kTrailingBytes: return "trailing_bytes";
    case ErrorCode::kEmptyTargetInfo: return "empty_target_info";
    case ErrorCode::kInvalidUtf8: return "invalid_utf8";
    case ErrorCode::kInvalidUtf16: return "invalid_utf16";
    case ErrorCode::kOddLengthUtf16: return "odd_length_utf16";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kPolicyViolation: return "policy_violation";
    case ErrorCode::kAuthenticationFailed: return "authentication_failed";
    case ErrorCode::kUnsupported: return "unsupported";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out = field.empty() ? std::string("input") : field;
  out += " at offset ";
  out += std::to_string(offset);
  out += ": ";
  out += reason.empty() ? std::string(ErrorCodeName(code)) : reason;
  if (!rule.empty()) {
    out += " [";
    out += rule;
    out += "]";
  }
  return out;
}

Error Error::Nested(const std::string& outer, size_t base) const {
  Error e = *this;
  e.offset = base + offset;
  if (!outer.empty()) {
    e.field = field.empty() ? outer : outer + "." + field;
  }
  return e;
}

Error MakeError(ErrorCode code, std::string rule, std::string field, size_t offset,
                std::string reason) {
  Error e;
  e.code = code;
  e.rule = std::move(rule);
  e.field = std::move(field);
  e.offset = offset;
  e.reason = std::move(reason);
  return e;
}

}  // namespace ntlm
