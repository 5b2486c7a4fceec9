// The only translation unit of http/ with Boost.Asio and Boost.Beast (client.h): every
// operation runs asynchronously on the connection's own io_context, so that the stream's expiry
// (beast::tcp_stream::expires_after) bounds connect, TLS handshake, write and read in time.
#include "http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <string_view>
#include <type_traits>
#include <utility>

#include "http/tls_context.h"

namespace ntlmh::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::atomic<uint64_t> g_next_id{1};

ntlm::Error TransportError(std::string field, std::string reason) {
  return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "", std::move(field), 0,
                         std::move(reason));
}

std::string EndpointText(const tcp::endpoint& ep) {
  const std::string addr = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port());
}

bool IsIpLiteral(const std::string& host) {
  ErrorCode ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// "host" or "host:port" as the Host header wants it (RFC 9110 7.2): the port only when it is
// not the scheme's default.
std::string HostHeader(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  const uint16_t default_port = url.tls() ? 443 : 80;
  if (url.port != default_port) {
    host += ":" + std::to_string(url.port);
  }
  return host;
}

bool HasHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (h.name.size() == name.size() &&
        beast::iequals(beast::string_view(h.name.data(), h.name.size()),
                       beast::string_view(name.data(), name.size()))) {
      return true;
    }
  }
  return false;
}

// A header name is a token (RFC 9110 5.1); a value holds no CR, LF or NUL (RFC 9110 5.5), so
// nothing a caller passes can start another header or request.
bool ValidHeader(const Header& h) {
  if (h.name.empty()) {
    return false;
  }
  for (char c : h.name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') {
      return false;
    }
  }
  for (char c : h.value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
  }
  return true;
}

template <typename Stream>
class ConnectionImpl final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  ConnectionImpl(const Url& target, const ConnectOptions& options)
      : target_(target), options_(options), id_(g_next_id.fetch_add(1)) {}

  ~ConnectionImpl() override { Close(); }

  ntlm::Status Connect() {
    const Url& peer = options_.proxy.has_value() ? *options_.proxy : target_;
    const std::string where = peer.HostPort();

    // Name resolution, bounded by the connect timeout too.
    tcp::resolver resolver(ioc_);
    net::steady_timer timer(ioc_);
    tcp::resolver::results_type endpoints;
    ErrorCode resolve_ec = net::error::would_block;
    timer.expires_after(options_.connect_timeout);
    timer.async_wait([&](ErrorCode ec) {
      if (!ec) {
        resolver.cancel();
      }
    });
    resolver.async_resolve(peer.host, std::to_string(peer.port),
                           [&](ErrorCode ec, tcp::resolver::results_type results) {
                             resolve_ec = ec;
                             endpoints = std::move(results);
                             timer.cancel();
                           });
    Run();
    if (resolve_ec) {
      return TransportError("connection", "cannot resolve " + peer.host + ": " +
                                              (resolve_ec == net::error::operation_aborted
                                                   ? std::string("timed out")
                                                   : resolve_ec.message()));
    }

    if constexpr (kTls) {
      if (ntlm::Status s = MakeTlsStream(); !s.ok()) {
        return s;
      }
    } else {
      stream_.emplace(ioc_);
    }
    Lowest().expires_after(options_.connect_timeout);
    ErrorCode ec = net::error::would_block;
    Lowest().async_connect(endpoints, [&](ErrorCode e, const tcp::endpoint&) { ec = e; });
    Run();
    if (ec) {
      return TransportError("connection", "cannot connect to " + where + ": " + Reason(ec));
    }
    ErrorCode ignored;
    local_ = EndpointText(Lowest().socket().local_endpoint(ignored));
    remote_ = EndpointText(Lowest().socket().remote_endpoint(ignored));

    if constexpr (kTls) {
      if (ntlm::Status s = TlsHandshake(); !s.ok()) {
        return s;
      }
    }
    open_ = true;
    return {};
  }

  // A connection inside a CONNECT tunnel (EnterTunnel): the socket |fd|, already connected to
  // the proxy, becomes this connection's; for https the TLS handshake with target_ follows.
  ntlm::Status Adopt(const tcp& protocol, int fd, std::string local, std::string remote,
                     std::string via) {
    via_ = std::move(via);
    if constexpr (kTls) {
      if (ntlm::Status s = MakeTlsStream(); !s.ok()) {
        ::close(fd);
        return s;
      }
    } else {
      stream_.emplace(ioc_);
    }
    ErrorCode ec;
    Lowest().socket().assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return TransportError("connection", "cannot take over the tunnel to " + Where() + ": " +
                                              ec.message());
    }
    local_ = std::move(local);
    remote_ = std::move(remote);
    if constexpr (kTls) {
      if (ntlm::Status s = TlsHandshake(); !s.ok()) {
        return s;
      }
    }
    open_ = true;
    return {};
  }

  ntlm::Result<std::unique_ptr<Connection>> EnterTunnel(const Url& origin) override {
    if constexpr (kTls) {
      Close();
      return TransportError("proxy", "a CONNECT tunnel through an https proxy is not supported");
    } else {
      if (!open_ || !tunnel_ready_) {
        Close();
        return TransportError("proxy", "no 2xx answer to CONNECT on this connection");
      }
      if (buffer_.size() != 0) {
        // RFC 9110 9.3.6: the tunnel starts after the 2xx's header; over TLS the client speaks
        // first, so bytes the proxy sent before the ClientHello belong to nobody.
        const size_t extra = buffer_.size();
        Close();
        return TransportError("proxy", "the proxy sent " + std::to_string(extra) +
                                           " bytes after its 2xx to CONNECT, before the "
                                           "client's first byte");
      }
      ErrorCode ec;
      const tcp protocol = Lowest().socket().local_endpoint(ec).protocol();
      const int fd = ec ? -1 : Lowest().socket().release(ec);
      open_ = false;
      stream_.reset();
      if (ec || fd < 0) {
        return TransportError("proxy", "cannot take over the tunnel: " + ec.message());
      }
      ConnectOptions inner = options_;
      inner.proxy.reset();
      const std::string via = " (through the CONNECT tunnel of " + Where() + ")";
      std::unique_ptr<Connection> out;
      ntlm::Status s;
      if (origin.tls()) {
        auto conn = std::make_unique<ConnectionImpl<TlsStream>>(origin, inner);
        s = conn->Adopt(protocol, fd, local_, remote_, via);
        out = std::move(conn);
      } else {
        auto conn = std::make_unique<ConnectionImpl<beast::tcp_stream>>(origin, inner);
        s = conn->Adopt(protocol, fd, local_, remote_, via);
        out = std::move(conn);
      }
      if (!s.ok()) {
        return s.error();
      }
      return out;
    }
  }

  ntlm::Result<Response> RoundTrip(const Request& request) override {
    if (ntlm::Status s = WriteRequest(request); !s.ok()) {
      return s.error();
    }
    return ReadResponse();
  }

  ntlm::Status WriteRaw(std::string_view bytes) override {
    if (!open_) {
      return TransportError("connection", "the connection is closed");
    }
    Lowest().expires_after(options_.io_timeout);
    ErrorCode ec = net::error::would_block;
    net::async_write(*stream_, net::buffer(bytes.data(), bytes.size()),
                     [&](ErrorCode e, size_t) { ec = e; });
    Run();
    if (ec) {
      MarkClosed();
      return TransportError("connection", "cannot write to " + Where() + ": " + Reason(ec));
    }
    last_method_head_ = bytes.substr(0, 5) == "HEAD ";
    last_method_connect_ = bytes.substr(0, 8) == "CONNECT ";
    tunnel_ready_ = false;
    return {};
  }

  ntlm::Result<Response> ReadResponse() override {
    if (!open_) {
      return TransportError("connection", "the connection is closed");
    }
    // Interim 1xx responses are skipped (RFC 9110 15.2), a few at most.
    for (int interim = 0; interim < 8; ++interim) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(
          std::min<size_t>(options_.max_response_header_bytes, UINT32_MAX)));
      // Beast's own limit refuses a Content-Length over it while reading the header, before a
      // 2xx to CONNECT (whose Content-Length means nothing) can be told apart: after a CONNECT
      // the cap is only the checks below.
      parser.body_limit(last_method_connect_ ? std::numeric_limits<uint64_t>::max()
                                             : options_.max_response_body_bytes);
      if (last_method_head_) {
        parser.skip(true);
      }
      Lowest().expires_after(options_.io_timeout);
      // The header first, then the body piece by piece, measuring it here: the size cap holds
      // whatever the framing (Content-Length, chunked, or up to EOF) and whatever the parser's
      // own body_limit does (it did not stop a 100 MB Content-Length in the async path).
      ErrorCode ec = net::error::would_block;
      bhttp::async_read_header(*stream_, buffer_, parser, [&](ErrorCode e, size_t) { ec = e; });
      Run();
      const unsigned header_status = ec ? 0 : parser.get().result_int();
      if (last_method_connect_ && header_status >= 200 && header_status < 300) {
        // RFC 9110 9.3.6: a 2xx to CONNECT has no content (any Content-Length or
        // Transfer-Encoding is ignored); the bytes after its header are the tunnel's.
        Response response = Converted(parser.get());
        response.keep_alive = true;
        tunnel_ready_ = true;
        return response;
      }
      if (!ec && !last_method_head_ && parser.content_length().has_value() &&
          *parser.content_length() > options_.max_response_body_bytes) {
        ec = bhttp::error::body_limit;
      }
      while (!ec && !parser.is_done()) {
        ec = net::error::would_block;
        bhttp::async_read_some(*stream_, buffer_, parser, [&](ErrorCode e, size_t) { ec = e; });
        Run();
        if (!ec && parser.get().body().size() > options_.max_response_body_bytes) {
          ec = bhttp::error::body_limit;
        }
      }
      if (ec) {
        MarkClosed();
        if (ec == bhttp::error::body_limit) {
          return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "", "response.body", 0,
                                 "the response body is larger than " +
                                     std::to_string(options_.max_response_body_bytes) +
                                     " bytes");
        }
        if (ec == bhttp::error::header_limit) {
          return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "", "response.header", 0,
                                 "the response header is larger than " +
                                     std::to_string(options_.max_response_header_bytes) +
                                     " bytes");
        }
        return TransportError("connection", "no response from " + Where() + ": " + Reason(ec) +
                                                ParseErrorPlace(ec));
      }
      const auto& msg = parser.get();
      const unsigned status = msg.result_int();
      if (status >= 100 && status < 200 && status != 101) {
        continue;
      }
      Response response = Converted(msg);
      response.body = msg.body();
      response.keep_alive = msg.keep_alive();
      if (!response.keep_alive) {
        Close();
      }
      return response;
    }
    MarkClosed();
    return TransportError("response", "more than 8 interim (1xx) responses");
  }

  bool IsOpen() const override {
    if (!open_ || !stream_.has_value()) {
      return false;
    }
    // A peer that closed between responses: recv() sees EOF without consuming anything.
    if (buffer_.size() == 0) {
      char c = 0;
      const int fd = const_cast<ConnectionImpl*>(this)->Lowest().socket().native_handle();
      const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0) {
        return false;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return false;
      }
    }
    return true;
  }

  void Close() override {
    if (stream_.has_value() && open_) {
      ErrorCode ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest().close();
    }
    open_ = false;
  }

  void SetIoTimeout(std::chrono::milliseconds timeout) override {
    options_.io_timeout = timeout;
  }

  const ntlm::Bytes& PeerCertificateDer() const override { return peer_cert_; }
  uint64_t id() const override { return id_; }
  std::string LocalEndpoint() const override { return local_; }
  std::string RemoteEndpoint() const override { return remote_; }

 private:
  // Status line and headers of a parsed response (no body).
  static Response Converted(const bhttp::response<bhttp::string_body>& msg) {
    Response response;
    response.status = static_cast<int>(msg.result_int());
    response.reason = std::string(msg.reason());
    for (const auto& field : msg) {
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    return response;
  }

  beast::tcp_stream& Lowest() {
    if constexpr (kTls) {
      return stream_->next_layer();
    } else {
      return *stream_;
    }
  }

  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  void MarkClosed() {
    if (stream_.has_value()) {
      ErrorCode ignored;
      Lowest().close();
    }
    open_ = false;
  }

  std::string Where() const {
    return (options_.proxy.has_value() ? *options_.proxy : target_).HostPort() + via_;
  }

  std::string Reason(const ErrorCode& ec) const {
    if (ec == beast::error::timeout) {
      return "timed out";
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == ssl::error::stream_truncated) {
      return "the server closed the connection";
    }
    return ec.message();
  }

  // For a parse error of the response header ("bad value"), where it is: Beast names no field,
  // so the bytes it has not consumed (they start at the line it failed in) are searched for
  // the first byte that RFC 9110 5.5 / RFC 9112 2.2 do not allow there (a control byte other
  // than HTAB, or a bare CR or LF), and its line is named: " (byte 0x01 at offset 9 of the
  // header line X-Evil)". Empty when it is not a parse error or nothing is found.
  std::string ParseErrorPlace(const ErrorCode& ec) const {
    if (ec.category() != bhttp::make_error_code(bhttp::error::bad_value).category() ||
        ec == bhttp::error::end_of_stream) {
      return "";
    }
    const auto data = buffer_.data();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    const size_t end = std::min(bytes.find("\r\n\r\n"), bytes.size());
    size_t line_start = 0;
    for (size_t i = 0; i < end; ++i) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      const bool crlf = (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ||
                        (c == '\n' && i > 0 && bytes[i - 1] == '\r');
      if (crlf) {
        if (c == '\n') {
          line_start = i + 1;
        }
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02x", c);
        std::string where =
            std::string(" (byte ") + hex + " at offset " + std::to_string(i - line_start);
        const std::string_view line = bytes.substr(line_start, i - line_start);
        const size_t colon = line.find(':');
        if (line_start == 0 && bytes.substr(0, 5) == "HTTP/") {
          return where + " of the status line)";
        }
        if (colon != std::string_view::npos && colon > 0 && colon <= 64) {
          std::string name;
          for (const char n : line.substr(0, colon)) {
            name += (n > 0x20 && n < 0x7f) ? n : '?';
          }
          return where + " of the header line " + name + ")";
        }
        return where + " of a header line)";
      }
    }
    return "";
  }

  // Over the connected socket; keeps the leaf certificate for channel bindings.
  ntlm::Status TlsHandshake() {
    Lowest().expires_after(options_.connect_timeout);
    ErrorCode ec = net::error::would_block;
    stream_->async_handshake(ssl::stream_base::client, [&](ErrorCode e) { ec = e; });
    Run();
    if (ec) {
      std::string reason = Reason(ec);
      const long verify = SSL_get_verify_result(stream_->native_handle());
      if (verify != X509_V_OK) {
        reason = std::string("certificate verify failed: ") +
                 X509_verify_cert_error_string(verify) +
                 " (--cacert FILE trusts a CA, --insecure skips the check)";
      }
      Lowest().close();
      return TransportError("connection", "TLS handshake with " + Where() + " failed: " + reason);
    }
    // RFC 5929 4.1: tls-server-end-point hashes the leaf certificate as sent.
    peer_cert_ = PeerLeafDer(stream_->native_handle());
    return {};
  }

  ntlm::Status MakeTlsStream() {
    tls_.emplace(ssl::context::tls_client);
    const TlsOptions& o = options_.tls;
    if (ntlm::Status s = ConfigureClientTls(*tls_, o); !s.ok()) {
      return s;
    }
    stream_.emplace(ioc_, *tls_);
    SSL* ssl_handle = stream_->native_handle();
    const std::string name = o.server_name.empty() ? target_.host : o.server_name;
    const bool ip = IsIpLiteral(name);
    // RFC 6066 3: SNI carries DNS names only, never an address literal.
    if (!ip && SSL_set_tlsext_host_name(ssl_handle, name.c_str()) != 1) {
      return TransportError("connection", "cannot set the TLS server name " + name);
    }
    if (o.verify) {
      // RFC 9110 4.3.4 / RFC 6125: the certificate must name the host (or address) we asked for.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
      if (set != 1) {
        return TransportError("connection", "cannot check the certificate against " + name);
      }
    }
    return {};
  }

  ntlm::Status WriteRequest(const Request& request) {
    if (!open_) {
      return TransportError("connection", "the connection is closed");
    }
    bhttp::request<bhttp::string_body> req;
    req.version(11);
    const bhttp::verb verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
      req.method_string(request.method);
    } else {
      req.method(verb);
    }
    std::string target = request.target;
    if (options_.proxy.has_value() && !target.empty() && target.front() == '/') {
      // RFC 9112 3.2.2: absolute-form towards a proxy.
      target = target_.scheme + "://" + HostHeader(target_) + target;
    }
    req.target(target);
    for (const Header& h : request.headers) {
      if (!ValidHeader(h)) {
        return TransportError("request.headers",
                              "header '" + h.name + "' has a bad name or a CR, LF or NUL");
      }
      req.insert(h.name, h.value);
    }
    if (!HasHeader(request.headers, "Host")) {
      req.set(bhttp::field::host, HostHeader(target_));
    }
    req.body() = request.body;
    if (!HasHeader(request.headers, "Content-Length") &&
        !HasHeader(request.headers, "Transfer-Encoding")) {
      if (!request.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
          verb == bhttp::verb::patch) {
        req.content_length(request.body.size());
      }
    }
    last_method_head_ = verb == bhttp::verb::head;
    last_method_connect_ = verb == bhttp::verb::connect;
    tunnel_ready_ = false;

    Lowest().expires_after(options_.io_timeout);
    ErrorCode ec = net::error::would_block;
    bhttp::async_write(*stream_, req, [&](ErrorCode e, size_t) { ec = e; });
    Run();
    if (ec) {
      MarkClosed();
      return TransportError("connection", "cannot send the request to " + Where() + ": " +
                                              Reason(ec));
    }
    return {};
  }

  Url target_;
  ConnectOptions options_;
  uint64_t id_;
  net::io_context ioc_;
  std::optional<ssl::context> tls_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  bool last_method_head_ = false;
  bool last_method_connect_ = false;
  bool tunnel_ready_ = false;  // the last response was a 2xx to CONNECT
  std::string via_;            // " (through the CONNECT tunnel of proxy:port)", for messages
  ntlm::Bytes peer_cert_;
  std::string local_;
  std::string remote_;
};

}  // namespace

Request ConnectRequest(const Url& origin) {
  Request request;
  request.method = "CONNECT";
  request.target = origin.HostPort();
  request.headers.push_back({"Host", origin.HostPort()});
  return request;
}

ntlm::Bytes PeerLeafDer(SSL* ssl) {
  ntlm::Bytes der;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) {
    return der;
  }
  const int len = i2d_X509(cert, nullptr);
  if (len > 0) {
    der.resize(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509(cert, &p);
  }
  X509_free(cert);
  return der;
}

ntlm::Status ConfigureClientTls(ssl::context& ctx, const TlsOptions& o) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (!o.verify) {
    ctx.set_verify_mode(ssl::verify_none);
    return ntlm::Status();
  }
  ErrorCode ec;
  if (o.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(o.ca_file, ec);
  }
  if (ec) {
    return TransportError("cacert", "cannot load CA certificates" +
                                        (o.ca_file.empty() ? std::string()
                                                           : " from " + o.ca_file) +
                                        ": " + ec.message());
  }
  ctx.set_verify_mode(ssl::verify_peer);
  return ntlm::Status();
}

ntlm::Result<std::unique_ptr<Connection>> Connection::Open(const Url& target,
                                                           const ConnectOptions& options) {
  if (options.proxy.has_value() && target.tls()) {
    // RFC 9110 9.3.6: a tunnel through the proxy, then TLS with the target inside it.
    ConnectOptions to_proxy = options;
    to_proxy.proxy.reset();
    auto proxy = Open(*options.proxy, to_proxy);
    if (!proxy.ok()) {
      return proxy.error();
    }
    auto response = (*proxy)->RoundTrip(ConnectRequest(target));
    if (!response.ok()) {
      return response.error();
    }
    if (response->status < 200 || response->status >= 300) {
      return TransportError("proxy", "the proxy " + options.proxy->HostPort() +
                                         " answered CONNECT " + target.HostPort() + " with " +
                                         std::to_string(response->status) + " " +
                                         response->reason);
    }
    return (*proxy)->EnterTunnel(target);
  }
  if (target.tls()) {
    auto conn = std::make_unique<ConnectionImpl<TlsStream>>(target, options);
    if (ntlm::Status s = conn->Connect(); !s.ok()) {
      return s.error();
    }
    return std::unique_ptr<Connection>(std::move(conn));
  }
  auto conn = std::make_unique<ConnectionImpl<beast::tcp_stream>>(target, options);
  if (ntlm::Status s = conn->Connect(); !s.ok()) {
    return s.error();
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace ntlmh::http
