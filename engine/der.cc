// DER reader and writer: X.690 8.1, 8.3, 8.4, 8.6, 8.19, 10.1, 10.2, 11.2.
#include "engine/der.h"

#include <array>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

namespace ntlm::der {

namespace {

constexpr char kRuleIdentifier[] = "X.690 8.1.2";
constexpr char kRuleHighTag[] = "X.690 8.1.2.4";
constexpr char kRuleLength[] = "X.690 8.1.3";
constexpr char kRuleReservedLength[] = "X.690 8.1.3.5";
constexpr char kRuleDerLength[] = "X.690 10.1";
constexpr char kRuleDerStrings[] = "X.690 10.2";
constexpr char kRuleConstructedForm[] = "X.690 8.1.2.5";
constexpr char kRuleInteger[] = "X.690 8.3";
constexpr char kRuleIntegerMinimal[] = "X.690 8.3.2";
constexpr char kRuleBitString[] = "X.690 8.6.2";
constexpr char kRuleBitStringEmpty[] = "X.690 8.6.2.3";
constexpr char kRuleDerBitString[] = "X.690 11.2.1";
constexpr char kRuleOid[] = "X.690 8.19";
constexpr char kRuleOidSubidentifier[] = "X.690 8.19.2";

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

std::string HexByte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", b);
  return buf;
}

std::string Plural(size_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

// The form DER gives the universal types that have a fixed one (X.690 8.9, 8.11, 10.2): 1 for
// constructed (SEQUENCE, SET), 0 for primitive, -1 for the others.
int UniversalForm(uint32_t number) {
  switch (number) {
    case 16:  // SEQUENCE
    case 17:  // SET
      return 1;
    case 1:   // BOOLEAN
    case 2:   // INTEGER
    case 3:   // BIT STRING
    case 4:   // OCTET STRING
    case 5:   // NULL
    case 6:   // OBJECT IDENTIFIER
    case 9:   // REAL
    case 10:  // ENUMERATED
    case 12:  // UTF8String
    case 13:  // RELATIVE-OID
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:  // the restricted character strings
    case 23:
    case 24:  // UTCTime, GeneralizedTime
    case 25:
    case 26:
    case 27:
    case 28:
    case 30:  // more restricted character strings
      return 0;
    default:
      return -1;
  }
}

const char* UniversalName(uint32_t number) {
  switch (number) {
    case 1:
      return "BOOLEAN";
    case 2:
      return "INTEGER";
    case 3:
      return "BIT STRING";
    case 4:
      return "OCTET STRING";
    case 5:
      return "NULL";
    case 6:
      return "OBJECT IDENTIFIER";
    case 10:
      return "ENUMERATED";
    case 12:
      return "UTF8String";
    case 16:
      return "SEQUENCE";
    case 17:
      return "SET";
    case 19:
      return "PrintableString";
    case 22:
      return "IA5String";
    case 27:
      return "GeneralString";
    default:
      return nullptr;
  }
}

// The offset of the length octets of an element with no contents: one octet 0x00 just before
// where the contents would be (guarded for an Element made by hand).
size_t EmptyLengthOffset(const Element& e) {
  return e.contents_offset > e.offset ? e.contents_offset - 1 : e.offset;
}

}  // namespace

std::string TagToString(Tag tag) {
  std::string out;
  const int form = tag.tag_class == TagClass::kUniversal ? UniversalForm(tag.number) : -1;
  const char* name = tag.tag_class == TagClass::kUniversal ? UniversalName(tag.number) : nullptr;
  if (name != nullptr && form == (tag.constructed ? 1 : 0)) {
    out = name;
  } else {
    out.push_back('[');  // not out = "[": GCC 12 -O3 reports a false -Wrestrict on it
    switch (tag.tag_class) {
      case TagClass::kUniversal:
        out += "UNIVERSAL ";
        break;
      case TagClass::kApplication:
        out += "APPLICATION ";
        break;
      case TagClass::kContextSpecific:
        break;
      case TagClass::kPrivate:
        out += "PRIVATE ";
        break;
    }
    out += std::to_string(tag.number);
    out += tag.constructed ? "] constructed" : "] primitive";
  }
  if (tag.number < 31) {
    const uint8_t id = static_cast<uint8_t>((static_cast<uint8_t>(tag.tag_class) << 6) |
                                            (tag.constructed ? 0x20 : 0) | tag.number);
    out += " (" + HexByte(id) + ")";
  }
  return out;
}

// ---- Reader --------------------------------------------------------------------------------

Reader::Reader(ByteView input, size_t base_offset, size_t max_depth)
    : r_(input, base_offset), depth_(0), max_depth_(max_depth) {}

Reader::Reader(ByteReader r, size_t depth, size_t max_depth)
    : r_(r), depth_(depth), max_depth_(max_depth) {}

// At the top level the end of the reader is the end of the input: something is missing. Inside
// an element it is the end of the parent: the child's and the parent's lengths disagree.
Error Reader::ShortInput(const char* rule, std::string_view field, size_t at,
                         const std::string& what) const {
  if (depth_ == 0) {
    return MakeError(ErrorCode::kTruncated, rule, std::string(field), at,
                     what + " past the end of the input");
  }
  return MakeError(ErrorCode::kBadLength, rule, std::string(field), at,
                   what + " past the end of the enclosing element");
}

Result<Element> Reader::ReadAny(std::string_view field) {
  ByteReader r = r_;  // read on a copy; commit only on success
  const size_t start_pos = r.position();
  const size_t start = r.offset();

  // Identifier octets, X.690 8.1.2.
  uint8_t id = 0;
  if (!r.ReadU8(&id)) {
    return MakeError(ErrorCode::kTruncated, schema_rule_, std::string(field), start,
                     depth_ == 0 ? "the input ends where an element is required"
                                 : "the enclosing element ends where an element is required");
  }
  Tag tag;
  tag.tag_class = static_cast<TagClass>(id >> 6);
  tag.constructed = (id & 0x20) != 0;
  tag.number = id & 0x1f;
  if (tag.number == 0x1f) {
    uint32_t number = 0;
    for (size_t i = 0;; ++i) {
      const size_t at = r.offset();
      uint8_t b = 0;
      if (!r.ReadU8(&b)) {
        return ShortInput(kRuleIdentifier, field, at, "the identifier octets run");
      }
      if (i == 0 && b == 0x80) {
        return MakeError(ErrorCode::kBadValue, kRuleHighTag, std::string(field), at,
                         "the first tag number octet is 0x80, a leading zero");
      }
      if (i == 4) {
        return MakeError(
            ErrorCode::kTooLarge, kRuleHighTag, std::string(field), start,
            "a tag number of more than four octets (over " + std::to_string(kMaxTagNumber) + ")");
      }
      number = (number << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (number < 31) {
      return MakeError(ErrorCode::kBadValue, kRuleIdentifier, std::string(field), start,
                       "tag number " + std::to_string(number) +
                           " in the high-tag-number form; numbers below 31 take one octet");
    }
    tag.number = number;
  }

  // Length octets, X.690 8.1.3, in DER's minimal definite form (10.1).
  const size_t length_at = r.offset();
  uint8_t first = 0;
  if (!r.ReadU8(&first)) {
    return ShortInput(kRuleLength, field, length_at, "the length octets run");
  }
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else if (first == 0x80) {
    return MakeError(ErrorCode::kBadLength, kRuleDerLength, std::string(field), length_at,
                     "the indefinite length 0x80 is not allowed in DER");
  } else if (first == 0xff) {
    return MakeError(ErrorCode::kBadLength, kRuleReservedLength, std::string(field), length_at,
                     "the length octet 0xff is reserved");
  } else {
    const size_t n = first & 0x7f;
    if (n > kMaxLengthOctets) {
      return MakeError(ErrorCode::kTooLarge, kRuleLength, std::string(field), length_at,
                       "a length in " + std::to_string(n) + " octets; at most " +
                           std::to_string(kMaxLengthOctets) + " are accepted");
    }
    uint8_t lead = 0;
    for (size_t i = 0; i < n; ++i) {
      uint8_t b = 0;
      if (!r.ReadU8(&b)) {
        return ShortInput(kRuleLength, field, length_at, "the length octets run");
      }
      if (i == 0) {
        lead = b;
      }
      len = (len << 8) | b;
    }
    if (lead == 0) {
      return MakeError(ErrorCode::kBadLength, kRuleDerLength, std::string(field), length_at,
                       "the length " + std::to_string(len) + " in " + Plural(n, "octet") +
                           " starts with a zero octet; DER uses the fewest octets");
    }
    if (len < 0x80) {
      return MakeError(ErrorCode::kBadLength, kRuleDerLength, std::string(field), length_at,
                       "the length " + std::to_string(len) +
                           " in the long form; DER writes lengths below 128 in one octet");
    }
  }

  // Contents octets, which must lie inside this reader.
  const size_t contents_at = r.offset();
  ByteView contents;
  if (!r.ReadBytes(len, &contents)) {
    return ShortInput(
        kRuleLength, field, length_at,
        "the length " + std::to_string(len) + " (" + Plural(r.remaining(), "byte") + " left) runs");
  }

  Element e;
  e.tag = tag;
  e.offset = start;
  e.contents_offset = contents_at;
  e.encoding = r.whole().subspan(start_pos, r.position() - start_pos);
  e.contents = contents;
  r_ = r;
  return e;
}

Result<Tag> Reader::PeekTag(std::string_view field) const {
  Reader copy = *this;
  auto e = copy.ReadAny(field);
  if (!e.ok()) {
    return e.error();
  }
  return e->tag;
}

Result<Element> Reader::Read(Tag tag, std::string_view field) {
  Reader copy = *this;
  auto e = copy.ReadAny(field);
  if (!e.ok()) {
    return e;
  }
  if (e->tag != tag) {
    return MakeError(ErrorCode::kBadValue, schema_rule_, std::string(field), e->offset,
                     "expected " + TagToString(tag) + ", found " + TagToString(e->tag));
  }
  *this = copy;
  return e;
}

Result<std::string> Reader::ReadOid(std::string_view field) {
  Reader copy = *this;
  auto e = copy.Read(kOid, field);
  if (!e.ok()) {
    return e.error();
  }
  auto oid = ParseOid(*e, field);
  if (oid.ok()) {
    *this = copy;
  }
  return oid;
}

Result<ByteView> Reader::ReadOctetString(std::string_view field) {
  auto e = Read(kOctetString, field);
  if (!e.ok()) {
    return e.error();
  }
  return e->contents;
}

Result<int64_t> Reader::ReadEnumerated(std::string_view field) {
  Reader copy = *this;
  auto e = copy.Read(kEnumerated, field);
  if (!e.ok()) {
    return e.error();
  }
  auto v = ParseEnumerated(*e, field);
  if (v.ok()) {
    *this = copy;
  }
  return v;
}

Result<ByteView> Reader::ReadBitString(std::string_view field) {
  Reader copy = *this;
  auto e = copy.Read(kBitString, field);
  if (!e.ok()) {
    return e.error();
  }
  auto v = ParseBitString(*e, field);
  if (v.ok()) {
    *this = copy;
  }
  return v;
}

Result<Reader> Reader::Enter(const Element& e, std::string_view field) const {
  if (!e.tag.constructed) {
    return MakeError(ErrorCode::kBadValue, kRuleConstructedForm, std::string(field), e.offset,
                     TagToString(e.tag) + " is primitive: it holds no elements");
  }
  if (depth_ >= max_depth_) {
    return MakeError(ErrorCode::kTooLarge, "", std::string(field), e.offset,
                     "elements nested more than " + std::to_string(max_depth_) +
                         " levels deep (the reader's limit)");
  }
  Reader inner(ByteReader(e.contents, e.contents_offset), depth_ + 1, max_depth_);
  inner.schema_rule_ = schema_rule_;
  return inner;
}

Status Reader::ExpectEnd(std::string_view field) const {
  if (r_.empty()) {
    return Status();
  }
  return MakeError(ErrorCode::kTrailingBytes, schema_rule_, std::string(field), r_.offset(),
                   Plural(r_.remaining(), "byte") + " after the last element" +
                       (depth_ == 0 ? "" : " inside the enclosing element"));
}

// ---- Contents decoders ---------------------------------------------------------------------

Result<std::string> ParseOid(const Element& e, std::string_view field) {
  if (e.contents.empty()) {
    return MakeError(ErrorCode::kBadLength, kRuleOid, std::string(field), EmptyLengthOffset(e),
                     "an OBJECT IDENTIFIER needs at least one subidentifier");
  }
  ByteReader r(e.contents, e.contents_offset);
  std::string out;
  bool first = true;
  while (!r.empty()) {
    const size_t at = r.offset();
    uint64_t v = 0;
    uint8_t b = 0;
    size_t n = 0;
    do {
      if (!r.ReadU8(&b)) {
        return MakeError(ErrorCode::kTruncated, kRuleOidSubidentifier, std::string(field), at,
                         "the last subidentifier does not end (its last octet has bit 8 set)");
      }
      if (n == 0 && b == 0x80) {
        return MakeError(ErrorCode::kBadValue, kRuleOidSubidentifier, std::string(field), at,
                         "a subidentifier starts with 0x80; it must use the fewest octets");
      }
      if (v > (kMaxU64 >> 7)) {
        return MakeError(ErrorCode::kTooLarge, kRuleOidSubidentifier, std::string(field), at,
                         "a subidentifier larger than 64 bits");
      }
      v = (v << 7) | (b & 0x7f);
      ++n;
    } while ((b & 0x80) != 0);

    if (first) {
      // X.690 8.19.4: the first subidentifier is 40 * arc1 + arc2, arc1 in 0..2.
      const uint64_t arc1 = v < 40 ? 0 : (v < 80 ? 1 : 2);
      out = std::to_string(arc1) + "." + std::to_string(v - 40 * arc1);
      first = false;
    } else {
      out += ".";
      out += std::to_string(v);
    }
  }
  return out;
}

Result<int64_t> ParseEnumerated(const Element& e, std::string_view field) {
  const ByteView c = e.contents;
  if (c.empty()) {
    return MakeError(ErrorCode::kBadLength, kRuleInteger, std::string(field), EmptyLengthOffset(e),
                     "an ENUMERATED needs at least one contents octet");
  }
  if (c.size() > 8) {
    return MakeError(
        ErrorCode::kTooLarge, kRuleInteger, std::string(field), e.contents_offset,
        "an ENUMERATED of " + std::to_string(c.size()) + " octets; at most 8 are accepted");
  }
  if (c.size() >= 2 &&
      ((c[0] == 0x00 && (c[1] & 0x80) == 0) || (c[0] == 0xff && (c[1] & 0x80) != 0))) {
    return MakeError(ErrorCode::kBadValue, kRuleIntegerMinimal, std::string(field),
                     e.contents_offset,
                     "the value is not in the fewest octets (the first nine bits are equal)");
  }
  uint64_t v = (c[0] & 0x80) != 0 ? kMaxU64 : 0;  // sign extension
  for (uint8_t b : c) {
    v = (v << 8) | b;
  }
  return static_cast<int64_t>(v);
}

Result<ByteView> ParseBitString(const Element& e, std::string_view field) {
  const ByteView c = e.contents;
  if (c.empty()) {
    return MakeError(ErrorCode::kBadLength, kRuleBitString, std::string(field),
                     EmptyLengthOffset(e), "a BIT STRING needs its unused-bits octet");
  }
  const uint8_t unused = c[0];
  if (unused > 7) {
    return MakeError(ErrorCode::kBadValue, kRuleBitString, std::string(field), e.contents_offset,
                     "the unused-bits octet is " + std::to_string(unused) + ", above 7");
  }
  if (c.size() == 1 && unused != 0) {
    return MakeError(ErrorCode::kBadValue, kRuleBitStringEmpty, std::string(field),
                     e.contents_offset, "an empty BIT STRING must have 0 unused bits");
  }
  const uint8_t mask = static_cast<uint8_t>((1u << unused) - 1);
  if ((c.back() & mask) != 0) {
    return MakeError(ErrorCode::kBadValue, kRuleDerBitString, std::string(field),
                     e.contents_offset + c.size() - 1, "the unused bits are not zero");
  }
  return c;
}

Status CheckWellFormed(Reader r, std::string_view field) {
  while (!r.empty()) {
    auto e = r.ReadAny(field);
    if (!e.ok()) {
      return e.error();
    }
    if (e->tag.tag_class == TagClass::kUniversal) {
      const int form = UniversalForm(e->tag.number);
      if (form >= 0 && (form == 1) != e->tag.constructed) {
        return MakeError(ErrorCode::kBadValue, form == 1 ? kRuleConstructedForm : kRuleDerStrings,
                         std::string(field), e->offset,
                         TagToString(e->tag) + ": DER requires the " +
                             (form == 1 ? "constructed" : "primitive") + " form");
      }
    }
    if (e->tag.constructed) {
      auto inner = r.Enter(*e, field);
      if (!inner.ok()) {
        return inner.error();
      }
      // Recursion is bounded: Enter() fails beyond the reader's depth limit.
      Status s = CheckWellFormed(std::move(inner).value(), field);
      if (!s.ok()) {
        return s;
      }
    }
  }
  return Status();
}

// ---- Encoding ------------------------------------------------------------------------------

Result<Bytes> EncodeOid(std::string_view dotted) {
  auto bad = [&](size_t at, const std::string& why) {
    // Appended piece by piece: GCC 12 -O3 reports a false -Wrestrict on "\"" + std::string.
    std::string message(1, '"');
    message.append(dotted).append("\": ").append(why);
    return MakeError(ErrorCode::kInvalidArgument, kRuleOid, "OBJECT IDENTIFIER", at, message);
  };

  std::vector<uint64_t> arcs;
  size_t pos = 0;
  while (true) {
    const size_t start = pos;
    uint64_t v = 0;
    while (pos < dotted.size() && dotted[pos] != '.') {
      const char c = dotted[pos];
      if (c < '0' || c > '9') {
        return bad(pos, "only digits and dots are allowed");
      }
      const uint64_t d = static_cast<uint64_t>(c - '0');
      if (v > (kMaxU64 - d) / 10) {
        return bad(start, "an arc larger than 64 bits");
      }
      v = v * 10 + d;
      ++pos;
    }
    if (pos == start) {
      return bad(start, "an empty arc");
    }
    if (pos - start > 1 && dotted[start] == '0') {
      return bad(start, "an arc with a leading zero");
    }
    arcs.push_back(v);
    if (pos == dotted.size()) {
      break;
    }
    ++pos;  // the dot
  }

  if (arcs.size() < 2) {
    return bad(0, "an OBJECT IDENTIFIER needs at least two arcs");
  }
  if (arcs[0] > 2) {
    return bad(0, "the first arc must be 0, 1 or 2");
  }
  if (arcs[0] < 2 && arcs[1] >= 40) {
    return bad(0, "the second arc must be below 40 when the first is 0 or 1");
  }
  if (arcs[1] > kMaxU64 - 80) {
    return bad(0, "the first two arcs do not fit one 64-bit subidentifier");
  }

  Bytes out;
  auto put = [&out](uint64_t v) {
    std::array<uint8_t, 10> tmp{};  // 64 bits in base 128 need at most 10 octets
    size_t n = 0;
    do {
      tmp[n++] = static_cast<uint8_t>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    while (n > 0) {
      --n;
      out.push_back(static_cast<uint8_t>(tmp[n] | (n > 0 ? 0x80 : 0)));
    }
  };
  put(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) {
    put(arcs[i]);
  }
  return out;
}

bool EncodeHeader(Tag tag, size_t contents_len, Bytes* out) {
  if (tag.number > kMaxTagNumber || contents_len > 0xFFFFFFFFu) {
    return false;
  }
  std::array<uint8_t, 1 + 4 + 1 + 4> h{};  // identifier (up to 5) and length (up to 5)
  size_t n = 0;

  uint8_t id = static_cast<uint8_t>((static_cast<uint8_t>(tag.tag_class) << 6) |
                                    (tag.constructed ? 0x20 : 0));
  if (tag.number < 31) {
    h[n++] = static_cast<uint8_t>(id | tag.number);
  } else {
    h[n++] = static_cast<uint8_t>(id | 0x1f);
    size_t groups = 1;
    while (groups < 4 && (tag.number >> (7 * groups)) != 0) {
      ++groups;
    }
    for (size_t g = groups; g > 0; --g) {
      const uint8_t bits = static_cast<uint8_t>((tag.number >> (7 * (g - 1))) & 0x7f);
      h[n++] = static_cast<uint8_t>(bits | (g > 1 ? 0x80 : 0));
    }
  }

  if (contents_len < 0x80) {
    h[n++] = static_cast<uint8_t>(contents_len);
  } else {
    size_t octets = 1;
    while (octets < 4 && (contents_len >> (8 * octets)) != 0) {
      ++octets;
    }
    h[n++] = static_cast<uint8_t>(0x80 | octets);
    for (size_t i = octets; i > 0; --i) {
      h[n++] = static_cast<uint8_t>(contents_len >> (8 * (i - 1)));
    }
  }

  out->insert(out->end(), h.begin(), h.begin() + static_cast<std::ptrdiff_t>(n));
  return true;
}

bool Writer::Fail() {
  ok_ = false;
  return false;
}

bool Writer::WriteElement(Tag tag, ByteView contents) {
  if (!ok()) {
    return false;
  }
  Bytes header;
  if (!EncodeHeader(tag, contents.size(), &header)) {
    return Fail();
  }
  // Both parts must fit, so that a failed write leaves nothing behind (subtract-first).
  const size_t used = w_.size();
  if (used > limit_ || header.size() > limit_ - used ||
      contents.size() > limit_ - used - header.size()) {
    return Fail();
  }
  return w_.WriteBytes(header) && w_.WriteBytes(contents);
}

bool Writer::WriteConstructed(Tag tag, const Writer& inner) {
  if (!inner.ok()) {
    return Fail();
  }
  return WriteElement(tag, inner.bytes());
}

bool Writer::WriteRaw(ByteView der) {
  if (!ok()) {
    return false;
  }
  return w_.WriteBytes(der);
}

bool Writer::WriteEnumerated(int64_t v) {
  std::array<uint8_t, 8> b{};
  const uint64_t u = static_cast<uint64_t>(v);
  for (size_t i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(u >> (8 * (7 - i)));
  }
  // Drop leading octets that only repeat the sign (X.690 8.3.2).
  size_t start = 0;
  while (start < 7 && ((b[start] == 0x00 && (b[start + 1] & 0x80) == 0) ||
                       (b[start] == 0xff && (b[start + 1] & 0x80) != 0))) {
    ++start;
  }
  return WriteElement(kEnumerated, ByteView(b).subspan(start));
}

}  // namespace ntlm::der
