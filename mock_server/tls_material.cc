#include "mock_server/tls_material.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <limits>
#include <memory>

#include "engine/environment.h"
#include "files/read_file.h"

namespace ntlmh::mock {
namespace {

// A certificate chain or a key is a few KiB; a cap keeps a device or a huge file from being
// read into memory, and keeps the PEM's length within the int that BIO_new_mem_buf takes.
constexpr size_t kMaxPemBytes = size_t{1} << 20;  // 1 MiB
static_assert(kMaxPemBytes <= static_cast<size_t>(std::numeric_limits<int>::max()));

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

bool LeafDer(X509* cert, ntlm::Bytes* out) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) {
    return false;
  }
  out->resize(static_cast<size_t>(len));
  unsigned char* p = out->data();
  return i2d_X509(cert, &p) == len;
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Reads one PEM file of --tls-cert / --tls-key: a regular file of at most kMaxPemBytes.
bool ReadPemFile(const char* option, const std::string& path, std::string* out,
                 std::string* error) {
  files::ReadProblem problem;
  if (!files::ReadRegularFile(path, kMaxPemBytes, out, &problem)) {
    *error = std::string(option) + ": cannot read " + path + ": " + problem.reason;
    return false;
  }
  return true;
}

}  // namespace

bool MakeSelfSigned(TlsMaterial* out, std::string* error) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) {
    *error = "cannot make an EC P-256 key";
    return false;
  }
  unsigned char serial[16];
  ntlm::Status random = ntlm::SystemEnvironment().Random(serial);
  (void)random;  // a fixed serial would do as well for a throwaway certificate
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  const bool serial_ok = bn != nullptr &&
                         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);

  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool ok =
      serial_ok && X509_set_version(cert.get(), 2) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") &&
      AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) {
    *error = "cannot build the self-signed certificate";
    return false;
  }

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (cert_bio == nullptr || key_bio == nullptr ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      !LeafDer(cert.get(), &out->leaf_der)) {
    *error = "cannot write the self-signed certificate";
    return false;
  }
  out->cert_pem = BioText(cert_bio.get());
  out->key_pem = BioText(key_bio.get());
  return true;
}

bool LoadPemFiles(const std::string& cert_file, const std::string& key_file, TlsMaterial* out,
                  std::string* error) {
  if (!ReadPemFile("--tls-cert", cert_file, &out->cert_pem, error) ||
      !ReadPemFile("--tls-key", key_file, &out->key_pem, error)) {
    return false;
  }
  // ReadPemFile read at most kMaxPemBytes, which an int holds (the static_assert above).
  BioPtr bio(BIO_new_mem_buf(out->cert_pem.data(), static_cast<int>(out->cert_pem.size())));
  X509Ptr leaf(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (leaf == nullptr || !LeafDer(leaf.get(), &out->leaf_der)) {
    *error = "--tls-cert: " + cert_file + " holds no PEM certificate";
    return false;
  }
  return true;
}

}  // namespace ntlmh::mock
