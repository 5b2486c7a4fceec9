// SerializeReply (reply_wire.h): an answer's bytes as RFC 9112 lays them out.
#include "mock_server/reply_wire.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <stdexcept>
#include <string_view>

namespace ntlmh::mock {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// RFC 9110 5.5: a field value has no leading or trailing whitespace (Beast trimmed the same).
std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  // The limit Beast's fields had (a 16-bit offset): beyond it the caller answers 500.
  if (name.size() > kMaxFieldValueBytes || value.size() > kMaxFieldValueBytes) {
    throw std::length_error("response header field too large");
  }
  out += name;
  out += ": ";
  out += TrimOws(value);
  out += "\r\n";
}

}  // namespace

std::string SerializeReply(int status, unsigned version, const Reply& reply, bool keep_alive,
                           bool head_request) {
  std::string out;
  out.reserve(160 + reply.body.size() + reply.headers.size() * 64 +
              (reply.headers.empty() ? 0 : reply.headers.front().second.size()));
  // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF.
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10 % 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  out += std::to_string(status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  AppendField(out, "Server", "ntlmh-mock");
  // Fields of one name go out together, in the order the first of them came (RFC 9110 5.3:
  // their order is what matters; Beast's fields grouped them the same way).
  const auto& fields = reply.headers;
  for (size_t i = 0; i < fields.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) {
      seen = beast::iequals(fields[j].first, fields[i].first);
    }
    if (seen) {
      continue;
    }
    for (size_t j = i; j < fields.size(); ++j) {
      if (j == i || beast::iequals(fields[j].first, fields[i].first)) {
        AppendField(out, fields[j].first, fields[j].second);
      }
    }
  }
  if (!reply.content_type.empty()) {
    AppendField(out, "Content-Type", reply.content_type);
  }
  // RFC 9112 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  if (version >= 11 && !keep_alive) {
    AppendField(out, "Connection", "close");
  } else if (version < 11 && keep_alive) {
    AppendField(out, "Connection", "keep-alive");
  }
  // RFC 9110 8.6; the server never answers 1xx, 204 or 304 through here.
  AppendField(out, "Content-Length", std::to_string(reply.body.size()));
  out += "\r\n";
  // RFC 9110 9.3.2: the answer to a HEAD is the head a GET would get, without the body.
  if (!head_request) {
    out += reply.body;
  }
  return out;
}

}  // namespace ntlmh::mock
