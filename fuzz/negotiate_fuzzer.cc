// Fuzz target: NEGOTIATE_MESSAGE decode and encode, [MS-NLMP] 2.2.1.1.
//
// Input: the message bytes. Decodes under DecodePolicy::Strict() and ::Lenient(), lints what
// decodes, and checks the round-trip rules of fuzz/message_oracle.h.
#include <cstddef>
#include <cstdint>

#include "fuzz/message_oracle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ntlm::ByteView input(data, size);
  (void)ntlm::fuzz::CheckMessageRoundTrip<ntlm::fuzz::NegotiateCodec>(input);
  // The signature peek every transport runs first must agree with the decoder about the type.
  ntlm::Result<ntlm::MessageType> type = ntlm::PeekMessageType(input);
  if (ntlm::DecodeNegotiate(input, ntlm::DecodePolicy::Lenient()).ok()) {
    FUZZ_CHECK(type.ok() && *type == ntlm::MessageType::kNegotiate,
               "PeekMessageType disagrees with DecodeNegotiate: " + ntlm::fuzz::Describe(type));
  }
  return 0;
}
