// End-to-end tests of `ntlmh decode`: the built binary, exact output, exit codes and error lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/run_command.h"

namespace {

using ntlmh::testing::RunNtlmh;

// [MS-NLMP] 4.2.4.2: the NTLMv2 example's CHALLENGE_MESSAGE, base64.
const char kSpecChallengeB64[] =
    "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgAC"
    "AAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA=";
// curl's 32-byte NEGOTIATE.
const char kCurlNegotiateB64[] = "TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=";

TEST(CliDecode, HeaderLineWithSeveralSchemesExactText) {
  const std::string header = std::string("WWW-Authenticate: Negotiate, Basic realm=\"a, b\", NTLM ") +
                             kSpecChallengeB64;
  auto r = RunNtlmh({"decode", header});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
      "[WWW-Authenticate: NTLM]\n"
      "CHALLENGE_MESSAGE (104 bytes)\n"
      "  TargetName: \"Server\"  (Len 12, MaxLen 12, Offset 56)\n"
      "  NegotiateFlags: 0xe28a8233\n"
      "      NTLMSSP_NEGOTIATE_UNICODE\n"
      "      NTLM_NEGOTIATE_OEM\n"
      "      NTLMSSP_NEGOTIATE_SIGN\n"
      "      NTLMSSP_NEGOTIATE_SEAL\n"
      "      NTLMSSP_NEGOTIATE_NTLM\n"
      "      NTLMSSP_NEGOTIATE_ALWAYS_SIGN\n"
      "      NTLMSSP_TARGET_TYPE_SERVER\n"
      "      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY\n"
      "      NTLMSSP_NEGOTIATE_TARGET_INFO\n"
      "      NTLMSSP_NEGOTIATE_VERSION\n"
      "      NTLMSSP_NEGOTIATE_128\n"
      "      NTLMSSP_NEGOTIATE_KEY_EXCH\n"
      "      NTLMSSP_NEGOTIATE_56\n"
      "  ServerChallenge: 0123456789abcdef\n"
      "  Reserved: 0000000000000000\n"
      "  TargetInfo:   (Len 36, MaxLen 36, Offset 68)\n"
      "    AvPairs:\n"
      "      MsvAvNbDomainName: Domain\n"
      "      MsvAvNbComputerName: Server\n"
      "      MsvAvEOL\n"
      "  Version: 6.0.6000 (Windows Vista / Server 2008), NTLM revision 15\n"
      "  Notes:\n"
      "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: both NTLMSSP_NEGOTIATE_UNICODE and NTLM_NEGOTIATE_OEM are set: Unicode is used\n"
      "    - [INFO MS-NLMP 3.1.5.1.2] TargetInfo: no MsvAvTimestamp: clients will not send a MIC\n");
}

TEST(CliDecode, SameMessageFromHexBase64AndStdin) {
  const std::string hex =
      "4e544c4d53535000010000000682080000000000000000000000000000000000";
  auto from_b64 = RunNtlmh({"decode", kCurlNegotiateB64});
  auto from_hex = RunNtlmh({"decode", hex});
  auto from_scheme = RunNtlmh({"decode", std::string("NTLM ") + kCurlNegotiateB64});
  auto from_stdin =
      RunNtlmh({"decode"}, std::string("Authorization: NTLM ") + kCurlNegotiateB64 + "\n");
  EXPECT_EQ(from_b64.exit_code, 0);
  EXPECT_EQ(from_b64.out, from_hex.out);
  EXPECT_EQ(from_b64.out, from_scheme.out.substr(from_scheme.out.find('\n') + 1));
  EXPECT_EQ(from_stdin.out, "[Authorization: NTLM]\n" + from_b64.out);
  EXPECT_EQ(from_b64.out.substr(0, 27), "NEGOTIATE_MESSAGE (32 bytes");
}

TEST(CliDecode, JsonFields) {
  auto r = RunNtlmh({"decode", "--json", kSpecChallengeB64});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["message"], "CHALLENGE_MESSAGE");
  EXPECT_EQ(j["length"], 104);
  EXPECT_EQ(j["server_challenge"], "0123456789abcdef");
  EXPECT_EQ(j["flags"]["value"], "0xe28a8233");
  EXPECT_EQ(j["target_info"]["pairs"][0]["name"], "MsvAvNbDomainName");
  EXPECT_EQ(j["target_info"]["pairs"][0]["value"], "Domain");
  EXPECT_EQ(j["version"]["build"], 6000);
}

TEST(CliDecode, MalformedInputExitsTwoWithFieldAndOffset) {
  const struct {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"decode", "TlRMTVNTUAADAAAA"},
       "error: AUTHENTICATE at offset 12: an AUTHENTICATE message needs at least 64 bytes, got "
       "12 [MS-NLMP 2.2.1.3]\n"},
      {{"decode", "TlRMTVNTUAABAAA"},
       "error: base64 at offset 15: base64 length 15 is not a multiple of 4 [RFC 4648 4]\n"},
      {{"decode", "WWW-Authenticate: Negotiate, NTLM"},
       "error: header at offset 0: no NTLM or Negotiate token in the input [MS-NTHT 2.2]\n"},
      {{"decode", "Basic realm=\"x"},
       "error: auth-param at offset 12: unterminated quoted-string [RFC 7235 2.1]\n"},
      {{"decode", "X-Foo: NTLM abc="},
       "error: header at offset 0: 'X-Foo' is not an authentication header\n"},
      {{"decode", "4e544c4d5353500009000000"},
       "error: MessageType at offset 8: MessageType 9 is none of 1, 2, 3 [MS-NLMP 2.2.1]\n"},
      {{"decode", "--bogus"}, "ntlmh decode: Option \u2018bogus\u2019 does not exist\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[1]);
    auto r = RunNtlmh(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, c.err);
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliDecode, TruncatedTargetInfoNamesTheField) {
  // The spec's CHALLENGE without its last byte: TargetInfoFields now reach past the end.
  const std::string hex =
      "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef0000000000000000240024"
      "0044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c"
      "00530065007200760065007200000000";
  auto r = RunNtlmh({"decode", hex});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: TargetInfoFields.BufferOffset at offset 44: Len 36 at BufferOffset 68 runs "
            "past the end of the 103-byte message [MS-NLMP 2.2.1.2]\n");
}

}  // namespace
