// ntlmh serve: the mock NTLM server (issue #4, mock_server/README.md).
//
// Prints exactly one line to stdout once it accepts connections:
//   listening on http://127.0.0.1:PORT        (https:// with --tls-*)
// and serves until SIGINT or SIGTERM. Warnings and errors go to stderr.
// Exit status: 0 after a clean shutdown, 2 usage error or the server could not start.
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/min_security.h"
#include "cli/terminal_text.h"
#include "engine/bytes.h"
#include "engine/client.h"
#include "engine/credentials.h"
#include "engine/environment.h"
#include "engine/flags.h"
#include "engine/messages.h"
#include "engine/server.h"
#include "files/read_file.h"
#include "mock_server/auth_gate.h"
#include "mock_server/reply_wire.h"
#include "mock_server/server.h"

namespace ntlmh {
namespace {

constexpr const char* kName = "ntlmh serve";

int Usage(const std::string& text) {
  std::fprintf(stderr, "%s: %s\n", kName, text.c_str());
  return 2;
}

// "127.0.0.1:8080" or "[::1]:8080".
bool ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return false;
  }
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p > 65535 || h.empty()) {
    return false;
  }
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

// --target-info NAME=VALUE: the DNS names of the CHALLENGE's target info ([MS-NLMP] 2.2.2.1,
// MsvAvDnsComputerName, MsvAvDnsDomainName, MsvAvDnsTreeName). The NetBIOS names, which 3.2.5.1.1
// makes mandatory, come from --computer and --domain.
bool ParseTargetInfoName(const std::string& spec, ntlm::ServerIdentity* id) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    return false;
  }
  const std::string name = spec.substr(0, eq);
  std::string value = spec.substr(eq + 1);
  if (name == "dns-computer") {
    id->dns_computer = std::move(value);
  } else if (name == "dns-domain") {
    id->dns_domain = std::move(value);
  } else if (name == "dns-tree") {
    id->dns_tree = std::move(value);
  } else {
    return false;
  }
  return true;
}

// A credential store of 16 MiB holds about a hundred thousand accounts; more, or a device or
// FIFO given by mistake (--users /dev/zero), is refused before it fills the memory.
constexpr size_t kMaxUsersFileBytes = size_t{16} << 20;

// Issues one CHALLENGE with the configured identity and policy to a NEGOTIATE such as a
// Windows client sends, so that a name the CHALLENGE cannot carry stops the start rather than
// failing every client's handshake later: TargetName and every AV pair value are limited to
// 65535 bytes ([MS-NLMP] 2.2.1.2 TargetNameFields, 2.2.2.1 AvLen), and the whole CHALLENGE
// must fit one |challenge_header| field.
ntlm::Status CheckIdentity(const ntlm::ServerConfig& engine, const char* challenge_header) {
  ntlm::ServerConfig config = engine;
  config.insecure_rewrite_challenge = nullptr;  // a --fault's rewrite is meant to be wrong
  ntlm::NegotiateMessage negotiate;
  negotiate.flags = ntlm::kNegotiateUnicode | ntlm::kRequestTarget | ntlm::kNegotiateSign |
                    ntlm::kNegotiateSeal | ntlm::kNegotiateNtlm | ntlm::kNegotiateAlwaysSign |
                    ntlm::kNegotiateExtendedSessionSecurity | ntlm::kNegotiateVersion |
                    ntlm::kNegotiate128 | ntlm::kNegotiateKeyExch | ntlm::kNegotiate56;
  negotiate.version = ntlm::kDefaultClientVersion;
  auto bytes = ntlm::EncodeNegotiate(negotiate);
  if (!bytes.ok()) {
    return bytes.error();
  }
  ntlm::ServerContext server(std::move(config));
  auto challenge = server.Challenge(*bytes);
  if (!challenge.ok()) {
    return challenge.error();
  }
  // The CHALLENGE goes out base64 in one header field (RFC 7235 4.1), which the server caps
  // at kMaxFieldValueBytes; SPNEGO (--scheme negotiate) wraps it in at most 64 more bytes.
  const size_t wrapped = challenge->size() + 64;
  const size_t value = std::string_view("Negotiate ").size() + (wrapped + 2) / 3 * 4;
  if (value > mock::kMaxFieldValueBytes) {
    return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "RFC 7235 4.1", challenge_header, 0,
                           "a CHALLENGE of " + std::to_string(challenge->size()) +
                               " bytes needs up to " + std::to_string(value) +
                               " bytes in one header field; the server's limit is " +
                               std::to_string(mock::kMaxFieldValueBytes));
  }
  return ntlm::Status();
}

}  // namespace

int RunServe(int argc, char** argv) {
  cxxopts::Options opts(
      kName,
      "Run the mock NTLM HTTP(S) server. It prints 'listening on URL' once it accepts\n"
      "connections and stops on SIGINT or SIGTERM. See mock_server/README.md.");
  // clang-format off
  opts.add_options()
      ("listen", "address:port to listen on (port 0: a free port)",
       cxxopts::value<std::string>()->default_value("127.0.0.1:0"))
      ("threads", "threads running the server", cxxopts::value<int>()->default_value("2"))
      ("user", "an account 'DOMAIN\\name:password' (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("users", "a credential-store file (lines DOMAIN:user:password or :nt=HASH)",
       cxxopts::value<std::string>())
      ("domain", "the NetBIOS domain the server announces",
       cxxopts::value<std::string>()->default_value("DOMAIN"))
      ("computer", "the NetBIOS computer name the server announces",
       cxxopts::value<std::string>()->default_value("SERVER"))
      ("scheme", "ntlm | negotiate | both", cxxopts::value<std::string>()->default_value("ntlm"))
      ("proxy", "act as a proxy: 407, Proxy-Authenticate, Proxy-Authorization; CONNECT "
       "host:port tunnels to loopback targets only (127.0.0.0/8, [::1], localhost)")
      ("auth-per-request", "every request needs its own handshake")
      ("lm-compat", "LmCompatibilityLevel 0..5", cxxopts::value<int>()->default_value("5"))
      ("min-server-sec", "NtlmMinServerSec: 0x20080000, or 128bit,ntlmv2-session",
       cxxopts::value<std::string>())
      ("epa", "channel bindings: off | accept | require",
       cxxopts::value<std::string>()->default_value("off"))
      ("require-mic", "refuse an AUTHENTICATE without a valid MIC")
      ("allow-anonymous", "accept anonymous AUTHENTICATE messages")
      ("target-info",
       "a name in the CHALLENGE's target info, NAME=VALUE (repeatable): dns-computer, "
       "dns-domain, dns-tree; an empty VALUE leaves the pair out",
       cxxopts::value<std::vector<std::string>>())
      ("target-type", "TargetName is the NetBIOS domain or computer: domain | server",
       cxxopts::value<std::string>()->default_value("domain"))
      ("no-timestamp", "no MsvAvTimestamp in the CHALLENGE")
      ("no-version", "no VERSION in the CHALLENGE")
      ("challenge", "a fixed 8-byte server challenge, hex (tests only)",
       cxxopts::value<std::string>())
      ("strict", "decode NEGOTIATE and AUTHENTICATE by the letter of the spec")
      ("lenient", "decode as Windows accepts (the default)")
      ("tls-cert", "PEM certificate chain for HTTPS", cxxopts::value<std::string>())
      ("tls-key", "PEM private key for HTTPS", cxxopts::value<std::string>())
      ("tls-self-signed", "HTTPS with a throwaway self-signed certificate")
      ("max-body", "largest request body, bytes", cxxopts::value<size_t>()->default_value("1048576"))
      ("max-connections", "connections served at once",
       cxxopts::value<size_t>()->default_value("1024"))
      ("idle-timeout", "seconds to read a request / keep an idle connection",
       cxxopts::value<double>()->default_value("30"))
      ("handshake-timeout", "seconds a CHALLENGE waits for its AUTHENTICATE",
       cxxopts::value<double>()->default_value("15"))
      ("log", "append one JSON line per handshake to FILE", cxxopts::value<std::string>())
      ("fault", "misbehave on purpose (repeatable); --fault list shows them",
       cxxopts::value<std::vector<std::string>>())
      ("h,help", "show this help");
  // clang-format on
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    return Usage(e.what());
  }
  if (args.count("help") != 0) {
    std::printf("%s\n", opts.help().c_str());
    return 0;
  }
  if (!args.unmatched().empty()) {
    return Usage("unexpected argument '" + args.unmatched()[0] + "'");
  }

  auto settings = std::make_shared<mock::Settings>();
  mock::ServerOptions options;
  if (!ParseListen(args["listen"].as<std::string>(), &options.host, &options.port)) {
    return Usage("--listen wants ADDRESS:PORT, e.g. 127.0.0.1:0");
  }
  options.threads = args["threads"].as<int>();
  if (options.threads < 1 || options.threads > 64) {
    return Usage("--threads wants 1..64");
  }

  // Faults first: --fault list prints them.
  if (args.count("fault") != 0) {
    for (const std::string& name : args["fault"].as<std::vector<std::string>>()) {
      if (name == "list") {
        for (const std::string& f : mock::AllFaultNames()) {
          std::printf("%s\n", f.c_str());
        }
        return 0;
      }
      auto fault = mock::ParseFault(name);
      if (!fault) {
        return Usage("unknown fault '" + name + "' (--fault list shows them)");
      }
      settings->faults.insert(*fault);
    }
  }

  // Accounts.
  ntlm::ServerConfig& engine = settings->engine;
  if (args.count("users") != 0) {
    const std::string path = args["users"].as<std::string>();
    std::string text;
    files::ReadProblem problem;
    if (!files::ReadRegularFile(path, kMaxUsersFileBytes, &text, &problem)) {
      return Usage(EscapeForTerminal("--users: cannot read " + path + ": " + problem.reason));
    }
    auto store = ntlm::CredentialStore::Parse(text);
    if (!store.ok()) {
      return Usage("--users: " + store.error().ToString());
    }
    engine.store = std::move(*store);
  }
  if (args.count("user") != 0) {
    for (const std::string& spec : args["user"].as<std::vector<std::string>>()) {
      const size_t colon = spec.find(':');
      if (colon == std::string::npos) {
        return Usage("--user wants 'DOMAIN\\name:password'");
      }
      const ntlm::UserName name = ntlm::SplitUserName(spec.substr(0, colon));
      const std::string domain =
          name.domain.empty() ? args["domain"].as<std::string>() : name.domain;
      ntlm::Status added = engine.store.Add(domain, name.user, spec.substr(colon + 1));
      if (!added.ok()) {
        return Usage("--user: " + added.error().reason);
      }
    }
  }
  if (engine.store.size() == 0 && args.count("allow-anonymous") == 0 &&
      !settings->Has(mock::Fault::kAnyPassword)) {
    std::fprintf(stderr, "%s: warning: no --user or --users: nobody can log in\n", kName);
  }

  // Identity and policies.
  engine.identity.nb_domain = args["domain"].as<std::string>();
  engine.identity.nb_computer = args["computer"].as<std::string>();
  engine.identity.send_timestamp = args.count("no-timestamp") == 0;
  if (args.count("target-info") != 0) {
    for (const std::string& spec : args["target-info"].as<std::vector<std::string>>()) {
      if (!ParseTargetInfoName(spec, &engine.identity)) {
        return Usage("--target-info wants dns-computer=NAME, dns-domain=NAME or dns-tree=NAME, "
                     "got '" + EscapeForTerminal(spec) + "'");
      }
    }
  }
  const std::string target_type = args["target-type"].as<std::string>();
  if (target_type != "domain" && target_type != "server") {
    return Usage("--target-type wants domain or server");
  }
  // [MS-NLMP] 2.2.1.2: TargetName is the domain with NTLMSSP_TARGET_TYPE_DOMAIN, the server's
  // name with NTLMSSP_TARGET_TYPE_SERVER.
  engine.identity.target_is_domain = target_type == "domain";
  if (args.count("no-version") != 0) {
    engine.identity.version.reset();
  }
  ntlm::ServerPolicy& policy = engine.policy;
  const int lm = args["lm-compat"].as<int>();
  if (lm < 0 || lm > 5) {
    return Usage("--lm-compat wants 0..5");
  }
  policy.lm_compatibility_level = lm;
  if (args.count("min-server-sec") != 0) {
    MinSecurity min;
    if (!ParseMinSecurity(args["min-server-sec"].as<std::string>(), &min)) {
      return Usage(
          "--min-server-sec wants a mask of 0x20000000|0x00080000 or 128bit,ntlmv2-session");
    }
    policy.require_128bit = min.require_128bit;
    policy.require_session_security = min.require_session_security;
  }
  policy.require_mic = args.count("require-mic") != 0;
  policy.allow_anonymous = args.count("allow-anonymous") != 0;
  if (args.count("strict") != 0 && args.count("lenient") != 0) {
    return Usage("give --strict or --lenient, not both");
  }
  policy.decode_policy =
      args.count("strict") != 0 ? ntlm::DecodePolicy::Strict() : ntlm::DecodePolicy::Lenient();

  const std::string scheme = args["scheme"].as<std::string>();
  if (scheme == "ntlm") {
    settings->scheme = mock::SchemeChoice::kNtlm;
  } else if (scheme == "negotiate") {
    settings->scheme = mock::SchemeChoice::kNegotiate;
  } else if (scheme == "both") {
    settings->scheme = mock::SchemeChoice::kBoth;
  } else {
    return Usage("--scheme wants ntlm, negotiate or both");
  }
  settings->proxy = args.count("proxy") != 0;
  settings->auth_per_request = args.count("auth-per-request") != 0;

  if (args.count("challenge") != 0) {
    ntlm::Bytes bytes;
    if (!ntlm::FromHex(args["challenge"].as<std::string>(), &bytes) || bytes.size() != 8) {
      return Usage("--challenge wants 16 hex digits");
    }
    ntlm::Challenge8 fixed{};
    std::copy(bytes.begin(), bytes.end(), fixed.begin());
    engine.fixed_challenge = fixed;
    std::fprintf(stderr,
                 "%s: warning: --challenge fixes the server challenge; every handshake can be "
                 "replayed. Use it for reproducible tests only.\n",
                 kName);
  } else if (settings->Has(mock::Fault::kSameChallenge)) {
    ntlm::Challenge8 one{};
    if (!ntlm::SystemEnvironment().Random(one).ok()) {
      return Usage("no randomness for --fault same-challenge");
    }
    engine.fixed_challenge = one;
  }

  // TLS and channel bindings.
  const bool self_signed = args.count("tls-self-signed") != 0;
  const bool cert = args.count("tls-cert") != 0;
  if (cert != (args.count("tls-key") != 0)) {
    return Usage("--tls-cert and --tls-key go together");
  }
  if (self_signed && cert) {
    return Usage("give --tls-self-signed or --tls-cert/--tls-key, not both");
  }
  if (self_signed) {
    options.tls = mock::TlsSource::kSelfSigned;
  } else if (cert) {
    options.tls = mock::TlsSource::kFiles;
    options.tls_cert_file = args["tls-cert"].as<std::string>();
    options.tls_key_file = args["tls-key"].as<std::string>();
  }
  const std::string epa = args["epa"].as<std::string>();
  if (epa == "off") {
    policy.epa = ntlm::EpaMode::kOff;
  } else if (epa == "accept") {
    policy.epa = ntlm::EpaMode::kAccept;
  } else if (epa == "require") {
    policy.epa = ntlm::EpaMode::kRequire;
  } else {
    return Usage("--epa wants off, accept or require");
  }

  // Limits.
  options.max_body_bytes = args["max-body"].as<size_t>();
  options.max_connections = args["max-connections"].as<size_t>();
  const double idle = args["idle-timeout"].as<double>();
  const double handshake = args["handshake-timeout"].as<double>();
  if (!(idle > 0 && idle <= 86400) || !(handshake > 0 && handshake <= 86400)) {
    return Usage("timeouts want seconds in (0, 86400]");
  }
  options.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(idle * 1000));
  options.handshake_timeout = std::chrono::milliseconds(static_cast<int64_t>(handshake * 1000));
  if (options.max_connections == 0) {
    return Usage("--max-connections wants at least 1");
  }

  if (ntlm::Status checked = CheckIdentity(
          engine, settings->proxy ? "Proxy-Authenticate" : "WWW-Authenticate");
      !checked.ok()) {
    return Usage(
        EscapeForTerminal("the CHALLENGE cannot carry the names of --domain, --computer "
                          "and --target-info: " +
                          checked.error().ToString()));
  }

  mock::HandshakeLog log;
  if (args.count("log") != 0) {
    if (!log.Open(args["log"].as<std::string>())) {
      return Usage("cannot open " + args["log"].as<std::string>());
    }
    settings->log = &log;
  }

  options.settings = settings;
  std::string error;
  const int rc = mock::RunServer(
      options,
      [](const std::string& url) {
        std::printf("listening on %s\n", url.c_str());
        std::fflush(stdout);
      },
      &error);
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", kName, EscapeForTerminal(error).c_str());
  }
  return rc;
}

}  // namespace ntlmh
