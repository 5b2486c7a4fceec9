// Tests of the WWW-Authenticate / Authorization value parser (RFC 7235 2.1) and base64
// (RFC 4648 4, with its section 10 vectors).
#include "engine/http_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace ntlm::http_auth {
namespace {

struct Expected {
  std::string scheme;
  std::string token68;
  std::vector<std::pair<std::string, std::string>> params;
};

TEST(HttpAuth_Rfc7235, ParsesWhatRealServersSend) {
  const struct {
    const char* value;
    std::vector<Expected> want;
  } cases[] = {
      {"NTLM", {{"NTLM", "", {}}}},
      {"NTLM TlRMTVNTUAABAAAA", {{"NTLM", "TlRMTVNTUAABAAAA", {}}}},
      {"ntlm TlRMTVNTUAACAAAAAAAAAAAAAAA=",
       {{"ntlm", "TlRMTVNTUAACAAAAAAAAAAAAAAA=", {}}}},
      {"NTLM <b64>, Negotiate", {}},  // '<' is not a token68 character: error below
      {"NTLM abc=, Negotiate", {{"NTLM", "abc=", {}}, {"Negotiate", "", {}}}},
      {"Negotiate, Basic realm=\"a, b\", NTLM dGVzdA==",
       {{"Negotiate", "", {}}, {"Basic", "", {{"realm", "a, b"}}}, {"NTLM", "dGVzdA==", {}}}},
      {"NTLM,Basic realm=\"\"", {{"NTLM", "", {}}, {"Basic", "", {{"realm", ""}}}}},
      {"Digest realm=\"x\", qop=\"auth,auth-int\", nonce=abc, NTLM",
       {{"Digest", "", {{"realm", "x"}, {"qop", "auth,auth-int"}, {"nonce", "abc"}}},
        {"NTLM", "", {}}}},
      {"  ,  NEGOTIATE   YWJj  , ,", {{"NEGOTIATE", "YWJj", {}}}},
      {"Basic realm=\"q\\\"uote\"", {{"Basic", "", {{"realm", "q\"uote"}}}}},
      {"", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    auto r = ParseChallenges(c.value);
    if (std::string(c.value) == "NTLM <b64>, Negotiate") {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().offset, 5u);
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_EQ(r->size(), c.want.size());
    for (size_t i = 0; i < c.want.size(); ++i) {
      EXPECT_EQ((*r)[i].scheme, c.want[i].scheme);
      EXPECT_EQ((*r)[i].token68, c.want[i].token68);
      EXPECT_EQ((*r)[i].params, c.want[i].params);
    }
  }
}

TEST(HttpAuth_Rfc7235, Errors) {
  const struct {
    const char* value;
    size_t offset;
  } cases[] = {
      {"Basic realm=\"open", 12},
      {"Basic a=b=c", 9},  // "realm=" alone would be a valid token68
      {"=abc", 0},
      {"Basic realm=x y", 14},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    auto r = ParseChallenges(c.value);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().offset, c.offset) << r.error().ToString();
    EXPECT_EQ(r.error().rule, "RFC 7235 2.1");
  }
}

TEST(HttpAuth_Rfc7235, SchemeIsCaseInsensitive) {
  Challenge c;
  c.scheme = "nEgOtIaTe";
  EXPECT_TRUE(c.SchemeIs("Negotiate"));
  EXPECT_FALSE(c.SchemeIs("NTLM"));
}

TEST(Base64_Rfc4648, Section10Vectors) {
  const struct {
    const char* plain;
    const char* b64;
  } cases[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.plain);
    EXPECT_EQ(Base64Encode(AsBytes(c.plain)), c.b64);
    auto d = Base64Decode(c.b64);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(std::string(d->begin(), d->end()), c.plain);
  }
}

TEST(Base64_Rfc4648, RejectsMalformed) {
  const struct {
    const char* text;
    size_t offset;
  } cases[] = {{"Zm9", 3}, {"Zm9v!A==", 4}, {"Zg=a", 2}, {"Zh==", 1}, {"Z===", 1}, {"=Zg=", 0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto d = Base64Decode(c.text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().offset, c.offset) << d.error().ToString();
  }
}

TEST(HttpAuth_Rfc7235, Token68OffsetIsItsPlaceInTheValue) {
  const struct {
    const char* value;
    std::vector<size_t> offsets;  // one per challenge; 0 where there is no token68
  } cases[] = {
      {"NTLM TlRMTVNTUAABAAAA", {5}},
      {"NTLM", {0}},
      {"Negotiate, Basic realm=\"a, b\", NTLM dGVzdA==", {0, 0, 36}},
      {"  ,  NEGOTIATE   YWJj  , ,", {17}},
      {"NTLM abc=,Negotiate  YWJj", {5, 21}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    if (c.offsets.empty()) {
      continue;
    }
    auto r = ParseChallenges(c.value);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_EQ(r->size(), c.offsets.size());
    for (size_t i = 0; i < c.offsets.size(); ++i) {
      EXPECT_EQ((*r)[i].token68_offset, c.offsets[i]);
      if (!(*r)[i].token68.empty()) {
        EXPECT_EQ(std::string_view(c.value).substr((*r)[i].token68_offset,
                                                   (*r)[i].token68.size()),
                  (*r)[i].token68);
      }
    }
  }
  auto tab = ParseChallenges("NTLM\tabc=");
  ASSERT_TRUE(tab.ok()) << tab.error().ToString();
  EXPECT_EQ((*tab)[0].token68_offset, 5u);
}

TEST(Base64_Rfc4648, ReasonNamesUnprintableCharactersByValue) {
  auto esc = Base64Decode("Zm9v\x1b[2J");
  ASSERT_FALSE(esc.ok());
  EXPECT_EQ(esc.error().ToString(), "base64 at offset 4: byte 0x1b is not base64 [RFC 4648 4]");
  auto utf8 = Base64Decode("Zm\xc3\xa9");
  ASSERT_FALSE(utf8.ok());
  EXPECT_EQ(utf8.error().reason, "byte 0xc3 is not base64");
  auto bang = Base64Decode("Zm9v!A==");
  ASSERT_FALSE(bang.ok());
  EXPECT_EQ(bang.error().reason, "character '!' is not base64");
  auto scheme = ParseChallenges("\x7f");
  ASSERT_FALSE(scheme.ok());
  EXPECT_EQ(scheme.error().reason, "expected an auth-scheme, found byte 0x7f");
}

// The table-driven codec against OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock on every length up
// to 300 bytes (an AUTHENTICATE's size): same text, same bytes back.
TEST(Base64_Rfc4648, MatchesOpenSslOnEveryLength) {
  Bytes data;
  for (size_t n = 0; n <= 300; ++n) {
    SCOPED_TRACE(n);
    std::string reference(4 * ((n + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(reference.data()),
                                        data.data(), static_cast<int>(n));
    reference.resize(static_cast<size_t>(written));
    const std::string ours = Base64Encode(data);
    ASSERT_EQ(ours, reference);
    auto back = Base64Decode(ours);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    ASSERT_EQ(*back, data);
    data.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
}

// A byte outside the alphabet is named at its own offset wherever it sits: in the groups the
// fast path decodes, in the last group, and for every byte value that is not base64.
TEST(Base64_Rfc4648, BadByteOffsetAnywhere) {
  const std::string good = Base64Encode(Bytes(96, 0xA5));  // 128 characters, no padding
  for (size_t at : {size_t{0}, size_t{3}, size_t{4}, size_t{61}, size_t{123}, size_t{127}}) {
    for (int b : {0x00, 0x2D, 0x3D, 0x5F, 0x80, 0xFF}) {
      SCOPED_TRACE(std::to_string(at) + " " + std::to_string(b));
      std::string text = good;
      text[at] = static_cast<char>(b);
      auto d = Base64Decode(text);
      ASSERT_FALSE(d.ok());
      if (b == '=' && at == 127) {
        // Padding there is allowed; what is wrong is the bits before it.
        EXPECT_EQ(d.error().offset, 126u);
        EXPECT_EQ(d.error().reason, "non-zero bits before the '=' padding");
      } else {
        EXPECT_EQ(d.error().offset, at);
      }
    }
  }
  // '=' is padding only at the end: inside the text it is a bad character.
  auto inner = Base64Decode("Zg==Zm9v");
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().offset, 2u);
}

// token68 and tchar by table: bytes above 0x7F are neither.
TEST(HttpAuth_Rfc7235, HighBytesAreNotToken68) {
  auto r = ParseChallenges("NTLM abc\xc3\xa9");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "auth-param at offset 5: expected name=value or a token68 after scheme 'NTLM' "
            "[RFC 7235 2.1]");
  auto scheme = ParseChallenges("NT\xffLM abc");
  ASSERT_FALSE(scheme.ok());
}

}  // namespace
}  // namespace ntlm::http_auth
