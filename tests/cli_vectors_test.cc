// Integration tests of `ntlmh vectors` and `ntlmh hash`: they run the built binary
// (NTLMH_BINARY) and check its exact output and exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Outcome {
  int status = -1;  // exit status, or -1 if the process did not exit normally
  std::string out;
  std::string err;
};

// Runs ntlmh with |args|, feeding |input| on stdin (or, when |stdin_fd| is an open descriptor,
// giving it that as stdin instead), in an environment holding only |env| (plus the sanitizer
// options of this process, so an ASan build checks the child too).
Outcome Ntlmh(const std::vector<std::string>& args, const std::string& input = "",
              std::vector<std::string> env = {}, int stdin_fd = -1) {
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) {
      env.push_back(std::string(name) + "=" + v);
    }
  }

  std::vector<std::string> argv_s = {NTLMH_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  Outcome result;
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd >= 0 ? stdin_fd : in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn failed: " << rc;
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return result;
  }

  // Feed stdin (small inputs fit the pipe buffer), then drain both outputs with poll so that
  // neither can block the child.
  if (!input.empty()) {
    const ssize_t w = write(in_pipe[1], input.data(), input.size());
    EXPECT_EQ(w, static_cast<ssize_t>(input.size()));
  }
  close(in_pipe[1]);

  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, 30000) <= 0) {
      ADD_FAILURE() << "ntlmh produced no output for 30 s";
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) {
      close(f.fd);
    }
  }

  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return result;
}

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "ntlmh-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

constexpr char kOneVector[] = R"({"name": "t", "source": "test", "inputs": {"password": "Password"},
  "expect": {"nt_hash": "a4f49c406510bdcab6824ee7c30fd85X"}})";

std::string WithNtHash(const std::string& hash) {
  std::string s = kOneVector;
  s.replace(s.find("a4f49c406510bdcab6824ee7c30fd85X"), 32, hash);
  return s;
}

// --- ntlmh vectors ---------------------------------------------------------------------------

TEST(CliVectors, ShippedVectorsPass) {
  const std::string dir = std::string(NTLMH_SOURCE_DIR) + "/vectors";
  const Outcome r = Ntlmh({"vectors"}, "", {"NTLMH_VECTORS_DIR=" + dir});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind("PASS ", 0), 0u) << lines[i];
  }
  EXPECT_EQ(lines.back(), std::to_string(lines.size() - 1) + " passed, 0 failed");
  // Each line names its file.
  EXPECT_NE(r.out.find("\nPASS " + dir +
                       "/ms-nlmp-4.2.4-ntlmv2.json: ms-nlmp-4.2.4 ntlmv2 nt_proof_str\n"),
            std::string::npos);
  EXPECT_NE(
      r.out.find("\nPASS " + dir + "/ms-nlmp-4.2.2-ntlmv1.json: ms-nlmp-4.2.2 ntlmv1 signature\n"),
      std::string::npos);
}

TEST(CliVectors, ExplicitFilePasses) {
  const std::string path = TempFile("pass.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd852"));
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "PASS " + path + ": t - nt_hash\n1 passed, 0 failed\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliVectors, TamperedFileExits1) {
  const std::string path =
      TempFile("tampered.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd853"));
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "FAIL " + path +
                       ": t - nt_hash expected a4f49c406510bdcab6824ee7c30fd853 got "
                       "a4f49c406510bdcab6824ee7c30fd852\n"
                       "0 passed, 1 failed\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliVectors, InvalidFileExits2) {
  std::string text = WithNtHash("a4f49c406510bdcab6824ee7c30fd852");
  text.replace(text.find("\"nt_hash\""), 9, "\"bogus\"");
  const std::string path = TempFile("invalid.json", text);
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + path + ": vector 't': expect.bogus: unknown expect key\n");
  EXPECT_EQ(r.out, "0 passed, 0 failed\n");
}

TEST(CliVectors, InvalidFileWinsOverMismatch) {
  const std::string bad = TempFile("bad-hex.json", WithNtHash("zz"));
  const std::string tampered =
      TempFile("tampered2.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd853"));
  const Outcome r = Ntlmh({"vectors", tampered, bad});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + bad +
                       ": vector 't': expect.nt_hash: bad hex (a string of hex "
                       "digit pairs is needed)\n");
  EXPECT_EQ(Lines(r.out).back(), "0 passed, 1 failed");
}

TEST(CliVectors, UnreadablePathExits2) {
  const Outcome r = Ntlmh({"vectors", "/nonexistent/x.json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: /nonexistent/x.json: no such file or directory\n");
}

TEST(CliVectors, Json) {
  const std::string path = TempFile("json.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd853"));
  const Outcome r = Ntlmh({"vectors", "--json", path});
  EXPECT_EQ(r.status, 1);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["passed"], 0);
  EXPECT_EQ(doc["failed"], 1);
  EXPECT_EQ(doc["results"][0]["vector"], "t");
  EXPECT_EQ(doc["results"][0]["status"], "fail");
}

TEST(CliVectors, UsageError) {
  const Outcome r = Ntlmh({"vectors", "--no-such-option"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err, "");
}

// --- ntlmh vectors: hostile input ------------------------------------------------------------

// A scratch directory for one test.
std::string ScratchDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "ntlmh-" + std::to_string(getpid()) + "-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(CliVectors, DeviceIsRefusedUnread) {
  const Outcome r = Ntlmh({"vectors", "/dev/zero"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: /dev/zero: is a character device, not a regular file; not read\n");
  EXPECT_EQ(r.out, "0 passed, 0 failed\n");
}

TEST(CliVectors, FifoIsRefusedWithoutWaitingForAWriter) {
  const std::string dir = ScratchDir("fifo");
  const std::string fifo = dir + "/fifo.json";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const Outcome r = Ntlmh({"vectors", fifo});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + fifo + ": is a FIFO (named pipe), not a regular file; not read\n");
  EXPECT_EQ(r.out, "0 passed, 0 failed\n");
  std::filesystem::remove_all(dir);
}

TEST(CliVectors, DirectoryEntriesThatAreNotRegularFilesAreErrors) {
  const std::string dir = ScratchDir("entries");
  ASSERT_EQ(mkfifo((dir + "/a-fifo.json").c_str(), 0600), 0);
  std::filesystem::create_symlink("/dev/zero", dir + "/b-zero.json");
  std::filesystem::create_symlink(dir + "/c-loop.json", dir + "/c-loop.json");
  std::ofstream(dir + "/d-good.json") << WithNtHash("a4f49c406510bdcab6824ee7c30fd852");
  const Outcome r = Ntlmh({"vectors", dir});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + dir +
                       "/a-fifo.json: is a FIFO (named pipe), not a regular file; not read\n"
                       "error: " +
                       dir +
                       "/b-zero.json: is a character device, not a regular file; not read\n"
                       "error: " +
                       dir +
                       "/c-loop.json: symbolic link loop (too many levels of symbolic "
                       "links)\n");
  EXPECT_EQ(r.out, "PASS " + dir + "/d-good.json: t - nt_hash\n1 passed, 0 failed\n");

  // With nothing else in it, the directory is not said to hold no *.json files.
  std::filesystem::remove(dir + "/a-fifo.json");
  std::filesystem::remove(dir + "/b-zero.json");
  std::filesystem::remove(dir + "/d-good.json");
  const Outcome loop = Ntlmh({"vectors", dir});
  EXPECT_EQ(loop.status, 2);
  EXPECT_EQ(loop.err, "error: " + dir +
                          "/c-loop.json: symbolic link loop (too many levels of symbolic links)\n");
  std::filesystem::remove_all(dir);
}

TEST(CliVectors, OversizeFileIsRefusedUnread) {
  const std::string path = TempFile("huge.json", "");
  std::filesystem::resize_file(path, (16u << 20) + 1);  // sparse
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + path +
                       ": larger than the 16 MiB a vector file may hold (16777217 bytes)\n");
  std::filesystem::remove(path);
}

TEST(CliVectors, VectorNameCannotForgeOrCutALine) {
  const std::string rule =
      "must be 1 to 128 characters from A-Z a-z 0-9 . _ : + / - (no spaces or control "
      "characters)";
  for (const std::string& name : {std::string(R"(a b\nFAIL fake)"), std::string(R"(a\u0000b)")}) {
    std::string text = WithNtHash("a4f49c406510bdcab6824ee7c30fd852");
    text.replace(text.find(R"("t")"), 3, "\"" + name + "\"");
    const std::string path = TempFile("forged.json", text);
    const Outcome r = Ntlmh({"vectors", path});
    EXPECT_EQ(r.status, 2) << name;
    EXPECT_EQ(r.out, "0 passed, 0 failed\n") << name;
    EXPECT_EQ(r.err, "error: " + path + ": vector '#0': name: " + rule + "\n") << name;
  }
}

TEST(CliVectors, PathsAreEscapedInOutput) {
  const Outcome r = Ntlmh({"vectors", "/nonexistent/x\nFAIL y.json",
                           "/nonexistent/\xe2\x80\xae"
                           "z.json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "error: /nonexistent/x\\x0aFAIL y.json: no such file or directory\n"
            "error: /nonexistent/\\u{202e}z.json: no such file or directory\n");

  const Outcome usage = Ntlmh({"vectors", "--no-such\x1b[2J"});
  EXPECT_EQ(usage.status, 2);
  EXPECT_EQ(usage.err.find('\x1b'), std::string::npos) << usage.err;
  EXPECT_NE(usage.err.find("\\x1b[2J"), std::string::npos) << usage.err;
}

TEST(CliVectors, DuplicateKeyIsInvalid) {
  std::string text = WithNtHash("a4f49c406510bdcab6824ee7c30fd852");
  text.replace(text.find(R"("name": "t")"), 11, R"("name": "t", "name": "u")");
  const std::string path = TempFile("dup.json", text);
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "error: " + path +
                ": vector '#0': name: duplicate key (a JSON object must not repeat a key)\n");
  EXPECT_EQ(r.out, "0 passed, 0 failed\n");
}

TEST(CliVectors, EachLineNamesItsFile) {
  const std::string pass = TempFile("one.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd852"));
  const std::string fail = TempFile("two.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd853"));
  const Outcome r = Ntlmh({"vectors", pass, fail});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "PASS " + pass + ": t - nt_hash\n" + "FAIL " + fail +
                       ": t - nt_hash expected a4f49c406510bdcab6824ee7c30fd853 got "
                       "a4f49c406510bdcab6824ee7c30fd852\n"
                       "1 passed, 1 failed\n");
}

TEST(CliVectors, SyntaxErrorGivesLineAndColumnNotTheParsersInternals) {
  const std::string path = TempFile("broken.json", "{\"name\": ");
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + path +
                       ": line 1, column 10: syntax error while parsing value - unexpected end of "
                       "input; expected '[', '{', or a literal\n");
}

TEST(CliVectors, MalformedMessageIsAnInvalidFile) {
  const std::string path = TempFile(
      "challenge.json", R"({"name": "c", "source": "s", "expect": {"challenge_message": "00"}})");
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + path +
                       ": vector 'c': expect.challenge_message: not a valid CHALLENGE_MESSAGE: "
                       "Signature at offset 0: the message has 1 byte, too few for the 8-byte "
                       "signature [MS-NLMP 2.2.1]\n");
  EXPECT_EQ(r.out, "0 passed, 0 failed\n");
}

TEST(CliVectors, FlagsAsANumberSayWhatIsNeeded) {
  const std::string path =
      TempFile("flags.json",
               R"({"name": "f", "source": "s", "inputs": {"negotiate_flags": 3800728115},
          "expect": {"nt_hash": "00"}})");
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "error: " + path +
                ": vector 'f': inputs.negotiate_flags: must be a string of up to 8 hex digits "
                "(\"e28a8233\"), not a number\n");
}

// --- ntlmh hash ------------------------------------------------------------------------------

TEST(CliHash, Password) {
  const Outcome r = Ntlmh({"hash", "--password", "Password"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "nt_hash: a4f49c406510bdcab6824ee7c30fd852\n"
            "lm_hash: e52cac67419a9a224a3b108f3fa6cb6d\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliHash, UserAndDomainGiveNtowfv2) {
  const Outcome r =
      Ntlmh({"hash", "--password", "Password", "--user", "User", "--domain", "Domain"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "nt_hash: a4f49c406510bdcab6824ee7c30fd852\n"
            "lm_hash: e52cac67419a9a224a3b108f3fa6cb6d\n"
            "ntowfv2: 0c868a403bfd7a93a3001ef22ef02e3f\n");
}

TEST(CliHash, PasswordFromStdinAndEnvironment) {
  const Outcome in =
      Ntlmh({"hash", "--password-stdin", "--user", "User", "--domain", "Domain"}, "Password\r\n");
  EXPECT_EQ(in.status, 0);
  EXPECT_NE(in.out.find("ntowfv2: 0c868a403bfd7a93a3001ef22ef02e3f\n"), std::string::npos);

  const Outcome env = Ntlmh({"hash"}, "", {"NTLM_PASSWORD=Password"});
  EXPECT_EQ(env.status, 0);
  EXPECT_EQ(env.out.substr(0, 42), "nt_hash: a4f49c406510bdcab6824ee7c30fd852\n");
}

TEST(CliHash, LongPasswordHasNoLmHash) {
  const Outcome r = Ntlmh({"hash", "--password", "123456789012345"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("\nlm_hash: (none: password longer than 14 characters)\n"),
            std::string::npos)
      << r.out;

  const Outcome j = Ntlmh({"hash", "--json", "--password", "123456789012345"});
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_TRUE(doc["lm_hash"].is_null());
  EXPECT_EQ(doc["lm_hash_note"], "password longer than 14 characters");
}

TEST(CliHash, UsageErrorsExit2) {
  EXPECT_EQ(Ntlmh({"hash"}).status, 2);  // no password anywhere
  EXPECT_EQ(Ntlmh({"hash", "--password", "a", "--password-stdin"}, "b\n").status, 2);
  EXPECT_EQ(Ntlmh({"hash", "--password", "a", "--domain", "D"}).status, 2);
  EXPECT_EQ(Ntlmh({"hash", "--password"}).status, 2);
  EXPECT_EQ(Ntlmh({"hash", "--password-stdin"}).status, 2);  // empty stdin
  EXPECT_EQ(Ntlmh({"hash", "--password", "\xff"}).status, 2);
}

constexpr char kOemNote[] =
    "computed with ISO-8859-1 as the OEM code page; Windows uses the system's OEM code page "
    "(CP437, CP850, ...) and may give another value for a non-ASCII password";

TEST(CliHash, StdinIsReadOneLineAtMostAndNoFurther) {
  // From /dev/zero: a NUL byte, refused at once (no growing buffer, no hang).
  const int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(zero, 0);
  const Outcome z = Ntlmh({"hash", "--password-stdin"}, "", {}, zero);
  close(zero);
  EXPECT_EQ(z.status, 2);
  EXPECT_EQ(z.out, "");
  EXPECT_EQ(z.err, "ntlmh hash: the password line on stdin holds a NUL byte\n");

  // A line longer than 64 KiB, without a newline: an error, not a growing buffer.
  const std::string long_path = TempFile("long-password", std::string(200000, 'a'));
  const int long_fd = open(long_path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(long_fd, 0);
  const Outcome l = Ntlmh({"hash", "--password-stdin"}, "", {}, long_fd);
  EXPECT_EQ(l.status, 2);
  EXPECT_EQ(l.out, "");
  EXPECT_EQ(l.err, "ntlmh hash: the password line on stdin is longer than 65536 bytes\n");
  // Read: 65536 bytes, one that could have been the "\r" of a CRLF, and the one that shows
  // the line goes on.
  EXPECT_EQ(lseek(long_fd, 0, SEEK_CUR), 65538);
  close(long_fd);

  // Exactly 64 KiB is taken, and gives what --password gives.
  const std::string max(65536, 'b');
  const std::string max_path = TempFile("max-password", max + "\r\nsecond line\n");
  const int max_fd = open(max_path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(max_fd, 0);
  const Outcome m = Ntlmh({"hash", "--password-stdin"}, "", {}, max_fd);
  EXPECT_EQ(m.status, 0) << m.err;
  EXPECT_EQ(m.out, Ntlmh({"hash", "--password", max}).out);
  // Nothing after the first line's "\n" was read.
  EXPECT_EQ(lseek(max_fd, 0, SEEK_CUR), 65536 + 2);
  close(max_fd);
  std::filesystem::remove(long_path);
  std::filesystem::remove(max_path);
}

TEST(CliHash, StdinLineEnd) {
  const std::string password = Ntlmh({"hash", "--password", "Password"}).out;
  EXPECT_EQ(Ntlmh({"hash", "--password-stdin"}, "Password\n").out, password);
  EXPECT_EQ(Ntlmh({"hash", "--password-stdin"}, "Password\r\n").out, password);
  EXPECT_EQ(Ntlmh({"hash", "--password-stdin"}, "Password").out, password);
  // Only the "\r" of a CRLF is dropped; another is part of the password.
  EXPECT_NE(Ntlmh({"hash", "--password-stdin"}, "Password\r").out, password);

  const Outcome help = Ntlmh({"hash", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("its line end, \"\\n\" or \"\\r\\n\", is\nnot part of the password"),
            std::string::npos)
      << help.out;
}

TEST(CliHash, EmptyPasswordIsHashedWithAWarning) {
  const std::string empty_hashes =
      "nt_hash: 31d6cfe0d16ae931b73c59d7e0c089c0\n"
      "lm_hash: aad3b435b51404eeaad3b435b51404ee\n";
  const Outcome env = Ntlmh({"hash"}, "", {"NTLM_PASSWORD="});
  EXPECT_EQ(env.status, 0);
  EXPECT_EQ(env.out, empty_hashes);
  EXPECT_EQ(env.err, "ntlmh hash: warning: the password from NTLM_PASSWORD is empty; hashing it\n");

  const Outcome in = Ntlmh({"hash", "--password-stdin"}, "\n");
  EXPECT_EQ(in.status, 0);
  EXPECT_EQ(in.out, empty_hashes);
  EXPECT_EQ(in.err, "ntlmh hash: warning: the password from stdin is empty; hashing it\n");

  const Outcome arg = Ntlmh({"hash", "--password", ""});
  EXPECT_EQ(arg.status, 0);
  EXPECT_EQ(arg.err, "ntlmh hash: warning: the password from --password is empty; hashing it\n");
}

TEST(CliHash, NonAsciiPasswordNotesTheOemCodePage) {
  // "Pässword": NTOWFv1 = MD4(UTF-16LE), LMOWFv1 of "PÄSSWORD" in ISO-8859-1 (both checked
  // against OpenSSL's MD4 and DES).
  const Outcome r = Ntlmh({"hash", "--password", "P\xc3\xa4ssword"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("nt_hash: 60da32612d814e31b59f18c43e1ce783\n"
                               "lm_hash: 1fc7dd5d7a5ddbac4a3b108f3fa6cb6d\n"
                               "lm_hash_note: ") +
                       kOemNote + "\n");
  EXPECT_EQ(r.err, "");

  const Outcome j = Ntlmh({"hash", "--json", "--password", "P\xc3\xa4ssword"});
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["lm_hash"], "1fc7dd5d7a5ddbac4a3b108f3fa6cb6d");
  EXPECT_EQ(doc["lm_hash_oem_code_page"], "ISO-8859-1");
  EXPECT_EQ(doc["lm_hash_note"], kOemNote);

  // An ASCII password has no note: every OEM code page agrees on ASCII.
  const Outcome ascii = Ntlmh({"hash", "--json", "--password", "Password"});
  const nlohmann::json plain = nlohmann::json::parse(ascii.out);
  EXPECT_FALSE(plain.contains("lm_hash_oem_code_page"));
  EXPECT_FALSE(plain.contains("lm_hash_note"));
}

TEST(CliHash, InvalidUtf8NamesTheSourceButNeverThePassword) {
  const std::string marker = "S3cr3tMarker";
  const std::string password = marker + "\xff" + marker;
  struct Case {
    std::vector<std::string> args;
    std::string input;
    std::vector<std::string> env;
    std::string source;
  };
  const Case cases[] = {
      {{"hash", "--password", password}, "", {}, "--password"},
      {{"hash", "--password-stdin"}, password + "\n", {}, "stdin"},
      {{"hash"}, "", {"NTLM_PASSWORD=" + password}, "NTLM_PASSWORD"},
      {{"hash", "--json", "--user", "U", "--password", password}, "", {}, "--password"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.source);
    const Outcome r = Ntlmh(c.args, c.input, c.env);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: password from " + c.source + " at offset 12: not valid UTF-8\n");
    EXPECT_EQ(r.err.find(marker), std::string::npos);
    EXPECT_EQ(r.err.find('\xff'), std::string::npos);
    EXPECT_EQ(r.err.find("0xFF"), std::string::npos);
    EXPECT_EQ(r.err.find("0xff"), std::string::npos);
  }
}

TEST(CliHash, CommandLineErrorsDoNotRepeatArguments) {
  const std::string marker = "S3cr3tMarker";
  const std::string not_shown =
      "(arguments are not repeated here, as they may hold a password); see 'ntlmh hash --help'\n";
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const Case cases[] = {
      {{"hash", "--json=" + marker}, "ntlmh hash: invalid command line " + not_shown},
      {{"hash", "--password-stdin=" + marker}, "ntlmh hash: invalid command line " + not_shown},
      {{"hash", "--" + marker}, "ntlmh hash: unknown option " + not_shown},
      {{"hash", "-p" + marker}, "ntlmh hash: unknown option " + not_shown},
      {{"hash", "--password", "two", marker},
       "ntlmh hash: unexpected argument (arguments are not repeated here, as they may hold a "
       "password); see 'ntlmh hash --help'; quote a password that holds spaces\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args.back());
    const Outcome r = Ntlmh(c.args);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, c.err);
  }
}

TEST(CliHash, NoOutputEverHoldsTheInputHash) {
  // The password's own hashes appear only where they are asked for: on stdout, never in an
  // error. A refused --user (invalid UTF-8) after a valid password shows no hash at all.
  const Outcome r = Ntlmh({"hash", "--password", "Password", "--user", "\xff"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find("a4f49c406510bdcab6824ee7c30fd852"), std::string::npos);
  EXPECT_EQ(r.err.find("Password"), std::string::npos);
}

}  // namespace
