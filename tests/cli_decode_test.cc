// End-to-end tests of `ntlmh decode`: the built binary, exact output, exit codes and error lines.
//
// The hostile and malformed messages below were built by hand for these tests (field by field,
// [MS-NLMP] 2.2.1 layouts; SPNEGO by RFC 4178 4.2 with DER lengths counted by hand); each one
// says what it holds.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/run_command.h"

extern char** environ;

namespace {

using ntlmh::testing::RunNtlmh;

// [MS-NLMP] 4.2.4.2: the NTLMv2 example's CHALLENGE_MESSAGE, base64.
const char kSpecChallengeB64[] =
    "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgAC"
    "AAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA=";
// curl's 32-byte NEGOTIATE.
const char kCurlNegotiateB64[] = "TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=";

// A CHALLENGE whose strings attack the terminal: TargetName (UTF-16) is
//   ESC "]0;owned" BEL "A" NUL "B" CR LF "C" DEL U+0085 U+202E "D\"" + '"'
// and the target info holds MsvAvNbDomainName " DOM ", an empty MsvAvNbComputerName,
// MsvAvDnsComputerName "x" U+2066 "y" and a 2024 timestamp. VERSION 10.0.20348.
const char kHostileChallengeB64[] =
    "TlRMTVNTUAACAAAALAAsADgAAAAFgomiASNFZ4mrze8AAAAAAAAAACwALABkAAAACgB8TwAAAA8bAF0AMAA7AG8AdwBu"
    "AGUAZAAHAEEAAABCAA0ACgBDAH8AhQAuIEQAXAAiAAIACgAgAEQATwBNACAAAQAAAAMABgB4AGYgeQAHAAgAAMCJdkU8"
    "2gEAAAAA";

// An NTLMv2 AUTHENTICATE: DomainName "D" U+202E "M", UserName "evil" LF "error: forged line",
// Workstation ESC "[31mWS"; flags with LM_KEY and ESS; VERSION 10.0.19045; blob TimeStamp 0;
// AV pairs: NbDomainName, NbComputerName, Timestamp (2024), MsvAvFlags 0x12 (bit 0x10 is
// undefined), MsvAvSingleHost (Size 48), an all-zero MsvAvChannelBindings, MsvAvTargetName.
const char kHostileAuthenticateB64[] =
    "TlRMTVNTUAADAAAAGAAYAJoAAADKAMoAsgAAAAYABgBYAAAALgAuAF4AAAAOAA4AjAAAABAAEAB8AQAAgQKIYgoAZUoA"
    "AAAPEREREREREREREREREREREUQALiBNAGUAdgBpAGwACgBlAHIAcgBvAHIAOgAgAGYAbwByAGcAZQBkACAAbABpAG4A"
    "ZQAbAFsAMwAxAG0AVwBTAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAQAAAAAAAAAAAAAA"
    "AAAAqrvM3e7/ABEAAAAAAgAMAEQATwBNAEEASQBOAAEADABTAEUAUgBWAEUAUgAHAAgAAMCJdkU82gEGAAQAEgAAAAgA"
    "MAAwAAAAAAAAAAEAAAAAIAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8KABAAAAAAAAAAAAAAAAAAAAAA"
    "AAkAFgBIAFQAVABQAC8AcwBlAHIAdgBlAHIAAAAAAAAAAAAiIiIiIiIiIiIiIiIiIiIi";

// A NEGOTIATE with the OEM domain "DOM" 0x85 0x9B "[2J" (0x9B is CSI in Latin-1), an empty
// workstation with OEM_WORKSTATION_SUPPLIED set, both TARGET_TYPE flags, ESS with LM_KEY;
// VERSION 10.0.26100.
const char kOemNegotiateB64[] = "TlRMTVNTUAABAAAAgjILAggACAAoAAAAAAAAADAAAAAKAPRlAAAAD0RPTYWbWzJK";

// The [MS-NLMP] 4.2.4.2 CHALLENGE with its MsvAvEOL's AvId changed to 0x000b: the list now ends
// without MsvAvEOL, in an undefined pair.
const char kNoEolChallengeB64[] =
    "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgAC"
    "AAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAsAAAA=";
// A CHALLENGE whose TargetInfoLen (39) covers 01 02 03 after MsvAvEOL.
const char kBytesAfterEolChallengeB64[] =
    "TlRMTVNTUAACAAAADAAMADgAAAABAokiASNFZ4mrze8AAAAAAAAAACcAJwBEAAAACgB8TwAAAA9EAG8AbQBhAGkAbgAC"
    "AAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAABAgM=";
// A CHALLENGE with NTLMSSP_NEGOTIATE_TARGET_INFO set and TargetInfoLen 0.
const char kEmptyTargetInfoChallengeB64[] =
    "TlRMTVNTUAACAAAADAAMADgAAAABAokiASNFZ4mrze8AAAAAAAAAAAAAAABEAAAACgB8TwAAAA9EAG8AbQBhAGkAbgA=";
// A CHALLENGE whose target info has MsvAvNbDomainName twice and the undefined AvId 0x000b.
const char kDuplicateAvChallengeB64[] =
    "TlRMTVNTUAACAAAAAgACADgAAAABAokiASNFZ4mrze8AAAAAAAAAABsAGwA6AAAACgB8TwAAAA9BAAIAAgBBAAIAAgBC"
    "AAEAAgBTAAsAAQABAAAAAA==";

// SPNEGO, RFC 4178. A framed NegTokenInit, mechTypes [NTLMSSP], mechToken curl's NEGOTIATE.
const char kSpnegoInitB64[] =
    "YEAGBisGAQUFAqA2MDSgDjAMBgorBgEEAYI3AgIKoiIEIE5UTE1TU1AAAQAAAAaCCAAAAAAAAAAAAAAAAAAAAAAA";
// NegTokenResp accept-incomplete, supportedMech NTLMSSP, responseToken the 4.2.4.2 CHALLENGE.
const char kSpnegoRespB64[] =
    "oYGBMH+gAwoBAaEMBgorBgEEAYI3AgIKomoEaE5UTE1TU1AAAgAAAAwADAA4AAAAM4KK4gEjRWeJq83vAAAAAAAAAAAk"
    "ACQARAAAAAYAcBcAAAAPUwBlAHIAdgBlAHIAAgAMAEQAbwBtAGEAaQBuAAEADABTAGUAcgB2AGUAcgAAAAAA";
// A framed NegTokenInit as a browser sends it on a Kerberos domain: mechTypes MS Kerberos 5,
// Kerberos 5, NegoEx, NTLMSSP; mechToken a (stub) Kerberos token, 60 12 06 09 2a864886f712...
const char kSpnegoKerberosB64[] =
    "YFYGBisGAQUFAqBMMEqgMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCqIWBBRg"
    "EgYJKoZIhvcSAQICAQBuAwIBBQ==";
// NegTokenResp accept-completed with only a mechListMIC (a server's last word).
const char kSpnegoCompletedB64[] = "oRswGaADCgEAoxIEEAEAAAAAAAAAobLD1OX2Bwg=";
// NegTokenResp whose responseToken is the 4.2.4.2 CHALLENGE without its last byte.
const char kSpnegoTruncatedB64[] =
    "oYGAMH6gAwoBAaEMBgorBgEEAYI3AgIKomkEZ05UTE1TU1AAAgAAAAwADAA4AAAAM4KK4gEjRWeJq83vAAAAAAAAAAAk"
    "ACQARAAAAAYAcBcAAAAPUwBlAHIAdgBlAHIAAgAMAEQAbwBtAGEAaQBuAAEADABTAGUAcgB2AGUAcgAAAAA=";

// The text of curl's NEGOTIATE, as every input form below should print it.
const char kCurlNegotiateText[] =
    "NEGOTIATE_MESSAGE (32 bytes)\n"
    "  NegotiateFlags: 0x00088206\n"
    "      NTLM_NEGOTIATE_OEM\n"
    "      NTLMSSP_REQUEST_TARGET\n"
    "      NTLMSSP_NEGOTIATE_NTLM\n"
    "      NTLMSSP_NEGOTIATE_ALWAYS_SIGN\n"
    "      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY\n"
    "  DomainName: \"\"  (Len 0, MaxLen 0, Offset 0)\n"
    "  Workstation: \"\"  (Len 0, MaxLen 0, Offset 0)\n"
    "  Version: (absent)\n"
    "  Notes: (none)\n";

// The text of the 4.2.4.2 CHALLENGE after its origin line.
const char kSpecChallengeText[] =
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
    "  TargetInfo: (Len 36, MaxLen 36, Offset 68)\n"
    "    AvPairs:\n"
    "      MsvAvNbDomainName: \"Domain\"\n"
    "      MsvAvNbComputerName: \"Server\"\n"
    "      MsvAvEOL\n"
    "  Version: 6.0.6000 (Windows Vista / Server 2008), NTLM revision 15\n"
    "  Notes:\n"
    "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: both NTLMSSP_NEGOTIATE_UNICODE and "
    "NTLM_NEGOTIATE_OEM are set: Unicode is used\n"
    "    - [INFO MS-NLMP 3.1.5.1.2] TargetInfo: no MsvAvTimestamp: clients will not send a MIC\n";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// The lines of |text| between the first line that starts with |from| and the first later line
// that starts with |to| (exclusive), joined with '\n'.
std::string Section(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  bool in = false;
  for (const std::string& line : Lines(text)) {
    if (!in && line.rfind(from, 0) == 0) {
      in = true;
    } else if (in && line.rfind(to, 0) == 0) {
      break;
    }
    if (in) {
      out += line + "\n";
    }
  }
  return out;
}

// No byte a terminal acts on: C0 other than '\n', DEL, C1 as UTF-8 (C2 80..C2 9F), and the bidi
// controls U+202A..U+202E (E2 80 AA..AE) and U+2066..U+2069 (E2 81 A6..A9).
void ExpectTerminalSafe(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    ASSERT_FALSE((b < 0x20 && b != '\n') || b == 0x7f) << "byte " << int{b} << " at " << i;
    if (b == 0xc2 && i + 1 < s.size()) {
      const auto n = static_cast<unsigned char>(s[i + 1]);
      ASSERT_FALSE(n >= 0x80 && n <= 0x9f) << "C1 at " << i;
    }
    if (b == 0xe2 && i + 2 < s.size()) {
      const auto n1 = static_cast<unsigned char>(s[i + 1]);
      const auto n2 = static_cast<unsigned char>(s[i + 2]);
      ASSERT_FALSE(n1 == 0x80 && n2 >= 0xaa && n2 <= 0xae) << "bidi at " << i;
      ASSERT_FALSE(n1 == 0x81 && n2 >= 0xa6 && n2 <= 0xa9) << "bidi isolate at " << i;
    }
  }
}

// ntlmh decode as a child whose stdin the test writes a piece at a time, or whose stdin is a
// file, to see what it prints before its input ends.
class Child {
 public:
  // |stdin_path| empty: stdin is a pipe the test writes with Write().
  explicit Child(const std::vector<std::string>& args, const std::string& stdin_path = "") {
    signal(SIGPIPE, SIG_IGN);
    int in[2] = {-1, -1};
    int out[2];
    int err[2];
    if ((stdin_path.empty() && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0) {
      return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (stdin_path.empty()) {
      posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    } else {
      posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<std::string> argv_s = {NTLMH_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (stdin_path.empty()) {
      close(in[0]);
      in_ = in[1];
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    if (rc != 0) {
      pid_ = -1;
    }
  }

  ~Child() {
    CloseStdin();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
    close(err_);
  }

  bool started() const { return pid_ > 0; }

  void Write(const std::string& s) {
    ASSERT_EQ(write(in_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }

  // Writes |s| to stdin while draining stdout and stderr, so that a child that answers each
  // line before reading the next never blocks the test (or the test it).
  void Feed(const std::string& s) {
    fcntl(in_, F_SETFL, fcntl(in_, F_GETFL) | O_NONBLOCK);
    size_t done = 0;
    while (done < s.size()) {
      const ssize_t w = write(in_, s.data() + done, s.size() - done);
      if (w > 0) {
        done += static_cast<size_t>(w);
      } else if (w < 0 && errno == EAGAIN) {
        Pump(10);
      } else {
        ADD_FAILURE() << "write to the child's stdin failed";
        return;
      }
    }
  }

  void CloseStdin() {
    if (in_ >= 0) {
      close(in_);
      in_ = -1;
    }
  }

  // Reads stdout until it holds |want| or |seconds| pass; returns what was read so far.
  std::string ReadUntil(const std::string& want, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (out_text_.find(want) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      if (!Pump(100)) {
        break;
      }
    }
    return out_text_;
  }

  // Waits for the exit (at most |seconds|), draining both outputs; -1 if it did not exit.
  int Wait(int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline && Pump(100)) {
    }
    int status = 0;
    for (int i = 0; i < seconds * 10; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      usleep(100000);
    }
    return -1;
  }

  const std::string& out() const { return out_text_; }
  const std::string& err() const { return err_text_; }

 private:
  // Reads what is there; false once both outputs are closed.
  bool Pump(int timeout_ms) {
    pollfd fds[2];
    int n = 0;
    if (out_open_) fds[n++] = {out_, POLLIN, 0};
    if (err_open_) fds[n++] = {err_, POLLIN, 0};
    if (n == 0) {
      return false;
    }
    if (poll(fds, n, timeout_ms) <= 0) {
      return true;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      char buf[4096];
      const ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      const bool is_out = fds[i].fd == out_;
      if (r > 0) {
        (is_out ? out_text_ : err_text_).append(buf, static_cast<size_t>(r));
      } else {
        (is_out ? out_open_ : err_open_) = false;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool out_open_ = true;
  bool err_open_ = true;
  std::string out_text_;
  std::string err_text_;
};

// ---- Input forms ---------------------------------------------------------------------------

TEST(CliDecode, HeaderLineWithSeveralSchemesExactText) {
  const std::string header =
      std::string("WWW-Authenticate: Negotiate, Basic realm=\"a, b\", NTLM ") + kSpecChallengeB64;
  auto r = RunNtlmh({"decode", header});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string("[WWW-Authenticate: Negotiate] offer without a message\n"
                               "[WWW-Authenticate: NTLM]\n") +
                       kSpecChallengeText);
}

TEST(CliDecode, SameMessageFromEveryInputForm) {
  const std::string hex = "4e544c4d53535000010000000682080000000000000000000000000000000000";
  const std::string spaced =
      "4e 54 4c 4d 53 53 50 00 01 00 00 00 06 82 08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
      "00 00";
  const std::string colons =
      "4e:54:4c:4d:53:53:50:00:01:00:00:00:06:82:08:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
      "00:00";
  const std::vector<std::string> bare = {
      kCurlNegotiateB64,
      hex,
      "0x" + hex,
      "0X4E544C4D53535000010000000682080000000000000000000000000000000000",
      spaced,
      colons,
      "\t" + spaced + " \r",
      // A wrapped paste: base64 cut into lines, and with spaces.
      "TlRMTVNTUAABAAAABoIIAAAA\nAAAAAAAAAAAAAAAAAAA=",
      "TlRMTVNTUAABAAAABoIIAAAA AAAAAAAAAAAAAAAAAAA=",
  };
  for (const std::string& in : bare) {
    SCOPED_TRACE(in);
    auto r = RunNtlmh({"decode", in});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kCurlNegotiateText);
  }
  const struct {
    std::string in;
    std::string origin;
  } headed[] = {
      {std::string("NTLM ") + kCurlNegotiateB64, "[NTLM]\n"},
      {std::string("Authorization: NTLM ") + kCurlNegotiateB64, "[Authorization: NTLM]\n"},
      {std::string("> Authorization: NTLM ") + kCurlNegotiateB64, "[Authorization: NTLM]\n"},
      {std::string("proxy-authorization:ntlm ") + kCurlNegotiateB64,
       "[Proxy-Authorization: ntlm]\n"},
  };
  for (const auto& c : headed) {
    SCOPED_TRACE(c.in);
    auto r = RunNtlmh({"decode", c.in});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, c.origin + kCurlNegotiateText);
  }
  auto from_stdin =
      RunNtlmh({"decode"}, std::string("Authorization: NTLM ") + kCurlNegotiateB64 + "\r\n");
  EXPECT_EQ(from_stdin.out, std::string("[Authorization: NTLM]\n") + kCurlNegotiateText);
  auto from_dash = RunNtlmh({"decode", "-"}, std::string(kCurlNegotiateB64) + "\n");
  EXPECT_EQ(from_dash.out, kCurlNegotiateText);
}

TEST(CliDecode, JsonFields) {
  auto r = RunNtlmh({"decode", "--json", kSpecChallengeB64});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["origin"], "input");
  EXPECT_EQ(j["message"], "CHALLENGE_MESSAGE");
  EXPECT_EQ(j["length"], 104);
  EXPECT_EQ(j["server_challenge"], "0123456789abcdef");
  EXPECT_EQ(j["flags"]["value"], "0xe28a8233");
  EXPECT_EQ(j["target_info"]["pairs"][0]["name"], "MsvAvNbDomainName");
  EXPECT_EQ(j["target_info"]["pairs"][0]["value"], "Domain");
  EXPECT_EQ(j["target_info"]["pairs"][2]["name"], "MsvAvEOL");
  EXPECT_EQ(j["version"]["build"], 6000);
  EXPECT_FALSE(j.contains("line"));
}

// GNU wget 1.21's AUTHENTICATE (recorded against `ntlmh serve`): NegotiateFlags 0x00008201 say
// UNICODE, the names are OEM ("CORP" in 4 bytes, "alice" in 5). Shown as OEM with a MUST note
// that names the UTF-16 error; a message that is also broken otherwise keeps its error.
TEST(CliDecode, OemNamesUnderAUnicodeFlagAreShownWithANote) {
  constexpr char kWgetAuthenticate[] =
      "TlRMTVNTUAADAAAAGAAYAEkAAAAYABgAYQAAAAQABABAAAAABQAFAEQAAAAAAAAASQAAAAAAAAB5AAAAAYIAAENP"
      "UlBhbGljZfkL8ghM4qpgudNWgeBEX5zfEtutE5IKJFVGGkZ62sePlhVn0yE7LhDmCbSbUjWZ/g==";
  auto r = RunNtlmh({"decode", "--json", kWgetAuthenticate});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["message"], "AUTHENTICATE_MESSAGE");
  EXPECT_EQ(j["user"]["value"], "alice");
  EXPECT_EQ(j["domain"]["value"], "CORP");
  EXPECT_EQ(j["workstation"]["value"], "");
  EXPECT_EQ(j["flags"]["value"], "0x00008201");
  EXPECT_EQ(j["response_kind"], "NTLMv1");
  ASSERT_FALSE(j["notes"].empty());
  EXPECT_EQ(j["notes"][0]["severity"], "MUST");
  EXPECT_EQ(j["notes"][0]["rule"], "MS-NLMP 2.2.2.5");
  EXPECT_EQ(j["notes"][0]["text"],
            "NTLMSSP_NEGOTIATE_UNICODE is set but the names are not UTF-16LE (UserName at offset "
            "72: odd byte count 5: UTF-16LE needs two bytes per code unit [MS-NLMP 2.2.1.3]); "
            "shown as OEM, as a server that negotiated OEM reads them");
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
      {{"decode", "WWW-Authenticate: Basic realm=\"x\""},
       "error: header at offset 0: no NTLM or Negotiate challenge or token in the input "
       "[MS-NTHT 2.2]\n"},
      {{"decode", "Basic realm=\"x"},
       "error: auth-param at offset 12: unterminated quoted-string [RFC 7235 2.1]\n"},
      {{"decode", "X-Foo: NTLM abc="},
       "error: header at offset 0: 'X-Foo' is not an authentication header (WWW-Authenticate, "
       "Authorization or their Proxy- forms) [RFC 7235 4.1]\n"},
      {{"decode", "HTTP/1.1 401 Unauthorized"},
       "error: auth-scheme at offset 4: unexpected character after the scheme [RFC 7235 2.1]\n"},
      {{"decode", "4e544c4d5353500009000000"},
       "error: MessageType at offset 8: MessageType 9 is none of 1, 2, 3 [MS-NLMP 2.2.1]\n"},
      {{"decode", "  "}, "error: input at offset 0: no input [ntlmh decode --help]\n"},
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

// Item: hex. Every hex fault says "hex", with the offset of the bad digit in the line.
TEST(CliDecode, HexFaultsAreHexErrors) {
  const struct {
    std::string in;
    std::string err;
  } cases[] = {
      {"4e544c4d5353500001000000068208000000000000000000000000000000000",
       "error: hex at offset 62: odd number of hex digits (63): the last one has no pair "
       "[RFC 4648 8]\n"},
      {"0xzz", "error: hex at offset 2: character 'z' is not a hex digit [RFC 4648 8]\n"},
      {"0x", "error: hex at offset 2: no hex digits after 0x [RFC 4648 8]\n"},
      {"4e 54 zz", "error: hex at offset 6: character 'z' is not a hex digit [RFC 4648 8]\n"},
      {"4e:54:4c:4", "error: hex at offset 9: odd number of hex digits (7): the last one has "
                     "no pair [RFC 4648 8]\n"},
      {"4e544c4d53535000zz",
       "error: hex at offset 16: character 'z' is not a hex digit [RFC 4648 8]\n"},
      // Not hex at all: base64 of two characters.
      {"zz", "error: base64 at offset 2: base64 length 2 is not a multiple of 4 [RFC 4648 4]\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto r = RunNtlmh({"decode", c.in});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, c.err);
    EXPECT_EQ(r.out, "");
  }
}

// Item: offsets. Every offset counts bytes of the line as given; stdin errors name the line.
TEST(CliDecode, ErrorOffsetsCountBytesOfTheLine) {
  const std::string stdin_text =
      "* Trying 192.0.2.1\n"                                                      // 1: skipped
      "WWW-Authenticate: NTLM TlRM!VNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=\n"     // 2
      "< WWW-Authenticate: NTLM TlRM!VNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=\n"   // 3
      "WWW-Authenticate: Negotiate, NTLM TlRMTVNTUAABAAA\n"                       // 4
      "  TlRMTVNTUAABAAAABoIIAAAA AAAAAAAAA!AAAAAAAAA=\n"                         // 5
      "Authorization: NTLM TlRM=abc\n"                                            // 6
      "4e 54 4c 4d 5\n"                                                           // 7
      "WWW-Authenticate: Basic realm=\"x\n";                                      // 8
  auto r = RunNtlmh({"decode"}, stdin_text);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: line 2: base64 at offset 27: character '!' is not base64 [RFC 4648 4]\n"
            "error: line 3: base64 at offset 29: character '!' is not base64 [RFC 4648 4]\n"
            "error: line 4: base64 at offset 49: base64 length 15 is not a multiple of 4 "
            "[RFC 4648 4]\n"
            "error: line 5: base64 at offset 36: character '!' is not base64 [RFC 4648 4]\n"
            "error: line 6: base64 at offset 25: character 'a' follows the '=' padding "
            "[RFC 4648 4]\n"
            "error: line 7: hex at offset 12: odd number of hex digits (9): the last one has no "
            "pair [RFC 4648 8]\n"
            "error: line 8: auth-param at offset 30: unterminated quoted-string "
            "[RFC 7235 2.1]\n");
  EXPECT_EQ(r.out, "[WWW-Authenticate: Negotiate] offer without a message\n");
}

// Item: curl -v. A transcript decodes as it is; a first 401's bare offers are not errors.
TEST(CliDecode, CurlVerboseTranscript) {
  const std::string transcript =
      "*   Trying 192.0.2.10:80...\n"
      "* Connected to server.example (192.0.2.10) port 80 (#0)\n"
      "* Server auth using NTLM with user 'user'\n"
      "> GET / HTTP/1.1\n"
      "> Host: server.example\n"
      "> Authorization: NTLM " + std::string(kCurlNegotiateB64) + "\n"
      "> User-Agent: curl/7.88.1\n"
      "> Accept: */*\n"
      "> \n"
      "< HTTP/1.1 401 Unauthorized\n"
      "< Content-Type: text/html\n"
      "< WWW-Authenticate: NTLM " + kSpecChallengeB64 + "\n"
      "< Content-Length: 0\n"
      "< \n"
      "{ [5 bytes data]\n"
      "* Connection #0 to host server.example left intact\n"
      "# a comment, and a log line:\n"
      "2024-01-01 12:00:00 GET /index.html 401 user=-\n";
  auto r = RunNtlmh({"decode"}, transcript);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string("[Authorization: NTLM]\n") + kCurlNegotiateText +
                       "[WWW-Authenticate: NTLM]\n" + kSpecChallengeText);

  // The first 401: offers only, exit 0; JSON says {"offer": ...}.
  const std::string first_401 =
      "HTTP/1.1 401 Unauthorized\r\n"
      "Server: Microsoft-IIS/10.0\r\n"
      "WWW-Authenticate: Negotiate\r\n"
      "WWW-Authenticate: NTLM\r\n"
      "\r\n";
  auto offers = RunNtlmh({"decode"}, first_401);
  EXPECT_EQ(offers.exit_code, 0) << offers.err;
  EXPECT_EQ(offers.out,
            "[WWW-Authenticate: Negotiate] offer without a message\n"
            "[WWW-Authenticate: NTLM] offer without a message\n");
  auto offers_json = RunNtlmh({"decode", "--json"}, first_401);
  EXPECT_EQ(offers_json.out,
            "{\"line\":3,\"origin\":\"WWW-Authenticate: Negotiate\",\"offer\":\"Negotiate\"}\n"
            "{\"line\":4,\"origin\":\"WWW-Authenticate: NTLM\",\"offer\":\"NTLM\"}\n");
  auto offer_arg = RunNtlmh({"decode", "WWW-Authenticate: NTLM"});
  EXPECT_EQ(offer_arg.exit_code, 0);
  EXPECT_EQ(offer_arg.out, "[WWW-Authenticate: NTLM] offer without a message\n");

  // Nothing to decode on stdin at all: exit 2.
  auto nothing = RunNtlmh({"decode"}, "* Trying\nHTTP/1.1 200 OK\nServer: x\n\n");
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_EQ(nothing.out, "");
  EXPECT_EQ(nothing.err,
            "error: input at offset 0: no NTLM or Negotiate token on standard input "
            "[MS-NTHT 2.2]\n");
  auto empty = RunNtlmh({"decode"}, "");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err, nothing.err);
}

// ---- Terminal safety -----------------------------------------------------------------------

TEST(CliDecode, StringsFromTheWireAreEscapedAndQuoted) {
  auto r = RunNtlmh({"decode", kHostileChallengeB64});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ExpectTerminalSafe(r.out);
  EXPECT_EQ(Section(r.out, "CHALLENGE_MESSAGE", "  NegotiateFlags"),
            "CHALLENGE_MESSAGE (144 bytes)\n"
            "  TargetName: \"\\x1b]0;owned\\x07A\\x00B\\x0d\\x0aC\\x7f\\u{85}\\u{202e}D\\\\\\\"\"  "
            "(Len 44, MaxLen 44, Offset 56)\n");
  EXPECT_EQ(Section(r.out, "    AvPairs:", "  Version"),
            "    AvPairs:\n"
            "      MsvAvNbDomainName: \" DOM \"\n"
            "      MsvAvNbComputerName: \"\"\n"
            "      MsvAvDnsComputerName: \"x\\u{2066}y\"\n"
            "      MsvAvTimestamp: 2024-01-01T00:00:00.0000000Z\n"
            "      MsvAvEOL\n");

  // A newline in a user name cannot forge a line; OEM bytes 0x85 and 0x9B (C1) are escaped.
  auto a = RunNtlmh({"decode", kHostileAuthenticateB64});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  ExpectTerminalSafe(a.out);
  for (const std::string& line : Lines(a.out)) {
    EXPECT_NE(line.rfind("error", 0), 0u) << line;
  }
  EXPECT_EQ(Section(a.out, "  DomainName", "  EncryptedRandomSessionKey"),
            "  DomainName: \"D\\u{202e}M\"  (Len 6, MaxLen 6, Offset 88)\n"
            "  UserName: \"evil\\x0aerror: forged line\"  (Len 46, MaxLen 46, Offset 94)\n"
            "  Workstation: \"\\x1b[31mWS\"  (Len 14, MaxLen 14, Offset 140)\n");
  auto n = RunNtlmh({"decode", kOemNegotiateB64});
  ExpectTerminalSafe(n.out);
  EXPECT_EQ(Section(n.out, "  DomainName", "  Version"),
            "  DomainName: \"DOM\\u{85}\\u{9b}[2J\"  (Len 8, MaxLen 8, Offset 40)\n"
            "  Workstation: \"\"  (Len 0, MaxLen 0, Offset 48)\n");
}

TEST(CliDecode, JsonKeepsTheExactStringsInAsciiJson) {
  auto r = RunNtlmh({"decode", "--json", kHostileChallengeB64});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (char c : r.out.substr(0, r.out.size() - 1)) {
    ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int{c};
  }
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["target_name"]["value"].get<std::string>(),
            std::string("\x1b]0;owned\x07" "A\0B\r\nC\x7f\xc2\x85\xe2\x80\xae" "D\\\"", 25));
  EXPECT_EQ(j["target_info"]["pairs"][0]["value"], " DOM ");
}

// ---- Streaming -----------------------------------------------------------------------------

TEST(CliDecode, StdinIsDecodedLineByLineAsItArrives) {
  for (const bool json : {false, true}) {
    SCOPED_TRACE(json ? "json" : "text");
    Child c(json ? std::vector<std::string>{"decode", "--json"}
                 : std::vector<std::string>{"decode"});
    ASSERT_TRUE(c.started());
    c.Write(std::string(kCurlNegotiateB64) + "\n");
    // The first message is printed while stdin is still open.
    const std::string first = c.ReadUntil("NEGOTIATE_MESSAGE", 20);
    EXPECT_NE(first.find("NEGOTIATE_MESSAGE"), std::string::npos) << "nothing before EOF";
    EXPECT_EQ(first.find("CHALLENGE_MESSAGE"), std::string::npos);
    c.Write(std::string("WWW-Authenticate: NTLM ") + kSpecChallengeB64 + "\n");
    EXPECT_NE(c.ReadUntil("CHALLENGE_MESSAGE", 20).find("CHALLENGE_MESSAGE"),
              std::string::npos);
    c.CloseStdin();
    EXPECT_EQ(c.Wait(20), 0) << c.err();
    if (json) {
      const auto lines = Lines(c.out());
      ASSERT_EQ(lines.size(), 2u);
      EXPECT_EQ(nlohmann::json::parse(lines[0])["line"], 1);
      EXPECT_EQ(nlohmann::json::parse(lines[1])["line"], 2);
      EXPECT_EQ(nlohmann::json::parse(lines[1])["origin"], "WWW-Authenticate: NTLM");
    }
  }
}

TEST(CliDecode, JsonLinesOneDocumentPerResult) {
  std::string in;
  const int kLines = 900;
  for (int i = 0; i < kLines; ++i) {
    in += (i % 3 == 2) ? "TlRMTVNTUAABAAA\n" : std::string(kCurlNegotiateB64) + "\n";
  }
  // Output comes while input is still being written: feed and drain together.
  Child c({"decode", "--json"});
  ASSERT_TRUE(c.started());
  c.Feed(in);
  c.CloseStdin();
  EXPECT_EQ(c.Wait(60), 2);
  const auto lines = Lines(c.out());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    ASSERT_EQ(j["line"], i + 1);
    ASSERT_EQ(j.contains("error"), i % 3 == 2) << lines[i];
  }
  EXPECT_EQ(Lines(c.err()).size(), static_cast<size_t>(kLines / 3));
}

TEST(CliDecode, OverlongLineIsAnErrorAndIsSkipped) {
  std::string in(size_t{1} << 20, 'Q');
  auto exact = RunNtlmh({"decode"}, in + "\n" + kCurlNegotiateB64 + "\n");
  // 1 MiB exactly is a line: base64 that decodes to more than a token may hold.
  EXPECT_EQ(exact.err,
            "error: line 1: base64 at offset 0: 1048576 base64 characters decode to more than "
            "65536 bytes, the limit for one token [ntlmh decode --help]\n");
  EXPECT_EQ(exact.out, kCurlNegotiateText);
  in += "QQQQ";
  auto r = RunNtlmh({"decode"}, in + "\n" + kCurlNegotiateB64 + "\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: line 1: input at offset 1048576: the line is longer than 1048576 bytes; the "
            "rest of it is skipped [ntlmh decode --help]\n");
  EXPECT_EQ(r.out, kCurlNegotiateText);
}

TEST(CliDecode, DevZeroEndsWithAnErrorInBoundedTime) {
  Child c({"decode"}, "/dev/zero");
  ASSERT_TRUE(c.started());
  EXPECT_EQ(c.Wait(60), 2);
  EXPECT_EQ(c.err(),
            "error: line 1: input at offset 1048576: the line is longer than 1048576 bytes; the "
            "rest of it is skipped [ntlmh decode --help]\n"
            "error: line 1: input at offset 68157440: no end of line in 65 MiB: the input is not "
            "text; stopped reading [ntlmh decode --help]\n");
}

TEST(CliDecode, TokenSizeIsCapped) {
  // 65537 bytes of hex (on stdin: too long for one argument) and base64 of more than 65536
  // bytes: one byte over the limit.
  const std::string hex(2 * 65537, '0');
  auto h = RunNtlmh({"decode"}, "4e544c4d" + hex.substr(8) + "\n");
  EXPECT_EQ(h.err,
            "error: line 1: hex at offset 0: 65537 bytes of hex exceed 65536, the limit for one "
            "token [ntlmh decode --help]\n");
  const std::string b64 = "TlRM" + std::string(87384, 'A');
  auto b = RunNtlmh({"decode", b64});
  EXPECT_EQ(b.err,
            "error: base64 at offset 0: 87388 base64 characters decode to more than 65536 bytes, "
            "the limit for one token [ntlmh decode --help]\n");
}

// ---- --lenient -----------------------------------------------------------------------------

TEST(CliDecode, LenientShowsOnlyWhatIsOnTheWireAndNotesEveryDeviation) {
  auto strict = RunNtlmh({"decode", kNoEolChallengeB64});
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_EQ(strict.err,
            "error: TargetInfo[2](MsvAvUnknown(0x000b)).AvId at offset 100: AvId 11 is not "
            "defined by the spec [MS-NLMP 2.2.2.1]\n");
  auto no_eol = RunNtlmh({"decode", "--lenient", kNoEolChallengeB64});
  EXPECT_EQ(no_eol.exit_code, 0) << no_eol.err;
  EXPECT_EQ(Section(no_eol.out, "  TargetInfo:", "  Version"),
            "  TargetInfo: (Len 36, MaxLen 36, Offset 68)\n"
            "    AvPairs:\n"
            "      MsvAvNbDomainName: \"Domain\"\n"
            "      MsvAvNbComputerName: \"Server\"\n"
            "      MsvAvUnknown(0x000b): (empty)\n");
  EXPECT_EQ(Section(no_eol.out, "  Notes:", "END"),
            "  Notes:\n"
            "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: both NTLMSSP_NEGOTIATE_UNICODE and "
            "NTLM_NEGOTIATE_OEM are set: Unicode is used\n"
            "    - [INFO MS-NLMP 3.1.5.1.2] TargetInfo: no MsvAvTimestamp: clients will not send a "
            "MIC\n"
            "    - [MUST MS-NLMP 2.2.2.1] TargetInfo: the AV pair list ends without MsvAvEOL, "
            "which must be present\n"
            "    - [MUST MS-NLMP 2.2.2.1] TargetInfo: MsvAvUnknown(0x000b) is not an AvId the "
            "spec defines\n");
  auto json = RunNtlmh({"decode", "--json", "--lenient", kNoEolChallengeB64});
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["target_info"]["pairs"].size(), 3u);

  auto after = RunNtlmh({"decode", "--lenient", kBytesAfterEolChallengeB64});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(Section(after.out, "  TargetInfo:", "  Version"),
            "  TargetInfo: (Len 39, MaxLen 39, Offset 68)\n"
            "    AvPairs:\n"
            "      MsvAvNbDomainName: \"Domain\"\n"
            "      MsvAvNbComputerName: \"Server\"\n"
            "      MsvAvEOL\n"
            "      (3 bytes after MsvAvEOL: 010203)\n");
  EXPECT_NE(after.out.find("    - [SHOULD MS-NLMP 2.2.2.1] TargetInfo: 3 bytes follow MsvAvEOL "
                           "inside TargetInfoLen; MsvAvEOL ends the list\n"),
            std::string::npos)
      << after.out;

  auto empty = RunNtlmh({"decode", "--lenient", kEmptyTargetInfoChallengeB64});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("    - [MUST MS-NLMP 2.2.1.2] TargetInfoFields: "
                           "NTLMSSP_NEGOTIATE_TARGET_INFO is set but the target info is empty\n"),
            std::string::npos)
      << empty.out;

  auto dup = RunNtlmh({"decode", "--lenient", kDuplicateAvChallengeB64});
  EXPECT_EQ(dup.exit_code, 0) << dup.err;
  EXPECT_NE(dup.out.find("    - [SHOULD MS-NLMP 2.2.2.1] TargetInfo: MsvAvNbDomainName appears "
                         "more than once; receivers use the first\n"),
            std::string::npos)
      << dup.out;
  EXPECT_NE(dup.out.find("    - [MUST MS-NLMP 2.2.2.1] TargetInfo: MsvAvUnknown(0x000b) is not "
                         "an AvId the spec defines\n"),
            std::string::npos)
      << dup.out;
}

// ---- SPNEGO --------------------------------------------------------------------------------

TEST(CliDecode, SpnegoLayerThenTheNtlmMessage) {
  auto init = RunNtlmh({"decode", std::string("Authorization: Negotiate ") + kSpnegoInitB64});
  EXPECT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out, std::string("[Authorization: Negotiate]\n"
                                  "SPNEGO NegTokenInit (RFC 4178 4.2.1), in an "
                                  "InitialContextToken (RFC 2743 3.1)\n"
                                  "  mechTypes: NTLMSSP (1.3.6.1.4.1.311.2.2.10)\n"
                                  "  mechToken: NTLMSSP, 32 bytes\n"
                                  "  mechListMIC: (absent)\n") +
                          kCurlNegotiateText);

  auto resp = RunNtlmh({"decode", std::string("WWW-Authenticate: Negotiate ") + kSpnegoRespB64});
  EXPECT_EQ(resp.exit_code, 0) << resp.err;
  EXPECT_EQ(resp.out, std::string("[WWW-Authenticate: Negotiate]\n"
                                  "SPNEGO NegTokenResp (RFC 4178 4.2.2)\n"
                                  "  negState: accept-incomplete\n"
                                  "  supportedMech: NTLMSSP (1.3.6.1.4.1.311.2.2.10)\n"
                                  "  responseToken: NTLMSSP, 104 bytes\n"
                                  "  mechListMIC: (absent)\n") +
                          kSpecChallengeText);
  auto j = nlohmann::json::parse(RunNtlmh({"decode", "--json", kSpnegoRespB64}).out);
  EXPECT_EQ(j["spnego"]["neg_state"], "accept-incomplete");
  EXPECT_EQ(j["spnego"]["supported_mech"]["name"], "NTLMSSP");
  EXPECT_EQ(j["message"], "CHALLENGE_MESSAGE");

  auto done = RunNtlmh({"decode", std::string("Negotiate ") + kSpnegoCompletedB64});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out,
            "[Negotiate]\n"
            "SPNEGO NegTokenResp (RFC 4178 4.2.2)\n"
            "  negState: accept-completed\n"
            "  supportedMech: (absent)\n"
            "  responseToken: (absent)\n"
            "  mechListMIC: 0100000000000000a1b2c3d4e5f60708\n");
}

TEST(CliDecode, KerberosOnlySpnegoSaysSo) {
  auto r = RunNtlmh({"decode", std::string("Authorization: Negotiate ") + kSpnegoKerberosB64});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "error: NegTokenInit.mechToken at offset 0: SPNEGO token carries no NTLMSSP "
            "mechToken; mechTypes: MS Kerberos 5 (1.2.840.48018.1.2.2), Kerberos 5 "
            "(1.2.840.113554.1.2.2), NegoEx (1.3.6.1.4.1.311.2.2.30), NTLMSSP "
            "(1.3.6.1.4.1.311.2.2.10) [RFC 4178 4.2.1]\n");
}

TEST(CliDecode, NtlmErrorsInsideSpnegoNameTheSpnegoField) {
  auto r = RunNtlmh({"decode", kSpnegoTruncatedB64});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: NegTokenResp.responseToken.TargetInfoFields.BufferOffset at offset 44: Len 36 "
            "at BufferOffset 68 runs past the end of the 103-byte message [MS-NLMP 2.2.1.2]\n");
}

// ---- Display -------------------------------------------------------------------------------

TEST(CliDecode, AuthenticateDisplay) {
  auto r = RunNtlmh({"decode", kHostileAuthenticateB64});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Section(r.out, "      AvPairs:", "  DomainName"),
            "      AvPairs:\n"
            "        MsvAvNbDomainName: \"DOMAIN\"\n"
            "        MsvAvNbComputerName: \"SERVER\"\n"
            "        MsvAvTimestamp: 2024-01-01T00:00:00.0000000Z\n"
            "        MsvAvFlags: 0x00000012 (MIC_PRESENT, undefined 0x00000010)\n"
            "        MsvAvSingleHost: Size 48, CustomData 0100000000200000, MachineID "
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
            "        MsvAvChannelBindings: 00000000000000000000000000000000, no channel binding "
            "(all zero)\n"
            "        MsvAvTargetName: \"HTTP/server\"\n"
            "        MsvAvEOL\n"
            "      After MsvAvEOL: 00000000\n");
  EXPECT_NE(r.out.find("  Version: 10.0.19045 (Windows 10 22H2), NTLM revision 15\n"),
            std::string::npos);
  EXPECT_EQ(Section(r.out, "  Notes:", "END"),
            "  Notes:\n"
            "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: both "
            "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY and NTLMSSP_NEGOTIATE_LM_KEY are set: "
            "extended session security wins, LM_KEY is ignored\n"
            "    - [INFO MS-NLMP 2.2.2.1] NTLMv2_CLIENT_CHALLENGE.AvPairs: MsvAvFlags 0x00000012 "
            "sets undefined bits 0x00000010; only 0x00000001, 0x00000002 and 0x00000004 are "
            "defined\n"
            "    - [INFO MS-NLMP 2.2.2.7] NTLMv2_CLIENT_CHALLENGE.TimeStamp: TimeStamp "
            "1601-01-01T00:00:00.0000000Z is implausible (before 2000 or after 2100): a wrong "
            "clock or a corrupt field\n"
            "    - [INFO MS-NLMP 2.2.2.1] NTLMv2_CLIENT_CHALLENGE.AvPairs: MsvAvChannelBindings is "
            "all zero: no channel binding, the response is not bound to a TLS channel\n");
  auto j = nlohmann::json::parse(RunNtlmh({"decode", "--json", kHostileAuthenticateB64}).out);
  const auto& pairs = j["nt_response"]["ntlmv2"]["av_pairs"];
  EXPECT_EQ(pairs[4]["value"]["size"], 48);
  EXPECT_EQ(pairs[5]["meaning"], "no channel binding (all zero)");
}

TEST(CliDecode, NegotiateNotes) {
  auto r = RunNtlmh({"decode", kOemNegotiateB64});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Section(r.out, "  Version", "END"),
            "  Version: 10.0.26100 (Windows 11 24H2 / Server 2025), NTLM revision 15\n"
            "  Notes:\n"
            "    - [SHOULD MS-NLMP 2.2.1.1] WorkstationFields: "
            "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED is set but the workstation name is "
            "empty\n"
            "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: NTLMSSP_TARGET_TYPE_DOMAIN and "
            "NTLMSSP_TARGET_TYPE_SERVER are both set; both are ignored outside a CHALLENGE\n"
            "    - [INFO MS-NLMP 2.2.2.5] NegotiateFlags: both "
            "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY and NTLMSSP_NEGOTIATE_LM_KEY are "
            "requested: extended session security wins, the server returns it alone\n");
}

// ---- JSON errors ---------------------------------------------------------------------------

TEST(CliDecode, JsonErrorsAreJsonOnStdoutToo) {
  auto r = RunNtlmh({"decode", "--json", "TlRMTVNTUAABAAA"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: base64 at offset 15: base64 length 15 is not a multiple of 4 [RFC 4648 4]\n");
  EXPECT_EQ(r.out,
            "{\"origin\":\"input\",\"error\":{\"code\":\"bad_length\",\"rule\":\"RFC 4648 4\","
            "\"field\":\"base64\",\"offset\":15,\"reason\":\"base64 length 15 is not a multiple of "
            "4\"}}\n");
  auto s = RunNtlmh({"decode", "--json"},
                    std::string(kCurlNegotiateB64) + "\nAuthorization: Negotiate " +
                        kSpnegoKerberosB64 + "\n");
  EXPECT_EQ(s.exit_code, 2);
  const auto lines = Lines(s.out);
  ASSERT_EQ(lines.size(), 2u);
  auto e = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(e["line"], 2);
  EXPECT_EQ(e["origin"], "Authorization: Negotiate");
  EXPECT_EQ(e["error"]["code"], "unsupported");
  EXPECT_EQ(e["error"]["rule"], "RFC 4178 4.2.1");
  EXPECT_EQ(e["error"]["field"], "NegTokenInit.mechToken");
  EXPECT_EQ(e["error"]["offset"], 0);
  EXPECT_EQ(s.err.substr(0, 57), "error: line 2: NegTokenInit.mechToken at offset 0: SPNEGO");
}

TEST(CliDecode, SeveralArgumentsAreNamedInErrors) {
  auto r = RunNtlmh({"decode", kCurlNegotiateB64, "zz"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, kCurlNegotiateText);
  EXPECT_EQ(r.err,
            "error: argument 2: base64 at offset 2: base64 length 2 is not a multiple of 4 "
            "[RFC 4648 4]\n");
}

// ---- README --------------------------------------------------------------------------------

// The tour in README.md runs as written.
TEST(CliDecode, ReadmeTourExamplesWork) {
  auto header = RunNtlmh(
      {"decode",
       "WWW-Authenticate: Negotiate, NTLM "
       "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUA"
       "cgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA="});
  EXPECT_EQ(header.exit_code, 0) << header.err;
  auto json = RunNtlmh(
      {"decode", "--json", "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKALpHAAAADw=="});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["version"]["text"],
            "10.0.18362 (Windows 10 1903), NTLM revision 15");
  auto spaced = RunNtlmh({"decode",
                          "4e 54 4c 4d 53 53 50 00 01 00 00 00 06 82 08 00 00 00 00 00 00 00 00 "
                          "00 00 00 00 00 00 00 00 00"});
  EXPECT_EQ(spaced.exit_code, 0) << spaced.err;
  auto piped = RunNtlmh({"decode"}, "< WWW-Authenticate: NTLM\n> Authorization: NTLM "
                                    "TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=\n");
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, std::string("[WWW-Authenticate: NTLM] offer without a message\n"
                                   "[Authorization: NTLM]\n") +
                           kCurlNegotiateText);
}

}  // namespace
