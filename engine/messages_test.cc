// Tests of the NTLM message codecs, [MS-NLMP] 2.2.1. Negative tests start from a valid message,
// check the byte about to be corrupted, corrupt it, and expect the named rejection.
#include "engine/messages.h"

#include <gtest/gtest.h>

#include "engine/testing/test_util.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

// curl's NEGOTIATE: the 32-byte form without VERSION, flags 0x00088206 (2.2.1.1).
const char kCurlNegotiate[] = "4e544c4d53535000 01000000 06820800 0000000000000000 0000000000000000";
// A Windows-style NEGOTIATE with VERSION 10.0.18362, revision 15, empty fields at offset 0.
const char kWindowsNegotiate[] =
    "4e544c4d53535000 01000000 078208a2 0000000000000000 0000000000000000 0a00ba470000000f";

void PutU32(Bytes* b, size_t pos, uint32_t v) { StoreU32Le(b->data() + pos, v); }
void PutU16(Bytes* b, size_t pos, uint16_t v) {
  (*b)[pos] = static_cast<uint8_t>(v);
  (*b)[pos + 1] = static_cast<uint8_t>(v >> 8);
}

template <typename T>
void ExpectError(const Result<T>& r, ErrorCode code, const std::string& field, size_t offset) {
  ASSERT_FALSE(r.ok()) << "expected " << ErrorCodeName(code);
  EXPECT_EQ(r.error().code, code) << r.error().ToString();
  EXPECT_EQ(r.error().field, field) << r.error().ToString();
  EXPECT_EQ(r.error().offset, offset) << r.error().ToString();
}

// ---- NEGOTIATE ----------------------------------------------------------------------------

TEST(Negotiate_2_2_1_1, CurlShortFormDecodesAndRoundTrips) {
  const Bytes wire = Hex(kCurlNegotiate);
  ASSERT_EQ(wire.size(), 32u);
  auto m = DecodeNegotiate(wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->flags, 0x00088206u);
  EXPECT_FALSE(m->version.has_value());
  EXPECT_EQ(m->domain, "");
  EXPECT_EQ(m->workstation, "");
  auto again = EncodeNegotiate(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, wire);
}

TEST(Negotiate_2_2_1_1, WindowsFormWithVersionRoundTrips) {
  const Bytes wire = Hex(kWindowsNegotiate);
  auto m = DecodeNegotiate(wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->flags, 0xa2088207u);
  ASSERT_TRUE(m->version.has_value());
  EXPECT_EQ(m->version->major, 10);
  EXPECT_EQ(m->version->minor, 0);
  EXPECT_EQ(m->version->build, 18362);
  EXPECT_EQ(m->version->ntlm_revision, 15);
  EXPECT_EQ(VersionToString(*m->version), "10.0.18362 (Windows 10 1903), NTLM revision 15");
  auto again = EncodeNegotiate(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, wire);
}

// VERSION, 2.2.2.10: 10.0 covers Windows 10, 11 and Server 2016-2025; the build names them.
TEST(Version_2_2_2_10, NamesReleasesByBuild) {
  const struct {
    Version v;
    const char* text;
  } cases[] = {
      {{5, 1, 2600, {}, 15}, "5.1.2600 (Windows XP), NTLM revision 15"},
      {{6, 1, 7601, {}, 15}, "6.1.7601 (Windows 7 / Server 2008 R2), NTLM revision 15"},
      {{10, 0, 9926, {}, 15}, "10.0.9926 (Windows 10 pre-release), NTLM revision 15"},
      {{10, 0, 10240, {}, 15}, "10.0.10240 (Windows 10 1507), NTLM revision 15"},
      {{10, 0, 14393, {}, 15}, "10.0.14393 (Windows 10 1607 / Server 2016), NTLM revision 15"},
      {{10, 0, 15000, {}, 15}, "10.0.15000 (Windows 10), NTLM revision 15"},
      {{10, 0, 17763, {}, 15}, "10.0.17763 (Windows 10 1809 / Server 2019), NTLM revision 15"},
      {{10, 0, 19045, {}, 15}, "10.0.19045 (Windows 10 22H2), NTLM revision 15"},
      {{10, 0, 20348, {}, 15}, "10.0.20348 (Server 2022), NTLM revision 15"},
      {{10, 0, 21996, {}, 15}, "10.0.21996 (Windows pre-release), NTLM revision 15"},
      {{10, 0, 22000, {}, 15}, "10.0.22000 (Windows 11 21H2), NTLM revision 15"},
      {{10, 0, 22631, {}, 15}, "10.0.22631 (Windows 11 23H2), NTLM revision 15"},
      {{10, 0, 26100, {}, 15}, "10.0.26100 (Windows 11 24H2 / Server 2025), NTLM revision 15"},
      {{10, 0, 27000, {}, 15}, "10.0.27000 (Windows 11), NTLM revision 15"},
      {{11, 0, 1, {}, 10}, "11.0.1, NTLM revision 10"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(VersionToString(c.v), c.text);
  }
}

TEST(Negotiate_2_2_1_1, OemDomainAndWorkstationLayout) {
  NegotiateMessage m;
  m.flags = kNegotiateUnicode | kNegotiateOem | kNegotiateNtlm | kNegotiateOemDomainSupplied |
            kNegotiateOemWorkstationSupplied | kNegotiateVersion;
  m.domain = "DOMAIN";
  m.workstation = "COMPUTER";
  m.version = Version{6, 1, 7601, {}, 15};
  auto wire = EncodeNegotiate(m);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ToHex(*wire),
            "4e544c4d53535000" "01000000" "03320002"
            "06000600" "28000000"          // DomainNameFields: len 6 at 40
            "08000800" "2e000000"          // WorkstationFields: len 8 at 46
            "0601b11d0000000f"             // VERSION 6.1.7601 rev 15
            "444f4d41494e" "434f4d5055544552");
  auto back = DecodeNegotiate(*wire);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->domain, "DOMAIN");
  EXPECT_EQ(back->workstation, "COMPUTER");
  EXPECT_EQ(back->domain_field.offset, 40u);
}

TEST(Negotiate_2_2_1_1, Rejections) {
  const Bytes good = Hex(kCurlNegotiate);
  {
    SCOPED_TRACE("31 bytes");
    Bytes b(good.begin(), good.end() - 1);
    ExpectError(DecodeNegotiate(b), ErrorCode::kTruncated, "NEGOTIATE", 31);
  }
  {
    SCOPED_TRACE("5 bytes");
    Bytes b(good.begin(), good.begin() + 5);
    ExpectError(DecodeNegotiate(b), ErrorCode::kTruncated, "Signature", 0);
  }
  {
    SCOPED_TRACE("signature");
    Bytes b = good;
    ASSERT_EQ(b[0], 'N');
    b[0] = 'X';
    ExpectError(DecodeNegotiate(b), ErrorCode::kBadSignature, "Signature", 0);
  }
  {
    SCOPED_TRACE("message type 2");
    Bytes b = good;
    ASSERT_EQ(b[8], 1);
    b[8] = 2;
    ExpectError(DecodeNegotiate(b), ErrorCode::kWrongMessageType, "MessageType", 8);
  }
  {
    SCOPED_TRACE("domain past the end");
    Bytes b = good;
    PutU16(&b, 16, 4);
    PutU16(&b, 18, 4);
    PutU32(&b, 20, 30);
    ExpectError(DecodeNegotiate(b), ErrorCode::kPayloadOutOfBounds,
                "DomainNameFields.BufferOffset", 20);
  }
  {
    SCOPED_TRACE("offset + length wraps 32 bits");
    Bytes b = good;
    PutU16(&b, 24, 0x20);
    PutU32(&b, 28, 0xFFFFFFF0u);
    ExpectError(DecodeNegotiate(b), ErrorCode::kPayloadOutOfBounds,
                "WorkstationFields.BufferOffset", 28);
  }
  {
    SCOPED_TRACE("payload inside the header");
    Bytes b = good;
    PutU16(&b, 16, 4);
    PutU32(&b, 20, 8);
    ExpectError(DecodeNegotiate(b), ErrorCode::kPayloadOverlapsHeader,
                "DomainNameFields.BufferOffset", 20);
  }
}

TEST(Negotiate_2_2_1_1, BadPayloadIsBlamedNotVersion) {
  // With NEGOTIATE_VERSION set, a domain at offset 4 leaves no room for VERSION; the error must
  // still name the offset that is wrong.
  Bytes b = Hex(kWindowsNegotiate);
  PutU16(&b, 16, 2);
  PutU32(&b, 20, 4);
  ExpectError(DecodeNegotiate(b), ErrorCode::kPayloadOverlapsHeader,
              "DomainNameFields.BufferOffset", 20);
  ExpectError(DecodeNegotiate(b, DecodePolicy::Lenient()), ErrorCode::kPayloadOverlapsHeader,
              "DomainNameFields.BufferOffset", 20);
}

TEST(Negotiate_2_2_1_1, VersionFlagWithoutVersionIsAPolicy) {
  Bytes b = Hex(kCurlNegotiate);
  PutU32(&b, 12, 0x00088206u | kNegotiateVersion);
  ExpectError(DecodeNegotiate(b, DecodePolicy::Strict()), ErrorCode::kTruncated, "Version", 32);
  auto lenient = DecodeNegotiate(b, DecodePolicy::Lenient());
  ASSERT_TRUE(lenient.ok()) << lenient.error().ToString();
  EXPECT_FALSE(lenient->version.has_value());
}

// ---- CHALLENGE ----------------------------------------------------------------------------

ChallengeMessage SampleChallenge() {
  ChallengeMessage c;
  c.flags = kNegotiateUnicode | kRequestTarget | kNegotiateNtlm | kTargetTypeDomain |
            kNegotiateExtendedSessionSecurity | kNegotiateTargetInfo | kNegotiateVersion |
            kNegotiate128 | kNegotiate56;
  c.target_name = "DOMAIN";
  c.server_challenge = {1, 2, 3, 4, 5, 6, 7, 8};
  TargetInfo ti;
  EXPECT_TRUE(ti.SetString(AvId::kNbDomainName, "DOMAIN").ok());
  EXPECT_TRUE(ti.SetString(AvId::kNbComputerName, "SERVER").ok());
  ti.SetTimestamp(0x01d9000000000000ULL);
  c.target_info = ti;
  c.version = Version{10, 0, 20348, {}, 15};
  return c;
}

TEST(Challenge_2_2_1_2, FullFormRoundTrips) {
  auto wire = EncodeChallenge(SampleChallenge());
  ASSERT_TRUE(wire.ok());
  // Header 56, TargetName 12 bytes at 56, TargetInfo at 68.
  EXPECT_EQ(wire->size(), 56u + 12u + (4 + 12) + (4 + 12) + (4 + 8) + 4);
  auto m = DecodeChallenge(*wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_FALSE(m->legacy_header);
  EXPECT_EQ(m->target_name, "DOMAIN");
  EXPECT_EQ(m->target_name_field.offset, 56u);
  EXPECT_EQ(m->target_info_field.offset, 68u);
  ASSERT_TRUE(m->target_info.has_value());
  EXPECT_EQ(m->target_info->GetString(AvId::kNbComputerName), "SERVER");
  EXPECT_EQ(m->target_info->GetTimestamp(), 0x01d9000000000000ULL);
  EXPECT_EQ(m->version->build, 20348);
  auto again = EncodeChallenge(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(Challenge_2_2_1_2, Legacy32ByteFormDecodes) {
  const Bytes wire = Hex(
      "4e544c4d53535000 02000000 0000000020000000 01820000 0123456789abcdef");
  ASSERT_EQ(wire.size(), 32u);
  auto m = DecodeChallenge(wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_TRUE(m->legacy_header);
  EXPECT_FALSE(m->target_info.has_value());
  EXPECT_EQ(ToHex(m->server_challenge), "0123456789abcdef");
  auto again = EncodeChallenge(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, wire);
}

TEST(Challenge_2_2_1_2, LegacyFormWithTargetNameAt32) {
  const Bytes wire = Hex(
      "4e544c4d53535000 02000000 0400040020000000 02820000 0123456789abcdef 41424344");
  auto m = DecodeChallenge(wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_TRUE(m->legacy_header);
  EXPECT_EQ(m->target_name, "ABCD");
}

TEST(Challenge_2_2_1_2, VersionFlagOnTheLegacyHeaderSaysSo) {
  // 0x02000000 = NTLMSSP_NEGOTIATE_VERSION on the 40-byte legacy form (target name at 32).
  const Bytes wire = Hex(
      "4e544c4d53535000 02000000 0800080020000000 02820002 0123456789abcdef 4142434445464748");
  auto m = DecodeChallenge(wire, DecodePolicy::Strict());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kTruncated);
  EXPECT_EQ(m.error().field, "Version");
  EXPECT_EQ(m.error().offset, 32u);
  EXPECT_EQ(m.error().reason,
            "NTLMSSP_NEGOTIATE_VERSION is set but the message has the 32-byte legacy header (no "
            "Reserved, TargetInfoFields or VERSION)");
  auto lenient = DecodeChallenge(wire, DecodePolicy::Lenient());
  ASSERT_TRUE(lenient.ok()) << lenient.error().ToString();
  EXPECT_FALSE(lenient->version.has_value());
  EXPECT_EQ(lenient->target_name, "ABCDEFGH");
}

TEST(Challenge_2_2_1_2, VersionFlagWithoutRoomNamesTheGap) {
  ChallengeMessage c = SampleChallenge();
  c.version.reset();
  c.flags &= ~kNegotiateVersion;
  auto wire = EncodeChallenge(c);
  ASSERT_TRUE(wire.ok());
  PutU32(&*wire, 20, c.flags | kNegotiateVersion);
  auto m = DecodeChallenge(*wire, DecodePolicy::Strict());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().field, "Version");
  EXPECT_EQ(m.error().offset, 48u);
  EXPECT_EQ(m.error().reason,
            "NTLMSSP_NEGOTIATE_VERSION is set but only 0 bytes lie between the fixed header and "
            "the first payload, too few for the 8-byte VERSION (MS-NLMP 2.2.2.10)");
}

TEST(Challenge_2_2_1_2, EmptyTargetInfoWithFlagIsAPolicy) {
  ChallengeMessage c = SampleChallenge();
  c.target_info.reset();
  auto wire = EncodeChallenge(c);
  ASSERT_TRUE(wire.ok());
  ExpectError(DecodeChallenge(*wire, DecodePolicy::Strict()), ErrorCode::kEmptyTargetInfo,
              "TargetInfoFields", 40);
  auto lenient = DecodeChallenge(*wire, DecodePolicy::Lenient());
  ASSERT_TRUE(lenient.ok()) << lenient.error().ToString();
  EXPECT_FALSE(lenient->target_info.has_value());
}

TEST(Challenge_2_2_1_2, OddLengthUnicodeTargetName) {
  auto wire = EncodeChallenge(SampleChallenge());
  ASSERT_TRUE(wire.ok());
  Bytes b = *wire;
  ASSERT_EQ(b[12], 12);
  b[12] = 11;  // TargetNameLen
  // The offset names the dangling last byte of the 11-byte name at 56.
  ExpectError(DecodeChallenge(b), ErrorCode::kOddLengthUtf16, "TargetName", 56 + 10);
}

TEST(Challenge_2_2_1_2, LoneSurrogateInTargetName) {
  auto wire = EncodeChallenge(SampleChallenge());
  ASSERT_TRUE(wire.ok());
  Bytes b = *wire;
  // The second UTF-16 unit of "DOMAIN" becomes a lone high surrogate D800.
  ASSERT_EQ(b[58], 'O');
  b[58] = 0x00;
  b[59] = 0xD8;
  auto r = DecodeChallenge(b);
  ExpectError(r, ErrorCode::kInvalidUtf16, "TargetName", 58);
}

TEST(Challenge_2_2_1_2, TargetInfoPastTheEnd) {
  auto wire = EncodeChallenge(SampleChallenge());
  ASSERT_TRUE(wire.ok());
  Bytes b = *wire;
  PutU16(&b, 40, static_cast<uint16_t>(b.size()));  // TargetInfoLen larger than what remains
  ExpectError(DecodeChallenge(b), ErrorCode::kPayloadOutOfBounds,
              "TargetInfoFields.BufferOffset", 44);
}

// Builds a CHALLENGE whose target info is exactly |ti_bytes|.
Bytes ChallengeWithRawTargetInfo(const Bytes& ti_bytes) {
  ChallengeMessage c = SampleChallenge();
  c.target_info.reset();
  c.flags &= ~kNegotiateTargetInfo;
  auto wire = EncodeChallenge(c);
  EXPECT_TRUE(wire.ok());
  Bytes b = *wire;
  PutU16(&b, 40, static_cast<uint16_t>(ti_bytes.size()));
  PutU16(&b, 42, static_cast<uint16_t>(ti_bytes.size()));
  PutU32(&b, 44, static_cast<uint32_t>(b.size()));
  PutU32(&b, 20, c.flags | kNegotiateTargetInfo);
  b.insert(b.end(), ti_bytes.begin(), ti_bytes.end());
  return b;
}

// Target info starts at 68 in ChallengeWithRawTargetInfo's messages.
constexpr size_t kTi = 68;

struct AvCase {
  const char* name;
  const char* target_info_hex;
  bool strict_ok;
  ErrorCode strict_code;
  std::string strict_field;
  size_t strict_offset;
  bool lenient_ok;
  ErrorCode lenient_code;
  size_t lenient_pairs;  // pairs kept when lenient succeeds
};

// Unknown ids allowed but duplicates not: the duplicate check covers ids outside the spec's
// range as well as inside it.
TEST(AvPairs_2_2_2_1, DuplicateUnknownIdsAreFound) {
  DecodePolicy policy = DecodePolicy::Strict();
  policy.allow_unknown_av_ids = true;
  struct Case {
    const char* name;
    const char* target_info_hex;
    bool ok;
    std::string field;
    size_t offset;
  };
  const Case cases[] = {
      {"two unknown ids", "3412 0000 3512 0000 0100 0200 4100 0000 0000", true, "", 0},
      {"an unknown id twice", "3412 0000 0100 0200 4100 3412 0000 0000 0000", false,
       "TargetInfo[2](MsvAvUnknown(0x1234)).AvId", kTi + 10},
      {"id 0xffff twice", "ffff 0000 ffff 0000 0000 0000", false,
       "TargetInfo[1](MsvAvUnknown(0xffff)).AvId", kTi + 4},
      {"a known id twice", "0b00 0000 0200 0000 0200 0000 0000 0000", false,
       "TargetInfo[2](MsvAvNbDomainName).AvId", kTi + 8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = DecodeChallenge(ChallengeWithRawTargetInfo(Hex(c.target_info_hex)), policy);
    ASSERT_EQ(r.ok(), c.ok) << (r.ok() ? "" : r.error().ToString());
    if (!c.ok) {
      EXPECT_EQ(r.error().code, ErrorCode::kAvPairDuplicate);
      EXPECT_EQ(r.error().field, c.field);
      EXPECT_EQ(r.error().offset, c.offset);
    } else {
      EXPECT_EQ(r->target_info->pairs.size(), 3u);
    }
  }
}

TEST(AvPairs_2_2_2_1, StrictAndLenientPolicies) {
  const AvCase cases[] = {
      {"well formed", "0100 0400 41004200 0000 0000", true, {}, "", 0, true, {}, 1},
      {"missing EOL", "0100 0400 41004200", false, ErrorCode::kAvPairMissingEol, "TargetInfo",
       kTi + 8, true, {}, 1},
      {"bytes after EOL", "0100 0400 41004200 0000 0000 ffff", false, ErrorCode::kTrailingBytes,
       "TargetInfo", kTi + 12, true, {}, 1},
      {"unknown id 0x0b kept", "0b00 0200 abcd 0000 0000", false, ErrorCode::kAvPairUnknownId,
       "TargetInfo[0](MsvAvUnknown(0x000b)).AvId", kTi, true, {}, 1},
      {"duplicate id", "0100 0200 4100 0100 0200 4200 0000 0000", false,
       ErrorCode::kAvPairDuplicate, "TargetInfo[1](MsvAvNbComputerName).AvId", kTi + 6, true, {},
       2},
      {"timestamp of 7 bytes", "0700 0700 00000000000000 0000 0000", false,
       ErrorCode::kAvPairBadLength, "TargetInfo[0](MsvAvTimestamp).AvLen", kTi + 2, false,
       ErrorCode::kAvPairBadLength, 0},
      {"flags of 2 bytes", "0600 0200 0000 0000 0000", false, ErrorCode::kAvPairBadLength,
       "TargetInfo[0](MsvAvFlags).AvLen", kTi + 2, false, ErrorCode::kAvPairBadLength, 0},
      {"EOL with a length", "0000 0200 0000", false, ErrorCode::kAvPairBadLength,
       "TargetInfo[0](MsvAvEOL).AvLen", kTi + 2, false, ErrorCode::kAvPairBadLength, 0},
      {"channel bindings of 15", "0a00 0f00 000000000000000000000000000000 0000 0000", false,
       ErrorCode::kAvPairBadLength, "TargetInfo[0](MsvAvChannelBindings).AvLen", kTi + 2, false,
       ErrorCode::kAvPairBadLength, 0},
      {"AvLen past the end", "0100 ff00 4100", false, ErrorCode::kAvPairTruncated,
       "TargetInfo[0](MsvAvNbComputerName).AvLen", kTi + 2, false, ErrorCode::kAvPairTruncated,
       0},
      {"half a header", "0100 04", false, ErrorCode::kAvPairTruncated, "TargetInfo[0].AvId", kTi,
       false, ErrorCode::kAvPairTruncated, 0},
      {"odd UTF-16 value", "0200 0300 410042 0000 0000", false, ErrorCode::kOddLengthUtf16,
       "TargetInfo[0](MsvAvNbDomainName).Value", kTi + 4 + 2, false, ErrorCode::kOddLengthUtf16, 0},
      {"lone low surrogate", "0300 0200 00dc 0000 0000", false, ErrorCode::kInvalidUtf16,
       "TargetInfo[0](MsvAvDnsComputerName).Value", kTi + 4, false, ErrorCode::kInvalidUtf16, 0},
      {"single host too short", "0800 0800 0800000000000000 0000 0000", false,
       ErrorCode::kTruncated, "TargetInfo[0](MsvAvSingleHost).Value.Single_Host_Data", kTi + 4 + 8,
       false, ErrorCode::kTruncated, 0},
  };
  for (const AvCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes msg = ChallengeWithRawTargetInfo(Hex(c.target_info_hex));
    auto strict = DecodeChallenge(msg, DecodePolicy::Strict());
    EXPECT_EQ(strict.ok(), c.strict_ok) << (strict.ok() ? "" : strict.error().ToString());
    if (!c.strict_ok && !strict.ok()) {
      EXPECT_EQ(strict.error().code, c.strict_code) << strict.error().ToString();
      EXPECT_EQ(strict.error().field, c.strict_field);
      EXPECT_EQ(strict.error().offset, c.strict_offset);
      EXPECT_EQ(strict.error().rule.substr(0, 7), "MS-NLMP");
    }
    auto lenient = DecodeChallenge(msg, DecodePolicy::Lenient());
    EXPECT_EQ(lenient.ok(), c.lenient_ok) << (lenient.ok() ? "" : lenient.error().ToString());
    if (lenient.ok()) {
      ASSERT_TRUE(lenient->target_info.has_value());
      EXPECT_EQ(lenient->target_info->pairs.size(), c.lenient_pairs);
      EXPECT_EQ(lenient->target_info->had_eol, std::string(c.name) != "missing EOL");
      EXPECT_EQ(lenient->target_info->bytes_after_eol,
                std::string(c.name) == "bytes after EOL" ? 2u : 0u);
    } else if (!c.lenient_ok) {
      EXPECT_EQ(lenient.error().code, c.lenient_code);
    }
  }
}

TEST(AvPairs_2_2_2_1, SingleHostDataDecodes) {
  SingleHostData d;
  d.custom_data = {1, 2, 3, 4, 5, 6, 7, 8};
  d.machine_id.fill(0xAB);
  Bytes v = EncodeSingleHostData(d);
  ASSERT_EQ(v.size(), 48u);
  EXPECT_EQ(ToHex(ByteView(v).first(8)), "3000000000000000");
  auto back = DecodeSingleHostData(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size, 48u);
  EXPECT_EQ(back->machine_id[31], 0xAB);
}

TEST(FileTime_2_2_2_9, Iso8601) {
  EXPECT_EQ(FileTimeToIso8601(0), "1601-01-01T00:00:00.0000000Z");
  EXPECT_EQ(FileTimeToIso8601(116444736000000000ULL), "1970-01-01T00:00:00.0000000Z");
  EXPECT_EQ(FileTimeToIso8601(UnixToFileTime(1700000000, 123456700)),
            "2023-11-14T22:13:20.1234567Z");
  EXPECT_EQ(FileTimeToIso8601(UnixToFileTime(951782400)), "2000-02-29T00:00:00.0000000Z");
}

// ---- AUTHENTICATE -------------------------------------------------------------------------

AuthenticateMessage SampleAuthenticate(bool with_version, bool with_mic) {
  AuthenticateMessage a;
  a.flags = kNegotiateUnicode | kNegotiateNtlm | kNegotiateExtendedSessionSecurity |
            kNegotiateTargetInfo | kNegotiate128 | kNegotiateKeyExch;
  if (with_version) {
    a.flags |= kNegotiateVersion;
    a.version = Version{10, 0, 19041, {}, 15};
  }
  if (with_mic) {
    a.mic = std::array<uint8_t, 16>{};
    a.mic->fill(0x5A);
  }
  a.domain = "Domain";
  a.user = "User";
  a.workstation = "COMPUTER";
  a.lm_response.assign(24, 0);
  NtlmV2ClientChallenge blob;
  blob.timestamp = 0x01d9000000000000ULL;
  blob.client_challenge = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
  EXPECT_TRUE(blob.av_pairs.SetString(AvId::kNbDomainName, "Domain").ok());
  blob.av_pairs.SetFlags(kAvFlagMicPresent);
  blob.trailer.assign(4, 0);
  auto blob_bytes = EncodeNtlmV2ClientChallenge(blob);
  EXPECT_TRUE(blob_bytes.ok());
  a.nt_response.assign(16, 0x11);  // NTProofStr
  a.nt_response.insert(a.nt_response.end(), blob_bytes->begin(), blob_bytes->end());
  a.encrypted_random_session_key.assign(16, 0x77);
  return a;
}

TEST(Authenticate_2_2_1_3, HeaderWithoutVersionIs64Bytes) {
  auto wire = EncodeAuthenticate(SampleAuthenticate(false, false));
  ASSERT_TRUE(wire.ok());
  auto m = DecodeAuthenticate(*wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->domain_field.offset, 64u);
  EXPECT_FALSE(m->version.has_value());
  EXPECT_FALSE(m->mic.has_value());
  EXPECT_EQ(m->user, "User");
  ASSERT_TRUE(m->ntlmv2.has_value());
  EXPECT_EQ(m->ntlmv2->blob.av_pairs.GetFlags(), kAvFlagMicPresent);
  auto again = EncodeAuthenticate(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(Authenticate_2_2_1_3, VersionAndMicRoundTrip) {
  auto wire = EncodeAuthenticate(SampleAuthenticate(true, true));
  ASSERT_TRUE(wire.ok());
  auto m = DecodeAuthenticate(*wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->domain_field.offset, 88u);
  ASSERT_TRUE(m->version.has_value());
  EXPECT_EQ(m->version->build, 19041);
  ASSERT_TRUE(m->mic.has_value());
  EXPECT_EQ((*m->mic)[0], 0x5A);
  EXPECT_EQ(m->domain, "Domain");
  EXPECT_EQ(m->workstation, "COMPUTER");
  EXPECT_EQ(m->encrypted_random_session_key.size(), 16u);
  EXPECT_EQ(ToHex(m->ntlmv2->blob.client_challenge), "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(m->ntlmv2->blob.trailer.size(), 4u);
  auto again = EncodeAuthenticate(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(Authenticate_2_2_1_3, VersionFlagWithoutVersionIsAPolicy) {
  AuthenticateMessage a = SampleAuthenticate(false, false);
  a.flags |= kNegotiateVersion;  // flag set, header of 64 bytes
  auto wire = EncodeAuthenticate(a);
  ASSERT_TRUE(wire.ok());
  ExpectError(DecodeAuthenticate(*wire, DecodePolicy::Strict()), ErrorCode::kTruncated,
              "Version", 64);
  auto lenient = DecodeAuthenticate(*wire, DecodePolicy::Lenient());
  ASSERT_TRUE(lenient.ok()) << lenient.error().ToString();
  EXPECT_FALSE(lenient->version.has_value());
}

TEST(Authenticate_2_2_1_3, Rejections) {
  auto wire = EncodeAuthenticate(SampleAuthenticate(true, true));
  ASSERT_TRUE(wire.ok());
  const Bytes good = *wire;
  {
    SCOPED_TRACE("63-byte header");
    Bytes b(good.begin(), good.begin() + 63);
    ExpectError(DecodeAuthenticate(b), ErrorCode::kTruncated, "AUTHENTICATE", 63);
  }
  {
    SCOPED_TRACE("NT response past the end");
    Bytes b = good;
    PutU32(&b, 24, static_cast<uint32_t>(b.size()) - 4);
    ExpectError(DecodeAuthenticate(b), ErrorCode::kPayloadOutOfBounds,
                "NtChallengeResponseFields.BufferOffset", 24);
  }
  {
    SCOPED_TRACE("user name offset wraps");
    Bytes b = good;
    PutU32(&b, 40, 0xFFFFFFFFu);
    ExpectError(DecodeAuthenticate(b), ErrorCode::kPayloadOutOfBounds,
                "UserNameFields.BufferOffset", 40);
  }
  {
    SCOPED_TRACE("odd-length user name");
    Bytes b = good;
    ASSERT_EQ(b[36], 8);
    b[36] = 7;
    ExpectError(DecodeAuthenticate(b), ErrorCode::kOddLengthUtf16, "UserName", 100 + 6);
  }
  {
    SCOPED_TRACE("blob RespType 2");
    auto m = DecodeAuthenticate(good);
    ASSERT_TRUE(m.ok());
    const size_t blob_at = m->nt_field.offset + 16;
    Bytes b = good;
    ASSERT_EQ(b[blob_at], 1);
    b[blob_at] = 2;
    ExpectError(DecodeAuthenticate(b), ErrorCode::kBadValue,
                "NtChallengeResponse.NTLMv2_CLIENT_CHALLENGE.RespType", blob_at);
  }
  {
    SCOPED_TRACE("NT response of 30 bytes: blob too short");
    AuthenticateMessage a = SampleAuthenticate(true, true);
    a.nt_response.resize(30);
    auto w = EncodeAuthenticate(a);
    ASSERT_TRUE(w.ok());
    auto m = DecodeAuthenticate(*w);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::kTruncated);
    EXPECT_EQ(m.error().field, "NtChallengeResponse.NTLMv2_CLIENT_CHALLENGE");
  }
}

TEST(Authenticate_2_2_1_3, OemStrings) {
  AuthenticateMessage a = SampleAuthenticate(false, false);
  a.flags &= ~kNegotiateUnicode;
  a.flags |= kNegotiateOem;
  a.user = "J\xc3\xa9r\xc3\xb4me";  // Jérôme: Latin-1 on the wire
  auto wire = EncodeAuthenticate(a);
  ASSERT_TRUE(wire.ok());
  auto m = DecodeAuthenticate(*wire);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->user, a.user);
  EXPECT_EQ(m->user_field.len, 6);
}

TEST(Messages_2_2_1, PeekMessageType) {
  EXPECT_EQ(*PeekMessageType(Hex(kCurlNegotiate)), MessageType::kNegotiate);
  Bytes b = Hex(kCurlNegotiate);
  b[8] = 7;
  ExpectError(PeekMessageType(b), ErrorCode::kWrongMessageType, "MessageType", 8);
}

TEST(Flags_2_2_2_5, Names) {
  EXPECT_EQ(FlagsToString(0x00088206u),
            "NTLM_NEGOTIATE_OEM | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_NTLM | "
            "NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY");
  EXPECT_EQ(FlagsToString(0), "0");
  EXPECT_EQ(AllFlagNames().size(), 32u);
}

}  // namespace
}  // namespace ntlm
