// `ntlmh load` (issue #8): the loopback policy and the latency histogram as pure functions, and
// the command against `ntlmh serve` started here on 127.0.0.1 (HTTP and HTTPS, NTLM and
// Negotiate, new connections, --reuse and --rehandshake, a wrong password, a server that is down), plus its
// usage errors. Counts are exact (-n); no timing is asserted.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "http/load.h"
#include "tests/mock_server_process.h"
#include "tests/run_command.h"

namespace ntlmh::testing {
namespace {

using nlohmann::json;

constexpr char kUser[] = "CORP\\alice:Secret1!";
const std::vector<std::string> kPasswordEnv = {"NTLM_PASSWORD=Secret1!"};

CommandResult Load(const std::vector<std::string>& args,
                   const std::vector<std::string>& env = kPasswordEnv) {
  std::vector<std::string> all = {"load"};
  all.insert(all.end(), args.begin(), args.end());
  return RunNtlmh(all, "", env);
}

json Report(const CommandResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

TEST(LoadPolicy, LoopbackHostsOnly) {
  struct Row {
    const char* host;
    bool loopback;
  };
  const Row rows[] = {
      {"localhost", true},
      {"127.0.0.1", true},
      {"127.0.0.2", true},
      {"127.255.255.254", true},
      {"::1", true},
      {"::ffff:127.0.0.1", true},
      {"0:0:0:0:0:0:0:1", true},
      {"127.1", false},  // shorthand: no resolver is asked what it means
      {"0x7f.0.0.1", false},
      {"127.0.0.1.", false},
      {"128.0.0.1", false},
      {"126.255.255.255", false},
      {"0.0.0.0", false},
      {"10.0.0.1", false},
      {"169.254.169.254", false},
      {"192.0.2.1", false},
      {"::", false},
      {"::2", false},
      {"::ffff:10.0.0.1", false},
      {"fe80::1", false},
      {"localhost.example.com", false},
      {"mylocalhost", false},
      {"example.com", false},
      {"", false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.host);
    EXPECT_EQ(http::IsLoopbackHost(row.host), row.loopback);
  }
}

TEST(LoadPolicy, RemoteTargetRefusedBeforeAnyConnection) {
  for (const char* url : {"http://192.0.2.1:9/", "http://example.com/", "https://[fe80::1]/",
                          "http://127.1:9/"}) {
    SCOPED_TRACE(url);
    const CommandResult r = Load({url, "-u", "alice", "-n", "1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("is not a loopback name or address"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--allow-remote"), std::string::npos) << r.err;
  }
}

TEST(LoadLatency, NearestRankPercentiles) {
  http::LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0u);
  for (uint64_t v = 100; v >= 1; --v) {
    h.Add(v);
  }
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(90), 90u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(99.5), 100u);
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_EQ(h.max(), 100u);

  // Above 1024 us a value lands in a bucket 1/512 of it wide; the answer is the bucket's upper
  // edge, never above the largest value seen.
  http::LatencyHistogram big;
  big.Add(5000);  // bucket [5000, 5007]
  big.Add(1'000'000);
  EXPECT_EQ(big.Percentile(50), 5007u);
  EXPECT_EQ(big.Percentile(100), 1'000'000u);

  h.Merge(big);
  EXPECT_EQ(h.count(), 102u);
  EXPECT_EQ(h.max(), 1'000'000u);
  EXPECT_EQ(h.Percentile(50), 51u);
}

TEST(Load, FortyHandshakesOnFourConnections) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url() + "/x", "-u", "CORP\\alice", "-n", "40", "-c", "4",
                                "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");  // no progress line: stderr is not a terminal
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 40);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["errors"], json::object());
  EXPECT_EQ(j["authentications"], 40);
  EXPECT_EQ(j["connections_opened"], 40);
  EXPECT_EQ(j["connections"], 4);
  EXPECT_EQ(j["mode"], "new-connection");
  for (const char* key : {"p50", "p90", "p99", "max"}) {
    EXPECT_TRUE(j["latency_ms"][key].is_number()) << key;
  }
  EXPECT_TRUE(j["handshakes_per_sec"].is_number());
}

TEST(Load, TextReportAndProgress) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "-n", "6", "-c", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("handshakes: 6 in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("errors:     none\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Secret1!"), std::string::npos);
  EXPECT_EQ(r.err, "");

  // A run of 1.5 s passes the 1 s mark: one progress line at least, ended by a newline.
  const CommandResult p =
      Load({server.url(), "-u", "CORP\\alice", "-d", "1.5", "-c", "2", "--progress"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  ASSERT_FALSE(p.err.empty());
  EXPECT_EQ(p.err.rfind("\rntlmh load: ", 0), 0u) << p.err;
  EXPECT_NE(p.err.find(" failed "), std::string::npos) << p.err;
  EXPECT_EQ(p.err.back(), '\n');
  EXPECT_NE(p.out.find("errors:     none\n"), std::string::npos) << p.out;
}

TEST(Load, WrongPasswordIsAuthRejectedEveryTime) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "-n", "12", "-c", "3",
                                "--json"},
                               {"NTLM_PASSWORD=Not-Secret9"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 0);
  EXPECT_EQ(j["failed"], 12);
  EXPECT_EQ(j["errors"], (json{{"auth_rejected", 12}}));
  EXPECT_EQ(j["authentications"], 0);
  for (const char* key : {"p50", "p90", "p99", "max"}) {
    EXPECT_TRUE(j["latency_ms"][key].is_null()) << key;  // nothing succeeded: no latency
  }
  const std::string sample = j["error_samples"]["auth_rejected"];
  EXPECT_NE(sample.find("401"), std::string::npos) << sample;
  EXPECT_EQ(r.out.find("Not-Secret9"), std::string::npos);
}

TEST(Load, NtHashInsteadOfPassword) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  // NT hash of "Secret1!" (MD4 of its UTF-16LE).
  const CommandResult hash = RunNtlmh({"hash", "--password", "Secret1!", "--json"});
  ASSERT_EQ(hash.exit_code, 0) << hash.err;
  const std::string nt = Report(hash)["nt_hash"];
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "--nt-hash", nt, "-n", "5",
                                "--json"},
                               {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Report(r)["handshakes"], 5);
}

TEST(Load, ReuseAuthenticatesEachConnectionOnce) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url() + "/reuse", "-u", "CORP\\alice", "-n", "30", "-c",
                                "3", "--reuse", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 30);
  EXPECT_EQ(j["errors"], json::object());
  EXPECT_EQ(j["authentications"], 3);
  EXPECT_EQ(j["connections_opened"], 3);
  EXPECT_EQ(j["mode"], "reuse");
}

TEST(Load, ReuseWithAuthPerRequestAuthenticatesEveryRequest) {
  ServerProcess server({"--user", kUser, "--auth-per-request"});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "-n", "8", "-c", "2",
                                "--reuse", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 8);
  EXPECT_EQ(j["authentications"], 8);
  EXPECT_EQ(j["connections_opened"], 2);
}

// Every unit a whole handshake on a connection kept from the unit before: the server's log
// has one accepted handshake per unit, on the -c connections opened once.
TEST(Load, RehandshakeRunsEveryHandshakeOnKeptConnections) {
  char path[] = "/tmp/ntlmh-load-log-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  json j;
  {
    ServerProcess server({"--user", kUser, "--log", path});
    ASSERT_TRUE(server.ok());
    const CommandResult r = Load({server.url() + "/again", "-u", "CORP\\alice", "-n", "12",
                                  "-c", "3", "--rehandshake", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    j = Report(r);
  }
  std::ifstream in(path);
  std::string line;
  std::map<std::string, int> outcomes;
  std::set<uint64_t> connections;
  while (std::getline(in, line)) {
    const json record = json::parse(line);
    ++outcomes[record["outcome"].get<std::string>()];
    connections.insert(record["connection"].get<uint64_t>());
  }
  unlink(path);
  EXPECT_EQ(j["handshakes"], 12);
  EXPECT_EQ(j["authentications"], 12);
  EXPECT_EQ(j["connections_opened"], 3);
  EXPECT_EQ(j["errors"], json::object());
  EXPECT_EQ(j["mode"], "rehandshake");
  EXPECT_EQ(outcomes, (std::map<std::string, int>{{"accepted", 12}}));
  EXPECT_EQ(connections.size(), 3u);
}

TEST(Load, NegotiateScheme) {
  ServerProcess server({"--user", kUser, "--scheme", "negotiate"});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "-n", "10", "-c", "2",
                                "--negotiate", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Report(r)["handshakes"], 10);
  // The NTLM scheme against a Negotiate-only server: no NTLM token in the 401.
  const CommandResult ntlm = Load({server.url(), "-u", "CORP\\alice", "-n", "4", "--json"});
  EXPECT_EQ(ntlm.exit_code, 1);
  EXPECT_EQ(Report(ntlm)["errors"], (json{{"bad_challenge", 4}}));
}

TEST(Load, HttpsWithChannelBindings) {
  ServerProcess server({"--user", kUser, "--tls-self-signed", "--epa", "require"});
  ASSERT_TRUE(server.ok());
  const CommandResult r = Load({server.url(), "-u", "CORP\\alice", "-n", "10", "-c", "2",
                                "--insecure", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 10);
  EXPECT_EQ(j["errors"], json::object());
  // Without --insecure the self-signed certificate does not verify.
  const CommandResult strict = Load({server.url(), "-u", "CORP\\alice", "-n", "3", "--json"});
  EXPECT_EQ(strict.exit_code, 1);
  const json s = Report(strict);
  EXPECT_EQ(s["errors"], (json{{"tls", 3}}));
  EXPECT_NE(std::string(s["error_samples"]["tls"]).find("certificate verify failed"),
            std::string::npos);
}

TEST(Load, ServerDownIsConnectErrorsAndExitTwo) {
  std::string url;
  {
    ServerProcess server({"--user", kUser});
    ASSERT_TRUE(server.ok());
    url = server.url();
    server.Stop();
  }
  const CommandResult r = Load({url, "-u", "CORP\\alice", "-n", "5", "-c", "2", "--json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const json j = Report(r);
  EXPECT_EQ(j["handshakes"], 0);
  EXPECT_EQ(j["errors"], (json{{"connect", 5}}));
  EXPECT_EQ(j["connections_opened"], 0);
}

TEST(Load, UsageErrors) {
  struct Row {
    std::vector<std::string> args;
    const char* message;
  };
  const std::string url = "http://127.0.0.1:9/";
  const Row rows[] = {
      {{}, "a URL is required"},
      {{"ftp://127.0.0.1/", "-u", "a"}, "url at offset 0"},
      {{url}, "-u [DOMAIN\\]USER is required"},
      {{url, "-u", "a", "-c", "0"}, "-c wants 1..1024"},
      {{url, "-u", "a", "-c", "1025"}, "-c wants 1..1024"},
      {{url, "-u", "a", "-n", "0"}, "-n wants 1.."},
      {{url, "-u", "a", "-n", "5", "-d", "1"}, "-n and -d exclude each other"},
      {{url, "-u", "a", "-d", "0"}, "-d wants seconds in [0.1, 3600]"},
      {{url, "-u", "a", "-d", "0.0001"}, "-d wants seconds in [0.1, 3600]"},
      {{url, "-u", "a", "-d", "3601"}, "-d wants seconds in [0.1, 3600]"},
      {{url, "-u", "a", "--threads", "9"}, "--threads wants 1..8"},
      {{url, "-u", "a", "--timeout", "0"}, "--timeout wants seconds"},
      {{url, "-u", "a", "--timeout", "0.0001"}, "--timeout wants seconds in [0.001, 600]"},
      {{url, "-u", "a", "--insecure", "--cacert", "x.pem"}, "exclude each other"},
      {{url, "-u", "a", "-p", "x", "--nt-hash", "00"}, "exclude each other"},
      {{url, "-u", "a", "--nt-hash", "00"}, "--nt-hash wants 32 hex digits"},
      {{url, "-u", "a", "-c", "many"}, "failed to parse"},
      {{url, "-u", "a", "--reuse", "--rehandshake"}, "--reuse and --rehandshake exclude each other"},
      {{url, "-u", "a", "extra"}, "unexpected argument 'extra'"},
  };
  for (const Row& row : rows) {
    std::string joined;
    for (const auto& a : row.args) {
      joined += a + " ";
    }
    SCOPED_TRACE(joined);
    const CommandResult r = Load(row.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(row.message), std::string::npos) << r.err;
  }
  const CommandResult none = Load({url, "-u", "a", "-n", "1"}, {});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no password"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace ntlmh::testing
