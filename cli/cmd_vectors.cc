// ntlmh vectors: runs NTLM test-vector files against the engine (vectors/README.md).
//
// Output: one line per checked value on stdout ("PASS <file>: <vector> <kind> <key>" or
// "FAIL <file>: ... expected X got Y"), then "N passed, M failed" alone on the last line. An
// unreadable or invalid file is reported on stderr as
// "error: <file>: vector '<name>': <key>: <message>". Whatever comes from the command line or a
// file is escaped for the terminal (cli/terminal_text.h), so no input can forge a line.
// Only regular files are read, up to 16 MiB each (vectors/runner.h).
// Exit status: 0 all passed, 1 any mismatch, 2 usage error or any unreadable/invalid file.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.h"
#include "cli/terminal_text.h"
#include "vectors/runner.h"

namespace ntlmh {
namespace {

// The directory of the running binary, from /proc/self/exe; empty if unknown.
std::filesystem::path ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return {};
  }
  return exe.parent_path();
}

bool HasJsonFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return false;
  }
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json") {
      return true;
    }
  }
  return false;
}

// The shipped vectors: $NTLMH_VECTORS_DIR if set; else beside the binary (vectors/, then
// ../share/ntlm-harness/vectors for an installed tree); else the source tree's vectors/ that
// the build recorded (NTLMH_VECTORS_DIR).
std::string DefaultVectorsDir() {
  if (const char* env = std::getenv("NTLMH_VECTORS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  const std::filesystem::path exe_dir = ExecutableDir();
  if (!exe_dir.empty()) {
    for (const std::filesystem::path& candidate :
         {exe_dir / "vectors", exe_dir / ".." / "share" / "ntlm-harness" / "vectors"}) {
      if (HasJsonFiles(candidate)) {
        return candidate.lexically_normal().string();
      }
    }
  }
  return NTLMH_VECTORS_DIR;
}

}  // namespace

int RunVectors(int argc, char** argv) {
  cxxopts::Options opts("ntlmh vectors",
                        "Run NTLM test-vector files (JSON, see vectors/README.md) against the "
                        "engine.\nWithout PATH, runs the shipped vectors. A PATH is a file or a "
                        "directory of *.json files;\nonly regular files of at most 16 MiB are "
                        "read. Each result line names its file.\nExit status: 0 all passed, 1 a "
                        "value mismatched, 2 an unreadable or invalid file.");
  opts.add_options()("json", "print the results as one JSON document")("h,help", "show this help")(
      "paths", "files or directories", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"paths"});
  opts.positional_help("[FILE|DIR]...");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ntlmh vectors: %s\n", EscapeForTerminal(e.what()).c_str());
    return 2;
  }
  if (args.count("help") != 0) {
    std::printf("%s\n", opts.help().c_str());
    return 0;
  }

  std::vector<std::string> paths;
  if (args.count("paths") != 0) {
    paths = args["paths"].as<std::vector<std::string>>();
  } else {
    paths.push_back(DefaultVectorsDir());
  }

  const ntlm::vectors::Report report = ntlm::vectors::RunPaths(paths);

  for (const ntlm::vectors::FileError& e : report.errors) {
    std::fprintf(stderr, "error: %s\n", ntlm::vectors::FormatError(e).c_str());
  }
  if (args.count("json") != 0) {
    std::printf("%s\n", ntlm::vectors::ToJson(report).c_str());
  } else {
    for (const ntlm::vectors::CheckResult& c : report.checks) {
      std::printf("%s\n", ntlm::vectors::FormatCheck(c).c_str());
    }
    std::printf("%s\n", ntlm::vectors::FormatSummary(report).c_str());
  }

  if (!report.errors.empty()) {
    return 2;
  }
  return report.failed() == 0 ? 0 : 1;
}

}  // namespace ntlmh
