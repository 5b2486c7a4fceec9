// Tests of the vector runner: the shipped files pass, and each way a file can be wrong is
// reported as the schema in vectors/README.md says.
#include "vectors/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ntlm::vectors {
namespace {

// A minimal valid vector: the NT hash of "Password" ([MS-NLMP] 4.2.2.1.2).
constexpr char kMinimal[] = R"({
  "name": "t", "source": "test",
  "inputs": {"password": "Password"},
  "expect": {"nt_hash": "a4f49c406510bdcab6824ee7c30fd852"}
})";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    s.replace(at, from.size(), to);
  }
  return s;
}

const CheckResult* Find(const Report& r, const std::string& vector, const std::string& key) {
  for (const CheckResult& c : r.checks) {
    if (c.vector == vector && c.key == key) {
      return &c;
    }
  }
  return nullptr;
}

TEST(VectorRunner, ShippedFilesAllPass) {
  const Report r = RunPaths({NTLMH_VECTORS_DIR});
  for (const FileError& e : r.errors) {
    ADD_FAILURE() << FormatError(e);
  }
  for (const CheckResult& c : r.checks) {
    EXPECT_TRUE(c.passed) << FormatCheck(c);
  }
  EXPECT_EQ(r.files, 4u);
  EXPECT_GE(r.passed(), 60u);
  EXPECT_EQ(r.failed(), 0u);

  // A value from each spec section group is among the checks.
  for (const auto& [vector, key] : std::vector<std::pair<std::string, std::string>>{
           {"ms-nlmp-4.2.2", "lm_response"},
           {"ms-nlmp-4.2.2", "signature"},
           {"ms-nlmp-4.2.2-lm-key", "key_exchange_key"},
           {"ms-nlmp-4.2.2-non-nt-session-key", "encrypted_random_session_key"},
           {"ms-nlmp-4.2.3", "key_exchange_key"},
           {"ms-nlmp-4.2.3", "sealed_data"},
           {"ms-nlmp-4.2.4", "nt_proof_str"},
           {"ms-nlmp-4.2.4", "authenticate_message"},
           {"rfc1320-md4-abc", "digest"},
           {"rfc2202-hmac-md5-7", "digest"}}) {
    const CheckResult* c = Find(r, vector, key);
    ASSERT_NE(c, nullptr) << vector << " " << key;
    EXPECT_TRUE(c->passed);
  }
  const CheckResult* proof = Find(r, "ms-nlmp-4.2.4", "nt_proof_str");
  ASSERT_NE(proof, nullptr);
  EXPECT_EQ(FormatCheck(*proof), "PASS ms-nlmp-4.2.4 ntlmv2 nt_proof_str");
}

TEST(VectorRunner, MinimalObjectPasses) {
  const Report r = RunText(kMinimal, "min.json");
  ASSERT_TRUE(r.errors.empty()) << FormatError(r.errors[0]);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].passed);
  EXPECT_EQ(FormatCheck(r.checks[0]), "PASS t - nt_hash");
  EXPECT_EQ(FormatSummary(r), "1 passed, 0 failed");
}

TEST(VectorRunner, TamperedValueFails) {
  const std::string text =
      Replace(kMinimal, "a4f49c406510bdcab6824ee7c30fd852", "a4f49c406510bdcab6824ee7c30fd853");
  const Report r = RunText(text, "t.json");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].passed);
  EXPECT_EQ(FormatCheck(r.checks[0]),
            "FAIL t - nt_hash expected a4f49c406510bdcab6824ee7c30fd853 got "
            "a4f49c406510bdcab6824ee7c30fd852");
  EXPECT_EQ(FormatSummary(r), "0 passed, 1 failed");
}

TEST(VectorRunner, UppercaseHexIsAccepted) {
  const Report r = RunText(
      Replace(kMinimal, "a4f49c406510bdcab6824ee7c30fd852", "A4F49C406510BDCAB6824EE7C30FD852"),
      "t.json");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.passed(), 1u);
}

void ExpectInvalid(const std::string& text, const std::string& key, const std::string& fragment) {
  const Report r = RunText(text, "bad.json");
  EXPECT_TRUE(r.checks.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "bad.json");
  EXPECT_EQ(r.errors[0].key, key);
  EXPECT_NE(r.errors[0].message.find(fragment), std::string::npos) << r.errors[0].message;
}

TEST(VectorRunner, UnknownExpectKeyIsInvalid) {
  ExpectInvalid(Replace(kMinimal, "\"nt_hash\": \"a4", "\"nt_hashh\": \"a4"), "expect.nt_hashh",
                "unknown expect key");
}

TEST(VectorRunner, UnknownInputKeyIsInvalid) {
  ExpectInvalid(Replace(kMinimal, "\"password\"", "\"passwd\""), "inputs.passwd",
                "unknown input key");
}

TEST(VectorRunner, UnknownTopLevelKeyIsInvalid) {
  ExpectInvalid(Replace(kMinimal, "\"source\"", "\"origin\""), "origin", "unknown top-level key");
}

TEST(VectorRunner, MissingInputIsInvalid) {
  ExpectInvalid(Replace(kMinimal, "\"password\": \"Password\"", "\"user\": \"User\""),
                "expect.nt_hash", "'password' or 'nt_hash'");
  // NTProofStr needs the client challenge, among others.
  ExpectInvalid(R"({"name": "v", "source": "s",
    "inputs": {"password": "Password", "user": "User", "domain": "Domain", "response": "ntlmv2",
               "server_challenge": "0123456789abcdef", "timestamp": 0, "target_info": "00000000"},
    "expect": {"nt_proof_str": "68cd0ab851e51c96aabc927bebef6a1c"}})",
                "expect.nt_proof_str", "'client_challenge'");
  ExpectInvalid(R"({"name": "v", "source": "s", "inputs": {"password": "Password"},
    "expect": {"session_base_key": "d87262b0cde4b1cb7499becccdf10784"}})",
                "expect.session_base_key", "'response'");
}

TEST(VectorRunner, BadHexIsInvalid) {
  ExpectInvalid(R"({"name": "v", "source": "s", "inputs": {"server_challenge": "0123456789abcdeg"},
    "expect": {"nt_hash": "00"}})",
                "inputs.server_challenge", "bad hex");
  ExpectInvalid(Replace(kMinimal, "a4f49c406510bdcab6824ee7c30fd852", "a4f"), "expect.nt_hash",
                "bad hex");
  ExpectInvalid(R"({"name": "v", "source": "s", "inputs": {"server_challenge": "0123"},
    "expect": {"nt_hash": "00"}})",
                "inputs.server_challenge", "must be 8 bytes");
  ExpectInvalid(R"({"name": "v", "source": "s", "inputs": {"negotiate_flags": "e28a8233x"},
    "expect": {"nt_hash": "00"}})",
                "inputs.negotiate_flags", "bad hex");
}

TEST(VectorRunner, EmptyArrayIsInvalid) {
  const Report r = RunText("[]", "empty.json");
  EXPECT_TRUE(r.checks.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("no vectors"), std::string::npos);
}

TEST(VectorRunner, InvalidJsonIsInvalid) {
  const Report r = RunText("{\"name\": ", "broken.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("invalid JSON"), std::string::npos);
}

TEST(VectorRunner, OneBadVectorRejectsTheWholeFile) {
  const std::string text = std::string("[") + kMinimal + "," +
                           Replace(kMinimal, "\"nt_hash\": \"a4", "\"bogus\": \"a4") + "]";
  const Report r = RunText(text, "mixed.json");
  EXPECT_TRUE(r.checks.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].vector, "t");
  EXPECT_EQ(FormatError(r.errors[0]), "mixed.json: vector 't': expect.bogus: unknown expect key");
}

TEST(VectorRunner, UncomputableValueIsInvalid) {
  // LMOWFv1 is undefined for a password longer than 14 characters.
  ExpectInvalid(R"({"name": "v", "source": "s", "inputs": {"password": "123456789012345"},
    "expect": {"lm_hash": "00"}})",
                "expect.lm_hash", "cannot be computed");
}

TEST(VectorRunner, TamperedMessageFailsWithDetail) {
  // 4.2.3.3's AUTHENTICATE_MESSAGE with the last byte of its NT response changed: it still
  // decodes and re-encodes, but its NtChallengeResponse is not the computed one.
  const std::string auth =
      "4e544c4d5353500003000000180018006c00000018001800840000000c000c0048000000"
      "0800080054000000100010005c000000000000009c000000358208820501280a0000000f"
      "44006f006d00610069006e00550073006500720043004f004d0050005500540045005200"
      "aaaaaaaaaaaaaaaa00000000000000000000000000000000"
      "7537f803ae367128ca458204bde7caf81e97ed2683267233";  // last byte 32 -> 33
  const std::string text = R"({"name": "m", "source": "s",
    "inputs": {"password": "Password", "response": "ntlmv1-ess",
               "server_challenge": "0123456789abcdef", "client_challenge": "aaaaaaaaaaaaaaaa"},
    "expect": {"nt_response": "7537f803ae367128ca458204bde7caf81e97ed2683267232",
               "authenticate_message": ")" +
                           auth + R"("}})";
  const Report r = RunText(text, "m.json");
  ASSERT_TRUE(r.errors.empty()) << FormatError(r.errors[0]);
  const CheckResult* nt = Find(r, "m", "nt_response");
  ASSERT_NE(nt, nullptr);
  EXPECT_TRUE(nt->passed);
  const CheckResult* c = Find(r, "m", "authenticate_message");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->passed);
  EXPECT_NE(c->detail.find("NtChallengeResponse"), std::string::npos) << c->detail;
  EXPECT_EQ(r.failed(), 1u);
}

TEST(VectorRunner, PrimitiveVectors) {
  const Report r = RunText(R"([
    {"name": "md4", "source": "s", "primitive": "md4", "inputs": {"data_text": "abc"},
     "expect": {"digest": "a448017aaf21d8525fc10ae87aa6729d"}},
    {"name": "hmac", "source": "s", "primitive": "hmac_md5",
     "inputs": {"key_text": "Jefe",
                "data": "7768617420646f2079612077616e7420666f72206e6f7468696e673f"},
     "expect": {"digest": "750c783e6ab0b503eaa86e310a5db738"}},
    {"name": "crc", "source": "s", "primitive": "crc32", "inputs": {"data_text": "123456789"},
     "expect": {"crc32": "cbf43926"}}])",
                           "p.json");
  ASSERT_TRUE(r.errors.empty()) << FormatError(r.errors[0]);
  EXPECT_EQ(r.passed(), 3u);
  EXPECT_EQ(FormatCheck(r.checks[0]), "PASS md4 md4 digest");

  ExpectInvalid(R"({"name": "p", "source": "s", "primitive": "md4",
    "inputs": {"password": "x"}, "expect": {"digest": "00"}})",
                "inputs.password", "unknown input key");
  ExpectInvalid(R"({"name": "p", "source": "s", "primitive": "sha1",
    "inputs": {"data_text": "x"}, "expect": {"digest": "00"}})",
                "primitive", "must be one of");
}

TEST(VectorRunner, JsonReport) {
  const Report r = RunText(Replace(kMinimal, "a4f49c406510bdcab6824ee7c30fd852", "00"), "t.json");
  const nlohmann::json doc = nlohmann::json::parse(ToJson(r));
  EXPECT_EQ(doc["passed"], 0);
  EXPECT_EQ(doc["failed"], 1);
  ASSERT_EQ(doc["results"].size(), 1u);
  EXPECT_EQ(doc["results"][0]["status"], "fail");
  EXPECT_EQ(doc["results"][0]["key"], "nt_hash");
  EXPECT_EQ(doc["results"][0]["got"], "a4f49c406510bdcab6824ee7c30fd852");
  EXPECT_TRUE(doc["errors"].empty());
}

TEST(VectorRunner, MissingPathAndEmptyDirectory) {
  const Report missing = RunPaths({"/nonexistent/ntlm-vectors.json"});
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].message.find("no such file"), std::string::npos);

  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("ntlm-empty-vectors-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Report empty = RunPaths({dir.string()});
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_NE(empty.errors[0].message.find("no *.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ntlm::vectors
