// Integration tests of `ntlmh vectors` and `ntlmh hash`: they run the built binary
// (NTLMH_BINARY) and check its exact output and exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

// Runs ntlmh with |args|, feeding |input| on stdin, in an environment holding only |env| (plus
// the sanitizer options of this process, so an ASan build checks the child too).
Outcome Ntlmh(const std::vector<std::string>& args, const std::string& input = "",
              std::vector<std::string> env = {}) {
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
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
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
  const Outcome r = Ntlmh({"vectors"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind("PASS ", 0), 0u) << lines[i];
  }
  EXPECT_EQ(lines.back(), std::to_string(lines.size() - 1) + " passed, 0 failed");
  EXPECT_NE(r.out.find("\nPASS ms-nlmp-4.2.4 ntlmv2 nt_proof_str\n"), std::string::npos);
  EXPECT_NE(r.out.find("\nPASS ms-nlmp-4.2.2 ntlmv1 signature\n"), std::string::npos);
}

TEST(CliVectors, ExplicitFilePasses) {
  const std::string path = TempFile("pass.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd852"));
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "PASS t - nt_hash\n1 passed, 0 failed\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliVectors, TamperedFileExits1) {
  const std::string path =
      TempFile("tampered.json", WithNtHash("a4f49c406510bdcab6824ee7c30fd853"));
  const Outcome r = Ntlmh({"vectors", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out,
            "FAIL t - nt_hash expected a4f49c406510bdcab6824ee7c30fd853 got "
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

}  // namespace
