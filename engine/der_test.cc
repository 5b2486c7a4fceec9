// Tests of the DER reader and writer, X.690 8.1, 8.3, 8.6, 8.19, 10.1, 10.2, 11.2. Negative
// tests name the rule broken and expect the error code, field and absolute offset.
#include "engine/der.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "engine/testing/test_util.h"

namespace ntlm::der {
namespace {

using ::ntlm::testing::Hex;

template <typename T>
void ExpectError(const Result<T>& r, ErrorCode code, const std::string& field, size_t offset) {
  ASSERT_FALSE(r.ok()) << "expected " << ErrorCodeName(code);
  EXPECT_EQ(r.error().code, code) << r.error().ToString();
  EXPECT_EQ(r.error().field, field) << r.error().ToString();
  EXPECT_EQ(r.error().offset, offset) << r.error().ToString();
}

void ExpectStatusError(const Status& s, ErrorCode code, const std::string& field, size_t offset) {
  ASSERT_FALSE(s.ok()) << "expected " << ErrorCodeName(code);
  EXPECT_EQ(s.error().code, code) << s.error().ToString();
  EXPECT_EQ(s.error().field, field) << s.error().ToString();
  EXPECT_EQ(s.error().offset, offset) << s.error().ToString();
}

// SEQUENCE { OBJECT IDENTIFIER 1.3.6.1.4.1.311.2.2.10 }, the MechTypeList [NTLMSSP]:
//   30 0c                              SEQUENCE, 12 bytes
//      06 0a                           OBJECT IDENTIFIER, 10 bytes
//         2b                           1.3 (40 * 1 + 3)
//         06 01 04 01                  6.1.4.1
//         82 37                        311 = 2 * 128 + 55
//         02 02 0a                     2.2.10
const char kNtlmMechList[] = "300c 060a 2b06010401823702020a";

TEST(DerTag_X690_8_1_2, Names) {
  EXPECT_EQ(TagToString(kSequence), "SEQUENCE (0x30)");
  EXPECT_EQ(TagToString(kOid), "OBJECT IDENTIFIER (0x06)");
  EXPECT_EQ(TagToString(ContextTag(1)), "[1] constructed (0xa1)");
  EXPECT_EQ(TagToString(ApplicationTag(0)), "[APPLICATION 0] constructed (0x60)");
  EXPECT_EQ(TagToString(Tag{TagClass::kUniversal, true, 4}), "[UNIVERSAL 4] constructed (0x24)");
  EXPECT_EQ(TagToString(Tag{TagClass::kPrivate, false, 200}), "[PRIVATE 200] primitive");
}

TEST(DerReader_X690_8_1, ReadsNestedElementsWithAbsoluteOffsets) {
  const Bytes wire = Hex(kNtlmMechList);
  Reader top(wire);
  auto seq = top.Read(kSequence, "MechTypeList");
  ASSERT_TRUE(seq.ok()) << seq.error().ToString();
  EXPECT_EQ(seq->offset, 0u);
  EXPECT_EQ(seq->contents_offset, 2u);
  EXPECT_EQ(seq->encoding.size(), 14u);
  EXPECT_EQ(seq->contents.size(), 12u);
  EXPECT_TRUE(top.ExpectEnd("MechTypeList").ok());

  auto inside = top.Enter(*seq, "MechTypeList");
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(inside->depth(), 1u);
  EXPECT_EQ(inside->offset(), 2u);
  auto oid = inside->ReadOid("MechTypeList[0]");
  ASSERT_TRUE(oid.ok()) << oid.error().ToString();
  EXPECT_EQ(*oid, "1.3.6.1.4.1.311.2.2.10");
  EXPECT_TRUE(inside->empty());
  EXPECT_TRUE(inside->ExpectEnd("MechTypeList").ok());
}

TEST(DerReader_X690_8_1, FailedReadLeavesTheReaderWhereItWas) {
  const Bytes wire = Hex("0401aa 3000");
  Reader r(wire);
  ExpectError(r.Read(kSequence, "x"), ErrorCode::kBadValue, "x", 0);
  EXPECT_EQ(r.offset(), 0u);
  ExpectError(r.ReadOid("x"), ErrorCode::kBadValue, "x", 0);
  EXPECT_EQ(r.offset(), 0u);
  auto v = r.ReadOctetString("x");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(ToHex(*v), "aa");
  EXPECT_EQ(r.offset(), 3u);
  ExpectError(r.ReadBitString("y"), ErrorCode::kBadValue, "y", 3);
  EXPECT_EQ(r.offset(), 3u);
  auto s = r.Read(kSequence, "y");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(r.empty());
}

TEST(DerReader_X690_8_1, EnterRefusesAPrimitiveElement) {
  const Bytes wire = Hex("0401aa");
  Reader r(wire);
  auto e = r.ReadAny("x");
  ASSERT_TRUE(e.ok());
  ExpectError(r.Enter(*e, "x"), ErrorCode::kBadValue, "x", 0);
}

TEST(DerReader_X690_8_1_2_4, HighTagNumbers) {
  // [APPLICATION 31] constructed: 7f 1f; [PRIVATE 200] primitive: df 81 48 (200 = 1*128 + 72).
  const Bytes wire = Hex("7f1f00 df814801ff");
  Reader r(wire);
  auto a = r.ReadAny("a");
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ(a->tag, ApplicationTag(31));
  auto p = r.ReadAny("p");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->tag, (Tag{TagClass::kPrivate, false, 200}));
  EXPECT_EQ(p->contents_offset, 7u);
  EXPECT_EQ(ToHex(p->contents), "ff");

  Writer w;
  EXPECT_TRUE(w.WriteElement(ApplicationTag(31), {}));
  EXPECT_TRUE(w.WriteElement(Tag{TagClass::kPrivate, false, 200}, Hex("ff")));
  EXPECT_EQ(w.bytes(), wire);
}

struct BadTlv {
  const char* name;
  const char* hex;
  ErrorCode code;
  size_t offset;
  const char* rule;
};

TEST(DerReader_X690_8_1, RejectsMalformedTlvs) {
  const BadTlv cases[] = {
      {"empty input", "", ErrorCode::kTruncated, 0, ""},
      {"identifier only", "30", ErrorCode::kTruncated, 1, "X.690 8.1.3"},
      {"truncated TLV: length 5, 4 bytes left", "3005 06032b06", ErrorCode::kTruncated, 1,
       "X.690 8.1.3"},
      {"long-form length octets cut short", "048201", ErrorCode::kTruncated, 1, "X.690 8.1.3"},
      {"indefinite length 0x80", "3080 0000", ErrorCode::kBadLength, 1, "X.690 10.1"},
      {"reserved length octet 0xff", "04ff", ErrorCode::kBadLength, 1, "X.690 8.1.3.5"},
      {"non-minimal length 0x81 0x05", "048105 0102030405", ErrorCode::kBadLength, 1, "X.690 10.1"},
      {"non-minimal length 0x82 0x00 0x05", "04820005 0102030405", ErrorCode::kBadLength, 1,
       "X.690 10.1"},
      {"five length octets", "04850000000001 00", ErrorCode::kTooLarge, 1, "X.690 8.1.3"},
      {"high tag form for tag 30", "1f1e00", ErrorCode::kBadValue, 0, "X.690 8.1.2"},
      {"high tag number with a leading 0x80", "1f800100", ErrorCode::kBadValue, 1, "X.690 8.1.2.4"},
      {"high tag number over four octets", "1f818181810100", ErrorCode::kTooLarge, 0,
       "X.690 8.1.2.4"},
      {"high tag number cut short", "1f81", ErrorCode::kTruncated, 2, "X.690 8.1.2"},
  };
  for (const BadTlv& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes wire = Hex(c.hex);
    Reader r(wire);
    auto e = r.ReadAny("X");
    ExpectError(e, c.code, "X", c.offset);
    if (!e.ok()) {
      EXPECT_EQ(e.error().rule, c.rule);
    }
    EXPECT_EQ(r.offset(), 0u);
  }
}

TEST(DerReader_X690_8_1, AcceptsMinimalLongForms) {
  for (size_t len : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u}) {
    SCOPED_TRACE(len);
    Writer w;
    ASSERT_TRUE(w.WriteOctetString(Bytes(len, 0x5a)));
    const Bytes wire = w.Take();
    const size_t header = len < 128 ? 2 : (len < 256 ? 3 : (len < 65536 ? 4 : 5));
    ASSERT_EQ(wire.size(), header + len);
    if (len == 128) {
      EXPECT_EQ(ToHex(ByteView(wire).first(3)), "048180");
    }
    if (len == 256) {
      EXPECT_EQ(ToHex(ByteView(wire).first(4)), "04820100");
    }
    if (len == 65536) {
      EXPECT_EQ(ToHex(ByteView(wire).first(5)), "0483010000");
    }
    Reader r(wire);
    auto v = r.ReadOctetString("x");
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    EXPECT_EQ(v->size(), len);
    EXPECT_TRUE(r.empty());
  }
}

TEST(DerReader_X690_8_1, ChildLengthPastItsParent) {
  // SEQUENCE of 4 bytes whose OCTET STRING claims 5: the parent's and child's lengths disagree.
  const Bytes wire = Hex("3004 04050000");
  Reader top(wire);
  auto seq = top.Read(kSequence, "Outer");
  ASSERT_TRUE(seq.ok()) << seq.error().ToString();
  auto inside = top.Enter(*seq, "Outer");
  ASSERT_TRUE(inside.ok());
  auto e = inside->ReadOctetString("Outer.inner");
  ExpectError(e, ErrorCode::kBadLength, "Outer.inner", 3);
  EXPECT_EQ(e.error().rule, "X.690 8.1.3");
  // The reader cannot see past its parent even though the input goes on.
  const Bytes longer = Hex("3004 04050000 00000000");
  Reader top2(longer);
  auto seq2 = top2.Read(kSequence, "Outer");
  ASSERT_TRUE(seq2.ok());
  auto inside2 = top2.Enter(*seq2, "Outer");
  ASSERT_TRUE(inside2.ok());
  ExpectError(inside2->ReadOctetString("Outer.inner"), ErrorCode::kBadLength, "Outer.inner", 3);
  // The same through the generic walker.
  ExpectStatusError(CheckWellFormed(Reader(wire), "Outer"), ErrorCode::kBadLength, "Outer", 3);
}

TEST(DerReader_X690_8_1, WrongTagWhereASequenceIsRequired) {
  const Bytes wire = Hex("3100");
  Reader r(wire);
  r.set_schema_rule("RFC 4178 4.2.1");
  auto e = r.Read(kSequence, "NegTokenInit");
  ExpectError(e, ErrorCode::kBadValue, "NegTokenInit", 0);
  EXPECT_EQ(e.error().rule, "RFC 4178 4.2.1");
  EXPECT_NE(e.error().reason.find("expected SEQUENCE (0x30), found SET (0x31)"), std::string::npos)
      << e.error().reason;
}

TEST(DerReader_X690_8_1, TrailingBytes) {
  const Bytes wire = Hex("0500 00");
  Reader r(wire);
  ASSERT_TRUE(r.ReadAny("x").ok());
  ExpectStatusError(r.ExpectEnd("x"), ErrorCode::kTrailingBytes, "x", 2);
}

struct OidCase {
  const char* dotted;
  const char* contents_hex;
};

TEST(DerOid_X690_8_19, EncodesAndDecodes) {
  const OidCase cases[] = {
      {"1.3.6.1.5.5.2", "2b0601050502"},                   // SPNEGO
      {"1.3.6.1.4.1.311.2.2.10", "2b06010401823702020a"},  // NTLMSSP
      {"1.2.840.113554.1.2.2", "2a864886f712010202"},      // Kerberos 5
      {"1.2.840.48018.1.2.2", "2a864882f712010202"},       // MS Kerberos 5
      {"0.0", "00"},
      {"0.39", "27"},
      {"1.0", "28"},
      {"2.0", "50"},
      {"2.999.3", "883703"},  // 80 + 999 = 1079 = 8 * 128 + 55
      {"1.2.18446744073709551615", "2a81ffffffffffffffff7f"},
  };
  for (const OidCase& c : cases) {
    SCOPED_TRACE(c.dotted);
    auto enc = EncodeOid(c.dotted);
    ASSERT_TRUE(enc.ok()) << enc.error().ToString();
    EXPECT_EQ(ToHex(*enc), c.contents_hex);
    Writer w;
    ASSERT_TRUE(w.WriteOidContents(*enc));
    Reader r(w.bytes());
    auto dec = r.ReadOid("oid");
    ASSERT_TRUE(dec.ok()) << dec.error().ToString();
    EXPECT_EQ(*dec, c.dotted);
  }
}

TEST(DerOid_X690_8_19, RejectsBadContents) {
  const BadTlv cases[] = {
      {"empty OID", "0600", ErrorCode::kBadLength, 1, "X.690 8.19"},
      {"non-minimal subidentifier (leading 0x80)", "06032b8001", ErrorCode::kBadValue, 3,
       "X.690 8.19.2"},
      {"non-minimal first subidentifier", "0602802b", ErrorCode::kBadValue, 2, "X.690 8.19.2"},
      {"last subidentifier not ended", "06022b86", ErrorCode::kTruncated, 3, "X.690 8.19.2"},
      {"subidentifier over 64 bits", "060c2a82ffffffffffffffffff7f", ErrorCode::kTooLarge, 3,
       "X.690 8.19.2"},
      {"constructed form", "26032b0601", ErrorCode::kBadValue, 0, ""},
  };
  for (const BadTlv& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes wire = Hex(c.hex);
    Reader r(wire);
    auto oid = r.ReadOid("X");
    ExpectError(oid, c.code, "X", c.offset);
    if (!oid.ok()) {
      EXPECT_EQ(oid.error().rule, c.rule);
    }
  }
}

TEST(DerOid_X690_8_19, RejectsBadDottedText) {
  const std::pair<const char*, size_t> cases[] = {
      {"", 0},
      {"1", 0},
      {"3.1", 0},
      {"1.40", 0},
      {"1..2", 2},
      {"1.2.", 4},
      {"01.2", 0},
      {"1.2.a", 4},
      {"1.-2", 2},
      {".1.2", 0},
      {"1.2.18446744073709551616", 4},
      {"2.18446744073709551600", 0},
  };
  for (const auto& [text, offset] : cases) {
    SCOPED_TRACE(text);
    ExpectError(EncodeOid(text), ErrorCode::kInvalidArgument, "OBJECT IDENTIFIER", offset);
  }
}

TEST(DerEnumerated_X690_8_4, MinimalTwosComplement) {
  const std::pair<int64_t, const char*> cases[] = {
      {0, "0a0100"},
      {1, "0a0101"},
      {127, "0a017f"},
      {128, "0a020080"},
      {256, "0a020100"},
      {-1, "0a01ff"},
      {-128, "0a0180"},
      {-129, "0a02ff7f"},
      {std::numeric_limits<int64_t>::min(), "0a088000000000000000"},
      {std::numeric_limits<int64_t>::max(), "0a087fffffffffffffff"},
  };
  for (const auto& [value, hex] : cases) {
    SCOPED_TRACE(hex);
    Writer w;
    ASSERT_TRUE(w.WriteEnumerated(value));
    EXPECT_EQ(ToHex(w.bytes()), hex);
    Reader r(w.bytes());
    auto back = r.ReadEnumerated("e");
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    EXPECT_EQ(*back, value);
  }
  const BadTlv bad[] = {
      {"no contents", "0a00", ErrorCode::kBadLength, 1, "X.690 8.3"},
      {"leading 00", "0a020001", ErrorCode::kBadValue, 2, "X.690 8.3.2"},
      {"leading ff", "0a02ff80", ErrorCode::kBadValue, 2, "X.690 8.3.2"},
      {"nine octets", "0a09010000000000000000", ErrorCode::kTooLarge, 2, "X.690 8.3"},
  };
  for (const BadTlv& c : bad) {
    SCOPED_TRACE(c.name);
    const Bytes wire = Hex(c.hex);
    Reader r(wire);
    auto v = r.ReadEnumerated("X");
    ExpectError(v, c.code, "X", c.offset);
    if (!v.ok()) {
      EXPECT_EQ(v.error().rule, c.rule);
    }
  }
}

TEST(DerBitString_X690_8_6, UnusedBitsRules) {
  {
    const Bytes wire = Hex("0302 0102");  // 7 bits 0000001, 1 unused bit (zero)
    Reader r(wire);
    auto v = r.ReadBitString("b");
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    EXPECT_EQ(ToHex(*v), "0102");
  }
  {
    const Bytes wire = Hex("0301 00");  // the empty BIT STRING
    Reader r(wire);
    EXPECT_TRUE(r.ReadBitString("b").ok());
  }
  const BadTlv bad[] = {
      {"no unused-bits octet", "0300", ErrorCode::kBadLength, 1, "X.690 8.6.2"},
      {"empty with 1 unused bit", "030101", ErrorCode::kBadValue, 2, "X.690 8.6.2.3"},
      {"8 unused bits", "03020800", ErrorCode::kBadValue, 2, "X.690 8.6.2"},
      {"an unused bit set (DER)", "03020101", ErrorCode::kBadValue, 3, "X.690 11.2.1"},
  };
  for (const BadTlv& c : bad) {
    SCOPED_TRACE(c.name);
    const Bytes wire = Hex(c.hex);
    Reader r(wire);
    auto v = r.ReadBitString("X");
    ExpectError(v, c.code, "X", c.offset);
    if (!v.ok()) {
      EXPECT_EQ(v.error().rule, c.rule);
    }
  }
}

TEST(DerWellFormed_X690_10_2, UniversalForms) {
  EXPECT_TRUE(CheckWellFormed(Reader(Hex("3008 0400 0500 a102 0400")), "x").ok());
  ExpectStatusError(CheckWellFormed(Reader(Hex("3005 2403 040100")), "x"), ErrorCode::kBadValue,
                    "x", 2);  // constructed OCTET STRING: BER only
  ExpectStatusError(CheckWellFormed(Reader(Hex("1000")), "x"), ErrorCode::kBadValue, "x", 0);
}

// |levels| SEQUENCEs, each the only element of the one outside it, short form: 30 2(n-1) ...
Bytes NestedSequences(size_t levels) {
  Bytes out;
  for (size_t i = 0; i < levels; ++i) {
    out.push_back(0x30);
    out.push_back(static_cast<uint8_t>(2 * (levels - 1 - i)));
  }
  return out;
}

// Nested SEQUENCEs filling |total| bytes as far as whole headers go, valid DER throughout;
// built inside out in O(n).
Bytes DeeplyNested(size_t total, size_t* levels) {
  Bytes reversed;
  size_t len = 0;
  *levels = 0;
  while (true) {
    Bytes header;
    EXPECT_TRUE(EncodeHeader(kSequence, len, &header));
    if (header.size() > total - len) {
      break;
    }
    reversed.insert(reversed.end(), header.rbegin(), header.rend());
    len += header.size();
    ++*levels;
  }
  return Bytes(reversed.rbegin(), reversed.rend());
}

TEST(DerDepth, LimitIsEnforcedAtTheRightElement) {
  // 16 levels: the innermost SEQUENCE is at depth 15 and entering it makes depth 16, the limit.
  EXPECT_TRUE(CheckWellFormed(Reader(NestedSequences(16)), "x").ok());
  // 17 levels: entering the 17th (at offset 2 * 16) would pass the limit.
  ExpectStatusError(CheckWellFormed(Reader(NestedSequences(17)), "x"), ErrorCode::kTooLarge, "x",
                    32);
  // A smaller limit of the caller's choosing.
  ExpectStatusError(CheckWellFormed(Reader(NestedSequences(4), 0, 2), "x"), ErrorCode::kTooLarge,
                    "x", 4);
}

TEST(DerDepth, SixtyFourKibOfNestedSequencesDoNotExhaustTheStack) {
  size_t levels = 0;
  const Bytes wire = DeeplyNested(64 * 1024, &levels);
  ASSERT_GT(levels, 16000u);
  ASSERT_LE(wire.size(), 64u * 1024);
  // The outer lengths are all between 256 and 65535: 30 82 hi lo.
  ASSERT_EQ(ToHex(ByteView(wire).first(2)), "3082");
  Reader probe(wire);
  size_t offset_17th = 0;
  for (int i = 0; i < 16; ++i) {
    auto e = probe.ReadAny("x");
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    offset_17th = e->contents_offset;
    auto in = probe.Enter(*e, "x");
    ASSERT_TRUE(in.ok()) << in.error().ToString();
    probe = std::move(in).value();
  }
  ExpectStatusError(CheckWellFormed(Reader(wire), "x"), ErrorCode::kTooLarge, "x", offset_17th);
}

TEST(DerWriter, BuildsNestedElementsInsideOut) {
  // SEQUENCE { OID 1.3.6.1.5.5.2, [0] { OCTET STRING 01 02 } }:
  //   30 0e | 06 06 2b0601050502 | a0 04 04 02 0102
  Writer inner_tagged;
  ASSERT_TRUE(inner_tagged.WriteOctetString(Hex("0102")));
  Writer seq;
  auto oid = EncodeOid("1.3.6.1.5.5.2");
  ASSERT_TRUE(oid.ok());
  ASSERT_TRUE(seq.WriteOidContents(*oid));
  ASSERT_TRUE(seq.WriteConstructed(ContextTag(0), inner_tagged));
  Writer out;
  ASSERT_TRUE(out.WriteConstructed(kSequence, seq));
  EXPECT_EQ(ToHex(out.bytes()),
            "300e"
            "06062b0601050502"
            "a004"
            "04020102");
  EXPECT_TRUE(CheckWellFormed(Reader(out.bytes()), "x").ok());
}

TEST(DerWriter, FailureIsStickyAndLeavesTheBytes) {
  Writer w(6);
  ASSERT_TRUE(w.WriteOctetString(Hex("aa")));     // 3 bytes
  EXPECT_FALSE(w.WriteOctetString(Hex("bbcc")));  // 4 more would pass the limit of 6
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(ToHex(w.bytes()), "0401aa");
  EXPECT_FALSE(w.WriteOctetString({}));
  EXPECT_EQ(w.size(), 3u);

  Writer failed(1);
  EXPECT_FALSE(failed.WriteOctetString(Hex("aa")));
  Writer outer;
  EXPECT_FALSE(outer.WriteConstructed(kSequence, failed));
  EXPECT_FALSE(outer.ok());
  EXPECT_EQ(outer.size(), 0u);

  Writer bad_tag;
  EXPECT_FALSE(bad_tag.WriteElement(Tag{TagClass::kPrivate, false, kMaxTagNumber + 1}, {}));
  EXPECT_FALSE(bad_tag.ok());
}

TEST(DerWriter, RoundTripsThroughTheReader) {
  Writer seq;
  ASSERT_TRUE(seq.WriteEnumerated(1));
  ASSERT_TRUE(seq.WriteOctetString(Bytes(300, 7)));
  ASSERT_TRUE(seq.WriteElement(kBitString, Hex("0080")));
  Writer top;
  ASSERT_TRUE(top.WriteConstructed(ApplicationTag(0), seq));
  const Bytes wire = top.Take();

  Reader r(wire);
  auto app = r.Read(ApplicationTag(0), "app");
  ASSERT_TRUE(app.ok()) << app.error().ToString();
  auto in = r.Enter(*app, "app");
  ASSERT_TRUE(in.ok());
  Writer again_inner;
  while (!in->empty()) {
    auto e = in->ReadAny("item");
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    ASSERT_TRUE(again_inner.WriteElement(e->tag, e->contents));
  }
  Writer again;
  ASSERT_TRUE(again.WriteConstructed(ApplicationTag(0), again_inner));
  EXPECT_EQ(again.bytes(), wire);
}

// Every single-byte change and every truncation of a valid structure either decodes or fails
// with an error; none reads outside the input (checked by the ASan build).
TEST(DerWellFormed, MutationsNeverEscapeTheInput) {
  const Bytes good = Hex("3019 a00e300c060a2b06010401823702020a a2070405aabbccddee");
  ASSERT_TRUE(CheckWellFormed(Reader(good), "x").ok());
  for (size_t i = 0; i < good.size(); ++i) {
    for (int v = 0; v < 256; ++v) {
      Bytes b = good;
      b[i] = static_cast<uint8_t>(v);
      Status s = CheckWellFormed(Reader(b), "x");
      if (!s.ok()) {
        EXPECT_LE(s.error().offset, b.size());
      }
    }
  }
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    Status s = CheckWellFormed(Reader(b), "x");
    if (n == 0) {
      EXPECT_TRUE(s.ok());  // an empty run of elements is well formed
    } else {
      ExpectStatusError(s, ErrorCode::kTruncated, "x", 1);
    }
  }
}

}  // namespace
}  // namespace ntlm::der
