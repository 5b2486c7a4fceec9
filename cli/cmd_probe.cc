// ntlmh probe: a graded conformance and hardening report on an NTLM-over-HTTP server (issue
// #6, probe/probe.h, docs/probe.md). Without a URL it starts the built-in mock server on a free
// 127.0.0.1 port, in this process, with a demo account, and probes that.
//
// Progress goes to stderr, the report to stdout (or --out FILE).
// Exit status: 0 when no check fails, 1 when one does, 2 when the target cannot be probed
// (unreachable, no NTLM offered), when --max-time stopped it before any check failed, or on
// bad arguments.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/terminal_text.h"
#include "engine/credentials.h"
#include "http/client.h"
#include "mock_server/auth_gate.h"
#include "mock_server/server.h"
#include "probe/probe.h"
#include "probe/report.h"

namespace ntlmh {
namespace {

constexpr const char* kName = "ntlmh probe";

// The built-in server's demo account (it exists only inside this process, on loopback).
constexpr char kDemoDomain[] = "DEMO";
constexpr char kDemoUser[] = "demo";
constexpr char kDemoPassword[] = "Demo-Pass-1";  // short enough for the LM check to run

constexpr char kEpilogue[] =
    "Without URL, the built-in mock server (ntlmh serve's defaults: NTLMv2 only, MIC and\n"
    "echo checks on) is started on a free 127.0.0.1 port with the account DEMO\\demo, and\n"
    "probed; -u/-p then choose that account. With a URL, -u is required and the password\n"
    "comes from -p or the NTLM_PASSWORD environment variable; it is never printed.\n"
    "\n"
    "--checks takes globs over check ids, comma separated ('auth.*,policy.epa_enforced');\n"
    "--list-checks prints them. --robustness also sends a bounded list of malformed NEGOTIATE\n"
    "and AUTHENTICATE messages: use it only on a server you own.\n"
    "\n"
    "--timeout bounds each connect, write and read; --max-time the whole probe: the checks\n"
    "not done by then are skipped, with the limit as their evidence. Both take seconds\n"
    "(decimals allowed).\n"
    "\n"
    "Exit status: 0 no check failed; 1 a check failed; 2 the target could not be probed\n"
    "(unreachable, no NTLM offered), --max-time stopped the probe before a check failed,\n"
    "every selected check was skipped, or bad arguments. See docs/probe.md.\n";

// |text| is escaped for the terminal when it may hold user input; a fixed message (with a
// backslash in "[DOMAIN\]USER") is printed as written.
int Usage(const std::string& text, bool escape = true) {
  std::fprintf(stderr, "%s: %s\n", kName, (escape ? EscapeForTerminal(text) : text).c_str());
  return 2;
}

// "--timeout 2.5": seconds, decimals allowed, 0 <= value <= one day (|zero_ok| for 0).
std::optional<std::chrono::milliseconds> ParseSeconds(const std::string& text, bool zero_ok) {
  if (text.empty() || text.size() > 16 ||
      text.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || v > 86400.0 || (v == 0.0 && !zero_ok)) {
    return std::nullopt;
  }
  const auto ms = std::chrono::milliseconds(static_cast<int64_t>(v * 1000.0 + 0.5));
  if (ms.count() == 0 && v > 0.0) {
    return std::nullopt;  // under a millisecond
  }
  return ms;
}

}  // namespace

int RunProbe(int argc, char** argv) {
  cxxopts::Options opts(kName,
                        "Probe an NTLM-over-HTTP server and report how it implements "
                        "[MS-NLMP] and how hardened it is.");
  // clang-format off
  opts.add_options()
      ("url", "the URL to probe (none: the built-in mock server)", cxxopts::value<std::string>())
      ("u,user", "the account, [DOMAIN\\]USER", cxxopts::value<std::string>())
      ("p,password", "its password (or NTLM_PASSWORD)", cxxopts::value<std::string>())
      ("negotiate", "speak NTLM inside the Negotiate scheme instead of NTLM")
      ("insecure", "do not verify the server's TLS certificate")
      ("cacert", "verify the server's certificate with this PEM bundle",
       cxxopts::value<std::string>())
      ("checks", "globs over check ids, comma separated",
       cxxopts::value<std::string>()->default_value("*"))
      ("format", "text | json | junit | html", cxxopts::value<std::string>()->default_value("text"))
      ("out", "write the report to FILE instead of stdout", cxxopts::value<std::string>())
      ("robustness", "also send malformed messages (a server you own only)")
      ("timeout", "SECONDS for each connect, write and read (default 10)",
       cxxopts::value<std::string>()->default_value("10"))
      ("max-time", "SECONDS for the whole probe (default 300); 0: no limit",
       cxxopts::value<std::string>()->default_value("300"))
      ("list-checks", "print the check ids and exit")
      ("h,help", "show this help");
  // clang-format on
  opts.parse_positional({"url"});
  opts.positional_help("[URL]");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    return Usage(e.what());
  }
  if (args.count("help") != 0) {
    std::printf("%s\n%s", opts.help().c_str(), kEpilogue);
    return 0;
  }
  if (args.count("list-checks") != 0) {
    for (const probe::CheckInfo& c : probe::Catalogue()) {
      std::printf("%-34s %-28s %s%s\n", c.id, c.reference, c.title,
                  c.robustness_only ? " (--robustness)" : "");
    }
    return 0;
  }
  if (!args.unmatched().empty()) {
    return Usage("unexpected argument '" + args.unmatched()[0] + "'");
  }
  const auto format = probe::ParseFormat(args["format"].as<std::string>());
  if (!format.has_value()) {
    return Usage("--format wants text, json, junit or html");
  }
  if (args.count("insecure") != 0 && args.count("cacert") != 0) {
    return Usage("give --insecure or --cacert, not both");
  }
  const auto timeout = ParseSeconds(args["timeout"].as<std::string>(), false);
  if (!timeout.has_value()) {
    return Usage("--timeout wants seconds, more than 0 and at most 86400 (e.g. 10 or 2.5)");
  }
  const auto max_time = ParseSeconds(args["max-time"].as<std::string>(), true);
  if (!max_time.has_value()) {
    return Usage("--max-time wants seconds, 0 (no limit) to 86400 (e.g. 300 or 2.5)");
  }
  const std::string checks = args["checks"].as<std::string>();
  bool any = false;
  for (const probe::CheckInfo& c : probe::Catalogue()) {
    any = any || probe::MatchesChecks(checks, c.id);
  }
  if (!any) {
    return Usage("--checks '" + checks + "' matches no check (--list-checks shows them)");
  }

  probe::ProbeOptions options;
  options.checks = checks;
  options.negotiate = args.count("negotiate") != 0;
  options.robustness = args.count("robustness") != 0;
  options.timeout = *timeout;
  options.max_time = *max_time;
  std::string password;
  if (args.count("password") != 0) {
    password = args["password"].as<std::string>();
  } else if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
    password = env;
  }

  // The target: the URL given, or the built-in server on loopback.
  std::unique_ptr<mock::RunningServer> builtin;
  std::string url_text;
  if (args.count("url") != 0) {
    url_text = args["url"].as<std::string>();
    if (args.count("user") == 0) {
      return Usage("-u [DOMAIN\\]USER is required with a URL", /*escape=*/false);
    }
    options.user = args["user"].as<std::string>();
    if (args.count("password") == 0 && std::getenv("NTLM_PASSWORD") == nullptr) {
      return Usage("give the password with -p or NTLM_PASSWORD");
    }
  } else {
    if (options.negotiate || args.count("insecure") != 0 || args.count("cacert") != 0) {
      return Usage("--negotiate, --insecure and --cacert need a URL");
    }
    options.user = args.count("user") != 0 ? args["user"].as<std::string>()
                                           : std::string(kDemoDomain) + "\\" + kDemoUser;
    if (args.count("user") == 0) {
      password = kDemoPassword;
    } else if (password.empty()) {
      return Usage("give the password for -u with -p or NTLM_PASSWORD");
    }
    const ntlm::UserName name = ntlm::SplitUserName(options.user);
    auto settings = std::make_shared<mock::Settings>();
    settings->engine.identity.nb_domain = name.domain.empty() ? kDemoDomain : name.domain;
    settings->engine.identity.nb_computer = "MOCKSERVER";
    settings->engine.identity.dns_computer = "mockserver.demo.test";
    settings->engine.identity.dns_domain = "demo.test";
    ntlm::Status added =
        settings->engine.store.Add(settings->engine.identity.nb_domain, name.user, password);
    if (!added.ok()) {
      return Usage("-u/-p: " + added.error().reason);
    }
    mock::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_options.threads = 2;
    server_options.settings = settings;
    std::string error;
    builtin = mock::StartServer(server_options, &error);
    if (builtin == nullptr) {
      std::fprintf(stderr, "%s: cannot start the built-in server: %s\n", kName,
                   EscapeForTerminal(error).c_str());
      return 2;
    }
    url_text = builtin->url() + "/";
    // The account as typed: DEMO\demo, not the DEMO\\demo of EscapeForTerminal. Each side of
    // the first backslash is escaped on its own, so that one stays the only single backslash.
    const size_t slash = options.user.find('\\');
    const std::string account = slash == std::string::npos
                                    ? EscapeForTerminal(options.user)
                                    : EscapeForTerminal(options.user.substr(0, slash)) + "\\" +
                                          EscapeForTerminal(options.user.substr(slash + 1));
    std::fprintf(stderr, "%s: built-in mock server on %s, account %s\n", kName, url_text.c_str(),
                 account.c_str());
  }
  options.password = password;

  auto url = http::Url::Parse(url_text);
  if (!url.ok()) {
    return Usage("URL: " + url.error().ToString());
  }
  options.url = *url;
  options.target = url_text;
  http::ConnectOptions connect;
  // The largest CHALLENGE the wire format allows (TargetName and TargetInfo each up to 65535
  // bytes, 16-bit lengths [MS-NLMP 2.2.1.2]) is about 128 KiB, 175 KiB in base64: the probe
  // reads a response header that large, so that it can judge any CHALLENGE it is sent.
  connect.max_response_header_bytes = 256 * 1024;
  connect.tls.verify = args.count("insecure") == 0;
  if (args.count("cacert") != 0) {
    connect.tls.ca_file = args["cacert"].as<std::string>();
  }
  const http::Url target = *url;
  options.open = [target, connect](std::chrono::milliseconds timeout) {
    http::ConnectOptions c = connect;
    c.connect_timeout = timeout;  // the probe passes --timeout, or less near --max-time
    c.io_timeout = timeout;
    return http::Connection::Open(target, c);
  };
  options.progress = [](const std::string& line) {
    std::fprintf(stderr, "%s: %s\n", kName, EscapeForTerminal(line).c_str());
  };

  const probe::Report report = probe::RunProbe(options);
  if (builtin != nullptr) {
    builtin->Stop();
  }
  const std::string text = probe::Write(report, *format);
  if (args.count("out") != 0) {
    const std::string path = args["out"].as<std::string>();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "%s: cannot write %s\n", kName, EscapeForTerminal(path).c_str());
      return 2;
    }
    std::fprintf(stderr, "%s: report written to %s\n", kName, EscapeForTerminal(path).c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  const probe::Summary s = probe::Summarize(report);
  std::fprintf(stderr, "%s: %d pass, %d fail, %d warn, %d skip, %d info%s\n", kName, s.pass, s.fail,
               s.warn, s.skip, s.info,
               report.fatal.empty() ? "" : ("; not probed: " + report.fatal).c_str());
  const int status = probe::ExitStatus(report);
  if (!report.incomplete.empty()) {
    std::fprintf(stderr, "%s: incomplete: %s\n", kName, report.incomplete.c_str());
  }
  if (status == 2 && report.fatal.empty() && report.incomplete.empty()) {
    std::fprintf(stderr, "%s: nothing was tested: every selected check was skipped\n", kName);
  }
  return status;
}

}  // namespace ntlmh
