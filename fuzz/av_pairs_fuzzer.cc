// Fuzz target: AV_PAIR lists ([MS-NLMP] 2.2.2.1) and Single_Host_Data (2.2.2.2), decode and
// encode.
//
// Input: the bytes of a target info (what TargetInfoFields points at).
// Oracle:
//   - Strict: the list must end with MsvAvEOL (AvLen 0) and fill the buffer, every AvId is
//     known and appears once, so the encoding is unique: EncodeTargetInfo(Decode(x)) == x.
//     With a |trailing| out-parameter the bytes after MsvAvEOL are handed back instead of
//     refused: Encode(Decode(x)) || trailing == x.
//   - Lenient: Encode(Decode(x)) decodes to the same pairs, in the canonical shape, and is a
//     fixed point; and had_eol/bytes_after_eol describe x exactly: x is the re-encoding with
//     the bytes after MsvAvEOL appended, or without the MsvAvEOL that x lacked.
//   - Strict only refuses more than Lenient, and reads the same pairs.
//   - Each MsvAvSingleHost value re-encodes to its own bytes (the Z4 field aside, which the
//     encoder writes as zero).
// The accessors and mutators a context uses (GetString, GetFlags, GetTimestamp, Set, Remove)
// run on every decoded list.
#include <cstddef>
#include <cstdint>

#include "fuzz/message_oracle.h"

namespace {

using ntlm::AvId;
using ntlm::ByteReader;
using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::DecodePolicy;
using ntlm::TargetInfo;
using ntlm::fuzz::Describe;
using ntlm::fuzz::HexDiff;
using ntlm::fuzz::SameBytes;
using ntlm::fuzz::Show;

void CheckSingleHost(const TargetInfo& ti) {
  for (const ntlm::AvPair& p : ti.pairs) {
    if (p.id != static_cast<uint16_t>(AvId::kSingleHost)) {
      continue;
    }
    auto d = ntlm::DecodeSingleHostData(p.value);
    FUZZ_CHECK(d.ok(), "a decoded MsvAvSingleHost does not decode again: " + Describe(d));
    Bytes want(p.value.begin(), p.value.begin() + d->size);
    for (size_t i = 4; i < 8 && i < want.size(); ++i) {
      want[i] = 0;  // Z4
    }
    const Bytes got = ntlm::EncodeSingleHostData(*d);
    FUZZ_CHECK(got == want, "Single_Host_Data round trip: " + HexDiff(want, got));
  }
}

void ExerciseAccessors(TargetInfo ti) {
  for (uint16_t id = 0; id <= ntlm::kMaxKnownAvId + 1; ++id) {
    (void)ti.GetString(static_cast<AvId>(id));
    (void)ti.Has(static_cast<AvId>(id));
  }
  if (auto ts = ti.GetTimestamp(); ts.has_value()) {
    (void)ntlm::FileTimeToIso8601(*ts);
  }
  // What a client does before echoing the list (3.1.5.1.2): set MIC-present, add a target name.
  ti.SetFlags(ti.GetFlags().value_or(0) | ntlm::kAvFlagMicPresent);
  FUZZ_CHECK(ti.GetFlags().has_value() && (*ti.GetFlags() & ntlm::kAvFlagMicPresent) != 0,
             "SetFlags did not stick");
  ti.SetTimestamp(0x01d9000000000000ULL);
  FUZZ_CHECK(ti.GetTimestamp() == 0x01d9000000000000ULL, "SetTimestamp did not stick");
  FUZZ_CHECK(ti.SetString(AvId::kTargetName, "HTTP/fuzz.example").ok(), "SetString failed");
  FUZZ_CHECK(ti.GetString(AvId::kTargetName) == std::string("HTTP/fuzz.example"),
             "SetString did not stick");
  ti.Remove(AvId::kTargetName);
  FUZZ_CHECK(!ti.Has(AvId::kTargetName), "Remove left the pair");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView x(data, size);

  // Strict, no trailing bytes allowed: the encoding is unique.
  auto strict = ntlm::DecodeTargetInfo(ByteReader(x), DecodePolicy::Strict());
  if (strict.ok()) {
    auto y = ntlm::EncodeTargetInfo(*strict);
    FUZZ_CHECK(y.ok(), "Strict: EncodeTargetInfo failed: " + Describe(y));
    FUZZ_CHECK(SameBytes(x, *y), "Strict: Encode(Decode(x)) != x: " + HexDiff(x, *y));
  } else {
    (void)strict.error().ToString();
  }

  // Strict, trailing bytes handed back.
  Bytes trailing;
  auto with_trailing = ntlm::DecodeTargetInfo(ByteReader(x), DecodePolicy::Strict(), &trailing);
  if (with_trailing.ok()) {
    auto y = ntlm::EncodeTargetInfo(*with_trailing);
    FUZZ_CHECK(y.ok(), "Strict+trailing: EncodeTargetInfo failed: " + Describe(y));
    Bytes whole = *y;
    whole.insert(whole.end(), trailing.begin(), trailing.end());
    FUZZ_CHECK(SameBytes(x, whole),
               "Strict+trailing: Encode || trailing != x: " + HexDiff(x, whole));
  }
  if (strict.ok()) {
    FUZZ_CHECK(with_trailing.ok() && trailing.empty() && *with_trailing == *strict,
               "Strict with and without |trailing| disagree");
  }

  // Lenient: fixed point.
  auto lenient = ntlm::DecodeTargetInfo(ByteReader(x), DecodePolicy::Lenient());
  if (lenient.ok()) {
    auto y = ntlm::EncodeTargetInfo(*lenient);
    FUZZ_CHECK(y.ok(), "Lenient: EncodeTargetInfo failed: " + Describe(y));
    auto again = ntlm::DecodeTargetInfo(ByteReader(*y), DecodePolicy::Lenient());
    FUZZ_CHECK(again.ok(), "Lenient: Decode(Encode(Decode(x))) failed: " + Describe(again));
    FUZZ_CHECK(again->pairs == lenient->pairs,
               "Lenient: pairs changed: " + Show(*lenient) + " vs " + Show(*again));
    FUZZ_CHECK(again->had_eol && again->bytes_after_eol == 0,
               "Lenient: the re-encoding does not decode as canonical");
    // The recorded shape says exactly how x differs from its re-encoding.
    Bytes rebuilt = *y;
    if (lenient->had_eol) {
      FUZZ_CHECK(lenient->bytes_after_eol <= x.size(), "bytes_after_eol exceeds the input");
      rebuilt.insert(rebuilt.end(), x.end() - static_cast<std::ptrdiff_t>(lenient->bytes_after_eol),
                     x.end());
    } else {
      FUZZ_CHECK(lenient->bytes_after_eol == 0, "bytes after an MsvAvEOL that was not there");
      rebuilt.resize(rebuilt.size() - 4);  // the MsvAvEOL the encoder added
    }
    FUZZ_CHECK(SameBytes(x, rebuilt),
               "had_eol/bytes_after_eol do not describe the input: " + HexDiff(x, rebuilt));
    auto y2 = ntlm::EncodeTargetInfo(*again);
    FUZZ_CHECK(y2.ok() && SameBytes(*y, *y2), "Lenient: not a fixed point");
    CheckSingleHost(*lenient);
    ExerciseAccessors(*lenient);
  }
  if (strict.ok()) {
    FUZZ_CHECK(lenient.ok(), "Strict accepted what Lenient refused: " + Describe(lenient));
    FUZZ_CHECK(*lenient == *strict, "Strict and Lenient read different pairs");
  }
  if (with_trailing.ok()) {
    // Bytes after MsvAvEOL are the only thing |trailing| changes; Lenient ignores them.
    FUZZ_CHECK(lenient.ok() && *lenient == *with_trailing,
               "Strict+trailing and Lenient read different pairs");
  }
  return 0;
}
