// Test helper shared by tests/probe/*_test.cc: `ntlmh probe URL -u USER -p PASS --format json
// EXTRA...` run as a child process, its JSON report read into maps by check id.
#ifndef NTLMH_TESTS_PROBE_PROBE_RUN_H_
#define NTLMH_TESTS_PROBE_PROBE_RUN_H_

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace ntlmh::testing {

struct ProbeRun {
  int exit_code = -1;
  nlohmann::json report;
  std::string err;
  std::map<std::string, std::string> results;   // id -> result
  std::map<std::string, std::string> evidence;  // id -> evidence
  std::set<std::string> failed;
};

inline ProbeRun RunProbeJson(const std::string& url, const std::vector<std::string>& extra,
                             const std::string& user, const std::string& password) {
  std::vector<std::string> args = {"probe", url, "-u", user, "-p", password, "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult r = RunNtlmh(args);
  ProbeRun run;
  run.exit_code = r.exit_code;
  run.err = r.err;
  run.report = nlohmann::json::parse(r.out, nullptr, false);
  if (run.report.is_discarded() || !run.report.contains("checks")) {
    ADD_FAILURE() << "not a JSON report: " << r.out << "\nstderr: " << r.err;
    return run;
  }
  for (const auto& c : run.report["checks"]) {
    const std::string id = c["id"];
    run.results[id] = c["result"];
    run.evidence[id] = c["evidence"];
    if (c["result"] == "fail") {
      run.failed.insert(id);
    }
  }
  return run;
}

}  // namespace ntlmh::testing

#endif  // NTLMH_TESTS_PROBE_PROBE_RUN_H_
