// HMAC-MD5: RFC 2104 (keyed hashing for message authentication) over RFC 1321 MD5.
#include "engine/crypto/hmac_md5.h"

#include <cstring>

namespace ntlm::crypto {
namespace {

// The pad bytes of RFC 2104 2: ipad = 0x36, opad = 0x5C, each repeated B = 64 times.
constexpr uint8_t kIpad = 0x36;
constexpr uint8_t kOpad = 0x5c;

}  // namespace

HmacMd5::HmacMd5(std::span<const uint8_t> key) {
  // RFC 2104 2: a key longer than B bytes is replaced by H(key); the key is then padded with
  // zeros to B bytes.
  uint8_t block_key[kMd5BlockSize] = {};
  if (key.size() > kMd5BlockSize) {
    Md5Digest hashed = Md5Hash(key);
    std::memcpy(block_key, hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block_key, key.data(), key.size());
  }

  // H(K xor ipad, text) starts now; K xor opad is kept for Final().
  uint8_t ipad_key[kMd5BlockSize];
  for (size_t i = 0; i < kMd5BlockSize; ++i) {
    ipad_key[i] = block_key[i] ^ kIpad;
    opad_key_[i] = block_key[i] ^ kOpad;
  }
  inner_.Update(ipad_key);
}

void HmacMd5::Update(std::span<const uint8_t> data) { inner_.Update(data); }

Md5Digest HmacMd5::Final() {
  // H(K xor opad, H(K xor ipad, text)).
  Md5Digest inner_digest = inner_.Final();
  Md5 outer;
  outer.Update(opad_key_);
  outer.Update(inner_digest);
  return outer.Final();
}

Md5Digest HmacMd5Digest(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  HmacMd5 hmac(key);
  hmac.Update(data);
  return hmac.Final();
}

}  // namespace ntlm::crypto
