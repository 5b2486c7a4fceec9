// Fuzz target: CHALLENGE_MESSAGE decode and encode, [MS-NLMP] 2.2.1.2, with its target info
// (2.2.2.1).
//
// Input: the message bytes. Decodes under DecodePolicy::Strict() and ::Lenient(), lints what
// decodes, and checks the round-trip rules of fuzz/message_oracle.h. The classic inputs (target
// info at offset 0xFFFFFFF0, a 40-byte CHALLENGE with NEGOTIATE_TARGET_INFO) are in
// fuzz/regressions/challenge/.
#include <cstddef>
#include <cstdint>

#include "fuzz/message_oracle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ntlm::ByteView input(data, size);
  [[maybe_unused]] auto [strict, lenient] =
      ntlm::fuzz::CheckMessageRoundTrip<ntlm::fuzz::ChallengeCodec>(input);
  if (lenient.has_value()) {
    ntlm::Result<ntlm::MessageType> type = ntlm::PeekMessageType(input);
    FUZZ_CHECK(type.ok() && *type == ntlm::MessageType::kChallenge,
               "PeekMessageType disagrees with DecodeChallenge: " + ntlm::fuzz::Describe(type));
    // The accessors a client uses on the decoded target info.
    if (lenient->target_info.has_value()) {
      const ntlm::TargetInfo& ti = *lenient->target_info;
      for (uint16_t id = 1; id <= ntlm::kMaxKnownAvId; ++id) {
        (void)ti.GetString(static_cast<ntlm::AvId>(id));
      }
      (void)ti.GetFlags();
      if (auto ts = ti.GetTimestamp(); ts.has_value()) {
        (void)ntlm::FileTimeToIso8601(*ts);
      }
    }
    if (lenient->version.has_value()) {
      (void)ntlm::VersionToString(*lenient->version);
    }
  }
  return 0;
}
