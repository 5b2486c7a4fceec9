// Test helpers for `ntlmh serve`: the server as a child process on 127.0.0.1 with a free port,
// stopped by SIGTERM when the helper goes away; and a small blocking HTTP/1.1 client over a
// POSIX socket, every read bounded in time. No Beast here, to keep the test build fast.
#ifndef NTLMH_TESTS_MOCK_SERVER_PROCESS_H_
#define NTLMH_TESTS_MOCK_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "engine/client.h"

namespace ntlmh::testing {

// Authorization header values: "NTLM " + B64(token), and the token of a "SCHEME <base64>"
// header value (empty when there is none or it is not base64).
std::string B64(const ntlm::Bytes& token);
ntlm::Bytes TokenOf(const std::string& header_value);

// The engine client's settings for CORP\alice (the account the server tests start `ntlmh
// serve` with, password Secret1!), from workstation WS1.
ntlm::ClientConfig Alice(const std::string& password = "Secret1!");

class ServerProcess {
 public:
  // Starts NTLMH_BINARY serve --listen 127.0.0.1:0 |args| and waits (at most 10 s) for its
  // "listening on" line. ok() says whether it came.
  explicit ServerProcess(const std::vector<std::string>& args);
  ~ServerProcess();  // SIGTERM, wait at most 5 s, then SIGKILL
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  const std::string& url() const { return url_; }
  // Stops the server; its exit status (-1 if it did not exit by itself within 5 s).
  int Stop();
  bool running() const;  // the process has not exited yet
  std::string stderr_text();  // what it wrote to stderr so far (non-blocking)

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  uint16_t port_ = 0;
  std::string url_;
  std::string err_;
};

struct HttpResponse {
  int status = 0;  // 0: no (complete) response
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const;  // first value or ""
  size_t Count(const std::string& lower_name) const { return headers.count(lower_name); }
};

class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port);  // connects to 127.0.0.1:port
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool SendRaw(const std::string& bytes);
  // Sends a request with Host, Content-Length (when there is a body) and |headers|.
  bool Send(const std::string& method, const std::string& target,
            const std::vector<std::string>& headers = {}, const std::string& body = "");
  // Reads one response (Content-Length bodies; none for the answer to a HEAD,
  // |head_request|); gives up after |timeout_ms| without data.
  HttpResponse Read(int timeout_ms = 5000, bool head_request = false);
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::vector<std::string>& headers = {},
                       const std::string& body = "") {
    Send(method, target, headers, body);
    return Read();
  }
  // True when the peer has closed the connection (reads EOF within |timeout_ms|).
  bool PeerClosed(int timeout_ms = 3000);

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace ntlmh::testing

#endif  // NTLMH_TESTS_MOCK_SERVER_PROCESS_H_
