// ntlmh_bench: the NTLM hot path against OpenSSL 3, side by side in one binary (issue #8).
//
// Naming, which bench/run.sh and bench/report.py rely on:
//   BM_<Kernel>_Engine          the engine's code
//   BM_<Kernel>_OpenSSL[_<How>] a baseline over exactly the same inputs
//   BM_<Kernel>                 a benchmark without a baseline (compressions, decoders, ...)
// Each benchmark that is made of MD4/MD5 compressions says how many it needs at least in its
// "md4_blocks" / "md5_blocks" counters: its floor is that count times the measured time of
// BM_Md4Compress / BM_Md5Compress. Key schedules that a server computes once per key (the HMAC
// inner and outer states, RFC 2104 4) are counted once per key.
//
// Every input is fixed: the same bytes every run, for the engine and for OpenSSL.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/bytes.h"
#include "engine/client.h"
#include "engine/compute.h"
#include "engine/credentials.h"
#include "engine/crypto/des.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/md4.h"
#include "engine/crypto/md5.h"
#include "engine/crypto/ntlmv2.h"
#include "engine/crypto/rc4.h"
#include "engine/flags.h"
#include "engine/internal/test_seam.h"
#include "engine/messages.h"
#include "engine/server.h"
#include "engine/session.h"
#include "engine/text.h"

namespace ntlm::bench {
namespace {

// --- fixed inputs --------------------------------------------------------------------------

// A 16-character password: its UTF-16LE form is 32 bytes, one MD4 block (RFC 1320 3.1-3.2).
constexpr std::string_view kPassword = "Tr0ub4dor&3horse";
constexpr std::string_view kUser = "Administrator";
constexpr std::string_view kDomain = "CONTOSO";
constexpr std::array<uint8_t, 8> kServerChallenge = {0x01, 0x23, 0x45, 0x67,
                                                     0x89, 0xab, 0xcd, 0xef};
constexpr std::array<uint8_t, 8> kClientChallenge = {0xaa, 0xaa, 0xaa, 0xaa,
                                                     0xaa, 0xaa, 0xaa, 0xaa};
constexpr uint64_t kTimestamp = 0x01d9a0b0c0d0e0f0ull;  // a FILETIME in 2023
// The AV pairs of temp: sized so that temp is 200 bytes ([MS-NLMP] 2.2.2.7: 28 + pairs + 4).
constexpr size_t kTempSize = 200;
constexpr size_t kSealMessageSize = 512;  // a sealed RPC/HTTP payload

void Die(const char* what) {
  std::fprintf(stderr, "ntlmh_bench: %s\n", what);
  std::exit(2);
}

Bytes Utf16(std::string_view s) {
  Result<Bytes> r = text::Utf8ToUtf16Le(s);
  if (!r.ok()) {
    Die("UTF-16 conversion failed");
  }
  return *r;
}

// Everything the kernels read, computed once.
struct Inputs {
  Bytes password16;  // UNICODE(Passwd)
  Key16 nt_hash{};   // NTOWFv1
  Bytes identity;    // UNICODE(Uppercase(User) || UserDom), [MS-NLMP] 3.3.2
  Key16 response_key{};
  Bytes temp;  // NTLMv2_CLIENT_CHALLENGE, kTempSize bytes
  Key16 nt_proof_str{};
  Key16 session_base_key{};
  Key16 exported_session_key{};
  Key16 encrypted_session_key{};
  Bytes seal_message;
  // One NTLMv2 handshake's messages (NEGOTIATE, CHALLENGE, AUTHENTICATE with its MIC zeroed).
  Bytes negotiate, challenge, authenticate, authenticate_zeroed;
};

Bytes BuildTemp() {
  // AV pairs (2.2.2.1): NbDomainName, NbComputerName, DnsDomainName, DnsComputerName,
  // Timestamp, Flags, then padding in a DnsTreeName to reach the size, then MsvAvEOL.
  Bytes pairs;
  auto add = [&](uint16_t id, ByteView value) {
    const uint8_t h[4] = {static_cast<uint8_t>(id), static_cast<uint8_t>(id >> 8),
                          static_cast<uint8_t>(value.size()),
                          static_cast<uint8_t>(value.size() >> 8)};
    pairs.insert(pairs.end(), h, h + 4);
    pairs.insert(pairs.end(), value.begin(), value.end());
  };
  add(2, Utf16("CONTOSO"));
  add(1, Utf16("WEB01"));
  add(4, Utf16("contoso.test"));
  add(3, Utf16("web01.contoso.test"));
  uint8_t ts[8];
  StoreU32Le(ts, static_cast<uint32_t>(kTimestamp));
  StoreU32Le(ts + 4, static_cast<uint32_t>(kTimestamp >> 32));
  add(7, ByteView(ts, 8));
  const uint8_t flags[4] = {2, 0, 0, 0};
  add(6, ByteView(flags, 4));
  const size_t fixed = kNtlmV2TempHeaderSize + 4 + pairs.size() + 4 /*tree hdr*/ + 4 /*EOL*/;
  add(5, Bytes(kTempSize - fixed, 'x'));
  add(0, {});

  NtlmV2Temp t;
  t.timestamp = kTimestamp;
  t.client_challenge = kClientChallenge;
  t.server_name = pairs;
  const auto header = NtlmV2TempHeader(t);
  // Laid out with memcpy: GCC 12 at -O2 reports a false -Warray-bounds for vector::insert here.
  Bytes temp(header.size() + pairs.size() + 4, 0);
  std::memcpy(temp.data(), header.data(), header.size());
  std::memcpy(temp.data() + header.size(), pairs.data(), pairs.size());
  if (temp.size() != kTempSize) {
    Die("temp has the wrong size");
  }
  return temp;
}

void BuildHandshakeMessages(Inputs* in);

const Inputs& In() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    in->password16 = Utf16(kPassword);
    Result<Key16> nt = NtOwfV1(kPassword);
    Result<std::string> upper = text::ToUpperUtf8(kUser);
    if (!nt.ok() || !upper.ok()) {
      Die("input setup failed");
    }
    in->nt_hash = *nt;
    in->identity = Utf16(*upper + std::string(kDomain));
    Result<Key16> key = NtOwfV2(in->nt_hash, kUser, kDomain);
    if (!key.ok()) {
      Die("NTOWFv2 failed");
    }
    in->response_key = *key;
    in->temp = BuildTemp();
    in->nt_proof_str = NtProofStrOverTemp(in->response_key, kServerChallenge, in->temp);
    in->session_base_key = NtlmV2SessionBaseKey(in->response_key, in->nt_proof_str);
    in->exported_session_key.fill(0x55);
    in->encrypted_session_key =
        EncryptRandomSessionKey(in->session_base_key, in->exported_session_key);
    in->seal_message.resize(kSealMessageSize);
    for (size_t i = 0; i < in->seal_message.size(); ++i) {
      in->seal_message[i] = static_cast<uint8_t>(i * 7 + 3);
    }
    BuildHandshakeMessages(in);
    return in;
  }();
  return *inputs;
}

// --- OpenSSL baselines: fetched once, as a careful OpenSSL user would -----------------------

struct OpenSsl {
  EVP_MD* md4 = nullptr;
  EVP_MD* md5 = nullptr;
  EVP_MAC* hmac = nullptr;
  EVP_CIPHER* des_ecb = nullptr;
  EVP_CIPHER* rc4 = nullptr;
};

const OpenSsl& Ossl() {
  static const OpenSsl* o = [] {
    // MD4, single DES and RC4 live in the legacy provider (OpenSSL 3).
    if (OSSL_PROVIDER_load(nullptr, "legacy") == nullptr ||
        OSSL_PROVIDER_load(nullptr, "default") == nullptr) {
      Die("cannot load OpenSSL's legacy and default providers");
    }
    auto* s = new OpenSsl;
    s->md4 = EVP_MD_fetch(nullptr, "MD4", nullptr);
    s->md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    s->hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    s->des_ecb = EVP_CIPHER_fetch(nullptr, "DES-ECB", nullptr);
    s->rc4 = EVP_CIPHER_fetch(nullptr, "RC4", nullptr);
    if (s->md4 == nullptr || s->md5 == nullptr || s->hmac == nullptr || s->des_ecb == nullptr ||
        s->rc4 == nullptr) {
      Die("an OpenSSL algorithm could not be fetched");
    }
    return s;
  }();
  return *o;
}

// An EVP_MAC_CTX for HMAC-MD5, reused across calls (only the key changes).
class EvpHmacMd5 {
 public:
  EvpHmacMd5() : ctx_(EVP_MAC_CTX_new(Ossl().hmac)) {
    char digest[] = "MD5";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx_ == nullptr || EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      Die("EVP_MAC HMAC-MD5 setup failed");
    }
  }
  ~EvpHmacMd5() { EVP_MAC_CTX_free(ctx_); }
  EvpHmacMd5(const EvpHmacMd5&) = delete;
  EvpHmacMd5& operator=(const EvpHmacMd5&) = delete;

  void Init(ByteView key) {
    if (EVP_MAC_init(ctx_, key.data(), key.size(), nullptr) != 1) {
      Die("EVP_MAC_init failed");
    }
  }
  void Update(ByteView data) { EVP_MAC_update(ctx_, data.data(), data.size()); }
  void Final(uint8_t out[16]) {
    size_t len = 0;
    EVP_MAC_final(ctx_, out, &len, 16);
  }

 private:
  EVP_MAC_CTX* ctx_;
};

// An EVP_CIPHER_CTX, reused.
class EvpCipher {
 public:
  EvpCipher() : ctx_(EVP_CIPHER_CTX_new()) {}
  ~EvpCipher() { EVP_CIPHER_CTX_free(ctx_); }
  EvpCipher(const EvpCipher&) = delete;
  EvpCipher& operator=(const EvpCipher&) = delete;

  void Init(const EVP_CIPHER* cipher, ByteView key) {
    if (EVP_EncryptInit_ex2(ctx_, cipher, key.data(), nullptr, nullptr) != 1) {
      Die("EVP_EncryptInit_ex2 failed");
    }
    EVP_CIPHER_CTX_set_padding(ctx_, 0);
  }
  void Rekey(ByteView key) {
    if (EVP_EncryptInit_ex2(ctx_, nullptr, key.data(), nullptr, nullptr) != 1) {
      Die("EVP_EncryptInit_ex2 (rekey) failed");
    }
  }
  void Process(ByteView in, uint8_t* out) {
    int len = 0;
    EVP_EncryptUpdate(ctx_, out, &len, in.data(), static_cast<int>(in.size()));
  }

 private:
  EVP_CIPHER_CTX* ctx_;
};

// The 7-to-8 byte DES key spreading of [MS-NLMP] 6, for the OpenSSL side (OpenSSL has none).
std::array<uint8_t, 8> SpreadKey7(const uint8_t* k) {
  std::array<uint8_t, 8> out;
  out[0] = k[0];
  out[1] = static_cast<uint8_t>((k[0] << 7) | (k[1] >> 1));
  out[2] = static_cast<uint8_t>((k[1] << 6) | (k[2] >> 2));
  out[3] = static_cast<uint8_t>((k[2] << 5) | (k[3] >> 3));
  out[4] = static_cast<uint8_t>((k[3] << 4) | (k[4] >> 4));
  out[5] = static_cast<uint8_t>((k[4] << 3) | (k[5] >> 5));
  out[6] = static_cast<uint8_t>((k[5] << 2) | (k[6] >> 6));
  out[7] = static_cast<uint8_t>(k[6] << 1);
  return out;  // parity bits are ignored by DES
}

// DESL of [MS-NLMP] 6 over EVP DES-ECB, the key rescheduled for each of the three blocks.
void OpenSslDesl(EvpCipher* c, const Key16& key, ByteView data, uint8_t out[24]) {
  uint8_t k21[21] = {};
  std::memcpy(k21, key.data(), 16);
  for (int i = 0; i < 3; ++i) {
    const auto k8 = SpreadKey7(k21 + 7 * i);
    c->Rekey(k8);
    c->Process(data, out + 8 * i);
  }
}

void SetBlocks(benchmark::State& state, int md4, int md5) {
  if (md4 > 0) {
    state.counters["md4_blocks"] = md4;
  }
  if (md5 > 0) {
    state.counters["md5_blocks"] = md5;
  }
}

// MD5 blocks of an HMAC over |len| bytes with the key's inner/outer states already known.
int HmacBlocks(size_t len) { return static_cast<int>((64 + len + 9 + 63) / 64 - 1 + 1); }

// --- compression floors --------------------------------------------------------------------

void BM_Md4Compress(benchmark::State& state) {
  uint32_t s[4] = {1, 2, 3, 4};
  alignas(64) uint8_t block[64];
  std::memcpy(block, In().temp.data(), 64);
  for (auto _ : state) {
    crypto::Md4Compress(s, block);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Md4Compress);

void BM_Md5Compress(benchmark::State& state) {
  uint32_t s[4] = {1, 2, 3, 4};
  alignas(64) uint8_t block[64];
  std::memcpy(block, In().temp.data(), 64);
  for (auto _ : state) {
    crypto::Md5Compress(s, block);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Md5Compress);

// --- NT hash, [MS-NLMP] 3.3.1: MD4(UNICODE(Passwd)) of a 16-character password ------------

void BM_NtHash_Engine(benchmark::State& state) {
  const Bytes& pw = In().password16;
  for (auto _ : state) {
    crypto::Md4Digest d = crypto::Md4Hash(pw);
    benchmark::DoNotOptimize(d);
  }
  SetBlocks(state, 1, 0);
}
BENCHMARK(BM_NtHash_Engine);

void BM_NtHash_OpenSSL(benchmark::State& state) {
  const Bytes& pw = In().password16;
  const EVP_MD* md4 = Ossl().md4;
  for (auto _ : state) {
    uint8_t d[16];
    unsigned int len = 0;
    EVP_Digest(pw.data(), pw.size(), d, &len, md4, nullptr);
    benchmark::DoNotOptimize(d);
  }
  SetBlocks(state, 1, 0);
}
BENCHMARK(BM_NtHash_OpenSSL);

// --- NTOWFv2, [MS-NLMP] 3.3.2, from the NT hash and UNICODE(Uppercase(User) || UserDom) ------

void BM_NtOwfV2_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    crypto::Md5Digest d = crypto::HmacMd5Digest(in.nt_hash, in.identity);
    benchmark::DoNotOptimize(d);
  }
  SetBlocks(state, 0, 2 + HmacBlocks(in.identity.size()));
}
BENCHMARK(BM_NtOwfV2_Engine);

void BM_NtOwfV2_OpenSSL_EVPMAC(benchmark::State& state) {
  const Inputs& in = In();
  EvpHmacMd5 mac;
  for (auto _ : state) {
    uint8_t d[16];
    mac.Init(in.nt_hash);
    mac.Update(in.identity);
    mac.Final(d);
    benchmark::DoNotOptimize(d);
  }
  SetBlocks(state, 0, 2 + HmacBlocks(in.identity.size()));
}
BENCHMARK(BM_NtOwfV2_OpenSSL_EVPMAC);

// --- NTLMv2 response, [MS-NLMP] 3.3.2: NTOWFv2, NTProofStr, SessionBaseKey ------------------

void BM_NtlmV2Response_Engine(benchmark::State& state) {
  const Inputs& in = In();
  crypto::NtlmV2Job job;
  job.nt_hash = in.nt_hash;
  job.server_challenge = kServerChallenge;
  job.identity = in.identity;
  job.temp = in.temp;
  for (auto _ : state) {
    crypto::NtlmV2Result r;
    crypto::ComputeNtlmV2(job, &r);
    benchmark::DoNotOptimize(r);
  }
  // NTOWFv2: 2 + 2; NTProofStr: 2 + HMAC over 8 + |temp|; SessionBaseKey: HMAC over 16.
  SetBlocks(
      state, 0,
      2 + HmacBlocks(in.identity.size()) + 2 + HmacBlocks(8 + in.temp.size()) + HmacBlocks(16));
  state.counters["temp_bytes"] = static_cast<double>(in.temp.size());
}
BENCHMARK(BM_NtlmV2Response_Engine);

void BM_NtlmV2Response_OpenSSL_EVPMAC(benchmark::State& state) {
  const Inputs& in = In();
  EvpHmacMd5 mac;
  for (auto _ : state) {
    uint8_t key[16], proof[16], base[16];
    mac.Init(in.nt_hash);
    mac.Update(in.identity);
    mac.Final(key);
    mac.Init(ByteView(key, 16));
    mac.Update(kServerChallenge);
    mac.Update(in.temp);
    mac.Final(proof);
    mac.Init(ByteView(key, 16));
    mac.Update(ByteView(proof, 16));
    mac.Final(base);
    benchmark::DoNotOptimize(base);
  }
  SetBlocks(
      state, 0,
      2 + HmacBlocks(in.identity.size()) + 2 + HmacBlocks(8 + in.temp.size()) + HmacBlocks(16));
}
BENCHMARK(BM_NtlmV2Response_OpenSSL_EVPMAC);

void BM_NtlmV2Response_OpenSSL_HMAC(benchmark::State& state) {
  const Inputs& in = In();
  Bytes proof_input(kServerChallenge.begin(), kServerChallenge.end());
  proof_input.insert(proof_input.end(), in.temp.begin(), in.temp.end());
  for (auto _ : state) {
    uint8_t key[16], proof[16], base[16];
    unsigned int len = 0;
    HMAC(EVP_md5(), in.nt_hash.data(), 16, in.identity.data(), in.identity.size(), key, &len);
    // One-shot HMAC() takes one buffer: ServerChallenge || temp laid out beforehand.
    HMAC(EVP_md5(), key, 16, proof_input.data(), proof_input.size(), proof, &len);
    HMAC(EVP_md5(), key, 16, proof, 16, base, &len);
    benchmark::DoNotOptimize(base);
  }
  SetBlocks(
      state, 0,
      2 + HmacBlocks(in.identity.size()) + 2 + HmacBlocks(8 + in.temp.size()) + HmacBlocks(16));
}
BENCHMARK(BM_NtlmV2Response_OpenSSL_HMAC);

// --- LMv2, [MS-NLMP] 3.3.2 -----------------------------------------------------------------

void BM_LmV2Response_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Response24 r = LmV2Response(in.response_key, kServerChallenge, kClientChallenge);
    benchmark::DoNotOptimize(r);
  }
  SetBlocks(state, 0, 2 + HmacBlocks(16));
}
BENCHMARK(BM_LmV2Response_Engine);

void BM_LmV2Response_OpenSSL_EVPMAC(benchmark::State& state) {
  const Inputs& in = In();
  EvpHmacMd5 mac;
  for (auto _ : state) {
    uint8_t r[24];
    mac.Init(in.response_key);
    mac.Update(kServerChallenge);
    mac.Update(kClientChallenge);
    mac.Final(r);
    std::memcpy(r + 16, kClientChallenge.data(), 8);
    benchmark::DoNotOptimize(r);
  }
  SetBlocks(state, 0, 2 + HmacBlocks(16));
}
BENCHMARK(BM_LmV2Response_OpenSSL_EVPMAC);

// --- NTLMv1, NTLMv1 with ESS, LM hash ([MS-NLMP] 3.3.1) ------------------------------------

void BM_NtlmV1Response_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Response24 r = NtlmV1Response(in.nt_hash, kServerChallenge);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_NtlmV1Response_Engine);

void BM_NtlmV1Response_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().des_ecb, Bytes(8, 0));
  for (auto _ : state) {
    uint8_t r[24];
    OpenSslDesl(&c, in.nt_hash, kServerChallenge, r);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_NtlmV1Response_OpenSSL);

void BM_NtlmV1Ess_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    NtlmV1EssResponses r = NtlmV1EssResponse(in.nt_hash, kServerChallenge, kClientChallenge);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_NtlmV1Ess_Engine);

void BM_NtlmV1Ess_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().des_ecb, Bytes(8, 0));
  uint8_t both[16];
  std::memcpy(both, kServerChallenge.data(), 8);
  std::memcpy(both + 8, kClientChallenge.data(), 8);
  for (auto _ : state) {
    uint8_t d[16], r[24];
    unsigned int len = 0;
    EVP_Digest(both, 16, d, &len, Ossl().md5, nullptr);
    OpenSslDesl(&c, in.nt_hash, ByteView(d, 8), r);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_NtlmV1Ess_OpenSSL);

void BM_LmHash_Engine(benchmark::State& state) {
  for (auto _ : state) {
    Result<Key16> r = LmOwfV1("Password");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LmHash_Engine);

void BM_LmHash_OpenSSL(benchmark::State& state) {
  // The same work as LMOWFv1 ([MS-NLMP] 3.3.1): upper-case, pad to 14, two DES of "KGS!@#$%".
  EvpCipher c;
  c.Init(Ossl().des_ecb, Bytes(8, 0));
  static constexpr uint8_t kMagic[8] = {'K', 'G', 'S', '!', '@', '#', '$', '%'};
  const std::string_view pw = "Password";
  for (auto _ : state) {
    uint8_t padded[14] = {};
    for (size_t i = 0; i < pw.size(); ++i) {
      const char ch = pw[i];
      padded[i] = static_cast<uint8_t>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    uint8_t out[16];
    c.Rekey(SpreadKey7(padded));
    c.Process(ByteView(kMagic, 8), out);
    c.Rekey(SpreadKey7(padded + 7));
    c.Process(ByteView(kMagic, 8), out + 8);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_LmHash_OpenSSL);

// --- session keys, [MS-NLMP] 3.4.5: ExportedSessionKey from the wire, SIGNKEY and SEALKEY for
// both directions (ESS, 128-bit, KEY_EXCH) ------------------------------------------------------

constexpr uint32_t kSessionFlags =
    kNegotiateUnicode | kNegotiateNtlm | kNegotiateSign | kNegotiateSeal | kNegotiateAlwaysSign |
    kNegotiateExtendedSessionSecurity | kNegotiate128 | kNegotiateKeyExch | kNegotiate56;

void BM_SessionKeys_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Result<Key16> exported =
        ExportedSessionKeyFromWire(kSessionFlags, in.session_base_key, in.encrypted_session_key);
    std::optional<Key16> sc = SignKey(kSessionFlags, *exported, Side::kClient);
    std::optional<Key16> ss = SignKey(kSessionFlags, *exported, Side::kServer);
    SealKey kc = ComputeSealKey(kSessionFlags, *exported, Side::kClient);
    SealKey ks = ComputeSealKey(kSessionFlags, *exported, Side::kServer);
    benchmark::DoNotOptimize(sc);
    benchmark::DoNotOptimize(ss);
    benchmark::DoNotOptimize(kc);
    benchmark::DoNotOptimize(ks);
  }
  SetBlocks(state, 0, 4 * 2);  // four MD5s of 16 + 59 bytes, two blocks each
}
BENCHMARK(BM_SessionKeys_Engine);

void BM_SessionKeys_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  static constexpr const char* kMagic[4] = {
      "session key to client-to-server signing key magic constant",
      "session key to server-to-client signing key magic constant",
      "session key to client-to-server sealing key magic constant",
      "session key to server-to-client sealing key magic constant"};
  EvpCipher rc4;
  rc4.Init(Ossl().rc4, in.session_base_key);
  for (auto _ : state) {
    uint8_t exported[16];
    rc4.Init(Ossl().rc4, in.session_base_key);
    rc4.Process(in.encrypted_session_key, exported);
    uint8_t keys[4][16];
    for (int k = 0; k < 4; ++k) {
      uint8_t buf[16 + 59];
      std::memcpy(buf, exported, 16);
      std::memcpy(buf + 16, kMagic[k], 59);
      unsigned int len = 0;
      EVP_Digest(buf, sizeof(buf), keys[k], &len, Ossl().md5, nullptr);
    }
    benchmark::DoNotOptimize(keys);
  }
  SetBlocks(state, 0, 4 * 2);
}
BENCHMARK(BM_SessionKeys_OpenSSL);

// --- MIC, [MS-NLMP] 3.1.5.1.2, over one handshake's real messages ---------------------------

int MicBlocks(const Inputs& in) {
  return 2 + HmacBlocks(in.negotiate.size() + in.challenge.size() + in.authenticate_zeroed.size());
}

void BM_Mic_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Key16 mic =
        ComputeMic(in.exported_session_key, in.negotiate, in.challenge, in.authenticate_zeroed);
    benchmark::DoNotOptimize(mic);
  }
  SetBlocks(state, 0, MicBlocks(in));
  state.counters["bytes"] = static_cast<double>(in.negotiate.size() + in.challenge.size() +
                                                in.authenticate_zeroed.size());
}
BENCHMARK(BM_Mic_Engine);

void BM_Mic_OpenSSL_EVPMAC(benchmark::State& state) {
  const Inputs& in = In();
  EvpHmacMd5 mac;
  for (auto _ : state) {
    uint8_t mic[16];
    mac.Init(in.exported_session_key);
    mac.Update(in.negotiate);
    mac.Update(in.challenge);
    mac.Update(in.authenticate_zeroed);
    mac.Final(mic);
    benchmark::DoNotOptimize(mic);
  }
  SetBlocks(state, 0, MicBlocks(in));
}
BENCHMARK(BM_Mic_OpenSSL_EVPMAC);

// --- RC4 sealing, [MS-NLMP] 3.4.3: kept state (connection-oriented) and re-keyed ----------

void BM_Rc4KeptState_Engine(benchmark::State& state) {
  const Inputs& in = In();
  crypto::Rc4 rc4(in.exported_session_key);
  Bytes out(in.seal_message.size());
  for (auto _ : state) {
    rc4.Process(in.seal_message, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_Rc4KeptState_Engine);

void BM_Rc4KeptState_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().rc4, in.exported_session_key);
  Bytes out(in.seal_message.size());
  for (auto _ : state) {
    c.Process(in.seal_message, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_Rc4KeptState_OpenSSL);

void BM_Rc4Rekey_Engine(benchmark::State& state) {
  const Inputs& in = In();
  Bytes out(in.seal_message.size());
  for (auto _ : state) {
    crypto::Rc4 rc4(in.exported_session_key);
    rc4.Process(in.seal_message, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Rc4Rekey_Engine);

void BM_Rc4Rekey_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().rc4, in.exported_session_key);
  Bytes out(in.seal_message.size());
  for (auto _ : state) {
    c.Rekey(in.exported_session_key);
    c.Process(in.seal_message, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Rc4Rekey_OpenSSL);

// The key schedule alone: a handshake with KEY_EXCH and sealing runs it three times a side
// (RC4K of the session key, 3.4.5.1.2; one sealing handle per direction, 3.4.3).
void BM_Rc4KeySchedule_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    crypto::Rc4 rc4(in.exported_session_key);
    benchmark::DoNotOptimize(rc4);
  }
}
BENCHMARK(BM_Rc4KeySchedule_Engine);

void BM_Rc4KeySchedule_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().rc4, in.exported_session_key);
  for (auto _ : state) {
    c.Rekey(in.exported_session_key);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Rc4KeySchedule_OpenSSL);

// --- MAC, [MS-NLMP] 3.4.4.2 (ESS, KEY_EXCH): sign one message ------------------------------

void BM_Mac_Engine(benchmark::State& state) {
  const Inputs& in = In();
  Result<SessionSecurity> s =
      SessionSecurity::Create(kSessionFlags, in.exported_session_key, Side::kClient);
  if (!s.ok()) {
    Die("SessionSecurity::Create failed");
  }
  for (auto _ : state) {
    MessageSignature sig = s->Sign(in.seal_message);
    benchmark::DoNotOptimize(sig);
  }
  SetBlocks(state, 0, HmacBlocks(4 + in.seal_message.size()));
}
BENCHMARK(BM_Mac_Engine);

void BM_Mac_OpenSSL_EVPMAC(benchmark::State& state) {
  const Inputs& in = In();
  const std::optional<Key16> sign_key =
      SignKey(kSessionFlags, in.exported_session_key, Side::kClient);
  const SealKey seal_key = ComputeSealKey(kSessionFlags, in.exported_session_key, Side::kClient);
  EvpHmacMd5 mac;
  EvpCipher rc4;
  rc4.Init(Ossl().rc4, seal_key.view());
  uint32_t seq = 0;
  for (auto _ : state) {
    uint8_t seq_le[4], digest[16], sig[16];
    StoreU32Le(seq_le, seq);
    mac.Init(*sign_key);
    mac.Update(ByteView(seq_le, 4));
    mac.Update(in.seal_message);
    mac.Final(digest);
    StoreU32Le(sig, 1);
    rc4.Process(ByteView(digest, 8), sig + 4);
    std::memcpy(sig + 12, seq_le, 4);
    ++seq;
    benchmark::DoNotOptimize(sig);
  }
  SetBlocks(state, 0, HmacBlocks(4 + in.seal_message.size()));
}
BENCHMARK(BM_Mac_OpenSSL_EVPMAC);

// --- DES-ECB, one block under a fresh key (as every NTLM use of DES is) ---------------------

void BM_DesEcb_Engine(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    crypto::DesBlock b = crypto::DesEncryptBlock(std::span<const uint8_t, 8>(in.nt_hash.data(), 8),
                                                 kServerChallenge);
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(BM_DesEcb_Engine);

void BM_DesEcb_OpenSSL(benchmark::State& state) {
  const Inputs& in = In();
  EvpCipher c;
  c.Init(Ossl().des_ecb, Bytes(8, 0));
  for (auto _ : state) {
    uint8_t b[8];
    c.Rekey(ByteView(in.nt_hash.data(), 8));
    c.Process(kServerChallenge, b);
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(BM_DesEcb_OpenSSL);

// --- the whole handshake in process ---------------------------------------------------------
// NEGOTIATE, CHALLENGE, AUTHENTICATE with NTLMv2, MIC and KEY_EXCH ([MS-NLMP] 3.1.5.1,
// 3.2.5.1), then one message signed by the client and verified by the server (3.4.4.2).
// A fixed environment (random bytes and clock) keeps every run the same.

ServerConfig BenchServerConfig(const Key16& nt_hash) {
  ServerConfig cfg;
  if (!cfg.store.AddNtHash(kDomain, kUser, nt_hash).ok()) {
    Die("credential store setup failed");
  }
  cfg.identity.nb_domain = std::string(kDomain);
  cfg.identity.nb_computer = "WEB01";
  cfg.identity.dns_domain = "contoso.test";
  cfg.identity.dns_computer = "web01.contoso.test";
  return cfg;
}

ClientConfig BenchClientConfig(const Key16& nt_hash) {
  ClientConfig cfg;
  cfg.user = std::string(kDomain) + "\\" + std::string(kUser);
  cfg.secret.nt_hash = nt_hash;
  cfg.workstation = "CLIENT01";
  cfg.spn = "HTTP/web01.contoso.test";
  return cfg;
}

struct HandshakeOutcome {
  bool ok = false;
  Bytes negotiate, challenge, authenticate;
};

HandshakeOutcome RunHandshake(const ServerConfig& server_cfg, const ClientConfig& client_cfg,
                              ByteView message) {
  HandshakeOutcome out;
  internal::FixedEnvironment client_env(Bytes(16, 0x5a), kTimestamp);
  internal::FixedEnvironment server_env(Bytes(8, 0x3c), kTimestamp);
  ClientContext client(client_cfg, &client_env);
  ServerContext server(server_cfg, &server_env);

  Result<Bytes> negotiate = client.Negotiate();
  if (!negotiate.ok()) {
    return out;
  }
  Result<Bytes> challenge = server.Challenge(*negotiate);
  if (!challenge.ok()) {
    return out;
  }
  Result<Bytes> authenticate = client.Authenticate(*challenge);
  if (!authenticate.ok()) {
    return out;
  }
  const AcceptResult accepted = server.Accept(*authenticate);
  if (!accepted.ok() || !accepted.mic_valid) {
    return out;
  }
  Result<SessionSecurity> cs = client.Session();
  Result<SessionSecurity> ss = server.Session();
  if (!cs.ok() || !ss.ok()) {
    return out;
  }
  const MessageSignature sig = cs->Sign(message);
  if (!ss->Verify(message, sig).ok()) {
    return out;
  }
  out.ok = true;
  out.negotiate = std::move(*negotiate);
  out.challenge = std::move(*challenge);
  out.authenticate = std::move(*authenticate);
  return out;
}

void BuildHandshakeMessages(Inputs* in) {
  const HandshakeOutcome h = RunHandshake(BenchServerConfig(in->nt_hash),
                                          BenchClientConfig(in->nt_hash), in->seal_message);
  if (!h.ok) {
    Die("the in-process handshake failed");
  }
  in->negotiate = h.negotiate;
  in->challenge = h.challenge;
  in->authenticate = h.authenticate;
  Result<Bytes> zeroed = ZeroMicField(h.authenticate);
  if (!zeroed.ok()) {
    Die("ZeroMicField failed");
  }
  in->authenticate_zeroed = *zeroed;
}

void BM_Handshake_InProcess(benchmark::State& state) {
  const Inputs& in = In();
  const ServerConfig server_cfg = BenchServerConfig(in.nt_hash);
  const ClientConfig client_cfg = BenchClientConfig(in.nt_hash);
  for (auto _ : state) {
    HandshakeOutcome h = RunHandshake(server_cfg, client_cfg, in.seal_message);
    if (!h.ok) {
      state.SkipWithError("handshake failed");
      break;
    }
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_Handshake_InProcess);

// --- decoding each message ([MS-NLMP] 2.2.1.1-2.2.1.3) ---------------------------------------

void BM_DecodeNegotiate(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Result<NegotiateMessage> m = DecodeNegotiate(in.negotiate);
    benchmark::DoNotOptimize(m);
  }
  state.counters["bytes"] = static_cast<double>(in.negotiate.size());
}
BENCHMARK(BM_DecodeNegotiate);

void BM_DecodeChallenge(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Result<ChallengeMessage> m = DecodeChallenge(in.challenge);
    benchmark::DoNotOptimize(m);
  }
  state.counters["bytes"] = static_cast<double>(in.challenge.size());
}
BENCHMARK(BM_DecodeChallenge);

void BM_DecodeAuthenticate(benchmark::State& state) {
  const Inputs& in = In();
  for (auto _ : state) {
    Result<AuthenticateMessage> m = DecodeAuthenticate(in.authenticate);
    benchmark::DoNotOptimize(m);
  }
  state.counters["bytes"] = static_cast<double>(in.authenticate.size());
}
BENCHMARK(BM_DecodeAuthenticate);

// --- batch NTLMv2 (multi-buffer), per core ---------------------------------------------------
// 64 different users, the same temp size: items/s is NTLMv2 computations per second.

void RunBatch(benchmark::State& state, crypto::BatchPath path) {
  if (path == crypto::BatchPath::kAvx2 && !crypto::Avx2Available()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  constexpr size_t kJobs = 64;
  const Inputs& in = In();
  std::vector<Bytes> identities(kJobs);
  std::vector<crypto::NtlmV2Job> jobs(kJobs);
  for (size_t i = 0; i < kJobs; ++i) {
    identities[i] = Utf16("USER" + std::to_string(1000 + i) + std::string(kDomain));
    jobs[i].nt_hash = in.nt_hash;
    jobs[i].nt_hash[0] = static_cast<uint8_t>(i);
    jobs[i].server_challenge = kServerChallenge;
    jobs[i].identity = identities[i];
    jobs[i].temp = in.temp;
  }
  std::vector<crypto::NtlmV2Result> out(kJobs);
  for (auto _ : state) {
    crypto::ComputeNtlmV2Batch(jobs, out, path);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kJobs));
}

void BM_NtlmV2Batch_Scalar(benchmark::State& state) { RunBatch(state, crypto::BatchPath::kScalar); }
BENCHMARK(BM_NtlmV2Batch_Scalar);

void BM_NtlmV2Batch_Avx2(benchmark::State& state) { RunBatch(state, crypto::BatchPath::kAvx2); }
BENCHMARK(BM_NtlmV2Batch_Avx2);

// --- deterministic kernel runs for the callgrind gate (bench/callgrind_gate.py) -------------
// `ntlmh_bench --callgrind` runs each kernel a fixed number of times, each in its own
// never-inlined Cg* function, so that callgrind can count the instructions of each alone.

constexpr int kCgRuns = 100;

#define NTLMH_CG_KERNEL(name, ...)                    \
  __attribute__((noinline)) void Cg##name(int runs) { \
    for (int i = 0; i < runs; ++i) {                  \
      __VA_ARGS__;                                    \
    }                                                 \
  }

NTLMH_CG_KERNEL(Md5Compress, {
  static uint32_t s[4] = {1, 2, 3, 4};
  crypto::Md5Compress(s, In().temp.data());
  benchmark::DoNotOptimize(s);
})
NTLMH_CG_KERNEL(Md4Compress, {
  static uint32_t s[4] = {1, 2, 3, 4};
  crypto::Md4Compress(s, In().temp.data());
  benchmark::DoNotOptimize(s);
})
NTLMH_CG_KERNEL(NtHash, {
  crypto::Md4Digest d = crypto::Md4Hash(In().password16);
  benchmark::DoNotOptimize(d);
})
NTLMH_CG_KERNEL(NtlmV2Response, {
  crypto::NtlmV2Job job;
  job.nt_hash = In().nt_hash;
  job.server_challenge = kServerChallenge;
  job.identity = In().identity;
  job.temp = In().temp;
  crypto::NtlmV2Result r;
  crypto::ComputeNtlmV2(job, &r);
  benchmark::DoNotOptimize(r);
})
NTLMH_CG_KERNEL(LmV2Response, {
  Response24 r = LmV2Response(In().response_key, kServerChallenge, kClientChallenge);
  benchmark::DoNotOptimize(r);
})
NTLMH_CG_KERNEL(NtlmV1Response, {
  Response24 r = NtlmV1Response(In().nt_hash, kServerChallenge);
  benchmark::DoNotOptimize(r);
})
NTLMH_CG_KERNEL(NtlmV1Ess, {
  NtlmV1EssResponses r = NtlmV1EssResponse(In().nt_hash, kServerChallenge, kClientChallenge);
  benchmark::DoNotOptimize(r);
})
NTLMH_CG_KERNEL(LmHash, {
  Result<Key16> r = LmOwfV1("Password");
  benchmark::DoNotOptimize(r);
})
NTLMH_CG_KERNEL(SessionKeys, {
  const Inputs& in = In();
  Result<Key16> exported =
      ExportedSessionKeyFromWire(kSessionFlags, in.session_base_key, in.encrypted_session_key);
  std::optional<Key16> sc = SignKey(kSessionFlags, *exported, Side::kClient);
  SealKey kc = ComputeSealKey(kSessionFlags, *exported, Side::kClient);
  benchmark::DoNotOptimize(sc);
  benchmark::DoNotOptimize(kc);
})
NTLMH_CG_KERNEL(Mic, {
  const Inputs& in = In();
  Key16 mic =
      ComputeMic(in.exported_session_key, in.negotiate, in.challenge, in.authenticate_zeroed);
  benchmark::DoNotOptimize(mic);
})
NTLMH_CG_KERNEL(Rc4Rekey, {
  crypto::Rc4 rc4(In().exported_session_key);
  uint8_t out[64];
  rc4.Process(ByteView(In().seal_message).first(64), out);
  benchmark::DoNotOptimize(out);
})
NTLMH_CG_KERNEL(DesEcb, {
  crypto::DesBlock b = crypto::DesEncryptBlock(std::span<const uint8_t, 8>(In().nt_hash.data(), 8),
                                               kServerChallenge);
  benchmark::DoNotOptimize(b);
})
NTLMH_CG_KERNEL(DecodeAuthenticate, {
  Result<AuthenticateMessage> m = DecodeAuthenticate(In().authenticate);
  benchmark::DoNotOptimize(m);
})
NTLMH_CG_KERNEL(Handshake, {
  static const ServerConfig server_cfg = BenchServerConfig(In().nt_hash);
  static const ClientConfig client_cfg = BenchClientConfig(In().nt_hash);
  HandshakeOutcome h = RunHandshake(server_cfg, client_cfg, In().seal_message);
  benchmark::DoNotOptimize(h);
})

#undef NTLMH_CG_KERNEL

int RunCallgrindKernels() {
  In();  // inputs are set up outside the counted functions
  CgMd4Compress(kCgRuns);
  CgMd5Compress(kCgRuns);
  CgNtHash(kCgRuns);
  CgNtlmV2Response(kCgRuns);
  CgLmV2Response(kCgRuns);
  CgNtlmV1Response(kCgRuns);
  CgNtlmV1Ess(kCgRuns);
  CgLmHash(kCgRuns);
  CgSessionKeys(kCgRuns);
  CgMic(kCgRuns);
  CgRc4Rekey(kCgRuns);
  CgDesEcb(kCgRuns);
  CgDecodeAuthenticate(kCgRuns);
  CgHandshake(kCgRuns);
  std::printf("runs=%d\n", kCgRuns);
  return 0;
}

}  // namespace
}  // namespace ntlm::bench

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--callgrind") {
    return ntlm::bench::RunCallgrindKernels();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
