// Fuzz target: the client context ([MS-NLMP] 3.1.5.1), engine/client.h, fed an arbitrary
// CHALLENGE with arbitrary credentials and settings of bounded length.
//
// Input layout (every field optional: a short input reads as zeros):
//   u8   settings A: bits 0-2 response (0-3 NTLMv2, 4 NTLMv1, 5 NTLMv1-ESS, 6 LM, 7 anonymous),
//        bit 3 send_mic, bit 4 no VERSION, bit 5 NT hash instead of password,
//        bits 6-7 channel bindings (0 none, 1 zero, 2 hash, 3 none)
//   u8   settings B: bit 0 SPN, bit 1 Strict challenge_policy, bit 2 call Negotiate() first,
//        bit 3 authenticate_flags override, bit 4 domain override
//   u32  XOR mask over kDefaultClientFlags (negotiate_flags)
//   u32  authenticate_flags (only with bit B3)
//   user, [domain (B4)], password or 16-byte NT hash, workstation, [SPN (B0)]: each a length
//        byte (cut to 64) and that many bytes
//   16   channel bindings hash (only with mode 2)
//   rest the CHALLENGE
// Randomness and time come from a FixedEnvironment (engine/internal/test_seam.h), new for each
// input, so a run depends on its input only.
//
// Oracle: Authenticate() returns an error, or an AUTHENTICATE that
//   - DecodeAuthenticate accepts: Strict when the CHALLENGE decodes under Strict and no
//     authenticate_flags override is set (the client echoes the server's AV pairs, which only
//     Lenient may have let through), Lenient otherwise;
//   - carries the configured user, domain and workstation, and the flags the context reports;
//   - holds responses that verify against the credentials (recomputed here with compute.h);
//   - has a MIC exactly when the context says it sent one, and that MIC verifies;
//   - gives session keys with which the client and a server-side SessionSecurity built from
//     the same flags and key seal, unseal, sign and verify each other's messages.
// Negotiate(), when called, must produce a NEGOTIATE that DecodeNegotiate (Strict) accepts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "engine/client.h"
#include "engine/compute.h"
#include "engine/credentials.h"
#include "engine/internal/test_seam.h"
#include "engine/messages.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/session_check.h"

namespace {

using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::DecodePolicy;
using ntlm::Key16;
using ntlm::ResponseKind;
using ntlm::fuzz::Describe;
using ntlm::fuzz::SameBytes;

constexpr size_t kMaxField = 64;
constexpr uint64_t kNow = 0x01d9a3b4c5d6e7f8ULL;  // a FILETIME in 2023

ResponseKind KindFrom(uint8_t bits) {
  switch (bits & 7) {
    case 4:
      return ResponseKind::kNtlmV1;
    case 5:
      return ResponseKind::kNtlmV1Ess;
    case 6:
      return ResponseKind::kLm;
    case 7:
      return ResponseKind::kAnonymous;
    default:
      return ResponseKind::kNtlmV2;
  }
}

std::string Str(std::string_view s) { return std::string(s); }

// Checks the responses of |m| against the credentials the client used.
void CheckResponses(const ntlm::ClientConfig& cfg, ResponseKind kind, const ntlm::Challenge8& chal,
                    const ntlm::AuthenticateMessage& m) {
  if (kind == ResponseKind::kAnonymous) {
    FUZZ_CHECK(m.nt_response.empty() && m.lm_response == Bytes(1, 0),
               "anonymous: NT must be empty and LM Z(1)");
    return;
  }
  auto nt_owf = cfg.secret.NtOwfV1();
  FUZZ_CHECK(nt_owf.ok(), "the client answered without an NT hash: " + Describe(nt_owf));
  switch (kind) {
    case ResponseKind::kNtlmV2: {
      auto key = ntlm::NtOwfV2(*nt_owf, m.user, m.domain);
      FUZZ_CHECK(key.ok(), "NTOWFv2 of the sent names: " + Describe(key));
      FUZZ_CHECK(m.nt_response.size() > 16 + 28 && m.ntlmv2.has_value(),
                 "NTLMv2: the NT response is no NTLMv2_RESPONSE");
      const Key16 proof = ntlm::NtProofStrOverTemp(*key, chal, ByteView(m.nt_response).subspan(16));
      FUZZ_CHECK(SameBytes(proof, ByteView(m.nt_response).first(16)),
                 "NTLMv2: NTProofStr does not verify");
      // LMv2 (3.3.2), unless the client sent Z(24) alongside a MIC.
      FUZZ_CHECK(m.lm_response.size() == 24, "NTLMv2: the LM response is not 24 bytes");
      if (m.lm_response != Bytes(24, 0)) {
        ntlm::Challenge8 cc{};
        std::copy(m.lm_response.begin() + 16, m.lm_response.end(), cc.begin());
        FUZZ_CHECK(cc == m.ntlmv2->blob.client_challenge,
                   "NTLMv2: LMv2 and the blob carry different client challenges");
        const auto lmv2 = ntlm::LmV2Response(*key, chal, cc);
        FUZZ_CHECK(SameBytes(lmv2, m.lm_response), "NTLMv2: the LMv2 response does not verify");
      }
      break;
    }
    case ResponseKind::kNtlmV1: {
      const auto want = ntlm::NtlmV1Response(*nt_owf, chal);
      FUZZ_CHECK(SameBytes(want, m.nt_response), "NTLMv1: the NT response does not verify");
      break;
    }
    case ResponseKind::kNtlmV1Ess: {
      FUZZ_CHECK(m.lm_response.size() == 24, "NTLMv1-ESS: LM response is not 24 bytes");
      ntlm::Challenge8 cc{};
      std::copy(m.lm_response.begin(), m.lm_response.begin() + 8, cc.begin());
      const auto want = ntlm::NtlmV1EssResponse(*nt_owf, chal, cc);
      FUZZ_CHECK(SameBytes(want.nt, m.nt_response) && SameBytes(want.lm, m.lm_response),
                 "NTLMv1-ESS: the responses do not verify");
      break;
    }
    case ResponseKind::kLm: {
      auto lm_owf = cfg.secret.LmOwfV1();
      FUZZ_CHECK(lm_owf.ok(), "LM answered without an LMOWFv1");
      const auto want = ntlm::LmV1Response(*lm_owf, chal);
      FUZZ_CHECK(SameBytes(want, m.lm_response), "LM: the LM response does not verify");
      break;
    }
    case ResponseKind::kAnonymous:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntlm::fuzz::InputSplitter in(ByteView(data, size));
  const uint8_t a = in.U8();
  const uint8_t b = in.U8();
  uint32_t mask = in.U16();
  mask |= static_cast<uint32_t>(in.U16()) << 16;

  ntlm::ClientConfig cfg;
  const ResponseKind kind = KindFrom(a);
  cfg.anonymous = kind == ResponseKind::kAnonymous;
  cfg.response = cfg.anonymous ? ResponseKind::kNtlmV2 : kind;
  cfg.send_mic = (a & 0x08) != 0;
  if ((a & 0x10) != 0) {
    cfg.version.reset();
  }
  const int binding = (a >> 6) & 3;
  cfg.channel_binding = binding == 1   ? ntlm::ChannelBindingMode::kZero
                        : binding == 2 ? ntlm::ChannelBindingMode::kHash
                                       : ntlm::ChannelBindingMode::kNone;
  if ((b & 0x02) != 0) {
    cfg.challenge_policy = DecodePolicy::Strict();
  }
  cfg.negotiate_flags = ntlm::kDefaultClientFlags ^ mask;
  if ((b & 0x08) != 0) {
    uint32_t f = in.U16();
    f |= static_cast<uint32_t>(in.U16()) << 16;
    cfg.authenticate_flags = f;
  }
  cfg.user = Str(in.PieceString(kMaxField));
  if ((b & 0x10) != 0) {
    cfg.domain = Str(in.PieceString(kMaxField));
  }
  if ((a & 0x20) != 0) {
    Key16 h{};
    ByteView hb = in.Bytes(16);
    std::copy(hb.begin(), hb.end(), h.begin());
    cfg.secret.nt_hash = h;
  } else {
    cfg.secret.password = Str(in.PieceString(kMaxField));
  }
  cfg.workstation = Str(in.PieceString(kMaxField));
  if ((b & 0x01) != 0) {
    cfg.spn = Str(in.PieceString(kMaxField));
  }
  if (binding == 2) {
    ByteView hb = in.Bytes(16);
    std::copy(hb.begin(), hb.end(), cfg.channel_bindings_hash.begin());
  }
  const ByteView challenge = in.Rest();

  ntlm::internal::FixedEnvironment env(
      Bytes{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x55, 0x55, 0x55, 0x55,
            0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55},
      kNow);
  ntlm::ClientContext client(cfg, &env);

  Bytes negotiate;
  if ((b & 0x04) != 0) {
    auto n = client.Negotiate();
    if (n.ok()) {
      auto decoded = ntlm::DecodeNegotiate(*n, DecodePolicy::Strict());
      FUZZ_CHECK(decoded.ok(), "the client's NEGOTIATE does not decode: " + Describe(decoded));
      negotiate = *n;
    }
  }

  auto auth = client.Authenticate(challenge);
  auto chal_for_client = ntlm::DecodeChallenge(challenge, cfg.challenge_policy);
  if (!chal_for_client.ok()) {
    FUZZ_CHECK(!auth.ok(), "the client answered a CHALLENGE its policy refuses");
  }
  if (!auth.ok()) {
    const std::string error = auth.error().ToString();
    if (ntlm::fuzz::Verbose()) {
      std::fprintf(stderr, "client: refused: %s\n", error.c_str());
    }
    return 0;
  }
  if (ntlm::fuzz::Verbose()) {
    std::fprintf(stderr, "client: AUTHENTICATE of %zu bytes, %s, MIC %s\n", auth->size(),
                 ntlm::ResponseKindName(client.response_kind()), client.mic_sent() ? "yes" : "no");
  }

  // Well-formed, under the strictest policy the CHALLENGE allows.
  const bool strict = !cfg.authenticate_flags.has_value() &&
                      ntlm::DecodeChallenge(challenge, DecodePolicy::Strict()).ok();
  auto m =
      ntlm::DecodeAuthenticate(*auth, strict ? DecodePolicy::Strict() : DecodePolicy::Lenient());
  FUZZ_CHECK(m.ok(), std::string("the client's AUTHENTICATE does not decode under ") +
                         (strict ? "Strict: " : "Lenient: ") + Describe(m) +
                         "; message = " + ntlm::ToHex(*auth));

  // What it says.
  FUZZ_CHECK(m->flags == client.negotiated_flags(), "flags differ from negotiated_flags()");
  if (!cfg.anonymous) {
    ntlm::UserName name = ntlm::SplitUserName(cfg.user);
    if (cfg.domain.has_value()) {
      name.domain = *cfg.domain;
    }
    FUZZ_CHECK(m->user == name.user && m->domain == name.domain,
               "the AUTHENTICATE names another user or domain");
  }
  FUZZ_CHECK(m->workstation == cfg.workstation, "the AUTHENTICATE names another workstation");
  CheckResponses(cfg, client.response_kind(), chal_for_client->server_challenge, *m);

  // The MIC, recomputed over what was sent.
  FUZZ_CHECK(m->mic.has_value() == client.mic_sent(), "MIC presence differs from mic_sent()");
  if (client.mic_sent()) {
    auto zeroed = ntlm::ZeroMicField(*auth);
    FUZZ_CHECK(zeroed.ok(), "a MIC was sent in a message too short for one");
    const Key16 mic =
        ntlm::ComputeMic(client.exported_session_key(), negotiate, challenge, *zeroed);
    FUZZ_CHECK(SameBytes(mic, *m->mic), "the MIC does not verify");
  }

  // Session security with a peer that derives the same keys.
  auto c = client.Session();
  if (c.ok()) {
    auto s = ntlm::SessionSecurity::Create(client.negotiated_flags(), client.exported_session_key(),
                                           ntlm::Side::kServer);
    FUZZ_CHECK(s.ok(), "the server side refused flags the client side took: " + Describe(s));
    ntlm::fuzz::CheckSessionPair(&c.value(), &s.value(),
                                 challenge.first(challenge.size() < 64 ? challenge.size() : 64));
  }
  return 0;
}
