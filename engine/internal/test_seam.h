// NOT PART OF THE API. A fixed Environment for tests, fuzzers and vector replays: the random
// bytes are handed out from a given sequence (then repeated), and the clock is a given FILETIME.
// Release code has no reason to include this header; the contexts take an Environment only
// through their two-argument constructors, which are documented as not part of the API.
#ifndef NTLM_ENGINE_INTERNAL_TEST_SEAM_H_
#define NTLM_ENGINE_INTERNAL_TEST_SEAM_H_

#include <cstdint>
#include <vector>

#include "engine/bytes.h"
#include "engine/environment.h"

namespace ntlm::internal {

class FixedEnvironment final : public Environment {
 public:
  FixedEnvironment(Bytes random, uint64_t filetime)
      : random_(std::move(random)), filetime_(filetime) {}

  Status Random(std::span<uint8_t> out) override {
    for (uint8_t& b : out) {
      b = random_.empty() ? 0 : random_[next_++ % random_.size()];
    }
    return Status();
  }
  uint64_t NowFileTime() override { return filetime_; }
  void set_time(uint64_t filetime) { filetime_ = filetime; }

 private:
  Bytes random_;
  size_t next_ = 0;
  uint64_t filetime_;
};

}  // namespace ntlm::internal

#endif  // NTLM_ENGINE_INTERNAL_TEST_SEAM_H_
