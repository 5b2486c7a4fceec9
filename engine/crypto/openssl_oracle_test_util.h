// Test-only helpers for the crypto tests: OpenSSL 3 as an independent oracle for MD4, MD5,
// HMAC-MD5, DES-ECB and RC4, and the seeded random inputs the differential tests feed it.
//
// The oracle runs in its own OSSL_LIB_CTX with the "default" and "legacy" providers loaded
// programmatically (MD4, single DES and RC4 live only in "legacy" in OpenSSL 3). A private
// context leaves the process-wide default context, which the engine itself uses for its CSPRNG
// and SHA-256, exactly as the system configured it.
//
// Example:
//   auto& oracle = test_util::OpenSslOracle::Get();
//   ASSERT_TRUE(oracle.Ready());  // fails the test, with the reason, when legacy is missing
//   EXPECT_EQ(ToHex(Md4Hash(data)), ToHex(oracle.Md4(data)));
#ifndef NTLM_ENGINE_CRYPTO_OPENSSL_ORACLE_TEST_UTIL_H_
#define NTLM_ENGINE_CRYPTO_OPENSSL_ORACLE_TEST_UTIL_H_

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bytes.h"

namespace ntlm::crypto::test_util {

// Seed of every differential test's std::mt19937, so that a failure reproduces exactly.
inline constexpr uint32_t kRandomSeed = 0x4e544c4d;  // "NTLM"

// The largest input length the differential tests try, every length from 0 up to it.
inline constexpr size_t kMaxDifferentialLength = 300;

// Hex to bytes; a bad string fails the current test.
inline Bytes Unhex(std::string_view hex) {
  Bytes out;
  EXPECT_TRUE(FromHex(hex, &out)) << "bad hex in test: " << hex;
  return out;
}

// Random bytes and sizes drawn straight from the engine's output, not through
// std::uniform_int_distribution, whose results differ between standard libraries: the same seed
// gives the same inputs everywhere.
inline Bytes RandomBytes(std::mt19937& rng, size_t n) {
  Bytes out(n);
  for (auto& b : out) {
    b = static_cast<uint8_t>(rng());
  }
  return out;
}

// A size in [lo, hi].
inline size_t RandomSize(std::mt19937& rng, size_t lo, size_t hi) {
  return lo + static_cast<size_t>(rng()) % (hi - lo + 1);
}

// Cuts |data| into consecutive pieces at random points; some pieces are empty, some span several
// 64-byte blocks. Used to check that streaming equals one-shot.
inline std::vector<ByteView> RandomPieces(std::mt19937& rng, ByteView data) {
  std::vector<ByteView> pieces;
  size_t pos = 0;
  while (pos < data.size()) {
    // Mostly short pieces, sometimes long ones, sometimes empty ones.
    const size_t limit = (rng() % 4 == 0) ? 150 : 17;
    const size_t len = RandomSize(rng, 0, limit);
    const size_t take = len < data.size() - pos ? len : data.size() - pos;
    pieces.push_back(data.subspan(pos, take));
    pos += take;
  }
  pieces.push_back(data.subspan(data.size()));  // a trailing empty Update
  return pieces;
}

// "3+0+17+150+..." : the sizes of |pieces|, for failure messages.
inline std::string PieceSizes(const std::vector<ByteView>& pieces) {
  std::string out;
  for (ByteView p : pieces) {
    if (!out.empty()) {
      out += '+';
    }
    out += std::to_string(p.size());
  }
  return out;
}

// Feeds |pieces| to a fresh |Streaming| object (Md4, Md5, HmacMd5...) built from |args|, one
// Update per piece, and returns Final().
template <typename Streaming, typename... Args>
auto StreamPieces(const std::vector<ByteView>& pieces, Args&&... args) {
  Streaming s(std::forward<Args>(args)...);
  for (ByteView p : pieces) {
    s.Update(p);
  }
  return s.Final();
}

// Reads and clears OpenSSL's error queue, as one line.
inline std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL error queued") : out;
}

class OpenSslOracle {
 public:
  // The process-wide oracle, set up on first use and torn down at exit.
  static OpenSslOracle& Get() {
    static OpenSslOracle oracle;
    return oracle;
  }

  OpenSslOracle(const OpenSslOracle&) = delete;
  OpenSslOracle& operator=(const OpenSslOracle&) = delete;

  // Success when every algorithm could be fetched; otherwise a failure that says which and why.
  // Differential tests ASSERT on it, so a missing legacy provider fails them instead of
  // silently skipping them.
  ::testing::AssertionResult Ready() const {
    if (load_error_.empty()) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "the OpenSSL oracle is unusable: " << load_error_
           << ". The differential crypto tests need OpenSSL 3's legacy provider (legacy.so in "
              "the modules directory, e.g. /usr/lib/x86_64-linux-gnu/ossl-modules/, or where "
              "OPENSSL_MODULES points).";
  }

  Bytes Md4(ByteView data) { return Digest(md4_, "MD4", data); }
  Bytes Md5(ByteView data) { return Digest(md5_, "MD5", data); }

  Bytes HmacMd5(ByteView key, ByteView data) {
    if (hmac_ == nullptr) {
      ADD_FAILURE() << "HMAC oracle not loaded";
      return {};
    }
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_);
    char digest_name[] = "MD5";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    // A null key pointer means "keep the previous key" to EVP_MAC_init, so an empty key is
    // passed as a valid pointer with length 0.
    static const uint8_t kNoKey = 0;
    const uint8_t* key_ptr = key.empty() ? &kNoKey : key.data();
    Bytes out(EVP_MAX_MD_SIZE);
    size_t out_len = 0;
    const bool ok = ctx != nullptr && EVP_MAC_init(ctx, key_ptr, key.size(), params) == 1 &&
                    EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
                    EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
      ADD_FAILURE() << "OpenSSL HMAC-MD5 failed: " << DrainOpenSslErrors();
      return {};
    }
    out.resize(out_len);
    return out;
  }

  // DES in ECB mode without padding over whole 8-byte blocks (|data.size()| a multiple of 8).
  Bytes DesEcb(ByteView key8, ByteView data, bool encrypt) {
    if (key8.size() != 8 || data.size() % 8 != 0) {
      ADD_FAILURE() << "DesEcb oracle misused: key " << key8.size() << " bytes, data "
                    << data.size() << " bytes";
      return {};
    }
    return RunCipher(des_ecb_, "DES-ECB", key8, data, encrypt, /*set_key_length=*/false);
  }

  // RC4 from a fresh key schedule, with a key of any length from 1 to 256 bytes.
  Bytes Rc4(ByteView key, ByteView data) {
    return RunCipher(rc4_, "RC4", key, data, /*encrypt=*/true, /*set_key_length=*/true);
  }

 private:
  OpenSslOracle() {
    libctx_ = OSSL_LIB_CTX_new();
    if (libctx_ == nullptr) {
      load_error_ = "OSSL_LIB_CTX_new failed: " + DrainOpenSslErrors();
      return;
    }
    default_ = OSSL_PROVIDER_load(libctx_, "default");
    if (default_ == nullptr) {
      load_error_ = "could not load the 'default' provider: " + DrainOpenSslErrors();
      return;
    }
    legacy_ = OSSL_PROVIDER_load(libctx_, "legacy");
    if (legacy_ == nullptr) {
      load_error_ = "could not load the 'legacy' provider: " + DrainOpenSslErrors();
      return;
    }
    md4_ = EVP_MD_fetch(libctx_, "MD4", nullptr);
    md5_ = EVP_MD_fetch(libctx_, "MD5", nullptr);
    hmac_ = EVP_MAC_fetch(libctx_, "HMAC", nullptr);
    des_ecb_ = EVP_CIPHER_fetch(libctx_, "DES-ECB", nullptr);
    rc4_ = EVP_CIPHER_fetch(libctx_, "RC4", nullptr);
    std::string missing;
    for (const auto& [ptr, name] : {std::pair<const void*, const char*>{md4_, "MD4"},
                                    {md5_, "MD5"},
                                    {hmac_, "HMAC"},
                                    {des_ecb_, "DES-ECB"},
                                    {rc4_, "RC4"}}) {
      if (ptr == nullptr) {
        missing += missing.empty() ? name : std::string(", ") + name;
      }
    }
    if (!missing.empty()) {
      load_error_ = "could not fetch " + missing + ": " + DrainOpenSslErrors();
    }
  }

  // Runs before OpenSSL's own atexit cleanup, which was registered before this object existed.
  ~OpenSslOracle() {
    EVP_CIPHER_free(rc4_);
    EVP_CIPHER_free(des_ecb_);
    EVP_MAC_free(hmac_);
    EVP_MD_free(md5_);
    EVP_MD_free(md4_);
    if (legacy_ != nullptr) {
      OSSL_PROVIDER_unload(legacy_);
    }
    if (default_ != nullptr) {
      OSSL_PROVIDER_unload(default_);
    }
    OSSL_LIB_CTX_free(libctx_);
  }

  Bytes Digest(const EVP_MD* md, const char* name, ByteView data) {
    if (md == nullptr) {
      ADD_FAILURE() << name << " oracle not loaded";
      return {};
    }
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int out_len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &out_len, md, nullptr) != 1) {
      ADD_FAILURE() << "OpenSSL " << name << " failed: " << DrainOpenSslErrors();
      return {};
    }
    out.resize(out_len);
    return out;
  }

  Bytes RunCipher(const EVP_CIPHER* cipher, const char* name, ByteView key, ByteView data,
                  bool encrypt, bool set_key_length) {
    if (cipher == nullptr) {
      ADD_FAILURE() << name << " oracle not loaded";
      return {};
    }
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Bytes out(data.size() + 16);
    int len = 0;
    int final_len = 0;
    const int enc = encrypt ? 1 : 0;
    // The cipher first, then (for RC4) the key length, then the key itself.
    bool ok = ctx != nullptr &&
              EVP_CipherInit_ex2(ctx, cipher, nullptr, nullptr, enc, nullptr) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
    if (ok && set_key_length) {
      ok = EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size())) == 1;
    }
    ok = ok && EVP_CipherInit_ex2(ctx, nullptr, key.data(), nullptr, enc, nullptr) == 1;
    if (ok && !data.empty()) {
      ok = EVP_CipherUpdate(ctx, out.data(), &len, data.data(), static_cast<int>(data.size())) == 1;
    }
    ok = ok && EVP_CipherFinal_ex(ctx, out.data() + len, &final_len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
      ADD_FAILURE() << "OpenSSL " << name << " failed (key " << key.size() << " bytes, data "
                    << data.size() << " bytes): " << DrainOpenSslErrors();
      return {};
    }
    out.resize(static_cast<size_t>(len + final_len));
    return out;
  }

  std::string load_error_;
  OSSL_LIB_CTX* libctx_ = nullptr;
  OSSL_PROVIDER* default_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
  EVP_MD* md4_ = nullptr;
  EVP_MD* md5_ = nullptr;
  EVP_MAC* hmac_ = nullptr;
  EVP_CIPHER* des_ecb_ = nullptr;
  EVP_CIPHER* rc4_ = nullptr;
};

}  // namespace ntlm::crypto::test_util

#endif  // NTLM_ENGINE_CRYPTO_OPENSSL_ORACLE_TEST_UTIL_H_
