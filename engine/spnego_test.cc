// Tests of the SPNEGO codec, RFC 4178 4.2 (with RFC 2743 3.1 framing and [MS-SPNG] 2.2.1
// NegTokenInit2). Negative tests start from a valid token, check the byte about to be
// corrupted, corrupt it, and expect the named rejection with field and absolute offset.
#include "engine/spnego.h"

#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>

#include "engine/der.h"
#include "engine/testing/test_util.h"

namespace ntlm::spnego {
namespace {

using ::ntlm::testing::Hex;

template <typename T>
void ExpectError(const Result<T>& r, ErrorCode code, const std::string& field, size_t offset) {
  ASSERT_FALSE(r.ok()) << "expected " << ErrorCodeName(code);
  EXPECT_EQ(r.error().code, code) << r.error().ToString();
  EXPECT_EQ(r.error().field, field) << r.error().ToString();
  EXPECT_EQ(r.error().offset, offset) << r.error().ToString();
}

// A Windows-style NEGOTIATE, [MS-NLMP] 2.2.1.1: flags 0xa2088207, VERSION 10.0.18362 rev 15.
const char kNegotiate[] =
    "4e544c4d53535000 01000000 078208a2 0000000000000000 0000000000000000 0a00ba470000000f";

// The first token a browser sends for "Negotiate" with NTLM only, computed by hand:
//   off  bytes                        meaning
//    0   60 48                        [APPLICATION 0], 72 bytes (RFC 2743 3.1)
//    2   06 06 2b0601050502           thisMech 1.3.6.1.5.5.2 (SPNEGO)
//   10   a0 3e                        negTokenInit [0], 62 bytes
//   12   30 3c                        NegTokenInit SEQUENCE, 60 bytes
//   14   a0 0e                        mechTypes [0], 14 bytes
//   16   30 0c                        MechTypeList SEQUENCE, 12 bytes
//   18   06 0a 2b06010401823702020a   1.3.6.1.4.1.311.2.2.10 (NTLMSSP)
//   30   a2 2a                        mechToken [2], 42 bytes
//   32   04 28                        OCTET STRING, 40 bytes
//   34   4e544c4d...                  the NEGOTIATE
// Lengths: 42 + 2 = 44; 14 + 2 = 16; 16 + 44 = 60 = 0x3c; 62 = 0x3e; 8 + 64 = 72 = 0x48.
std::string InitTokenHex() {
  return std::string(
             "6048 06062b0601050502 a03e 303c a00e 300c 060a2b06010401823702020a "
             "a22a 0428 ") +
         kNegotiate;
}

// NegTokenResp, accept-incomplete, supportedMech NTLMSSP, responseToken 01020304:
//   a1 1d                        negTokenResp [1], 29 bytes
//   30 1b                        SEQUENCE, 27 bytes
//   a0 03 0a 01 01               negState [0] ENUMERATED accept-incomplete     (5 bytes)
//   a1 0c 06 0a 2b06...0a        supportedMech [1] NTLMSSP                     (14 bytes)
//   a2 06 04 04 01020304         responseToken [2]                             (8 bytes)
const char kRespIncomplete[] = "a11d 301b a0030a0101 a10c060a2b06010401823702020a a206040401020304";

// NegTokenResp, accept-completed only: a1 07 30 05 a0 03 0a 01 00.
const char kRespCompleted[] = "a107 3005 a0030a0100";

// NegTokenResp accept-completed, responseToken 01020304, mechListMIC (16 bytes):
//    0 a1 23, 2 30 21, 4 a0 03 0a 01 00, 9 a2 06 04 04 01020304, 17 a3 12 04 10 <16>.
const char kRespWithMic[] =
    "a123 3021 a0030a0100 a206040401020304 a3120410 01000000a1a2a3a4a5a6a7a800000000";

// The MechTypeList [NTLMSSP] as DER: what mechListMIC covers (RFC 4178 5).
const char kNtlmMechTypeList[] = "300c060a2b06010401823702020a";

const char kHintName[] = "not_defined_in_RFC4178@please_ignore";

// NegHints { hintName [0] GeneralString "not_defined_in_RFC4178@please_ignore" } (36 chars):
// 30 28 a0 26 1b 24 <36 bytes>.
Bytes WindowsNegHints() {
  Bytes out = Hex("3028a0261b24");
  const ByteView name = AsBytes(kHintName);
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

// Nested SEQUENCEs filling up to |total| bytes, valid DER throughout, built inside out.
Bytes DeeplyNested(size_t total) {
  Bytes reversed;
  size_t len = 0;
  while (true) {
    Bytes header;
    EXPECT_TRUE(der::EncodeHeader(der::kSequence, len, &header));
    if (header.size() > total - len) {
      break;
    }
    reversed.insert(reversed.end(), header.rbegin(), header.rend());
    len += header.size();
  }
  return Bytes(reversed.rbegin(), reversed.rend());
}

void ExpectRoundTrip(const Bytes& wire) {
  auto t = DecodeNegotiationToken(wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  auto again = t->is_init() ? EncodeNegTokenInit(*t->init()) : EncodeNegTokenResp(*t->resp());
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(ToHex(*again), ToHex(wire));
}

// ---- Constants ----------------------------------------------------------------------------

TEST(Spnego_RFC4178, MechanismOids) {
  const std::pair<const char*, const char*> cases[] = {
      {kSpnegoOid, "2b0601050502"},         {kNtlmsspOid, "2b06010401823702020a"},
      {kKerberosOid, "2a864886f712010202"}, {kMsKerberosOid, "2a864882f712010202"},
      {kNegoExOid, "2b06010401823702021e"},
  };
  for (const auto& [oid, hex] : cases) {
    SCOPED_TRACE(oid);
    auto enc = der::EncodeOid(oid);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(ToHex(*enc), hex);
    EXPECT_FALSE(MechName(oid).empty());
  }
  EXPECT_TRUE(IsKerberosOid(kKerberosOid));
  EXPECT_TRUE(IsKerberosOid(kMsKerberosOid));
  EXPECT_FALSE(IsKerberosOid(kNtlmsspOid));
  EXPECT_EQ(MechName("1.2.3"), "");
  EXPECT_STREQ(NegStateName(NegState::kRequestMic), "request-mic");
}

TEST(Spnego_RFC4178, LooksLikeHelpers) {
  const Bytes init = Hex(InitTokenHex());
  const Bytes ntlm = Hex(kNegotiate);
  EXPECT_TRUE(LooksLikeSpnego(init));
  EXPECT_TRUE(LooksLikeSpnego(ByteView(init).subspan(10)));  // bare a0
  EXPECT_TRUE(LooksLikeSpnego(Hex(kRespCompleted)));
  EXPECT_FALSE(LooksLikeSpnego(ntlm));
  EXPECT_FALSE(LooksLikeSpnego({}));
  EXPECT_TRUE(LooksLikeNtlmssp(ntlm));
  EXPECT_FALSE(LooksLikeNtlmssp(init));
  EXPECT_FALSE(LooksLikeNtlmssp(ByteView(ntlm).first(7)));
}

// ---- NegTokenInit -------------------------------------------------------------------------

TEST(SpnegoInit_4_2_1, EncodesTheHandComputedBytes) {
  NegTokenInit m;
  m.mech_types = {kNtlmsspOid};
  m.mech_token = Hex(kNegotiate);
  auto wire = EncodeNegTokenInit(m);
  ASSERT_TRUE(wire.ok()) << wire.error().ToString();
  EXPECT_EQ(ToHex(*wire), ToHex(Hex(InitTokenHex())));
  EXPECT_EQ(wire->size(), 74u);
}

TEST(SpnegoInit_4_2_1, DecodesAndRoundTrips) {
  const Bytes wire = Hex(InitTokenHex());
  auto t = DecodeNegotiationToken(wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->is_init());
  const NegTokenInit& m = *t->init();
  EXPECT_TRUE(m.initial_context_token);
  ASSERT_EQ(m.mech_types.size(), 1u);
  EXPECT_EQ(m.mech_types[0], kNtlmsspOid);
  ASSERT_TRUE(m.mech_token.has_value());
  EXPECT_EQ(*m.mech_token, Hex(kNegotiate));
  EXPECT_TRUE(LooksLikeNtlmssp(*m.mech_token));
  EXPECT_FALSE(m.req_flags.has_value());
  EXPECT_FALSE(m.neg_hints.has_value());
  EXPECT_FALSE(m.mech_list_mic.has_value());
  EXPECT_EQ(ToHex(m.mech_types_der), kNtlmMechTypeList);
  ExpectRoundTrip(wire);
}

TEST(SpnegoInit_4_2_1, BareFormWithoutTheGssFraming) {
  const Bytes framed = Hex(InitTokenHex());
  const Bytes bare(framed.begin() + 10, framed.end());
  ASSERT_EQ(bare[0], 0xa0);
  auto t = DecodeNegotiationToken(bare);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->is_init());
  EXPECT_FALSE(t->init()->initial_context_token);
  EXPECT_EQ(t->init()->mech_types[0], kNtlmsspOid);
  ExpectRoundTrip(bare);

  NegTokenInit m = *t->init();
  m.initial_context_token = true;
  auto wrapped = EncodeNegTokenInit(m);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(*wrapped, framed);
}

TEST(SpnegoInit_4_2_1, AllFieldsRoundTrip) {
  NegTokenInit m;
  m.mech_types = {kMsKerberosOid, kKerberosOid, kNtlmsspOid};
  m.req_flags = Hex("0160");        // 7 bits: mutualFlag and replayFlag set, 1 unused bit
  m.mech_token = Bytes(300, 0x42);  // long enough for a 0x82 length
  m.mech_list_mic = Hex("01000000a1a2a3a4a5a6a7a800000000");
  for (bool framed : {true, false}) {
    SCOPED_TRACE(framed);
    m.initial_context_token = framed;
    auto wire = EncodeNegTokenInit(m);
    ASSERT_TRUE(wire.ok()) << wire.error().ToString();
    auto t = DecodeNegotiationToken(*wire);
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    NegTokenInit expected = m;
    auto list = EncodeMechTypeList(m.mech_types);
    ASSERT_TRUE(list.ok());
    expected.mech_types_der = *list;
    ASSERT_TRUE(t->is_init());
    EXPECT_TRUE(*t->init() == expected);
    ExpectRoundTrip(*wire);
  }
}

TEST(SpnegoInit_4_2_1, MechTypeListIsWhatTheMicCovers) {
  auto list = EncodeMechTypeList({kNtlmsspOid});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(ToHex(*list), kNtlmMechTypeList);
  auto empty = EncodeMechTypeList({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ToHex(*empty), "3000");
  ExpectError(EncodeMechTypeList({kNtlmsspOid, "1.2.x"}), ErrorCode::kInvalidArgument,
              "MechTypeList[1]", 4);
}

TEST(SpnegoInit2_MS_SPNG_2_2_1, WindowsServerHintsAreKeptNotRejected) {
  NegTokenInit m;
  m.mech_types = {kNegoExOid, kMsKerberosOid, kKerberosOid, kNtlmsspOid};
  m.neg_hints = WindowsNegHints();
  auto wire = EncodeNegTokenInit(m);
  ASSERT_TRUE(wire.ok()) << wire.error().ToString();
  auto t = DecodeNegotiationToken(*wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->is_init());
  EXPECT_EQ(t->init()->mech_types.size(), 4u);
  ASSERT_TRUE(t->init()->neg_hints.has_value());
  EXPECT_EQ(*t->init()->neg_hints, WindowsNegHints());
  EXPECT_FALSE(t->init()->mech_list_mic.has_value());
  ExpectRoundTrip(*wire);

  // With negHints at [3], mechListMIC moves to [4].
  m.mech_list_mic = Hex("0102");
  auto with_mic = EncodeNegTokenInit(m);
  ASSERT_TRUE(with_mic.ok());
  const std::string hex = ToHex(*with_mic);
  EXPECT_NE(hex.find("a40404020102"), std::string::npos) << hex;
  auto t2 = DecodeNegotiationToken(*with_mic);
  ASSERT_TRUE(t2.ok()) << t2.error().ToString();
  EXPECT_EQ(*t2->init()->mech_list_mic, Hex("0102"));
  ExpectRoundTrip(*with_mic);
}

TEST(SpnegoInit2_MS_SPNG_2_2_1, MicAtFourWithoutHintsDecodes) {
  // a0 18 30 16 | a0 0e <MechTypeList> | a4 04 04 02 0102
  const Bytes wire = Hex(std::string("a018 3016 a00e ") + kNtlmMechTypeList + "a404 04020102");
  auto t = DecodeNegotiationToken(wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(*t->init()->mech_list_mic, Hex("0102"));
  // Re-encoded without negHints, the MIC goes to [3]; the decoded value is the same.
  auto again = EncodeNegTokenInit(*t->init());
  ASSERT_TRUE(again.ok());
  auto t2 = DecodeNegotiationToken(*again);
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(t2->value == t->value);
}

// Extension additions (RFC 4178's "..."): a well-formed [5] is skipped; it must still be DER,
// come after the known components, and be an explicit (constructed) tag.
TEST(SpnegoInit_4_2_1, UnknownContextTagPolicy) {
  // a0 17 30 15 | 4: a0 0e <MechTypeList> | 20: a5 03 02 01 00
  const std::string head = std::string("a00e ") + kNtlmMechTypeList;
  {
    SCOPED_TRACE("well-formed [5] after the known components: skipped");
    auto t = DecodeNegotiationToken(Hex("a017 3015 " + head + "a503020100"));
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    EXPECT_EQ(t->init()->mech_types[0], kNtlmsspOid);
    auto again = EncodeNegTokenInit(*t->init());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(ToHex(*again), "a0123010" + ToHex(Hex(head)));  // the extension is not kept
  }
  {
    SCOPED_TRACE("[5] whose contents are not DER: the INTEGER's length runs past [5]");
    ExpectError(DecodeNegotiationToken(Hex("a017 3015 " + head + "a503020200")),
                ErrorCode::kBadLength, "NegTokenInit.[5]", 23);
  }
  {
    SCOPED_TRACE("[2] after [5]: out of order");
    ExpectError(DecodeNegotiationToken(Hex("a01b 3019 " + head + "a503020100 a2020400")),
                ErrorCode::kBadValue, "NegTokenInit.mechToken", 25);
  }
  {
    SCOPED_TRACE("primitive [5]");
    ExpectError(DecodeNegotiationToken(Hex("a015 3013 " + head + "850100")), ErrorCode::kBadValue,
                "NegTokenInit", 20);
  }
  {
    SCOPED_TRACE("universal OCTET STRING among the components");
    ExpectError(DecodeNegotiationToken(Hex("a015 3013 " + head + "040100")), ErrorCode::kBadValue,
                "NegTokenInit", 20);
  }
  {
    SCOPED_TRACE("nesting beyond the depth limit inside [5]");
    // a0 3c 30 3a | a0 0e <14> | 20: a5 28 | 22: 20 nested SEQUENCEs, 2 bytes each. The
    // token's [0] is read at depth 0, NegTokenInit at 1, [5] at 2 and its contents at depth 3,
    // so the 14th nested SEQUENCE (at 22 + 2 * 13 = 48) is the one at depth 16 that cannot be
    // entered.
    std::string nested;
    for (int i = 0; i < 20; ++i) {
      nested += "30" + ToHex(Bytes{static_cast<uint8_t>(2 * (19 - i))});
    }
    ExpectError(DecodeNegotiationToken(Hex("a03c 303a " + head + "a528" + nested)),
                ErrorCode::kTooLarge, "NegTokenInit.[5]", 48);
  }
}

TEST(SpnegoInit_4_2_1, SixtyFourKibOfNestedSequencesInAnExtension) {
  // a0 82 hi lo | 30 82 hi lo | a0 0e <14> | a5 82 hi lo | nested SEQUENCEs at 28, each with a
  // 4-byte header (30 82 hi lo) while its length is 256 or more. The one at depth 16 is the
  // 14th: 28 + 13 * 4 = 80.
  const Bytes nested = DeeplyNested(64 * 1024 - 28);
  der::Writer ext_contents;
  ASSERT_TRUE(ext_contents.WriteRaw(nested));
  der::Writer seq;
  ASSERT_TRUE(seq.WriteRaw(Hex(std::string("a00e") + kNtlmMechTypeList)));
  ASSERT_TRUE(seq.WriteConstructed(der::ContextTag(5), ext_contents));
  der::Writer body;
  ASSERT_TRUE(body.WriteConstructed(der::kSequence, seq));
  der::Writer token;
  ASSERT_TRUE(token.WriteConstructed(der::ContextTag(0), body));
  ASSERT_LE(token.size(), 64u * 1024);
  ASSERT_GT(token.size(), 64u * 1024 - 8);
  ASSERT_EQ(ToHex(ByteView(token.bytes()).subspan(24, 4)).substr(0, 4), "a582");
  ExpectError(DecodeNegotiationToken(token.bytes()), ErrorCode::kTooLarge, "NegTokenInit.[5]", 80);
}

struct Mutation {
  const char* name;
  size_t pos;
  uint8_t from;
  uint8_t to;
  ErrorCode code;
  const char* field;
  size_t offset;
};

TEST(SpnegoInit_4_2_1, OneByteRejections) {
  const Bytes good = Hex(InitTokenHex());
  const Mutation cases[] = {
      {"wrong tag where the NegTokenInit SEQUENCE is required", 12, 0x30, 0x31,
       ErrorCode::kBadValue, "NegTokenInit", 12},
      {"wrong tag where the MechTypeList SEQUENCE is required", 16, 0x30, 0x04,
       ErrorCode::kBadValue, "NegTokenInit.mechTypes", 16},
      {"indefinite length 0x80 on the MechTypeList", 17, 0x0c, 0x80, ErrorCode::kBadLength,
       "NegTokenInit.mechTypes", 17},
      {"mechToken length past its [2]", 33, 0x28, 0x29, ErrorCode::kBadLength,
       "NegTokenInit.mechToken", 33},
      {"[2] length past the NegTokenInit", 31, 0x2a, 0x2b, ErrorCode::kBadLength, "NegTokenInit",
       31},
      {"mechTypes [0] twice", 30, 0xa2, 0xa0, ErrorCode::kBadValue, "NegTokenInit.mechTypes", 30},
      {"OCTET STRING where reqFlags' BIT STRING is required", 30, 0xa2, 0xa1, ErrorCode::kBadValue,
       "NegTokenInit.reqFlags", 32},
      {"primitive context tag", 30, 0xa2, 0x82, ErrorCode::kBadValue, "NegTokenInit", 30},
      {"empty OID", 19, 0x0a, 0x00, ErrorCode::kBadLength, "NegTokenInit.mechTypes[0]", 19},
      {"OID subidentifier 0x80 0x37", 25, 0x82, 0x80, ErrorCode::kBadValue,
       "NegTokenInit.mechTypes[0]", 25},
      {"OID whose last subidentifier does not end", 29, 0x0a, 0x8a, ErrorCode::kTruncated,
       "NegTokenInit.mechTypes[0]", 29},
      {"thisMech 1.3.6.1.5.5.3", 9, 0x02, 0x03, ErrorCode::kUnsupported,
       "InitialContextToken.thisMech", 2},
      {"negTokenResp inside the InitialContextToken", 10, 0xa0, 0xa1, ErrorCode::kBadValue,
       "NegotiationToken", 10},
      {"first byte 0x61", 0, 0x60, 0x61, ErrorCode::kBadValue, "NegotiationToken", 0},
      {"indefinite length on the InitialContextToken", 1, 0x48, 0x80, ErrorCode::kBadLength,
       "InitialContextToken", 1},
      {"constructed thisMech", 2, 0x06, 0x26, ErrorCode::kBadValue, "InitialContextToken.thisMech",
       2},
  };
  for (const Mutation& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes b = good;
    ASSERT_EQ(b[c.pos], c.from);
    b[c.pos] = c.to;
    ExpectError(DecodeNegotiationToken(b), c.code, c.field, c.offset);
  }
}

TEST(SpnegoInit_4_2_1, NonMinimalSubidentifierInTheSecondMech) {
  // mechTypes [MS Kerberos, NTLMSSP]: 60 53 | 06 06 .. | a0 49 30 47 | a0 19 30 17 |
  // 18: 06 09 2a864882f712010202 | 29: 06 0a 2b 06 01 04 01 | 36: 82 37 02 02 0a.
  NegTokenInit m;
  m.mech_types = {kMsKerberosOid, kNtlmsspOid};
  m.mech_token = Hex(kNegotiate);
  auto wire = EncodeNegTokenInit(m);
  ASSERT_TRUE(wire.ok());
  Bytes b = *wire;
  ASSERT_EQ(b.size(), 85u);
  ASSERT_EQ(b[36], 0x82);
  b[36] = 0x80;
  ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenInit.mechTypes[1]", 36);
}

TEST(SpnegoInit_4_2_1, StructuralRejections) {
  const std::string list = std::string("a00e ") + kNtlmMechTypeList;
  struct Case {
    const char* name;
    std::string hex;
    ErrorCode code;
    const char* field;
    size_t offset;
  };
  const Case cases[] = {
      {"mechTypes missing", "a006 3004 a2020400", ErrorCode::kBadValue, "NegTokenInit.mechTypes",
       2},
      {"mechTypes empty", "a006 3004 a0023000", ErrorCode::kBadValue, "NegTokenInit.mechTypes", 6},
      {"mechListMIC at [3] and at [4]", "a01a 3018 " + list + "a3020400 a4020400",
       ErrorCode::kBadValue, "NegTokenInit.mechListMIC", 26},
      {"[3] holding an INTEGER", "a017 3015 " + list + "a303020100", ErrorCode::kBadValue,
       "NegTokenInit.mechListMIC", 22},
      {"negHints that are not DER", "a018 3016 " + list + "a304 3002 0401", ErrorCode::kBadLength,
       "NegTokenInit.negHints", 25},
      {"two values inside [2]", "a018 3016 " + list + "a204 0400 0400", ErrorCode::kTrailingBytes,
       "NegTokenInit.mechToken", 24},
      {"bytes after the SEQUENCE inside [0]", "a014 3010 " + list + "0500",
       ErrorCode::kTrailingBytes, "NegotiationToken", 20},
      {"Kerberos token, not SPNEGO", "600f 06092a864886f712010202 01006e00",
       ErrorCode::kUnsupported, "InitialContextToken.thisMech", 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectError(DecodeNegotiationToken(Hex(c.hex)), c.code, c.field, c.offset);
  }
}

TEST(SpnegoInit_4_2_1, TooManyMechanisms) {
  // a0 82 03 18 | 30 82 03 14 | a0 82 03 10 | 30 82 03 0c | 65 x (06 0a <NTLMSSP>) from 16:
  // the 65th is at 16 + 64 * 12 = 784.
  auto oid = der::EncodeOid(kNtlmsspOid);
  ASSERT_TRUE(oid.ok());
  der::Writer items;
  for (int i = 0; i < 65; ++i) {
    ASSERT_TRUE(items.WriteOidContents(*oid));
  }
  der::Writer list;
  ASSERT_TRUE(list.WriteConstructed(der::kSequence, items));
  der::Writer tagged;
  ASSERT_TRUE(tagged.WriteConstructed(der::ContextTag(0), list));
  der::Writer seq;
  ASSERT_TRUE(seq.WriteConstructed(der::kSequence, tagged));
  der::Writer token;
  ASSERT_TRUE(token.WriteConstructed(der::ContextTag(0), seq));
  ASSERT_EQ(ToHex(ByteView(token.bytes()).first(16)),
            "a0820318"
            "30820314"
            "a0820310"
            "3082030c");
  ExpectError(DecodeNegotiationToken(token.bytes()), ErrorCode::kTooLarge,
              "NegTokenInit.mechTypes[64]", 784);

  NegTokenInit m;
  m.mech_types.assign(65, kNtlmsspOid);
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.mechTypes", 0);
}

TEST(SpnegoInit_4_2_1, EncoderRefusesWhatTheDecoderRefuses) {
  NegTokenInit m;
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.mechTypes", 0);
  m.mech_types = {kNtlmsspOid, "1.2..3"};
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.mechTypes[1]", 4);
  m.mech_types = {kNtlmsspOid};
  m.req_flags = Hex("08");
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.reqFlags", 0);
  m.req_flags.reset();
  m.neg_hints = Hex("3001");
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.negHints", 0);
  m.neg_hints = Hex("0400");
  ExpectError(EncodeNegTokenInit(m), ErrorCode::kInvalidArgument, "NegTokenInit.negHints", 0);
}

// ---- NegTokenResp -------------------------------------------------------------------------

TEST(SpnegoResp_4_2_2, AcceptIncompleteWithSupportedMechAndResponseToken) {
  NegTokenResp m;
  m.neg_state = NegState::kAcceptIncomplete;
  m.supported_mech = kNtlmsspOid;
  m.response_token = Hex("01020304");
  auto wire = EncodeNegTokenResp(m);
  ASSERT_TRUE(wire.ok()) << wire.error().ToString();
  EXPECT_EQ(ToHex(*wire), ToHex(Hex(kRespIncomplete)));

  auto t = DecodeNegotiationToken(*wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_FALSE(t->is_init());
  EXPECT_TRUE(*t->resp() == m);
  ExpectRoundTrip(*wire);
}

TEST(SpnegoResp_4_2_2, AcceptIncompleteWithAChallengeSizedToken) {
  NegTokenResp m;
  m.neg_state = NegState::kAcceptIncomplete;
  m.supported_mech = kNtlmsspOid;
  m.response_token = Bytes(200, 0x11);  // 0x81 lengths
  auto wire = EncodeNegTokenResp(m);
  ASSERT_TRUE(wire.ok());
  // 04 81 c8 <200>: 203 bytes; a2 81 cb: 206; 5 + 14 + 206 = 225 = 0xe1; 30 81 e1: 228 = 0xe4.
  EXPECT_EQ(ToHex(ByteView(*wire).first(6)), "a181e43081e1");
  auto t = DecodeNegotiationToken(*wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_TRUE(*t->resp() == m);
  ExpectRoundTrip(*wire);
}

TEST(SpnegoResp_4_2_2, AcceptCompletedWithOnlyNegState) {
  NegTokenResp m;
  m.neg_state = NegState::kAcceptCompleted;
  auto wire = EncodeNegTokenResp(m);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ToHex(*wire), ToHex(Hex(kRespCompleted)));
  auto t = DecodeNegotiationToken(*wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->resp()->neg_state.has_value());
  EXPECT_EQ(*t->resp()->neg_state, NegState::kAcceptCompleted);
  EXPECT_FALSE(t->resp()->supported_mech.has_value());
  EXPECT_FALSE(t->resp()->response_token.has_value());
  EXPECT_FALSE(t->resp()->mech_list_mic.has_value());
}

TEST(SpnegoResp_4_2_2, EveryNegStateAndTheEmptyResp) {
  for (NegState s : {NegState::kAcceptCompleted, NegState::kAcceptIncomplete, NegState::kReject,
                     NegState::kRequestMic}) {
    SCOPED_TRACE(NegStateName(s));
    NegTokenResp m;
    m.neg_state = s;
    auto wire = EncodeNegTokenResp(m);
    ASSERT_TRUE(wire.ok());
    auto t = DecodeNegotiationToken(*wire);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t->resp()->neg_state, s);
  }
  // Every component is optional: a1 02 30 00.
  auto empty = EncodeNegTokenResp(NegTokenResp{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ToHex(*empty), "a1023000");
  ExpectRoundTrip(*empty);
}

TEST(SpnegoResp_4_2_2, WithMechListMicRoundTrips) {
  const Bytes wire = Hex(kRespWithMic);
  auto t = DecodeNegotiationToken(wire);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->resp()->mech_list_mic.has_value());
  EXPECT_EQ(ToHex(*t->resp()->mech_list_mic), "01000000a1a2a3a4a5a6a7a800000000");
  EXPECT_EQ(ToHex(*t->resp()->response_token), "01020304");
  ExpectRoundTrip(wire);
}

TEST(SpnegoResp_4_2_2, Rejections) {
  {
    SCOPED_TRACE("negState 4");
    Bytes b = Hex(kRespCompleted);
    ASSERT_EQ(b[8], 0x00);
    b[8] = 0x04;
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenResp.negState", 8);
  }
  {
    SCOPED_TRACE("negState -1");
    Bytes b = Hex(kRespCompleted);
    b[8] = 0xff;
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenResp.negState", 8);
  }
  {
    SCOPED_TRACE("[0] twice");
    Bytes b = Hex(kRespWithMic);
    ASSERT_EQ(b[9], 0xa2);
    b[9] = 0xa0;
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenResp.negState", 9);
  }
  {
    SCOPED_TRACE("[1] after [2]");
    Bytes b = Hex(kRespWithMic);
    ASSERT_EQ(b[17], 0xa3);
    b[17] = 0xa1;
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenResp.supportedMech", 17);
  }
  {
    SCOPED_TRACE("ENUMERATED where supportedMech's OID is required");
    Bytes b = Hex(kRespCompleted);
    ASSERT_EQ(b[4], 0xa0);
    b[4] = 0xa1;
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kBadValue, "NegTokenResp.supportedMech", 6);
  }
  {
    SCOPED_TRACE("truncated: the last byte missing");
    Bytes b = Hex(kRespWithMic);
    b.pop_back();
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kTruncated, "NegotiationToken", 1);
  }
  const std::pair<const char*, const char*> cases[] = {
      {"empty OID as supportedMech", "a106 3004 a1020600"},
      {"non-minimal length 0x81 0x05", "a108 308105 a0030a0100"},
      {"five length octets", "a18500000000073005a0030a0100"},
      {"indefinite length", "a180 3005a0030a0100 0000"},
      {"two values inside [0]", "a109 3007 a0050a0100 0500"},
      {"bytes after the SEQUENCE inside [1]", "a109 3005a0030a0100 0500"},
      {"bytes after the token", "a107 3005a0030a0100 00"},
  };
  const std::tuple<ErrorCode, const char*, size_t> expected[] = {
      {ErrorCode::kBadLength, "NegTokenResp.supportedMech", 7},
      {ErrorCode::kBadLength, "NegTokenResp", 3},
      {ErrorCode::kTooLarge, "NegotiationToken", 1},
      {ErrorCode::kBadLength, "NegotiationToken", 1},
      {ErrorCode::kTrailingBytes, "NegTokenResp.negState", 9},
      {ErrorCode::kTrailingBytes, "NegotiationToken", 9},
      {ErrorCode::kTrailingBytes, "NegotiationToken", 9},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(cases[i].first);
    const auto& [code, field, offset] = expected[i];
    ExpectError(DecodeNegotiationToken(Hex(cases[i].second)), code, field, offset);
  }
}

TEST(SpnegoResp_4_2_2, EncoderRefusesBadValues) {
  NegTokenResp m;
  m.neg_state = static_cast<NegState>(4);
  ExpectError(EncodeNegTokenResp(m), ErrorCode::kInvalidArgument, "NegTokenResp.negState", 0);
  m.neg_state.reset();
  m.supported_mech = "NTLM";
  ExpectError(EncodeNegTokenResp(m), ErrorCode::kInvalidArgument, "NegTokenResp.supportedMech", 0);
}

// ---- Whole tokens -------------------------------------------------------------------------

TEST(SpnegoToken_4_2, RawNtlmsspIsNotSpnego) {
  auto t = DecodeNegotiationToken(Hex(kNegotiate));
  ExpectError(t, ErrorCode::kBadValue, "NegotiationToken", 0);
  EXPECT_NE(t.error().reason.find("raw NTLMSSP"), std::string::npos) << t.error().reason;
  ExpectError(DecodeNegotiationToken({}), ErrorCode::kTruncated, "NegotiationToken", 0);
}

TEST(SpnegoToken_4_2, TrailingBytesAfterTheFramedToken) {
  Bytes b = Hex(InitTokenHex());
  b.push_back(0x00);
  ExpectError(DecodeNegotiationToken(b), ErrorCode::kTrailingBytes, "InitialContextToken", 74);
}

TEST(SpnegoToken_4_2, EveryTruncationIsRefused) {
  const Bytes good = Hex(InitTokenHex());
  for (size_t n = 1; n < good.size(); ++n) {
    SCOPED_TRACE(n);
    const Bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    ExpectError(DecodeNegotiationToken(b), ErrorCode::kTruncated, "InitialContextToken", 1);
  }
}

// Every single-byte change of each valid token either fails with an error or decodes to
// something that encodes and decodes back to the same value. Nothing reads outside the input
// (the ASan build checks that).
TEST(SpnegoToken_4_2, EveryOneByteMutationIsHandled) {
  NegTokenInit hints;
  hints.mech_types = {kNegoExOid, kNtlmsspOid};
  hints.neg_hints = WindowsNegHints();
  hints.mech_list_mic = Hex("aa");
  auto hints_wire = EncodeNegTokenInit(hints);
  ASSERT_TRUE(hints_wire.ok());
  const Bytes samples[] = {Hex(InitTokenHex()), Hex(kRespIncomplete), Hex(kRespWithMic),
                           *hints_wire};
  size_t accepted = 0;
  size_t rejected = 0;
  for (const Bytes& good : samples) {
    for (size_t i = 0; i < good.size(); ++i) {
      for (int v = 0; v < 256; ++v) {
        Bytes b = good;
        b[i] = static_cast<uint8_t>(v);
        auto t = DecodeNegotiationToken(b);
        if (!t.ok()) {
          ++rejected;
          EXPECT_LE(t.error().offset, b.size());
          continue;
        }
        ++accepted;
        auto again = t->is_init() ? EncodeNegTokenInit(*t->init()) : EncodeNegTokenResp(*t->resp());
        ASSERT_TRUE(again.ok()) << "pos " << i << " value " << v << ": "
                                << again.error().ToString();
        auto t2 = DecodeNegotiationToken(*again);
        ASSERT_TRUE(t2.ok()) << t2.error().ToString();
        EXPECT_TRUE(t2->value == t->value) << "pos " << i << " value " << v;
      }
    }
  }
  // Most accepted mutations change payload bytes (the NTLM message, the MIC, the hint text).
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

}  // namespace
}  // namespace ntlm::spnego
