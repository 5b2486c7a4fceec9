// http/: HTTP/1.1 client connections over TCP and TLS (Boost.Beast), for `ntlmh request`,
// `ntlmh probe` and `ntlmh load`.
//
// NTLM authenticates a TCP connection, not a request ([MS-NTHT] 3.1.5.1.2), so the unit here is
// one Connection: it keeps one socket for the whole handshake and says when the server closed it,
// and over TLS it keeps the server's leaf certificate for channel bindings (RFC 5929 4).
//
// All of Boost.Asio and Boost.Beast stays inside client.cc: this header is plain C++.
//
// Example:
//   auto url = Url::Parse("https://127.0.0.1:8443/private");
//   ConnectOptions opts;  opts.tls.verify = false;            // --insecure
//   auto conn = Connection::Open(*url, opts);
//   Request req;  req.target = url->target;
//   req.headers.push_back({"Authorization", "NTLM " + base64_negotiate});
//   auto resp = (*conn)->RoundTrip(req);                     // 401 with the CHALLENGE
//   for (const std::string& v : resp->Values("WWW-Authenticate")) ...
#ifndef NTLMH_HTTP_CLIENT_H_
#define NTLMH_HTTP_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlmh::http {

// An absolute http or https URL (RFC 9110 4.2). IPv6 literals in brackets are accepted.
struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets
  uint16_t port = 0;   // the scheme's default when the URL has none
  std::string target;  // origin-form: path and query, "/" when empty

  // Errors (kInvalidArgument) name the offset in |text|.
  static ntlm::Result<Url> Parse(std::string_view text);
  bool tls() const { return scheme == "https"; }
  std::string HostPort() const;  // "host:port", brackets around IPv6
  std::string ToString() const;  // scheme://host:port/target
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  std::string target = "/";  // origin-form, or absolute-form through a proxy
  std::vector<Header> headers;  // Host, Content-Length are added when absent
  std::string body;
};

struct Response {
  int status = 0;
  std::string reason;
  std::vector<Header> headers;  // in order, as received; several lines of one name kept apart
  std::string body;
  bool keep_alive = true;  // false when the server said Connection: close (or HTTP/1.0)

  // Every value of header |name| (case-insensitive), one entry per header line.
  std::vector<std::string> Values(std::string_view name) const;
};

struct TlsOptions {
  bool verify = true;   // false: --insecure
  std::string ca_file;  // PEM bundle; empty: the system's default paths
  std::string server_name;  // SNI and name check; empty: the URL's host
};

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds io_timeout{30000};     // one request's write + response read
  size_t max_response_header_bytes = 64 * 1024;
  size_t max_response_body_bytes = 16 * 1024 * 1024;
  TlsOptions tls;
  // An http:// proxy. For an http target the connection goes to the proxy and requests use the
  // absolute form (RFC 9112 3.2.2); for an https target Open() asks the proxy for a CONNECT
  // tunnel (RFC 9110 9.3.6) and runs TLS with the target inside it.
  std::optional<Url> proxy;
};

// RFC 9110 9.3.6: "CONNECT host:port" (the authority-form of RFC 9112 3.2.3) with the same
// authority in Host, asking a proxy for a tunnel to |origin|.
Request ConnectRequest(const Url& origin);

class Connection {
 public:
  // Connects (and for https, does the TLS handshake). A transport failure is an Error with
  // field "connection" and a reason that names the host, the port and the cause. An https
  // target through |options.proxy| goes through a CONNECT tunnel that the proxy grants without
  // credentials; anything but a 2xx is an Error with field "proxy" naming the status (a proxy
  // that wants credentials: Authenticate() in http/ntlm_auth.h).
  static ntlm::Result<std::unique_ptr<Connection>> Open(const Url& target,
                                                        const ConnectOptions& options);
  virtual ~Connection() = default;

  // Writes |request| and reads one whole response. After a response with keep_alive false, or
  // when the server closed the socket, IsOpen() is false and later calls fail.
  virtual ntlm::Result<Response> RoundTrip(const Request& request) = 0;

  // Raw bytes, for robustness checks that send malformed HTTP on purpose.
  virtual ntlm::Status WriteRaw(std::string_view bytes) = 0;
  virtual ntlm::Result<Response> ReadResponse() = 0;

  virtual bool IsOpen() const = 0;
  virtual void Close() = 0;
  // Bounds each later write and read as ConnectOptions::io_timeout did: for a caller with an
  // overall deadline (`ntlmh probe --max-time`, issue #6).
  virtual void SetIoTimeout(std::chrono::milliseconds timeout) = 0;

  // On a connection to a proxy whose last response was a 2xx to CONNECT (RFC 9110 9.3.6: from
  // there on the bytes belong to the tunnel): hands the socket over to a new Connection to
  // |origin|, with the TLS handshake for https (SNI and the certificate check against
  // |origin|'s host, PeerCertificateDer() from |origin|). This connection is closed afterwards,
  // whatever the outcome.
  virtual ntlm::Result<std::unique_ptr<Connection>> EnterTunnel(const Url& origin) = 0;

  // The server's leaf certificate (DER); empty over plain HTTP. For tls-server-end-point.
  virtual const ntlm::Bytes& PeerCertificateDer() const = 0;
  // A number unique within the process, for logs and reports ("connection 3").
  virtual uint64_t id() const = 0;
  // Local and remote "ip:port", for reports.
  virtual std::string LocalEndpoint() const = 0;
  virtual std::string RemoteEndpoint() const = 0;
};

}  // namespace ntlmh::http

#endif  // NTLMH_HTTP_CLIENT_H_
