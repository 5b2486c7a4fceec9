// Fuzz target: AUTHENTICATE_MESSAGE decode and encode, [MS-NLMP] 2.2.1.3, with the NTLMv2
// response inside it (2.2.2.8).
//
// Input: the message bytes. Decodes under DecodePolicy::Strict() and ::Lenient(), lints what
// decodes, and checks the round-trip rules of fuzz/message_oracle.h. On top of them:
//   - the MIC the decoder reports is the 16 bytes at offset 72 (what a verifier zeroes);
//   - ZeroMicField succeeds exactly when the message has those bytes, and zeroes only them.
// The classic input (KEY_EXCH with a 64-byte EncryptedRandomSessionKey) is in
// fuzz/regressions/authenticate/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "engine/compute.h"
#include "fuzz/message_oracle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ntlm::ByteView input(data, size);
  [[maybe_unused]] auto [strict, lenient] =
      ntlm::fuzz::CheckMessageRoundTrip<ntlm::fuzz::AuthenticateCodec>(input);
  if (!lenient.has_value()) {
    return 0;
  }
  ntlm::Result<ntlm::MessageType> type = ntlm::PeekMessageType(input);
  FUZZ_CHECK(type.ok() && *type == ntlm::MessageType::kAuthenticate,
             "PeekMessageType disagrees with DecodeAuthenticate: " + ntlm::fuzz::Describe(type));

  constexpr size_t kMicEnd = ntlm::kAuthenticateMicOffset + 16;
  if (lenient->mic.has_value()) {
    FUZZ_CHECK(size >= kMicEnd,
               "a MIC was decoded from a message of " + std::to_string(size) + " bytes");
    FUZZ_CHECK(
        ntlm::fuzz::SameBytes(*lenient->mic, input.subspan(ntlm::kAuthenticateMicOffset, 16)),
        "the decoded MIC is not the 16 bytes at offset 72");
  }
  ntlm::Result<ntlm::Bytes> zeroed = ntlm::ZeroMicField(input);
  FUZZ_CHECK(zeroed.ok() == (size >= kMicEnd),
             "ZeroMicField on " + std::to_string(size) + " bytes: " + ntlm::fuzz::Describe(zeroed));
  if (zeroed.ok()) {
    ntlm::Bytes want(input.begin(), input.end());
    for (size_t i = ntlm::kAuthenticateMicOffset; i < kMicEnd && i < want.size(); ++i) {
      want[i] = 0;
    }
    FUZZ_CHECK(*zeroed == want,
               "ZeroMicField changed more than the MIC: " + ntlm::fuzz::HexDiff(want, *zeroed));
  }
  return 0;
}
