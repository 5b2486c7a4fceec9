// Fuzz target: VERSION ([MS-NLMP] 2.2.2.10) and where the decoders look for it: after the fixed
// header of each message, only when NTLMSSP_NEGOTIATE_VERSION is set and the first payload
// leaves room (engine/messages.h); in AUTHENTICATE the MIC follows when there is room for it.
//
// Input: 8 VERSION bytes, then one byte choosing the gap (0..31) between the fixed header and
// the first payload, then up to 64 payload bytes. The target wraps them into a NEGOTIATE (the
// payload is DomainName), a CHALLENGE (TargetName, OEM) and an AUTHENTICATE (UserName, OEM),
// each with NTLMSSP_NEGOTIATE_VERSION set and the gap filled with the VERSION bytes then zeros.
// Oracle, for each message:
//   - the round-trip rules of fuzz/message_oracle.h;
//   - the gap rule: VERSION is decoded exactly when the gap holds 8 bytes, and it is then the
//     input's 8 bytes field by field; otherwise Strict refuses and Lenient reads no VERSION;
//     in AUTHENTICATE a MIC is decoded exactly when the gap holds 24 bytes;
//   - the canonical re-encoding carries the same 8 bytes right after the fixed header.
#include <cstddef>
#include <cstdint>

#include "fuzz/message_oracle.h"

namespace {

using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::DecodePolicy;
using ntlm::Version;
using ntlm::fuzz::Describe;
using ntlm::fuzz::HexDiff;
using ntlm::fuzz::SameBytes;
using ntlm::fuzz::Show;

constexpr size_t kVersionSize = 8;
constexpr size_t kMicSize = 16;

void Put16(Bytes* b, size_t pos, uint16_t v) {
  (*b)[pos] = static_cast<uint8_t>(v);
  (*b)[pos + 1] = static_cast<uint8_t>(v >> 8);
}

// A message with |header| bytes of fixed header (signature, type, |flags| at |flags_pos|), then
// |gap| bytes (the VERSION bytes, then zeros), then |payload| described at |field_pos|.
Bytes Wrap(uint32_t type, size_t header, size_t flags_pos, uint32_t flags, size_t field_pos,
           ByteView version, size_t gap, ByteView payload) {
  Bytes m(header + gap + payload.size(), 0);
  std::copy(ntlm::kNtlmSignature.begin(), ntlm::kNtlmSignature.end(), m.begin());
  ntlm::StoreU32Le(m.data() + 8, type);
  ntlm::StoreU32Le(m.data() + flags_pos, flags);
  for (size_t i = 0; i < gap && i < version.size(); ++i) {
    m[header + i] = version[i];
  }
  Put16(&m, field_pos, static_cast<uint16_t>(payload.size()));
  Put16(&m, field_pos + 2, static_cast<uint16_t>(payload.size()));
  ntlm::StoreU32Le(m.data() + field_pos + 4, static_cast<uint32_t>(header + gap));
  std::copy(payload.begin(), payload.end(), m.begin() + header + gap);
  return m;
}

template <typename Codec>
void CheckOne(const Bytes& msg, size_t header, ByteView version, size_t gap) {
  auto [strict, lenient] = ntlm::fuzz::CheckMessageRoundTrip<Codec>(msg);
  const std::string where = std::string(Codec::kName) + " gap " + std::to_string(gap) + ": ";
  const bool room = gap >= kVersionSize;

  FUZZ_CHECK(lenient.has_value(), where + "Lenient refused a well-formed message: " +
                                      Describe(Codec::Decode(msg, DecodePolicy::Lenient())));
  FUZZ_CHECK(strict.has_value() == room,
             where + "Strict: " + Describe(Codec::Decode(msg, DecodePolicy::Strict())));
  FUZZ_CHECK(lenient->version.has_value() == room,
             where + "Lenient VERSION presence: " + Show(lenient->version));
  if (!room) {
    return;
  }

  const Version& v = *lenient->version;
  Version want;
  want.major = version[0];
  want.minor = version[1];
  want.build = static_cast<uint16_t>(version[2] | (version[3] << 8));
  want.reserved = {version[4], version[5], version[6]};
  want.ntlm_revision = version[7];
  FUZZ_CHECK(v == want, where + "VERSION read as " + Show(v) + ", wrote " + Show(want));
  (void)ntlm::VersionToString(v);

  auto y = Codec::Encode(*lenient);
  FUZZ_CHECK(y.ok() && y->size() >= header + kVersionSize, where + "re-encode: " + Describe(y));
  FUZZ_CHECK(SameBytes(version, ByteView(*y).subspan(header, kVersionSize)),
             where + "VERSION bytes after re-encoding: " +
                 HexDiff(version, ByteView(*y).subspan(header, kVersionSize)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntlm::fuzz::InputSplitter in(ByteView(data, size));
  uint8_t version_bytes[kVersionSize] = {};
  ByteView v = in.Bytes(kVersionSize);
  std::copy(v.begin(), v.end(), version_bytes);
  const ByteView version(version_bytes, kVersionSize);
  const size_t gap = in.U8() % 32;
  const ByteView payload = in.Bytes(64);

  const uint32_t flags = ntlm::kNegotiateVersion | ntlm::kNegotiateOem | ntlm::kNegotiateNtlm;

  // NEGOTIATE: 32-byte header, DomainNameFields at 16.
  CheckOne<ntlm::fuzz::NegotiateCodec>(
      Wrap(1, 32, 12, flags | ntlm::kNegotiateOemDomainSupplied, 16, version, gap, payload), 32,
      version, gap);
  // CHALLENGE: 48-byte header, TargetNameFields at 12, flags at 20.
  CheckOne<ntlm::fuzz::ChallengeCodec>(Wrap(2, 48, 20, flags, 12, version, gap, payload), 48,
                                       version, gap);
  // AUTHENTICATE: 64-byte header, UserNameFields at 36, flags at 60.
  const Bytes auth = Wrap(3, 64, 60, flags, 36, version, gap, payload);
  CheckOne<ntlm::fuzz::AuthenticateCodec>(auth, 64, version, gap);
  auto a = ntlm::DecodeAuthenticate(auth, DecodePolicy::Lenient());
  FUZZ_CHECK(a.ok() && a->mic.has_value() == (gap >= kVersionSize + kMicSize),
             "AUTHENTICATE gap " + std::to_string(gap) + ": MIC presence: " + Describe(a));
  return 0;
}
