// The client TLS context that every TLS connection of http/ starts from (Connection in
// client.cc, the load generator in load.cc). Internal to http/: it names Asio's types, which
// client.h keeps out of its contract.
#ifndef NTLMH_HTTP_TLS_CONTEXT_H_
#define NTLMH_HTTP_TLS_CONTEXT_H_

#include <boost/asio/ssl.hpp>

#include "engine/bytes.h"
#include "engine/error.h"
#include "http/client.h"

namespace ntlmh::http {

// TLS 1.2 and later only; with o.verify, the peer is verified against o.ca_file or, when that is
// empty, the system's CA store (the host name check is per connection, after SNI is set).
// Fails, naming "cacert", when the CA certificates cannot be loaded.
ntlm::Status ConfigureClientTls(boost::asio::ssl::context& ctx, const TlsOptions& o);

// The DER of the peer's leaf certificate as sent (RFC 5929 4.1: what tls-server-end-point
// hashes), or empty when there is none.
ntlm::Bytes PeerLeafDer(SSL* ssl);

}  // namespace ntlmh::http

#endif  // NTLMH_HTTP_TLS_CONTEXT_H_
