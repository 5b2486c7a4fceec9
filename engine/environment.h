// The two things a context needs from outside the protocol: randomness and the time.
//
// Release code uses SystemEnvironment(): OpenSSL's CSPRNG (RAND_bytes, small requests served
// from a per-thread block of its output) and the system clock.
// Tests, fuzzers and vector replays inject fixed ones through engine/internal/test_seam.h, which
// is not part of the API (shared/DESIGN.md "Seams").
#ifndef NTLM_ENGINE_ENVIRONMENT_H_
#define NTLM_ENGINE_ENVIRONMENT_H_

#include <cstdint>
#include <span>

#include "engine/error.h"

namespace ntlm {

class Environment {
 public:
  virtual ~Environment() = default;
  // Fills |out| with cryptographically strong random bytes; an error when the source fails.
  [[nodiscard]] virtual Status Random(std::span<uint8_t> out) = 0;
  // The current time as a FILETIME (100 ns ticks since 1601-01-01 UTC).
  virtual uint64_t NowFileTime() = 0;
};

// OpenSSL's RAND_bytes and the system clock. Thread-safe and fork-safe: a child process never
// hands out bytes its parent drew.
Environment& SystemEnvironment();

}  // namespace ntlm

#endif  // NTLM_ENGINE_ENVIRONMENT_H_
