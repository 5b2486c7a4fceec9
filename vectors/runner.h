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
// Example:
//   ntlm::vectors::Report r = ntlm::vectors::RunPaths({"vectors/"});
//   for (const auto& c : r.checks) std::puts(ntlm::vectors::FormatCheck(c).c_str());
//   std::puts(ntlm::vectors::FormatSummary(r).c_str());   // "12 passed, 0 failed"
#ifndef NTLM_VECTORS_RUNNER_H_
#define NTLM_VECTORS_RUNNER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ntlm::vectors {

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

// Runs the vectors in |json_text|; |file| names it in results and errors.
Report RunText(std::string_view json_text, const std::string& file);

// Runs one file.
Report RunFile(const std::string& path);

// Runs each path: a file, or a directory whose *.json files (not recursive) run in name order.
// A path that does not exist, or a directory without *.json files, is a FileError.
Report RunPaths(const std::vector<std::string>& paths);

// "PASS <vector> <kind> <key>" or
// "FAIL <vector> <kind> <key> expected <expected> got <got>[ (<detail>)]".
std::string FormatCheck(const CheckResult& c);

// "<file>: vector '<vector>': <key>: <message>" (parts that are empty are left out).
std::string FormatError(const FileError& e);

// "<passed> passed, <failed> failed".
std::string FormatSummary(const Report& r);

// The whole report as one JSON document:
//   {"passed": N, "failed": M, "results": [{"file", "vector", "kind", "key", "status":
//    "pass"|"fail", "expected", "got", "detail"}...], "errors": [{"file", "vector", "key",
//    "message"}...]}
std::string ToJson(const Report& r);

}  // namespace ntlm::vectors

#endif  // NTLM_VECTORS_RUNNER_H_
