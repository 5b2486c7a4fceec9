// Tests of the WWW-Authenticate / Authorization value parser (RFC 7235 2.1) and base64
// (RFC 4648 4, with its section 10 vectors).
#include "engine/http_auth.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ntlm::http_auth
