// Randomness from OpenSSL's CSPRNG and the system clock, for the contexts.
#include "engine/environment.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>

#include "engine/av_pairs.h"

namespace ntlm {

namespace {

// Incremented in every child of a fork(): a pool filled before the fork is never used after
// it, so parent and child never hand out the same bytes.
std::atomic<uint64_t> fork_generation{0};

void OnForkChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Per-thread bytes drawn from RAND_bytes in one call of kBytes. Each RAND_bytes call costs
// OpenSSL's DRBG a fixed re-key whatever its length, so a handshake's three small requests
// (challenge, client challenge, session key) cost a tenth of it drawn this way. Bytes leave
// the pool once and are wiped as they leave; the rest is wiped when the thread ends.
class RandomPool {
 public:
  static constexpr size_t kBytes = 512;
  static constexpr size_t kMaxRequest = 64;  // larger requests go to RAND_bytes directly

  ~RandomPool() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

  bool Take(std::span<uint8_t> out) {
    const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_ || kBytes - used_ < out.size()) {
      if (RAND_bytes(bytes_.data(), static_cast<int>(kBytes)) != 1) {
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
        used_ = kBytes;
        return false;
      }
      generation_ = generation;
      used_ = 0;
    }
    std::memcpy(out.data(), bytes_.data() + used_, out.size());
    OPENSSL_cleanse(bytes_.data() + used_, out.size());
    used_ += out.size();
    return true;
  }

 private:
  std::array<uint8_t, kBytes> bytes_{};
  size_t used_ = kBytes;  // empty until the first Take
  uint64_t generation_ = 0;
};

class System final : public Environment {
 public:
  // Without the fork handler a child could hand out its parent's bytes: then no pool at all.
  System() : pool_(pthread_atfork(nullptr, nullptr, &OnForkChild) == 0) {}

  Status Random(std::span<uint8_t> out) override {
    if (out.empty()) {
      return Status();
    }
    bool ok;
    if (pool_ && out.size() <= RandomPool::kMaxRequest) {
      thread_local RandomPool pool;
      ok = pool.Take(out);
    } else {
      ok = out.size() <= static_cast<size_t>(INT_MAX) &&
           RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
    }
    if (!ok) {
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

 private:
  const bool pool_;
};

}  // namespace

Environment& SystemEnvironment() {
  static System system;
  return system;
}

}  // namespace ntlm
