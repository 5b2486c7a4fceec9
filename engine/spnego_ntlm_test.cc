// NTLM in SPNEGO end to end, in process: RFC 4178 4.2 tokens and the mechListMIC of RFC 4178 5.
#include "engine/spnego_ntlm.h"

#include <gtest/gtest.h>

#include "engine/internal/test_seam.h"

namespace ntlm {
namespace {

constexpr uint64_t kNow = 0x01dc000000000000ULL;

ClientConfig Alice(const char* password = "Secret1!") {
  ClientConfig c;
  c.user = "DOMAIN\\alice";
  c.secret.password = password;
  c.workstation = "WS1";
  return c;
}

ServerConfig Server() {
  ServerConfig s;
  EXPECT_TRUE(s.store.Add("DOMAIN", "alice", "Secret1!").ok());
  return s;
}

TEST(SpnegoNtlm_Rfc4178, FullExchangeWithMechListMic) {
  internal::FixedEnvironment cenv(Bytes{1, 2, 3}, kNow);
  internal::FixedEnvironment senv(Bytes{4, 5}, kNow);
  SpnegoNtlmClient client(Alice(), &cenv);
  SpnegoNtlmServer server(Server(), &senv);

  auto init = client.Initial();
  ASSERT_TRUE(init.ok()) << init.error().ToString();
  EXPECT_EQ((*init)[0], 0x60);  // GSS-API InitialContextToken framing
  auto chal = server.Start(*init);
  ASSERT_TRUE(chal.ok()) << chal.error().ToString();
  EXPECT_TRUE(server.spnego());
  EXPECT_EQ((*chal)[0], 0xa1);  // NegTokenResp
  auto auth = client.Respond(*chal);
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  auto outcome = server.Finish(*auth);
  ASSERT_TRUE(outcome.result.ok()) << RejectReasonName(outcome.result.reason);
  EXPECT_EQ(outcome.result.user, "alice");
  EXPECT_TRUE(outcome.mech_list_mic_present);
  EXPECT_TRUE(outcome.mech_list_mic_valid);
  auto reply = spnego::DecodeNegotiationToken(outcome.reply);
  ASSERT_TRUE(reply.ok());
  ASSERT_NE(reply->resp(), nullptr);
  EXPECT_EQ(reply->resp()->neg_state, spnego::NegState::kAcceptCompleted);
  EXPECT_TRUE(reply->resp()->mech_list_mic.has_value());
  EXPECT_TRUE(client.Finish(outcome.reply).ok());
}

TEST(SpnegoNtlm_Rfc4178, RawNtlmsspInNegotiate) {
  internal::FixedEnvironment cenv(Bytes{1, 2, 3}, kNow);
  internal::FixedEnvironment senv(Bytes{4, 5}, kNow);
  ClientContext client(Alice(), &cenv);
  SpnegoNtlmServer server(Server(), &senv);
  auto neg = client.Negotiate();
  ASSERT_TRUE(neg.ok());
  auto chal = server.Start(*neg);
  ASSERT_TRUE(chal.ok()) << chal.error().ToString();
  EXPECT_FALSE(server.spnego());
  EXPECT_EQ(ToHex(ByteView(*chal).first(8)), "4e544c4d53535000");  // raw CHALLENGE
  auto auth = client.Authenticate(*chal);
  ASSERT_TRUE(auth.ok());
  auto outcome = server.Finish(*auth);
  EXPECT_TRUE(outcome.result.ok());
  EXPECT_TRUE(outcome.reply.empty());
}

TEST(SpnegoNtlm_Rfc4178, TamperedMechListMicIsRejected) {
  internal::FixedEnvironment cenv(Bytes{1, 2, 3}, kNow);
  internal::FixedEnvironment senv(Bytes{4, 5}, kNow);
  SpnegoNtlmClient client(Alice(), &cenv);
  SpnegoNtlmServer server(Server(), &senv);
  auto chal = server.Start(*client.Initial());
  ASSERT_TRUE(chal.ok());
  auto auth = client.Respond(*chal);
  ASSERT_TRUE(auth.ok());
  auto decoded = spnego::DecodeNegotiationToken(*auth);
  ASSERT_TRUE(decoded.ok());
  spnego::NegTokenResp resp = *decoded->resp();
  ASSERT_TRUE(resp.mech_list_mic.has_value());
  (*resp.mech_list_mic)[5] ^= 0x01;
  auto tampered = spnego::EncodeNegTokenResp(resp);
  ASSERT_TRUE(tampered.ok());
  auto outcome = server.Finish(*tampered);
  EXPECT_EQ(outcome.result.reason, RejectReason::kMicWrong);
  EXPECT_TRUE(outcome.mech_list_mic_present);
  EXPECT_FALSE(outcome.mech_list_mic_valid);
  EXPECT_EQ(outcome.result.exported_session_key, Key16{});
  EXPECT_EQ(outcome.result.negotiated_flags, 0u);
  EXPECT_FALSE(server.Session().ok());
  Status fin = client.Finish(outcome.reply);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().code, ErrorCode::kAuthenticationFailed);
}

TEST(SpnegoNtlm_Rfc4178, WrongPasswordGetsReject) {
  internal::FixedEnvironment cenv(Bytes{1, 2, 3}, kNow);
  internal::FixedEnvironment senv(Bytes{4, 5}, kNow);
  SpnegoNtlmClient client(Alice("wrong"), &cenv);
  SpnegoNtlmServer server(Server(), &senv);
  auto chal = server.Start(*client.Initial());
  ASSERT_TRUE(chal.ok());
  auto outcome = server.Finish(*client.Respond(*chal));
  EXPECT_EQ(outcome.result.reason, RejectReason::kWrongProof);
  auto reply = spnego::DecodeNegotiationToken(outcome.reply);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->resp()->neg_state, spnego::NegState::kReject);
}

TEST(SpnegoNtlm_Rfc4178, ServerMicTamperedFailsTheClient) {
  internal::FixedEnvironment cenv(Bytes{1, 2, 3}, kNow);
  internal::FixedEnvironment senv(Bytes{4, 5}, kNow);
  SpnegoNtlmClient client(Alice(), &cenv);
  SpnegoNtlmServer server(Server(), &senv);
  auto chal = server.Start(*client.Initial());
  auto outcome = server.Finish(*client.Respond(*chal));
  ASSERT_TRUE(outcome.result.ok());
  auto reply = spnego::DecodeNegotiationToken(outcome.reply);
  spnego::NegTokenResp resp = *reply->resp();
  (*resp.mech_list_mic)[15] ^= 0x80;
  Status fin = client.Finish(*spnego::EncodeNegTokenResp(resp));
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().field, "NegTokenResp.mechListMIC");
}

TEST(SpnegoNtlm_Rfc4178, KerberosOnlyClientIsUnsupported) {
  spnego::NegTokenInit init;
  init.mech_types = {spnego::kMsKerberosOid, spnego::kKerberosOid};
  init.mech_token = Bytes{0x60, 0x00};
  auto token = spnego::EncodeNegTokenInit(init);
  ASSERT_TRUE(token.ok());
  SpnegoNtlmServer server(Server());
  auto r = server.Start(*token);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(r.error().field, "NegTokenInit.mechTypes");
}

}  // namespace
}  // namespace ntlm
