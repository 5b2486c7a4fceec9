// Randomness from OpenSSL's CSPRNG and the system clock, for the contexts.
#include "engine/environment.h"

#include <openssl/rand.h>

#include <chrono>
#include <climits>

#include "engine/av_pairs.h"

namespace ntlm {

namespace {

class System final : public Environment {
 public:
  Status Random(std::span<uint8_t> out) override {
    if (out.empty()) {
      return Status();
    }
    if (out.size() > static_cast<size_t>(INT_MAX) ||
        RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      return MakeError(ErrorCode::kUnsupported, "", "random", 0,
                       "OpenSSL's random generator failed");
    }
    return Status();
  }
  uint64_t NowFileTime() override {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    return UnixToFileTime(ns / 1000000000, static_cast<uint32_t>(ns % 1000000000));
  }
};

}  // namespace

Environment& SystemEnvironment() {
  static System system;
  return system;
}

}  // namespace ntlm
