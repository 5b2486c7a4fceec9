// `ntlmh serve --target-info / --target-type` (issue #4): the names a client sees in the
// CHALLENGE ([MS-NLMP] 2.2.1.2 TargetName, 2.2.2.1 the MsvAvDns* pairs). Every server listens on
// 127.0.0.1, on a port the kernel picks, and is stopped by the test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/flags.h"
#include "engine/http_auth.h"
#include "engine/messages.h"
#include "tests/mock_server_process.h"
#include "tests/run_command.h"

namespace ntlmh::testing {
namespace {

// The CHALLENGE that |args| make the server send to the engine's client.
ntlm::ChallengeMessage ChallengeFrom(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--user", "CORP\\alice:Secret1!"};
  all.insert(all.end(), args.begin(), args.end());
  ServerProcess server(all);
  EXPECT_TRUE(server.ok());
  HttpConnection conn(server.port());
  ntlm::ClientConfig cfg;
  cfg.user = "CORP\\alice";
  cfg.secret.password = "Secret1!";
  ntlm::ClientContext client(cfg);
  HttpResponse r = conn.Request(
      "GET", "/", {"Authorization: NTLM " + ntlm::http_auth::Base64Encode(*client.Negotiate())});
  EXPECT_EQ(r.status, 401);
  const std::string value = r.Header("www-authenticate");
  auto challenges = ntlm::http_auth::ParseChallenges(value);
  EXPECT_TRUE(challenges.ok());
  auto token = ntlm::http_auth::Base64Decode(challenges->at(0).token68);
  EXPECT_TRUE(token.ok());
  auto chal = ntlm::DecodeChallenge(*token, ntlm::DecodePolicy::Strict());
  EXPECT_TRUE(chal.ok()) << chal.error().ToString();
  return chal.ok() ? *chal : ntlm::ChallengeMessage{};
}

TEST(ServeIdentity, DefaultsNameADomainWithDnsNames) {
  ntlm::ChallengeMessage c = ChallengeFrom({});
  EXPECT_EQ(c.target_name, "DOMAIN");
  EXPECT_NE(c.flags & ntlm::kTargetTypeDomain, 0u);
  EXPECT_EQ(c.flags & ntlm::kTargetTypeServer, 0u);
  ASSERT_TRUE(c.target_info.has_value());
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kNbDomainName), "DOMAIN");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kNbComputerName), "SERVER");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kDnsComputerName), "server.domain.test");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kDnsDomainName), "domain.test");
  EXPECT_FALSE(c.target_info->GetString(ntlm::AvId::kDnsTreeName).has_value());
}

TEST(ServeIdentity, TargetInfoNamesAndServerTargetType) {
  ntlm::ChallengeMessage c = ChallengeFrom(
      {"--domain", "ACME", "--computer", "WEB01", "--target-info", "dns-computer=web01.acme.example",
       "--target-info", "dns-domain=acme.example", "--target-info", "dns-tree=example",
       "--target-type", "server"});
  EXPECT_EQ(c.target_name, "WEB01");
  EXPECT_NE(c.flags & ntlm::kTargetTypeServer, 0u);
  EXPECT_EQ(c.flags & ntlm::kTargetTypeDomain, 0u);
  ASSERT_TRUE(c.target_info.has_value());
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kNbDomainName), "ACME");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kNbComputerName), "WEB01");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kDnsComputerName), "web01.acme.example");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kDnsDomainName), "acme.example");
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kDnsTreeName), "example");
}

TEST(ServeIdentity, EmptyValueLeavesThePairOut) {
  ntlm::ChallengeMessage c =
      ChallengeFrom({"--target-info", "dns-computer=", "--target-info", "dns-domain="});
  ASSERT_TRUE(c.target_info.has_value());
  EXPECT_FALSE(c.target_info->GetString(ntlm::AvId::kDnsComputerName).has_value());
  EXPECT_FALSE(c.target_info->GetString(ntlm::AvId::kDnsDomainName).has_value());
  EXPECT_EQ(c.target_info->GetString(ntlm::AvId::kNbComputerName), "SERVER");
}

TEST(ServeIdentity, BadTargetInfoIsAUsageError) {
  CommandResult r = RunNtlmh({"serve", "--target-info", "nb-computer=X\x1b[2J"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--target-info wants dns-computer=NAME, dns-domain=NAME or dns-tree=NAME, "
                       "got 'nb-computer=X\\x1b[2J'"),
            std::string::npos)
      << r.err;
  r = RunNtlmh({"serve", "--target-type", "forest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--target-type wants domain or server"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ntlmh::testing
