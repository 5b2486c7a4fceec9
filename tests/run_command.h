// Runs the built ntlmh binary for the CLI tests, with stdin text, and captures stdout, stderr
// and the exit status.
#ifndef NTLMH_TESTS_RUN_COMMAND_H_
#define NTLMH_TESTS_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace ntlmh::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// Runs NTLMH_BINARY with |args| (no shell), feeding |stdin_text|. |env| entries ("NAME=value")
// are added to the environment.
CommandResult RunNtlmh(const std::vector<std::string>& args, const std::string& stdin_text = "",
                       const std::vector<std::string>& env = {});

}  // namespace ntlmh::testing

#endif  // NTLMH_TESTS_RUN_COMMAND_H_
