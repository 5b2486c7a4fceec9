// The round-trip oracle of the message targets (negotiate, challenge, authenticate, version)
// and the value comparisons the other parser targets share.
//
// What "canonical" means, and why the oracle does not compare the input itself.
// Encode* writes one layout per value (engine/messages.h, "Canonical encoding"): the header,
// then the payloads in Windows' order, contiguous, MaxLen == Len, VERSION and MIC only when the
// value holds them. A decoded input x may be laid out otherwise and still be valid: gaps before
// or between payloads, another payload order, MaxLen != Len, bytes after the last payload, bytes
// after MsvAvEOL or a missing MsvAvEOL under Lenient. So Encode(Decode(x)) == x is NOT a rule.
// What is a rule, for each policy P in {Strict, Lenient}:
//   1. y = Encode(Decode_P(x)) succeeds: every value a decoder returns can be written back;
//   2. Decode_P(y) succeeds and holds the same values as Decode_P(x) (the *_field layout
//      records and TargetInfo's had_eol/bytes_after_eol aside, which describe how bytes were
//      laid out, not what they are);
//   3. Encode(Decode_P(y)) == y: the encoder's output is canonical, a fixed point; and
//      Decode_P(y) reports the canonical shape of what the encoder rebuilt (a CHALLENGE's
//      target info ends in MsvAvEOL with nothing after it: TargetInfo::had_eol and
//      bytes_after_eol). An AUTHENTICATE's NT response is carried as raw bytes, so the NTLMv2
//      blob inside keeps its shape, and rule 2 compares that shape too.
// And across the policies:
//   4. Strict only refuses more: when Decode_Strict(x) succeeds, Decode_Lenient(x) succeeds
//      with the same values (engine/decode_policy.h: each leniency is one switch that accepts
//      more, never one that reads differently).
// Where an exact byte comparison with the input IS sound (a strict AV pair list, a strict
// NTLMv2 client challenge, a VERSION), the targets check it on top of this.
#ifndef NTLM_FUZZ_MESSAGE_ORACLE_H_
#define NTLM_FUZZ_MESSAGE_ORACLE_H_

#include <optional>
#include <string>
#include <utility>

#include "engine/av_pairs.h"
#include "engine/decode_policy.h"
#include "engine/lint.h"
#include "engine/messages.h"
#include "fuzz/fuzz_util.h"

namespace ntlm::fuzz {

// ---- value printing and comparison ----------------------------------------------------------

inline std::string Show(uint64_t v) { return std::to_string(v); }
inline std::string Show(bool v) { return v ? "true" : "false"; }
inline std::string Show(const std::string& s) { return "\"" + ToHex(AsBytes(s)) + "\"(hex)"; }
inline std::string Show(const Bytes& b) { return ToHex(b); }
template <size_t N>
std::string Show(const std::array<uint8_t, N>& a) {
  return ToHex(a);
}
inline std::string Show(const Version& v) {
  return VersionToString(v) + " reserved " + ToHex(v.reserved);
}
inline std::string Show(const TargetInfo& ti) {
  auto b = EncodeTargetInfo(ti);
  return b.ok() ? ToHex(*b) : "(unencodable: " + b.error().ToString() + ")";
}
template <typename T>
std::string Show(const std::optional<T>& v) {
  return v.has_value() ? Show(*v) : std::string("(none)");
}

// Appends "name: a vs b; " to |out| when a != b.
template <typename T>
void DiffField(std::string* out, const char* name, const T& a, const T& b) {
  if (!(a == b)) {
    *out += std::string(name) + ": " + Show(a) + " vs " + Show(b) + "; ";
  }
}

// TargetInfo also records its wire shape (had_eol, bytes_after_eol), which re-encoding makes
// canonical (MsvAvEOL, nothing after it) by design: a target info's value is its pairs.
inline void DiffField(std::string* out, const char* name, const TargetInfo& a,
                      const TargetInfo& b) {
  if (a.pairs != b.pairs) {
    *out += std::string(name) + ": " + Show(a) + " vs " + Show(b) + "; ";
  }
}
inline void DiffField(std::string* out, const char* name, const std::optional<TargetInfo>& a,
                      const std::optional<TargetInfo>& b) {
  if (a.has_value() != b.has_value()) {
    *out += std::string(name) + ": " + Show(a) + " vs " + Show(b) + "; ";
  } else if (a.has_value()) {
    DiffField(out, name, *a, *b);
  }
}

// What a canonical target info looks like once decoded: it ended with MsvAvEOL and had
// |after_eol| bytes after it (0 in a message, the trailer's size in an NTLMv2 blob).
inline std::string ShapeProblems(const char* name, const TargetInfo& ti, size_t after_eol) {
  if (ti.had_eol && ti.bytes_after_eol == after_eol) {
    return "";
  }
  return std::string(name) + " re-encoded without the canonical shape: had_eol " +
         Show(ti.had_eol) + ", bytes_after_eol " + std::to_string(ti.bytes_after_eol) + "; ";
}

inline std::string DiffClientChallenge(const NtlmV2ClientChallenge& a,
                                       const NtlmV2ClientChallenge& b) {
  std::string d;
  DiffField(&d, "resp_type", uint64_t{a.resp_type}, uint64_t{b.resp_type});
  DiffField(&d, "hi_resp_type", uint64_t{a.hi_resp_type}, uint64_t{b.hi_resp_type});
  DiffField(&d, "reserved1", uint64_t{a.reserved1}, uint64_t{b.reserved1});
  DiffField(&d, "reserved2", uint64_t{a.reserved2}, uint64_t{b.reserved2});
  DiffField(&d, "timestamp", a.timestamp, b.timestamp);
  DiffField(&d, "client_challenge", a.client_challenge, b.client_challenge);
  DiffField(&d, "reserved3", uint64_t{a.reserved3}, uint64_t{b.reserved3});
  DiffField(&d, "av_pairs", a.av_pairs, b.av_pairs);
  DiffField(&d, "trailer", a.trailer, b.trailer);
  return d;
}

inline std::string DiffV2Response(const std::optional<NtlmV2Response>& a,
                                  const std::optional<NtlmV2Response>& b) {
  if (a.has_value() != b.has_value()) {
    return std::string("ntlmv2: ") + (a ? "present" : "absent") + " vs " +
           (b ? "present" : "absent") + "; ";
  }
  if (!a.has_value()) {
    return "";
  }
  std::string d;
  DiffField(&d, "nt_proof_str", a->nt_proof_str, b->nt_proof_str);
  d += DiffClientChallenge(a->blob, b->blob);
  DiffField(&d, "blob.av_pairs.had_eol", a->blob.av_pairs.had_eol, b->blob.av_pairs.had_eol);
  DiffField(&d, "blob.av_pairs.bytes_after_eol", uint64_t{a->blob.av_pairs.bytes_after_eol},
            uint64_t{b->blob.av_pairs.bytes_after_eol});
  return d;
}

// ---- the three messages ----------------------------------------------------------------------

struct NegotiateCodec {
  using Message = NegotiateMessage;
  static constexpr const char* kName = "NEGOTIATE";
  static Result<Message> Decode(ByteView b, const DecodePolicy& p) { return DecodeNegotiate(b, p); }
  static Result<Bytes> Encode(const Message& m) { return EncodeNegotiate(m); }
  static void Lint(const Message& m) { (void)LintNegotiate(m); }
  static std::string Shape(const Message&) { return ""; }
  static std::string Diff(const Message& a, const Message& b) {
    std::string d;
    DiffField(&d, "flags", uint64_t{a.flags}, uint64_t{b.flags});
    DiffField(&d, "domain", a.domain, b.domain);
    DiffField(&d, "workstation", a.workstation, b.workstation);
    DiffField(&d, "version", a.version, b.version);
    return d;
  }
};

struct ChallengeCodec {
  using Message = ChallengeMessage;
  static constexpr const char* kName = "CHALLENGE";
  static Result<Message> Decode(ByteView b, const DecodePolicy& p) { return DecodeChallenge(b, p); }
  static Result<Bytes> Encode(const Message& m) { return EncodeChallenge(m); }
  static void Lint(const Message& m) { (void)LintChallenge(m); }
  static std::string Shape(const Message& m) {
    return m.target_info ? ShapeProblems("target_info", *m.target_info, 0) : "";
  }
  static std::string Diff(const Message& a, const Message& b) {
    std::string d;
    DiffField(&d, "flags", uint64_t{a.flags}, uint64_t{b.flags});
    DiffField(&d, "target_name", a.target_name, b.target_name);
    DiffField(&d, "server_challenge", a.server_challenge, b.server_challenge);
    DiffField(&d, "reserved", a.reserved, b.reserved);
    DiffField(&d, "legacy_header", a.legacy_header, b.legacy_header);
    DiffField(&d, "target_info", a.target_info, b.target_info);
    DiffField(&d, "version", a.version, b.version);
    return d;
  }
};

struct AuthenticateCodec {
  using Message = AuthenticateMessage;
  static constexpr const char* kName = "AUTHENTICATE";
  static Result<Message> Decode(ByteView b, const DecodePolicy& p) {
    return DecodeAuthenticate(b, p);
  }
  static Result<Bytes> Encode(const Message& m) { return EncodeAuthenticate(m); }
  static void Lint(const Message& m) {
    (void)LintAuthenticate(m);
    (void)ResponseShape(m);
  }
  // The NT response travels as raw bytes (the blob inside is never re-encoded), so the blob's
  // shape is kept, not made canonical: DiffV2Response compares it.
  static std::string Shape(const Message&) { return ""; }
  static std::string Diff(const Message& a, const Message& b) {
    std::string d;
    DiffField(&d, "flags", uint64_t{a.flags}, uint64_t{b.flags});
    DiffField(&d, "lm_response", a.lm_response, b.lm_response);
    DiffField(&d, "nt_response", a.nt_response, b.nt_response);
    DiffField(&d, "domain", a.domain, b.domain);
    DiffField(&d, "user", a.user, b.user);
    DiffField(&d, "workstation", a.workstation, b.workstation);
    DiffField(&d, "encrypted_random_session_key", a.encrypted_random_session_key,
              b.encrypted_random_session_key);
    DiffField(&d, "version", a.version, b.version);
    DiffField(&d, "mic", a.mic, b.mic);
    d += DiffV2Response(a.ntlmv2, b.ntlmv2);
    return d;
  }
};

// Rules 1-4 above for one input. Returns the values Decode_Strict and Decode_Lenient gave
// (nullopt where they refused), for targets that check more.
template <typename Codec>
std::pair<std::optional<typename Codec::Message>, std::optional<typename Codec::Message>>
CheckMessageRoundTrip(ByteView x) {
  using Message = typename Codec::Message;
  const DecodePolicy policies[2] = {DecodePolicy::Strict(), DecodePolicy::Lenient()};
  const char* const names[2] = {"Strict", "Lenient"};
  std::optional<Message> decoded[2];
  std::string refusal[2];

  for (int i = 0; i < 2; ++i) {
    const std::string where = std::string(Codec::kName) + " under " + names[i] + ": ";
    Result<Message> r = Codec::Decode(x, policies[i]);
    if (!r.ok()) {
      refusal[i] = r.error().ToString();  // the error line must be printable for any input
      continue;
    }
    Codec::Lint(*r);

    // 1. Every decoded value can be written back.
    Result<Bytes> y = Codec::Encode(*r);
    FUZZ_CHECK(y.ok(), where + "Encode(Decode(x)) failed: " + Describe(y));

    // 2. The canonical bytes decode, under the same policy, to the same values.
    Result<Message> r2 = Codec::Decode(*y, policies[i]);
    FUZZ_CHECK(r2.ok(),
               where + "Decode(Encode(Decode(x))) failed: " + Describe(r2) + "; y = " + ToHex(*y));
    const std::string diff = Codec::Diff(*r, *r2);
    FUZZ_CHECK(diff.empty(), where + "values changed through Encode/Decode: " + diff);
    const std::string shape = Codec::Shape(*r2);
    FUZZ_CHECK(shape.empty(), where + shape);

    // 3. The canonical bytes are a fixed point.
    Result<Bytes> y2 = Codec::Encode(*r2);
    FUZZ_CHECK(y2.ok(), where + "Encode of the re-decoded value failed: " + Describe(y2));
    FUZZ_CHECK(SameBytes(*y, *y2), where + "Encode(Decode(y)) != y: " + HexDiff(*y, *y2));

    decoded[i] = std::move(r).value();
  }

  // 4. Strict only refuses more than Lenient, and reads the same values.
  if (decoded[0].has_value()) {
    FUZZ_CHECK(decoded[1].has_value(),
               std::string(Codec::kName) + ": Strict accepted what Lenient refused: " + refusal[1]);
    const std::string diff = Codec::Diff(*decoded[0], *decoded[1]);
    FUZZ_CHECK(diff.empty(),
               std::string(Codec::kName) + ": Strict and Lenient read different values: " + diff);
  }
  return {std::move(decoded[0]), std::move(decoded[1])};
}

}  // namespace ntlm::fuzz

#endif  // NTLM_FUZZ_MESSAGE_ORACLE_H_
