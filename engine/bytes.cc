#include "engine/bytes.h"

#include <cstring>
#include <string>

namespace ntlm {

bool ByteReader::ReadU8(uint8_t* out) {
  if (remaining() < 1) {
    return false;
  }
  *out = data_[pos_];
  pos_ += 1;
  return true;
}

bool ByteReader::ReadU16Le(uint16_t* out) {
  if (remaining() < 2) {
    return false;
  }
  *out = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU32Le(uint32_t* out) {
  if (remaining() < 4) {
    return false;
  }
  *out = LoadU32Le(data_.data() + pos_);
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64Le(uint64_t* out) {
  if (remaining() < 8) {
    return false;
  }
  uint64_t lo = LoadU32Le(data_.data() + pos_);
  uint64_t hi = LoadU32Le(data_.data() + pos_ + 4);
  *out = lo | (hi << 32);
  pos_ += 8;
  return true;
}

bool ByteReader::ReadU16Be(uint16_t* out) {
  if (remaining() < 2) {
    return false;
  }
  *out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU32Be(uint32_t* out) {
  if (remaining() < 4) {
    return false;
  }
  const uint8_t* p = data_.data() + pos_;
  *out = (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
  pos_ += 4;
  return true;
}

bool ByteReader::ReadBytes(size_t n, ByteView* out) {
  if (n > remaining()) {
    return false;
  }
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::ReadInto(std::span<uint8_t> out) {
  if (out.size() > remaining()) {
    return false;
  }
  if (!out.empty()) {
    std::memcpy(out.data(), data_.data() + pos_, out.size());
  }
  pos_ += out.size();
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (n > remaining()) {
    return false;
  }
  pos_ += n;
  return true;
}

bool ByteReader::Match(ByteView expected) {
  if (expected.size() > remaining()) {
    return false;
  }
  if (!expected.empty() && std::memcmp(data_.data() + pos_, expected.data(), expected.size()) != 0) {
    return false;
  }
  pos_ += expected.size();
  return true;
}

bool ByteReader::ReaderAt(size_t offset, size_t len, ByteReader* out) const {
  // Subtract-first: offset <= size and len <= size - offset; no sum is formed.
  if (offset > data_.size() || len > data_.size() - offset) {
    return false;
  }
  *out = ByteReader(data_.subspan(offset, len), base_ + offset);
  return true;
}

bool ByteReader::SubReader(size_t len, ByteReader* out) {
  if (len > remaining()) {
    return false;
  }
  *out = ByteReader(data_.subspan(pos_, len), base_ + pos_);
  pos_ += len;
  return true;
}

bool ByteWriter::Reserve(size_t n) {
  if (!ok_ || n > limit_ || buf_.size() > limit_ - n) {
    ok_ = false;
    return false;
  }
  return true;
}

bool ByteWriter::WriteU8(uint8_t v) {
  if (!Reserve(1)) {
    return false;
  }
  buf_.push_back(v);
  return true;
}

bool ByteWriter::WriteU16Le(uint16_t v) {
  if (!Reserve(2)) {
    return false;
  }
  // One insertion per value (the buffer grows at most once), not one per byte.
  const uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  buf_.insert(buf_.end(), b, b + 2);
  return true;
}

bool ByteWriter::WriteU32Le(uint32_t v) {
  if (!Reserve(4)) {
    return false;
  }
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) {
    b[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  buf_.insert(buf_.end(), b, b + 4);
  return true;
}

bool ByteWriter::WriteU64Le(uint64_t v) {
  if (!Reserve(8)) {
    return false;
  }
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  buf_.insert(buf_.end(), b, b + 8);
  return true;
}

bool ByteWriter::WriteU16Be(uint16_t v) {
  if (!Reserve(2)) {
    return false;
  }
  buf_.push_back(static_cast<uint8_t>(v >> 8));
  buf_.push_back(static_cast<uint8_t>(v));
  return true;
}

bool ByteWriter::WriteU32Be(uint32_t v) {
  if (!Reserve(4)) {
    return false;
  }
  for (int i = 3; i >= 0; --i) {
    buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return true;
}

bool ByteWriter::WriteBytes(ByteView v) {
  if (!Reserve(v.size())) {
    return false;
  }
  buf_.insert(buf_.end(), v.begin(), v.end());
  return true;
}

bool ByteWriter::WriteZeros(size_t n) {
  if (!Reserve(n)) {
    return false;
  }
  buf_.insert(buf_.end(), n, 0);
  return true;
}

bool ByteWriter::PatchU16Le(size_t pos, uint16_t v) {
  if (!ok_ || pos > buf_.size() || buf_.size() - pos < 2) {
    ok_ = false;
    return false;
  }
  buf_[pos] = static_cast<uint8_t>(v);
  buf_[pos + 1] = static_cast<uint8_t>(v >> 8);
  return true;
}

bool ByteWriter::PatchU32Le(size_t pos, uint32_t v) {
  if (!ok_ || pos > buf_.size() || buf_.size() - pos < 4) {
    ok_ = false;
    return false;
  }
  StoreU32Le(buf_.data() + pos, v);
  return true;
}

std::string ToHex(ByteView b) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (uint8_t c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool FromHex(std::string_view hex, Bytes* out) {
  if (hex.size() % 2 != 0) {
    return false;
  }
  Bytes result;
  result.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    result.push_back(static_cast<uint8_t>((hi << 4) | lo));
  }
  *out = std::move(result);
  return true;
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) {
    return false;
  }
  volatile uint8_t acc = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    acc = acc | static_cast<uint8_t>(a[i] ^ b[i]);
  }
  return acc == 0;
}

}  // namespace ntlm
