// Every combination of client settings against every server policy, in process: each pair must
// end in the outcome the policy implies, with the expected reason code ([MS-NLMP] 3.1.5, 3.2.5,
// 3.3, 3.4). On success both ends must derive the same keys and talk over signing and sealing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/compute.h"
#include "engine/internal/test_seam.h"
#include "engine/server.h"

namespace ntlm {
namespace {

enum class Cb { kNone, kZero, kRight, kWrong };

struct ClientCase {
  ResponseKind kind;
  bool key_exch;
  bool version;
  bool mic;
  Cb cb;
  bool spn;
  bool oem_only;
};

struct PolicyCase {
  int level;
  bool require_mic;
  bool allow_anonymous;
  EpaMode epa;
  bool require_128;
  bool require_session_security;
};

const Key16 kRightBinding = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const Key16 kWrongBinding = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
constexpr uint64_t kNow = 0x01dc000000000000ULL;

std::string Describe(const ClientCase& c, const PolicyCase& p) {
  const char* cb[] = {"none", "zero", "right", "wrong"};
  const char* epa[] = {"off", "accept", "require"};
  return std::string("client{") + ResponseKindName(c.kind) + (c.key_exch ? " kx" : "") +
         (c.version ? " ver" : "") + (c.mic ? " mic" : "") + " cb=" +
         cb[static_cast<int>(c.cb)] + (c.spn ? " spn" : "") + (c.oem_only ? " oem" : "") +
         "} policy{level=" + std::to_string(p.level) + (p.require_mic ? " require_mic" : "") +
         (p.allow_anonymous ? " anon" : "") + " epa=" + epa[static_cast<int>(p.epa)] +
         (p.require_128 ? " 128" : "") + (p.require_session_security ? " sess" : "") + "}";
}

// The outcome the policy implies, in the order the server checks (engine/server.h).
RejectReason Expected(const ClientCase& c, const PolicyCase& p) {
  if (c.kind == ResponseKind::kAnonymous) {
    return p.allow_anonymous ? RejectReason::kNone : RejectReason::kAnonymousRefused;
  }
  if (c.kind == ResponseKind::kLm && p.level >= 4) {
    return RejectReason::kLmRefused;
  }
  if ((c.kind == ResponseKind::kNtlmV1 || c.kind == ResponseKind::kNtlmV1Ess) && p.level >= 5) {
    return RejectReason::kNtlmV1Refused;
  }
  if (p.require_128) {
    // The client always offers 128-bit; the server keeps it.
  }
  if (p.require_session_security &&
      (c.kind == ResponseKind::kNtlmV1 || c.kind == ResponseKind::kLm)) {
    return RejectReason::kSessionSecurityTooWeak;
  }
  const bool v2 = c.kind == ResponseKind::kNtlmV2;
  const bool mic_sent = v2 && c.mic;
  if (p.require_mic && !mic_sent) {
    return RejectReason::kMicMissing;
  }
  if (p.epa != EpaMode::kOff) {
    const bool present = v2 && (c.cb == Cb::kRight || c.cb == Cb::kWrong);
    if (present && c.cb == Cb::kWrong) {
      return RejectReason::kChannelBindingMismatch;
    }
    if (p.epa == EpaMode::kRequire && !present) {
      return RejectReason::kChannelBindingMissing;
    }
  }
  return RejectReason::kNone;
}

TEST(HandshakeMatrix_3_2_5, EveryClientAgainstEveryPolicy) {
  std::vector<ClientCase> clients;
  for (ResponseKind kind : {ResponseKind::kNtlmV2, ResponseKind::kNtlmV1Ess,
                            ResponseKind::kNtlmV1, ResponseKind::kLm, ResponseKind::kAnonymous}) {
    for (bool kx : {true, false}) {
      for (bool ver : {true, false}) {
        for (bool mic : {true, false}) {
          for (Cb cb : {Cb::kNone, Cb::kZero, Cb::kRight, Cb::kWrong}) {
            for (bool spn : {true, false}) {
              for (bool oem : {false, true}) {
                clients.push_back({kind, kx, ver, mic, cb, spn, oem});
              }
            }
          }
        }
      }
    }
  }
  std::vector<PolicyCase> policies;
  for (int level : {3, 4, 5}) {
    for (bool rmic : {false, true}) {
      for (bool anon : {false, true}) {
        for (EpaMode epa : {EpaMode::kOff, EpaMode::kAccept, EpaMode::kRequire}) {
          for (bool r128 : {false, true}) {
            for (bool rsess : {false, true}) {
              policies.push_back({level, rmic, anon, epa, r128, rsess});
            }
          }
        }
      }
    }
  }

  size_t ran = 0;
  size_t succeeded = 0;
  for (const ClientCase& c : clients) {
    for (const PolicyCase& p : policies) {
      SCOPED_TRACE(Describe(c, p));
      ClientConfig cc;
      cc.user = "DOMAIN\\alice";
      cc.secret.password = "Secret1!";
      cc.workstation = "WS1";
      cc.anonymous = c.kind == ResponseKind::kAnonymous;
      cc.response = c.kind;
      if (!c.key_exch) cc.negotiate_flags &= ~kNegotiateKeyExch;
      if (c.oem_only) cc.negotiate_flags &= ~kNegotiateUnicode;
      if (!c.version) cc.version.reset();
      cc.send_mic = c.mic;
      if (c.spn) cc.spn = "HTTP/server.domain.test";
      cc.channel_binding = c.cb == Cb::kNone   ? ChannelBindingMode::kNone
                           : c.cb == Cb::kZero ? ChannelBindingMode::kZero
                                               : ChannelBindingMode::kHash;
      cc.channel_bindings_hash = c.cb == Cb::kWrong ? kWrongBinding : kRightBinding;

      ServerConfig sc;
      ASSERT_TRUE(sc.store.Add("DOMAIN", "alice", "Secret1!").ok());
      sc.policy.lm_compatibility_level = p.level;
      sc.policy.require_mic = p.require_mic;
      sc.policy.allow_anonymous = p.allow_anonymous;
      sc.policy.epa = p.epa;
      sc.policy.expected_channel_bindings = kRightBinding;
      sc.policy.require_128bit = p.require_128;
      sc.policy.require_session_security = p.require_session_security;

      internal::FixedEnvironment client_env(Bytes{0x11, 0x22, 0x33}, kNow);
      internal::FixedEnvironment server_env(Bytes{0x44, 0x55}, kNow);
      ClientContext client(cc, &client_env);
      ServerContext server(sc, &server_env);

      auto negotiate = client.Negotiate();
      ASSERT_TRUE(negotiate.ok()) << negotiate.error().ToString();
      auto challenge = server.Challenge(*negotiate);
      ASSERT_TRUE(challenge.ok()) << challenge.error().ToString();
      auto authenticate = client.Authenticate(*challenge);
      ASSERT_TRUE(authenticate.ok()) << authenticate.error().ToString();
      AcceptResult r = server.Accept(*authenticate);
      ++ran;

      const RejectReason want = Expected(c, p);
      ASSERT_EQ(RejectReasonName(r.reason), std::string(RejectReasonName(want)))
          << (r.error ? r.error->ToString() : "");
      if (!r.ok()) {
        continue;
      }
      ++succeeded;
      if (c.kind != ResponseKind::kAnonymous) {
        EXPECT_EQ(r.user, "alice");
        EXPECT_EQ(r.domain, "DOMAIN");
      }
      EXPECT_EQ(r.response_kind, c.kind);
      EXPECT_EQ(r.mic_present, c.kind == ResponseKind::kNtlmV2 && c.mic);
      EXPECT_EQ(r.mic_valid, r.mic_present);
      EXPECT_EQ(r.spn.has_value(), c.kind == ResponseKind::kNtlmV2 && c.spn);
      // The server reports the CHALLENGE flags the client kept; NTLMSSP_ANONYMOUS is the
      // client's own mark on an anonymous AUTHENTICATE and never part of a CHALLENGE.
      EXPECT_EQ(r.negotiated_flags, client.negotiated_flags() & ~kNegotiateAnonymous);
      EXPECT_EQ(ToHex(r.exported_session_key), ToHex(client.exported_session_key()));

      // Both ends talk: client seals, server unseals; server signs, client verifies.
      auto cs = client.Session();
      auto ss = server.Session();
      ASSERT_TRUE(cs.ok()) << cs.error().ToString();
      ASSERT_TRUE(ss.ok()) << ss.error().ToString();
      const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
      auto sealed = cs->Seal(hello);
      auto opened = ss->Unseal(sealed.data, sealed.signature);
      ASSERT_TRUE(opened.ok()) << opened.error().ToString();
      EXPECT_EQ(*opened, hello);
      const MessageSignature sig = ss->Sign(hello);
      EXPECT_TRUE(cs->Verify(hello, sig).ok());
    }
  }
  // The matrix is what it claims: every client against every policy, and some of each kind.
  EXPECT_EQ(ran, clients.size() * policies.size());
  EXPECT_GT(succeeded, 0u);
  EXPECT_LT(succeeded, ran);
}

}  // namespace
}  // namespace ntlm
