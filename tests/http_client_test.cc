// http/ (issue #5): Url::Parse with exact values and error offsets, the form encoders, and
// Connection against `ntlmh serve` on 127.0.0.1 (plain and TLS, keep-alive and close).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/http_auth.h"
#include "http/client.h"
#include "http/form.h"
#include "http/ntlm_auth.h"
#include "mock_server/tls_material.h"
#include "tests/mock_server_process.h"

namespace ntlmh::testing {
namespace {

using http::Url;

struct UrlCase {
  const char* text;
  const char* scheme;
  const char* host;
  uint16_t port;
  const char* target;
};

TEST(HttpUrl, ParsesExactValues) {
  const UrlCase cases[] = {
      {"http://127.0.0.1:8080/a/b?x=1", "http", "127.0.0.1", 8080, "/a/b?x=1"},
      {"HTTPS://Example.COM", "https", "example.com", 443, "/"},
      {"http://host", "http", "host", 80, "/"},
      {"http://host?q", "http", "host", 80, "/?q"},
      {"http://[::1]:9000/p#frag", "http", "::1", 9000, "/p"},
      {"https://[fe80::1]/", "https", "fe80::1", 443, "/"},
      {"http://h:65535/", "http", "h", 65535, "/"},
  };
  for (const UrlCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto url = Url::Parse(c.text);
    ASSERT_TRUE(url.ok()) << url.error().ToString();
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
  }
  EXPECT_EQ(Url::Parse("http://[::1]:9000/p")->HostPort(), "[::1]:9000");
  EXPECT_EQ(Url::Parse("https://a.b/c")->ToString(), "https://a.b:443/c");
  EXPECT_TRUE(Url::Parse("https://a.b/c")->tls());
  EXPECT_FALSE(Url::Parse("http://a.b/c")->tls());
}

struct UrlErrorCase {
  const char* text;
  size_t offset;
  const char* reason;
};

TEST(HttpUrl, ErrorsNameTheOffset) {
  const UrlErrorCase cases[] = {
      {"127.0.0.1/x", 0, "expected an absolute URL, http://host[:port]/path or https://..."},
      {"ftp://h/", 0, "scheme 'ftp' is not http or https"},
      {"http:///x", 7, "the URL has no host"},
      {"http://h:/", 9, "empty port after ':'"},
      {"http://h:8a/", 10, "'a' in the port (expected digits)"},
      {"http://h:65536/", 9, "port is larger than 65535"},
      {"http://h:0/", 9, "port 0 is not a port to connect to"},
      {"http://u:p@h/", 10, "user information in the URL is not supported (use -u)"},
      {"http://[::1/", 7, "'[' of an IPv6 literal without ']'"},
      {"http://[::g]/", 10, "'g' in an IPv6 literal"},
      {"http://[::1]x/", 12, "expected ':' or '/' after the IPv6 literal"},
      {"http://h/a b", 10, "byte 0x20 is not allowed in a URL"},
      {"http://h/\r\nX: y", 9, "byte 0x0d is not allowed in a URL"},
      {"http://h_\"/", 9, "'\"' is not allowed in a host name"},
  };
  for (const UrlErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto url = Url::Parse(c.text);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.error().code, ntlm::ErrorCode::kInvalidArgument);
    EXPECT_EQ(url.error().field, "url");
    EXPECT_EQ(url.error().offset, c.offset);
    EXPECT_EQ(url.error().reason, c.reason);
    EXPECT_EQ(url.error().rule, "RFC 3986 3");
  }
}

TEST(HttpForm, UrlencodedExact) {
  EXPECT_EQ(http::PercentEncode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(http::EncodeUrlencodedForm({{"name", "Alice B"}, {"x&y", "1+1=2"}}),
            "name=Alice%20B&x%26y=1%2B1%3D2");
  EXPECT_EQ(http::EncodeUrlencodedForm({}), "");
}

TEST(HttpForm, MultipartExactAndDeterministic) {
  const http::MultipartForm a = http::EncodeMultipartForm({{"k", "v"}, {"n\"q", "two\r\nlines"}});
  const http::MultipartForm b = http::EncodeMultipartForm({{"k", "v"}, {"n\"q", "two\r\nlines"}});
  EXPECT_EQ(a.body, b.body);
  ASSERT_EQ(a.boundary.size(), 6u + 24u);
  EXPECT_EQ(a.boundary.substr(0, 6), "ntlmh-");
  EXPECT_EQ(a.content_type, "multipart/form-data; boundary=" + a.boundary);
  const std::string d = "--" + a.boundary;
  EXPECT_EQ(a.body, d + "\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n" + d +
                        "\r\nContent-Disposition: form-data; name=\"n%22q\"\r\n\r\ntwo\r\n"
                        "lines\r\n" + d + "--\r\n");
  EXPECT_NE(http::EncodeMultipartForm({{"k", "w"}}).boundary, a.boundary);
}

TEST(HttpAuthHeaders, SeveralLinesAndSchemes) {
  http::Response r;
  r.headers = {{"WWW-Authenticate", "Negotiate, Basic realm=\"a, b\", NTLM TlRMTVNTUAACAAAA"},
               {"Content-Type", "text/plain"},
               {"www-authenticate", "NTLM,Basic realm=\"\""}};
  auto all = http::ParseAuthenticateHeaders(r, "WWW-Authenticate");
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].scheme, "Negotiate");
  EXPECT_EQ((*all)[1].scheme, "Basic");
  ASSERT_EQ((*all)[1].params.size(), 1u);
  EXPECT_EQ((*all)[1].params[0].second, "a, b");
  EXPECT_EQ((*all)[2].scheme, "NTLM");
  EXPECT_EQ((*all)[2].token68, "TlRMTVNTUAACAAAA");
  EXPECT_TRUE((*all)[3].SchemeIs("ntlm"));
  EXPECT_EQ((*all)[3].token68, "");
  EXPECT_EQ((*all)[4].scheme, "Basic");

  http::Response bad;
  bad.headers = {{"WWW-Authenticate", "NTLM"}, {"WWW-Authenticate", "Basic realm=\"open"}};
  auto err = http::ParseAuthenticateHeaders(bad, "WWW-Authenticate");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().field.substr(0, 19), "WWW-Authenticate[1]");
}

// Connection against ntlmh serve: a 401 offer, keep-alive, then Connection: close.
TEST(HttpConnection, PlainRoundTripAndClose) {
  ServerProcess server({"--user", "CORP\\alice:Secret1!"});
  ASSERT_TRUE(server.ok());
  auto url = Url::Parse(server.url() + "/x");
  ASSERT_TRUE(url.ok());
  auto conn = http::Connection::Open(*url, {});
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  EXPECT_TRUE((*conn)->IsOpen());
  EXPECT_TRUE((*conn)->PeerCertificateDer().empty());
  EXPECT_EQ((*conn)->RemoteEndpoint(), "127.0.0.1:" + std::to_string(server.port()));

  http::Request req;
  req.target = url->target;
  auto resp = (*conn)->RoundTrip(req);
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 401);
  EXPECT_EQ(resp->Values("www-authenticate"), std::vector<std::string>{"NTLM"});
  EXPECT_TRUE(resp->keep_alive);
  EXPECT_TRUE((*conn)->IsOpen());

  req.headers.push_back({"Connection", "close"});
  resp = (*conn)->RoundTrip(req);
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 401);
  EXPECT_FALSE(resp->keep_alive);
  EXPECT_FALSE((*conn)->IsOpen());
  auto after = (*conn)->RoundTrip(req);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().reason, "the connection is closed");
}

TEST(HttpConnection, RefusesHeaderInjection) {
  ServerProcess server({"--user", "CORP\\alice:Secret1!"});
  ASSERT_TRUE(server.ok());
  auto conn = http::Connection::Open(*Url::Parse(server.url()), {});
  ASSERT_TRUE(conn.ok());
  http::Request req;
  req.headers.push_back({"X-A", "1\r\nX-B: 2"});
  auto resp = (*conn)->RoundTrip(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.error().field, "request.headers");
}

TEST(HttpConnection, ResponseHeaderCap) {
  ServerProcess server({"--user", "CORP\\alice:Secret1!"});
  ASSERT_TRUE(server.ok());
  http::ConnectOptions opts;
  opts.max_response_header_bytes = 16;  // "HTTP/1.1 401 Unauthorized\r\n" alone is longer
  auto conn = http::Connection::Open(*Url::Parse(server.url()), opts);
  ASSERT_TRUE(conn.ok());
  auto resp = (*conn)->RoundTrip(http::Request{});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.error().code, ntlm::ErrorCode::kTooLarge);
  EXPECT_EQ(resp.error().field, "response.header");
  EXPECT_EQ(resp.error().reason, "the response header is larger than 16 bytes");
  EXPECT_FALSE((*conn)->IsOpen());
}

// Disabled: fails today. The body cap (beast body_limit) is not enforced on the final echo:
// the loop completes with a 330-byte body under a 64-byte cap. Open defect of issue #5.
TEST(HttpConnection, ResponseBodyCap) {
  ServerProcess server({"--user", "CORP\\alice:Secret1!"});
  ASSERT_TRUE(server.ok());
  http::ConnectOptions opts;
  opts.max_response_body_bytes = 64;  // the JSON echo after authentication is longer
  http::NtlmAuthOptions auth;
  auth.client.user = "CORP\\alice";
  auth.client.secret.password = "Secret1!";
  http::AuthResult r = http::Authenticate(*Url::Parse(server.url()), http::Request{}, opts, auth);
  ASSERT_EQ(r.outcome, http::AuthOutcome::kError) << r.legs.size() << " " << (r.final_response ? r.final_response->body : "");
  EXPECT_EQ(r.error.code, ntlm::ErrorCode::kTooLarge);
  EXPECT_EQ(r.error.field, "response.body");
  EXPECT_EQ(r.error.reason, "the response body is larger than 64 bytes");
  EXPECT_EQ(r.legs.size(), 3u);
  EXPECT_EQ(r.connection, nullptr);
}

TEST(HttpConnection, ConnectRefusedNamesHostAndPort) {
  uint16_t port = 0;
  {
    ServerProcess server({"--user", "CORP\\alice:Secret1!"});
    ASSERT_TRUE(server.ok());
    port = server.port();
  }  // stopped: nothing listens there now
  auto conn = http::Connection::Open(*Url::Parse("http://127.0.0.1:" + std::to_string(port)), {});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().field, "connection");
  EXPECT_EQ(conn.error().reason,
            "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

class TempFiles {
 public:
  TempFiles() {
    char tmpl[] = "/tmp/ntlmh-http-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempFiles() {
    for (const std::string& f : files_) {
      std::remove(f.c_str());
    }
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

// A throwaway self-signed certificate for 127.0.0.1 and localhost, written to |files| as
// cert.pem and key.pem for `ntlmh serve --tls-cert --tls-key`.
::testing::AssertionResult WriteSelfSigned(TempFiles* files, mock::TlsMaterial* tls,
                                           std::string* cert, std::string* key) {
  std::string error;
  if (!mock::MakeSelfSigned(tls, &error)) {
    return ::testing::AssertionFailure() << error;
  }
  *cert = files->Write("cert.pem", tls->cert_pem);
  *key = files->Write("key.pem", tls->key_pem);
  return ::testing::AssertionSuccess();
}

TEST(HttpConnection, TlsVerifiesAndKeepsTheLeaf) {
  mock::TlsMaterial tls;
  TempFiles files;
  std::string cert, key;
  ASSERT_TRUE(WriteSelfSigned(&files, &tls, &cert, &key));
  ServerProcess server({"--user", "CORP\\alice:Secret1!", "--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(server.ok());
  ASSERT_EQ(server.url().substr(0, 8), "https://");
  auto url = Url::Parse(server.url());
  ASSERT_TRUE(url.ok());

  // Trusted through --cacert: the leaf is the server's.
  http::ConnectOptions opts;
  opts.tls.ca_file = cert;
  auto conn = http::Connection::Open(*url, opts);
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  EXPECT_EQ((*conn)->PeerCertificateDer(), tls.leaf_der);
  auto resp = (*conn)->RoundTrip(http::Request{});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 401);

  // "localhost" is in the certificate too; a name it does not hold fails the check.
  opts.tls.server_name = "other.example";
  auto wrong_name = http::Connection::Open(*url, opts);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.error().reason,
            "TLS handshake with " + url->HostPort() +
                " failed: certificate verify failed: hostname mismatch (--cacert FILE trusts a "
                "CA, --insecure skips the check)");

  // The system's CAs do not know a throwaway certificate.
  auto untrusted = http::Connection::Open(*url, {});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().reason,
            "TLS handshake with " + url->HostPort() +
                " failed: certificate verify failed: self-signed certificate (--cacert FILE "
                "trusts a CA, --insecure skips the check)");

  http::ConnectOptions insecure;
  insecure.tls.verify = false;
  auto unchecked = http::Connection::Open(*url, insecure);
  ASSERT_TRUE(unchecked.ok()) << unchecked.error().ToString();
  EXPECT_EQ((*unchecked)->PeerCertificateDer(), tls.leaf_der);
}

// https through a proxy (RFC 9110 9.3.6): TLS runs with the origin inside the CONNECT tunnel,
// so the certificate is checked against the origin's name and the leaf kept is the origin's.
// Connection::Open alone cannot pass a proxy that wants credentials: an error naming the 407.
TEST(HttpConnection, TunnelChecksTheOriginsCertificate) {
  mock::TlsMaterial tls;
  TempFiles files;
  std::string cert, key;
  ASSERT_TRUE(WriteSelfSigned(&files, &tls, &cert, &key));
  ServerProcess origin({"--user", "CORP\\alice:Secret1!", "--tls-cert", cert, "--tls-key", key});
  ServerProcess proxy({"--user", "CORP\\alice:Secret1!", "--proxy"});
  ASSERT_TRUE(origin.ok() && proxy.ok());
  auto url = Url::Parse(origin.url() + "/t");
  auto proxy_url = Url::Parse(proxy.url());
  ASSERT_TRUE(url.ok() && proxy_url.ok());

  http::ConnectOptions opts;
  opts.tls.ca_file = cert;
  opts.proxy = *proxy_url;
  auto refused = http::Connection::Open(*url, opts);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "proxy");
  EXPECT_EQ(refused.error().reason, "the proxy " + proxy_url->HostPort() + " answered CONNECT " +
                                        url->HostPort() +
                                        " with 407 Proxy Authentication Required");

  http::NtlmAuthOptions auth;
  auth.client.user = "CORP\\alice";
  auth.client.secret.password = "Secret1!";
  auth.client.workstation = "WS1";
  auth.proxy = true;
  http::Request request;
  request.target = url->target;
  http::AuthResult r = http::Authenticate(*url, request, opts, auth);
  ASSERT_EQ(r.outcome, http::AuthOutcome::kCompleted) << r.error.ToString() << r.reason;
  EXPECT_TRUE(r.tunnelled);
  EXPECT_TRUE(r.proxy_authenticated);
  EXPECT_EQ(r.proxy_scheme_used, "NTLM");
  EXPECT_TRUE(r.authenticated);
  ASSERT_NE(r.connection, nullptr);
  EXPECT_EQ(r.connection->PeerCertificateDer(), tls.leaf_der);
  ASSERT_EQ(r.legs.size(), 6u);
  EXPECT_EQ(r.legs[2].hop, http::AuthLeg::Hop::kProxy);
  EXPECT_EQ(r.legs[2].request.method, "CONNECT");
  EXPECT_EQ(r.legs[3].hop, http::AuthLeg::Hop::kOrigin);

  opts.tls.server_name = "other.example";
  r = http::Authenticate(*url, request, opts, auth);
  ASSERT_EQ(r.outcome, http::AuthOutcome::kError);
  EXPECT_EQ(r.error.reason, "TLS handshake with " + url->HostPort() +
                                " (through the CONNECT tunnel of " + proxy_url->HostPort() +
                                ") failed: certificate verify failed: hostname mismatch "
                                "(--cacert FILE trusts a CA, --insecure skips the check)");
}

// A one-shot CONNECT proxy on 127.0.0.1 for the client's edge cases: it reads one request
// header, answers it with |answer|, then relays bytes between its client and
// 127.0.0.1:|origin_port| until either side closes. Every wait is bounded (5 s).
class FakeConnectProxy {
 public:
  FakeConnectProxy(std::string answer, uint16_t origin_port)
      : answer_(std::move(answer)), origin_port_(origin_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 1) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeConnectProxy() {
    if (thread_.joinable()) {
      thread_.join();
    }
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  // The request header it read (after the thread ended).
  const std::string& request() const { return request_; }
  void Wait() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  static bool Ready(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 5000) > 0;
  }
  void Serve() {
    if (!Ready(listen_fd_)) {
      return;
    }
    const int client = accept(listen_fd_, nullptr, nullptr);
    char buf[16384];
    while (client >= 0 && request_.find("\r\n\r\n") == std::string::npos &&
           request_.size() < 8192 && Ready(client)) {
      const ssize_t n = recv(client, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      request_.append(buf, static_cast<size_t>(n));
    }
    const int origin = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(origin_port_);
    if (client >= 0 && origin >= 0 &&
        connect(origin, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(answer_.size())) {
      for (bool open = true; open;) {
        pollfd p[2] = {{client, POLLIN, 0}, {origin, POLLIN, 0}};
        open = poll(p, 2, 5000) > 0;
        for (int i = 0; i < 2 && open; ++i) {
          if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            const ssize_t n = recv(p[i].fd, buf, sizeof(buf), 0);
            open = n > 0 && send(p[1 - i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
          }
        }
      }
    }
    close(origin);
    close(client);
  }

  std::string answer_;
  uint16_t origin_port_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

// RFC 9110 9.3.6: the client's CONNECT is authority-form with the same Host, and a 2xx to it
// has no content whatever its Content-Length says: the bytes after its header are the
// tunnel's (here the TLS handshake with the origin, then the origin's 401).
TEST(HttpConnection, ConnectTwoXxContentLengthIsIgnored) {
  ServerProcess origin({"--user", "CORP\\alice:Secret1!", "--tls-self-signed"});
  ASSERT_TRUE(origin.ok());
  FakeConnectProxy proxy("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n",
                         origin.port());
  ASSERT_NE(proxy.port(), 0);
  auto url = Url::Parse(origin.url() + "/c");
  ASSERT_TRUE(url.ok());
  http::ConnectOptions opts;
  opts.tls.verify = false;
  opts.proxy = *Url::Parse("http://127.0.0.1:" + std::to_string(proxy.port()));
  {
    auto conn = http::Connection::Open(*url, opts);
    ASSERT_TRUE(conn.ok()) << conn.error().ToString();
    EXPECT_FALSE((*conn)->PeerCertificateDer().empty());
    auto resp = (*conn)->RoundTrip(http::Request{"GET", "/c", {}, ""});
    ASSERT_TRUE(resp.ok()) << resp.error().ToString();
    EXPECT_EQ(resp->status, 401);
    EXPECT_EQ(resp->Values("WWW-Authenticate"), std::vector<std::string>{"NTLM"});
  }
  proxy.Wait();
  EXPECT_EQ(proxy.request(), "CONNECT " + url->HostPort() + " HTTP/1.1\r\nHost: " +
                                 url->HostPort() + "\r\n\r\n");
}

// The shared loop with the engine's client, in process: the same run `ntlmh request` does.
TEST(HttpNtlmAuth, LoopRecordsThreeLegsOnOneConnection) {
  ServerProcess server({"--user", "CORP\\alice:Secret1!"});
  ASSERT_TRUE(server.ok());
  auto url = Url::Parse(server.url() + "/legs");
  http::NtlmAuthOptions auth;
  auth.client.user = "CORP\\alice";
  auth.client.secret.password = "Secret1!";
  auth.client.workstation = "WS";
  http::Request req;
  req.target = url->target;
  http::AuthResult r = http::Authenticate(*url, req, {}, auth);
  ASSERT_EQ(r.outcome, http::AuthOutcome::kCompleted) << r.reason << r.error.ToString();
  EXPECT_TRUE(r.authenticated);
  EXPECT_EQ(r.scheme_used, "NTLM");
  ASSERT_EQ(r.legs.size(), 3u);
  EXPECT_EQ(r.legs[0].connection_id, r.legs[1].connection_id);
  EXPECT_EQ(r.legs[1].connection_id, r.legs[2].connection_id);
  EXPECT_EQ(r.legs[0].response->status, 401);
  EXPECT_EQ(r.legs[1].response->status, 401);
  EXPECT_EQ(r.legs[2].response->status, 200);
  ASSERT_GE(r.legs[1].sent_token.size(), 40u);  // NEGOTIATE with VERSION ([MS-NLMP] 2.2.1.1)
  EXPECT_EQ(r.legs[1].sent_token[8], 1);
  EXPECT_EQ(r.legs[1].received_token[8], 2);
  EXPECT_EQ(r.legs[2].sent_token[8], 3);
  ASSERT_NE(r.connection, nullptr);
  EXPECT_TRUE(r.connection->IsOpen());
}

}  // namespace
}  // namespace ntlmh::testing
