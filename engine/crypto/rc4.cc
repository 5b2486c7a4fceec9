// RC4 stream cipher, as [MS-NLMP] 3.4.3 seals with it (no formal spec; RFC 6229 has vectors).
#include "engine/crypto/rc4.h"

#include <utility>

namespace ntlm::crypto {

Rc4::Rc4(std::span<const uint8_t> key) {
  // An empty key would make "key[i mod keylength]" divide by zero; the header's contract treats
  // it as the one-byte key 00.
  static constexpr uint8_t kZeroKey[1] = {0};
  if (key.empty()) {
    key = kZeroKey;
  }

  // Key-scheduling: S starts as the identity permutation and is stirred by the key. Bytes of a
  // key longer than 256 are never reached, as in every RC4 implementation.
  for (int i = 0; i < 256; ++i) {
    s_[i] = static_cast<uint8_t>(i);
  }
  // key[i mod keylength] walks the key with a wrapping index instead of a division per byte.
  const size_t key_len = key.size();
  uint8_t j = 0;
  size_t k = 0;
  for (size_t i = 0; i < 256; ++i) {
    j = static_cast<uint8_t>(j + s_[i] + key[k]);
    k = k + 1 == key_len ? 0 : k + 1;
    std::swap(s_[i], s_[j]);
  }
}

void Rc4::Process(std::span<const uint8_t> in, std::span<uint8_t> out) {
  // The header asks for equal sizes; should they differ, only the common prefix is touched, so
  // nothing is ever read or written out of bounds. |in| and |out| may be the same buffer: each
  // byte is read before it is written.
  const size_t n = in.size() < out.size() ? in.size() : out.size();
  uint8_t i = i_;
  uint8_t j = j_;
  for (size_t k = 0; k < n; ++k) {
    i = static_cast<uint8_t>(i + 1);
    const uint8_t si = s_[i];
    j = static_cast<uint8_t>(j + si);
    const uint8_t sj = s_[j];
    s_[i] = sj;
    s_[j] = si;
    out[k] = static_cast<uint8_t>(in[k] ^ s_[static_cast<uint8_t>(si + sj)]);
  }
  i_ = i;
  j_ = j;
}

}  // namespace ntlm::crypto
