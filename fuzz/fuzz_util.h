// Helpers shared by the fuzz targets in fuzz/: the oracle's failure report and a small reader
// that splits a fuzz input into parameters.
//
// Every target is a plain `LLVMFuzzerTestOneInput`; it builds with clang and libFuzzer
// (fuzz/CMakeLists.txt) and with gcc against fuzz/standalone_main.cc, which replays corpus files
// and saved crashes in the normal test command. So nothing here may depend on clang or on
// libFuzzer's headers, and an oracle failure must stop the process in every build, with or
// without NDEBUG: FUZZ_CHECK prints what broke and calls abort().
#ifndef NTLM_FUZZ_FUZZ_UTIL_H_
#define NTLM_FUZZ_FUZZ_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::fuzz {

// Reports a broken oracle and stops. |detail| says which values differed; it may hold hex of
// the fuzz input's own bytes, never a secret of a real user (the targets use fixed accounts).
[[noreturn]] inline void OracleFailed(const char* condition, const char* file, int line,
                                      const std::string& detail) {
  std::fprintf(stderr, "\n==ntlm-fuzz== ORACLE FAILURE at %s:%d: %s\n", file, line, condition);
  if (!detail.empty()) {
    std::fprintf(stderr, "==ntlm-fuzz== %s\n", detail.c_str());
  }
  std::fflush(stderr);
  std::abort();
}

// FUZZ_CHECK(cond, detail): |detail| is evaluated only when |cond| is false.
#define FUZZ_CHECK(cond, detail)                                       \
  do {                                                                 \
    if (!(cond)) {                                                     \
      ::ntlm::fuzz::OracleFailed(#cond, __FILE__, __LINE__, (detail)); \
    }                                                                  \
  } while (0)

// True when NTLMH_FUZZ_VERBOSE is set: the context targets then print one line per input saying
// how far it got (read once, at the first input).
inline bool Verbose() {
  static const bool verbose = std::getenv("NTLMH_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

// "ok" or the error line, for oracle details.
template <typename R>
std::string Describe(const R& r) {
  return r.ok() ? std::string("ok") : r.error().ToString();
}

// "expected <hex> got <hex>" for two byte strings, cut to the first 256 bytes of each.
inline std::string HexDiff(ByteView want, ByteView got) {
  auto cut = [](ByteView b) {
    std::string h = ToHex(b.first(b.size() < 256 ? b.size() : 256));
    return b.size() > 256 ? h + "..." : h;
  };
  return "expected (" + std::to_string(want.size()) + " bytes) " + cut(want) + " got (" +
         std::to_string(got.size()) + " bytes) " + cut(got);
}

inline bool SameBytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Splits a fuzz input into parameters, front to back. Reading past the end never fails: it
// yields zeros and empty views, so every input means something and small mutations of the
// leading parameter bytes stay small mutations of the parameters.
class InputSplitter {
 public:
  explicit InputSplitter(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }

  uint8_t U8() {
    if (pos_ >= data_.size()) {
      return 0;
    }
    return data_[pos_++];
  }
  uint16_t U16() {
    const uint16_t lo = U8();
    return static_cast<uint16_t>(lo | (U8() << 8));
  }
  // The next |n| bytes (fewer when the input ends first).
  ByteView Bytes(size_t n) {
    const size_t take = n < remaining() ? n : remaining();
    ByteView out = data_.subspan(pos_, take);
    pos_ += take;
    return out;
  }
  // A length-prefixed piece: one byte of length, cut to |max_len|, then that many bytes.
  ByteView Piece(size_t max_len) { return Bytes(U8() % (max_len + 1)); }
  std::string_view PieceString(size_t max_len) {
    ByteView b = Piece(max_len);
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  }
  ByteView Rest() { return Bytes(remaining()); }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace ntlm::fuzz

#endif  // NTLM_FUZZ_FUZZ_UTIL_H_
