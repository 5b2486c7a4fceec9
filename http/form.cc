#include "http/form.h"

#include <openssl/evp.h>

#include <cstdint>

#include "engine/bytes.h"

namespace ntlmh::http {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

std::string DispositionName(std::string_view name) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\r' || c == '\n' || c == '%') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (IsUnreserved(u)) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string EncodeUrlencodedForm(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) {
      out += '&';
    }
    out += PercentEncode(name);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

MultipartForm EncodeMultipartForm(const FormFields& fields) {
  std::string material;
  for (const auto& [name, value] : fields) {
    material += std::to_string(name.size()) + ":" + name + std::to_string(value.size()) + ":" +
                value;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(material.data(), material.size(), digest, &digest_len, EVP_sha256(),
                 nullptr) != 1) {
    digest_len = 0;  // no OpenSSL digest: the clash loop below still finds a free boundary
  }
  std::string hex = ntlm::ToHex(ntlm::ByteView(digest, digest_len));
  if (hex.empty()) {
    hex.assign(64, '0');
  }

  // 24 hex digits first; longer while any value contains the boundary (at most 64).
  MultipartForm form;
  for (size_t len = 24; len <= hex.size(); len += 8) {
    form.boundary = "ntlmh-" + hex.substr(0, len);
    bool clash = false;
    for (const auto& [name, value] : fields) {
      clash = clash || value.find(form.boundary) != std::string::npos ||
              name.find(form.boundary) != std::string::npos;
    }
    if (!clash) {
      break;
    }
  }
  form.content_type = "multipart/form-data; boundary=" + form.boundary;
  for (const auto& [name, value] : fields) {
    form.body += "--" + form.boundary + "\r\n";
    form.body += "Content-Disposition: form-data; name=\"" + DispositionName(name) + "\"\r\n";
    form.body += "\r\n";
    form.body += value;
    form.body += "\r\n";
  }
  form.body += "--" + form.boundary + "--\r\n";
  return form;
}

}  // namespace ntlmh::http
