// ntlm-harness: the JSON test-vector runner (library ntlm_vectors).
//
// A vector file holds one vector object or an array of them; vectors/README.md documents the
// schema. The runner reads every vector of a file, computes each expected value from the
// vector's inputs with the engine, and reports one CheckResult per expected value.
//
// A file is checked as a whole before anything is reported from it: if any of its vectors is
// invalid (unparsable JSON, an unknown key in "inputs" or "expect", bad hex, a missing input
// that an expected value needs, an input the engine refuses), the file yields one FileError and
// no CheckResults. Other files are unaffected.
//
// Nothing here throws: JSON exceptions are caught inside the runner.
//
// Hostile files: only regular files (or symlinks to them) are opened, after a look with stat(),
// so a FIFO, device or socket is reported, never read; a file is read up to kMaxFileBytes and
// no further (files/read_file.h). A document nested deeper than 16 levels, holding more than
// 1,000,000 JSON values, or repeating a key inside one object is invalid. A vector name must
// pass IsValidVectorName, and the Format* functions escape every other string they print
// (ntlmh::EscapeForTerminal, cli/terminal_text.h), so a file cannot forge or hide an output line.
//
// Example:
//   ntlm::vectors::Report r = ntlm::vectors::RunPaths({"vectors/"});
//   for (const auto& c : r.checks) std::puts(ntlm::vectors::FormatCheck(c).c_str());
//   std::puts(ntlm::vectors::FormatSummary(r).c_str());   // "12 passed, 0 failed"
//
// This library calls ntlmh::EscapeForTerminal, defined in cli/terminal_text.cc: a program that
// links ntlm_vectors also compiles that file.
#ifndef NTLM_VECTORS_RUNNER_H_
#define NTLM_VECTORS_RUNNER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ntlm::vectors {

// A vector file larger than this is refused before it is read.
inline constexpr size_t kMaxFileBytes = size_t{16} << 20;  // 16 MiB

// The longest vector name.
inline constexpr size_t kMaxNameLength = 128;

// A vector name is 1 to kMaxNameLength characters from A-Z a-z 0-9 . _ : + / -: no spaces, no
// control characters, nothing a terminal or a line-based reader could misread.
bool IsValidVectorName(std::string_view name);

// One expected value, checked.
struct CheckResult {
  std::string file;    // path as given
  std::string vector;  // the vector's "name"
  std::string kind;    // inputs.response, the "primitive", or "-"
  std::string key;     // the key in "expect"
  bool passed = false;
  std::string expected;  // lowercase hex (or the expected text for message checks)
  std::string got;       // what the engine computed; for a message, what it re-encoded
  std::string detail;    // why a message check failed, when it is more than a mismatch
};

// A file that could not be read or is not a valid vector file.
struct FileError {
  std::string file;
  std::string vector;  // empty when the problem is the file itself
  std::string key;     // the offending key ("inputs.server_challenge", "expect.foo"); may be empty
  std::string message;
};

struct Report {
  std::vector<CheckResult> checks;
  std::vector<FileError> errors;
  size_t files = 0;  // files read (valid or not)

  size_t passed() const;
  size_t failed() const;
  void Append(Report other);
};

// Runs the vectors in |json_text|; |file| names it in results and errors. Text longer than
// kMaxFileBytes is a FileError. A JSON syntax error is reported as
// "line <L>, column <C>: <what>", without quoting the input.
Report RunText(std::string_view json_text, const std::string& file);

// Runs one file. A path that is not a regular file (or a symlink to one) or is larger than
// kMaxFileBytes is a FileError saying what it is; it is not opened (a FIFO) or not read.
Report RunFile(const std::string& path);

// Runs each path: a file, or a directory whose *.json entries (not recursive) run in name
// order. A path that does not exist, a symlink loop, and a directory without *.json entries are
// FileErrors; a *.json entry that is not a regular file is a FileError of its own (RunFile).
Report RunPaths(const std::vector<std::string>& paths);

// "PASS <file>: <vector> <kind> <key>" or
// "FAIL <file>: <vector> <kind> <key> expected <expected> got <got>[ (<detail>)]".
// The file is the path as given (for a directory, the directory joined with the entry's name).
// Every part is escaped for the terminal, so the line is always one line.
std::string FormatCheck(const CheckResult& c);

// "<file>: vector '<vector>': <key>: <message>" (parts that are empty are left out), every part
// escaped for the terminal.
std::string FormatError(const FileError& e);

// "<passed> passed, <failed> failed".
std::string FormatSummary(const Report& r);

// The whole report as one JSON document:
//   {"passed": N, "failed": M, "results": [{"file", "vector", "kind", "key", "status":
//    "pass"|"fail", "expected", "got", "detail"}...], "errors": [{"file", "vector", "key",
//    "message"}...]}
// Strings are exact (not terminal-escaped) and the document is ASCII: JSON writes every other
// character as \uXXXX.
std::string ToJson(const Report& r);

}  // namespace ntlm::vectors

#endif  // NTLM_VECTORS_RUNNER_H_
