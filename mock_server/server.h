// The mock NTLM server's transport: HTTP/1.1 over TCP, or over TLS, with Boost.Beast (issue #4).
//
// All of Boost.Asio and Boost.Beast stays inside server.cc: this header is plain C++, so the
// CLI and the tests do not compile Beast. What answers a request is mock_server/auth_gate.h.
//
// Threads: the io_context runs on |threads| threads; with more than one, every connection's
// handlers run on its own strand, so one connection's AuthGate is never touched by two threads
// at once (with one thread, nothing runs concurrently and no strand is made). Requests of one
// connection are read and answered one after the other, which serves HTTP/1.1 keep-alive and
// pipelining in order.
//
// Example:
//   ServerOptions opts;  opts.settings = ...;  opts.port = 0;
//   std::string error;
//   int rc = RunServer(opts, [](const std::string& url) { std::printf("listening on %s\n", ...); },
//                      &error);   // returns after SIGINT or SIGTERM
#ifndef NTLMH_MOCK_SERVER_SERVER_H_
#define NTLMH_MOCK_SERVER_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mock_server/auth_gate.h"

namespace ntlmh::mock {

enum class TlsSource : uint8_t { kNone, kFiles, kSelfSigned };

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP literal
  uint16_t port = 0;               // 0: the kernel picks a free port
  int threads = 2;
  std::shared_ptr<Settings> settings;  // required

  TlsSource tls = TlsSource::kNone;
  std::string tls_cert_file;  // PEM chain, for kFiles
  std::string tls_key_file;   // PEM key, for kFiles

  // Limits against hostile clients.
  size_t max_header_bytes = 8 * 1024;   // request line and headers (431 beyond)
  size_t max_body_bytes = 1024 * 1024;  // (413 beyond)
  // The time allowed to read one whole request, from the moment the server waits for it; also
  // how long an idle keep-alive connection stays open.
  std::chrono::milliseconds idle_timeout{30000};
  // The same while a CHALLENGE waits for its AUTHENTICATE, and for the TLS handshake.
  std::chrono::milliseconds handshake_timeout{15000};
  size_t max_connections = 1024;  // connections beyond are closed at once
};

// A server started in this process (StartServer), serving on its own threads until Stop() or
// its destruction. It installs no signal handler.
class RunningServer {
 public:
  virtual ~RunningServer() = default;
  // The base URL, "http://127.0.0.1:PORT" (https:// with TLS).
  virtual const std::string& url() const = 0;
  virtual uint16_t port() const = 0;
  // Closes the listener and every connection, and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// Starts a server in this process. Returns null when it cannot start (|error| says why).
//   std::string error;
//   std::unique_ptr<RunningServer> s = StartServer(opts, &error);
//   ... requests to s->url() ...
//   s->Stop();
std::unique_ptr<RunningServer> StartServer(const ServerOptions& options, std::string* error);

// Listens, calls |on_listening| with the base URL ("http://127.0.0.1:8080") once connections
// are accepted, and serves until SIGINT or SIGTERM. Returns 0 after a clean shutdown, 2 when
// the server cannot start (|error| says why).
int RunServer(const ServerOptions& options,
              const std::function<void(const std::string& url)>& on_listening,
              std::string* error);

}  // namespace ntlmh::mock

#endif  // NTLMH_MOCK_SERVER_SERVER_H_
