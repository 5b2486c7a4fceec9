// The NTLMv2 hot path of [MS-NLMP] 3.3.2 over inputs already in wire form, one response at a
// time or many at once (multi-buffer MD5 on AVX2, 8 lanes, chosen at run time).
//
// What a server (or a client, or a password auditor) computes per NTLMv2 response, given the
// NT hash and the bytes it hashes:
//   ResponseKeyNT  = NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(ConcatenationOf(Uppercase(User),
//                                                                       UserDom)))
//   NTProofStr     = HMAC_MD5(ResponseKeyNT, ConcatenationOf(ServerChallenge, temp))
//   SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr)
// The text work (upper-casing, UTF-16LE) is the caller's: engine/compute.h does it.
//
// With each HMAC key's inner and outer states computed once (RFC 2104 4), the three take
//   4 + (2 + ceil((8 + |temp| + 9) / 64) + 1) + 2
// MD5 compressions when UNICODE(User||UserDom) is at most 55 bytes: 13 for a temp of 200 bytes.
//
// Example:
//   NtlmV2Job job{nt_hash, server_challenge, identity_utf16, temp};
//   NtlmV2Result r;
//   ComputeNtlmV2(job, &r);
//
// Nothing here allocates.
#ifndef NTLM_ENGINE_CRYPTO_NTLMV2_H_
#define NTLM_ENGINE_CRYPTO_NTLMV2_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/crypto/md5.h"

namespace ntlm::crypto {

// The inputs of one NTLMv2 computation, [MS-NLMP] 3.3.2. The spans must outlive the call.
struct NtlmV2Job {
  std::array<uint8_t, 16> nt_hash{};          // NTOWFv1 = MD4(UNICODE(Passwd)), 3.3.1
  std::array<uint8_t, 8> server_challenge{};  // CHALLENGE_MESSAGE.ServerChallenge
  std::span<const uint8_t> identity;          // UNICODE(ConcatenationOf(Uppercase(User), UserDom))
  std::span<const uint8_t> temp;              // the NTLMv2_CLIENT_CHALLENGE (2.2.2.7) bytes
};

struct NtlmV2Result {
  Md5Digest response_key{};      // ResponseKeyNT (NTOWFv2)
  Md5Digest nt_proof_str{};      // NTProofStr
  Md5Digest session_base_key{};  // SessionBaseKey
};

// One response.
void ComputeNtlmV2(const NtlmV2Job& job, NtlmV2Result* out);

// Which code runs a batch.
enum class BatchPath : uint8_t {
  kAuto,    // AVX2 when the CPU has it, else scalar
  kScalar,  // ComputeNtlmV2 per job
  kAvx2,    // 8 lanes of MD5 side by side; the caller must check Avx2Available()
};

// True when the CPU (and the compiler) support the AVX2 path.
bool Avx2Available();

// |out|[i] = ComputeNtlmV2(|jobs|[i]) for every i; |out| must be as long as |jobs|. The results
// are identical whichever path runs.
void ComputeNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<NtlmV2Result> out,
                        BatchPath path = BatchPath::kAuto);

// A server's check, 3.2.5.1.2: |ok|[i] = 1 when the NTProofStr computed for |jobs|[i] equals
// |proofs|[i] (compared in constant time), else 0; |results|[i] gets the computed values (the
// session base key is what an accepted response goes on with). All spans as long as |jobs|.
void VerifyNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<const Md5Digest> proofs,
                       std::span<NtlmV2Result> results, std::span<uint8_t> ok,
                       BatchPath path = BatchPath::kAuto);

}  // namespace ntlm::crypto

#endif  // NTLM_ENGINE_CRYPTO_NTLMV2_H_
