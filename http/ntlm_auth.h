// NTLM over HTTP, the client's loop ([MS-NTHT] 3.1, RFC 7235 2-4): the request without
// credentials (to learn the server's offer), then NEGOTIATE and AUTHENTICATE on one connection,
// the request body sent again with the AUTHENTICATE. Shared by `ntlmh request`, `ntlmh probe`
// and `ntlmh load`; it prints nothing: every leg is recorded for the caller to show.
//
// Example:
//   NtlmAuthOptions auth;
//   auth.client.user = "CORP\\alice";
//   auth.client.secret.password = password;
//   AuthResult r = Authenticate(*url, request, ConnectOptions{}, auth);
//   if (r.outcome == AuthOutcome::kCompleted) { use r.final_response; }
//
// Rules it keeps:
//   - The NEGOTIATE and the AUTHENTICATE go on one connection ([MS-NTHT] 3.1.5.1.2: NTLM
//     authenticates the connection). A server that closes it after its CHALLENGE ends the run
//     with an error: no second handshake, no loop.
//   - A bare "NTLM" (no token) in answer to the NEGOTIATE is a refusal, never a CHALLENGE.
//   - The returned |connection| is authenticated for these credentials only: a caller must not
//     send other credentials, or requests meant to go without credentials, over it.
//   - An https URL through ConnectOptions::proxy goes through a CONNECT tunnel (RFC 9110
//     9.3.6): the proxy's own loop runs on the CONNECT (407, Proxy-Authenticate,
//     Proxy-Authorization; RFC 7235 3.2, 4.3, 4.4), then TLS with the origin inside the tunnel,
//     then the origin's loop (401) with channel bindings from the origin's certificate. Two
//     independent handshakes with the same credentials; every leg says which hop it went to.
//     A new origin connection (after a Connection: close) is a new tunnel, with a new
//     handshake at the proxy.
#ifndef NTLMH_HTTP_NTLM_AUTH_H_
#define NTLMH_HTTP_NTLM_AUTH_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/http_auth.h"
#include "engine/spnego_ntlm.h"
#include "http/client.h"

namespace ntlmh::http {

enum class AuthScheme : uint8_t { kNtlm, kNegotiate };
const char* AuthSchemeName(AuthScheme scheme);  // "NTLM", "Negotiate"

struct NtlmAuthOptions {
  // Credentials, workstation, flags; VERSION is sent by default (gss-ntlmssp refuses a
  // NEGOTIATE without it). Channel bindings and the SPN are filled in by Authenticate().
  ntlm::ClientConfig client;
  // The scheme to use; when the server offers only the other one, that one is used.
  // Negotiate carries SPNEGO (RFC 4178) with NTLM inside.
  AuthScheme scheme = AuthScheme::kNtlm;
  // 407, Proxy-Authenticate, Proxy-Authorization: for an http URL through a proxy. (An https
  // URL through a proxy authenticates at the proxy on the CONNECT in any case.)
  bool proxy = false;
  bool probe_first = true;            // first send the request without credentials (Postman)
  bool stop_after_challenge = false;  // stop once the CHALLENGE is in (--no-retry; the origin's
                                      // through a tunnel)
  bool channel_bindings = true;  // over TLS: MsvAvChannelBindings from the server certificate
  bool target_spn = true;        // MsvAvTargetName "HTTP/<host>"
};

// One request and its response.
struct AuthLeg {
  enum class Kind : uint8_t { kProbe, kNegotiate, kAuthenticate };
  // Who answers the leg's credentials: the proxy (407 loop: the CONNECT of a tunnel, or an
  // http request through the proxy) or the origin server (401 loop).
  enum class Hop : uint8_t { kOrigin, kProxy };
  Kind kind = Kind::kProbe;
  Hop hop = Hop::kOrigin;
  uint64_t connection_id = 0;
  Request request;                    // as sent, with the Authorization header
  std::optional<Response> response;   // none when the transport failed
  std::string sent_scheme;            // "NTLM" / "Negotiate"; empty for the probe
  ntlm::Bytes sent_token;
  std::string received_scheme;        // the scheme of the server's token, if any
  ntlm::Bytes received_token;         // CHALLENGE (or the final SPNEGO token)
  // For records (`ntlmh request --har`): when the request was written, how long until its
  // response was read (or the transport failed), and the two ends of the connection.
  std::chrono::system_clock::time_point started{};
  std::chrono::microseconds elapsed{0};
  std::string local_endpoint;
  std::string remote_endpoint;
};

enum class AuthOutcome : uint8_t {
  kCompleted,  // a final response: authenticated, or the server asked for no credentials
  kChallenge,  // stop_after_challenge: the last leg's received_token is the CHALLENGE
  kRefused,    // the server refused (wrong credentials, bare NTLM, no NTLM offered); |reason|
  kError,      // transport or protocol error; |error|
};

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::kError;
  std::vector<AuthLeg> legs;
  std::optional<Response> final_response;  // the last response, when there is one
  bool authenticated = false;              // the server accepted an AUTHENTICATE
  std::string reason;                      // kRefused: one line
  ntlm::Error error;                       // kError
  std::string scheme_used;                 // "NTLM" / "Negotiate", once chosen
  std::vector<std::string> notes;          // what was let through, one line each
  // https through a proxy: the origin's legs went (or were to go) through a CONNECT tunnel;
  // the proxy's side of the last tunnel opened. The fields above are the origin's, except
  // that a refusal or an error of the proxy's loop ends the run (the last leg's hop says so).
  bool tunnelled = false;
  std::string proxy_scheme_used;   // empty when the proxy asked for no credentials
  bool proxy_authenticated = false;
  std::unique_ptr<Connection> connection;  // see "Rules" above; null when closed
};

// The client's side of one handshake in either scheme, for callers that do their own I/O
// (`ntlmh load`): the first token (NTLM NEGOTIATE, or SPNEGO NegTokenInit with it), the answer
// to the server's CHALLENGE (or NegTokenResp), and for Negotiate the check of the final token.
class ClientHandshake {
 public:
  ClientHandshake(AuthScheme scheme, ntlm::ClientConfig config);
  [[nodiscard]] ntlm::Result<ntlm::Bytes> First();
  [[nodiscard]] ntlm::Result<ntlm::Bytes> Respond(ntlm::ByteView challenge);
  [[nodiscard]] ntlm::Status Finish(ntlm::ByteView token);

 private:
  AuthScheme scheme_;
  std::optional<ntlm::ClientContext> ntlm_;
  std::optional<ntlm::SpnegoNtlmClient> spnego_;
};

// Runs the loop for |request| (target, method, headers and body as the caller wants them sent;
// it must not carry Authorization / Proxy-Authorization).
AuthResult Authenticate(const Url& url, const Request& request, const ConnectOptions& connect,
                        const NtlmAuthOptions& options);

// Every challenge of every |header_name| line of |response| (RFC 7235 4.1: several lines, and
// several challenges in one line). An error names the line ("WWW-Authenticate[1]") and the
// byte offset in it.
ntlm::Result<std::vector<ntlm::http_auth::Challenge>> ParseAuthenticateHeaders(
    const Response& response, std::string_view header_name);

}  // namespace ntlmh::http

#endif  // NTLMH_HTTP_NTLM_AUTH_H_
