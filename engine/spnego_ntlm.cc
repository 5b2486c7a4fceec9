// NTLM in SPNEGO: RFC 4178 4.2 and 5 (mechListMIC), [MS-SPNG] 3.1.5, over the NTLM contexts.
#include "engine/spnego_ntlm.h"

namespace ntlm {

namespace {

constexpr char kRuleSpnego[] = "RFC 4178 4.2";
constexpr char kRuleMechListMic[] = "RFC 4178 5";

Result<Bytes> NtlmMechTypeList() { return spnego::EncodeMechTypeList({spnego::kNtlmsspOid}); }

// The server's replies are built from fixed, valid parts, so encoding cannot fail; an empty
// reply would still be a safe answer if it ever did.
Bytes EncodeReply(const spnego::NegTokenResp& resp) {
  auto b = spnego::EncodeNegTokenResp(resp);
  return b.ok() ? std::move(b).value() : Bytes();
}

}  // namespace

SpnegoNtlmClient::SpnegoNtlmClient(ClientConfig config) : client_(std::move(config)) {}

SpnegoNtlmClient::SpnegoNtlmClient(ClientConfig config, Environment* env)
    : client_(std::move(config), env) {}

Result<Bytes> SpnegoNtlmClient::Initial() {
  auto negotiate = client_.Negotiate();
  if (!negotiate.ok()) {
    return negotiate.error();
  }
  auto mech_types = NtlmMechTypeList();
  if (!mech_types.ok()) {
    return mech_types.error();
  }
  mech_types_der_ = std::move(mech_types).value();
  spnego::NegTokenInit init;
  init.mech_types = {spnego::kNtlmsspOid};
  init.mech_token = std::move(negotiate).value();
  return spnego::EncodeNegTokenInit(init);
}

Result<Bytes> SpnegoNtlmClient::Respond(ByteView server_token) {
  auto token = spnego::DecodeNegotiationToken(server_token);
  if (!token.ok()) {
    return token.error();
  }
  const spnego::NegTokenResp* resp = token->resp();
  if (resp == nullptr) {
    return MakeError(ErrorCode::kBadValue, kRuleSpnego, "NegotiationToken", 0,
                     "the server answered with a NegTokenInit, expected a NegTokenResp");
  }
  if (resp->neg_state == spnego::NegState::kReject) {
    return MakeError(ErrorCode::kAuthenticationFailed, kRuleSpnego, "NegTokenResp.negState", 0,
                     "the server rejected the negotiation");
  }
  if (resp->supported_mech.has_value() && *resp->supported_mech != spnego::kNtlmsspOid) {
    return MakeError(ErrorCode::kUnsupported, kRuleSpnego, "NegTokenResp.supportedMech", 0,
                     "the server chose " + std::string(spnego::MechName(*resp->supported_mech)) +
                         ", not NTLMSSP");
  }
  if (!resp->response_token.has_value()) {
    return MakeError(ErrorCode::kBadValue, kRuleSpnego, "NegTokenResp.responseToken", 0,
                     "the server's reply carries no NTLM CHALLENGE");
  }
  auto authenticate = client_.Authenticate(*resp->response_token);
  if (!authenticate.ok()) {
    return authenticate.error().Nested("responseToken", 0);
  }

  spnego::NegTokenResp out;
  out.response_token = std::move(authenticate).value();
  if (client_.response_kind() != ResponseKind::kAnonymous) {
    // mechListMIC: GSS_GetMIC over the MechTypeList the client sent, sequence number 0.
    auto session = client_.Session();
    if (!session.ok()) {
      return session.error();
    }
    const MessageSignature mic = session->Sign(mech_types_der_);
    out.mech_list_mic = Bytes(mic.begin(), mic.end());
    mic_sent_ = true;
  }
  return spnego::EncodeNegTokenResp(out);
}

Status SpnegoNtlmClient::Finish(ByteView server_token) {
  auto token = spnego::DecodeNegotiationToken(server_token);
  if (!token.ok()) {
    return token.error();
  }
  const spnego::NegTokenResp* resp = token->resp();
  if (resp == nullptr) {
    return MakeError(ErrorCode::kBadValue, kRuleSpnego, "NegotiationToken", 0,
                     "expected a NegTokenResp");
  }
  if (resp->neg_state != spnego::NegState::kAcceptCompleted) {
    return MakeError(ErrorCode::kAuthenticationFailed, kRuleSpnego, "NegTokenResp.negState", 0,
                     std::string("the server did not complete: ") +
                         (resp->neg_state.has_value() ? spnego::NegStateName(*resp->neg_state)
                                                      : "no negState"));
  }
  if (resp->mech_list_mic.has_value()) {
    auto session = client_.Session();
    if (!session.ok()) {
      return session.error();
    }
    if (Status s = session->Verify(mech_types_der_, *resp->mech_list_mic); !s.ok()) {
      return MakeError(ErrorCode::kAuthenticationFailed, kRuleMechListMic,
                       "NegTokenResp.mechListMIC", 0, "the server's mechListMIC does not verify");
    }
  } else if (mic_sent_) {
    // RFC 4178 5: once the client sent a MIC, the acceptor must answer with one.
    return MakeError(ErrorCode::kAuthenticationFailed, kRuleMechListMic,
                     "NegTokenResp.mechListMIC", 0, "the server sent no mechListMIC");
  }
  return Status();
}

SpnegoNtlmServer::SpnegoNtlmServer(ServerConfig config) : server_(std::move(config)) {}

SpnegoNtlmServer::SpnegoNtlmServer(ServerConfig config, Environment* env)
    : server_(std::move(config), env) {}

Result<Bytes> SpnegoNtlmServer::Start(ByteView client_token) {
  if (started_) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleSpnego, "", 0,
                     "this context has already started");
  }
  started_ = true;
  if (spnego::LooksLikeNtlmssp(client_token)) {
    return server_.Challenge(client_token);
  }
  auto token = spnego::DecodeNegotiationToken(client_token);
  if (!token.ok()) {
    return token.error();
  }
  const spnego::NegTokenInit* init = token->init();
  if (init == nullptr) {
    return MakeError(ErrorCode::kBadValue, kRuleSpnego, "NegotiationToken", 0,
                     "a first token must be a NegTokenInit");
  }
  if (init->mech_types.empty() || init->mech_types[0] != spnego::kNtlmsspOid ||
      !init->mech_token.has_value()) {
    std::string offered;
    for (const std::string& oid : init->mech_types) {
      offered += (offered.empty() ? "" : ", ") + std::string(spnego::MechName(oid));
    }
    return MakeError(ErrorCode::kUnsupported, kRuleSpnego, "NegTokenInit.mechTypes", 0,
                     "this server speaks only NTLM and needs an optimistic NTLMSSP token; the "
                     "client offered: " + offered);
  }
  spnego_ = true;
  mech_types_der_ = init->mech_types_der;
  auto challenge = server_.Challenge(*init->mech_token);
  if (!challenge.ok()) {
    return challenge.error().Nested("mechToken", 0);
  }
  spnego::NegTokenResp resp;
  resp.neg_state = spnego::NegState::kAcceptIncomplete;
  resp.supported_mech = spnego::kNtlmsspOid;
  resp.response_token = std::move(challenge).value();
  return spnego::EncodeNegTokenResp(resp);
}

SpnegoNtlmServer::Outcome SpnegoNtlmServer::Finish(ByteView client_token) {
  Outcome out;
  if (!spnego_) {
    out.result = server_.Accept(client_token);
    return out;
  }
  spnego::NegTokenResp reject;
  reject.neg_state = spnego::NegState::kReject;
  auto token = spnego::DecodeNegotiationToken(client_token);
  const spnego::NegTokenResp* resp = token.ok() ? token->resp() : nullptr;
  if (resp == nullptr || !resp->response_token.has_value()) {
    out.result.reason = RejectReason::kMalformed;
    out.result.error = token.ok() ? MakeError(ErrorCode::kBadValue, kRuleSpnego,
                                              "NegTokenResp.responseToken", 0,
                                              "no NTLM AUTHENTICATE in the client's token")
                                  : token.error();
    out.reply = EncodeReply(reject);
    return out;
  }
  out.result = server_.Accept(*resp->response_token);
  if (out.result.ok() && resp->mech_list_mic.has_value()) {
    out.mech_list_mic_present = true;
    auto verifier = server_.Session();
    out.mech_list_mic_valid =
        verifier.ok() && verifier->Verify(mech_types_der_, *resp->mech_list_mic).ok();
    if (!out.mech_list_mic_valid) {
      // A rejected handshake leaves no key behind, as ServerContext's own rejections do.
      out.result.exported_session_key = Key16{};
      out.result.negotiated_flags = 0;
      rejected_ = true;
      out.result.reason = RejectReason::kMicWrong;
      out.result.error = MakeError(ErrorCode::kAuthenticationFailed, kRuleMechListMic,
                                   "NegTokenResp.mechListMIC", 0,
                                   "the client's mechListMIC does not verify");
    }
  }
  if (!out.result.ok()) {
    rejected_ = true;
    out.reply = EncodeReply(reject);
    return out;
  }
  spnego::NegTokenResp done;
  done.neg_state = spnego::NegState::kAcceptCompleted;
  if (out.mech_list_mic_present) {
    auto signer = server_.Session();
    if (signer.ok()) {
      const MessageSignature mic = signer->Sign(mech_types_der_);
      done.mech_list_mic = Bytes(mic.begin(), mic.end());
    }
  }
  out.reply = EncodeReply(done);
  return out;
}

Result<SessionSecurity> SpnegoNtlmServer::Session() const {
  if (rejected_) {
    return MakeError(ErrorCode::kAuthenticationFailed, kRuleSpnego, "", 0,
                     "the handshake was rejected");
  }
  return server_.Session();
}

}  // namespace ntlm
