// Fuzz target: differential test of the engine's own crypto (engine/crypto/) against OpenSSL 3:
// MD4 (RFC 1320), MD5 (RFC 1321), HMAC-MD5 (RFC 2104), single-block DES (FIPS 46-3) and RC4;
// and CRC-32 against a bit-at-a-time reference written here.
//
// OpenSSL runs in its own OSSL_LIB_CTX with the "default" and "legacy" providers loaded (MD4,
// DES and RC4 live only in "legacy"), as engine/crypto/openssl_oracle_test_util.h does for the
// unit tests, so the process-wide context the engine uses for its CSPRNG stays as configured.
// That context is set up once, on the first input, and never changed: the only state kept
// between runs. When "legacy" cannot be loaded the target stops on the first input with the
// reason (a missing oracle must not pass as a clean run); set OPENSSL_MODULES to the directory
// holding legacy.so.
//
// Input: [seed u8][key_len u8][key: key_len bytes][data: the rest].
// Oracle (any difference aborts):
//   - MD4(data), MD5(data), HMAC-MD5(key, data): one-shot, streamed in pieces cut by |seed|,
//     and OpenSSL agree;
//   - DES: for the 8-byte key (key, zero-padded) and each whole 8-byte block of data,
//     DesEncryptBlock and DesDecryptBlock agree with OpenSSL's DES-ECB, and decrypt(encrypt(b))
//     is b; DesExpandKey56 of the key's first 7 bytes spreads its 56 bits 7 to a byte, high bit
//     first, with odd parity in each low bit;
//   - RC4(key, data) agrees with OpenSSL one-shot, streamed in pieces and in place; an empty
//     key is the one-byte key 00 (engine/crypto/rc4.h);
//   - Crc32(data) equals the reference, and Crc32 continues across any split.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/crypto/crc32.h"
#include "engine/crypto/des.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/md4.h"
#include "engine/crypto/md5.h"
#include "engine/crypto/rc4.h"
#include "fuzz/fuzz_util.h"

namespace {

using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::fuzz::HexDiff;
using ntlm::fuzz::SameBytes;

class OpenSsl {
 public:
  // Set up on first use; never torn down (the process ends with the fuzzer).
  static OpenSsl& Get() {
    static OpenSsl* oracle = new OpenSsl();
    return *oracle;
  }

  Bytes Digest(bool md4, ByteView data) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    const bool ok =
        EVP_Digest(data.data(), data.size(), out.data(), &len, md4 ? md4_ : md5_, nullptr) == 1;
    Check(ok, md4 ? "MD4" : "MD5");
    out.resize(len);
    return out;
  }

  Bytes HmacMd5(ByteView key, ByteView data) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_);
    char digest[] = "MD5";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    // EVP_MAC_init reads a null key as "keep the old key": pass a real pointer for length 0.
    static const uint8_t kNoKey = 0;
    Bytes out(EVP_MAX_MD_SIZE);
    size_t len = 0;
    const bool ok =
        ctx != nullptr &&
        EVP_MAC_init(ctx, key.empty() ? &kNoKey : key.data(), key.size(), params) == 1 &&
        EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
        EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    Check(ok, "HMAC-MD5");
    out.resize(len);
    return out;
  }

  // DES-ECB over whole blocks, or RC4 with a key of any length 1..256.
  Bytes Cipher(bool rc4, ByteView key, ByteView data, bool encrypt) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Bytes out(data.size() + 16);
    int len = 0;
    int final_len = 0;
    const int enc = encrypt ? 1 : 0;
    bool ok = ctx != nullptr &&
              EVP_CipherInit_ex2(ctx, rc4 ? rc4_ : des_, nullptr, nullptr, enc, nullptr) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
    if (ok && rc4) {
      ok = EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size())) == 1;
    }
    ok = ok && EVP_CipherInit_ex2(ctx, nullptr, key.data(), nullptr, enc, nullptr) == 1;
    if (ok && !data.empty()) {
      ok = EVP_CipherUpdate(ctx, out.data(), &len, data.data(), static_cast<int>(data.size())) == 1;
    }
    ok = ok && EVP_CipherFinal_ex(ctx, out.data() + len, &final_len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    Check(ok, rc4 ? "RC4" : "DES-ECB");
    out.resize(static_cast<size_t>(len + final_len));
    return out;
  }

 private:
  OpenSsl() {
    libctx_ = OSSL_LIB_CTX_new();
    if (libctx_ == nullptr || OSSL_PROVIDER_load(libctx_, "default") == nullptr) {
      Fail("could not set up an OpenSSL library context with the 'default' provider");
    }
    if (OSSL_PROVIDER_load(libctx_, "legacy") == nullptr) {
      Fail(
          "could not load OpenSSL's 'legacy' provider (MD4, DES, RC4); set OPENSSL_MODULES to "
          "the directory holding legacy.so");
    }
    md4_ = EVP_MD_fetch(libctx_, "MD4", nullptr);
    md5_ = EVP_MD_fetch(libctx_, "MD5", nullptr);
    hmac_ = EVP_MAC_fetch(libctx_, "HMAC", nullptr);
    des_ = EVP_CIPHER_fetch(libctx_, "DES-ECB", nullptr);
    rc4_ = EVP_CIPHER_fetch(libctx_, "RC4", nullptr);
    if (md4_ == nullptr || md5_ == nullptr || hmac_ == nullptr || des_ == nullptr ||
        rc4_ == nullptr) {
      Fail("could not fetch MD4, MD5, HMAC, DES-ECB and RC4 from OpenSSL");
    }
  }

  [[noreturn]] static void Fail(const char* what) {
    unsigned long code = ERR_get_error();
    char buf[256] = "no OpenSSL error queued";
    if (code != 0) {
      ERR_error_string_n(code, buf, sizeof(buf));
    }
    std::fprintf(stderr, "crypto_diff: %s: %s\n", what, buf);
    std::abort();
  }
  static void Check(bool ok, const char* what) {
    if (!ok) {
      Fail(what);  // the oracle itself failed: not a finding about the engine, but stop
    }
  }

  OSSL_LIB_CTX* libctx_ = nullptr;
  EVP_MD* md4_ = nullptr;
  EVP_MD* md5_ = nullptr;
  EVP_MAC* hmac_ = nullptr;
  EVP_CIPHER* des_ = nullptr;
  EVP_CIPHER* rc4_ = nullptr;
};

// Cuts |data| into pieces (some empty, some longer than a 64-byte block) from |seed|.
std::vector<ByteView> Pieces(uint8_t seed, ByteView data) {
  std::vector<ByteView> out;
  uint32_t state = 0x9e3779b9u ^ seed;
  size_t pos = 0;
  while (pos < data.size()) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const size_t limit = (state & 3) == 0 ? 150 : 17;
    size_t len = (state >> 8) % (limit + 1);
    len = len < data.size() - pos ? len : data.size() - pos;
    out.push_back(data.subspan(pos, len));
    pos += len;
  }
  out.push_back(data.subspan(data.size()));
  return out;
}

template <typename Streaming, typename... Args>
Bytes Stream(const std::vector<ByteView>& pieces, Args&&... args) {
  Streaming s(std::forward<Args>(args)...);
  for (ByteView p : pieces) {
    s.Update(p);
  }
  const auto d = s.Final();
  return Bytes(d.begin(), d.end());
}

void CheckHashes(const std::vector<ByteView>& pieces, ByteView key, ByteView data) {
  OpenSsl& ossl = OpenSsl::Get();
  namespace c = ntlm::crypto;

  const auto md4 = c::Md4Hash(data);
  const Bytes want_md4 = ossl.Digest(true, data);
  FUZZ_CHECK(SameBytes(want_md4, md4), "MD4: " + HexDiff(want_md4, md4));
  const Bytes md4_streamed = Stream<c::Md4>(pieces);
  FUZZ_CHECK(SameBytes(want_md4, md4_streamed), "MD4 streamed: " + HexDiff(want_md4, md4_streamed));

  const auto md5 = c::Md5Hash(data);
  const Bytes want_md5 = ossl.Digest(false, data);
  FUZZ_CHECK(SameBytes(want_md5, md5), "MD5: " + HexDiff(want_md5, md5));
  const Bytes md5_streamed = Stream<c::Md5>(pieces);
  FUZZ_CHECK(SameBytes(want_md5, md5_streamed), "MD5 streamed: " + HexDiff(want_md5, md5_streamed));

  const auto hmac = c::HmacMd5Digest(key, data);
  const Bytes want_hmac = ossl.HmacMd5(key, data);
  FUZZ_CHECK(SameBytes(want_hmac, hmac), "HMAC-MD5 (key " + std::to_string(key.size()) +
                                             " bytes): " + HexDiff(want_hmac, hmac));
  const Bytes hmac_streamed = Stream<c::HmacMd5>(pieces, key);
  FUZZ_CHECK(SameBytes(want_hmac, hmac_streamed),
             "HMAC-MD5 streamed: " + HexDiff(want_hmac, hmac_streamed));
}

void CheckDes(ByteView key, ByteView data) {
  OpenSsl& ossl = OpenSsl::Get();
  namespace c = ntlm::crypto;

  uint8_t key8[8] = {};
  for (size_t i = 0; i < 8 && i < key.size(); ++i) {
    key8[i] = key[i];
  }
  const std::span<const uint8_t, 8> k(key8, 8);
  for (size_t off = 0; off + 8 <= data.size() && off < 512; off += 8) {
    const std::span<const uint8_t, 8> block(data.data() + off, 8);
    const c::DesBlock enc = c::DesEncryptBlock(k, block);
    const Bytes want_enc = ossl.Cipher(false, ByteView(key8, 8), block, true);
    FUZZ_CHECK(SameBytes(want_enc, enc), "DES encrypt, key " + ntlm::ToHex(ByteView(key8, 8)) +
                                             ": " + HexDiff(want_enc, enc));
    const c::DesBlock dec = c::DesDecryptBlock(k, block);
    const Bytes want_dec = ossl.Cipher(false, ByteView(key8, 8), block, false);
    FUZZ_CHECK(SameBytes(want_dec, dec), "DES decrypt, key " + ntlm::ToHex(ByteView(key8, 8)) +
                                             ": " + HexDiff(want_dec, dec));
    const c::DesBlock back = c::DesDecryptBlock(k, enc);
    FUZZ_CHECK(SameBytes(block, back), "DES decrypt(encrypt(b)) != b");
  }

  // The 7-to-8 key spreading of [MS-NLMP] 6, bit by bit.
  uint8_t key7[7] = {};
  for (size_t i = 0; i < 7 && i < key.size(); ++i) {
    key7[i] = key[i];
  }
  const c::DesBlock spread = c::DesExpandKey56(std::span<const uint8_t, 7>(key7, 7));
  uint8_t want[8] = {};
  for (int bit = 0; bit < 56; ++bit) {
    const int in = (key7[bit / 8] >> (7 - bit % 8)) & 1;
    want[bit / 7] = static_cast<uint8_t>(want[bit / 7] | (in << (7 - bit % 7)));
  }
  for (uint8_t& b : want) {
    int ones = 0;
    for (int i = 1; i < 8; ++i) {
      ones += (b >> i) & 1;
    }
    b = static_cast<uint8_t>(b | ((ones % 2 == 0) ? 1 : 0));  // odd parity
  }
  FUZZ_CHECK(SameBytes(ByteView(want, 8), spread), "DesExpandKey56(" +
                                                       ntlm::ToHex(ByteView(key7, 7)) +
                                                       "): " + HexDiff(ByteView(want, 8), spread));
}

void CheckRc4(const std::vector<ByteView>& pieces, ByteView key, ByteView data) {
  static const uint8_t kZeroKey[1] = {0};
  const ByteView oracle_key = key.empty() ? ByteView(kZeroKey, 1) : key;
  const Bytes want = OpenSsl::Get().Cipher(true, oracle_key, data, true);

  Bytes once(data.size());
  ntlm::crypto::Rc4(key).Process(data, once);
  FUZZ_CHECK(want == once,
             "RC4 (key " + std::to_string(key.size()) + " bytes): " + HexDiff(want, once));

  ntlm::crypto::Rc4 streaming(key);
  Bytes streamed;
  for (ByteView p : pieces) {
    Bytes out(p.size());
    streaming.Process(p, out);
    streamed.insert(streamed.end(), out.begin(), out.end());
  }
  FUZZ_CHECK(want == streamed, "RC4 streamed: " + HexDiff(want, streamed));

  Bytes in_place(data.begin(), data.end());
  ntlm::crypto::Rc4(key).ProcessInPlace(in_place);
  FUZZ_CHECK(want == in_place, "RC4 in place: " + HexDiff(want, in_place));
}

uint32_t ReferenceCrc32(ByteView data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0xEDB88320u : 0);
    }
  }
  return ~crc;
}

void CheckCrc32(uint8_t seed, ByteView data) {
  const uint32_t want = ReferenceCrc32(data);
  const uint32_t got = ntlm::crypto::Crc32(data);
  FUZZ_CHECK(want == got,
             "CRC-32: expected " + std::to_string(want) + " got " + std::to_string(got));
  const size_t split = data.empty() ? 0 : seed % (data.size() + 1);
  const uint32_t continued =
      ntlm::crypto::Crc32(data.subspan(split), ntlm::crypto::Crc32(data.first(split)));
  FUZZ_CHECK(continued == want,
             "CRC-32 continued at " + std::to_string(split) + ": " + std::to_string(continued));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntlm::fuzz::InputSplitter in(ByteView(data, size));
  const uint8_t seed = in.U8();
  const ByteView key = in.Piece(255);
  const ByteView rest = in.Rest();
  const std::vector<ByteView> pieces = Pieces(seed, rest);

  CheckHashes(pieces, key, rest);
  CheckDes(key, rest);
  CheckRc4(pieces, key, rest);
  CheckCrc32(seed, rest);
  return 0;
}
