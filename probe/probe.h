// probe/: `ntlmh probe`, a conformance and hardening report on an NTLM-over-HTTP server
// (issue #6). Each check is a small unit with a stable id, the [MS-NLMP] / [MS-NTHT] / RFC
// section it rests on, a result, the evidence (the decoded field or the HTTP status) and what
// to change on the server when it fails. docs/probe.md describes every check.
//
// The probe builds its messages with the engine (ClientContext, the encoders) and sends them
// through http::Connection itself, so that it can send what a normal client never would: a
// 32-byte NEGOTIATE, a tampered AUTHENTICATE, an AUTHENTICATE on another connection.
//
// Secrets: the password, hashes, keys and responses never reach the report. Evidence holds
// HTTP statuses, flags, lengths, names and times from the server's CHALLENGE.
//
// Example:
//   ProbeOptions o;
//   o.url = *http::Url::Parse("http://127.0.0.1:8080/");
//   o.open = [&](std::chrono::milliseconds t) {
//     http::ConnectOptions c = connect_options;  c.connect_timeout = c.io_timeout = t;
//     return http::Connection::Open(o.url, c);
//   };
//   o.user = "DOMAIN\\alice";  o.password = "...";
//   Report r = RunProbe(o);
//   std::string text = WriteText(r);   // report.h
//   return ExitStatus(r);              // 0 no failure, 1 a check failed, 2 not (fully) probed
#ifndef NTLMH_PROBE_PROBE_H_
#define NTLMH_PROBE_PROBE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "http/client.h"

namespace ntlmh::probe {

enum class Outcome : uint8_t { kPass, kFail, kWarn, kSkip, kInfo };
const char* OutcomeName(Outcome o);  // "pass", "fail", "warn", "skip", "info"

struct CheckResult {
  std::string id;  // "auth.mic_verified"
  Outcome result = Outcome::kSkip;
  std::string reference;  // "MS-NLMP 3.2.5.1.2"
  std::string evidence;   // what the server did, one or two sentences
  std::string advice;     // what to change on the server; empty when there is nothing to change
};

// A check the probe knows, for --checks, the docs and the writers.
struct CheckInfo {
  const char* id;
  const char* reference;
  const char* title;     // one line: what must hold
  bool robustness_only;  // run only with --robustness
};
const std::vector<CheckInfo>& Catalogue();
const CheckInfo* FindCheck(const std::string& id);

// One arrow of the handshake diagram: a request or a response of the first full handshake.
struct TraceStep {
  bool from_client = true;
  uint64_t connection = 0;
  std::string line;    // "GET /", "401 Unauthorized"
  std::string detail;  // "Authorization: NTLM <NEGOTIATE, 40 bytes, flags 0xe2088297>"
};

struct Report {
  std::string target;                // the URL as given
  std::vector<CheckResult> checks;   // in Catalogue() order, the selected ones
  std::vector<TraceStep> handshake;  // the baseline handshake
  std::string fatal;                 // non-empty: the target could not be probed (exit 2)
  // Non-empty: the probe stopped at ProbeOptions::max_time and says so; the checks it did not
  // finish are skipped with this text as their evidence.
  std::string incomplete;
};

struct Summary {
  int pass = 0, fail = 0, warn = 0, skip = 0, info = 0;
  int total() const { return pass + fail + warn + skip + info; }
};
Summary Summarize(const Report& report);

// 2 when the target could not be probed; 1 when a check failed; 2 when the probe stopped at
// its time limit with no check failed, or when every selected check was skipped; else 0.
int ExitStatus(const Report& report);

// A new connection to the target; |timeout| bounds connecting and the TLS handshake, and each
// later write and read until the probe sets another (http::Connection::SetIoTimeout).
using Opener =
    std::function<ntlm::Result<std::unique_ptr<http::Connection>>(std::chrono::milliseconds)>;

struct ProbeOptions {
  http::Url url;       // where requests go (its target is the request target)
  std::string target;  // the URL as the user wrote it, for the report
  Opener open;         // a new connection to |url| (TLS options already applied)
  std::string user;    // "DOMAIN\user", "user@domain" or "user"
  std::string password;
  bool negotiate = false;    // use the "Negotiate" scheme (raw NTLMSSP inside) instead of "NTLM"
  std::string checks = "*";  // glob(s) over check ids, comma separated ("auth.*,policy.*")
  bool robustness = false;   // also send malformed messages (a bounded list)
  int nonce_handshakes = 8;  // CHALLENGEs collected for challenge.nonce_unique (2..64)
  // --timeout: each connect, write and read. --max-time: the whole probe; what is not done by
  // then is skipped (Report::incomplete). Zero: no overall limit.
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds max_time{300000};
  std::function<void(const std::string& line)> progress;  // may be empty
};

// Runs the selected checks. Never throws; transport errors become evidence or |fatal|.
Report RunProbe(const ProbeOptions& options);

// True when |id| matches one of the comma-separated globs (fnmatch: *, ?, [...]).
bool MatchesChecks(const std::string& globs, const std::string& id);

}  // namespace ntlmh::probe

#endif  // NTLMH_PROBE_PROBE_H_
