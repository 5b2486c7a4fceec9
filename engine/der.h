// A minimal, strict DER reader and writer: ITU-T X.690 (08/2015) 8.1 (TLV structure), 8.3/8.4
// (INTEGER/ENUMERATED), 8.6 (BIT STRING), 8.7 (OCTET STRING), 8.19 (OBJECT IDENTIFIER) and the
// DER restrictions of clause 10 and 11. Enough for SPNEGO (RFC 4178) and GSS-API framing
// (RFC 2743 3.1); not a general ASN.1 library.
//
// TLV layout (X.690 8.1.1):
//   identifier octets  class (2 bits) | constructed (1 bit) | number (5 bits, 31 = more octets)
//   length octets      0xxxxxxx            short form, length 0..127
//                      1nnnnnnn + n octets long form, n = 1..4 here, big-endian, minimal
//   contents octets    |length| bytes
//
// What the reader refuses (DER has one encoding per value, so anything else is an error):
//   - the indefinite length 0x80 and the reserved 0xff (X.690 10.1, 8.1.3.5);
//   - a long form that a shorter form could express: 0x81 0x05, 0x82 0x00 0x90 (X.690 10.1);
//   - more than 4 length octets (a limit of this reader: kTooLarge);
//   - a high-tag-number identifier for a number below 31, or with a leading 0x80 (8.1.2.4);
//   - a length that runs past the input (kTruncated) or past the enclosing element
//     (kBadLength);
//   - nesting deeper than the reader's depth limit (kTooLarge), so no input, however deeply
//     nested, can exhaust the stack of a caller that walks it.
//
// Example:
//   der::Reader top(token);
//   auto seq = top.Read(der::kSequence, "Thing");             // 30 LL ...
//   if (!seq.ok()) return seq.error();
//   auto inside = top.Enter(*seq, "Thing");
//   if (!inside.ok()) return inside.error();
//   auto oid = inside->ReadOid("Thing.algorithm");            // "1.3.6.1.5.5.2"
#ifndef NTLM_ENGINE_DER_H_
#define NTLM_ENGINE_DER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::der {

// X.690 8.1.2.2, Table 1.
enum class TagClass : uint8_t {
  kUniversal = 0,
  kApplication = 1,
  kContextSpecific = 2,
  kPrivate = 3,
};

struct Tag {
  TagClass tag_class = TagClass::kUniversal;
  bool constructed = false;
  uint32_t number = 0;
  bool operator==(const Tag&) const = default;
};

// The universal tags SPNEGO uses (X.680 8.4, Table 1), in the form DER requires of them.
inline constexpr Tag kBitString{TagClass::kUniversal, false, 3};    // 0x03
inline constexpr Tag kOctetString{TagClass::kUniversal, false, 4};  // 0x04
inline constexpr Tag kOid{TagClass::kUniversal, false, 6};          // 0x06
inline constexpr Tag kEnumerated{TagClass::kUniversal, false, 10};  // 0x0a
inline constexpr Tag kSequence{TagClass::kUniversal, true, 16};     // 0x30

// An EXPLICIT context tag [n] is always constructed (X.690 8.14.2): 0xa0 | n for n < 31.
constexpr Tag ContextTag(uint32_t n) { return Tag{TagClass::kContextSpecific, true, n}; }
// [APPLICATION n] constructed: 0x60 | n for n < 31.
constexpr Tag ApplicationTag(uint32_t n) { return Tag{TagClass::kApplication, true, n}; }

// "SEQUENCE (0x30)", "OBJECT IDENTIFIER (0x06)", "[1] constructed (0xa1)",
// "[APPLICATION 0] constructed (0x60)", "[PRIVATE 40] primitive".
std::string TagToString(Tag tag);

// Largest tag number the reader and writer accept: four high-tag-number octets.
inline constexpr uint32_t kMaxTagNumber = (1u << 28) - 1;
// Most length octets after the initial 0x8n octet.
inline constexpr size_t kMaxLengthOctets = 4;
// Default limit on nesting: the elements of a top-level Reader are at depth 0; a Reader made
// by Enter() reads at its parent's depth + 1, and Enter() fails past this depth.
inline constexpr size_t kDefaultMaxDepth = 16;

// One TLV as read from the input. The views point into the reader's input.
struct Element {
  Tag tag;
  size_t offset = 0;           // absolute offset of the identifier octets
  size_t contents_offset = 0;  // absolute offset of the contents octets
  ByteView encoding;           // identifier, length and contents octets
  ByteView contents;
};

// Reader: reads a run of TLVs, either a whole input or the contents of one constructed element.
//
// Failure contract: a Read* either returns the element (or value) and moves past it, or returns
// an Error and leaves the reader where it was. Errors carry the caller's |field| name and the
// absolute offset of the offending octet (identifier, length or contents). A reader never looks
// outside its own bytes: the reader of an element's contents cannot see its parent's bytes.
class Reader {
 public:
  // A top-level reader over |input|, whose first byte is at absolute offset |base_offset|.
  explicit Reader(ByteView input, size_t base_offset = 0, size_t max_depth = kDefaultMaxDepth);

  bool empty() const { return r_.empty(); }
  size_t offset() const { return r_.offset(); }  // absolute
  size_t depth() const { return depth_; }

  // The rule named by errors that break the caller's schema rather than X.690: a tag other than
  // the one required, an element missing, elements left over. E.g. "RFC 4178 4.2.1". Readers
  // made by Enter() inherit it. |rule| must be a string literal (it is not copied).
  void set_schema_rule(const char* rule) { schema_rule_ = rule; }

  // The tag of the next element, without moving. Fails like ReadAny on a bad identifier, and
  // with kTruncated when nothing is left.
  [[nodiscard]] Result<Tag> PeekTag(std::string_view field) const;
  // Reads the next element, whatever its tag. Checks identifier and length octets and that the
  // contents lie inside this reader; does not look into the contents.
  [[nodiscard]] Result<Element> ReadAny(std::string_view field);
  // Reads the next element and requires |tag| (kBadValue otherwise, naming both tags).
  [[nodiscard]] Result<Element> Read(Tag tag, std::string_view field);

  // Typed reads: the element, checked, then its contents decoded (X.690 rules as below).
  [[nodiscard]] Result<std::string> ReadOid(std::string_view field);
  [[nodiscard]] Result<ByteView> ReadOctetString(std::string_view field);
  [[nodiscard]] Result<int64_t> ReadEnumerated(std::string_view field);
  // The BIT STRING contents octets as sent: the unused-bits octet, then the bits.
  [[nodiscard]] Result<ByteView> ReadBitString(std::string_view field);

  // A reader over the contents of |e|, one level deeper than this reader. |e| must be a
  // constructed element (kBadValue otherwise); fails with kTooLarge past the depth limit.
  [[nodiscard]] Result<Reader> Enter(const Element& e, std::string_view field) const;
  // Succeeds when nothing is left; kTrailingBytes at the first byte left otherwise.
  [[nodiscard]] Status ExpectEnd(std::string_view field) const;

 private:
  Reader(ByteReader r, size_t depth, size_t max_depth);
  Error ShortInput(const char* rule, std::string_view field, size_t at,
                   const std::string& what) const;

  ByteReader r_;
  size_t depth_ = 0;
  size_t max_depth_ = kDefaultMaxDepth;
  const char* schema_rule_ = "";
};

// Contents decoders, for elements already read. Errors point into |e|'s contents.
//
// OBJECT IDENTIFIER (X.690 8.19): at least one subidentifier; each in minimal base-128 form
// (no leading 0x80 octet); the last octet ends a subidentifier; each arc fits in 64 bits.
// Returns dotted decimal, e.g. "1.3.6.1.4.1.311.2.2.10".
[[nodiscard]] Result<std::string> ParseOid(const Element& e, std::string_view field);
// ENUMERATED (X.690 8.4, encoded as INTEGER 8.3): 1..8 octets, two's complement, minimal
// (the first nine bits are neither all zero nor all one).
[[nodiscard]] Result<int64_t> ParseEnumerated(const Element& e, std::string_view field);
// BIT STRING (X.690 8.6.2, DER 11.2): an unused-bits octet of 0..7, 0 when there are no bits,
// and unused bits set to zero.
[[nodiscard]] Result<ByteView> ParseBitString(const Element& e, std::string_view field);

// Walks every element of |r| and, recursively, the contents of every constructed element,
// checking the TLV rules above (not the rules of any type). Recursion is bounded by the
// reader's depth limit. Used to check what a decoder skips.
[[nodiscard]] Status CheckWellFormed(Reader r, std::string_view field);

// Dotted decimal to OBJECT IDENTIFIER contents octets (X.690 8.19). The text must have at least
// two arcs of decimal digits without leading zeros, a first arc of 0, 1 or 2, a second arc
// below 40 when the first is 0 or 1, and arcs that fit in 64 bits; kInvalidArgument otherwise.
[[nodiscard]] Result<Bytes> EncodeOid(std::string_view dotted);

// Identifier and length octets for an element with |contents_len| contents octets.
// Fails (returns false, writes nothing) when the tag number or length is over this codec's
// limits.
[[nodiscard]] bool EncodeHeader(Tag tag, size_t contents_len, Bytes* out);

// Writer: appends TLVs to a buffer, each with the minimal length form. Nested elements are
// built inside out: write the contents into their own Writer, then WriteConstructed() the
// tag, the length and those contents into the outer one.
//
// Failure contract: like ByteWriter's. A write that fails (too large for the limit, a tag or
// length over this codec's limits, a failed inner Writer) leaves the bytes as they were and puts
// the writer in a sticky failed state: ok() is false and every later write fails.
class Writer {
 public:
  explicit Writer(size_t limit = ByteWriter::kDefaultLimit) : w_(limit), limit_(limit) {}

  bool ok() const { return w_.ok() && ok_; }
  size_t size() const { return w_.size(); }
  const Bytes& bytes() const { return w_.bytes(); }
  Bytes Take() { return w_.Take(); }

  // One TLV with |contents| as its contents octets.
  bool WriteElement(Tag tag, ByteView contents);
  // One TLV whose contents are what |inner| wrote. Fails when |inner| failed.
  bool WriteConstructed(Tag tag, const Writer& inner);
  // Bytes that are already a whole DER encoding (e.g. a MechTypeList kept as received).
  bool WriteRaw(ByteView der);

  bool WriteOctetString(ByteView v) { return WriteElement(kOctetString, v); }
  // ENUMERATED with the minimal two's complement contents.
  bool WriteEnumerated(int64_t v);
  // OBJECT IDENTIFIER from contents octets made by EncodeOid.
  bool WriteOidContents(ByteView contents) { return WriteElement(kOid, contents); }

 private:
  bool Fail();
  ByteWriter w_;
  size_t limit_;
  bool ok_ = true;
};

}  // namespace ntlm::der

#endif  // NTLM_ENGINE_DER_H_
