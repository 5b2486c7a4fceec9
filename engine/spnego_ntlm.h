// NTLM inside SPNEGO ([RFC 4178], [MS-SPNG]): what HTTP "Negotiate" carries when a client
// chooses NTLM. Both ends also accept raw NTLMSSP in Negotiate, as Windows does.
//
// Flow (client C, server S):
//   C: NegTokenInit{mechTypes [NTLMSSP], mechToken NEGOTIATE}    (GSS-API framed, RFC 2743 3.1)
//   S: NegTokenResp{accept-incomplete, supportedMech NTLMSSP, responseToken CHALLENGE}
//   C: NegTokenResp{responseToken AUTHENTICATE, mechListMIC}
//   S: NegTokenResp{accept-completed, mechListMIC}
//
// mechListMIC (RFC 4178 5) is NTLM's GSS_GetMIC (the SIGN of [MS-NLMP] 3.4.2) over the DER
// MechTypeList as the client sent it: the client signs with its client-to-server keys at
// sequence number 0, the server with its server-to-client keys at sequence number 0. As
// [MS-SPNG] and Windows do, the NTLM session state used for the MICs is then discarded:
// Session() on either side returns a fresh SessionSecurity starting at sequence number 0.
#ifndef NTLM_ENGINE_SPNEGO_NTLM_H_
#define NTLM_ENGINE_SPNEGO_NTLM_H_

#include <optional>

#include "engine/bytes.h"
#include "engine/client.h"
#include "engine/error.h"
#include "engine/server.h"
#include "engine/spnego.h"

namespace ntlm {

class SpnegoNtlmClient {
 public:
  explicit SpnegoNtlmClient(ClientConfig config);
  SpnegoNtlmClient(ClientConfig config, Environment* env);  // not part of the API

  // The first token: NegTokenInit with the NTLM NEGOTIATE as the optimistic mechToken.
  [[nodiscard]] Result<Bytes> Initial();
  // The server's NegTokenResp with the CHALLENGE -> NegTokenResp with the AUTHENTICATE and a
  // mechListMIC.
  [[nodiscard]] Result<Bytes> Respond(ByteView server_token);
  // The server's final NegTokenResp: accept-completed, and its mechListMIC must verify when
  // present. A reject (negState 2) is kAuthenticationFailed.
  [[nodiscard]] Status Finish(ByteView server_token);

  const ClientContext& ntlm() const { return client_; }

 private:
  ClientContext client_;
  Bytes mech_types_der_;
  bool mic_sent_ = false;
};

class SpnegoNtlmServer {
 public:
  explicit SpnegoNtlmServer(ServerConfig config);
  SpnegoNtlmServer(ServerConfig config, Environment* env);  // not part of the API

  // The client's first token, raw NTLMSSP NEGOTIATE or SPNEGO NegTokenInit. Returns the reply
  // in the same form (raw CHALLENGE, or NegTokenResp with it). A NegTokenInit that does not
  // offer NTLMSSP, or whose optimistic token is for another mechanism, is kUnsupported (this
  // server speaks only NTLM).
  [[nodiscard]] Result<Bytes> Start(ByteView client_token);

  struct Outcome {
    AcceptResult result;
    // The reply to send back (SPNEGO only): NegTokenResp accept-completed with the server's
    // mechListMIC, or reject. Empty for raw NTLMSSP.
    Bytes reply;
    bool mech_list_mic_present = false;
    bool mech_list_mic_valid = false;
  };
  // The client's AUTHENTICATE, raw or in a NegTokenResp. A mechListMIC that does not verify
  // turns an accepted AUTHENTICATE into kMicWrong.
  Outcome Finish(ByteView client_token);

  bool spnego() const { return spnego_; }
  // The NTLM context underneath, for its challenge and identity; use Session() for keys.
  const ServerContext& ntlm() const { return server_; }
  // Session security after a successful Finish(); an error after any rejection, including a
  // mechListMIC that did not verify.
  [[nodiscard]] Result<SessionSecurity> Session() const;

 private:
  ServerContext server_;
  bool spnego_ = false;
  bool started_ = false;
  bool rejected_ = false;
  Bytes mech_types_der_;
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_SPNEGO_NTLM_H_
