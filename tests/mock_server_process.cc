#include "tests/mock_server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "engine/http_auth.h"

extern char** environ;

namespace ntlmh::testing {

std::string B64(const ntlm::Bytes& token) { return ntlm::http_auth::Base64Encode(token); }

ntlm::ClientConfig Alice(const std::string& password) {
  ntlm::ClientConfig c;
  c.user = "CORP\\alice";
  c.secret.password = password;
  c.workstation = "WS1";
  return c;
}

ntlm::Bytes TokenOf(const std::string& header_value) {
  const size_t space = header_value.find(' ');
  if (space == std::string::npos) {
    return {};
  }
  auto b = ntlm::http_auth::Base64Decode(header_value.substr(space + 1));
  return b.ok() ? *b : ntlm::Bytes{};
}
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Waits for |pid| at most |ms|; its exit status, or -1.
int WaitExit(pid_t pid, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (r < 0) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& args) {
  std::signal(SIGPIPE, SIG_IGN);
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<std::string> argv_s = {NTLMH_BINARY, "serve", "--listen", "127.0.0.1:0"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  if (rc != 0) {
    pid_ = -1;
    return;
  }

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) {
      continue;
    }
    char buf[256];
    const ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    line.append(buf, static_cast<size_t>(n));
  }
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0 || line.find('\n') == std::string::npos) {
    return;
  }
  url_ = line.substr(prefix.size(), line.find('\n') - prefix.size());
  const size_t colon = url_.rfind(':');
  port_ = static_cast<uint16_t>(std::atoi(url_.c_str() + colon + 1));
}

bool ServerProcess::running() const {
  return pid_ > 0 && kill(pid_, 0) == 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
}

std::string ServerProcess::stderr_text() {
  char buf[4096];
  ssize_t n;
  while (err_fd_ >= 0 && (n = read(err_fd_, buf, sizeof(buf))) > 0) {
    err_.append(buf, static_cast<size_t>(n));
  }
  return err_;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  int status = WaitExit(pid_, 5000);
  if (status == -1) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, 5000);
  }
  pid_ = -1;
  return status;
}

ServerProcess::~ServerProcess() {
  Stop();
  if (out_fd_ >= 0) {
    close(out_fd_);
  }
  if (err_fd_ >= 0) {
    close(err_fd_);
  }
}

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpConnection::HttpConnection(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

bool HttpConnection::SendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

bool HttpConnection::Send(const std::string& method, const std::string& target,
                          const std::vector<std::string>& headers, const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) {
    req += h + "\r\n";
  }
  if (!body.empty() || method == "POST") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  return SendRaw(req);
}

HttpResponse HttpConnection::Read(int timeout_ms, bool head_request) {
  HttpResponse r;
  auto fill = [&]() {
    pollfd p{fd_, POLLIN, 0};
    if (fd_ < 0 || poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char buf[8192];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      return r;
    }
  }
  const std::string head = buffer_.substr(0, end);
  size_t pos = head.find("\r\n");
  const std::string status_line = head.substr(0, pos);
  if (status_line.size() < 12) {
    return r;
  }
  const int status = std::atoi(status_line.c_str() + 9);
  while (pos != std::string::npos && pos < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos
                                                                            : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') {
        ++v;
      }
      r.headers.emplace(Lower(line.substr(0, colon)), line.substr(v));
    }
    pos = next;
  }
  const size_t length =
      head_request ? 0 : static_cast<size_t>(std::atoll(r.Header("content-length").c_str()));
  while (buffer_.size() < end + 4 + length) {
    if (!fill()) {
      return HttpResponse{};
    }
  }
  r.body = buffer_.substr(end + 4, length);
  buffer_.erase(0, end + 4 + length);
  r.status = status;
  return r;
}

bool HttpConnection::PeerClosed(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[1024];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace ntlmh::testing
