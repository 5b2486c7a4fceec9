// ntlm-harness engine: the bounds-checked byte reader and writer.
//
// All wire access in the engine goes through these two types. They never index raw buffers for
// their callers, and every length check is written subtract-first (`n <= size - pos`), so no
// combination of offsets and lengths from the wire can overflow.
#ifndef NTLM_ENGINE_BYTES_H_
#define NTLM_ENGINE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntlm {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// ByteReader: a read-only view of bytes that shrinks from the front as it is read.
//
// Failure contract: every Read/Skip either succeeds and advances the cursor by exactly the
// bytes it consumed, or fails (returns false) and leaves the reader, and its out-parameter,
// unchanged. A reader never reads outside the view it was given.
//
// offset() is the absolute offset of the cursor in the outermost input: a reader made by
// SubReader/ReaderAt keeps counting from its parent's base, so errors name the byte a user sees
// in a hex dump of the whole message.
class ByteReader {
 public:
  explicit ByteReader(ByteView data, size_t base_offset = 0)
      : data_(data), pos_(0), base_(base_offset) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t offset() const { return base_ + pos_; }   // absolute
  size_t position() const { return pos_; }         // relative to this view
  size_t size() const { return data_.size(); }
  ByteView rest() const { return data_.subspan(pos_); }
  ByteView whole() const { return data_; }

  [[nodiscard]] bool ReadU8(uint8_t* out);
  [[nodiscard]] bool ReadU16Le(uint16_t* out);
  [[nodiscard]] bool ReadU32Le(uint32_t* out);
  [[nodiscard]] bool ReadU64Le(uint64_t* out);
  [[nodiscard]] bool ReadU16Be(uint16_t* out);
  [[nodiscard]] bool ReadU32Be(uint32_t* out);
  // Reads |n| bytes as a view into the input (no copy).
  [[nodiscard]] bool ReadBytes(size_t n, ByteView* out);
  // Reads |n| bytes into |out| (copy); on failure |out| is untouched.
  [[nodiscard]] bool ReadInto(std::span<uint8_t> out);
  [[nodiscard]] bool Skip(size_t n);
  // Succeeds when the next bytes equal |expected|; consumes them.
  [[nodiscard]] bool Match(ByteView expected);

  // A reader over the |len| bytes at |offset| (relative to this view's start, not the cursor)
  // that can see only those bytes. Fails when they do not lie wholly inside this view. The
  // cursor of this reader does not move.
  [[nodiscard]] bool ReaderAt(size_t offset, size_t len, ByteReader* out) const;
  // A reader over the next |len| bytes; consumes them.
  [[nodiscard]] bool SubReader(size_t len, ByteReader* out);

 private:
  ByteView data_;
  size_t pos_;
  size_t base_;
};

// ByteWriter: a growing byte buffer.
//
// Failure contract: a write that would make the buffer larger than its limit fails, leaves the
// buffer as it was, and puts the writer in a sticky failed state (ok() == false) in which every
// later write fails too. Patch* writes at a position already written and fails (sticky) if the
// position is out of range.
class ByteWriter {
 public:
  static constexpr size_t kDefaultLimit = 1u << 24;  // 16 MiB: no NTLM message comes close
  explicit ByteWriter(size_t limit = kDefaultLimit) : limit_(limit) {}

  bool ok() const { return ok_; }
  size_t size() const { return buf_.size(); }
  const Bytes& bytes() const { return buf_; }
  Bytes Take() { return std::move(buf_); }
  // Room for |n| bytes in all (at most the limit), so that writes up to there do not reallocate.
  void ReserveCapacity(size_t n) { buf_.reserve(n < limit_ ? n : limit_); }

  bool WriteU8(uint8_t v);
  bool WriteU16Le(uint16_t v);
  bool WriteU32Le(uint32_t v);
  bool WriteU64Le(uint64_t v);
  bool WriteU16Be(uint16_t v);
  bool WriteU32Be(uint32_t v);
  bool WriteBytes(ByteView v);
  bool WriteZeros(size_t n);
  bool PatchU16Le(size_t pos, uint16_t v);
  bool PatchU32Le(size_t pos, uint32_t v);

 private:
  bool Reserve(size_t n);
  Bytes buf_;
  size_t limit_;
  bool ok_ = true;
};

// Little-endian loads and stores on fixed arrays (for crypto code whose sizes are static).
inline uint32_t LoadU32Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline void StoreU32Le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Hex helpers (lowercase output). FromHex accepts upper or lower case, no separators; fails on
// an odd length or a non-hex character.
std::string ToHex(ByteView b);
[[nodiscard]] bool FromHex(std::string_view hex, Bytes* out);

// Constant-time equality for secrets: time depends only on the lengths.
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace ntlm

#endif  // NTLM_ENGINE_BYTES_H_
