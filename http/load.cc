// The load generator of `ntlmh load` (load.h). With client.cc, the only translation units of
// http/ with Boost.Asio and Boost.Beast. Each runner thread owns an io_context and the workers
// placed on it; a worker is one connection slot running units one after another, every step
// an asynchronous operation bounded by the unit's deadline (beast::basic_stream expiry).
//
// Speed (issue #8): a runner's io_context is used by its own thread only, so it takes no locks
// (BOOST_ASIO_CONCURRENCY_HINT_UNSAFE), and the streams name its executor type instead of the
// type-erased any_io_executor, which cost every handler an indirect dispatch.
#include "http/load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "engine/compute.h"
#include "engine/http_auth.h"
#include "http/tls_context.h"

namespace ntlmh::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TcpStream = beast::basic_stream<tcp, net::io_context::executor_type>;
using TlsStream = beast::ssl_stream<TcpStream>;

// Log-linear buckets: [0, 1024) one per microsecond, then 512 per power of two.
constexpr uint64_t kExact = 1024;
constexpr int kSubBits = 9;  // 512 sub-buckets: 1/512 precision
constexpr int kMaxExponent = 40;  // 2^41 us (25 days): larger values are clamped
constexpr size_t kBuckets = kExact + (kMaxExponent - 9) * (uint64_t{1} << kSubBits);

size_t BucketOf(uint64_t v) {
  if (v < kExact) {
    return static_cast<size_t>(v);
  }
  const int e = std::min(63 - __builtin_clzll(v), kMaxExponent);
  const int shift = e - kSubBits;
  const uint64_t sub = std::min<uint64_t>(v >> shift, (uint64_t{2} << kSubBits) - 1) -
                       (uint64_t{1} << kSubBits);
  return kExact + static_cast<size_t>(e - 10) * (size_t{1} << kSubBits) + sub;
}

uint64_t UpperEdge(size_t bucket) {
  if (bucket < kExact) {
    return bucket;
  }
  const size_t i = bucket - kExact;
  const int shift = static_cast<int>(i >> kSubBits) + 10 - kSubBits;
  const uint64_t sub = (uint64_t{1} << kSubBits) + (i & ((size_t{1} << kSubBits) - 1));
  return ((sub + 1) << shift) - 1;
}

// The largest Authorization header a unit sends: a 64 KiB token in base64, and room for the
// scheme. Responses: the header of a 401 with a CHALLENGE fits in 64 KiB; bodies are read and
// dropped, up to 1 MiB.
constexpr uint32_t kMaxResponseHeader = 64 * 1024;
constexpr uint64_t kMaxResponseBody = 1024 * 1024;

// What all runner threads share; read-only during the run but for the atomics.
struct Plan {
  const LoadOptions& options;
  tcp::endpoint endpoint;
  ssl::context* tls = nullptr;
  std::string request_head;  // "GET /target HTTP/1.1\r\nHost: ...\r\n"
  std::string spn;
  Clock::time_point start;
  Clock::time_point stop_starting;  // duration mode
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> failed{0};

  explicit Plan(const LoadOptions& o) : options(o) {}

  // Claims the next unit: true while units are left (count mode) or time is (duration mode).
  bool Claim() {
    if (options.count != 0) {
      return started.fetch_add(1, std::memory_order_relaxed) < options.count;
    }
    return Clock::now() < stop_starting;
  }
};

// One runner thread's results; touched by that thread only, merged at the end.
struct Tally {
  LatencyHistogram latency;
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> samples;
  uint64_t ok = 0;
  uint64_t authentications = 0;
  uint64_t connections = 0;
  Clock::time_point last_end{};
};

class Worker {
 public:
  virtual ~Worker() = default;
  virtual void Next() = 0;
};

std::string Reason(const ErrorCode& ec) {
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == ssl::error::stream_truncated) {
    return "the server closed the connection";
  }
  return ec.message();
}

template <typename Stream>
class WorkerImpl final : public Worker {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  WorkerImpl(net::io_context& ioc, Plan& plan, Tally& tally)
      : ioc_(ioc), plan_(plan), tally_(tally) {}

  void Next() override {
    if (!plan_.Claim()) {
      Abort();
      return;
    }
    unit_start_ = Clock::now();
    deadline_ = unit_start_ + plan_.options.timeout;
    if (stream_.has_value() && authenticated_) {
      if (plan_.options.reuse) {
        phase_ = Phase::kPlain;
        return Send(nullptr);
      }
      if (plan_.options.rehandshake) {
        authenticated_ = false;
        kept_connection_ = true;
        return BeginHandshake();
      }
    }
    Connect();
  }

 private:
  enum class Phase : uint8_t { kNegotiate, kAuthenticate, kPlain };

  TcpStream& Lowest() {
    if constexpr (kTls) {
      return stream_->next_layer();
    } else {
      return *stream_;
    }
  }

  void Connect() {
    Abort();
    authenticated_ = false;
    kept_connection_ = false;
    if constexpr (kTls) {
      stream_.emplace(ioc_.get_executor(), *plan_.tls);
      SSL* handle = stream_->native_handle();
      const std::string& host = plan_.options.tls.server_name.empty()
                                    ? plan_.options.url.host
                                    : plan_.options.tls.server_name;
      ErrorCode ec;
      net::ip::make_address(host, ec);
      const bool literal = !ec;
      // RFC 6066 3: SNI carries DNS names only; RFC 6125: the certificate must name the host.
      if (!literal) {
        SSL_set_tlsext_host_name(handle, host.c_str());
      }
      if (plan_.options.tls.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (literal) {
          X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        }
      }
    } else {
      stream_.emplace(ioc_.get_executor());
    }
    Lowest().expires_at(deadline_);
    Lowest().async_connect(plan_.endpoint, [this](ErrorCode ec) { OnConnect(ec); });
  }

  void OnConnect(ErrorCode ec) {
    if (ec) {
      return Fail(ec == beast::error::timeout ? "timeout" : "connect",
                  "cannot connect to " + plan_.options.url.HostPort() + ": " + Reason(ec));
    }
    ++tally_.connections;
    ErrorCode ignored;
    Lowest().socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (kTls) {
      Lowest().expires_at(deadline_);
      stream_->async_handshake(ssl::stream_base::client, [this](ErrorCode e) { OnTls(e); });
    } else {
      BeginHandshake();
    }
  }

  void OnTls(ErrorCode ec) {
    if (ec) {
      std::string reason = Reason(ec);
      const long verify = SSL_get_verify_result(stream_->native_handle());
      if (verify != X509_V_OK) {
        reason = std::string("certificate verify failed: ") +
                 X509_verify_cert_error_string(verify);
      }
      return Fail(ec == beast::error::timeout ? "timeout" : "tls",
                  "TLS handshake with " + plan_.options.url.HostPort() + " failed: " + reason);
    }
    // [MS-NLMP] 3.1.5.1.2 MsvAvChannelBindings; RFC 5929 4.1 tls-server-end-point over the
    // leaf as sent. The hash is kept while the certificate stays the same.
    ntlm::Bytes der = PeerLeafDer(stream_->native_handle());
    if (!der.empty() && der != cert_der_) {
      auto hash = ntlm::TlsServerEndPointBindingsHash(der);
      if (!hash.ok()) {
        return Fail("tls", "channel bindings of the server certificate: " +
                               hash.error().ToString());
      }
      cert_der_ = std::move(der);
      bindings_ = *hash;
    }
    BeginHandshake();
  }

  void BeginHandshake() {
    ntlm::ClientConfig config = plan_.options.client;
    if (!config.spn.has_value()) {
      config.spn = plan_.spn;
    }
    if (kTls && !cert_der_.empty()) {
      config.channel_binding = ntlm::ChannelBindingMode::kHash;
      config.channel_bindings_hash = bindings_;
    }
    handshake_.emplace(plan_.options.scheme, std::move(config));
    auto first = handshake_->First();
    if (!first.ok()) {
      return Fail("bad_challenge", "the client cannot start: " + first.error().ToString());
    }
    phase_ = Phase::kNegotiate;
    Send(&*first);
  }

  // Writes the request, with an Authorization header when there is a |token|.
  void Send(const ntlm::Bytes* token) {
    out_ = plan_.request_head;
    if (token != nullptr && !token->empty()) {
      out_ += "Authorization: ";
      out_ += AuthSchemeName(plan_.options.scheme);
      out_ += ' ';
      out_ += ntlm::http_auth::Base64Encode(*token);
      out_ += "\r\n";
    }
    out_ += "\r\n";
    Lowest().expires_at(deadline_);
    net::async_write(*stream_, net::buffer(out_), [this](ErrorCode ec, size_t) {
      if (ec) {
        return IoFail(ec, "cannot send the request");
      }
      Read();
    });
  }

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxResponseHeader);
    parser_->body_limit(kMaxResponseBody);
    Lowest().expires_at(deadline_);
    bhttp::async_read(*stream_, buffer_, *parser_,
                      [this](ErrorCode ec, size_t) { OnResponse(ec); });
  }

  void IoFail(const ErrorCode& ec, const char* what) {
    if (ec == beast::error::timeout) {
      return Fail("timeout", std::string(what) + ": timed out");
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit ||
        (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)) {
      return Fail("bad_response", std::string(what) + ": " + ec.message());
    }
    Fail("io", std::string(what) + ": " + Reason(ec));
  }

  void OnResponse(ErrorCode ec) {
    if (ec) {
      return IoFail(ec, "no response");
    }
    const auto& msg = parser_->get();
    const int status = static_cast<int>(msg.result_int());
    const bool keep_alive = msg.keep_alive();
    switch (phase_) {
      case Phase::kNegotiate:
        return OnChallenge(status, keep_alive);
      case Phase::kAuthenticate:
        if (status == 401) {
          return Fail("auth_rejected", "the server refused the AUTHENTICATE: " +
                                           StatusText(status));
        }
        if (status < 200 || status >= 300) {
          return Fail("http_status_" + std::to_string(status),
                      "the server answered the AUTHENTICATE with " + StatusText(status));
        }
        ++tally_.authentications;
        authenticated_ = true;
        return Succeed(keep_alive);
      case Phase::kPlain:
        if (status == 401 && keep_alive) {
          // The connection is no longer authenticated (a server that wants a handshake per
          // request): authenticate it again, within the same unit.
          authenticated_ = false;
          return BeginHandshake();
        }
        if (status < 200 || status >= 300) {
          return Fail("http_status_" + std::to_string(status),
                      "the server answered a request on an authenticated connection with " +
                          StatusText(status));
        }
        return Succeed(keep_alive);
    }
  }

  // [MS-NTHT] 3.1.5.1.2: the answer to the NEGOTIATE is a 401 carrying the CHALLENGE, and the
  // AUTHENTICATE goes on the same connection.
  void OnChallenge(int status, bool keep_alive) {
    if (kept_connection_ && (status != 401 || !HasToken())) {
      // --rehandshake: mod_auth_gssapi with GssapiConnectionBound, for one, answers a second
      // NEGOTIATE on an authenticated connection with a bare offer.
      return Fail("rehandshake_refused",
                  "the server answered a new NEGOTIATE on a connection it had authenticated "
                  "with " + StatusText(status) + " and no CHALLENGE: it does not "
                  "authenticate a connection twice");
    }
    if (status != 401) {
      return Fail("http_status_" + std::to_string(status),
                  "the server answered the NEGOTIATE with " + StatusText(status) +
                      " instead of a 401 with a CHALLENGE");
    }
    Response r;
    r.status = status;
    for (const auto& field : parser_->get()) {
      if (field.name() == bhttp::field::www_authenticate) {
        r.headers.push_back({"WWW-Authenticate", std::string(field.value())});
      }
    }
    auto offers = ParseAuthenticateHeaders(r, "WWW-Authenticate");
    if (!offers.ok()) {
      return Fail("bad_challenge", offers.error().ToString());
    }
    const char* scheme = AuthSchemeName(plan_.options.scheme);
    const ntlm::http_auth::Challenge* found = nullptr;
    for (const auto& c : *offers) {
      if (c.SchemeIs(scheme)) {
        found = &c;
        break;
      }
    }
    if (found == nullptr || found->token68.empty()) {
      // A bare "NTLM" in answer to the NEGOTIATE is a refusal, never a CHALLENGE.
      return Fail("bad_challenge", std::string("the 401 to the NEGOTIATE carries no ") +
                                       scheme + " token [MS-NTHT 3.1.5.1]");
    }
    auto challenge = ntlm::http_auth::Base64Decode(found->token68);
    if (!challenge.ok()) {
      return Fail("bad_challenge", "WWW-Authenticate: " + challenge.error().ToString());
    }
    if (!keep_alive) {
      return Fail("io", "the server closed the connection after its CHALLENGE; NTLM "
                        "authenticates one connection [MS-NTHT 3.1.5.1]");
    }
    auto authenticate = handshake_->Respond(*challenge);
    if (!authenticate.ok()) {
      return Fail("bad_challenge", "the client refuses the CHALLENGE: " +
                                       authenticate.error().ToString());
    }
    phase_ = Phase::kAuthenticate;
    Send(&*authenticate);
  }

  // Whether the response carries a token of the load's scheme in WWW-Authenticate.
  bool HasToken() const {
    const char* scheme = AuthSchemeName(plan_.options.scheme);
    for (const auto& field : parser_->get()) {
      if (field.name() != bhttp::field::www_authenticate) {
        continue;
      }
      auto offers = ntlm::http_auth::ParseChallenges(field.value());
      if (!offers.ok()) {
        return true;  // malformed: left to OnChallenge's own error
      }
      for (const auto& c : *offers) {
        if (c.SchemeIs(scheme) && !c.token68.empty()) {
          return true;
        }
      }
    }
    return false;
  }

  std::string StatusText(int status) const {
    std::string text = std::to_string(status);
    const auto& msg = parser_->get();
    for (const char* name : {"X-NTLM-Reject", "X-NTLM-Error"}) {
      const auto it = msg.find(name);
      if (it != msg.end()) {
        text += " (" + std::string(name) + ": " + std::string(it->value()) + ")";
      }
    }
    return text;
  }

  void Succeed(bool keep_alive) {
    const Clock::time_point end = Clock::now();
    tally_.latency.Add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(end - unit_start_).count()));
    tally_.last_end = std::max(tally_.last_end, end);
    ++tally_.ok;
    plan_.done.fetch_add(1, std::memory_order_relaxed);
    if (!(plan_.options.reuse || plan_.options.rehandshake) || !keep_alive) {
      Abort();
    }
    Next();
  }

  void Fail(const std::string& kind, std::string message) {
    tally_.last_end = std::max(tally_.last_end, Clock::now());
    ++tally_.errors[kind];
    if (tally_.samples.count(kind) == 0) {
      tally_.samples.emplace(kind, std::move(message));
    }
    plan_.failed.fetch_add(1, std::memory_order_relaxed);
    Abort();
    Next();
  }

  // Closes at once with a reset (SO_LINGER 0): no TIME_WAIT left on this side per unit, which
  // at thousands of connections a second would use up the ephemeral ports.
  void Abort() {
    if (stream_.has_value()) {
      ErrorCode ignored;
      Lowest().socket().set_option(net::socket_base::linger(true, 0), ignored);
      Lowest().socket().close(ignored);
      stream_.reset();
    }
    buffer_.clear();
    authenticated_ = false;
  }

  net::io_context& ioc_;
  Plan& plan_;
  Tally& tally_;
  std::optional<Stream> stream_;
  bool authenticated_ = false;
  bool kept_connection_ = false;  // --rehandshake: this unit runs on the last unit's connection
  Phase phase_ = Phase::kNegotiate;
  Clock::time_point unit_start_;
  Clock::time_point deadline_;
  std::optional<ClientHandshake> handshake_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  beast::flat_buffer buffer_;
  std::string out_;
  ntlm::Bytes cert_der_;
  ntlm::Key16 bindings_{};
};

ntlm::Error UrlError(std::string reason) {
  return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "", "url", 0, std::move(reason));
}

// "host" or "host:port" for the Host header (RFC 9110 7.2).
std::string HostHeader(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls() ? 443 : 80)) {
    host += ":" + std::to_string(url.port);
  }
  return host;
}

bool IsLoopbackAddress(const net::ip::address& a) {
  if (a.is_v4()) {
    return a.to_v4().is_loopback();
  }
  const net::ip::address_v6 v6 = a.to_v6();
  return v6.is_loopback() ||
         (v6.is_v4_mapped() && net::ip::make_address_v4(net::ip::v4_mapped, v6).is_loopback());
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") {
    return true;
  }
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // RFC 1122 3.2.1.3: 127.0.0.0/8
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;  // RFC 4291 2.5.3
    }
    return std::equal(kMapped, kMapped + 12, v6.s6_addr) && v6.s6_addr[12] == 127;
  }
  return false;
}

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::Add(uint64_t micros) {
  ++buckets_[BucketOf(micros)];
  ++count_;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) {
    buckets_[i] += other.buckets_[i];
  }
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) {
    return 0;
  }
  const double exact = percent / 100.0 * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(exact);
  if (static_cast<double>(rank) < exact) {
    ++rank;
  }
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::min(UpperEdge(i), max_);
    }
  }
  return max_;
}

ntlm::Result<LoadReport> RunLoad(const LoadOptions& options) {
  if (!options.allow_remote && !IsLoopbackHost(options.url.host)) {
    return UrlError(options.url.host + " is not a loopback name or address; --allow-remote "
                                       "lets the load go to another host");
  }
  Plan plan(options);

  // The one endpoint every connection goes to: resolved once, before the run.
  {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    ErrorCode ec;
    const auto results = resolver.resolve(options.url.host, std::to_string(options.url.port),
                                          tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return UrlError("cannot resolve " + options.url.host + ": " +
                      (ec ? ec.message() : std::string("no address")));
    }
    bool found = false;
    for (const auto& entry : results) {
      if (options.allow_remote || IsLoopbackAddress(entry.endpoint().address())) {
        plan.endpoint = entry.endpoint();
        found = true;
        break;
      }
    }
    if (!found) {
      return UrlError(options.url.host + " resolves to no loopback address; --allow-remote "
                                         "lets the load go to another host");
    }
  }

  std::optional<ssl::context> tls;
  if (options.url.tls()) {
    tls.emplace(ssl::context::tls_client);
    if (ntlm::Status s = ConfigureClientTls(*tls, options.tls); !s.ok()) {
      return s.error();
    }
    plan.tls = &*tls;
  }
  plan.request_head =
      "GET " + options.url.target + " HTTP/1.1\r\nHost: " + HostHeader(options.url) + "\r\n";
  plan.spn = "HTTP/" + options.url.host;

  const int threads = std::clamp(options.threads, 1, std::max(1, options.connections));
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<Tally> tallies(static_cast<size_t>(threads));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    // Used by one thread only: the posts below happen before that thread starts.
    contexts.push_back(std::make_unique<net::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE));
  }
  for (int i = 0; i < options.connections; ++i) {
    net::io_context& ioc = *contexts[static_cast<size_t>(i % threads)];
    Tally& tally = tallies[static_cast<size_t>(i % threads)];
    if (options.url.tls()) {
      workers.push_back(std::make_unique<WorkerImpl<TlsStream>>(ioc, plan, tally));
    } else {
      workers.push_back(std::make_unique<WorkerImpl<TcpStream>>(ioc, plan, tally));
    }
  }

  plan.start = Clock::now();
  plan.stop_starting = plan.start + options.duration;
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker* worker = workers[i].get();
    net::post(*contexts[i % static_cast<size_t>(threads)], [worker] { worker->Next(); });
  }
  std::mutex mutex;
  std::condition_variable cv;
  int running = threads;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      contexts[static_cast<size_t>(t)]->run();
      std::lock_guard<std::mutex> lock(mutex);
      --running;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (running > 0) {
      if (cv.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
          running > 0 && options.on_progress) {
        LoadProgress p;
        p.seconds = std::chrono::duration<double>(Clock::now() - plan.start).count();
        p.done = plan.done.load(std::memory_order_relaxed);
        p.failed = plan.failed.load(std::memory_order_relaxed);
        lock.unlock();
        options.on_progress(p);
        lock.lock();
      }
    }
  }
  for (auto& t : pool) {
    t.join();
  }
  workers.clear();

  LoadReport report;
  Clock::time_point last = plan.start;
  for (const Tally& t : tallies) {
    report.latency.Merge(t.latency);
    report.handshakes += t.ok;
    report.authentications += t.authentications;
    report.connections_opened += t.connections;
    for (const auto& [kind, n] : t.errors) {
      report.errors[kind] += n;
      report.failed += n;
    }
    for (const auto& [kind, text] : t.samples) {
      report.error_samples.emplace(kind, text);
    }
    last = std::max(last, t.last_end);
  }
  report.seconds = std::chrono::duration<double>(last - plan.start).count();
  return report;
}

}  // namespace ntlmh::http
