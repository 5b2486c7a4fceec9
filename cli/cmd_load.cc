// ntlmh load: NTLM handshake throughput of an HTTP(S) server (issue #8), over http/load.h.
//
// Exit status: 0 when every unit succeeded; 1 when some failed (the report says how); 2 on
// usage errors, a target the loopback policy refuses, and a server that could not be reached
// at all (every unit failed to connect, or the name does not resolve).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/describe.h"
#include "cli/terminal_text.h"
#include "engine/compute.h"
#include "http/load.h"

namespace ntlmh {
namespace {

constexpr const char* kName = "ntlmh load";

constexpr int kMaxConnections = 1024;
constexpr uint64_t kMaxHandshakes = 100'000'000;
constexpr double kMaxSeconds = 3600;
constexpr double kDefaultSeconds = 10;

constexpr char kEpilogue[] =
    "Runs NTLM handshakes against URL from CONNECTIONS connections at once: each one a new TCP\n"
    "(or TLS) connection carrying the NEGOTIATE and the AUTHENTICATE of a GET (no request\n"
    "without credentials first), until -n handshakes are done or -d seconds have passed (10 s\n"
    "when neither is given). --reuse authenticates one connection per slot once and then\n"
    "counts requests answered 2xx on it. --rehandshake runs every handshake in full on a\n"
    "connection kept alive from the one before (the NTLM cost without TCP's; a new connection\n"
    "only when the server closed one). Over HTTPS the AUTHENTICATE carries channel bindings.\n"
    "\n"
    "The password comes from -p, --password-stdin (one line), --nt-hash or NTLM_PASSWORD; it\n"
    "is never printed. Only loopback targets (localhost, 127.0.0.0/8, ::1) are allowed unless\n"
    "--allow-remote is given: another host is refused before any name lookup.\n"
    "\n"
    "Reports handshakes per second, latency p50/p90/p99/max in ms (of the handshakes that\n"
    "succeeded), and failures by kind: connect, resolve, tls, timeout, auth_rejected (401 after\n"
    "the AUTHENTICATE), bad_challenge, http_status_NNN, rehandshake_refused, bad_response, io.\n"
    "A progress line goes to stderr once a second when stderr is a terminal, or with\n"
    "--progress.\n"
    "\n"
    "--json prints one object: handshakes_per_sec, latency_ms {p50, p90, p99, max}, errors\n"
    "{kind: count}, handshakes, and also failed, authentications, connections_opened,\n"
    "duration_s, connections, mode (\"new-connection\", \"reuse\" or \"rehandshake\") and\n"
    "error_samples (the first message of each kind).\n"
    "\n"
    "Exit status: 0 when every handshake succeeded; 1 when some failed; 2 on usage errors, a\n"
    "refused target, or a server that could not be reached at all.\n";

int Usage(const std::string& text) {
  std::fprintf(stderr, "%s: %s\n", kName, text.c_str());
  return 2;
}

// The workstation name the AUTHENTICATE carries unless -w says otherwise: it tells the load
// generator's logins apart in the server's logs.
constexpr char kDefaultWorkstation[] = "NTLMH-LOAD";

double Ms(uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// |v| rounded to |digits| decimals, so that the JSON carries no binary noise.
double Rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

// Each connection is a descriptor: raises the soft limit towards the hard one when 1024
// connections would not fit under it (a common default soft limit is 1024).
void RaiseDescriptorLimit(int connections) {
  rlimit limit{};
  const rlim_t wanted = static_cast<rlim_t>(connections) + 64;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int RunLoad(int argc, char** argv) {
  cxxopts::Options opts(kName, "NTLM handshake throughput of an HTTP(S) server.");
  opts.custom_help("URL -u [DOMAIN\\]USER [options]");
  opts.positional_help("");
  opts.add_options()
      ("url", "http:// or https:// URL", cxxopts::value<std::string>())
      ("u,user", "[DOMAIN\\]USER (or user@domain)", cxxopts::value<std::string>())
      ("p,password", "the password (NTLM_PASSWORD and --password-stdin keep it out of ps)",
       cxxopts::value<std::string>())
      ("password-stdin", "read the password from the first line of stdin")
      ("nt-hash", "the account's NT hash, 32 hex digits, instead of a password",
       cxxopts::value<std::string>())
      ("domain", "the domain (overrides DOMAIN\\ in -u)", cxxopts::value<std::string>())
      ("w,workstation", "the workstation name (default: NTLMH-LOAD)",
       cxxopts::value<std::string>())
      ("c,connections", "connections at once, 1..1024",
       cxxopts::value<int>()->default_value("8"))
      ("n,handshakes", "handshakes to run (with --reuse: requests)", cxxopts::value<uint64_t>())
      ("d,duration", "seconds to run, up to 3600 (default 10 without -n)",
       cxxopts::value<double>())
      ("reuse", "authenticate each connection once, then count requests on it")
      ("rehandshake", "a full handshake per unit on a connection kept alive")
      ("negotiate", "use the Negotiate scheme (SPNEGO) rather than NTLM")
      ("threads", "client threads, 1..8", cxxopts::value<int>()->default_value("1"))
      ("timeout", "seconds for one handshake, connect to last byte",
       cxxopts::value<double>()->default_value("10"))
      ("insecure", "do not verify the server's certificate")
      ("cacert", "PEM file of CA certificates to verify the server with",
       cxxopts::value<std::string>())
      ("allow-remote", "allow a target that is not loopback")
      ("progress", "a progress line on stderr even when it is not a terminal")
      ("json", "print one JSON object on stdout")
      ("h,help", "show this help");
  opts.parse_positional({"url"});

  cxxopts::ParseResult parsed;
  try {
    parsed = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    return Usage(EscapeForTerminal(e.what()));
  }
  if (parsed.count("help") != 0) {
    std::printf("%s\n%s", opts.help().c_str(), kEpilogue);
    return 0;
  }
  if (!parsed.unmatched().empty()) {
    return Usage("unexpected argument '" + EscapeForTerminal(parsed.unmatched()[0]) + "'");
  }
  if (parsed.count("url") == 0) {
    return Usage("a URL is required (--help shows the options)");
  }
  http::LoadOptions options;
  {
    auto url = http::Url::Parse(parsed["url"].as<std::string>());
    if (!url.ok()) {
      return Usage(EscapeForTerminal(url.error().ToString()));
    }
    options.url = *url;
  }
  // The loopback policy, before any name lookup or connection.
  options.allow_remote = parsed.count("allow-remote") != 0;
  if (!options.allow_remote && !http::IsLoopbackHost(options.url.host)) {
    return Usage("url: '" + EscapeForTerminal(options.url.host) +
                 "' is not a loopback name or address (localhost, 127.0.0.0/8, ::1); "
                 "--allow-remote allows another host");
  }
  if (parsed.count("user") == 0 || parsed["user"].as<std::string>().empty()) {
    return Usage("-u [DOMAIN\\]USER is required");
  }

  options.connections = parsed["connections"].as<int>();
  if (options.connections < 1 || options.connections > kMaxConnections) {
    return Usage("-c wants 1.." + std::to_string(kMaxConnections) + " connections");
  }
  if (parsed.count("handshakes") != 0 && parsed.count("duration") != 0) {
    return Usage("-n and -d exclude each other");
  }
  if (parsed.count("handshakes") != 0) {
    options.count = parsed["handshakes"].as<uint64_t>();
    if (options.count < 1 || options.count > kMaxHandshakes) {
      return Usage("-n wants 1.." + std::to_string(kMaxHandshakes) + " handshakes");
    }
  } else {
    const double seconds =
        parsed.count("duration") != 0 ? parsed["duration"].as<double>() : kDefaultSeconds;
    // At least 0.1 s: shorter runs would measure nothing (or round to no time at all).
    if (!(seconds >= 0.1 && seconds <= kMaxSeconds)) {
      return Usage("-d wants seconds in [0.1, 3600]");
    }
    options.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  options.threads = parsed["threads"].as<int>();
  if (options.threads < 1 || options.threads > 8) {
    return Usage("--threads wants 1..8");
  }
  const double timeout = parsed["timeout"].as<double>();
  if (!(timeout >= 0.001 && timeout <= 600)) {
    return Usage("--timeout wants seconds in [0.001, 600]");
  }
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  if (parsed.count("insecure") != 0 && parsed.count("cacert") != 0) {
    return Usage("--insecure and --cacert exclude each other");
  }
  options.tls.verify = parsed.count("insecure") == 0;
  if (parsed.count("cacert") != 0) {
    options.tls.ca_file = parsed["cacert"].as<std::string>();
  }
  options.reuse = parsed.count("reuse") != 0;
  options.rehandshake = parsed.count("rehandshake") != 0;
  if (options.reuse && options.rehandshake) {
    return Usage("--reuse and --rehandshake exclude each other");
  }
  options.scheme =
      parsed.count("negotiate") != 0 ? http::AuthScheme::kNegotiate : http::AuthScheme::kNtlm;

  // The secret: -p, --password-stdin, --nt-hash or NTLM_PASSWORD, one of them. A password
  // becomes its NT hash here, once, rather than in every handshake.
  const size_t given = parsed.count("password") + parsed.count("password-stdin") +
                       parsed.count("nt-hash");
  if (given > 1) {
    return Usage("-p, --password-stdin and --nt-hash exclude each other");
  }
  if (parsed.count("nt-hash") != 0) {
    auto hash = ntlm::ParseNtHash(parsed["nt-hash"].as<std::string>());
    if (!hash.ok()) {
      return Usage("--nt-hash wants 32 hex digits");
    }
    options.client.secret.nt_hash = *hash;
  } else {
    std::string password;
    if (parsed.count("password") != 0) {
      password = parsed["password"].as<std::string>();
    } else if (parsed.count("password-stdin") != 0) {
      if (!std::getline(std::cin, password) && password.empty()) {
        return Usage("--password-stdin: no line on standard input");
      }
      if (!password.empty() && password.back() == '\r') {
        password.pop_back();
      }
    } else if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
      password = env;
    } else {
      return Usage("no password: give -p, --password-stdin, --nt-hash or NTLM_PASSWORD");
    }
    auto hash = ntlm::NtOwfV1(password);
    password.assign(password.size(), '\0');
    if (!hash.ok()) {
      return Usage("password: " + EscapeForTerminal(hash.error().ToString()));
    }
    options.client.secret.nt_hash = *hash;
  }
  options.client.user = parsed["user"].as<std::string>();
  if (parsed.count("domain") != 0) {
    options.client.domain = parsed["domain"].as<std::string>();
  }
  options.client.workstation = parsed.count("workstation") != 0
                                   ? parsed["workstation"].as<std::string>()
                                   : kDefaultWorkstation;

  const bool json = parsed.count("json") != 0;
  const bool progress = parsed.count("progress") != 0 || isatty(STDERR_FILENO) == 1;
  bool progress_shown = false;
  if (progress) {
    options.on_progress = [&progress_shown](const http::LoadProgress& p) {
      progress_shown = true;
      const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
      std::fprintf(stderr, "\r%s: %5.0f s  %llu done  %llu failed  %.0f/s   ", kName, p.seconds,
                   static_cast<unsigned long long>(p.done),
                   static_cast<unsigned long long>(p.failed), rate);
      std::fflush(stderr);
    };
  }

  RaiseDescriptorLimit(options.connections);
  auto run = http::RunLoad(options);
  options.client.secret.nt_hash.reset();
  if (progress_shown) {
    std::fputs("\n", stderr);
  }
  if (!run.ok()) {
    return Usage(EscapeForTerminal(run.error().field + ": " + run.error().reason));
  }
  const http::LoadReport& r = *run;
  const double rate = r.seconds > 0 ? static_cast<double>(r.handshakes) / r.seconds : 0;
  const http::LatencyHistogram& lat = r.latency;

  // Exit: 2 when the server was never reached (every unit failed to connect or resolve).
  int exit_code = r.failed == 0 && r.handshakes > 0 ? 0 : 1;
  uint64_t unreachable = 0;
  for (const char* kind : {"connect", "resolve"}) {
    if (auto it = r.errors.find(kind); it != r.errors.end()) {
      unreachable += it->second;
    }
  }
  if (r.handshakes == 0 && r.connections_opened == 0 && unreachable == r.failed) {
    exit_code = 2;
  }

  if (json) {
    Json out;
    out["handshakes_per_sec"] = Rounded(rate, 2);
    // Latency is of the units that succeeded: null when none did (0 would read as instant).
    if (r.handshakes == 0) {
      out["latency_ms"] = Json{{"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr},
                               {"max", nullptr}};
    } else {
      out["latency_ms"] = Json{{"p50", Ms(lat.Percentile(50))},
                               {"p90", Ms(lat.Percentile(90))},
                               {"p99", Ms(lat.Percentile(99))},
                               {"max", Ms(lat.max())}};
    }
    Json errors = Json::object();
    for (const auto& [kind, n] : r.errors) {
      errors[kind] = n;
    }
    out["errors"] = errors;
    out["handshakes"] = r.handshakes;
    out["failed"] = r.failed;
    out["authentications"] = r.authentications;
    out["connections_opened"] = r.connections_opened;
    out["duration_s"] = Rounded(r.seconds, 3);
    out["connections"] = options.connections;
    out["mode"] = options.reuse ? "reuse" : options.rehandshake ? "rehandshake" : "new-connection";
    Json samples = Json::object();
    for (const auto& [kind, text] : r.error_samples) {
      samples[kind] = text;
    }
    out["error_samples"] = samples;
    std::printf("%s\n", out.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  } else {
    std::string text = EscapeForTerminal(options.url.ToString()) + ": " +
                       std::to_string(options.connections) + " connections, " +
                       (options.reuse         ? "requests on authenticated connections"
                        : options.rehandshake ? "handshakes on connections kept alive"
                                              : "a new connection per handshake") +
                       "\n";
    text += (options.reuse ? "requests:   " : "handshakes: ") + std::to_string(r.handshakes) +
            " in " + Fixed(r.seconds, 2) + " s, " + Fixed(rate, 1) + "/s\n";
    if (r.handshakes == 0) {
      text += "latency ms: none (nothing succeeded)\n";
    } else {
      text += "latency ms: p50 " + Fixed(Ms(lat.Percentile(50)), 3) + "  p90 " +
              Fixed(Ms(lat.Percentile(90)), 3) + "  p99 " + Fixed(Ms(lat.Percentile(99)), 3) +
              "  max " + Fixed(Ms(lat.max()), 3) + "\n";
    }
    if (r.failed == 0) {
      text += "errors:     none\n";
    } else {
      text += "errors:     " + std::to_string(r.failed) + "\n";
      for (const auto& [kind, n] : r.errors) {
        const auto sample = r.error_samples.find(kind);
        text += "  " + kind + ": " + std::to_string(n) +
                (sample == r.error_samples.end()
                     ? ""
                     : " (first: " + EscapeForTerminal(sample->second) + ")") +
                "\n";
      }
    }
    std::fputs(text.c_str(), stdout);
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace ntlmh
