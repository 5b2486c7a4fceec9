// Fuzz target: the server context ([MS-NLMP] 3.2.5.1), engine/server.h, fed an arbitrary
// NEGOTIATE and then an arbitrary AUTHENTICATE.
//
// Determinism. The server's challenge, its timestamp and every random value come from a
// FixedEnvironment (engine/internal/test_seam.h) made anew for each input: the CHALLENGE is a
// function of the NEGOTIATE alone, so an AUTHENTICATE in the corpus meets the same challenge
// every time it runs. That is what FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION asks of a fuzzing
// build; here the seam gives it in every build, and the engine needs no fuzzing mode of its own.
// To get past the NTProofStr, which no mutation can guess, the target can also repair what a
// mutation broke ("fix" bits below): it recomputes the response and the MIC from the fixed
// account's secret, the way a real client would, and writes them into the AUTHENTICATE. The
// checks behind the NTProofStr (session keys, target info echo, timestamp, MIC, channel
// bindings, NtlmMinServerSec) are then reachable.
//
// Input layout (a short input reads as zeros):
//   u8   options: bits 0-1 policy preset (below), bit 2 fix the response, bit 3 fix the MIC,
//        bit 4 client mode, bit 5 move the clock past the challenge lifetime, bit 6 try a
//        second AUTHENTICATE (replay), bit 7 unused
//   u16  NEGOTIATE length, then the NEGOTIATE
//   raw mode:    the rest is the AUTHENTICATE
//   client mode: u8 client settings (bits 0-2 response for preset 1: 0-3 NTLMv2, 4 NTLMv1,
//                5 NTLMv1-ESS, 6 LM, 7 anonymous; bit 3 no MIC; bits 4-5 channel bindings
//                for preset 3: 0 none, 1 zero, 2 the expected hash, 3 another hash), then edits,
//                each (u16 position, u8 xor) applied to the AUTHENTICATE that ClientContext
//                builds for the CHALLENGE. An empty NEGOTIATE means the client's own.
// Presets (ServerPolicy and ServerIdentity; built once, never changed):
//   0 Windows default: LmCompatibilityLevel 5, timestamp, MIC when announced
//   1 legacy: level 0, anonymous allowed, no DNS names, no timestamp, no lifetime
//     ([MS-NLMP] 4.2 target info: NbDomain "Domain", NbComputer "Server")
//   2 hardened: MIC and channel bindings required, 128-bit and session security required,
//     Strict decoding
//   3 EPA accept: level 3, channel bindings checked when sent, no timestamp, a DNS tree name
// Accounts: Domain\User with password "Password" ([MS-NLMP] 4.2.1) and DOMAIN\bob known by
// NT hash only.
//
// Oracle:
//   - a CHALLENGE the server issues decodes under Strict, selects one character set, sets
//     NEGOTIATE_TARGET_INFO, and carries server_challenge();
//   - without a CHALLENGE, Accept answers out_of_order; a second Accept answers
//     challenge_replayed; with the clock moved, a decodable AUTHENTICATE answers
//     challenge_expired;
//   - AcceptResult: ok() exactly when there is no error; on success the policy held (level 5:
//     NTLMv2 or anonymous only; anonymous only when allowed; a valid MIC when required; valid
//     channel bindings when required) and Session() works unless DATAGRAM was negotiated;
//   - client mode, untouched (no edits, no fixes, the client's own NEGOTIATE, clock kept):
//     the server accepts, and the two sides' sessions seal, unseal, sign and verify each
//     other's messages.
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
#include "engine/server.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/session_check.h"

namespace {

using ntlm::AcceptResult;
using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::Challenge8;
using ntlm::DecodePolicy;
using ntlm::Key16;
using ntlm::RejectReason;
using ntlm::ResponseKind;
using ntlm::fuzz::Describe;

constexpr uint64_t kNow = 133170048000000000ull;  // 2023-01-01T00:00:00Z
constexpr uint64_t kLifetime = 5ull * 60 * 10000000;
constexpr Key16 kBindings = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                             0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
constexpr Key16 kOtherBindings = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
                                  0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00};
// The server's nonce: the [MS-NLMP] 4.2.1 ServerChallenge.
const Bytes kServerRandom = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

ntlm::ServerConfig BaseConfig() {
  ntlm::ServerConfig c;
  if (!c.store.Add("Domain", "User", "Password").ok()) {
    std::abort();
  }
  auto bob = ntlm::NtOwfV1("hunter2");
  if (!bob.ok() || !c.store.AddNtHash("DOMAIN", "bob", *bob).ok()) {
    std::abort();
  }
  c.identity.nb_domain = "Domain";
  c.identity.nb_computer = "Server";
  return c;
}

// The four presets, built on first use and never changed afterwards.
const ntlm::ServerConfig& PresetConfig(int preset) {
  static const ntlm::ServerConfig* const presets = [] {
    auto* p = new ntlm::ServerConfig[4]{BaseConfig(), BaseConfig(), BaseConfig(), BaseConfig()};
    // 1: legacy.
    p[1].policy.lm_compatibility_level = 0;
    p[1].policy.allow_anonymous = true;
    p[1].policy.challenge_lifetime = 0;
    p[1].identity.dns_computer.clear();
    p[1].identity.dns_domain.clear();
    p[1].identity.send_timestamp = false;
    // 2: hardened.
    p[2].policy.require_mic = true;
    p[2].policy.epa = ntlm::EpaMode::kRequire;
    p[2].policy.expected_channel_bindings = kBindings;
    p[2].policy.require_128bit = true;
    p[2].policy.require_session_security = true;
    p[2].policy.decode_policy = DecodePolicy::Strict();
    // 3: EPA accept.
    p[3].policy.lm_compatibility_level = 3;
    p[3].policy.epa = ntlm::EpaMode::kAccept;
    p[3].policy.expected_channel_bindings = kBindings;
    p[3].identity.send_timestamp = false;
    p[3].identity.dns_tree = "tree.test";
    return p;
  }();
  return presets[preset];
}

void Put(Bytes* msg, size_t offset, ByteView value) {
  if (offset <= msg->size() && value.size() <= msg->size() - offset) {
    std::copy(value.begin(), value.end(), msg->begin() + static_cast<std::ptrdiff_t>(offset));
  }
}

// Rewrites the response (and then the MIC) of |auth| as the account's owner would have
// computed them for this server's challenge. Best effort: anything it cannot repair it leaves.
void Repair(Bytes* auth, const ntlm::ServerConfig& cfg, const ntlm::ServerContext& server,
            ByteView negotiate, bool fix_response, bool fix_mic) {
  auto m = ntlm::DecodeAuthenticate(*auth, DecodePolicy::Lenient());
  auto chal_msg = ntlm::DecodeChallenge(server.challenge_message(), DecodePolicy::Lenient());
  if (!m.ok() || !chal_msg.ok() || !server.server_challenge().has_value()) {
    return;
  }
  const Challenge8& chal = *server.server_challenge();
  uint32_t flags = chal_msg->flags & m->flags;
  if ((flags & ntlm::kNegotiateExtendedSessionSecurity) != 0) {
    flags &= ~ntlm::kNegotiateLmKey;
  }
  const ntlm::Account* account = cfg.store.Find(m->domain, m->user, cfg.identity.nb_domain);
  Bytes nt = m->nt_response;
  Bytes lm = m->lm_response;
  Key16 kx{};
  const bool anonymous = nt.empty() && (lm.empty() || lm == Bytes(1, 0));
  if (!anonymous) {
    if (account == nullptr) {
      return;
    }
    auto nt_owf = account->secret.NtOwfV1();
    if (!nt_owf.ok()) {
      return;
    }
    std::optional<Key16> lm_owf;
    if (auto l = account->secret.LmOwfV1(); l.ok()) {
      lm_owf = *l;
    }
    Key16 base{};
    if (nt.size() >= 16 + ntlm::kNtlmV2TempHeaderSize) {
      auto key = ntlm::NtOwfV2(*nt_owf, m->user, m->domain);
      if (!key.ok()) {
        return;
      }
      if (fix_response) {
        const Key16 proof = ntlm::NtProofStrOverTemp(*key, chal, ByteView(nt).subspan(16));
        std::copy(proof.begin(), proof.end(), nt.begin());
        Put(auth, m->nt_field.offset, nt);
      }
      Key16 proof{};
      std::copy(nt.begin(), nt.begin() + 16, proof.begin());
      base = ntlm::NtlmV2SessionBaseKey(*key, proof);
      kx = ntlm::KxKeyNtlmV2(base);
    } else {
      if (fix_response && nt.size() == 24) {
        const bool ess = (flags & ntlm::kNegotiateExtendedSessionSecurity) != 0 &&
                         lm.size() == 24 &&
                         std::all_of(lm.begin() + 8, lm.end(), [](uint8_t x) { return x == 0; });
        if (ess) {
          Challenge8 cc{};
          std::copy(lm.begin(), lm.begin() + 8, cc.begin());
          const auto r = ntlm::NtlmV1EssResponse(*nt_owf, chal, cc);
          nt.assign(r.nt.begin(), r.nt.end());
        } else {
          const auto r = ntlm::NtlmV1Response(*nt_owf, chal);
          nt.assign(r.begin(), r.end());
        }
        Put(auth, m->nt_field.offset, nt);
      } else if (fix_response && nt.empty() && lm.size() == 24 && lm_owf.has_value()) {
        const auto r = ntlm::LmV1Response(*lm_owf, chal);
        lm.assign(r.begin(), r.end());
        Put(auth, m->lm_field.offset, lm);
      }
      base = ntlm::NtlmV1SessionBaseKey(*nt_owf);
      auto k = ntlm::KxKeyNtlmV1(flags, base, lm, chal, lm_owf);
      if (!k.ok()) {
        return;
      }
      kx = *k;
    }
  }
  if (!fix_mic || !m->mic.has_value()) {
    return;
  }
  Key16 exported = kx;
  if (!(anonymous && m->encrypted_random_session_key.empty())) {
    auto e = ntlm::ExportedSessionKeyFromWire(flags, kx, m->encrypted_random_session_key);
    if (!e.ok()) {
      return;
    }
    exported = *e;
  }
  auto zeroed = ntlm::ZeroMicField(*auth);
  if (!zeroed.ok()) {
    return;
  }
  const Key16 mic = ntlm::ComputeMic(exported, negotiate, server.challenge_message(), *zeroed);
  Put(auth, ntlm::kAuthenticateMicOffset, mic);
}

ntlm::ClientConfig ClientFor(int preset, uint8_t settings) {
  ntlm::ClientConfig c;
  c.user = "Domain\\User";
  c.secret.password = "Password";
  c.workstation = "COMPUTER";
  c.send_mic = (settings & 0x08) == 0;
  switch (preset) {
    case 1:
      switch (settings & 7) {
        case 4:
          c.response = ResponseKind::kNtlmV1;
          break;
        case 5:
          c.response = ResponseKind::kNtlmV1Ess;
          break;
        case 6:
          c.response = ResponseKind::kLm;
          break;
        case 7:
          c.anonymous = true;
          break;
        default:
          break;
      }
      break;
    case 2:
      c.send_mic = true;
      c.channel_binding = ntlm::ChannelBindingMode::kHash;
      c.channel_bindings_hash = kBindings;
      break;
    case 3: {
      const int b = (settings >> 4) & 3;
      c.channel_binding = b == 0   ? ntlm::ChannelBindingMode::kNone
                          : b == 1 ? ntlm::ChannelBindingMode::kZero
                                   : ntlm::ChannelBindingMode::kHash;
      c.channel_bindings_hash = b == 3 ? kOtherBindings : kBindings;
      break;
    }
    default:
      break;
  }
  return c;
}

void CheckPolicyHeld(const ntlm::ServerConfig& cfg, const AcceptResult& r) {
  const ntlm::ServerPolicy& p = cfg.policy;
  FUZZ_CHECK(r.response_kind.has_value(), "accepted without a response kind");
  const ResponseKind kind = *r.response_kind;
  const std::string what = std::string("accepted an ") + ntlm::ResponseKindName(kind) + ": ";
  if (p.lm_compatibility_level >= 5) {
    FUZZ_CHECK(kind == ResponseKind::kNtlmV2 || kind == ResponseKind::kAnonymous,
               what + "LmCompatibilityLevel 5 allows NTLMv2 only");
  }
  // engine/server.h: level 4 and up refuse LM (a domain controller's semantics).
  if (p.lm_compatibility_level >= 4) {
    FUZZ_CHECK(kind != ResponseKind::kLm, what + "LmCompatibilityLevel >= 4 refuses LM");
  }
  if (kind == ResponseKind::kAnonymous) {
    FUZZ_CHECK(p.allow_anonymous, what + "anonymous is not allowed");
    return;
  }
  if (p.require_mic) {
    FUZZ_CHECK(r.mic_present && r.mic_valid, what + "the policy requires a valid MIC");
  }
  if (p.epa == ntlm::EpaMode::kRequire) {
    FUZZ_CHECK(r.channel_bindings_present && r.channel_bindings_valid,
               what + "the policy requires valid channel bindings");
  }
  if (p.epa != ntlm::EpaMode::kOff && r.channel_bindings_present) {
    FUZZ_CHECK(r.channel_bindings_valid, what + "with wrong channel bindings");
  }
  if (p.require_128bit) {
    FUZZ_CHECK((r.negotiated_flags & ntlm::kNegotiate128) != 0, what + "without 128-bit keys");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntlm::fuzz::InputSplitter in(ByteView(data, size));
  const uint8_t options = in.U8();
  const int preset = options & 3;
  const bool fix_response = (options & 0x04) != 0;
  const bool fix_mic = (options & 0x08) != 0;
  const bool client_mode = (options & 0x10) != 0;
  const bool advance_clock = (options & 0x20) != 0;
  const bool replay = (options & 0x40) != 0;
  const ByteView fuzz_negotiate = in.Bytes(in.U16());

  const ntlm::ServerConfig& cfg = PresetConfig(preset);
  ntlm::internal::FixedEnvironment server_env(kServerRandom, kNow);
  ntlm::ServerContext server(cfg, &server_env);

  // The NEGOTIATE, and in client mode the client that answers the CHALLENGE.
  uint8_t client_settings = 0;
  std::optional<ntlm::ClientContext> client;
  ntlm::internal::FixedEnvironment client_env(
      Bytes{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x55, 0x55, 0x55, 0x55,
            0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55},
      kNow);
  Bytes negotiate(fuzz_negotiate.begin(), fuzz_negotiate.end());
  if (client_mode) {
    client_settings = in.U8();
    client.emplace(ClientFor(preset, client_settings), &client_env);
    if (negotiate.empty()) {
      auto n = client->Negotiate();
      if (n.ok()) {
        negotiate = *n;
      }
    }
  }

  auto challenge = server.Challenge(negotiate);
  if (!challenge.ok()) {
    if (ntlm::fuzz::Verbose()) {
      std::fprintf(stderr, "server: no CHALLENGE: %s\n", challenge.error().ToString().c_str());
    }
    const AcceptResult r = server.Accept(in.Rest());
    FUZZ_CHECK(r.reason == RejectReason::kOutOfOrder,
               std::string("Accept without a CHALLENGE: ") + ntlm::RejectReasonName(r.reason));
    return 0;
  }
  auto issued = ntlm::DecodeChallenge(*challenge, DecodePolicy::Strict());
  FUZZ_CHECK(issued.ok(),
             "the server's CHALLENGE does not decode under Strict: " + Describe(issued));
  const bool unicode = (issued->flags & ntlm::kNegotiateUnicode) != 0;
  const bool oem = (issued->flags & ntlm::kNegotiateOem) != 0;
  FUZZ_CHECK(unicode != oem, "the CHALLENGE must select exactly one character set");
  FUZZ_CHECK((issued->flags & ntlm::kNegotiateTargetInfo) != 0 && issued->target_info,
             "the CHALLENGE has no target info");
  FUZZ_CHECK(server.server_challenge().has_value() &&
                 *server.server_challenge() == issued->server_challenge,
             "server_challenge() is not the one in the CHALLENGE");
  FUZZ_CHECK(ntlm::fuzz::SameBytes(server.challenge_message(), *challenge),
             "challenge_message() is not the CHALLENGE returned");

  // The AUTHENTICATE.
  Bytes auth;
  bool edited = false;
  if (client_mode) {
    auto a = client->Authenticate(*challenge);
    if (!a.ok()) {
      if (ntlm::fuzz::Verbose()) {
        std::fprintf(stderr, "server: the client refused: %s\n", a.error().ToString().c_str());
      }
      return 0;  // the client's own checks refused this CHALLENGE
    }
    auth = *a;
    while (in.remaining() > 0 && !auth.empty()) {
      const size_t pos = in.U16() % auth.size();
      auth[pos] ^= in.U8();
      edited = true;
    }
  } else {
    ByteView rest = in.Rest();
    auth.assign(rest.begin(), rest.end());
  }
  if (fix_response || fix_mic) {
    Repair(&auth, cfg, server, negotiate, fix_response, fix_mic);
  }
  if (advance_clock) {
    server_env.set_time(kNow + kLifetime + 10000000);
  }

  const AcceptResult r = server.Accept(auth);
  if (ntlm::fuzz::Verbose()) {
    std::fprintf(stderr, "server: preset %d, %s mode: %s%s%s\n", preset,
                 client_mode ? "client" : "raw", ntlm::RejectReasonName(r.reason),
                 r.error ? ": " : "", r.error ? r.error->ToString().c_str() : "");
  }
  FUZZ_CHECK(r.ok() == !r.error.has_value(),
             std::string("AcceptResult: ok() and error disagree, reason ") +
                 ntlm::RejectReasonName(r.reason));
  if (!r.ok()) {
    (void)r.error->ToString();
    (void)ntlm::RejectReasonRule(r.reason);
  }
  // The server reads the AUTHENTICATE's names in the character set of its CHALLENGE
  // (messages.h StringCharset): what it can decode is what that reading can.
  const ntlm::StringCharset charset =
      unicode ? ntlm::StringCharset::kUnicode : ntlm::StringCharset::kOem;
  if (advance_clock && cfg.policy.challenge_lifetime != 0 &&
      ntlm::DecodeAuthenticate(auth, cfg.policy.decode_policy, charset).ok()) {
    FUZZ_CHECK(
        r.reason == RejectReason::kChallengeExpired,
        std::string("an AUTHENTICATE after the lifetime: ") + ntlm::RejectReasonName(r.reason));
  }
  const bool untouched = client_mode && fuzz_negotiate.empty() && !edited && !fix_response &&
                         !fix_mic && !advance_clock;
  // Preset 3 with the client's "another hash" binding is refused by design.
  const bool wrong_binding = preset == 3 && ((client_settings >> 4) & 3) == 3;
  if (untouched && !wrong_binding) {
    FUZZ_CHECK(r.ok(), std::string("the server refused its own client's AUTHENTICATE: ") +
                           ntlm::RejectReasonName(r.reason) + ": " +
                           (r.error ? r.error->ToString() : std::string()));
  }

  if (r.ok()) {
    CheckPolicyHeld(cfg, r);
    auto s = server.Session();
    const bool datagram = (r.negotiated_flags & ntlm::kNegotiateDatagram) != 0;
    FUZZ_CHECK(s.ok() || datagram, "Session() after a success: " + Describe(s));
    if (s.ok() && untouched && !wrong_binding) {
      auto c = client->Session();
      FUZZ_CHECK(c.ok(), "the client has no session where the server has one: " + Describe(c));
      FUZZ_CHECK(r.exported_session_key == client->exported_session_key(),
                 "client and server derived different session keys");
      ntlm::fuzz::CheckSessionPair(&c.value(), &s.value(), *challenge);
    }
  }

  if (replay) {
    const AcceptResult again = server.Accept(auth);
    FUZZ_CHECK(again.reason == RejectReason::kChallengeReplayed,
               std::string("a second AUTHENTICATE: ") + ntlm::RejectReasonName(again.reason));
  }
  return 0;
}
