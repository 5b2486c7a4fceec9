// Fuzz target: NTLMv2_RESPONSE ([MS-NLMP] 2.2.2.8) and NTLMv2_CLIENT_CHALLENGE, the "blob"
// (2.2.2.7), decode and encode; and the two ways compute.h gets an NTProofStr from it.
//
// Input: the bytes of an NtChallengeResponse longer than 24 bytes (NTProofStr then the blob).
// Oracle, for DecodeNtlmV2Response and for DecodeNtlmV2ClientChallenge on the bytes after the
// first 16:
//   - Strict: the AV pairs end with MsvAvEOL and everything after it is kept as the trailer, so
//     the encoding is unique: NTProofStr || EncodeNtlmV2ClientChallenge(blob) == x.
//   - Lenient: the re-encoding decodes to the same values and is a fixed point.
//   - Strict only refuses more than Lenient, and reads the same values.
//   - When the blob is exactly the "temp" of 3.3.2 (reserved fields zero, trailer Z(4)), the
//     streaming NtProofStr over its fields equals NtProofStrOverTemp over its bytes, and
//     NtlmV2NtResponse rebuilds NTProofStr || temp.
#include <cstddef>
#include <cstdint>

#include "engine/compute.h"
#include "fuzz/message_oracle.h"

namespace {

using ntlm::ByteReader;
using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::DecodePolicy;
using ntlm::NtlmV2ClientChallenge;
using ntlm::fuzz::Describe;
using ntlm::fuzz::HexDiff;
using ntlm::fuzz::SameBytes;

// Fixed inputs of the NTProofStr cross-check: the [MS-NLMP] 4.2.4 ResponseKeyNT and
// ServerChallenge.
constexpr ntlm::Key16 kResponseKeyNt = {0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93,
                                        0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0, 0x2e, 0x3f};
constexpr ntlm::Challenge8 kServerChallenge = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

void CheckBlob(ByteView x) {
  const DecodePolicy policies[2] = {DecodePolicy::Strict(), DecodePolicy::Lenient()};
  std::optional<NtlmV2ClientChallenge> decoded[2];
  for (int i = 0; i < 2; ++i) {
    const std::string where = i == 0 ? "blob, Strict: " : "blob, Lenient: ";
    auto r = ntlm::DecodeNtlmV2ClientChallenge(ByteReader(x), policies[i]);
    if (!r.ok()) {
      (void)r.error().ToString();
      continue;
    }
    auto y = ntlm::EncodeNtlmV2ClientChallenge(*r);
    FUZZ_CHECK(y.ok(), where + "encode failed: " + Describe(y));
    if (i == 0) {
      FUZZ_CHECK(SameBytes(x, *y), where + "Encode(Decode(x)) != x: " + HexDiff(x, *y));
    }
    auto r2 = ntlm::DecodeNtlmV2ClientChallenge(ByteReader(*y), policies[i]);
    FUZZ_CHECK(r2.ok(), where + "Decode(Encode(Decode(x))) failed: " + Describe(r2));
    const std::string diff = ntlm::fuzz::DiffClientChallenge(*r, *r2);
    FUZZ_CHECK(diff.empty(), where + "values changed: " + diff);
    auto y2 = ntlm::EncodeNtlmV2ClientChallenge(*r2);
    FUZZ_CHECK(y2.ok() && SameBytes(*y, *y2), where + "not a fixed point");
    decoded[i] = std::move(r).value();
  }
  if (decoded[0].has_value()) {
    FUZZ_CHECK(decoded[1].has_value(), "blob: Strict accepted what Lenient refused");
    const std::string diff = ntlm::fuzz::DiffClientChallenge(*decoded[0], *decoded[1]);
    FUZZ_CHECK(diff.empty(), "blob: Strict and Lenient read different values: " + diff);
  }

  // The temp of 3.3.2, two ways.
  if (!decoded[0].has_value()) {
    return;
  }
  const NtlmV2ClientChallenge& b = *decoded[0];
  const Bytes z4(4, 0);
  if (b.reserved1 != 0 || b.reserved2 != 0 || b.reserved3 != 0 || b.trailer != z4) {
    return;
  }
  auto server_name = ntlm::EncodeTargetInfo(b.av_pairs);
  FUZZ_CHECK(server_name.ok(), "EncodeTargetInfo failed: " + Describe(server_name));
  const ntlm::NtlmV2Temp temp{b.timestamp, b.client_challenge, *server_name};
  FUZZ_CHECK(ntlm::NtlmV2TempSize(*server_name) == x.size(),
             "NtlmV2TempSize " + std::to_string(ntlm::NtlmV2TempSize(*server_name)) +
                 " for a temp of " + std::to_string(x.size()) + " bytes");
  const auto header = ntlm::NtlmV2TempHeader(temp);
  FUZZ_CHECK(SameBytes(header, x.first(header.size())),
             "NtlmV2TempHeader: " + HexDiff(x.first(header.size()), header));
  const ntlm::Key16 streamed = ntlm::NtProofStr(kResponseKeyNt, kServerChallenge, temp);
  const ntlm::Key16 over_bytes = ntlm::NtProofStrOverTemp(kResponseKeyNt, kServerChallenge, x);
  FUZZ_CHECK(streamed == over_bytes,
             "NtProofStr and NtProofStrOverTemp differ: " + HexDiff(over_bytes, streamed));
  auto response = ntlm::NtlmV2NtResponse(kResponseKeyNt, kServerChallenge, temp);
  if (x.size() + 16 <= 0xFFFF) {
    FUZZ_CHECK(response.ok(), "NtlmV2NtResponse failed: " + Describe(response));
    Bytes want(streamed.begin(), streamed.end());
    want.insert(want.end(), x.begin(), x.end());
    FUZZ_CHECK(*response == want, "NtlmV2NtResponse: " + HexDiff(want, *response));
  }
}

void CheckResponse(ByteView x) {
  const DecodePolicy policies[2] = {DecodePolicy::Strict(), DecodePolicy::Lenient()};
  for (int i = 0; i < 2; ++i) {
    auto r = ntlm::DecodeNtlmV2Response(ByteReader(x), policies[i]);
    auto blob_only = x.size() >= 16 ? ntlm::DecodeNtlmV2ClientChallenge(
                                          ByteReader(x.subspan(16), 16), policies[i])
                                    : ntlm::Result<NtlmV2ClientChallenge>(ntlm::MakeError(
                                          ntlm::ErrorCode::kTruncated, "", "", 0, "short"));
    // The response is NTProofStr then the blob, nothing else.
    FUZZ_CHECK(r.ok() == blob_only.ok(), "DecodeNtlmV2Response " + Describe(r) +
                                             " but the blob alone: " + Describe(blob_only));
    if (!r.ok()) {
      continue;
    }
    FUZZ_CHECK(SameBytes(r->nt_proof_str, x.first(16)), "NTProofStr is not the first 16 bytes");
    const std::string diff = ntlm::fuzz::DiffClientChallenge(r->blob, *blob_only);
    FUZZ_CHECK(diff.empty(), "the response's blob differs from the blob alone: " + diff);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView x(data, size);
  CheckResponse(x);
  if (size >= 16) {
    CheckBlob(x.subspan(16));
  }
  return 0;
}
