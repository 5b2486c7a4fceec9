// ntlmh explain: why an NTLM handshake failed, from its messages, a HAR file or a packet
// capture (issue #9). The readers and the analysis live in explain/; this file is options,
// input and output.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/terminal_text.h"
#include "engine/compute.h"
#include "explain/analyze.h"
#include "explain/har.h"
#include "explain/pcap.h"
#include "explain/transcript.h"
#include "files/read_file.h"

namespace ntlmh {

namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxLineBytes = size_t{1} << 20;    // a line of standard input
constexpr size_t kMaxStdinBytes = size_t{16} << 20;  // all of standard input
constexpr size_t kMaxCertBytes = size_t{1} << 20;

constexpr char kEpilogue[] =
    "Input (one of):\n"
    "  TOKENS...     base64 NTLM/SPNEGO tokens, 'NTLM <b64>', 'Negotiate <b64>' or header lines\n"
    "                ('WWW-Authenticate: ...', 'Authorization: ...', curl -v's '< '/'> ' lines)\n"
    "  (none)        the same, one per line on standard input; other lines are skipped\n"
    "  --har FILE    a HAR file (browsers, Postman, proxies); Chrome's \"connection\" ties\n"
    "                exchanges to their TCP connection\n"
    "  --pcap FILE   a pcap or pcapng capture: TCP reassembled, HTTP/1.1 found on any port\n"
    "\n"
    "Secrets (optional; never printed): --password-stdin (first line of standard input), the\n"
    "NTLM_PASSWORD environment variable, or --nt-hash HEX. With one of them the NTProofStr,\n"
    "the other spellings of user and domain, and the MIC are checked. -u/-d name the account\n"
    "as it should have been sent. --cert FILE (PEM or DER): the server's certificate, to check\n"
    "the channel binding hash (RFC 5929 tls-server-end-point).\n"
    "\n"
    "Output: per handshake, the causes found, most likely first, each with its [MS-NLMP]\n"
    "section (or RFC) and the evidence; --json prints one JSON document.\n"
    "\n"
    "Exit status: 0 when every handshake would succeed, 1 when a cause was found, 2 when the\n"
    "input cannot be read or holds no NTLM handshake, 3 when no cause was found but a\n"
    "handshake cannot be judged because the capture lost data where one of its legs belongs.\n";

constexpr char kEmptyPassword[] =
    "--password-stdin: standard input gave an empty password (its first line is the password)";

void Write(std::FILE* f, const std::string& s) { std::fwrite(s.data(), 1, s.size(), f); }

// One line of output, escaped once.
void Line(const std::string& s) { Write(stdout, EscapeForTerminal(s) + "\n"); }

int Fail(bool json, const std::string& where, const ntlm::Error& e) {
  Write(stderr,
        EscapeForTerminal("error: " + (where.empty() ? "" : where + ": ") + e.ToString()) + "\n");
  if (json) {
    Json doc;
    doc["error"] = Json{{"input", where},     {"code", ntlm::ErrorCodeName(e.code)},
                        {"rule", e.rule},     {"field", e.field},
                        {"offset", e.offset}, {"reason", e.reason}};
    Write(stdout, doc.dump(2, ' ', true, Json::error_handler_t::replace) + "\n");
  }
  return 2;
}

int Usage(const std::string& text) {
  Write(stderr, EscapeForTerminal("ntlmh explain: " + text) + "\n");
  return 2;
}

// Reads a whole regular file of at most |limit| bytes; a device, FIFO or directory is refused
// unread (files/read_file.h).
ntlm::Result<std::string> ReadFile(const std::string& path, size_t limit) {
  std::string out;
  files::ReadProblem problem;
  if (files::ReadRegularFile(path, limit, &out, &problem)) {
    return out;
  }
  if (problem.kind == files::ReadProblem::Kind::kTooLarge) {
    return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "", "file", limit,
                           "larger than " + std::to_string(limit) + " bytes");
  }
  return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "", "file", 0, problem.reason);
}

// Standard input as lines, after the password line when |skip_first| (--password-stdin).
ntlm::Result<std::vector<explain::TextInput>> ReadStdinLines(std::string* first_line,
                                                             bool want_first, bool want_rest) {
  std::vector<explain::TextInput> out;
  std::string line;
  size_t number = 0;
  size_t total = 0;
  int c = 0;
  bool more = true;
  while (more) {
    line.clear();
    while ((c = std::getchar()) != EOF && c != '\n') {
      if (line.size() == kMaxLineBytes) {
        return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "ntlmh explain --help",
                               "line " + std::to_string(number + 1), kMaxLineBytes,
                               "longer than " + std::to_string(kMaxLineBytes) + " bytes");
      }
      line.push_back(static_cast<char>(c));
    }
    more = c != EOF;
    if (!more && line.empty()) {
      break;
    }
    ++number;
    total += line.size() + 1;
    if (total > kMaxStdinBytes) {
      return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, "ntlmh explain --help", "standard input",
                             kMaxStdinBytes, "more than 16 MiB");
    }
    if (want_first && number == 1) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      *first_line = line;
      if (!want_rest) {
        break;
      }
      continue;
    }
    out.push_back(explain::TextInput{"line " + std::to_string(number), line});
  }
  return out;
}

Json FindingJson(const explain::Finding& f) {
  return Json{{"id", f.id}, {"rule", f.rule}, {"summary", f.summary}, {"evidence", f.evidence}};
}

void PrintText(size_t index, const explain::Verdict& v) {
  Line("handshake " + std::to_string(index) + ": " + v.label);
  if (!v.response_kind.empty()) {
    Line("  user \"" + v.user + "\", domain \"" + v.domain + "\", workstation \"" + v.workstation +
         "\", " + v.response_kind);
  }
  if (v.outcome == explain::Outcome::kSuccess) {
    Line("  result: success: nothing found that would make the server refuse it");
  } else if (v.outcome == explain::Outcome::kUndecided) {
    Line("  result: cannot tell: the capture is incomplete");
  } else {
    Line("  result: failure; " + std::to_string(v.causes.size()) +
         (v.causes.size() == 1 ? " cause" : " causes") + ", most likely first:");
  }
  for (size_t i = 0; i < v.causes.size(); ++i) {
    const explain::Finding& f = v.causes[i];
    Line("  " + std::to_string(i + 1) + ". " + f.id + ": " + f.summary + " [" + f.rule + "]");
    for (const std::string& e : f.evidence) {
      Line("       evidence: " + e);
    }
  }
  for (const explain::Finding& f : v.warnings) {
    Line("  warning: " + f.id + ": " + f.summary + " [" + f.rule + "]");
    for (const std::string& e : f.evidence) {
      Line("       evidence: " + e);
    }
  }
  for (const std::string& c : v.checks) {
    Line("  checked: " + c);
  }
}

}  // namespace

int RunExplain(int argc, char** argv) {
  cxxopts::Options opts("ntlmh explain",
                        "Say why an NTLM handshake failed, from its messages, a HAR file or a "
                        "packet capture.");
  opts.add_options()("har", "a HAR file", cxxopts::value<std::string>())(
      "pcap", "a pcap or pcapng file", cxxopts::value<std::string>())(
      "u,user", "the account's user name (DOMAIN\\user, user@domain or user)",
      cxxopts::value<std::string>())("d,domain", "the account's domain",
                                     cxxopts::value<std::string>())(
      "password-stdin", "read the password from the first line of standard input")(
      "nt-hash", "the account's NT hash, 32 hex digits", cxxopts::value<std::string>())(
      "cert", "the server's certificate (PEM or DER), to check channel bindings",
      cxxopts::value<std::string>())("json", "print one JSON document")("h,help", "show this help")(
      "tokens", "tokens", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"tokens"});
  opts.positional_help("[TOKENS...]");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    return Usage(e.what());
  }
  if (args.count("help") != 0) {
    Write(stdout, opts.help() + "\n" + kEpilogue);
    return 0;
  }
  const bool json = args.count("json") != 0;
  std::vector<std::string> tokens;
  if (args.count("tokens") != 0) {
    tokens = args["tokens"].as<std::vector<std::string>>();
  }
  const size_t sources = (tokens.empty() ? 0 : 1) + args.count("har") + args.count("pcap");
  if (sources > 1) {
    return Usage("give tokens, --har or --pcap, one of them");
  }
  const bool password_stdin = args.count("password-stdin") != 0;
  if (password_stdin && args.count("nt-hash") != 0) {
    return Usage("--password-stdin and --nt-hash exclude each other");
  }

  explain::Secrets secrets;
  if (args.count("user") != 0) {
    secrets.user = args["user"].as<std::string>();
  }
  if (args.count("domain") != 0) {
    secrets.domain = args["domain"].as<std::string>();
  }
  if (args.count("nt-hash") != 0) {
    auto h = ntlm::ParseNtHash(args["nt-hash"].as<std::string>());
    if (!h.ok()) {
      return Usage("--nt-hash wants 32 hex digits");
    }
    secrets.nt_hash = *h;
  } else if (!password_stdin) {
    if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
      secrets.password = env;
    }
  }
  if (args.count("cert") != 0) {
    const std::string path = args["cert"].as<std::string>();
    auto file = ReadFile(path, kMaxCertBytes);
    if (!file.ok()) {
      return Fail(json, path, file.error());
    }
    auto der = explain::LoadCertificate(ntlm::AsBytes(*file));
    if (!der.ok()) {
      return Fail(json, path, der.error());
    }
    if (auto check = ntlm::TlsServerEndPointBindingsHash(*der); !check.ok()) {
      return Fail(json, path, check.error());
    }
    secrets.certificate_der = std::move(*der);
  }

  // Input.
  std::vector<std::string> notes;
  std::vector<explain::Handshake> handshakes;
  std::string input_name;
  // With a file or tokens as the input, standard input holds the password alone (its first
  // line); without them, the password is the first line of the messages read there.
  if (password_stdin && (args.count("har") != 0 || args.count("pcap") != 0 || !tokens.empty())) {
    std::string pw;
    auto ignored = ReadStdinLines(&pw, true, false);
    if (!ignored.ok()) {
      return Fail(json, "standard input", ignored.error());
    }
    if (pw.empty()) {
      return Usage(kEmptyPassword);
    }
    secrets.password = pw;
  }
  if (args.count("har") != 0 || args.count("pcap") != 0) {
    ntlm::Result<explain::Transcript> t = explain::Transcript{};
    if (args.count("har") != 0) {
      input_name = args["har"].as<std::string>();
      auto text = ReadFile(input_name, explain::kMaxHarBytes);
      if (!text.ok()) {
        return Fail(json, input_name, text.error());
      }
      t = explain::ReadHar(*text);
    } else {
      input_name = args["pcap"].as<std::string>();
      t = explain::ReadPcap(input_name);
    }
    if (!t.ok()) {
      return Fail(json, input_name, t.error());
    }
    notes = t->notes;
    handshakes = explain::GroupHandshakes(*t, &notes);
  } else {
    std::vector<explain::TextInput> inputs;
    bool stream = false;
    if (!tokens.empty()) {
      input_name = "arguments";
      for (size_t i = 0; i < tokens.size(); ++i) {
        inputs.push_back(explain::TextInput{"argument " + std::to_string(i + 1), tokens[i]});
      }
    } else {
      input_name = "standard input";
      stream = true;
      std::string pw;
      auto lines = ReadStdinLines(&pw, password_stdin, true);
      if (!lines.ok()) {
        return Fail(json, input_name, lines.error());
      }
      if (password_stdin) {
        if (pw.empty()) {
          return Usage(kEmptyPassword);
        }
        secrets.password = pw;
      }
      inputs = std::move(*lines);
    }
    auto found = explain::HandshakesFromText(inputs, stream, &notes);
    if (!found.ok()) {
      return Fail(json, "", found.error());
    }
    handshakes = std::move(*found);
  }

  if (handshakes.empty()) {
    for (const std::string& n : notes) {
      Write(stderr, EscapeForTerminal("note: " + n) + "\n");
    }
    return Fail(json, input_name,
                ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "MS-NTHT 2.2", "input", 0,
                                "no NTLM handshake found"));
  }

  // 1 when any handshake has a cause; else 3 when one cannot be judged (the capture lost data
  // where a leg belongs: no cause was found, so it is not 1); else 0.
  int status = 0;
  bool undecided = false;
  Json doc;
  doc["handshakes"] = Json::array();
  for (size_t i = 0; i < handshakes.size(); ++i) {
    const explain::Verdict v = explain::Analyze(handshakes[i], secrets);
    if (v.outcome == explain::Outcome::kFailure) {
      status = 1;
    } else if (v.outcome == explain::Outcome::kUndecided) {
      undecided = true;
    }
    if (json) {
      Json h{{"handshake", i + 1},
             {"where", v.label},
             {"outcome", v.outcome == explain::Outcome::kSuccess     ? "success"
                         : v.outcome == explain::Outcome::kUndecided ? "undecided"
                                                                     : "failure"}};
      if (!v.response_kind.empty()) {
        h["user"] = v.user;
        h["domain"] = v.domain;
        h["workstation"] = v.workstation;
        h["response"] = v.response_kind;
      }
      if (v.final_status) {
        h["http_status"] = *v.final_status;
      }
      h["causes"] = Json::array();
      for (const auto& f : v.causes) {
        h["causes"].push_back(FindingJson(f));
      }
      h["warnings"] = Json::array();
      for (const auto& f : v.warnings) {
        h["warnings"].push_back(FindingJson(f));
      }
      h["checks"] = v.checks;
      doc["handshakes"].push_back(std::move(h));
    } else {
      PrintText(i + 1, v);
    }
  }
  if (json) {
    doc["notes"] = notes;
    Write(stdout, doc.dump(2, ' ', true, Json::error_handler_t::replace) + "\n");
  } else {
    for (const std::string& n : notes) {
      Line("note: " + n);
    }
  }
  return status == 0 && undecided ? 3 : status;
}

}  // namespace ntlmh
