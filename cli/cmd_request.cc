// ntlmh request: an HTTP request with NTLM (or Negotiate) authentication, as Postman's NTLM
// authorization does it (issue #5), over http/ (http/ntlm_auth.h), with every leg shown on -v.
//
// Exit status: 0 on a 2xx final response (or, with --no-retry, once the CHALLENGE is in);
// 1 when authentication fails (401/403/407 in the end, a refusal, a bare NTLM on the second
// leg), with the reason; 2 on usage, transport or protocol errors, and other final statuses.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <cxxopts.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/describe.h"
#include "cli/min_security.h"
#include "cli/terminal_text.h"
#include "engine/http_auth.h"
#include "engine/messages.h"
#include "engine/spnego.h"
#include "engine/text.h"
#include "http/client.h"
#include "http/form.h"
#include "http/ntlm_auth.h"

namespace ntlmh {
namespace {

constexpr const char* kName = "ntlmh request";

constexpr char kEpilogue[] =
    "The password comes from -p, --password-stdin (one line) or the NTLM_PASSWORD environment\n"
    "variable; it is never printed. '{{NAME}}' in any argument is replaced with the environment\n"
    "variable NAME (Postman's variables); an unset one is a usage error.\n"
    "\n"
    "The request is sent once without credentials; on a 401 (407 with --proxy) offering NTLM or\n"
    "Negotiate, NEGOTIATE and AUTHENTICATE follow on one connection, and the body is sent again\n"
    "with the AUTHENTICATE. The final response's body goes to stdout. --no-retry stops after the\n"
    "CHALLENGE and prints it decoded. Over HTTPS the AUTHENTICATE carries channel bindings from\n"
    "the server's certificate (RFC 5929 tls-server-end-point).\n"
    "\n"
    "--proxy http://HOST:PORT: an http:// URL goes to the proxy in absolute form and the proxy's\n"
    "407 is answered (Proxy-Authorization). An https:// URL goes through a CONNECT tunnel\n"
    "(RFC 9110 9.3.6): CONNECT host:port is authenticated at the proxy (407) on its connection,\n"
    "then TLS runs with the origin inside the tunnel (the certificate is checked against the\n"
    "URL's host), then the origin's own 401 handshake follows with the same credentials and\n"
    "channel bindings from the origin's certificate. -v and --json mark each leg's hop (proxy or\n"
    "origin); --no-retry stops after the origin's CHALLENGE. A proxy that refuses the CONNECT\n"
    "(not 2xx or 407) is an error (exit 2) naming its status; a 407 after the AUTHENTICATE is\n"
    "an authentication failure at the proxy (exit 1).\n"
    "\n"
    "--channel-bindings: over HTTPS the AUTHENTICATE carries MsvAvChannelBindings from the\n"
    "server's certificate (auto). 'none' leaves them out, 'zero' sends 16 zero bytes, 32 hex\n"
    "digits send that hash instead: a wrong binding, to test a server's Extended Protection.\n"
    "\n"
    "--har FILE records the exchange as a HAR 1.2 file (one entry per leg: headers as sent and\n"
    "received, bodies, timings, Chrome's \"connection\" = the local port), for `ntlmh explain\n"
    "--har`. It holds what went on the wire, the Authorization headers included, as every HAR\n"
    "file does: their NTLM responses can be attacked offline for the password, so keep the file\n"
    "as you would the password (it is created with mode 0600). Host and Content-Length, which\n"
    "the HTTP layer adds, are not listed.\n"
    "\n"
    "-v shows each leg on stderr: request line, authentication headers, each NTLM message decoded\n"
    "as `ntlmh decode` does. --json prints one JSON object (legs, outcome, body) on stdout.\n"
    "\n"
    "Exit status: 0 on a 2xx response (or the CHALLENGE with --no-retry); 1 when authentication\n"
    "fails (with the reason); 2 on usage, transport or protocol errors and other statuses.\n";

int Usage(const std::string& text) {
  std::fprintf(stderr, "%s: %s\n", kName, text.c_str());  // callers escape what the user gave
  return 2;
}

std::string FormatError(const ntlm::Error& e) {
  if (e.rule.empty() && e.offset == 0) {
    return e.field.empty() ? e.reason : e.field + ": " + e.reason;
  }
  return e.ToString();
}

bool IsNameChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '.' || c == '-';
}

// Postman's variables: "{{NAME}}" becomes getenv(NAME). A "{{" that does not open a name
// closed by "}}" stays as it is.
bool SubstituteVariables(std::string* arg, size_t index, std::string* error) {
  std::string out;
  size_t pos = 0;
  while (pos < arg->size()) {
    const size_t open = arg->find("{{", pos);
    if (open == std::string::npos) {
      break;
    }
    const size_t close = arg->find("}}", open + 2);
    const std::string name =
        close == std::string::npos ? "" : arg->substr(open + 2, close - open - 2);
    bool valid = !name.empty();
    for (char c : name) {
      valid = valid && IsNameChar(c);
    }
    if (!valid) {
      out += arg->substr(pos, open + 2 - pos);
      pos = open + 2;
      continue;
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      *error = "argument " + std::to_string(index) + " at offset " + std::to_string(open) +
               ": {{" + name + "}} names the environment variable " + name + ", which is not set";
      return false;
    }
    out += arg->substr(pos, open - pos);
    out += value;
    pos = close + 2;
  }
  out += arg->substr(pos);
  *arg = std::move(out);
  return true;
}

// "Name: value" (RFC 9110 5.1, 5.5). Errors name the byte offset in |text|.
bool ParseHeaderArg(const std::string& text, http::Header* out, std::string* error) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    *error = "-H '" + EscapeForTerminal(text) + "' at offset 0: expected 'Name: value'";
    return false;
  }
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char u = static_cast<unsigned char>(text[i]);
    if (u <= 0x20 || u >= 0x7f || std::string_view("\"(),/:;<=>?@[\\]{}").find(text[i]) !=
                                      std::string_view::npos) {
      *error = "-H header name at offset " + std::to_string(i) +
               ": not a token character (RFC 9110 5.6.2)";
      return false;
    }
  }
  for (size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0') {
      *error = "-H header value at offset " + std::to_string(i) +
               ": CR, LF and NUL are not allowed (RFC 9110 5.5)";
      return false;
    }
  }
  out->name = text.substr(0, colon);
  size_t start = colon + 1;
  size_t end = text.size();
  while (start < end && (text[start] == ' ' || text[start] == '\t')) {
    ++start;
  }
  while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t')) {
    --end;
  }
  out->value = text.substr(start, end - start);
  return true;
}

bool ParseFields(const std::vector<std::string>& items, const char* option,
                 http::FormFields* out, std::string* error) {
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      *error = std::string(option) + " '" + EscapeForTerminal(item) + "': expected NAME=VALUE";
      return false;
    }
    out->emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return true;
}

std::string DefaultWorkstation() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return "";
  }
  std::string host(name);
  return host.substr(0, host.find('.'));
}

const char* OutcomeName(http::AuthOutcome o) {
  switch (o) {
    case http::AuthOutcome::kCompleted:
      return "completed";
    case http::AuthOutcome::kChallenge:
      return "challenge";
    case http::AuthOutcome::kRefused:
      return "refused";
    case http::AuthOutcome::kError:
      return "error";
  }
  return "error";
}

const char* HopName(http::AuthLeg::Hop h) {
  return h == http::AuthLeg::Hop::kProxy ? "proxy" : "origin";
}

const char* LegName(http::AuthLeg::Kind k) {
  switch (k) {
    case http::AuthLeg::Kind::kProbe:
      return "probe";
    case http::AuthLeg::Kind::kNegotiate:
      return "negotiate";
    case http::AuthLeg::Kind::kAuthenticate:
      return "authenticate";
  }
  return "probe";
}

// The client's responses are secrets: with the server challenge beside them, an NTLMv2 response
// can be attacked offline for the password. -v and --json show them only with --show-secrets.
bool g_show_secrets = false;
constexpr char kHidden[] = "(hidden; --show-secrets prints it)";

void HideSecrets(Json* d) {
  if (g_show_secrets || !d->is_object()) {
    return;
  }
  // RFC 4178 4.2.2 mechListMIC: with NTLM a signature under the session's signing key
  // ([MS-NLMP] 3.4.4), a secret as the MIC is; in either direction.
  if (d->contains("spnego") && (*d)["spnego"].is_object() &&
      (*d)["spnego"].contains("mech_list_mic") && !(*d)["spnego"]["mech_list_mic"].is_null()) {
    (*d)["spnego"]["mech_list_mic"] = kHidden;
  }
  if (!d->contains("message") || (*d)["message"] != "AUTHENTICATE_MESSAGE") {
    return;
  }
  for (const char* field : {"lm_response", "nt_response", "encrypted_random_session_key"}) {
    if (d->contains(field) && (*d)[field].is_object() && (*d)[field].contains("hex")) {
      (*d)[field]["hex"] = kHidden;
      if ((*d)[field].contains("ntlmv2") && (*d)[field]["ntlmv2"].contains("nt_proof_str")) {
        (*d)[field]["ntlmv2"]["nt_proof_str"] = kHidden;
      }
    }
  }
  if (d->contains("mic") && !(*d)["mic"].is_null()) {
    (*d)["mic"] = kHidden;
  }
}

bool IsAuthenticate(const ntlm::Bytes& token) {
  auto type = ntlm::PeekMessageType(token);
  return type.ok() && *type == ntlm::MessageType::kAuthenticate;
}

// Whether the header that carried |token| shows a secret in its base64: an AUTHENTICATE, bare
// or in SPNEGO, or a SPNEGO token with a mechListMIC (the server's last one has it too).
bool HoldsSecrets(const ntlm::Bytes& token) {
  if (IsAuthenticate(token)) {
    return true;
  }
  if (!ntlm::spnego::LooksLikeSpnego(token)) {
    return false;
  }
  auto decoded = ntlm::spnego::DecodeNegotiationToken(token);
  if (!decoded.ok()) {
    return false;
  }
  if (const ntlm::spnego::NegTokenInit* init = decoded->init(); init != nullptr) {
    return init->mech_list_mic.has_value() ||
           (init->mech_token.has_value() && IsAuthenticate(*init->mech_token));
  }
  const ntlm::spnego::NegTokenResp* resp = decoded->resp();
  return resp->mech_list_mic.has_value() ||
         (resp->response_token.has_value() && IsAuthenticate(*resp->response_token));
}

Json DescribeToken(const ntlm::Bytes& token) {
  auto d = DescribeMessage(token, ntlm::DecodePolicy::Lenient());
  if (!d.ok()) {
    return Json{{"error", FormatError(d.error())}};
  }
  HideSecrets(&*d);
  return *d;
}

std::string Indent(const std::string& text, const std::string& pad) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    out += pad + text.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return out;
}

std::string RenderToken(const ntlm::Bytes& token) {
  auto d = DescribeMessage(token, ntlm::DecodePolicy::Lenient());
  if (!d.ok()) {
    return Indent("(cannot decode: " + EscapeForTerminal(FormatError(d.error())) + ")", "    ");
  }
  HideSecrets(&*d);
  return Indent(RenderText(*d), "    ");
}

bool IsAuthHeader(const std::string& name) {
  for (const char* n : {"Authorization", "Proxy-Authorization", "WWW-Authenticate",
                        "Proxy-Authenticate", "Connection", "X-NTLM-Reject", "X-NTLM-Error"}) {
    if (ntlm::http_auth::EqualsIgnoreCase(name, n)) {
      return true;
    }
  }
  return false;
}

// A response's WWW-Authenticate / Proxy-Authenticate value, its token hidden when it holds a
// secret (the server's mechListMIC) and --show-secrets is not given.
std::string ReceivedHeaderValue(const http::AuthLeg& leg, const http::Header& h) {
  const bool challenge = ntlm::http_auth::EqualsIgnoreCase(h.name, "WWW-Authenticate") ||
                         ntlm::http_auth::EqualsIgnoreCase(h.name, "Proxy-Authenticate");
  if (g_show_secrets || !challenge || leg.received_token.empty() ||
      !HoldsSecrets(leg.received_token)) {
    return h.value;
  }
  return h.value.substr(0, h.value.find(' ')) + " " + kHidden;
}

// Lines from the wire go through EscapeForTerminal one by one; RenderText escapes its own.
void PrintLegs(const http::AuthResult& r) {
  uint64_t shown_connection = 0;
  auto line = [](std::string* out, const std::string& text) {
    *out += EscapeForTerminal(text) + "\n";
  };
  for (const http::AuthLeg& leg : r.legs) {
    std::string out;
    if (leg.connection_id != shown_connection) {
      // Through a CONNECT tunnel, which hop each connection's legs go to.
      const std::string hop = !r.tunnelled ? ""
                              : leg.hop == http::AuthLeg::Hop::kProxy
                                  ? " (proxy: CONNECT)"
                                  : " (origin: TLS inside the CONNECT tunnel)";
      line(&out, "* connection " + std::to_string(leg.connection_id) + hop);
      shown_connection = leg.connection_id;
    }
    line(&out, "> " + leg.request.method + " " + leg.request.target + " HTTP/1.1");
    const bool hide = !g_show_secrets && HoldsSecrets(leg.sent_token);
    for (const http::Header& h : leg.request.headers) {
      if (IsAuthHeader(h.name)) {
        const bool credentials =
            ntlm::http_auth::EqualsIgnoreCase(h.name, "Authorization") ||
            ntlm::http_auth::EqualsIgnoreCase(h.name, "Proxy-Authorization");
        line(&out, "> " + h.name + ": " +
                       (hide && credentials ? leg.sent_scheme + " " + kHidden : h.value));
      }
    }
    if (!leg.sent_token.empty()) {
      out += RenderToken(leg.sent_token);
    }
    if (leg.response.has_value()) {
      const http::Response& resp = *leg.response;
      line(&out, "< HTTP/1.1 " + std::to_string(resp.status) + " " + resp.reason);
      for (const http::Header& h : resp.headers) {
        if (IsAuthHeader(h.name)) {
          line(&out, "< " + h.name + ": " + ReceivedHeaderValue(leg, h));
        }
      }
      if (!leg.received_token.empty()) {
        out += RenderToken(leg.received_token);
      }
    }
    std::fputs(out.c_str(), stderr);
  }
  for (const std::string& note : r.notes) {
    std::fprintf(stderr, "* note: %s\n", EscapeForTerminal(note).c_str());
  }
}

Json LegsJson(const http::AuthResult& r) {
  Json legs = Json::array();
  for (const http::AuthLeg& leg : r.legs) {
    Json j;
    j["kind"] = LegName(leg.kind);
    j["hop"] = HopName(leg.hop);
    j["connection"] = leg.connection_id;
    Json req{{"method", leg.request.method}, {"target", leg.request.target}};
    req["scheme"] = leg.sent_scheme.empty() ? Json(nullptr) : Json(leg.sent_scheme);
    req["token"] = leg.sent_token.empty() ? Json(nullptr) : DescribeToken(leg.sent_token);
    j["request"] = req;
    if (leg.response.has_value()) {
      Json resp{{"status", leg.response->status},
                {"reason", leg.response->reason},
                {"keep_alive", leg.response->keep_alive}};
      Json auth = Json::array();
      for (const http::Header& h : leg.response->headers) {
        if (IsAuthHeader(h.name)) {
          auth.push_back(Json{{"name", h.name}, {"value", ReceivedHeaderValue(leg, h)}});
        }
      }
      resp["headers"] = auth;
      resp["token"] =
          leg.received_token.empty() ? Json(nullptr) : DescribeToken(leg.received_token);
      j["response"] = resp;
    } else {
      j["response"] = nullptr;
    }
    legs.push_back(j);
  }
  return legs;
}

// RFC 3339 UTC with milliseconds, as HAR's startedDateTime wants it.
std::string IsoTime(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

Json HarHeaders(const std::vector<http::Header>& headers) {
  Json out = Json::array();
  for (const http::Header& h : headers) {
    out.push_back(Json{{"name", h.name}, {"value", h.value}});
  }
  return out;
}

// A body as HAR text: as it is when it is UTF-8, else base64 with "encoding" (HAR 1.2 content).
void HarBody(const std::string& body, Json* out) {
  if (ntlm::text::ValidateUtf8(body).ok()) {
    (*out)["text"] = body;
  } else {
    (*out)["text"] = ntlm::http_auth::Base64Encode(ntlm::AsBytes(body));
    (*out)["encoding"] = "base64";
  }
}

std::string FindHeader(const std::vector<http::Header>& headers, const char* name) {
  for (const http::Header& h : headers) {
    if (ntlm::http_auth::EqualsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return "";
}

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) of every leg, as it went on the
// wire: the Authorization headers are in it, as in any HAR file a browser exports.
Json HarOf(const http::Url& url, const std::optional<http::Url>& proxy,
           const http::AuthResult& r) {
  Json entries = Json::array();
  for (const http::AuthLeg& leg : r.legs) {
    const double ms = static_cast<double>(leg.elapsed.count()) / 1000.0;
    // A CONNECT of a tunnel went to the proxy over plain HTTP: its URL is the proxy's.
    const bool to_proxy = r.tunnelled && proxy.has_value() && leg.hop == http::AuthLeg::Hop::kProxy;
    Json req{{"method", leg.request.method},
             {"url", to_proxy ? proxy->ToString() : url.ToString()},
             {"httpVersion", "HTTP/1.1"},
             {"cookies", Json::array()},
             {"headers", HarHeaders(leg.request.headers)},
             {"queryString", Json::array()},
             {"headersSize", -1},
             {"bodySize", leg.request.body.size()}};
    if (!leg.request.body.empty()) {
      Json post{{"mimeType", FindHeader(leg.request.headers, "Content-Type")}};
      HarBody(leg.request.body, &post);
      req["postData"] = post;
    }
    Json resp{{"status", 0},
              {"statusText", ""},
              {"httpVersion", "HTTP/1.1"},
              {"cookies", Json::array()},
              {"headers", Json::array()},
              {"content", Json{{"size", 0}, {"mimeType", ""}}},
              {"redirectURL", ""},
              {"headersSize", -1},
              {"bodySize", -1}};
    if (!leg.response.has_value()) {
      // HAR 1.2 has no field for a request that got no response: status 0, and the reason in a
      // custom field (HAR 1.2 allows "_"-prefixed ones). `ntlmh explain` reads it.
      resp["_error"] = &leg == &r.legs.back() && r.outcome == http::AuthOutcome::kError
                           ? r.error.ToString()
                           : std::string("no response: the connection failed or was closed");
    }
    if (leg.response.has_value()) {
      const http::Response& res = *leg.response;
      resp["status"] = res.status;
      resp["statusText"] = res.reason;
      resp["headers"] = HarHeaders(res.headers);
      Json content{{"size", res.body.size()},
                   {"mimeType", FindHeader(res.headers, "Content-Type")}};
      if (!res.body.empty()) {
        HarBody(res.body, &content);
      }
      resp["content"] = content;
      resp["redirectURL"] = FindHeader(res.headers, "Location");
      resp["bodySize"] = res.body.size();
    }
    Json entry{{"startedDateTime", IsoTime(leg.started)},
               {"time", ms},
               {"request", req},
               {"response", resp},
               {"cache", Json::object()},
               {"timings", Json{{"blocked", -1},
                                {"dns", -1},
                                {"connect", -1},
                                {"send", 0},
                                {"wait", ms},
                                {"receive", 0},
                                {"ssl", -1}}}};
    entry["_hop"] = HopName(leg.hop);  // HAR 1.2 custom field: proxy (407/CONNECT) or origin
    const std::string& remote = leg.remote_endpoint;
    const size_t colon = remote.rfind(':');
    if (colon != std::string::npos) {
      std::string ip = remote.substr(0, colon);
      if (ip.size() >= 2 && ip.front() == '[') {
        ip = ip.substr(1, ip.size() - 2);
      }
      entry["serverIPAddress"] = ip;
    }
    // Chrome's "connection": the client's port, which ties each leg to its TCP connection.
    const size_t port_at = leg.local_endpoint.rfind(':');
    entry["connection"] = port_at != std::string::npos ? leg.local_endpoint.substr(port_at + 1)
                                                       : std::to_string(leg.connection_id);
    entries.push_back(std::move(entry));
  }
  Json log{{"version", "1.2"},
           {"creator", Json{{"name", "ntlmh request"}, {"version", "1"}}},
           {"entries", entries}};
  if (r.outcome == http::AuthOutcome::kError) {
    // The exchange ended in an error, possibly before a leg was written (the connection closed
    // after the CHALLENGE): recorded so that `ntlmh explain` does not blame the client.
    log["_error"] = r.error.ToString();
  }
  return Json{{"log", log}};
}

// Writes |text| to |path|, which ends up a regular file of mode 0600 whatever it was before (it
// holds the client's responses, which can be cracked offline). A symbolic link is refused, not
// followed; a FIFO or device is refused without blocking; an existing file is made private
// before it is truncated and written.
bool WritePrivateFile(const std::string& path, const std::string& text, std::string* error) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) {
    // ENXIO: a FIFO without a reader (O_NONBLOCK), which is no file to keep a HAR in either.
    *error = errno == ELOOP   ? std::string("it is a symbolic link; give the file itself")
             : errno == ENXIO ? std::string("not a regular file")
                              : std::string(std::strerror(errno));
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "not a regular file";
    close(fd);
    return false;
  }
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, 0) != 0) {
    *error = std::strerror(errno);
    close(fd);
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      *error = std::strerror(errno);
      close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

int RunRequest(int argc, char** argv) {
  // {{NAME}} first, on every argument, so that options and their values both get it.
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string error;
    if (!SubstituteVariables(&args[i], i, &error)) {
      return Usage(error);
    }
  }
  std::vector<char*> arg_ptrs;
  for (std::string& a : args) {
    arg_ptrs.push_back(a.data());
  }

  cxxopts::Options opts(kName, "An HTTP request with NTLM authentication (Postman-like).");
  opts.custom_help("URL -u [DOMAIN\\]USER [options]");
  opts.positional_help("");
  opts.add_options()
      ("url", "http:// or https:// URL", cxxopts::value<std::string>())
      ("u,user", "[DOMAIN\\]USER (or user@domain)", cxxopts::value<std::string>())
      ("p,password", "the password (NTLM_PASSWORD and --password-stdin keep it out of ps)",
       cxxopts::value<std::string>())
      ("password-stdin", "read the password from the first line of stdin")
      ("d,domain", "the domain (overrides DOMAIN\\ in -u)", cxxopts::value<std::string>())
      ("w,workstation", "the workstation name (default: this host's name)",
       cxxopts::value<std::string>())
      ("X,request", "the method (default GET, POST with a body)", cxxopts::value<std::string>())
      ("H,header", "'Name: value' (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("data", "the body, as given", cxxopts::value<std::string>())
      ("data-urlencode", "NAME=VALUE, URL-encoded into an x-www-form-urlencoded body "
       "(repeatable)", cxxopts::value<std::vector<std::string>>())
      ("form", "NAME=VALUE as a multipart/form-data part (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("no-retry", "stop after the CHALLENGE and print it decoded")
      ("negotiate", "use the Negotiate scheme (SPNEGO) rather than NTLM")
      ("proxy", "an http:// proxy, with NTLM (407) if it asks; https:// URLs go through a "
       "CONNECT tunnel", cxxopts::value<std::string>())
      ("insecure", "do not verify the server's certificate")
      ("cacert", "PEM file of CA certificates to verify the server with",
       cxxopts::value<std::string>())
      ("channel-bindings", "over HTTPS: auto (from the certificate), none, zero, or 32 hex "
       "digits to send instead", cxxopts::value<std::string>()->default_value("auto"))
      ("min-client-sec", "NtlmMinClientSec: refuse a CHALLENGE weaker than 0x20000000 "
       "(128-bit) and/or 0x00080000 (NTLMv2 session security); or 128bit,ntlmv2-session",
       cxxopts::value<std::string>())
      ("har", "write the exchange to FILE as HAR 1.2 (holds the Authorization headers)",
       cxxopts::value<std::string>())
      ("timeout", "seconds for connecting and for each response",
       cxxopts::value<double>()->default_value("30"))
      ("v,verbose", "show each leg on stderr, NTLM messages decoded")
      ("show-secrets", "with -v or --json, also print the responses, the MIC, the mechListMIC "
       "and the key")
      ("json", "print one JSON object on stdout")
      ("h,help", "show this help");
  opts.parse_positional({"url"});

  cxxopts::ParseResult parsed;
  try {
    parsed = opts.parse(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  } catch (const std::exception& e) {
    return Usage(EscapeForTerminal(e.what()));
  }
  if (parsed.count("help") != 0) {
    std::printf("%s\n%s", opts.help().c_str(), kEpilogue);
    return 0;
  }
  if (!parsed.unmatched().empty()) {
    return Usage("unexpected argument '" + EscapeForTerminal(parsed.unmatched()[0]) + "'");
  }
  if (parsed.count("url") == 0) {
    return Usage("a URL is required (--help shows the options)");
  }
  auto url = http::Url::Parse(parsed["url"].as<std::string>());
  if (!url.ok()) {
    return Usage(FormatError(url.error()));
  }
  if (parsed.count("user") == 0 || parsed["user"].as<std::string>().empty()) {
    return Usage("-u [DOMAIN\\]USER is required");
  }

  // The password: -p, --password-stdin or NTLM_PASSWORD, in that order; never printed.
  std::string password_source;
  std::string password;
  if (parsed.count("password") != 0 && parsed.count("password-stdin") != 0) {
    return Usage("-p and --password-stdin exclude each other");
  }
  if (parsed.count("password") != 0) {
    password = parsed["password"].as<std::string>();
    password_source = "-p";
  } else if (parsed.count("password-stdin") != 0) {
    if (!std::getline(std::cin, password) && password.empty()) {
      return Usage("--password-stdin: no line on standard input");
    }
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
    password_source = "standard input";
  } else if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
    password = env;
    password_source = "NTLM_PASSWORD";
  } else {
    return Usage("no password: give -p, --password-stdin or NTLM_PASSWORD");
  }

  http::Request request;
  request.target = url->target;
  if (parsed.count("header") != 0) {
    for (const std::string& h : parsed["header"].as<std::vector<std::string>>()) {
      http::Header header;
      std::string error;
      if (!ParseHeaderArg(h, &header, &error)) {
        return Usage(error);
      }
      if (ntlm::http_auth::EqualsIgnoreCase(header.name, "Authorization") ||
          ntlm::http_auth::EqualsIgnoreCase(header.name, "Proxy-Authorization")) {
        return Usage("-H " + EscapeForTerminal(header.name) + ": ntlmh request writes this header itself");
      }
      request.headers.push_back(header);
    }
  }
  const bool has_content_type = [&] {
    for (const http::Header& h : request.headers) {
      if (ntlm::http_auth::EqualsIgnoreCase(h.name, "Content-Type")) {
        return true;
      }
    }
    return false;
  }();

  const int bodies = (parsed.count("data") != 0 ? 1 : 0) +
                     (parsed.count("data-urlencode") != 0 ? 1 : 0) +
                     (parsed.count("form") != 0 ? 1 : 0);
  if (bodies > 1) {
    return Usage("--data, --data-urlencode and --form exclude each other");
  }
  std::string content_type;
  if (parsed.count("data") != 0) {
    request.body = parsed["data"].as<std::string>();
    content_type = "application/x-www-form-urlencoded";
  } else if (parsed.count("data-urlencode") != 0) {
    http::FormFields fields;
    std::string error;
    if (!ParseFields(parsed["data-urlencode"].as<std::vector<std::string>>(), "--data-urlencode",
                     &fields, &error)) {
      return Usage(error);
    }
    request.body = http::EncodeUrlencodedForm(fields);
    content_type = "application/x-www-form-urlencoded";
  } else if (parsed.count("form") != 0) {
    http::FormFields fields;
    std::string error;
    if (!ParseFields(parsed["form"].as<std::vector<std::string>>(), "--form", &fields,
                     &error)) {
      return Usage(error);
    }
    http::MultipartForm form = http::EncodeMultipartForm(fields);
    request.body = std::move(form.body);
    content_type = form.content_type;
  }
  if (bodies == 1 && !has_content_type) {
    request.headers.push_back({"Content-Type", content_type});
  }
  request.method = parsed.count("request") != 0 ? parsed["request"].as<std::string>()
                                                : (bodies == 1 ? "POST" : "GET");
  for (char c : request.method) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return Usage("-X: the method must be a token (RFC 9110 9.1)");
    }
  }
  if (request.method.empty()) {
    return Usage("-X: empty method");
  }

  http::ConnectOptions connect;
  const double timeout = parsed["timeout"].as<double>();
  if (!(timeout > 0 && timeout <= 3600)) {
    return Usage("--timeout wants seconds in (0, 3600]");
  }
  connect.io_timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  connect.connect_timeout = std::min(connect.io_timeout, std::chrono::milliseconds(10000));
  if (parsed.count("insecure") != 0 && parsed.count("cacert") != 0) {
    return Usage("--insecure and --cacert exclude each other");
  }
  connect.tls.verify = parsed.count("insecure") == 0;
  if (parsed.count("cacert") != 0) {
    connect.tls.ca_file = parsed["cacert"].as<std::string>();
  }
  http::NtlmAuthOptions auth;
  if (parsed.count("proxy") != 0) {
    auto proxy = http::Url::Parse(parsed["proxy"].as<std::string>());
    if (!proxy.ok()) {
      ntlm::Error e = proxy.error();
      e.field = "proxy";
      return Usage(FormatError(e));
    }
    if (proxy->tls()) {
      return Usage("--proxy: only http:// proxies are supported");
    }
    connect.proxy = *proxy;
    auth.proxy = true;
  }

  auth.client.user = parsed["user"].as<std::string>();
  if (parsed.count("domain") != 0) {
    auth.client.domain = parsed["domain"].as<std::string>();
  }
  auth.client.workstation = parsed.count("workstation") != 0
                                ? parsed["workstation"].as<std::string>()
                                : DefaultWorkstation();
  auth.client.secret.password = password;
  // The names and the password go into the AUTHENTICATE as UTF-16LE ([MS-NLMP] 2.2.1.3): bad
  // UTF-8 is the caller's input, refused here with the option that carries it, before any
  // request is sent (the engine would find it only after the server's CHALLENGE).
  {
    const std::string domain = auth.client.domain.value_or("");
    const std::pair<const char*, const std::string*> names[] = {
        {"-u", &auth.client.user}, {"-d", &domain}, {"-w", &auth.client.workstation}};
    for (const auto& [option, text] : names) {
      if (ntlm::Status s = ntlm::text::ValidateUtf8(*text); !s.ok()) {
        ntlm::Error e = s.error();
        e.field = option;
        return Usage(EscapeForTerminal(FormatError(e)));
      }
    }
    if (!ntlm::text::ValidateUtf8(password).ok()) {  // no byte or offset of a secret
      return Usage("the password (" + password_source + ") is not valid UTF-8");
    }
  }
  if (parsed.count("min-client-sec") != 0) {
    MinSecurity min;
    if (!ParseMinSecurity(parsed["min-client-sec"].as<std::string>(), &min)) {
      return Usage(
          "--min-client-sec wants a mask of 0x20000000|0x00080000 or 128bit,ntlmv2-session");
    }
    auth.client.require_128bit = min.require_128bit;
    auth.client.require_session_security = min.require_session_security;
  }
  auth.scheme = parsed.count("negotiate") != 0 ? http::AuthScheme::kNegotiate
                                               : http::AuthScheme::kNtlm;
  auth.stop_after_challenge = parsed.count("no-retry") != 0;
  // [MS-NLMP] 2.2.2.1 MsvAvChannelBindings: what the AUTHENTICATE carries instead of the hash
  // of the server's certificate (RFC 5929 4.1), to test a server's Extended Protection.
  if (const std::string cb = parsed["channel-bindings"].as<std::string>(); cb != "auto") {
    auth.channel_bindings = false;
    ntlm::Bytes hash;
    if (cb == "none") {
      auth.client.channel_binding = ntlm::ChannelBindingMode::kNone;
    } else if (cb == "zero") {
      auth.client.channel_binding = ntlm::ChannelBindingMode::kZero;
    } else if (ntlm::FromHex(cb, &hash) &&
               hash.size() == auth.client.channel_bindings_hash.size()) {
      auth.client.channel_binding = ntlm::ChannelBindingMode::kHash;
      std::copy(hash.begin(), hash.end(), auth.client.channel_bindings_hash.begin());
    } else {
      return Usage("--channel-bindings wants auto, none, zero or 32 hex digits");
    }
  }
  const bool verbose = parsed.count("verbose") != 0;
  g_show_secrets = parsed.count("show-secrets") != 0;
  const bool json = parsed.count("json") != 0;

  if (verbose) {
    std::fprintf(stderr, "* %s %s as %s (workstation %s), password from %s (not shown)\n",
                 request.method.c_str(), EscapeForTerminal(url->ToString()).c_str(),
                 EscapeForTerminal(auth.client.user).c_str(),
                 EscapeForTerminal(auth.client.workstation).c_str(), password_source.c_str());
  }
  http::AuthResult result = http::Authenticate(*url, request, connect, auth);
  password.assign(password.size(), '\0');
  if (verbose) {
    PrintLegs(result);
  }

  if (parsed.count("har") != 0) {
    const std::string path = parsed["har"].as<std::string>();
    std::string error;
    const Json har = HarOf(*url, connect.proxy, result);
    if (!WritePrivateFile(
            path, har.dump(1, ' ', false, Json::error_handler_t::replace) + "\n", &error)) {
      return Usage("--har " + EscapeForTerminal(path) + ": cannot write: " + error);
    }
  }

  int exit_code = 2;
  std::string message;
  switch (result.outcome) {
    case http::AuthOutcome::kCompleted: {
      const int status = result.final_response->status;
      if (status >= 200 && status < 300) {
        exit_code = 0;
      } else if (status == 401 || status == 403 || status == 407) {
        exit_code = 1;
        message = "authentication failed: the server answered " + std::to_string(status) +
                  " " + result.final_response->reason;
      } else {
        message = "the server answered " + std::to_string(status) + " " +
                  result.final_response->reason;
      }
      break;
    }
    case http::AuthOutcome::kChallenge:
      exit_code = 0;
      break;
    case http::AuthOutcome::kRefused:
      exit_code = 1;
      message = result.tunnelled && !result.legs.empty() &&
                        result.legs.back().hop == http::AuthLeg::Hop::kProxy
                    ? "authentication failed at the proxy: " + result.reason
                    : "authentication failed: " + result.reason;
      break;
    case http::AuthOutcome::kError:
      exit_code = 2;
      message = "error: " + FormatError(result.error);
      break;
  }

  if (json) {
    Json out;
    out["url"] = url->ToString();
    out["scheme"] = result.scheme_used.empty() ? Json(nullptr) : Json(result.scheme_used);
    out["outcome"] = OutcomeName(result.outcome);
    out["authenticated"] = result.authenticated;
    out["status"] = result.final_response.has_value() ? Json(result.final_response->status)
                                                      : Json(nullptr);
    out["exit"] = exit_code;
    out["message"] = message.empty() ? Json(nullptr) : Json(message);
    if (result.outcome == http::AuthOutcome::kError) {
      out["error"] = Json{{"code", ntlm::ErrorCodeName(result.error.code)},
                          {"rule", result.error.rule},
                          {"field", result.error.field},
                          {"offset", result.error.offset},
                          {"reason", result.error.reason}};
    }
    if (connect.proxy.has_value()) {
      // The proxy's side; scheme/authenticated above are the origin's through a tunnel, the
      // proxy's for an http URL (which has no origin handshake).
      out["proxy"] = Json{
          {"url", connect.proxy->ToString()},
          {"tunnel", result.tunnelled},
          {"scheme", result.tunnelled ? (result.proxy_scheme_used.empty()
                                             ? Json(nullptr)
                                             : Json(result.proxy_scheme_used))
                                      : out["scheme"]},
          {"authenticated",
           result.tunnelled ? result.proxy_authenticated : result.authenticated}};
    }
    out["notes"] = result.notes;
    out["legs"] = LegsJson(result);
    out["body"] = result.outcome == http::AuthOutcome::kCompleted
                      ? Json(result.final_response->body)
                      : Json(nullptr);
    std::printf("%s\n", out.dump(-1, ' ', true, Json::error_handler_t::replace).c_str());
  } else if (result.outcome == http::AuthOutcome::kChallenge) {
    auto described =
        DescribeMessage(result.legs.back().received_token, ntlm::DecodePolicy::Lenient());
    if (described.ok()) {
      std::fputs(RenderText(*described).c_str(), stdout);
    } else {
      exit_code = 2;
      message = "error: the CHALLENGE does not decode: " + FormatError(described.error());
    }
  } else if (result.outcome == http::AuthOutcome::kCompleted) {
    const std::string& body = result.final_response->body;
    std::fwrite(body.data(), 1, body.size(), stdout);
  }
  std::fflush(stdout);
  if (!message.empty()) {
    std::fprintf(stderr, "%s: %s\n", kName, EscapeForTerminal(message).c_str());
  }
  return exit_code;
}

}  // namespace ntlmh
