// Tests of the server context, [MS-NLMP] 3.2.5.1.1 (CHALLENGE) and 3.2.5.1.2 (AUTHENTICATE).
//
// The AUTHENTICATE messages are built here by hand from compute.h and EncodeAuthenticate
// (TestClient below), so these tests do not depend on engine/client.cc; a last group drives the
// server with ClientContext as well. The [MS-NLMP] 4.2.4 example is accepted as the spec
// prints it.
#include "engine/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "engine/client.h"
#include "engine/flags.h"
#include "engine/internal/test_seam.h"
#include "engine/messages.h"
#include "engine/testing/test_util.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

Key16 K16(std::string_view hex) {
  const Bytes b = Hex(hex);
  Key16 k{};
  EXPECT_EQ(b.size(), k.size());
  std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
  return k;
}

Key16 Nt(std::string_view password) {
  Result<Key16> k = NtOwfV1(password);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : Key16{};
}

// 2023-01-01T00:00:00Z as a FILETIME: the server's clock in these tests.
constexpr uint64_t kNow = 133170048000000000ull;
constexpr char kServerChallengeHex[] = "0123456789abcdef";
constexpr uint64_t kFiveMinutes = 5ull * 60 * 10000000;

// What the test client offers: Windows' default set plus SIGN and SEAL.
constexpr uint32_t kNegotiateFlags = kDefaultClientFlags | kNegotiateSign | kNegotiateSeal;
static_assert(kNegotiateFlags == 0xe2088237u);
// The server's answer to it: UNICODE (not OEM), TARGET_INFO, TARGET_TYPE_DOMAIN added.
constexpr uint32_t kChallengeFlags = 0xe2898235u;
// What the client keeps in its AUTHENTICATE (TARGET_TYPE_* are not echoed), and so the
// negotiated flags.
constexpr uint32_t kAuthenticateFlags = 0xe2888235u;

const Key16 kBindings = K16("00112233445566778899aabbccddeeff");
const Key16 kOtherBindings = K16("ffeeddccbbaa99887766554433221100");

ServerConfig Config() {
  ServerConfig c;
  EXPECT_TRUE(c.store.Add("DOMAIN", "alice", "s3cret").ok());
  EXPECT_TRUE(c.store.AddNtHash("DOMAIN", "bob", Nt("hunter2")).ok());
  EXPECT_TRUE(c.store.Add("DOMAIN", "olduser", "Password").ok());
  return c;
}

// One server context with a fixed environment, after its CHALLENGE.
class Handshake {
 public:
  explicit Handshake(ServerConfig config, uint32_t negotiate_flags = kNegotiateFlags)
      : env_(Hex(kServerChallengeHex), kNow),
        server_(std::make_unique<ServerContext>(std::move(config), &env_)),
        negotiate_flags_(negotiate_flags) {}

  // Sends the NEGOTIATE; false (with a failure recorded) when the CHALLENGE is not produced.
  [[nodiscard]] bool Start() {
    NegotiateMessage n;
    n.flags = negotiate_flags_;
    if ((n.flags & kNegotiateVersion) != 0) {
      n.version = kDefaultClientVersion;
    }
    Result<Bytes> neg = EncodeNegotiate(n);
    if (!neg.ok()) {
      ADD_FAILURE() << neg.error().ToString();
      return false;
    }
    negotiate = *neg;
    Result<Bytes> ch = server_->Challenge(negotiate);
    if (!ch.ok()) {
      ADD_FAILURE() << ch.error().ToString();
      return false;
    }
    challenge = *ch;
    Result<ChallengeMessage> decoded = DecodeChallenge(challenge);
    if (!decoded.ok()) {
      ADD_FAILURE() << decoded.error().ToString();
      return false;
    }
    chal = *decoded;
    return true;
  }

  ServerContext& server() { return *server_; }
  internal::FixedEnvironment& env() { return env_; }

  Bytes negotiate;
  Bytes challenge;
  ChallengeMessage chal;

 private:
  internal::FixedEnvironment env_;
  std::unique_ptr<ServerContext> server_;
  uint32_t negotiate_flags_;
};

// A hand-built client: each response kind computed with compute.h, the AUTHENTICATE encoded
// with EncodeAuthenticate, the MIC patched in at offset 72.
struct TestClient {
  std::string user = "alice";
  std::string domain = "DOMAIN";
  std::string password = "s3cret";
  std::optional<Key16> nt_hash;
  ResponseKind kind = ResponseKind::kNtlmV2;
  std::optional<uint32_t> flags;  // default: the CHALLENGE's, less TARGET_TYPE_*
  // NTLMv2 with a server MsvAvTimestamp: MsvAvFlags 0x2, a MIC, and LMv2 = Z(24) (3.1.5.1.2).
  bool mic = true;
  // Announce the MIC in MsvAvFlags but leave no room for it: the payload starts at byte 72.
  bool mic_announced_without_field = false;
  std::optional<Key16> channel_bindings;
  std::optional<std::string> spn;
  std::function<void(TargetInfo*)> edit_av;
  std::optional<Bytes> encrypted_key;  // replaces EncryptedRandomSessionKey
  Challenge8 client_challenge = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
  Key16 random_session_key = K16("55555555555555555555555555555555");
  uint64_t client_time = kNow;

  // The AUTHENTICATE for |h|'s CHALLENGE; |exported| receives the client's ExportedSessionKey.
  Bytes Build(const Handshake& h, Key16* exported = nullptr) const {
    const ChallengeMessage& ch = h.chal;
    const uint32_t fl = flags.value_or(ch.flags & ~(kTargetTypeDomain | kTargetTypeServer));
    const Key16 nt_owf = nt_hash.has_value() ? *nt_hash : Nt(password);
    std::optional<Key16> lm_owf;
    if (!nt_hash.has_value()) {
      Result<Key16> lm = LmOwfV1(password);
      if (lm.ok()) {
        lm_owf = *lm;
      }
    }

    ResponseInputs in;
    in.kind = kind;
    in.server_challenge = ch.server_challenge;
    in.client_challenge = client_challenge;
    Bytes av_bytes;
    bool send_mic = false;
    if (kind == ResponseKind::kNtlmV2) {
      TargetInfo ti = ch.target_info.value_or(TargetInfo{});
      const std::optional<uint64_t> server_time = ti.GetTimestamp();
      in.timestamp = server_time.value_or(client_time);
      send_mic = mic && server_time.has_value();
      if (send_mic || mic_announced_without_field) {
        ti.SetFlags(ti.GetFlags().value_or(0) | kAvFlagMicPresent);
      }
      if (spn.has_value()) {
        EXPECT_TRUE(ti.SetString(AvId::kTargetName, *spn).ok());
      }
      if (channel_bindings.has_value()) {
        ti.Set(AvId::kChannelBindings, Bytes(channel_bindings->begin(), channel_bindings->end()));
      }
      if (edit_av) {
        edit_av(&ti);
      }
      Result<Bytes> encoded = EncodeTargetInfo(ti);
      EXPECT_TRUE(encoded.ok());
      av_bytes = *encoded;
      in.server_name = av_bytes;
      Result<Key16> v2 = NtOwfV2(nt_owf, user, domain);
      EXPECT_TRUE(v2.ok());
      in.response_key_nt = *v2;
    } else {
      in.response_key_nt = nt_owf;
      in.response_key_lm = lm_owf;
    }
    Result<ComputedResponses> resp = ComputeResponse(in);
    EXPECT_TRUE(resp.ok()) << resp.error().ToString();
    if (send_mic || mic_announced_without_field) {
      resp->lm_response.assign(24, 0);
    }
    Result<Key16> kx = KeyExchangeKey(kind, fl, *resp, ch.server_challenge, lm_owf);
    EXPECT_TRUE(kx.ok()) << kx.error().ToString();

    AuthenticateMessage am;
    am.flags = fl;
    am.lm_response = resp->lm_response;
    am.nt_response = resp->nt_response;
    am.domain = domain;
    am.user = user;
    am.workstation = "WORKSTATION";
    if ((fl & kNegotiateVersion) != 0) {
      am.version = kDefaultClientVersion;
    }
    Key16 key = *kx;
    if ((fl & kNegotiateKeyExch) != 0) {
      key = random_session_key;
      const Key16 enc = EncryptRandomSessionKey(*kx, key);
      am.encrypted_random_session_key.assign(enc.begin(), enc.end());
    }
    if (encrypted_key.has_value()) {
      am.encrypted_random_session_key = *encrypted_key;
    }
    if (send_mic && !mic_announced_without_field) {
      am.mic = std::array<uint8_t, 16>{};
    }
    Result<Bytes> wire = EncodeAuthenticate(am);
    EXPECT_TRUE(wire.ok()) << wire.error().ToString();
    if (am.mic.has_value()) {
      const Key16 m = ComputeMic(key, h.negotiate, h.challenge, *wire);
      std::memcpy(wire->data() + kAuthenticateMicOffset, m.data(), m.size());
    }
    if (exported != nullptr) {
      *exported = key;
    }
    return *wire;
  }
};

AcceptResult AcceptFrom(Handshake* h, const TestClient& client, Key16* exported = nullptr) {
  const Bytes auth = client.Build(*h, exported);
  return h->server().Accept(auth);
}

#define EXPECT_REJECTED(result, expected_reason)                                           \
  do {                                                                                     \
    const AcceptResult& r_ = (result);                                                     \
    EXPECT_EQ(RejectReasonName(r_.reason), std::string(RejectReasonName(expected_reason))) \
        << (r_.error.has_value() ? r_.error->ToString() : std::string("no detail"));       \
    EXPECT_FALSE(r_.ok());                                                                 \
    EXPECT_TRUE(r_.error.has_value());                                                     \
    EXPECT_EQ(r_.exported_session_key, Key16{});                                           \
  } while (0)

#define EXPECT_ACCEPTED(result)                                                 \
  do {                                                                          \
    const AcceptResult& r_ = (result);                                          \
    EXPECT_TRUE(r_.ok()) << RejectReasonName(r_.reason) << ": "                 \
                         << (r_.error.has_value() ? r_.error->ToString() : ""); \
  } while (0)

// --- 3.2.5.1.1: the CHALLENGE ----------------------------------------------------------------

TEST(ServerContext_3_2_5_1_1, ChallengeForDefaultNegotiate) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.chal.flags, kChallengeFlags) << FlagsToString(h.chal.flags);
  EXPECT_EQ(ToHex(h.chal.server_challenge), kServerChallengeHex);
  ASSERT_TRUE(h.server().server_challenge().has_value());
  EXPECT_EQ(ToHex(*h.server().server_challenge()), kServerChallengeHex);
  EXPECT_EQ(h.server().challenge_message(), h.challenge);
  EXPECT_EQ(h.chal.target_name, "DOMAIN");
  ASSERT_TRUE(h.chal.version.has_value());
  EXPECT_EQ(*h.chal.version, (Version{10, 0, 20348, {0, 0, 0}, kNtlmRevisionW2k3}));

  ASSERT_TRUE(h.chal.target_info.has_value());
  const TargetInfo& ti = *h.chal.target_info;
  ASSERT_EQ(ti.pairs.size(), 5u);
  const AvId order[] = {AvId::kNbDomainName, AvId::kNbComputerName, AvId::kDnsDomainName,
                        AvId::kDnsComputerName, AvId::kTimestamp};
  for (size_t i = 0; i < ti.pairs.size(); ++i) {
    EXPECT_EQ(ti.pairs[i].id, static_cast<uint16_t>(order[i])) << i;
  }
  EXPECT_EQ(ti.GetString(AvId::kNbDomainName), "DOMAIN");
  EXPECT_EQ(ti.GetString(AvId::kNbComputerName), "SERVER");
  EXPECT_EQ(ti.GetString(AvId::kDnsDomainName), "domain.test");
  EXPECT_EQ(ti.GetString(AvId::kDnsComputerName), "server.domain.test");
  EXPECT_EQ(ti.GetTimestamp(), kNow);
}

TEST(ServerContext_3_2_5_1_1, IdentityOptions) {
  ServerConfig c = Config();
  c.identity.target_is_domain = false;
  c.identity.send_timestamp = false;
  c.identity.dns_tree = "tree.test";
  c.identity.dns_domain.clear();
  c.identity.version.reset();
  c.fixed_challenge = Challenge8{1, 2, 3, 4, 5, 6, 7, 8};
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.chal.target_name, "SERVER");
  EXPECT_NE(h.chal.flags & kTargetTypeServer, 0u);
  EXPECT_EQ(h.chal.flags & kTargetTypeDomain, 0u);
  EXPECT_EQ(h.chal.flags & kNegotiateVersion, 0u);  // no VERSION without identity.version
  EXPECT_FALSE(h.chal.version.has_value());
  EXPECT_EQ(ToHex(h.chal.server_challenge), "0102030405060708");
  const TargetInfo& ti = *h.chal.target_info;
  EXPECT_FALSE(ti.Has(AvId::kTimestamp));
  EXPECT_FALSE(ti.Has(AvId::kDnsDomainName));
  EXPECT_EQ(ti.GetString(AvId::kDnsTreeName), "tree.test");
}

TEST(ServerContext_3_2_5_1_1, FlagsAreTheIntersectionPlusTheServersOwn) {
  struct Row {
    const char* name;
    uint32_t negotiate;
    uint32_t challenge;
  };
  const Row rows[] = {
      // OEM only: the server answers OEM.
      {"oem", kNegotiateOem | kNegotiateNtlm,
       kNegotiateOem | kNegotiateNtlm | kNegotiateTargetInfo | kTargetTypeDomain |
           kNegotiateVersion},
      // 56, 128, KEY_EXCH and ESS only when the client asks.
      {"minimal unicode", kNegotiateUnicode | kNegotiateNtlm,
       kNegotiateUnicode | kNegotiateNtlm | kNegotiateTargetInfo | kTargetTypeDomain |
           kNegotiateVersion},
      // Client-only and unsupported bits are not echoed (K, L, J, DATAGRAM, IDENTIFY).
      {"client-only bits",
       kNegotiateUnicode | kNegotiateOemDomainSupplied | kNegotiateOemWorkstationSupplied |
           kNegotiateAnonymous | kNegotiateDatagram | kNegotiateIdentify | kNegotiate128,
       kNegotiateUnicode | kNegotiate128 | kNegotiateTargetInfo | kTargetTypeDomain |
           kNegotiateVersion},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    Handshake h(Config(), row.negotiate);
    ASSERT_TRUE(h.Start());
    EXPECT_EQ(h.chal.flags, row.challenge) << FlagsToString(h.chal.flags);
  }
}

TEST(ServerContext_3_2_5_1_1, EssWinsOverLmKey) {
  ServerConfig c = Config();
  c.supported_flags |= kNegotiateLmKey;
  Handshake h(std::move(c), kNegotiateFlags | kNegotiateLmKey);
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.chal.flags & kNegotiateExtendedSessionSecurity, 0u);
  EXPECT_EQ(h.chal.flags & kNegotiateLmKey, 0u);

  ServerConfig c2 = Config();
  c2.supported_flags |= kNegotiateLmKey;
  Handshake h2(std::move(c2),
               (kNegotiateFlags | kNegotiateLmKey) & ~kNegotiateExtendedSessionSecurity);
  ASSERT_TRUE(h2.Start());
  EXPECT_NE(h2.chal.flags & kNegotiateLmKey, 0u);
}

TEST(ServerContext_3_2_5_1_1, RefusesNoCharacterSet) {
  internal::FixedEnvironment env(Hex(kServerChallengeHex), kNow);
  ServerContext server(Config(), &env);
  NegotiateMessage n;
  n.flags = kNegotiateNtlm | kNegotiateExtendedSessionSecurity;
  Result<Bytes> ch = server.Challenge(*EncodeNegotiate(n));
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code, ErrorCode::kPolicyViolation);
  EXPECT_EQ(ch.error().rule, "MS-NLMP 3.2.5.1.1");
  EXPECT_FALSE(server.server_challenge().has_value());
}

TEST(ServerContext_3_2_5_1_1, RefusesMalformedNegotiateAndASecondChallenge) {
  internal::FixedEnvironment env(Hex(kServerChallengeHex), kNow);
  ServerContext server(Config(), &env);
  Result<Bytes> bad = server.Challenge(Hex("4e544c4d5353500002000000"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kWrongMessageType) << bad.error().ToString();

  NegotiateMessage n;
  n.flags = kNegotiateUnicode | kNegotiateNtlm;
  ASSERT_TRUE(server.Challenge(*EncodeNegotiate(n)).ok());
  Result<Bytes> again = server.Challenge(*EncodeNegotiate(n));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

// --- 3.2.5.1.2: NTLMv2 -----------------------------------------------------------------------

TEST(ServerContext_3_2_5_1_2, NtlmV2Success) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.spn = "HTTP/server.domain.test";
  Key16 exported{};
  const AcceptResult r = AcceptFrom(&h, client, &exported);
  EXPECT_ACCEPTED(r);
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.domain, "DOMAIN");
  EXPECT_EQ(r.workstation, "WORKSTATION");
  EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV2);
  EXPECT_EQ(r.negotiated_flags, kAuthenticateFlags) << FlagsToString(r.negotiated_flags);
  EXPECT_EQ(ToHex(r.exported_session_key), "55555555555555555555555555555555");
  EXPECT_EQ(r.exported_session_key, exported);
  EXPECT_TRUE(r.mic_present);
  EXPECT_TRUE(r.mic_valid);
  EXPECT_FALSE(r.channel_bindings_present);
  EXPECT_EQ(r.spn, "HTTP/server.domain.test");

  // Session security: what the client seals, the server unseals, and back.
  Result<SessionSecurity> server_session = h.server().Session();
  ASSERT_TRUE(server_session.ok()) << server_session.error().ToString();
  Result<SessionSecurity> client_session =
      SessionSecurity::Create(kAuthenticateFlags, exported, Side::kClient);
  ASSERT_TRUE(client_session.ok());
  const SessionSecurity::Sealed up = client_session->Seal(AsBytes("ping"));
  Result<Bytes> got = server_session->Unseal(up.data, up.signature);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, Bytes(AsBytes("ping").begin(), AsBytes("ping").end()));
  const SessionSecurity::Sealed down = server_session->Seal(AsBytes("pong"));
  EXPECT_TRUE(client_session->Unseal(down.data, down.signature).ok());
}

TEST(ServerContext_3_2_5_1_2, NtlmV2WithoutKeyExchange) {
  Handshake h(Config(), kNegotiateFlags & ~kNegotiateKeyExch);
  ASSERT_TRUE(h.Start());
  Key16 exported{};
  const AcceptResult r = AcceptFrom(&h, TestClient{}, &exported);
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(r.negotiated_flags & kNegotiateKeyExch, 0u);
  EXPECT_EQ(r.exported_session_key, exported);  // KXKEY = SessionBaseKey
  EXPECT_NE(ToHex(exported), "55555555555555555555555555555555");
}

TEST(ServerContext_3_2_5_1_2, EmptyDomainMeansTheServersDomain) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.domain = "";
  client.user = "ALICE";  // user names compare case-insensitively
  EXPECT_ACCEPTED(AcceptFrom(&h, client));
}

TEST(ServerContext_3_2_5_1_2, NtHashAccountAuthenticatesNtlmV2) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.user = "bob";
  client.password = "hunter2";
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(r.user, "bob");
}

TEST(ServerContext_3_2_5_1_2, WrongPassword) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.password = "wrong";
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_REJECTED(r, RejectReason::kWrongProof);
  EXPECT_EQ(r.user, "alice");  // reported as far as decoding got
  EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV2);
  EXPECT_FALSE(h.server().Session().ok());
}

TEST(ServerContext_3_2_5_1_2, UnknownUser) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.user = "mallory";
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_REJECTED(r, RejectReason::kUnknownUser);
  EXPECT_EQ(r.user, "mallory");

  Handshake h2(Config());
  ASSERT_TRUE(h2.Start());
  TestClient other_domain;
  other_domain.domain = "ELSEWHERE";
  EXPECT_REJECTED(AcceptFrom(&h2, other_domain), RejectReason::kUnknownUser);
}

TEST(ServerContext_3_2_5_1_2, FlippedNtProofStrByte) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  Bytes auth = TestClient{}.Build(h);
  Result<AuthenticateMessage> m = DecodeAuthenticate(auth);
  ASSERT_TRUE(m.ok());
  const size_t at = m->nt_field.offset + 3;  // inside NTProofStr
  auth[at] ^= 0x01;
  const AcceptResult r = h.server().Accept(auth);
  EXPECT_REJECTED(r, RejectReason::kWrongProof);
}

TEST(ServerContext_3_2_5_1_2, FlippedBlobByteBreaksTheProof) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  Bytes auth = TestClient{}.Build(h);
  Result<AuthenticateMessage> m = DecodeAuthenticate(auth);
  ASSERT_TRUE(m.ok());
  const size_t at = m->nt_field.offset + 16 + 16;  // ChallengeFromClient
  auth[at] ^= 0x80;
  EXPECT_REJECTED(h.server().Accept(auth), RejectReason::kWrongProof);
}

// 3.2.5.1.2 fails only when both responses differ: a correct LMv2 alone is accepted, as
// Windows does. (Without a server timestamp the client sends LMv2 and no MIC.)
// Stricter than 3.2.5.1.2 on purpose: a correct LMv2 does not rescue a wrong NTProofStr, since
// the NTLMv2 blob (MIC flag, channel bindings, SPN) would be unauthenticated.
TEST(ServerContext_3_2_5_1_2, LmV2AloneDoesNotRescueAWrongProof) {
  ServerConfig c = Config();
  c.identity.send_timestamp = false;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  Key16 exported{};
  Bytes auth = TestClient{}.Build(h, &exported);
  Result<AuthenticateMessage> m = DecodeAuthenticate(auth);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->lm_response.size(), 24u);
  ASSERT_FALSE(m->mic.has_value());
  auth[m->nt_field.offset] ^= 0x01;
  const AcceptResult r = h.server().Accept(auth);
  EXPECT_EQ(r.reason, RejectReason::kWrongProof);
}

TEST(ServerContext_3_2_5_1_2, ZeroLmV2DoesNotRescueAWrongProof) {
  ServerConfig c = Config();
  c.identity.send_timestamp = false;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.password = "wrong";
  client.mic_announced_without_field = true;  // LMv2 = Z(24)
  EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kWrongProof);
}

TEST(ServerContext_3_2_5_1_2, Replay) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  const Bytes auth = TestClient{}.Build(h);
  EXPECT_ACCEPTED(h.server().Accept(auth));
  const AcceptResult again = h.server().Accept(auth);
  EXPECT_REJECTED(again, RejectReason::kChallengeReplayed);
  // The first success still stands for Session().
  EXPECT_TRUE(h.server().Session().ok());
}

TEST(ServerContext_3_2_5_1_2, ChallengeConsumedEvenByAFailure) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient bad;
  bad.password = "wrong";
  EXPECT_REJECTED(AcceptFrom(&h, bad), RejectReason::kWrongProof);
  EXPECT_REJECTED(AcceptFrom(&h, TestClient{}), RejectReason::kChallengeReplayed);

  Handshake h2(Config());
  ASSERT_TRUE(h2.Start());
  EXPECT_REJECTED(h2.server().Accept(Hex("00")), RejectReason::kMalformed);
  EXPECT_REJECTED(AcceptFrom(&h2, TestClient{}), RejectReason::kChallengeReplayed);
}

TEST(ServerContext_3_2_5_1_2, AuthenticateBeforeChallenge) {
  internal::FixedEnvironment env(Hex(kServerChallengeHex), kNow);
  ServerContext server(Config(), &env);
  const AcceptResult r = server.Accept(Hex("4e544c4d5353500003000000"));
  EXPECT_REJECTED(r, RejectReason::kOutOfOrder);
  EXPECT_FALSE(server.Session().ok());
}

TEST(ServerContext_3_2_5_1_2, Malformed) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  const AcceptResult r = h.server().Accept(Hex("4e544c4d535350000300000018001800ff000000"));
  EXPECT_REJECTED(r, RejectReason::kMalformed);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, ErrorCode::kTruncated) << r.error->ToString();
}

TEST(ServerContext_3_2_5_1_2, Expired) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  const Bytes auth = TestClient{}.Build(h);
  h.env().set_time(kNow + kFiveMinutes + 1);
  EXPECT_REJECTED(h.server().Accept(auth), RejectReason::kChallengeExpired);

  // At exactly the lifetime it is still valid; with lifetime 0 it never expires.
  Handshake h2(Config());
  ASSERT_TRUE(h2.Start());
  h2.env().set_time(kNow + kFiveMinutes);
  EXPECT_ACCEPTED(AcceptFrom(&h2, TestClient{}));

  ServerConfig c = Config();
  c.policy.challenge_lifetime = 0;
  Handshake h3(std::move(c));
  ASSERT_TRUE(h3.Start());
  h3.env().set_time(kNow + 1000 * kFiveMinutes);
  EXPECT_ACCEPTED(AcceptFrom(&h3, TestClient{}));
}

TEST(ServerContext_3_2_5_1_2, ChangedTimestamp) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.edit_av = [](TargetInfo* ti) { ti->SetTimestamp(kNow - 1); };
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_REJECTED(r, RejectReason::kTimestampMismatch);
  EXPECT_EQ(r.error->rule, "MS-NLMP 3.3.2");

  Handshake h2(Config());
  ASSERT_TRUE(h2.Start());
  TestClient removed;
  removed.edit_av = [](TargetInfo* ti) { ti->Remove(AvId::kTimestamp); };
  removed.mic = false;
  EXPECT_REJECTED(AcceptFrom(&h2, removed), RejectReason::kTimestampMismatch);
}

TEST(ServerContext_3_2_5_1_2, ClientClockSkewWithoutServerTimestamp) {
  ServerConfig c = Config();
  c.identity.send_timestamp = false;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.client_time = kNow - kFiveMinutes - 1;
  EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kTimestampMismatch);

  ServerConfig c2 = Config();
  c2.identity.send_timestamp = false;
  Handshake h2(std::move(c2));
  ASSERT_TRUE(h2.Start());
  TestClient ok;
  ok.client_time = kNow + kFiveMinutes;
  EXPECT_ACCEPTED(AcceptFrom(&h2, ok));
}

TEST(ServerContext_3_2_5_1_2, TargetInfoMismatch) {
  struct Row {
    const char* name;
    std::function<void(TargetInfo*)> edit;
  };
  const Row rows[] = {
      {"NbComputerName removed", [](TargetInfo* ti) { ti->Remove(AvId::kNbComputerName); }},
      {"NbDomainName removed", [](TargetInfo* ti) { ti->Remove(AvId::kNbDomainName); }},
      {"NbComputerName changed",
       [](TargetInfo* ti) { EXPECT_TRUE(ti->SetString(AvId::kNbComputerName, "EVIL").ok()); }},
      {"NbDomainName case changed",
       [](TargetInfo* ti) { EXPECT_TRUE(ti->SetString(AvId::kNbDomainName, "domain").ok()); }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    Handshake h(Config());
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.edit_av = row.edit;
    EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kTargetInfoMismatch);
  }
  // The DNS names are not checked.
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.edit_av = [](TargetInfo* ti) { ti->Remove(AvId::kDnsComputerName); };
  EXPECT_ACCEPTED(AcceptFrom(&h, client));
}

// "Drop the MIC": MsvAvFlags says MIC, but the payload starts at byte 72, so there is none.
TEST(ServerContext_3_2_5_1_2, MicAnnouncedButAbsent) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.mic_announced_without_field = true;
  const Bytes auth = client.Build(h);
  Result<AuthenticateMessage> m = DecodeAuthenticate(auth);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::min({m->lm_field.offset, m->nt_field.offset, m->domain_field.offset,
                      m->user_field.offset}),
            72u);
  EXPECT_FALSE(m->mic.has_value());
  const AcceptResult r = h.server().Accept(auth);
  EXPECT_REJECTED(r, RejectReason::kMicMissing);
  EXPECT_FALSE(r.mic_present);
  EXPECT_EQ(r.error->offset, kAuthenticateMicOffset);
}

TEST(ServerContext_3_2_5_1_2, WrongMic) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  Bytes auth = TestClient{}.Build(h);
  auth[kAuthenticateMicOffset + 5] ^= 0x20;
  const AcceptResult r = h.server().Accept(auth);
  EXPECT_REJECTED(r, RejectReason::kMicWrong);
  EXPECT_TRUE(r.mic_present);
  EXPECT_FALSE(r.mic_valid);
}

TEST(ServerContext_3_2_5_1_2, MicCoversNegotiateAndChallenge) {
  // A MIC computed over another NEGOTIATE (e.g. one an attacker rewrote) does not verify.
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  Handshake other(Config());
  ASSERT_TRUE(other.Start());
  other.negotiate[12] ^= 0x10;  // the NEGOTIATE the client believes it sent
  other.chal = h.chal;
  other.challenge = h.challenge;
  EXPECT_REJECTED(h.server().Accept(TestClient{}.Build(other)), RejectReason::kMicWrong);
}

TEST(ServerContext_3_2_5_1_2, RequireMic) {
  ServerConfig c = Config();
  c.policy.require_mic = true;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient no_mic;
  no_mic.mic = false;
  EXPECT_REJECTED(AcceptFrom(&h, no_mic), RejectReason::kMicMissing);

  ServerConfig c2 = Config();
  c2.policy.require_mic = true;
  Handshake h2(std::move(c2));
  ASSERT_TRUE(h2.Start());
  EXPECT_ACCEPTED(AcceptFrom(&h2, TestClient{}));
}

TEST(ServerContext_3_2_5_1_2, KeyExchangeWith64ByteKey) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.encrypted_key = Bytes(64, 0x42);
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_REJECTED(r, RejectReason::kBadSessionKey);
  EXPECT_EQ(r.error->field, "EncryptedRandomSessionKeyFields");

  Handshake h2(Config());
  ASSERT_TRUE(h2.Start());
  TestClient empty;
  empty.encrypted_key = Bytes{};
  EXPECT_REJECTED(AcceptFrom(&h2, empty), RejectReason::kBadSessionKey);
}

TEST(ServerContext_3_2_5_1_2, NtResponseOf8Bytes) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  AuthenticateMessage am;
  am.flags = kAuthenticateFlags;
  am.version = kDefaultClientVersion;
  am.user = "alice";
  am.domain = "DOMAIN";
  am.lm_response = Bytes(24, 0x11);
  am.nt_response = Bytes(8, 0x22);
  am.encrypted_random_session_key = Bytes(16, 0x33);
  const AcceptResult r = h.server().Accept(*EncodeAuthenticate(am));
  EXPECT_REJECTED(r, RejectReason::kMalformed);
  EXPECT_EQ(r.error->field, "NtChallengeResponseFields");
  EXPECT_FALSE(r.response_kind.has_value());
}

// An empty NT response and LM = Z(1) with a user name: not anonymous (3.2.5.1.2 needs both the
// user name and the response empty), and no proof for the user named: kWrongProof, decided
// before the account lookup so it says nothing about whether the account exists.
TEST(ServerContext_3_2_5_1_2, EmptyResponseWithUserName) {
  for (const char* user : {"alice", "nobody"}) {
    SCOPED_TRACE(user);
    ServerConfig c = Config();
    c.policy.allow_anonymous = true;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    AuthenticateMessage am;
    am.flags = kAuthenticateFlags & ~kNegotiateKeyExch;
    am.version = kDefaultClientVersion;
    am.user = user;
    am.domain = "DOMAIN";
    am.lm_response = Bytes(1, 0);
    const AcceptResult r = h.server().Accept(*EncodeAuthenticate(am));
    EXPECT_REJECTED(r, RejectReason::kWrongProof);
    EXPECT_EQ(r.user, user);
  }
}

// The AUTHENTICATE's strings are read in the character set the CHALLENGE chose (StringCharset
// in messages.h), whatever the AUTHENTICATE's own NTLMSSP_NEGOTIATE_UNICODE bit says.
void SetAuthenticateFlags(Bytes* wire, uint32_t flags) {
  constexpr size_t kFlagsOffset = 60;  // 2.2.1.3 NegotiateFlags
  for (size_t i = 0; i < 4; ++i) {
    (*wire)[kFlagsOffset + i] = static_cast<uint8_t>(flags >> (8 * i));
  }
}

TEST(ServerContext_3_2_5_1_2, OemStringsUnderAUnicodeFlagAfterAnOemChallenge) {
  // wget 1.21: NEGOTIATE OEM | NTLM, then an AUTHENTICATE with flags 0x00008201 (UNICODE,
  // NTLM, ALWAYS_SIGN) and "alice" in 5 OEM bytes, with an NTLMv1 response.
  ServerConfig c = Config();
  c.policy.lm_compatibility_level = 3;
  Handshake h(std::move(c), kNegotiateOem | kNegotiateNtlm);
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.chal.flags & (kNegotiateUnicode | kNegotiateOem), kNegotiateOem);
  TestClient client;
  client.kind = ResponseKind::kNtlmV1;
  client.flags = kNegotiateOem | kNegotiateNtlm;
  Bytes wire = client.Build(h);
  SetAuthenticateFlags(&wire, kNegotiateUnicode | kNegotiateNtlm | kNegotiateAlwaysSign);
  ASSERT_FALSE(DecodeAuthenticate(wire).ok());  // read alone, the flag says UTF-16
  const AcceptResult r = h.server().Accept(wire);
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.domain, "DOMAIN");
  EXPECT_EQ(r.workstation, "WORKSTATION");
  EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV1);
}

TEST(ServerContext_3_2_5_1_2, UnicodeStringsWithoutTheFlagAfterAUnicodeChallenge) {
  Handshake h(Config());
  ASSERT_TRUE(h.Start());
  ASSERT_NE(h.chal.flags & kNegotiateUnicode, 0u);
  TestClient client;
  client.mic = false;  // the flags are patched after the message is built
  Bytes wire = client.Build(h);
  const uint32_t sent = client.flags.value_or(h.chal.flags & ~(kTargetTypeDomain |
                                                               kTargetTypeServer));
  SetAuthenticateFlags(&wire, (sent & ~kNegotiateUnicode) | kNegotiateOem);
  const AcceptResult r = h.server().Accept(wire);
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.domain, "DOMAIN");
}

// --- response kinds and LmCompatibilityLevel -------------------------------------------------

constexpr uint32_t kNegotiateNoEss = kNegotiateFlags & ~kNegotiateExtendedSessionSecurity;

TEST(ServerContext_LmCompatibilityLevel, NtlmV1) {
  struct Row {
    int level;
    RejectReason expected;
  };
  const Row rows[] = {{0, RejectReason::kNone},
                      {2, RejectReason::kNone},
                      {3, RejectReason::kNone},
                      {4, RejectReason::kNone},
                      {5, RejectReason::kNtlmV1Refused}};
  for (const Row& row : rows) {
    SCOPED_TRACE(row.level);
    ServerConfig c = Config();
    c.policy.lm_compatibility_level = row.level;
    Handshake h(std::move(c), kNegotiateNoEss);
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.kind = ResponseKind::kNtlmV1;
    Key16 exported{};
    const AcceptResult r = AcceptFrom(&h, client, &exported);
    EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV1);
    if (row.expected == RejectReason::kNone) {
      EXPECT_ACCEPTED(r);
      EXPECT_EQ(r.exported_session_key, exported);
      EXPECT_EQ(r.negotiated_flags & kNegotiateExtendedSessionSecurity, 0u);
    } else {
      EXPECT_REJECTED(r, row.expected);
    }
  }
}

TEST(ServerContext_LmCompatibilityLevel, NtlmV1WithoutKeyExchange) {
  ServerConfig c = Config();
  c.policy.lm_compatibility_level = 2;
  Handshake h(std::move(c), kNegotiateNoEss & ~kNegotiateKeyExch);
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.kind = ResponseKind::kNtlmV1;
  const AcceptResult r = AcceptFrom(&h, client);
  EXPECT_ACCEPTED(r);
  // KXKEY = SessionBaseKey = MD4(NTOWFv1) (3.3.1, 3.4.5.1).
  EXPECT_EQ(r.exported_session_key, NtlmV1SessionBaseKey(Nt("s3cret")));
}

TEST(ServerContext_LmCompatibilityLevel, NtlmV1WrongPassword) {
  ServerConfig c = Config();
  c.policy.lm_compatibility_level = 2;
  Handshake h(std::move(c), kNegotiateNoEss);
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.kind = ResponseKind::kNtlmV1;
  client.password = "nope";
  EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kWrongProof);
}

TEST(ServerContext_LmCompatibilityLevel, NtlmV1Ess) {
  for (int level : {2, 5}) {
    SCOPED_TRACE(level);
    ServerConfig c = Config();
    c.policy.lm_compatibility_level = level;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.kind = ResponseKind::kNtlmV1Ess;
    Key16 exported{};
    const AcceptResult r = AcceptFrom(&h, client, &exported);
    EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV1Ess);
    if (level == 5) {
      EXPECT_REJECTED(r, RejectReason::kNtlmV1Refused);
    } else {
      EXPECT_ACCEPTED(r);
      EXPECT_EQ(r.exported_session_key, exported);
    }
  }
}

TEST(ServerContext_LmCompatibilityLevel, Lm) {
  struct Row {
    int level;
    const char* user;
    const char* password;
    RejectReason expected;
  };
  const Row rows[] = {
      {2, "olduser", "Password", RejectReason::kNone},
      {0, "olduser", "Password", RejectReason::kNone},
      {3, "olduser", "Password", RejectReason::kNone},
      {4, "olduser", "Password", RejectReason::kLmRefused},
      {5, "olduser", "Password", RejectReason::kLmRefused},
      {2, "olduser", "Passw0rd", RejectReason::kWrongProof},
      // An account known by its NT hash has no LMOWFv1: it cannot answer LM.
      {2, "bob", "hunter2", RejectReason::kWrongProof},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::to_string(row.level) + " " + row.user);
    ServerConfig c = Config();
    c.policy.lm_compatibility_level = row.level;
    Handshake h(std::move(c), kNegotiateNoEss);
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.kind = ResponseKind::kLm;
    client.user = row.user;
    client.password = row.password;
    Key16 exported{};
    const AcceptResult r = AcceptFrom(&h, client, &exported);
    EXPECT_EQ(r.response_kind, ResponseKind::kLm);
    if (row.expected == RejectReason::kNone) {
      EXPECT_ACCEPTED(r);
      EXPECT_EQ(r.exported_session_key, exported);
    } else {
      EXPECT_REJECTED(r, row.expected);
    }
  }
}

TEST(ServerContext_3_2_5_1_2, Anonymous) {
  for (bool allowed : {false, true}) {
    SCOPED_TRACE(allowed);
    ServerConfig c = Config();
    c.policy.allow_anonymous = allowed;
    c.policy.epa = EpaMode::kRequire;  // nothing to bind: not checked for anonymous
    c.policy.require_mic = true;       // no key to prove: not checked for anonymous
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    AuthenticateMessage am;
    am.flags = kAuthenticateFlags | kNegotiateAnonymous;
    am.version = kDefaultClientVersion;
    am.lm_response = Bytes(1, 0);
    am.workstation = "WS";
    const AcceptResult r = h.server().Accept(*EncodeAuthenticate(am));
    EXPECT_EQ(r.response_kind, ResponseKind::kAnonymous);
    if (allowed) {
      EXPECT_ACCEPTED(r);
      EXPECT_EQ(r.exported_session_key, Key16{});  // KEY_EXCH without a key: Z(16)
      EXPECT_TRUE(r.user.empty());
      EXPECT_TRUE(h.server().Session().ok());
    } else {
      EXPECT_REJECTED(r, RejectReason::kAnonymousRefused);
    }
  }
}

TEST(ServerContext_3_2_5_1_2, AnonymousWithExchangedKey) {
  ServerConfig c = Config();
  c.policy.allow_anonymous = true;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.kind = ResponseKind::kAnonymous;
  client.user = "";
  client.domain = "";
  Key16 exported{};
  const AcceptResult r = AcceptFrom(&h, client, &exported);
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(ToHex(r.exported_session_key), "55555555555555555555555555555555");
  EXPECT_EQ(r.exported_session_key, exported);
}

// --- NtlmMinServerSec ------------------------------------------------------------------------

TEST(ServerContext_NtlmMinServerSec, Require128Bit) {
  ServerConfig c = Config();
  c.policy.require_128bit = true;
  Handshake h(std::move(c), kNegotiateFlags & ~kNegotiate128);
  ASSERT_TRUE(h.Start());
  EXPECT_REJECTED(AcceptFrom(&h, TestClient{}), RejectReason::kSessionSecurityTooWeak);

  ServerConfig c2 = Config();
  c2.policy.require_128bit = true;
  Handshake h2(std::move(c2));
  ASSERT_TRUE(h2.Start());
  EXPECT_ACCEPTED(AcceptFrom(&h2, TestClient{}));
}

TEST(ServerContext_NtlmMinServerSec, RequireSessionSecurity) {
  struct Row {
    const char* name;
    ResponseKind kind;
    uint32_t negotiate;
    RejectReason expected;
  };
  const Row rows[] = {
      {"v1 without ESS", ResponseKind::kNtlmV1, kNegotiateNoEss,
       RejectReason::kSessionSecurityTooWeak},
      {"v1 ESS", ResponseKind::kNtlmV1Ess, kNegotiateFlags, RejectReason::kNone},
      {"v2 without ESS flag", ResponseKind::kNtlmV2, kNegotiateNoEss, RejectReason::kNone},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ServerConfig c = Config();
    c.policy.lm_compatibility_level = 0;
    c.policy.require_session_security = true;
    Handshake h(std::move(c), row.negotiate);
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.kind = row.kind;
    const AcceptResult r = AcceptFrom(&h, client);
    if (row.expected == RejectReason::kNone) {
      EXPECT_ACCEPTED(r);
    } else {
      EXPECT_REJECTED(r, row.expected);
    }
  }
}

// --- Extended Protection (channel bindings) --------------------------------------------------

TEST(ServerContext_Epa, ModesTimesBindings) {
  enum class Sent { kNone, kZero, kRight, kWrong };
  struct Row {
    EpaMode mode;
    Sent sent;
    RejectReason expected;
  };
  const RejectReason ok = RejectReason::kNone;
  const RejectReason missing = RejectReason::kChannelBindingMissing;
  const RejectReason mismatch = RejectReason::kChannelBindingMismatch;
  const Row rows[] = {
      {EpaMode::kOff, Sent::kNone, ok},          {EpaMode::kOff, Sent::kZero, ok},
      {EpaMode::kOff, Sent::kRight, ok},         {EpaMode::kOff, Sent::kWrong, ok},
      {EpaMode::kAccept, Sent::kNone, ok},       {EpaMode::kAccept, Sent::kZero, ok},
      {EpaMode::kAccept, Sent::kRight, ok},      {EpaMode::kAccept, Sent::kWrong, mismatch},
      {EpaMode::kRequire, Sent::kNone, missing}, {EpaMode::kRequire, Sent::kZero, missing},
      {EpaMode::kRequire, Sent::kRight, ok},     {EpaMode::kRequire, Sent::kWrong, mismatch},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE("mode " + std::to_string(static_cast<int>(row.mode)) + " sent " +
                 std::to_string(static_cast<int>(row.sent)));
    ServerConfig c = Config();
    c.policy.epa = row.mode;
    c.policy.expected_channel_bindings = kBindings;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    TestClient client;
    switch (row.sent) {
      case Sent::kNone:
        break;
      case Sent::kZero:
        client.channel_bindings = Key16{};
        break;
      case Sent::kRight:
        client.channel_bindings = kBindings;
        break;
      case Sent::kWrong:
        client.channel_bindings = kOtherBindings;
        break;
    }
    const AcceptResult r = AcceptFrom(&h, client);
    EXPECT_EQ(r.channel_bindings_present, row.sent == Sent::kRight || row.sent == Sent::kWrong);
    EXPECT_EQ(r.channel_bindings_valid, row.sent == Sent::kRight && row.expected == ok);
    if (row.expected == ok) {
      EXPECT_ACCEPTED(r);
    } else {
      EXPECT_REJECTED(r, row.expected);
    }
  }
}

TEST(ServerContext_Epa, NtlmV1CountsAsMissing) {
  for (EpaMode mode : {EpaMode::kAccept, EpaMode::kRequire}) {
    SCOPED_TRACE(static_cast<int>(mode));
    ServerConfig c = Config();
    c.policy.lm_compatibility_level = 2;
    c.policy.epa = mode;
    c.policy.expected_channel_bindings = kBindings;
    Handshake h(std::move(c), kNegotiateNoEss);
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.kind = ResponseKind::kNtlmV1;
    const AcceptResult r = AcceptFrom(&h, client);
    if (mode == EpaMode::kRequire) {
      EXPECT_REJECTED(r, RejectReason::kChannelBindingMissing);
    } else {
      EXPECT_ACCEPTED(r);
    }
  }
}

TEST(ServerContext_Epa, RequireWithoutExpectedValueRefusesAnyBinding) {
  ServerConfig c = Config();
  c.policy.epa = EpaMode::kRequire;
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient client;
  client.channel_bindings = kBindings;
  EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kChannelBindingMismatch);
}

// --- names and rules -------------------------------------------------------------------------

TEST(ServerContext, RejectReasonNamesAreStableAndDistinct) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(RejectReason::kBadSessionKey); ++i) {
    const auto reason = static_cast<RejectReason>(i);
    const std::string name = RejectReasonName(reason);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos);
    if (reason != RejectReason::kNone) {
      EXPECT_EQ(std::string(RejectReasonRule(reason)).rfind("MS-NLMP ", 0), 0u) << name;
    }
  }
  EXPECT_STREQ(RejectReasonName(RejectReason::kWrongProof), "wrong_proof");
  EXPECT_STREQ(RejectReasonName(RejectReason::kNtlmV1Refused), "ntlmv1_refused");
  EXPECT_STREQ(RejectReasonName(RejectReason::kMicMissing), "mic_missing");
  EXPECT_STREQ(RejectReasonRule(RejectReason::kWrongProof), "MS-NLMP 3.2.5.1.2");
}

// --- [MS-NLMP] 4.2.4: the spec's AUTHENTICATE, accepted --------------------------------------

// 4.2.4.3: the AUTHENTICATE_MESSAGE of the NTLMv2 example (vectors/ms-nlmp-4.2.4-ntlmv2.json).
constexpr char kSpecAuthenticate[] =
    "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000"
    "100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e0055007300"
    "6500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
    "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
    "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad254"
    "4fc9799094ce1ce90bc9d03e";

// The server's CHALLENGE cannot equal the spec's byte for byte (ours adds the DNS names and a
// VERSION of our own), but the spec's AUTHENTICATE carries no MIC, so only NTProofStr, the
// echoed NetBIOS names and the key exchange matter. The example's Time is 0 and it has no
// MsvAvTimestamp: the server sends none and its clock reads 0 too.
TEST(ServerContext_4_2_4, AcceptsTheSpecAuthenticate) {
  ServerConfig c;
  ASSERT_TRUE(c.store.Add("Domain", "User", "Password").ok());
  c.identity.nb_domain = "Domain";
  c.identity.nb_computer = "Server";
  c.identity.target_is_domain = false;
  c.identity.send_timestamp = false;
  c.fixed_challenge = Challenge8{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  internal::FixedEnvironment env(Bytes{}, /*filetime=*/0);
  ServerContext server(std::move(c), &env);

  NegotiateMessage n;
  n.flags = kNegotiateFlags;
  n.version = Version{5, 1, 2600, {0, 0, 0}, kNtlmRevisionW2k3};
  Result<Bytes> ch = server.Challenge(*EncodeNegotiate(n));
  ASSERT_TRUE(ch.ok()) << ch.error().ToString();
  Result<ChallengeMessage> chal = DecodeChallenge(*ch);
  ASSERT_TRUE(chal.ok());
  EXPECT_EQ(chal->flags, 0xe28a8235u) << FlagsToString(chal->flags);
  EXPECT_EQ(ToHex(chal->server_challenge), "0123456789abcdef");

  const AcceptResult r = server.Accept(Hex(kSpecAuthenticate));
  EXPECT_ACCEPTED(r);
  EXPECT_EQ(r.user, "User");
  EXPECT_EQ(r.domain, "Domain");
  EXPECT_EQ(r.workstation, "COMPUTER");
  EXPECT_EQ(r.response_kind, ResponseKind::kNtlmV2);
  EXPECT_FALSE(r.mic_present);
  EXPECT_EQ(r.negotiated_flags, 0xe2888235u) << FlagsToString(r.negotiated_flags);
  // 4.2.1 RandomSessionKey, recovered from 4.2.4.2.3's EncryptedSessionKey.
  EXPECT_EQ(ToHex(r.exported_session_key), "55555555555555555555555555555555");

  // 4.2.4.4: the client's sealed "Plaintext" unseals on the server.
  Result<SessionSecurity> session = server.Session();
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  Result<Bytes> plain = session->Unseal(Hex("54e50165bf1936dc996020c1811b0f06fb5f"),
                                        Hex("010000007fb38ec5c55d497600000000"));
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  EXPECT_EQ(ToHex(*plain), "50006c00610069006e007400650078007400");
}

TEST(ServerContext_4_2_4, WrongPasswordRefusesTheSpecAuthenticate) {
  ServerConfig c;
  ASSERT_TRUE(c.store.Add("Domain", "User", "Passw0rd").ok());
  c.identity.nb_domain = "Domain";
  c.identity.nb_computer = "Server";
  c.identity.send_timestamp = false;
  c.fixed_challenge = Challenge8{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  internal::FixedEnvironment env(Bytes{}, 0);
  ServerContext server(std::move(c), &env);
  NegotiateMessage n;
  n.flags = kNegotiateFlags;
  n.version = kDefaultClientVersion;
  ASSERT_TRUE(server.Challenge(*EncodeNegotiate(n)).ok());
  EXPECT_REJECTED(server.Accept(Hex(kSpecAuthenticate)), RejectReason::kWrongProof);
}

// --- with ClientContext ----------------------------------------------------------------------

// One handshake between a ClientContext and a ServerContext, each with its own fixed
// environment; on success the two ends must agree on the keys and talk to each other.
AcceptResult RunClient(ServerConfig server_config, ClientConfig client_config) {
  internal::FixedEnvironment client_env(Hex("aaaaaaaaaaaaaaaa55555555555555555555555555555555"),
                                        kNow);
  internal::FixedEnvironment server_env(Hex(kServerChallengeHex), kNow);
  ServerContext server(std::move(server_config), &server_env);
  ClientContext client(std::move(client_config), &client_env);
  Result<Bytes> neg = client.Negotiate();
  EXPECT_TRUE(neg.ok()) << neg.error().ToString();
  if (!neg.ok()) {
    return AcceptResult{};
  }
  Result<Bytes> ch = server.Challenge(*neg);
  EXPECT_TRUE(ch.ok()) << ch.error().ToString();
  if (!ch.ok()) {
    return AcceptResult{};
  }
  Result<Bytes> auth = client.Authenticate(*ch);
  EXPECT_TRUE(auth.ok()) << auth.error().ToString();
  if (!auth.ok()) {
    return AcceptResult{};
  }
  AcceptResult r = server.Accept(*auth);
  if (r.ok()) {
    EXPECT_EQ(r.exported_session_key, client.exported_session_key());
    // NTLMSSP_NEGOTIATE_ANONYMOUS is the client's to say; the server never offers it.
    EXPECT_EQ(r.negotiated_flags, client.negotiated_flags() & ~kNegotiateAnonymous);
    Result<SessionSecurity> s = server.Session();
    Result<SessionSecurity> cs = client.Session();
    EXPECT_TRUE(s.ok() && cs.ok());
    if (s.ok() && cs.ok()) {
      const SessionSecurity::Sealed up = cs->Seal(AsBytes("hello"));
      EXPECT_TRUE(s->Unseal(up.data, up.signature).ok());
      const MessageSignature sig = s->Sign(AsBytes("reply"));
      EXPECT_TRUE(cs->Verify(AsBytes("reply"), sig).ok());
    }
  }
  return r;
}

ClientConfig Alice() {
  ClientConfig c;
  c.user = "DOMAIN\\alice";
  c.secret.password = "s3cret";
  c.workstation = "WS";
  return c;
}

TEST(ServerWithClient, DefaultsAgree) {
  const AcceptResult r = RunClient(Config(), Alice());
  EXPECT_ACCEPTED(r);
  EXPECT_TRUE(r.mic_present);
  EXPECT_TRUE(r.mic_valid);
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.workstation, "WS");
}

TEST(ServerWithClient, Matrix) {
  struct Row {
    const char* name;
    std::function<void(ClientConfig*)> client;
    std::function<void(ServerConfig*)> server;
    RejectReason expected;
  };
  const auto none = [](auto*) {};
  const Row rows[] = {
      {"v2 default", none, none, RejectReason::kNone},
      {"upn, empty domain", [](ClientConfig* c) { c->user = "alice"; }, none, RejectReason::kNone},
      {"pass-the-hash",
       [](ClientConfig* c) {
         c->secret = Secret{std::nullopt, Nt("s3cret")};
       },
       none, RejectReason::kNone},
      {"nt-hash account",
       [](ClientConfig* c) {
         c->user = "DOMAIN\\bob";
         c->secret.password = "hunter2";
       },
       none, RejectReason::kNone},
      {"wrong password", [](ClientConfig* c) { c->secret.password = "x"; }, none,
       RejectReason::kWrongProof},
      {"no key exchange", [](ClientConfig* c) { c->negotiate_flags &= ~kNegotiateKeyExch; }, none,
       RejectReason::kNone},
      {"no version", [](ClientConfig* c) { c->version.reset(); }, none, RejectReason::kNone},
      {"oem only", [](ClientConfig* c) { c->negotiate_flags &= ~kNegotiateUnicode; }, none,
       RejectReason::kNone},
      {"no mic, server requires", [](ClientConfig* c) { c->send_mic = false; },
       [](ServerConfig* s) { s->policy.require_mic = true; }, RejectReason::kMicMissing},
      {"no timestamp: no mic, LMv2", none,
       [](ServerConfig* s) { s->identity.send_timestamp = false; }, RejectReason::kNone},
      {"v1 at level 5", [](ClientConfig* c) { c->response = ResponseKind::kNtlmV1; }, none,
       RejectReason::kNtlmV1Refused},
      {"v1 at level 2", [](ClientConfig* c) { c->response = ResponseKind::kNtlmV1; },
       [](ServerConfig* s) { s->policy.lm_compatibility_level = 2; }, RejectReason::kNone},
      {"ess at level 5", [](ClientConfig* c) { c->response = ResponseKind::kNtlmV1Ess; }, none,
       RejectReason::kNtlmV1Refused},
      {"ess at level 4", [](ClientConfig* c) { c->response = ResponseKind::kNtlmV1Ess; },
       [](ServerConfig* s) { s->policy.lm_compatibility_level = 4; }, RejectReason::kNone},
      {"lm at level 4",
       [](ClientConfig* c) {
         c->response = ResponseKind::kLm;
         c->user = "DOMAIN\\olduser";
         c->secret.password = "Password";
       },
       [](ServerConfig* s) { s->policy.lm_compatibility_level = 4; }, RejectReason::kLmRefused},
      {"lm at level 2",
       [](ClientConfig* c) {
         c->response = ResponseKind::kLm;
         c->user = "DOMAIN\\olduser";
         c->secret.password = "Password";
       },
       [](ServerConfig* s) { s->policy.lm_compatibility_level = 2; }, RejectReason::kNone},
      {"anonymous allowed", [](ClientConfig* c) { c->anonymous = true; },
       [](ServerConfig* s) { s->policy.allow_anonymous = true; }, RejectReason::kNone},
      {"anonymous refused", [](ClientConfig* c) { c->anonymous = true; }, none,
       RejectReason::kAnonymousRefused},
      {"cbt right, required",
       [](ClientConfig* c) {
         c->channel_binding = ChannelBindingMode::kHash;
         c->channel_bindings_hash = kBindings;
       },
       [](ServerConfig* s) {
         s->policy.epa = EpaMode::kRequire;
         s->policy.expected_channel_bindings = kBindings;
       },
       RejectReason::kNone},
      {"cbt zero, required",
       [](ClientConfig* c) { c->channel_binding = ChannelBindingMode::kZero; },
       [](ServerConfig* s) {
         s->policy.epa = EpaMode::kRequire;
         s->policy.expected_channel_bindings = kBindings;
       },
       RejectReason::kChannelBindingMissing},
      {"cbt wrong, accept",
       [](ClientConfig* c) {
         c->channel_binding = ChannelBindingMode::kHash;
         c->channel_bindings_hash = kOtherBindings;
       },
       [](ServerConfig* s) {
         s->policy.epa = EpaMode::kAccept;
         s->policy.expected_channel_bindings = kBindings;
       },
       RejectReason::kChannelBindingMismatch},
      {"128-bit required, not offered",
       [](ClientConfig* c) { c->negotiate_flags &= ~kNegotiate128; },
       [](ServerConfig* s) { s->policy.require_128bit = true; },
       RejectReason::kSessionSecurityTooWeak},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ServerConfig s = Config();
    row.server(&s);
    ClientConfig c = Alice();
    row.client(&c);
    const AcceptResult r = RunClient(std::move(s), std::move(c));
    if (row.expected == RejectReason::kNone) {
      EXPECT_ACCEPTED(r);
    } else {
      EXPECT_REJECTED(r, row.expected);
    }
  }
}

// --- Fault-injection switches (ServerPolicy::insecure_*,
// ServerConfig::insecure_rewrite_challenge): each turns off exactly one check; the same message is
// refused without it.

TEST(ServerContext_InsecureSwitches, SkipTimestampEchoCheck) {
  for (const bool skip : {false, true}) {
    SCOPED_TRACE(skip);
    ServerConfig c = Config();
    c.policy.insecure_skip_timestamp_echo_check = skip;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.edit_av = [](TargetInfo* ti) { ti->SetTimestamp(kNow - 10000000); };
    if (skip) {
      EXPECT_ACCEPTED(AcceptFrom(&h, client));
    } else {
      EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kTimestampMismatch);
    }
  }
}

TEST(ServerContext_InsecureSwitches, SkipTargetInfoEchoCheck) {
  for (const bool skip : {false, true}) {
    SCOPED_TRACE(skip);
    ServerConfig c = Config();
    c.policy.insecure_skip_target_info_echo_check = skip;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.edit_av = [](TargetInfo* ti) { ti->Remove(AvId::kNbComputerName); };
    if (skip) {
      EXPECT_ACCEPTED(AcceptFrom(&h, client));
    } else {
      EXPECT_REJECTED(AcceptFrom(&h, client), RejectReason::kTargetInfoMismatch);
    }
  }
}

TEST(ServerContext_InsecureSwitches, AcceptLongSessionKey) {
  for (const bool accept : {false, true}) {
    SCOPED_TRACE(accept);
    ServerConfig c = Config();
    c.policy.insecure_accept_long_session_key = accept;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    // The right 16 bytes followed by 48 more: the client computes them itself.
    TestClient probe;
    probe.mic = false;
    const Bytes good = probe.Build(h);
    Result<AuthenticateMessage> m = DecodeAuthenticate(good);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->encrypted_random_session_key.size(), 16u);
    m->encrypted_random_session_key.resize(64, 0x42);
    Result<Bytes> longer = EncodeAuthenticate(*m);
    ASSERT_TRUE(longer.ok());
    const AcceptResult r = h.server().Accept(*longer);
    if (accept) {
      EXPECT_ACCEPTED(r);
    } else {
      EXPECT_REJECTED(r, RejectReason::kBadSessionKey);
    }
  }
}

TEST(ServerContext_InsecureSwitches, AcceptLmV2Fallback) {
  for (const bool fallback : {false, true}) {
    SCOPED_TRACE(fallback);
    ServerConfig c = Config();
    c.policy.insecure_accept_lmv2_fallback = fallback;
    Handshake h(std::move(c));
    ASSERT_TRUE(h.Start());
    TestClient client;
    client.mic = false;
    Bytes auth = client.Build(h);
    Result<AuthenticateMessage> m = DecodeAuthenticate(auth);
    ASSERT_TRUE(m.ok());
    // A correct LMv2 for the client challenge, then a blob byte changed (ChallengeFromClient).
    Result<Key16> key = NtOwfV2(Nt("s3cret"), "alice", "DOMAIN");
    ASSERT_TRUE(key.ok());
    const Response24 lm = LmV2Response(*key, h.chal.server_challenge, client.client_challenge);
    m->lm_response.assign(lm.begin(), lm.end());
    m->nt_response[32] ^= 0x80;
    Result<Bytes> tampered = EncodeAuthenticate(*m);
    ASSERT_TRUE(tampered.ok());
    const AcceptResult r = h.server().Accept(*tampered);
    if (fallback) {
      EXPECT_ACCEPTED(r);
    } else {
      EXPECT_REJECTED(r, RejectReason::kWrongProof);
    }
  }
  // A wrong password makes LMv2 wrong too: refused even with the fallback.
  ServerConfig c = Config();
  c.policy.insecure_accept_lmv2_fallback = true;
  c.identity.send_timestamp = false;  // the client then sends a real LMv2
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  TestClient wrong;
  wrong.password = "wrong";
  EXPECT_REJECTED(AcceptFrom(&h, wrong), RejectReason::kWrongProof);
}

TEST(ServerContext_InsecureSwitches, RewriteChallengeIsWhatIsIssued) {
  ServerConfig c = Config();
  c.insecure_rewrite_challenge = [](ChallengeMessage* m) {
    m->target_info->Remove(AvId::kNbComputerName);
    m->flags |= kNegotiateOem;
  };
  Handshake h(std::move(c));
  ASSERT_TRUE(h.Start());
  EXPECT_FALSE(h.chal.target_info->Has(AvId::kNbComputerName));
  EXPECT_NE(h.chal.flags & kNegotiateOem, 0u);
  EXPECT_NE(h.chal.flags & kNegotiateUnicode, 0u);
  EXPECT_EQ(h.server().challenge_message(), h.challenge);
  // The client echoes the rewritten target info, and its MIC covers the rewritten bytes.
  EXPECT_ACCEPTED(AcceptFrom(&h, TestClient{}));
}

}  // namespace
}  // namespace ntlm
