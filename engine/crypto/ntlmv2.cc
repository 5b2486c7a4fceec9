// NTLMv2 hot path, [MS-NLMP] 3.3.2 (formulas in ntlmv2.h).
#include "engine/crypto/ntlmv2.h"

#include "engine/crypto/hmac_md5.h"

namespace ntlm::crypto {

void ComputeNtlmV2(const NtlmV2Job& job, NtlmV2Result* out) {
  // NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(Uppercase(User) || UserDom)), 3.3.2.
  out->response_key = HmacMd5Digest(job.nt_hash, job.identity);

  // NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp), 3.3.2.
  HmacMd5 proof(out->response_key);
  proof.Update(job.server_challenge);
  proof.Update(job.temp);
  out->nt_proof_str = proof.Final();

  // SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr), 3.3.2.
  out->session_base_key = HmacMd5Digest(out->response_key, out->nt_proof_str);
}

bool Avx2Available() { return false; }

void ComputeNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<NtlmV2Result> out,
                        BatchPath /*path*/) {
  for (size_t i = 0; i < jobs.size() && i < out.size(); ++i) {
    ComputeNtlmV2(jobs[i], &out[i]);
  }
}

void VerifyNtlmV2Batch(std::span<const NtlmV2Job> jobs, std::span<const Md5Digest> proofs,
                       std::span<NtlmV2Result> results, std::span<uint8_t> ok, BatchPath path) {
  ComputeNtlmV2Batch(jobs, results, path);
  for (size_t i = 0; i < jobs.size(); ++i) {
    uint8_t diff = 0;
    for (size_t k = 0; k < kMd5DigestSize; ++k) {
      diff |= static_cast<uint8_t>(results[i].nt_proof_str[k] ^ proofs[i][k]);
    }
    ok[i] = diff == 0 ? 1 : 0;
  }
}

}  // namespace ntlm::crypto
