// `ntlmh serve` refuses at start what would hurt it later: a --users or TLS file that is a
// device, a FIFO, a directory or too large (read without a cap, /dev/zero filled the memory),
// and server names that no CHALLENGE can carry ([MS-NLMP] 2.2.2.1: an AV pair value holds at
// most 65535 bytes), which used to fail every client's handshake with a 400 instead.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mock_server/tls_material.h"
#include "tests/mock_server_process.h"
#include "tests/run_command.h"
#include "tests/scratch_dir.h"

namespace ntlmh::testing {
namespace {

constexpr char kUser[] = "CORP\\alice:Secret1!";

CommandResult Serve(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"serve", "--listen", "127.0.0.1:0"};
  all.insert(all.end(), args.begin(), args.end());
  return RunNtlmh(all);
}

TEST(ServeStartup, UsersFileIsARegularFileOfAtMost16MiB) {
  ScratchDir scratch;
  const std::string fifo = scratch / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string big = scratch.Sparse("big.txt", (size_t{16} << 20) + 1);
  const std::string missing = scratch / "missing.txt";
  const std::string dir = scratch.path();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/dev/zero", "is a character device, not a regular file"},
      {fifo, "is a FIFO (named pipe), not a regular file"},
      {dir, "is a directory, not a regular file"},
      {big, "larger than 16 MiB (16777217 bytes)"},
      {missing, "no such file or directory"},
  };
  for (const auto& [path, why] : cases) {
    SCOPED_TRACE(path);
    const CommandResult r = Serve({"--users", path});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "ntlmh serve: --users: cannot read " + path + ": " + why + "\n");
  }

  // A store of exactly 16 MiB is read (and parsed: padded with comment lines).
  std::string text = "CORP:alice:Secret1!\n";
  const std::string comment = "#" + std::string(1022, 'x') + "\n";
  while (text.size() + comment.size() <= (size_t{16} << 20)) {
    text += comment;
  }
  text += "#" + std::string((size_t{16} << 20) - text.size() - 2, 'y') + "\n";
  ASSERT_EQ(text.size(), size_t{16} << 20);
  ServerProcess server({"--users", scratch.Write("users.txt", text)});
  EXPECT_TRUE(server.ok()) << server.stderr_text();
}

TEST(ServeStartup, TlsFilesAreRegularFilesOfAtMost1MiB) {
  ScratchDir scratch;
  mock::TlsMaterial material;
  std::string error;
  ASSERT_TRUE(mock::MakeSelfSigned(&material, &error)) << error;
  const std::string cert = scratch.Write("cert.pem", material.cert_pem);
  const std::string key = scratch.Write("key.pem", material.key_pem);
  const std::string big = scratch.Sparse("big.pem", (size_t{1} << 20) + 1);

  CommandResult r = Serve({"--user", kUser, "--tls-cert", "/dev/zero", "--tls-key", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ntlmh serve: --tls-cert: cannot read /dev/zero: is a character device, not a "
            "regular file\n");
  r = Serve({"--user", kUser, "--tls-cert", cert, "--tls-key", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ntlmh serve: --tls-key: cannot read /dev/zero: is a character device, not a "
            "regular file\n");
  r = Serve({"--user", kUser, "--tls-cert", big, "--tls-key", key});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ntlmh serve: --tls-cert: cannot read " + big +
                       ": larger than 1 MiB (1048577 bytes)\n");
  r = Serve({"--user", kUser, "--tls-cert", cert, "--tls-key", scratch / "nope.pem"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ntlmh serve: --tls-key: cannot read " + (scratch / "nope.pem") +
                       ": no such file or directory\n");

  const std::string garbage = scratch.Write("garbage.pem", "not PEM\n");
  r = Serve({"--user", kUser, "--tls-cert", garbage, "--tls-key", key});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ntlmh serve: --tls-cert: " + garbage + " holds no PEM certificate\n");

  ServerProcess server({"--user", kUser, "--tls-cert", cert, "--tls-key", key});
  EXPECT_TRUE(server.ok()) << server.stderr_text();
  EXPECT_EQ(server.url().rfind("https://127.0.0.1:", 0), 0u) << server.url();
}

// [MS-NLMP] 2.2.2.1: AvLen is 16 bits; 2.2.1.2: so is TargetInfoFields.Len. The
// MsvAvDnsComputerName is UTF-16LE, two bytes a character here: 32768 characters are too many
// for the pair; 32729 fit the pair, but with the other pairs (78 bytes: the NetBIOS names
// DOMAIN and SERVER, domain.test, the timestamp, MsvAvEOL) the target info holds 65536 bytes;
// 32728 fit both.
TEST(ServeStartup, NamesTheChallengeCannotCarryStopTheStart) {
  const std::string kPrefix =
      "ntlmh serve: the CHALLENGE cannot carry the names of --domain, --computer and "
      "--target-info: ";
  const auto computer = [](size_t n) { return "dns-computer=" + std::string(n, 'x'); };
  const struct {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"--target-info", computer(32768)},
       "TargetInfo[3](MsvAvDnsComputerName).Value at offset 0: an AV pair value is limited to "
       "65535 bytes [MS-NLMP 2.2.2.1]\n"},
      {{"--target-info", computer(32729)},
       "TargetInfoFields.Len at offset 40: a payload is limited to 65535 bytes, this one has "
       "65536 [MS-NLMP 2.2.1]\n"},
      {{"--domain", std::string(40000, 'D')},
       "TargetInfo[0](MsvAvNbDomainName).Value at offset 0: an AV pair value is limited to "
       "65535 bytes [MS-NLMP 2.2.2.1]\n"},
      // A CHALLENGE the wire format allows but one header field cannot hold: its base64
      // (wrapped in SPNEGO for Negotiate) must stay within the server's 65533-byte field limit.
      {{"--target-info", computer(32728)},
       "WWW-Authenticate at offset 0: a CHALLENGE of 65602 bytes needs up to 87566 bytes in one "
       "header field; the server's limit is 65533 [RFC 7235 4.1]\n"},
      {{"--target-info", computer(24500)},
       "WWW-Authenticate at offset 0: a CHALLENGE of 49146 bytes needs up to 65626 bytes in one "
       "header field; the server's limit is 65533 [RFC 7235 4.1]\n"},
      {{"--proxy", "--target-info", computer(24500)},
       "Proxy-Authenticate at offset 0: a CHALLENGE of 49146 bytes needs up to 65626 bytes in "
       "one header field; the server's limit is 65533 [RFC 7235 4.1]\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.err);
    std::vector<std::string> args = {"--user", kUser};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CommandResult r = Serve(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, kPrefix + c.err);
  }

  // What starts also serves: with the largest names that fit, both schemes send their whole
  // CHALLENGE (--no-retry stops there: the engine's client echoes at most 8192 bytes of
  // target info, kMaxClientTargetInfo).
  ServerProcess fits({"--user", kUser, "--scheme", "both", "--target-info", computer(24450)});
  ASSERT_TRUE(fits.ok()) << fits.stderr_text();
  for (const std::vector<std::string>& scheme : {std::vector<std::string>{},
                                                std::vector<std::string>{"--negotiate"}}) {
    std::vector<std::string> args = {"request", fits.url() + "/", "-u", "CORP\\alice",
                                     "-p", "Secret1!", "--no-retry"};
    args.insert(args.end(), scheme.begin(), scheme.end());
    CommandResult ok = RunNtlmh(args);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find(std::string(24450, 'x')), std::string::npos);
  }
}

}  // namespace
}  // namespace ntlmh::testing
