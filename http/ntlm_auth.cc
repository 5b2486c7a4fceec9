#include "http/ntlm_auth.h"

#include <utility>

#include "engine/compute.h"
#include "engine/spnego.h"
#include "engine/spnego_ntlm.h"

namespace ntlmh::http {
namespace {

namespace ha = ntlm::http_auth;

constexpr char kRuleNtht[] = "MS-NTHT 3.1.5.1";
// A base64 token for an NTLM message or SPNEGO token: 64 KiB decoded at most.
constexpr size_t kMaxTokenText = (64 * 1024 / 3 + 1) * 4;

struct Found {
  ha::Challenge challenge;
  size_t line = 0;
};

ntlm::Error ProtocolError(std::string rule, std::string field, size_t offset,
                          std::string reason) {
  return ntlm::MakeError(ntlm::ErrorCode::kBadValue, std::move(rule), std::move(field), offset,
                         std::move(reason));
}

std::string LineName(std::string_view header, size_t line, size_t lines) {
  std::string name(header);
  if (lines > 1) {
    name += "[" + std::to_string(line) + "]";
  }
  return name;
}

ntlm::Result<std::vector<Found>> ParseAll(const Response& response, std::string_view header) {
  const std::vector<std::string> values = response.Values(header);
  std::vector<Found> out;
  for (size_t i = 0; i < values.size(); ++i) {
    auto parsed = ha::ParseChallenges(values[i]);
    if (!parsed.ok()) {
      ntlm::Error e = parsed.error();
      e.field = LineName(header, i, values.size()) + (e.field.empty() ? "" : "." + e.field);
      return e;
    }
    for (ha::Challenge& c : *parsed) {
      out.push_back({std::move(c), i});
    }
  }
  return out;
}

const Found* FindScheme(const std::vector<Found>& all, std::string_view scheme) {
  for (const Found& f : all) {
    if (f.challenge.SchemeIs(scheme)) {
      return &f;
    }
  }
  return nullptr;
}

std::string OfferList(const std::vector<Found>& all) {
  std::string out;
  for (const Found& f : all) {
    out += (out.empty() ? "" : ", ") + f.challenge.scheme;
  }
  return out.empty() ? "none" : out;
}

// The one-line reason a server gives for a refusal: ntlmh serve's X-NTLM-Reject / X-NTLM-Error,
// else the status line.
std::string RefusalReason(const Response& r) {
  std::string reason = std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
  for (const char* name : {"X-NTLM-Reject", "X-NTLM-Error"}) {
    const auto v = r.Values(name);
    if (!v.empty()) {
      reason += " (" + std::string(name) + ": " + v.front() + ")";
    }
  }
  return reason;
}

class Loop {
 public:
  Loop(const Url& url, const Request& request, const ConnectOptions& connect,
       const NtlmAuthOptions& options)
      : url_(url), request_(request), connect_(connect), options_(options) {
    tunnel_ = connect.proxy.has_value() && url.tls();
    challenge_header_ = options.proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
    credentials_header_ = options.proxy ? "Proxy-Authorization" : "Authorization";
    auth_status_ = options.proxy ? 407 : 401;
  }

  AuthResult Run() {
    if (!Connect()) {
      return Done();
    }

    // Leg 1 (Postman, [MS-NTHT] 4.1): the request as it is; the 401 names the schemes.
    AuthScheme scheme = options_.scheme;
    if (options_.probe_first) {
      const Response* r = Send(AuthLeg::Kind::kProbe, request_, "", {});
      if (r == nullptr) {
        return Done();
      }
      if (r->status != auth_status_) {
        result_.outcome = AuthOutcome::kCompleted;
        return Done();
      }
      auto offers = ParseAll(*r, challenge_header_);
      if (!offers.ok()) {
        return Fail(offers.error());
      }
      const bool has_ntlm = FindScheme(*offers, "NTLM") != nullptr;
      const bool has_negotiate = FindScheme(*offers, "Negotiate") != nullptr;
      if (!has_ntlm && !has_negotiate) {
        return Refuse("the server offers no NTLM or Negotiate in " + challenge_header_ +
                      " (offers: " + OfferList(*offers) + ")");
      }
      if (scheme == AuthScheme::kNtlm && !has_ntlm) {
        scheme = AuthScheme::kNegotiate;
      } else if (scheme == AuthScheme::kNegotiate && !has_negotiate) {
        scheme = AuthScheme::kNtlm;
      }
      // The offer's connection may be gone (Connection: close on the first 401 is common);
      // no credentials were sent on it, so a new one is as good.
      if (!result_.connection->IsOpen() && !Connect()) {
        return Done();
      }
    }
    const std::string scheme_name = AuthSchemeName(scheme);
    result_.scheme_used = scheme_name;

    ntlm::ClientConfig config = options_.client;
    if (options_.target_spn && !config.spn.has_value()) {
      config.spn = "HTTP/" + url_.host;
    }
    const ntlm::Bytes& cert = result_.connection->PeerCertificateDer();
    if (options_.channel_bindings && !options_.proxy && url_.tls() && !cert.empty()) {
      // [MS-NLMP] 3.1.5.1.2 MsvAvChannelBindings; RFC 5929 4 tls-server-end-point.
      auto hash = ntlm::TlsServerEndPointBindingsHash(cert);
      if (!hash.ok()) {
        return Fail(hash.error().Nested("channel_bindings", 0));
      }
      config.channel_binding = ntlm::ChannelBindingMode::kHash;
      config.channel_bindings_hash = *hash;
    }
    ClientHandshake handshake(scheme, std::move(config));

    // Leg 2: NEGOTIATE. The body waits for the AUTHENTICATE (as curl does): a server reads and
    // drops it on a 401 anyway.
    auto negotiate = handshake.First();
    if (!negotiate.ok()) {
      return Fail(negotiate.error());
    }
    Request first = request_;
    if (!first.body.empty()) {
      first.body.clear();
      first.headers.push_back({"Content-Length", "0"});
    }
    const Response* r = Send(AuthLeg::Kind::kNegotiate, first, scheme_name, *negotiate);
    if (r == nullptr) {
      return Done();
    }
    if (r->status != auth_status_) {
      if (r->status >= 200 && r->status < 300) {
        result_.outcome = AuthOutcome::kCompleted;  // the server needed no more
        return Done();
      }
      return Refuse("the server answered the NEGOTIATE with " + RefusalReason(*r));
    }
    auto offers = ParseAll(*r, challenge_header_);
    if (!offers.ok()) {
      return Fail(offers.error());
    }
    const Found* found = FindScheme(*offers, scheme_name);
    if (found == nullptr) {
      return Refuse("the server answered the NEGOTIATE with " + RefusalReason(*r) +
                    " and no " + scheme_name + " challenge (offers: " + OfferList(*offers) +
                    ")");
    }
    if (found->challenge.token68.empty()) {
      // [MS-NTHT] 3.1.5.1.2: the answer to a NEGOTIATE carries the CHALLENGE; a bare scheme
      // here is the server starting over, i.e. refusing the NEGOTIATE. Never a CHALLENGE.
      return Refuse("the server answered the NEGOTIATE with a bare '" + found->challenge.scheme +
                    "' (no CHALLENGE): it refused the NEGOTIATE [" + std::string(kRuleNtht) +
                    "]");
    }
    const std::string field = LineName(challenge_header_, found->line, r->Values(
                                                                         challenge_header_).size());
    if (found->challenge.token68.size() > kMaxTokenText) {
      return Fail(ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "", field,
                                  found->challenge.token68_offset,
                                  "the token is larger than 64 KiB"));
    }
    auto challenge = ha::Base64Decode(found->challenge.token68);
    if (!challenge.ok()) {
      ntlm::Error e = challenge.error();
      e.field = field;
      e.offset += found->challenge.token68_offset;
      return Fail(e);
    }
    AuthLeg& leg = result_.legs.back();
    leg.received_scheme = found->challenge.scheme;
    leg.received_token = *challenge;
    if (options_.stop_after_challenge) {
      result_.outcome = AuthOutcome::kChallenge;
      return Done();
    }
    if (!r->keep_alive || !result_.connection->IsOpen()) {
      // [MS-NTHT] 3.1.5.1.2: the AUTHENTICATE must go on the connection that got the CHALLENGE.
      return Fail(ProtocolError(kRuleNtht, "connection", 0,
                                std::string("the server closed the connection after its "
                                            "CHALLENGE") +
                                    (r->keep_alive ? "" : " (Connection: close)") +
                                    "; NTLM authenticates one connection, so the handshake "
                                    "cannot finish"));
    }

    // Leg 3: AUTHENTICATE with the whole request, body included.
    auto authenticate = handshake.Respond(*challenge);
    if (!authenticate.ok()) {
      return Fail(authenticate.error().Nested("CHALLENGE", 0));
    }
    r = Send(AuthLeg::Kind::kAuthenticate, request_, scheme_name, *authenticate);
    if (r == nullptr) {
      return Done();
    }
    auto finals = ParseAll(*r, challenge_header_);
    if (finals.ok()) {
      if (const Found* f = FindScheme(*finals, scheme_name);
          f != nullptr && !f->challenge.token68.empty()) {
        if (auto token = ha::Base64Decode(f->challenge.token68); token.ok()) {
          result_.legs.back().received_scheme = f->challenge.scheme;
          result_.legs.back().received_token = *token;
        }
      }
    }
    if (r->status == auth_status_) {
      return Refuse("the server refused the AUTHENTICATE: " + RefusalReason(*r));
    }
    result_.authenticated = r->status >= 200 && r->status < 300;
    if (result_.authenticated && scheme == AuthScheme::kNegotiate &&
        !result_.legs.back().received_token.empty()) {
      // RFC 4178 5: the server's mechListMIC, when sent, must verify. When NTLMSSP, the only
      // mechanism offered, is accepted, the MIC exchange is OPTIONAL: an accept-completed
      // without one (MIT's SPNEGO over gss-ntlmssp) is a success, with a note.
      auto decoded = ntlm::spnego::DecodeNegotiationToken(result_.legs.back().received_token);
      const ntlm::spnego::NegTokenResp* resp = decoded.ok() ? decoded->resp() : nullptr;
      if (resp != nullptr && resp->neg_state == ntlm::spnego::NegState::kAcceptCompleted &&
          !resp->mech_list_mic.has_value()) {
        result_.notes.push_back(
            "the server's final Negotiate token carries no mechListMIC (optional when the "
            "only mechanism offered is accepted) [RFC 4178 5]");
      } else if (ntlm::Status s = handshake.Finish(result_.legs.back().received_token);
                 !s.ok()) {
        result_.authenticated = false;
        return Refuse("the server's final Negotiate token does not verify: " +
                      s.error().ToString());
      }
    }
    result_.outcome = AuthOutcome::kCompleted;
    return Done();
  }

 private:
  bool Connect() {
    if (tunnel_) {
      return OpenTunnel();
    }
    auto conn = Connection::Open(url_, connect_);
    if (!conn.ok()) {
      result_.error = conn.error();
      result_.outcome = AuthOutcome::kError;
      return false;
    }
    result_.connection = std::move(*conn);
    return true;
  }

  // RFC 9110 9.3.6: a CONNECT tunnel to url_ through the proxy, the proxy's loop run on the
  // CONNECT itself (its own handshake, [MS-NTHT] 3.1.5.1.2 on the proxy's connection), then
  // TLS with the origin inside. False (the result set) when the proxy refuses or fails.
  bool OpenTunnel() {
    result_.tunnelled = true;
    ConnectOptions to_proxy = connect_;
    to_proxy.proxy.reset();
    NtlmAuthOptions at_proxy = options_;
    at_proxy.proxy = true;
    at_proxy.probe_first = true;
    at_proxy.stop_after_challenge = false;
    // Plain HTTP to the proxy: no channel to bind ([MS-NLMP] 3.1.5.1.2 without a TLS channel).
    at_proxy.channel_bindings = false;
    at_proxy.client.channel_binding = ntlm::ChannelBindingMode::kNone;
    at_proxy.client.spn.reset();
    const Request connect_request = ConnectRequest(url_);
    AuthResult stage = Loop(*connect_.proxy, connect_request, to_proxy, at_proxy).Run();
    for (AuthLeg& leg : stage.legs) {
      result_.legs.push_back(std::move(leg));
    }
    for (const std::string& note : stage.notes) {
      result_.notes.push_back("proxy: " + note);
    }
    result_.proxy_scheme_used = stage.scheme_used;
    result_.proxy_authenticated = stage.authenticated;
    if (stage.final_response.has_value()) {
      result_.final_response = stage.final_response;
    }
    if (stage.outcome == AuthOutcome::kRefused) {
      result_.outcome = AuthOutcome::kRefused;
      result_.reason = std::move(stage.reason);
      return false;
    }
    if (stage.outcome != AuthOutcome::kCompleted) {
      result_.outcome = AuthOutcome::kError;
      result_.error = std::move(stage.error);
      return false;
    }
    const Response& answer = *stage.final_response;
    if (answer.status < 200 || answer.status >= 300 || stage.connection == nullptr) {
      result_.outcome = AuthOutcome::kError;
      result_.error = ntlm::MakeError(
          ntlm::ErrorCode::kBadValue, "", "proxy", 0,
          "the proxy " + connect_.proxy->HostPort() + " refused CONNECT " + url_.HostPort() +
              ": " + RefusalReason(answer));
      return false;
    }
    auto tunnel = stage.connection->EnterTunnel(url_);
    if (!tunnel.ok()) {
      result_.outcome = AuthOutcome::kError;
      result_.error = tunnel.error();
      return false;
    }
    result_.connection = std::move(*tunnel);
    return true;
  }

  // Sends one leg; null (and the result set to kError) when the transport fails.
  const Response* Send(AuthLeg::Kind kind, Request request, const std::string& scheme,
                       const ntlm::Bytes& token) {
    if (!token.empty()) {
      request.headers.push_back({credentials_header_, scheme + " " + ha::Base64Encode(token)});
    }
    AuthLeg leg;
    leg.kind = kind;
    leg.hop = options_.proxy ? AuthLeg::Hop::kProxy : AuthLeg::Hop::kOrigin;
    leg.connection_id = result_.connection->id();
    leg.request = request;
    leg.sent_scheme = scheme;
    leg.sent_token = token;
    leg.local_endpoint = result_.connection->LocalEndpoint();
    leg.remote_endpoint = result_.connection->RemoteEndpoint();
    leg.started = std::chrono::system_clock::now();
    const auto start = std::chrono::steady_clock::now();
    auto response = result_.connection->RoundTrip(request);
    leg.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    result_.legs.push_back(std::move(leg));
    if (!response.ok()) {
      result_.error = response.error();
      result_.outcome = AuthOutcome::kError;
      return nullptr;
    }
    result_.legs.back().response = *response;
    result_.final_response = *response;
    return &*result_.final_response;
  }

  AuthResult Fail(ntlm::Error error) {
    result_.outcome = AuthOutcome::kError;
    result_.error = std::move(error);
    return Done();
  }

  AuthResult Refuse(std::string reason) {
    result_.outcome = AuthOutcome::kRefused;
    result_.reason = std::move(reason);
    return Done();
  }

  AuthResult Done() {
    if (result_.connection && (!result_.connection->IsOpen() ||
                               result_.outcome != AuthOutcome::kCompleted)) {
      // A connection in the middle of a handshake, or refused, is no use to anyone.
      result_.connection->Close();
      result_.connection.reset();
    }
    return std::move(result_);
  }

  const Url& url_;
  const Request& request_;
  const ConnectOptions& connect_;
  const NtlmAuthOptions& options_;
  std::string challenge_header_;
  std::string credentials_header_;
  int auth_status_ = 401;
  bool tunnel_ = false;  // https through a proxy: every connection is a CONNECT tunnel
  AuthResult result_;
};

}  // namespace

const char* AuthSchemeName(AuthScheme scheme) {
  return scheme == AuthScheme::kNegotiate ? "Negotiate" : "NTLM";
}

ClientHandshake::ClientHandshake(AuthScheme scheme, ntlm::ClientConfig config)
    : scheme_(scheme) {
  if (scheme == AuthScheme::kNegotiate) {
    spnego_.emplace(std::move(config));
  } else {
    ntlm_.emplace(std::move(config));
  }
}

ntlm::Result<ntlm::Bytes> ClientHandshake::First() {
  return scheme_ == AuthScheme::kNegotiate ? spnego_->Initial() : ntlm_->Negotiate();
}

ntlm::Result<ntlm::Bytes> ClientHandshake::Respond(ntlm::ByteView challenge) {
  return scheme_ == AuthScheme::kNegotiate ? spnego_->Respond(challenge)
                                           : ntlm_->Authenticate(challenge);
}

ntlm::Status ClientHandshake::Finish(ntlm::ByteView token) {
  if (scheme_ == AuthScheme::kNegotiate) {
    return spnego_->Finish(token);
  }
  return {};
}

AuthResult Authenticate(const Url& url, const Request& request, const ConnectOptions& connect,
                        const NtlmAuthOptions& options) {
  if (connect.proxy.has_value() && url.tls() && options.proxy) {
    // Through a tunnel the loop over the tunnel is the origin's (401); the proxy's runs on
    // each CONNECT (Loop::OpenTunnel).
    NtlmAuthOptions at_origin = options;
    at_origin.proxy = false;
    return Loop(url, request, connect, at_origin).Run();
  }
  return Loop(url, request, connect, options).Run();
}

ntlm::Result<std::vector<ha::Challenge>> ParseAuthenticateHeaders(const Response& response,
                                                                  std::string_view header_name) {
  auto all = ParseAll(response, header_name);
  if (!all.ok()) {
    return all.error();
  }
  std::vector<ha::Challenge> out;
  for (Found& f : *all) {
    out.push_back(std::move(f.challenge));
  }
  return out;
}

}  // namespace ntlmh::http
