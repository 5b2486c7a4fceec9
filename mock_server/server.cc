// The only translation unit with Boost.Asio and Boost.Beast (compile time: see server.h).
#include "mock_server/server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <csignal>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/compute.h"
#include "mock_server/reply_wire.h"
#include "mock_server/tls_material.h"

namespace ntlmh::mock {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What every connection shares; lives as long as RunServer.
struct Shared {
  ServerOptions options;
  std::shared_ptr<const Settings> settings;
  std::optional<ntlm::Key16> tls_binding;
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> next_id{1};
};

// One TCP connection: reads one request at a time, lets the AuthGate answer it, writes the
// reply, and reads the next. Every handler runs on the connection's strand.
template <typename Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <typename... Args>
  Connection(Shared& shared, uint64_t id, Args&&... stream_args)
      : shared_(shared),
        stream_(std::forward<Args>(stream_args)...),
        gate_(shared.settings, id, kTls ? shared.tls_binding : std::nullopt) {}

  ~Connection() {
    gate_.Abandon("connection_closed");
    shared_.connections.fetch_sub(1);
  }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(shared_.options.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&Connection::OnTlsHandshake,
                                                        this->shared_from_this()));
    } else {
      ReadHeader();
    }
  }

 private:
  // A CONNECT tunnel (--proxy), made once the CONNECT is let through.
  struct Tunnel {
    static constexpr size_t kBufferBytes = 16 * 1024;  // per direction, fixed
    template <typename Executor>
    explicit Tunnel(const Executor& ex) : target(ex), idle(ex) {}
    beast::tcp_stream target;
    net::steady_timer idle;
    std::chrono::steady_clock::time_point last_activity;
    std::string where;  // "address:port", for the 502
    std::array<char, kBufferBytes> up{};    // client to target
    std::array<char, kBufferBytes> down{};  // target to client
    bool closed = false;
  };

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnTlsHandshake(beast::error_code ec) {
    if (ec) {
      return;  // not a TLS client, or too slow: drop
    }
    ReadHeader();
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_.options.max_header_bytes));
    parser_->body_limit(shared_.options.max_body_bytes);
    Lowest().expires_after(gate_.handshake_pending() ? shared_.options.handshake_timeout
                                                     : shared_.options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Connection::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) {
      return OnReadError(ec);
    }
    // RFC 9110 10.1.1: a client waiting for "100 Continue" gets it before the body is read.
    const auto& req = parser_->get();
    if (req.version() >= 11 && !parser_->is_done() &&
        beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      return http::async_write(
          stream_, *continue_,
          beast::bind_front_handler(&Connection::OnContinueSent, this->shared_from_this()));
    }
    ReadBody();
  }

  void OnContinueSent(beast::error_code ec, size_t) {
    if (ec) {
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::OnRequest, this->shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return Refuse(http::status::request_header_fields_too_large, "request header too large");
    }
    if (ec == http::error::body_limit) {
      return Refuse(http::status::payload_too_large, "request body too large");
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Refuse(http::status::bad_request, "malformed HTTP request");
    }
    // end of stream, timeout, reset, TLS error: nothing to answer.
    gate_.Abandon(ec == beast::error::timeout ? "timeout" : "connection_closed");
    Close();
  }

  void OnRequest(beast::error_code ec, size_t) {
    if (ec) {
      return OnReadError(ec);
    }
    auto& req = parser_->get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[http::field::content_type]);
    const auto auth_field =
        shared_.settings->proxy ? http::field::proxy_authorization : http::field::authorization;
    for (const auto& field : req) {
      if (field.name() == auth_field) {
        request.authorization.emplace_back(field.value());
      }
    }
    request.body = req.body();
    if (shared_.settings->proxy && req.method() == http::verb::connect) {
      return OnConnect(request, req.version(), req.keep_alive());
    }

    // Nothing a client sends may end the process: an exception (a header value too long for
    // Beast's fields, an allocation failure) becomes a 500 and closes this connection only.
    try {
      Reply reply = gate_.Handle(request);
      const bool keep_alive = req.keep_alive() && !reply.close;
      head_ = req.method() == http::verb::head;
      close_unannounced_ = reply.close_unannounced;
      if (shared_.settings->Has(Fault::kSlowAnswers)) {
        // Fault slow-answers: the answer waits, the connection's strand stays free meanwhile.
        const auto status = static_cast<http::status>(reply.status);
        const unsigned version = req.version();
        delay_.emplace(stream_.get_executor());
        delay_->expires_after(shared_.settings->answer_delay);
        delay_->async_wait([self = this->shared_from_this(), status, version,
                            reply = std::move(reply), keep_alive](beast::error_code ec) mutable {
          if (!ec) {
            self->Send(status, version, std::move(reply), keep_alive);
          }
        });
        return;
      }
      Send(static_cast<http::status>(reply.status), req.version(), std::move(reply), keep_alive);
    } catch (const std::exception& e) {
      InternalError(e);
    }
  }

  // A 500 that closes this connection only.
  void InternalError(const std::exception& e) {
    Reply reply;
    reply.content_type = "text/plain";
    reply.body = std::string("internal error: ") + e.what() + "\n";
    gate_.Abandon("internal_error");
    Send(http::status::internal_server_error, 11, std::move(reply), false);
  }

  // --proxy: CONNECT host:port (RFC 9110 9.3.6). The target is checked first (400 malformed,
  // 403 not loopback: CheckTunnelTarget, nothing resolved or connected), then authenticated as
  // any request to the proxy (407 loop); once the gate lets it through, the target is
  // connected (502 when that fails) and "200 Connection established" starts the relay.
  void OnConnect(const Request& request, unsigned version, bool keep_alive) {
    try {
      const TunnelTarget target = CheckTunnelTarget(request.target);
      if (target.status != 0) {
        Reply reply;
        reply.content_type = "text/plain";
        reply.body = target.reason + "\n";
        return Send(static_cast<http::status>(target.status), version, std::move(reply),
                    keep_alive && target.status == 403);
      }
      Reply reply = gate_.Handle(request);
      if (!reply.authenticated) {
        close_unannounced_ = reply.close_unannounced;
        return Send(static_cast<http::status>(reply.status), version, std::move(reply),
                    keep_alive && !reply.close && reply.status != 200);
      }
      beast::error_code ec;
      const auto address = net::ip::make_address(target.address, ec);
      if (ec) {
        Reply bad;
        bad.content_type = "text/plain";
        bad.body = "not an address: " + target.address + "\n";
        return Send(http::status::bad_gateway, version, std::move(bad), false);
      }
      tunnel_ = std::make_unique<Tunnel>(stream_.get_executor());
      tunnel_->where = target.address + ":" + std::to_string(target.port);
      tunnel_->target.expires_after(shared_.options.handshake_timeout);
      tunnel_->target.async_connect(
          tcp::endpoint(address, target.port),
          beast::bind_front_handler(&Connection::OnTargetConnected, this->shared_from_this(),
                                    version));
    } catch (const std::exception& e) {
      InternalError(e);
    }
  }

  void OnTargetConnected(unsigned version, beast::error_code ec) {
    if (ec) {
      Reply reply;
      reply.content_type = "text/plain";
      reply.body = "cannot connect to " + tunnel_->where + ": " +
                   (ec == beast::error::timeout ? std::string("timed out") : ec.message()) +
                   "\n";
      tunnel_.reset();
      return Send(http::status::bad_gateway, version, std::move(reply), false);
    }
    // RFC 9110 9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT.
    established_.emplace(http::status::ok, version);
    established_->reason("Connection established");
    established_->set(http::field::server, "ntlmh-mock");
    Lowest().expires_after(shared_.options.idle_timeout);
    http::async_write(stream_, *established_,
                      beast::bind_front_handler(&Connection::OnEstablished,
                                                this->shared_from_this()));
  }

  void OnEstablished(beast::error_code ec, size_t) {
    established_.reset();
    if (ec) {
      return CloseTunnel();
    }
    // From here on the connection is a byte pipe. Each direction reads into its own fixed
    // buffer and reads again only once that buffer is written: a side that stops reading
    // stops the other side's reads, never grows memory. One idle timer bounds both.
    Lowest().expires_never();
    tunnel_->target.expires_never();
    Touch();
    tunnel_->idle.expires_after(shared_.options.idle_timeout);
    tunnel_->idle.async_wait(
        beast::bind_front_handler(&Connection::OnTunnelIdle, this->shared_from_this()));
    StartUp();
    Relay(tunnel_->target, stream_, tunnel_->down);
  }

  void Touch() { tunnel_->last_activity = std::chrono::steady_clock::now(); }

  // Client to target, first the bytes the client sent after the CONNECT's header (already in
  // buffer_), a buffer's worth at a time; then the relay proper.
  void StartUp() {
    if (buffer_.size() == 0) {
      return Relay(stream_, tunnel_->target, tunnel_->up);
    }
    const size_t n = std::min(buffer_.size(), tunnel_->up.size());
    net::buffer_copy(net::buffer(tunnel_->up), buffer_.data(), n);
    buffer_.consume(n);
    net::async_write(tunnel_->target, net::buffer(tunnel_->up.data(), n),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec || self->tunnel_->closed) {
                         return self->CloseTunnel();
                       }
                       self->StartUp();
                     });
  }

  // One direction of the relay: read into |buf|, write all of it to |to|, and only then read
  // again. Any error or EOF closes the tunnel.
  template <typename From, typename To>
  void Relay(From& from, To& to, std::array<char, Tunnel::kBufferBytes>& buf) {
    from.async_read_some(
        net::buffer(buf),
        [self = this->shared_from_this(), &from, &to, &buf](beast::error_code ec, size_t n) {
          if (ec || self->tunnel_->closed) {
            return self->CloseTunnel();
          }
          self->Touch();
          net::async_write(to, net::buffer(buf.data(), n),
                           [self, &from, &to, &buf](beast::error_code wec, size_t) {
                             if (wec || self->tunnel_->closed) {
                               return self->CloseTunnel();
                             }
                             self->Touch();
                             self->Relay(from, to, buf);
                           });
        });
  }

  void OnTunnelIdle(beast::error_code ec) {
    if (ec || tunnel_->closed) {
      return;
    }
    const auto idle_for = std::chrono::steady_clock::now() - tunnel_->last_activity;
    if (idle_for >= shared_.options.idle_timeout) {
      return CloseTunnel();
    }
    tunnel_->idle.expires_after(shared_.options.idle_timeout - idle_for);
    tunnel_->idle.async_wait(
        beast::bind_front_handler(&Connection::OnTunnelIdle, this->shared_from_this()));
  }

  // Either side ended (EOF, error) or the tunnel idled out: both sockets close, which ends the
  // other direction's pending operations; the last handler releases the connection.
  void CloseTunnel() {
    if (tunnel_ == nullptr || tunnel_->closed) {
      return;
    }
    tunnel_->closed = true;
    tunnel_->idle.cancel();
    beast::error_code ignored;
    tunnel_->target.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tunnel_->target.close();
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  void Refuse(http::status status, const char* text) {
    Reply reply;
    reply.content_type = "text/plain";
    reply.body = std::string(text) + "\n";
    gate_.Abandon("bad_http");
    Send(status, 11, std::move(reply), false);
  }

  // The answer goes out as one buffer that SerializeReply made (Beast's serializer walked a
  // chain of buffer views per write: a seventh of the server's instructions per handshake).
  // Never throws: an answer that cannot be written (a header field over kMaxFieldValueBytes,
  // from the server's own configuration) becomes a 500 that closes this connection, on every
  // path, the delayed answers of slow-answers included.
  void Send(http::status status, unsigned version, Reply reply, bool keep_alive) {
    const bool head = std::exchange(head_, false);
    try {
      out_ = SerializeReply(static_cast<int>(status), version, reply, keep_alive, head);
    } catch (const std::exception& e) {
      Reply error;
      error.content_type = "text/plain";
      error.body = std::string("internal error: ") + e.what() + "\n";
      gate_.Abandon("internal_error");
      keep_alive = false;
      out_ = SerializeReply(500, version, error, false, head);
    }
    Lowest().expires_after(shared_.options.idle_timeout);
    net::async_write(stream_, net::buffer(out_),
                     beast::bind_front_handler(&Connection::OnWritten, this->shared_from_this(),
                                               keep_alive));
  }

  void OnWritten(bool keep_alive, beast::error_code ec, size_t) {
    if (ec) {
      return;
    }
    std::string().swap(out_);  // an idle connection keeps no answer's buffer
    if (!keep_alive || close_unannounced_) {
      return Close();
    }
    ReadHeader();
  }

  void Close() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown(
          beast::bind_front_handler(&Connection::OnTlsShutdown, this->shared_from_this()));
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void OnTlsShutdown(beast::error_code) {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Shared& shared_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::string out_;  // the answer being written
  bool head_ = false;  // the request being answered is a HEAD (RFC 9110 9.3.2: no body)
  std::optional<net::steady_timer> delay_;  // Fault::kSlowAnswers
  std::unique_ptr<Tunnel> tunnel_;
  std::optional<http::response<http::empty_body>> established_;
  bool close_unannounced_ = false;          // Reply::close_unannounced of the answer in flight
  AuthGate gate_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, Shared& shared, ssl::context* tls)
      : ioc_(ioc),
        // A strand orders the acceptor's handlers and Stop() when several threads serve.
        acceptor_(shared.options.threads > 1 ? net::any_io_executor(net::make_strand(ioc))
                                             : net::any_io_executor(ioc.get_executor())),
        shared_(shared),
        tls_(tls) {}

  bool Open(const tcp::endpoint& endpoint, std::string* error) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      *error = "cannot listen on " + endpoint.address().to_string() + ":" +
               std::to_string(endpoint.port()) + ": " + ec.message();
      return false;
    }
    return true;
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // A connection's handlers run on its own strand when several threads serve; with one
  // thread nothing runs concurrently, and the strand would only cost its hand-offs.
  void Accept() {
    auto handler = beast::bind_front_handler(&Listener::OnAccept, shared_from_this());
    if (shared_.options.threads > 1) {
      acceptor_.async_accept(net::make_strand(ioc_), std::move(handler));
    } else {
      acceptor_.async_accept(ioc_.get_executor(), std::move(handler));
    }
  }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) {
      return;
    }
    if (!ec) {
      if (shared_.connections.fetch_add(1) >= shared_.options.max_connections) {
        shared_.connections.fetch_sub(1);
        beast::error_code ignored;
        socket.close(ignored);  // over the limit: no reply, no state
      } else {
        const uint64_t id = shared_.next_id.fetch_add(1);
        if (tls_ != nullptr) {
          std::make_shared<Connection<TlsStream>>(shared_, id, std::move(socket), *tls_)
              ->Start();
        } else {
          std::make_shared<Connection<beast::tcp_stream>>(shared_, id, std::move(socket))
              ->Start();
        }
      }
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  Shared& shared_;
  ssl::context* tls_;
};

// One server: TLS material, listener and io_context; run on this thread (RunServer) or on its
// own threads (StartServer). Member order matters: the io_context, whose pending handlers own
// the connections, is destroyed before the TLS context and the state they refer to.
class Instance final : public RunningServer {
 public:
  explicit Instance(const ServerOptions& options) : shared_(std::make_unique<Shared>()) {
    shared_->options = options;
    shared_->settings = options.settings;
    threads_ = options.threads < 1 ? 1 : options.threads;
  }
  ~Instance() override { Stop(); }

  // Prepares TLS, binds and listens. False (with |error|) when the server cannot start.
  bool Open(std::string* error) {
    const ServerOptions& options = shared_->options;
    if (options.settings == nullptr) {
      *error = "no settings";
      return false;
    }
    if (options.tls != TlsSource::kNone) {
      TlsMaterial material;
      const bool made =
          options.tls == TlsSource::kSelfSigned
              ? MakeSelfSigned(&material, error)
              : LoadPemFiles(options.tls_cert_file, options.tls_key_file, &material, error);
      if (!made) {
        return false;
      }
      tls_.emplace(ssl::context::tls_server);
      tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      beast::error_code ec;
      tls_->use_certificate_chain(net::buffer(material.cert_pem), ec);
      if (!ec) {
        tls_->use_private_key(net::buffer(material.key_pem), ssl::context::pem, ec);
      }
      if (ec) {
        *error = "TLS certificate or key refused: " + ec.message();
        return false;
      }
      auto binding = ntlm::TlsServerEndPointBindingsHash(material.leaf_der);
      if (!binding.ok()) {
        *error = "channel binding of the certificate: " + binding.error().ToString();
        return false;
      }
      shared_->tls_binding = *binding;
    }

    beast::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec) {
      *error = "not an IP address: " + options.host;
      return false;
    }
    ioc_ = std::make_unique<net::io_context>(threads_);
    listener_ = std::make_shared<Listener>(*ioc_, *shared_, tls_ ? &*tls_ : nullptr);
    if (!listener_->Open(tcp::endpoint(address, options.port), error)) {
      return false;
    }
    port_ = listener_->port();
    const std::string host =
        address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    url_ = std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
    listener_->Accept();
    return true;
  }

  // Serves on this thread and threads - 1 more until SIGINT or SIGTERM.
  void RunUntilSignal(const std::function<void(const std::string& url)>& on_listening) {
    net::signal_set signals(*ioc_, SIGINT, SIGTERM);
    signals.async_wait([this](const beast::error_code&, int) {
      listener_->Stop();
      ioc_->stop();
    });
    on_listening(url_);
    for (int i = 1; i < threads_; ++i) {
      pool_.emplace_back([this] { ioc_->run(); });
    }
    ioc_->run();
    Join();
  }

  // Serves on |threads| threads of its own until Stop().
  void RunInBackground() {
    for (int i = 0; i < threads_; ++i) {
      pool_.emplace_back([this] { ioc_->run(); });
    }
  }

  const std::string& url() const override { return url_; }
  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) {
      return;
    }
    if (listener_ != nullptr) {
      listener_->Stop();
    }
    if (ioc_ != nullptr) {
      ioc_->stop();
    }
    Join();
    if (shared_->settings != nullptr) {
      AbandonServerWide(*shared_->settings);
    }
  }

 private:
  void Join() {
    for (auto& t : pool_) {
      if (t.joinable()) {
        t.join();
      }
    }
    pool_.clear();
  }

  std::unique_ptr<Shared> shared_;
  std::optional<ssl::context> tls_;
  std::unique_ptr<net::io_context> ioc_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> pool_;
  int threads_ = 1;
  std::string url_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<RunningServer> StartServer(const ServerOptions& options, std::string* error) {
  auto server = std::make_unique<Instance>(options);
  if (!server->Open(error)) {
    return nullptr;
  }
  server->RunInBackground();
  return server;
}

int RunServer(const ServerOptions& options,
              const std::function<void(const std::string& url)>& on_listening, std::string* error) {
  Instance server(options);
  if (!server.Open(error)) {
    return 2;
  }
  server.RunUntilSignal(on_listening);
  return 0;
}

}  // namespace ntlmh::mock
