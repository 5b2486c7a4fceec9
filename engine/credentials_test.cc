// Tests of engine/credentials: user name forms, the secret's one-way functions ([MS-NLMP] 4.2.2.1
// values), the store format (a table of good and bad lines) and the case-insensitive lookup.
#include "engine/credentials.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/testing/test_util.h"

namespace ntlm {
namespace {

using ::ntlm::testing::Hex;

Key16 K16(std::string_view hex) {
  const Bytes b = Hex(hex);
  Key16 k{};
  EXPECT_EQ(b.size(), k.size());
  std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
  return k;
}

// [MS-NLMP] 4.2.2.1.1 and 4.2.2.1.2: LMOWFv1 and NTOWFv1 of "Password".
constexpr char kPasswordLmOwf[] = "e52cac67419a9a224a3b108f3fa6cb6d";
constexpr char kPasswordNtOwf[] = "a4f49c406510bdcab6824ee7c30fd852";

TEST(Credentials, SplitUserName) {
  struct Row {
    const char* in;
    const char* domain;
    const char* user;
  };
  const Row rows[] = {
      {"DOMAIN\\user", "DOMAIN", "user"},
      {"user@example.com", "", "user@example.com"},  // a UPN stays whole
      {"user", "", "user"},
      {"", "", ""},
      {"\\user", "", "user"},
      {"DOMAIN\\", "DOMAIN", ""},
      {"A\\B\\C", "A", "B\\C"},  // the first backslash splits
      {"DOM\\user@example.com", "DOM", "user@example.com"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.in);
    const UserName n = SplitUserName(row.in);
    EXPECT_EQ(n.domain, row.domain);
    EXPECT_EQ(n.user, row.user);
  }
}

TEST(Credentials, SecretFromPassword_4_2_2_1) {
  Secret s;
  s.password = "Password";
  Result<Key16> nt = s.NtOwfV1();
  ASSERT_TRUE(nt.ok()) << nt.error().ToString();
  EXPECT_EQ(ToHex(*nt), kPasswordNtOwf);
  Result<Key16> lm = s.LmOwfV1();
  ASSERT_TRUE(lm.ok()) << lm.error().ToString();
  EXPECT_EQ(ToHex(*lm), kPasswordLmOwf);
}

TEST(Credentials, SecretFromNtHash) {
  Secret s;
  s.nt_hash = K16(kPasswordNtOwf);
  Result<Key16> nt = s.NtOwfV1();
  ASSERT_TRUE(nt.ok());
  EXPECT_EQ(ToHex(*nt), kPasswordNtOwf);
  // LMOWFv1 needs the password; the NT hash cannot give it.
  Result<Key16> lm = s.LmOwfV1();
  ASSERT_FALSE(lm.ok());
  EXPECT_EQ(lm.error().code, ErrorCode::kUnsupported);
}

TEST(Credentials, SecretPasswordWinsOverHash) {
  Secret s;
  s.password = "Password";
  s.nt_hash = Key16{};
  Result<Key16> nt = s.NtOwfV1();
  ASSERT_TRUE(nt.ok());
  EXPECT_EQ(ToHex(*nt), kPasswordNtOwf);
}

TEST(Credentials, EmptySecretIsAnError) {
  const Secret s;
  EXPECT_EQ(s.NtOwfV1().error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s.LmOwfV1().ok());
}

TEST(Credentials, LongPasswordHasNoLmOwf) {
  Secret s;
  s.password = "fifteen-chars!!";  // 15 > 14 (3.3.1)
  EXPECT_TRUE(s.NtOwfV1().ok());
  EXPECT_EQ(s.LmOwfV1().error().code, ErrorCode::kTooLarge);
}

// --- the store format ------------------------------------------------------------------------

TEST(CredentialStore, ParseTable) {
  struct Row {
    const char* name;
    std::string text;
    bool ok;
    size_t accounts;    // when ok
    ErrorCode code;     // when not ok
    const char* field;  // when not ok: "line N"
    size_t offset;      // when not ok: the line's first byte
  };
  const ErrorCode kArg = ErrorCode::kInvalidArgument;
  const ErrorCode kUtf8 = ErrorCode::kInvalidUtf8;
  const Row rows[] = {
      {"password", "DOMAIN:user:password\n", true, 1, kArg, "", 0},
      {"no final newline", "DOMAIN:user:password", true, 1, kArg, "", 0},
      {"nt hash lower", "DOMAIN:user:nt=a4f49c406510bdcab6824ee7c30fd852", true, 1, kArg, "", 0},
      {"nt hash upper", "DOMAIN:user:nt=A4F49C406510BDCAB6824EE7C30FD852", true, 1, kArg, "", 0},
      {"colon in password", "DOMAIN:user:pa:ss:word", true, 1, kArg, "", 0},
      {"empty password", "DOMAIN:user:", true, 1, kArg, "", 0},
      {"empty domain", ":user:pw", true, 1, kArg, "", 0},
      {"comments and blanks", "# accounts\n\n   \n\tDOM:a:1\r\nDOM:b:2\r\n", true, 2, kArg, "", 0},
      {"utf-8 names", "ДОМЕН:юзер:пароль\n", true, 1, kArg, "", 0},
      {"byte order mark",
       "\xEF\xBB\xBF"
       "DOMAIN:user:pw\n",
       true, 1, kArg, "", 0},
      {"empty file", "", true, 0, kArg, "", 0},

      {"one colon", "DOMAIN:user\n", false, 0, kArg, "line 1", 0},
      {"no colon", "just-a-name\n", false, 0, kArg, "line 1", 0},
      {"bad line 3", "# c\nD:u:p\nD:x\n", false, 0, kArg, "line 3", 10},
      {"empty user", "DOMAIN::password\n", false, 0, kArg, "line 1", 0},
      {"nt hash short", "D:u:nt=a4f49c406510bdcab6824ee7c30fd8", false, 0, kArg, "line 1", 0},
      {"nt hash long", "D:u:nt=a4f49c406510bdcab6824ee7c30fd85200", false, 0, kArg, "line 1", 0},
      {"nt hash not hex", "D:u:nt=g4f49c406510bdcab6824ee7c30fd852", false, 0, kArg, "line 1", 0},
      {"nt hash empty", "x:y:z\nD:u:nt=\n", false, 0, kArg, "line 2", 6},
      {"invalid utf-8", "D:u:p\nD:u\xC3:p\n", false, 0, kUtf8, "line 2", 6},
      {"overlong utf-8", "D:\xC0\xAF:p\n", false, 0, kUtf8, "line 1", 0},
      {"duplicate", "D:user:a\nd:USER:b\n", false, 0, kArg, "line 2", 9},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    Result<CredentialStore> store = CredentialStore::Parse(row.text);
    ASSERT_EQ(store.ok(), row.ok) << (store.ok() ? "" : store.error().ToString());
    if (row.ok) {
      EXPECT_EQ(store->size(), row.accounts);
    } else {
      EXPECT_EQ(store.error().code, row.code) << store.error().ToString();
      EXPECT_EQ(store.error().field, row.field);
      EXPECT_EQ(store.error().offset, row.offset);
    }
  }
}

TEST(CredentialStore, ParseKeepsFieldsExactly) {
  Result<CredentialStore> store = CredentialStore::Parse(
      "Domain:User: spaced pass:word \n"
      "OTHER:hash:nt=A4F49C406510BDCAB6824EE7C30FD852\r\n");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_EQ(store->size(), 2u);
  const Account& a = store->accounts()[0];
  EXPECT_EQ(a.domain, "Domain");
  EXPECT_EQ(a.user, "User");
  ASSERT_TRUE(a.secret.password.has_value());
  EXPECT_EQ(*a.secret.password, " spaced pass:word ");
  EXPECT_FALSE(a.secret.nt_hash.has_value());

  const Account& b = store->accounts()[1];
  EXPECT_FALSE(b.secret.password.has_value());
  ASSERT_TRUE(b.secret.nt_hash.has_value());
  EXPECT_EQ(ToHex(*b.secret.nt_hash), kPasswordNtOwf);
}

TEST(CredentialStore, ParseErrorNeverEchoesThePassword) {
  Result<CredentialStore> store = CredentialStore::Parse("D:u:secret\xC3\n");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().ToString().find("secret"), std::string::npos);
}

TEST(CredentialStore, AddRefusesBadInput) {
  CredentialStore store;
  EXPECT_EQ(store.Add("D", "", "pw").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.Add("D\xFF", "u", "pw").error().code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(store.Add("D", "u\xFF", "pw").error().code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(store.Add("D", "u", "pw\xFF").error().code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(store.AddNtHash("D", "", Key16{}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.size(), 0u);

  ASSERT_TRUE(store.Add("D", "u", "pw").ok());
  EXPECT_EQ(store.AddNtHash("d", "U", Key16{}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.size(), 1u);
}

// --- lookup ----------------------------------------------------------------------------------

TEST(CredentialStore, FindIsCaseInsensitive) {
  CredentialStore store;
  ASSERT_TRUE(store.Add("DOMAIN", "Alice", "a").ok());
  ASSERT_TRUE(store.Add("OTHER", "alice", "b").ok());
  ASSERT_TRUE(store.Add("DOMAIN", "юзер", "c").ok());
  ASSERT_TRUE(store.AddNtHash("domain", "Bob", K16(kPasswordNtOwf)).ok());

  struct Row {
    const char* domain;
    const char* user;
    const char* expected_password;  // nullptr: not found; "" : the NT-hash account
  };
  const Row rows[] = {
      {"DOMAIN", "Alice", "a"},
      {"domain", "ALICE", "a"},  // both compare case-insensitively
      {"DoMaIn", "aLiCe", "a"},
      {"", "alice", "a"},  // empty domain: the server's own
      {"OTHER", "ALICE", "b"},
      {"other", "alice", "b"},
      {"DOMAIN", "ЮЗЕР", "c"},  // Cyrillic: U+044E..U+0440 vs U+042E..U+0420
      {"", "юзер", "c"},
      {"", "Юзер", "c"},
      {"DOMAIN", "bob", ""},
      {"NOWHERE", "alice", nullptr},
      {"DOMAIN", "carol", nullptr},
      {"DOMAIN", "", nullptr},
      {"DOMAIN", "alic", nullptr},
      {"DOMAIN", "alice ", nullptr},
      {"DOMAIN", "\xFF", nullptr},  // not UTF-8: never found
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.domain) + "\\" + row.user);
    const Account* a = store.Find(row.domain, row.user, "Domain");
    if (row.expected_password == nullptr) {
      EXPECT_EQ(a, nullptr);
      continue;
    }
    ASSERT_NE(a, nullptr);
    if (*row.expected_password == '\0') {
      EXPECT_TRUE(a->secret.nt_hash.has_value());
      EXPECT_EQ(a->user, "Bob");
    } else {
      ASSERT_TRUE(a->secret.password.has_value());
      EXPECT_EQ(*a->secret.password, row.expected_password);
    }
  }
}

TEST(CredentialStore, EmptyDomainUsesTheDefaultOnly) {
  CredentialStore store;
  ASSERT_TRUE(store.Add("OTHER", "alice", "b").ok());
  EXPECT_EQ(store.Find("", "alice", "DOMAIN"), nullptr);
  EXPECT_NE(store.Find("", "alice", "other"), nullptr);
  // An account stored without a domain matches only an empty effective domain.
  ASSERT_TRUE(store.Add("", "nodom", "x").ok());
  EXPECT_NE(store.Find("", "nodom", ""), nullptr);
  EXPECT_EQ(store.Find("", "nodom", "DOMAIN"), nullptr);
  EXPECT_EQ(store.Find("DOMAIN", "nodom", ""), nullptr);
}

// A large store: every account found by its folded names, a duplicate refused with its line,
// and a copy that shares the accounts unaffected by an account added to the original.
TEST(CredentialStore, LargeStoreAndCopiesThatShare) {
  constexpr int kAccounts = 20000;
  std::string text;
  for (int i = 0; i < kAccounts; ++i) {
    text += "CORP:user" + std::to_string(i) + ":pw" + std::to_string(i) + "\n";
  }
  auto store = CredentialStore::Parse(text);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(store->size(), static_cast<size_t>(kAccounts));
  for (int i : {0, 1, 9999, kAccounts - 1}) {
    const Account* a = store->Find("corp", "USER" + std::to_string(i), "");
    ASSERT_NE(a, nullptr) << i;
    EXPECT_EQ(a->user, "user" + std::to_string(i));
    EXPECT_EQ(a->secret.password, "pw" + std::to_string(i));
  }
  EXPECT_EQ(store->Find("CORP", "user" + std::to_string(kAccounts), ""), nullptr);
  // The domain's length is part of the key: ("CORPU", "SER1") is not ("CORP", "USER1").
  EXPECT_EQ(store->Find("CORPU", "SER1", ""), nullptr);

  auto dup = CredentialStore::Parse(text + "corp:USER123:other\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "line " + std::to_string(kAccounts + 1));
  EXPECT_EQ(dup.error().offset, text.size());

  CredentialStore copy = *store;
  ASSERT_TRUE(store->Add("CORP", "late", "x").ok());
  EXPECT_EQ(store->size(), static_cast<size_t>(kAccounts + 1));
  EXPECT_EQ(copy.size(), static_cast<size_t>(kAccounts));
  EXPECT_NE(store->Find("CORP", "late", ""), nullptr);
  EXPECT_EQ(copy.Find("CORP", "late", ""), nullptr);
  ASSERT_TRUE(copy.Add("CORP", "other", "y").ok());
  EXPECT_EQ(store->Find("CORP", "other", ""), nullptr);
  EXPECT_NE(copy.Find("CORP", "user5", ""), nullptr);

  const CredentialStore empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.accounts().empty());
  EXPECT_EQ(empty.Find("CORP", "user0", ""), nullptr);
}

}  // namespace
}  // namespace ntlm
