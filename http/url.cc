// Url::Parse and friends: plain C++, no Beast (client.h).
#include <cctype>
#include <string>
#include <string_view>

#include "http/client.h"

namespace ntlmh::http {
namespace {

constexpr char kRuleUrl[] = "RFC 3986 3";

ntlm::Error UrlError(size_t offset, std::string reason) {
  return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, kRuleUrl, "url", offset,
                         std::move(reason));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// RFC 3986 2.3 unreserved, 2.2 sub-delims, and '%' for pct-encoded: what a reg-name may hold.
bool IsRegNameChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || std::string_view("-._~!$&'()*+,;=%").find(c) !=
                                      std::string_view::npos;
}

std::string Describe(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) {
    return std::string("'") + c + "'";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

ntlm::Result<Url> Url::Parse(std::string_view text) {
  // Nothing outside printable ASCII anywhere: a control byte, a space or a CR/LF in a URL is
  // an error, never something to send (RFC 3986 2, and no header injection through the target).
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(text[i]);
    if (u <= 0x20 || u >= 0x7f) {
      return UrlError(i, Describe(text[i]) + " is not allowed in a URL");
    }
  }

  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return UrlError(0, "expected an absolute URL, http://host[:port]/path or https://...");
  }
  Url url;
  url.scheme = Lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return UrlError(0, "scheme '" + url.scheme + "' is not http or https");
  }

  const size_t auth_start = sep + 3;
  size_t auth_end = text.find_first_of("/?#", auth_start);
  if (auth_end == std::string_view::npos) {
    auth_end = text.size();
  }
  const std::string_view authority = text.substr(auth_start, auth_end - auth_start);
  if (const size_t at = authority.find('@'); at != std::string_view::npos) {
    // Credentials in a URL end up in logs and shell history; -u and NTLM_PASSWORD exist.
    return UrlError(auth_start + at, "user information in the URL is not supported (use -u)");
  }

  size_t port_colon = std::string_view::npos;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return UrlError(auth_start, "'[' of an IPv6 literal without ']'");
    }
    const std::string_view v6 = authority.substr(1, close - 1);
    for (size_t i = 0; i < v6.size(); ++i) {
      const unsigned char u = static_cast<unsigned char>(v6[i]);
      if (std::isxdigit(u) == 0 && v6[i] != ':' && v6[i] != '.') {
        return UrlError(auth_start + 1 + i, Describe(v6[i]) + " in an IPv6 literal");
      }
    }
    if (v6.empty()) {
      return UrlError(auth_start + 1, "empty IPv6 literal");
    }
    url.host = Lower(v6);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return UrlError(auth_start + close + 1, "expected ':' or '/' after the IPv6 literal");
      }
      port_colon = close + 1;
    }
  } else {
    port_colon = authority.rfind(':');
    const std::string_view host = authority.substr(0, port_colon);
    if (host.empty()) {
      return UrlError(auth_start, "the URL has no host");
    }
    for (size_t i = 0; i < host.size(); ++i) {
      if (!IsRegNameChar(host[i])) {
        return UrlError(auth_start + i, Describe(host[i]) + " is not allowed in a host name");
      }
    }
    url.host = Lower(host);
  }

  url.port = url.scheme == "https" ? 443 : 80;
  if (port_colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(port_colon + 1);
    if (digits.empty()) {
      return UrlError(auth_start + port_colon + 1, "empty port after ':'");
    }
    uint32_t port = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(digits[i])) == 0) {
        return UrlError(auth_start + port_colon + 1 + i,
                        Describe(digits[i]) + " in the port (expected digits)");
      }
      port = port * 10 + static_cast<uint32_t>(digits[i] - '0');
      if (port > 65535) {
        return UrlError(auth_start + port_colon + 1, "port is larger than 65535");
      }
    }
    if (port == 0) {
      return UrlError(auth_start + port_colon + 1, "port 0 is not a port to connect to");
    }
    url.port = static_cast<uint16_t>(port);
  }

  // The fragment is the client's own (RFC 9110 4.2.5: not sent); the rest is the target.
  std::string_view rest = text.substr(auth_end);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  url.target = std::string(rest);
  if (url.target.empty() || url.target.front() != '/') {
    url.target.insert(url.target.begin(), '/');
  }
  return url;
}

std::string Url::HostPort() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Url::ToString() const { return scheme + "://" + HostPort() + target; }

std::vector<std::string> Response::Values(std::string_view name) const {
  std::vector<std::string> out;
  for (const Header& h : headers) {
    if (h.name.size() == name.size()) {
      bool same = true;
      for (size_t i = 0; i < name.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(h.name[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        out.push_back(h.value);
      }
    }
  }
  return out;
}

}  // namespace ntlmh::http
