// Tests of the NTLMv2 hot path and its batch API ([MS-NLMP] 3.3.2): the published values of
// [MS-NLMP] 4.2.4, then the scalar and AVX2 paths against each other and against OpenSSL's
// HMAC-MD5 on many random inputs of every shape (identities of 0 to 3 blocks, temps of 0 to
// 7 blocks, batches that are not a multiple of the lane count, mixed lengths in one batch).
#include "engine/crypto/ntlmv2.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bytes.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/openssl_oracle_test_util.h"

namespace ntlm::crypto {
namespace {

using test_util::kRandomSeed;
using test_util::OpenSslOracle;
using test_util::RandomBytes;
using test_util::Unhex;

template <size_t N>
std::array<uint8_t, N> Fixed(std::string_view hex) {
  const Bytes b = Unhex(hex);
  std::array<uint8_t, N> out{};
  EXPECT_EQ(b.size(), N) << hex;
  std::copy_n(b.begin(), std::min(N, b.size()), out.begin());
  return out;
}

// [MS-NLMP] 4.2.4: User "User", UserDom "Domain", Passwd "Password", Time 0.
struct SpecCase {
  Bytes identity = Unhex("550053004500520044006f006d00610069006e00");  // "USERDomain" UTF-16LE
  Bytes temp = Unhex(
      "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
      "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
      "00000000");
  NtlmV2Job Job() const {
    NtlmV2Job job;
    job.nt_hash = Fixed<16>("a4f49c406510bdcab6824ee7c30fd852");  // 4.2.2.1.2 NTOWFv1
    job.server_challenge = Fixed<8>("0123456789abcdef");          // 4.2.1
    job.identity = identity;
    job.temp = temp;
    return job;
  }
};

void ExpectSpecValues(const NtlmV2Result& r) {
  EXPECT_EQ(ToHex(r.response_key), "0c868a403bfd7a93a3001ef22ef02e3f");      // 4.2.4.1.1
  EXPECT_EQ(ToHex(r.nt_proof_str), "68cd0ab851e51c96aabc927bebef6a1c");      // 4.2.4.2.2
  EXPECT_EQ(ToHex(r.session_base_key), "8de40ccadbc14a82f15cb0ad0de95ca3");  // 4.2.4.1.2
}

TEST(NtlmV2_4_2_4, ScalarGivesThePublishedValues) {
  const SpecCase spec;
  NtlmV2Result r;
  ComputeNtlmV2(spec.Job(), &r);
  ExpectSpecValues(r);
}

TEST(NtlmV2_4_2_4, EveryBatchPathGivesThePublishedValues) {
  const SpecCase spec;
  std::vector<BatchPath> paths = {BatchPath::kAuto, BatchPath::kScalar};
  if (Avx2Available()) {
    paths.push_back(BatchPath::kAvx2);
  }
  for (const BatchPath path : paths) {
    SCOPED_TRACE(static_cast<int>(path));
    // 1 job (15 dummy lanes), 16 (one full group), 17 (a second, nearly empty group).
    for (const size_t n : {size_t{1}, size_t{16}, size_t{17}}) {
      std::vector<NtlmV2Job> jobs(n, spec.Job());
      std::vector<NtlmV2Result> out(n);
      ComputeNtlmV2Batch(jobs, out, path);
      for (const NtlmV2Result& r : out) {
        ExpectSpecValues(r);
      }
    }
  }
}

TEST(NtlmV2_4_2_4, VerifyAcceptsTheProofAndRefusesAFlippedBit) {
  const SpecCase spec;
  const std::vector<NtlmV2Job> jobs(3, spec.Job());
  std::vector<Md5Digest> proofs(3, Fixed<16>("68cd0ab851e51c96aabc927bebef6a1c"));
  proofs[1][15] ^= 0x01;
  proofs[2][0] ^= 0x80;
  std::vector<NtlmV2Result> results(3);
  std::vector<uint8_t> ok(3, 7);
  VerifyNtlmV2Batch(jobs, proofs, results, ok);
  EXPECT_EQ(ok, (std::vector<uint8_t>{1, 0, 0}));
  ExpectSpecValues(results[1]);
}

// The definition, on OpenSSL's HMAC-MD5 (3.3.2).
NtlmV2Result Reference(const NtlmV2Job& job) {
  OpenSslOracle& oracle = OpenSslOracle::Get();
  NtlmV2Result r;
  const Bytes key = oracle.HmacMd5(job.nt_hash, job.identity);
  Bytes proof_input(job.server_challenge.begin(), job.server_challenge.end());
  proof_input.insert(proof_input.end(), job.temp.begin(), job.temp.end());
  const Bytes proof = oracle.HmacMd5(key, proof_input);
  const Bytes base = oracle.HmacMd5(key, proof);
  std::copy_n(key.begin(), 16, r.response_key.begin());
  std::copy_n(proof.begin(), 16, r.nt_proof_str.begin());
  std::copy_n(base.begin(), 16, r.session_base_key.begin());
  return r;
}

struct RandomBatch {
  std::vector<Bytes> identities, temps;
  std::vector<NtlmV2Job> jobs;
};

// |n| jobs; with |mixed| each has its own lengths, else all share one identity and temp length
// (the masked and unmasked ways through the multi-buffer code).
RandomBatch MakeBatch(std::mt19937& rng, size_t n, bool mixed) {
  RandomBatch b;
  b.identities.resize(n);
  b.temps.resize(n);
  b.jobs.resize(n);
  const size_t shared_identity = rng() % 160;
  const size_t shared_temp = rng() % 420;
  for (size_t i = 0; i < n; ++i) {
    b.identities[i] = RandomBytes(rng, mixed ? rng() % 160 : shared_identity);
    b.temps[i] = RandomBytes(rng, mixed ? rng() % 420 : shared_temp);
    const Bytes nt = RandomBytes(rng, 16);
    const Bytes sc = RandomBytes(rng, 8);
    std::copy(nt.begin(), nt.end(), b.jobs[i].nt_hash.begin());
    std::copy(sc.begin(), sc.end(), b.jobs[i].server_challenge.begin());
    b.jobs[i].identity = b.identities[i];
    b.jobs[i].temp = b.temps[i];
  }
  return b;
}

void ExpectSame(const NtlmV2Result& got, const NtlmV2Result& want) {
  EXPECT_EQ(ToHex(got.response_key), ToHex(want.response_key));
  EXPECT_EQ(ToHex(got.nt_proof_str), ToHex(want.nt_proof_str));
  EXPECT_EQ(ToHex(got.session_base_key), ToHex(want.session_base_key));
}

TEST(NtlmV2Batch, ScalarMatchesOpenSsl) {
  ASSERT_TRUE(OpenSslOracle::Get().Ready());
  std::mt19937 rng(kRandomSeed);
  for (int round = 0; round < 40; ++round) {
    const RandomBatch b = MakeBatch(rng, 8, /*mixed=*/true);
    for (const NtlmV2Job& job : b.jobs) {
      NtlmV2Result r;
      ComputeNtlmV2(job, &r);
      ExpectSame(r, Reference(job));
    }
  }
}

TEST(NtlmV2Batch, Avx2MatchesScalarAndOpenSsl) {
  if (!Avx2Available()) {
    GTEST_SKIP() << "no AVX2 on this CPU: the scalar path is the only one";
  }
  ASSERT_TRUE(OpenSslOracle::Get().Ready());
  std::mt19937 rng(kRandomSeed + 1);
  size_t checked = 0;
  for (int round = 0; round < 60; ++round) {
    const size_t n = 1 + rng() % 40;
    const bool mixed = round % 2 == 0;
    SCOPED_TRACE(testing::Message()
                 << "round " << round << ", " << n << " jobs" << (mixed ? ", mixed lengths" : ""));
    const RandomBatch b = MakeBatch(rng, n, mixed);
    std::vector<NtlmV2Result> avx2(n), scalar(n);
    ComputeNtlmV2Batch(b.jobs, avx2, BatchPath::kAvx2);
    ComputeNtlmV2Batch(b.jobs, scalar, BatchPath::kScalar);
    for (size_t i = 0; i < n; ++i) {
      ExpectSame(avx2[i], scalar[i]);
      if (i % 4 == 0) {
        ExpectSame(avx2[i], Reference(b.jobs[i]));
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 600u);
}

// Lengths at the MD5 block edges, where the padding moves to a block of its own: an inner
// message (after the 64-byte key block) of 55, 56, 63, 64 and 65 bytes and so on.
TEST(NtlmV2Batch, BlockEdgesMatchAcrossPaths) {
  ASSERT_TRUE(OpenSslOracle::Get().Ready());
  std::mt19937 rng(kRandomSeed + 2);
  RandomBatch b;
  for (size_t base : {size_t{0}, size_t{64}, size_t{128}}) {
    for (size_t delta : {55, 56, 57, 63, 64, 65}) {
      b.identities.push_back(RandomBytes(rng, base + delta));
      // temp follows the 8-byte server challenge.
      b.temps.push_back(RandomBytes(rng, base + delta >= 8 ? base + delta - 8 : 0));
    }
  }
  for (size_t i = 0; i < b.identities.size(); ++i) {
    NtlmV2Job job;
    job.nt_hash[0] = static_cast<uint8_t>(i);
    job.identity = b.identities[i];
    job.temp = b.temps[(i * 7) % b.temps.size()];
    b.jobs.push_back(job);
  }
  std::vector<NtlmV2Result> scalar(b.jobs.size()), fast(b.jobs.size());
  ComputeNtlmV2Batch(b.jobs, scalar, BatchPath::kScalar);
  ComputeNtlmV2Batch(b.jobs, fast, BatchPath::kAuto);
  for (size_t i = 0; i < b.jobs.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSame(scalar[i], Reference(b.jobs[i]));
    ExpectSame(fast[i], scalar[i]);
  }
}

}  // namespace
}  // namespace ntlm::crypto
