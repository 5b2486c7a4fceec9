// http/load.h: the load generator behind `ntlmh load` (issue #8): many NTLM handshakes at once
// against one HTTP(S) server, each on a new TCP (or TLS) connection, or requests on connections
// authenticated once (reuse); handshakes per second, latency percentiles, errors by kind.
//
// All of Boost.Asio and Boost.Beast stays inside load.cc: this header is plain C++. The client
// side of each handshake is ClientHandshake (http/ntlm_auth.h), the same code `ntlmh request`
// runs; the I/O is asynchronous, every connection of a runner thread on that thread's own
// io_context, so that 64 connections need one or two threads and no locks.
//
// Example:
//   LoadOptions o;
//   o.url = *Url::Parse("http://127.0.0.1:8080/");
//   o.client.user = "CORP\\alice";  o.client.secret.nt_hash = hash;
//   o.connections = 64;  o.count = 10000;
//   ntlm::Result<LoadReport> r = RunLoad(o);   // r->handshakes, r->latency.Percentile(99)
#ifndef NTLMH_HTTP_LOAD_H_
#define NTLMH_HTTP_LOAD_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/error.h"
#include "http/client.h"
#include "http/ntlm_auth.h"

namespace ntlmh::http {

// The loopback policy of `ntlmh load`: true when |host| (as Url::host holds it: lower case, an
// IPv6 literal without brackets) names this machine's loopback interface without asking any
// resolver: "localhost", a dotted-quad IPv4 literal in 127.0.0.0/8 (RFC 1122 3.2.1.3), "::1"
// (RFC 4291 2.5.3) or an IPv4-mapped ::ffff:127.x.y.z. Anything else, "127.1" and other
// shorthand included, is not. A pure function: no resolution, no I/O.
bool IsLoopbackHost(std::string_view host);

// Latencies in microseconds, kept in buckets: exact below 1024 us, and within 1/512 of the
// value above (log-linear buckets), so that memory does not grow with the run.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void Add(uint64_t micros);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The nearest-rank percentile, 0 < |percent| <= 100: the smallest recorded value such that
  // at least |percent| % of the values are at or below it, as the upper edge of its bucket
  // (never above max()). 0 when empty.
  uint64_t Percentile(double percent) const;

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

struct LoadProgress {
  double seconds = 0;
  uint64_t done = 0;    // units that succeeded so far
  uint64_t failed = 0;  // units that failed so far
};

struct LoadOptions {
  Url url;
  AuthScheme scheme = AuthScheme::kNtlm;
  // Credentials and workstation. MsvAvTargetName "HTTP/<host>" and, over TLS, channel bindings
  // from the server's certificate are added per connection, as Authenticate() does.
  ntlm::ClientConfig client;
  int connections = 1;  // units in flight at once, one connection each
  uint64_t count = 0;   // units to run; 0: start units until |duration| has passed
  std::chrono::milliseconds duration{0};
  // false: a unit is a whole handshake (connect, NEGOTIATE, AUTHENTICATE, 2xx) on a new
  // connection. true: a unit is a request answered 2xx on a kept connection; the connection
  // is authenticated when needed (first use, after the server closed it or answered 401).
  bool reuse = false;
  // true: a unit is a whole handshake (NEGOTIATE, AUTHENTICATE, 2xx) on a connection kept
  // alive from the unit before: the handshake cost without TCP's. A new NEGOTIATE restarts
  // authentication on a connection (`ntlmh serve` does so; mod_auth_gssapi with
  // GssapiConnectionBound does not: see rehandshake_refused below). A new
  // connection only for the first unit of a slot and after the server closed one. Excludes
  // |reuse|.
  bool rehandshake = false;
  int threads = 1;  // runner threads, each with its own io_context
  std::chrono::milliseconds timeout{10000};  // one unit, from its first byte to its last
  TlsOptions tls;
  // Without it, a host that IsLoopbackHost() refuses is an error, and a loopback name that
  // resolves to anything but a loopback address too.
  bool allow_remote = false;
  // Called on the calling thread about once a second while the run goes on.
  std::function<void(const LoadProgress&)> on_progress;
};

struct LoadReport {
  uint64_t handshakes = 0;       // units that succeeded
  uint64_t failed = 0;           // units that failed (the sum of |errors|)
  uint64_t authentications = 0;  // handshakes the server accepted
  uint64_t connections_opened = 0;
  double seconds = 0;            // from the start to the end of the last unit
  LatencyHistogram latency;      // of the units that succeeded
  // Failed units by kind: connect, resolve, tls, timeout, auth_rejected (401 after the
  // AUTHENTICATE), bad_challenge (no usable CHALLENGE in the 401, or one the client refuses),
  // http_status_NNN (a status where a 401 with a CHALLENGE or a 2xx was due),
  // rehandshake_refused (--rehandshake: no CHALLENGE to a NEGOTIATE on a connection the server
  // had authenticated; the next unit opens a new connection), bad_response
  // (not HTTP, or over the size caps), io (reset, closed, write or read failure).
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> error_samples;  // the first message of each kind
};

// Runs the load and returns its report. Errors (kInvalidArgument, field "url") only for what
// stops the run before it starts: a host the loopback policy refuses, a name that does not
// resolve, a TLS setup that fails (field "cacert").
ntlm::Result<LoadReport> RunLoad(const LoadOptions& options);

}  // namespace ntlmh::http

#endif  // NTLMH_HTTP_LOAD_H_
