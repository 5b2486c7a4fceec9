// Request bodies for HTML forms: application/x-www-form-urlencoded and multipart/form-data.
// Pure text; deterministic, so that a test can compute the body (and its SHA-256) the server
// should echo.
//
// Example:
//   std::string body = EncodeUrlencodedForm({{"q", "a b&c"}});     // "q=a%20b%26c"
//   MultipartForm form = EncodeMultipartForm({{"name", "value"}});
//   // Content-Type: form.content_type; body: form.body
#ifndef NTLMH_HTTP_FORM_H_
#define NTLMH_HTTP_FORM_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ntlmh::http {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte but RFC 3986 2.3's unreserved ones (A-Z a-z 0-9 - . _ ~); a space
// becomes %20 (as curl --data-urlencode does).
std::string PercentEncode(std::string_view text);

// "k1=v1&k2=v2" with names and values percent-encoded.
std::string EncodeUrlencodedForm(const FormFields& fields);

struct MultipartForm {
  std::string boundary;
  std::string content_type;  // multipart/form-data; boundary=...
  std::string body;
};

// RFC 7578: one text part per field, CRLF line ends. The boundary is derived from the fields
// (SHA-256 of them), and made longer until no field holds it (RFC 2046 5.1.1). A name with '"',
// CR or LF is percent-encoded in the Content-Disposition (RFC 7578 4.2 leaves the escape open).
MultipartForm EncodeMultipartForm(const FormFields& fields);

}  // namespace ntlmh::http

#endif  // NTLMH_HTTP_FORM_H_
