// TLS key and certificate for the mock server's HTTPS: a throwaway self-signed pair made with
// OpenSSL at start, or PEM files; and the certificate's DER for the channel binding
// (RFC 5929 tls-server-end-point, [MS-NLMP] 3.1.5.1.2 MsvAvChannelBindings).
#ifndef NTLMH_MOCK_SERVER_TLS_MATERIAL_H_
#define NTLMH_MOCK_SERVER_TLS_MATERIAL_H_

#include <string>

#include "engine/bytes.h"

namespace ntlmh::mock {

struct TlsMaterial {
  std::string cert_pem;  // the leaf first, then any chain
  std::string key_pem;
  ntlm::Bytes leaf_der;  // the leaf certificate, DER
};

// An EC P-256 key and a self-signed certificate for CN=localhost with subjectAltName
// DNS:localhost and IP:127.0.0.1, valid for one day. False (and |error|) when OpenSSL fails.
[[nodiscard]] bool MakeSelfSigned(TlsMaterial* out, std::string* error);

// Reads a PEM certificate chain and key; the leaf's DER is taken from the first certificate.
// Each file must be a regular file of at most 1 MiB: a device, FIFO or directory is refused
// unread, and |error| names the option, the file and why ("--tls-cert: cannot read /dev/zero:
// is a character device, not a regular file").
[[nodiscard]] bool LoadPemFiles(const std::string& cert_file, const std::string& key_file,
                                TlsMaterial* out, std::string* error);

}  // namespace ntlmh::mock

#endif  // NTLMH_MOCK_SERVER_TLS_MATERIAL_H_
