// Tests of the vector runner: the shipped files pass, and each way a file can be wrong is
// reported as the schema in vectors/README.md says.
#include "vectors/runner.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
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
  EXPECT_EQ(FormatCheck(*proof),
            "PASS " + std::string(NTLMH_VECTORS_DIR) +
                "/ms-nlmp-4.2.4-ntlmv2.json: ms-nlmp-4.2.4 ntlmv2 nt_proof_str");
}

TEST(VectorRunner, MinimalObjectPasses) {
  const Report r = RunText(kMinimal, "min.json");
  ASSERT_TRUE(r.errors.empty()) << FormatError(r.errors[0]);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].passed);
  EXPECT_EQ(FormatCheck(r.checks[0]), "PASS min.json: t - nt_hash");
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
            "FAIL t.json: t - nt_hash expected a4f49c406510bdcab6824ee7c30fd853 got "
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
  // The place in the file's own terms, and none of the library's internal exception text.
  const Report r = RunText("{\"name\": ", "broken.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(FormatError(r.errors[0]),
            "broken.json: line 1, column 10: syntax error while parsing value - unexpected end "
            "of input; expected '[', '{', or a literal");

  const Report trailing_comma = RunText("{\"name\": \"t\",\n  \"expect\": {},\n}", "c.json");
  ASSERT_EQ(trailing_comma.errors.size(), 1u);
  EXPECT_EQ(FormatError(trailing_comma.errors[0]),
            "c.json: line 3, column 1: syntax error while parsing object key - unexpected '}'; "
            "expected string literal");
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
  EXPECT_EQ(FormatCheck(r.checks[0]), "PASS p.json: md4 md4 digest");

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

// --- hostile files ---------------------------------------------------------------------------

constexpr char kNameRule[] =
    "must be 1 to 128 characters from A-Z a-z 0-9 . _ : + / - (no spaces or control characters)";

TEST(VectorRunner, VectorNamesFollowTheSafePattern) {
  const std::vector<std::string> good = {"t", "ms-nlmp-4.2.2-lm-key", "A.b_c:d+e/f-9",
                                         std::string(kMaxNameLength, 'x')};
  for (const std::string& name : good) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(IsValidVectorName(name));
  }
  const std::vector<std::string> bad = {
      "",     "a b",      "a\nFAIL fake", std::string("a\0b", 3),
      "a\\b", "\xc3\xa9", "a\x1b[31m",    std::string(kMaxNameLength + 1, 'x')};
  for (const std::string& name : bad) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(IsValidVectorName(name));
  }

  // A name that would forge a FAIL line, or cut the line at a NUL, makes the file invalid; the
  // error names the key, and the vector only by its place.
  for (const char* name : {R"(a b\nFAIL fake)", R"(a\u0000b)", R"()"}) {
    const Report r = RunText(
        Replace(kMinimal, R"("name": "t")", std::string(R"("name": ")") + name + "\""), "bad.json");
    EXPECT_TRUE(r.checks.empty());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(FormatError(r.errors[0]), std::string("bad.json: vector '#0': name: ") + kNameRule);
  }
  const Report number = RunText(Replace(kMinimal, R"("name": "t")", R"("name": 7)"), "n.json");
  ASSERT_EQ(number.errors.size(), 1u);
  EXPECT_EQ(FormatError(number.errors[0]),
            "n.json: vector '#0': name: must be a string, not a number");
}

TEST(VectorRunner, DuplicateKeysAreInvalid) {
  // The last "name" would win silently: the file is refused instead.
  const Report name =
      RunText(Replace(kMinimal, R"("name": "t")", R"("name": "t", "name": "u")"), "dup.json");
  EXPECT_TRUE(name.checks.empty());
  ASSERT_EQ(name.errors.size(), 1u);
  EXPECT_EQ(FormatError(name.errors[0]),
            "dup.json: vector '#0': name: duplicate key (a JSON object must not repeat a key)");

  // Inside the second vector's inputs: the path and the vector's name.
  const std::string second =
      Replace(Replace(kMinimal, R"("name": "t")", R"("name": "u")"), R"({"password": "Password"})",
              R"({"password": "Password", "password": "Other"})");
  const Report nested = RunText("[" + std::string(kMinimal) + "," + second + "]", "dup.json");
  ASSERT_EQ(nested.errors.size(), 1u);
  EXPECT_EQ(FormatError(nested.errors[0]),
            "dup.json: vector 'u': inputs.password: duplicate key (a JSON object must not repeat "
            "a key)");

  const Report expect =
      RunText(Replace(kMinimal, R"("expect": {)", R"("expect": {"nt_hash": "00", )"), "dup.json");
  ASSERT_EQ(expect.errors.size(), 1u);
  EXPECT_EQ(expect.errors[0].key, "expect.nt_hash");

  // The same key in two different objects is not a duplicate.
  const Report two = RunText("[" + std::string(kMinimal) + "," +
                                 Replace(kMinimal, R"("name": "t")", R"("name": "u")") + "]",
                             "two.json");
  EXPECT_TRUE(two.errors.empty());
  EXPECT_EQ(two.passed(), 2u);
}

TEST(VectorRunner, TypeErrorsSayWhatIsNeeded) {
  auto error_of = [](const std::string& inputs, const std::string& expect) {
    const Report r = RunText(
        R"({"name": "v", "source": "s", "inputs": )" + inputs + R"(, "expect": )" + expect + "}",
        "t.json");
    EXPECT_TRUE(r.checks.empty());
    return r.errors.size() == 1 ? FormatError(r.errors[0]) : std::string("(no single error)");
  };
  EXPECT_EQ(error_of(R"({"negotiate_flags": 3800728115})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.negotiate_flags: must be a string of up to 8 hex digits "
            "(\"e28a8233\"), not a number");
  EXPECT_EQ(error_of(R"({"negotiate_flags": "e28a82331"})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.negotiate_flags: bad hex: 1 to 8 hex digits, optionally "
            "after 0x");
  EXPECT_EQ(error_of(R"({"server_challenge": 81985529216486895})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.server_challenge: must be a string of hex digit pairs, not "
            "a number");
  EXPECT_EQ(error_of(R"({"timestamp": "0"})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.timestamp: must be a non-negative integer (FILETIME), not "
            "a string");
  EXPECT_EQ(error_of(R"({"timestamp": -1})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.timestamp: must be a non-negative integer (FILETIME)");
  EXPECT_EQ(error_of(R"({"user": ["U"]})", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs.user: must be a string, not an array");
  EXPECT_EQ(error_of(R"([])", R"({"nt_hash": "00"})"),
            "t.json: vector 'v': inputs: must be an object, not an array");
  EXPECT_EQ(error_of(R"({"password": "Password"})", R"({"nt_hash": true})"),
            "t.json: vector 'v': expect.nt_hash: must be a string of hex digit pairs, not a "
            "boolean");
  EXPECT_EQ(error_of(R"({"password": "Password"})", R"(null)"),
            "t.json: vector 'v': expect: must be an object, not null");
}

TEST(VectorRunner, UndecodableMessageIsAnInvalidFileNotAMismatch) {
  for (const char* key : {"challenge_message", "authenticate_message"}) {
    SCOPED_TRACE(key);
    const Report r = RunText(std::string(R"({"name": "m", "source": "s", "expect": {")") + key +
                                 R"(": "4e544c4d5353500002"}})",
                             "m.json");
    EXPECT_TRUE(r.checks.empty());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].key, std::string("expect.") + key);
    const std::string what =
        std::string(key) == "challenge_message" ? "CHALLENGE_MESSAGE" : "AUTHENTICATE_MESSAGE";
    EXPECT_EQ(r.errors[0].message.rfind("not a valid " + what + ": ", 0), 0u)
        << r.errors[0].message;
  }
}

TEST(VectorRunner, OutputLinesEscapeWhatTheFileControls) {
  // A path with a newline, and a user name with an escape sequence that reaches a message
  // check's detail: each prints as one line with the characters spelled out.
  const std::string auth =
      "4e544c4d5353500003000000180018006c00000018001800840000000c000c0048000000"
      "0800080054000000100010005c000000000000009c000000358208820501280a0000000f"
      "44006f006d00610069006e00550073006500720043004f004d0050005500540045005200"
      "aaaaaaaaaaaaaaaa00000000000000000000000000000000"
      "7537f803ae367128ca458204bde7caf81e97ed2683267232";
  const Report r = RunText(R"({"name": "m", "source": "s",
    "inputs": {"user": "Us\u001b[2Jer\u202e"},
    "expect": {"authenticate_message": ")" +
                               auth + R"("}})",
                           "a\nFAIL b.json");
  ASSERT_TRUE(r.errors.empty()) << FormatError(r.errors[0]);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(FormatCheck(r.checks[0]), "FAIL a\\x0aFAIL b.json: m - authenticate_message expected " +
                                          auth + " got " + auth +
                                          " (UserName is User, expected Us\\x1b[2Jer\\u{202e})");

  // An unknown key is escaped and cut short.
  const Report key = RunText(
      Replace(kMinimal, R"("source")", "\"" + std::string(100, 'k') + R"(\u0007": 1, "source")"),
      "k.json");
  ASSERT_EQ(key.errors.size(), 1u);
  EXPECT_EQ(FormatError(key.errors[0]),
            "k.json: vector 't': " + std::string(64, 'k') + "...: unknown top-level key");
  const Report bell =
      RunText(Replace(kMinimal, R"("source")", R"("\u0007": 1, "source")"), "k.json");
  ASSERT_EQ(bell.errors.size(), 1u);
  EXPECT_EQ(FormatError(bell.errors[0]), "k.json: vector 't': \\x07: unknown top-level key");

  // JSON output keeps the exact strings, in ASCII.
  const std::string doc = ToJson(r);
  for (const char c : doc) {
    EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  }
  EXPECT_EQ(nlohmann::json::parse(doc)["results"][0]["file"], "a\nFAIL b.json");
}

TEST(VectorRunner, ShapeLimits) {
  const Report deep = RunText(std::string(17, '[') + std::string(17, ']'), "deep.json");
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_EQ(FormatError(deep.errors[0]), "deep.json: nested deeper than 16 levels");

  std::string many = "[0";
  for (int i = 0; i < 1000000; ++i) {
    many += ",0";
  }
  many += "]";
  const Report values = RunText(many, "many.json");
  ASSERT_EQ(values.errors.size(), 1u);
  EXPECT_EQ(FormatError(values.errors[0]), "many.json: holds more than 1000000 JSON values");

  const Report large = RunText(std::string(kMaxFileBytes + 1, ' '), "large.json");
  ASSERT_EQ(large.errors.size(), 1u);
  EXPECT_EQ(FormatError(large.errors[0]),
            "large.json: larger than the 16 MiB a vector file may hold (16777217 bytes)");
}

TEST(VectorRunner, ErrorsNeverQuoteAPassword) {
  // A raw control character inside the password string: the parser's complaint would quote
  // the string read so far.
  const Report raw = RunText(
      "{\"name\": \"t\", \"source\": \"s\", \"inputs\": {\"password\": \"S3cr3tMarker\x01\"},"
      " \"expect\": {\"nt_hash\": \"00\"}}",
      "raw.json");
  ASSERT_EQ(raw.errors.size(), 1u);
  EXPECT_EQ(FormatError(raw.errors[0]).find("S3cr3tMarker"), std::string::npos)
      << FormatError(raw.errors[0]);
  EXPECT_EQ(raw.errors[0].message.rfind("line 1, column ", 0), 0u);

  // A character LMOWFv1 cannot encode: the error does not name it.
  const Report lm = RunText(R"({"name": "t", "source": "s", "inputs": {"password": "S3cr\u0100t"},
    "expect": {"lm_hash": "00"}})",
                            "lm.json");
  ASSERT_EQ(lm.errors.size(), 1u);
  const std::string lm_error = FormatError(lm.errors[0]);
  EXPECT_EQ(lm_error.find("S3cr"), std::string::npos) << lm_error;
  EXPECT_EQ(lm_error.find("0100"), std::string::npos) << lm_error;
  EXPECT_EQ(lm_error.find("\xc4\x80"), std::string::npos) << lm_error;
}

// A scratch directory, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ntlm-vectors-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Binds a Unix socket at |path| (left behind as a socket file when closed).
bool MakeSocket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof(addr.sun_path)) {
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

TEST(VectorRunner, OnlyRegularFilesAreRead) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo((dir / "a-fifo.json").c_str(), 0600), 0);
  std::filesystem::create_symlink("/dev/zero", dir / "b-zero.json");
  std::filesystem::create_symlink(dir / "c-loop.json", dir / "c-loop.json");
  std::filesystem::create_symlink(dir / "missing", dir / "d-dangling.json");
  std::filesystem::create_directory(dir / "e-dir.json");
  std::ofstream(dir / "f-good.json") << kMinimal;
  std::ofstream(dir / "g-large.json") << "";  // then made sparse and one byte too large
  std::filesystem::resize_file(dir / "g-large.json", kMaxFileBytes + 1);
  std::ofstream(dir / "notes.txt") << "not a vector file";
  const bool socket = MakeSocket(dir / "h-socket.json");

  const Report r = RunPaths({dir.str()});
  std::vector<std::string> errors;
  for (const FileError& e : r.errors) {
    errors.push_back(FormatError(e));
  }
  std::vector<std::string> expected = {
      dir / "a-fifo.json" + ": is a FIFO (named pipe), not a regular file; not read",
      dir / "b-zero.json" + ": is a character device, not a regular file; not read",
      dir / "c-loop.json" + ": symbolic link loop (too many levels of symbolic links)",
      dir / "d-dangling.json" + ": symbolic link to a file that does not exist",
      dir / "e-dir.json" + ": is a directory, not a regular file; not read",
      dir / "g-large.json" + ": larger than the 16 MiB a vector file may hold (16777217 bytes)",
  };
  if (socket) {
    expected.push_back(dir / "h-socket.json" + ": is a socket, not a regular file; not read");
  }
  EXPECT_EQ(errors, expected);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(FormatCheck(r.checks[0]), "PASS " + (dir / "f-good.json") + ": t - nt_hash");

  // Given directly, the same.
  const Report fifo = RunPaths({dir / "a-fifo.json"});
  ASSERT_EQ(fifo.errors.size(), 1u);
  EXPECT_EQ(FormatError(fifo.errors[0]), expected[0]);
  const Report zero = RunFile("/dev/zero");
  ASSERT_EQ(zero.errors.size(), 1u);
  EXPECT_EQ(FormatError(zero.errors[0]),
            "/dev/zero: is a character device, not a regular file; not read");
}

TEST(VectorRunner, ADirectoryOfBrokenEntriesSaysWhatTheyAre) {
  ScratchDir dir;
  std::filesystem::create_symlink(dir / "loop.json", dir / "loop.json");
  const Report r = RunPaths({dir.str()});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(FormatError(r.errors[0]),
            dir / "loop.json" + ": symbolic link loop (too many levels of symbolic links)");

  const Report direct = RunPaths({dir / "loop.json"});
  ASSERT_EQ(direct.errors.size(), 1u);
  EXPECT_EQ(FormatError(direct.errors[0]), FormatError(r.errors[0]));
}

}  // namespace
}  // namespace ntlm::vectors
