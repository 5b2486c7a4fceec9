// ntlmh decode: NTLM messages field by field ([MS-NLMP] 2.2), from arguments or standard input.
//
// Standard input is read one line at a time and each line is decoded and printed (and flushed)
// before the next is read, so the command works at the end of a pipeline (`tail -f log |
// ntlmh decode`) and holds at most one line, of at most kMaxLineBytes, whatever it is fed.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "cli/commands.h"
#include "cli/describe.h"
#include "cli/terminal_text.h"

namespace ntlmh {

namespace {

constexpr size_t kMaxLineBytes = size_t{1} << 20;  // 1 MiB
// A line that goes on this long past its first kMaxLineBytes (65 MiB in all) without a newline
// is not text (`< /dev/zero`): stop reading rather than skip forever.
constexpr size_t kMaxSkippedBytes = size_t{64} << 20;  // 64 MiB

constexpr char kEpilogue[] =
    "Input (each argument, or each line of standard input when there is no TEXT or TEXT is -):\n"
    "  base64        TlRMTVNTUAABAAAA...  (whitespace inside is removed: wrapped pastes work)\n"
    "  hex           4e544c4d..., 0x4e544c4d..., '4e 54 4c 4d ...', 4e:54:4c:4d:... (Wireshark)\n"
    "  scheme+token  'NTLM <base64>', 'Negotiate <base64>' (SPNEGO is unwrapped, RFC 4178)\n"
    "  header line   'WWW-Authenticate: Negotiate, NTLM <base64>', 'Authorization: ...' and the\n"
    "                Proxy- forms, also as curl -v prints them ('< WWW-Authenticate: ...').\n"
    "  A bare 'WWW-Authenticate: NTLM' is a server's offer: reported, not an error.\n"
    "\n"
    "Standard input: lines without authentication content are skipped (curl's '*', '{' and '}'\n"
    "lines, HTTP status and request lines, other headers, '#' comments, blank lines, lines that\n"
    "name neither NTLM nor Negotiate); each line is decoded and printed as soon as it is read.\n"
    "A line longer than 1 MiB is an error and is skipped (65 MiB without a newline ends the\n"
    "input); a token may decode to at most 65536 bytes.\n"
    "\n"
    "Output: text, or with --json one JSON object per line (JSON Lines) for each message, offer\n"
    "or error, in input order:\n"
    "  {\"line\": N (standard input only), \"origin\": \"WWW-Authenticate: NTLM\", then\n"
    "   either the message's fields, or \"offer\": \"NTLM\", or \"error\": {\"code\", \"rule\",\n"
    "   \"field\", \"offset\", \"reason\"}}\n"
    "JSON escapes everything outside printable ASCII (\\uXXXX). Text shows strings from the\n"
    "message in quotes, with control characters as \\xNN (C1 and bidi controls as \\u{hex}).\n"
    "\n"
    "Errors go to stderr as 'error: [line N: ]<field> at offset <n>: <reason> [<rule>]'. Offsets\n"
    "in header, base64 and hex errors count bytes of the input line from 0; offsets in message\n"
    "errors count bytes of the decoded message (of the NTLM message inside SPNEGO).\n"
    "--lenient accepts what Windows accepts; every deviation it lets through is still a note.\n"
    "\n"
    "Exit status: 0 when everything decoded, 2 on any error or when standard input held no\n"
    "token at all.\n";

// Reads lines from a stdio stream. Each stdio refill is one read(2), so a line is returned as
// soon as its newline arrives. A line never grows past kMaxLineBytes: Next() reports kTooLong
// once, and the next call skips the rest of that line without keeping it, or reports kNotText
// when no newline comes within kMaxSkippedBytes.
class LineReader {
 public:
  enum class Status { kLine, kTooLong, kNotText, kEnd };

  explicit LineReader(std::FILE* in) : in_(in) {}

  Status Next(std::string* line) {
    line->clear();
    int c = 0;
    if (skipping_) {
      skipping_ = false;
      size_t skipped = 0;
      while ((c = getc_unlocked(in_)) != EOF && c != '\n') {
        if (++skipped > kMaxSkippedBytes) {
          return Status::kNotText;
        }
      }
      if (c == EOF) {
        return Status::kEnd;
      }
    }
    c = getc_unlocked(in_);
    if (c == EOF) {
      return Status::kEnd;
    }
    ++number_;
    while (c != EOF && c != '\n') {
      if (line->size() == kMaxLineBytes) {
        line->clear();
        line->shrink_to_fit();
        skipping_ = true;
        return Status::kTooLong;
      }
      line->push_back(static_cast<char>(c));
      c = getc_unlocked(in_);
    }
    return Status::kLine;
  }

  size_t line_number() const { return number_; }

 private:
  std::FILE* in_;
  size_t number_ = 0;
  bool skipping_ = false;
};

class Decoder {
 public:
  Decoder(bool json, ntlm::DecodePolicy policy) : json_(json), policy_(policy) {}

  // Decodes and prints everything in one input. |where| prefixes error lines ("line 3: ");
  // |line| goes into JSON documents for stdin.
  void Input(std::string_view text, InputSource source, const std::string& where,
             std::optional<size_t> line) {
    LineTokens tokens = ExtractTokens(text, source);
    for (FoundToken& t : tokens.found) {
      ++found_;
      if (t.error.has_value()) {
        Error(where, t.origin, line, *t.error);
        continue;
      }
      if (!t.offer.empty()) {
        if (json_) {
          Json doc = Start(t.origin, line);
          doc["offer"] = t.offer;
          PrintJson(doc);
        } else {
          Print("[" + EscapeForTerminal(t.origin) + "] offer without a message\n");
        }
        continue;
      }
      auto d = DescribeMessage(t.bytes, policy_);
      if (!d.ok()) {
        Error(where, t.origin, line, d.error());
        continue;
      }
      if (json_) {
        Json doc = Start(t.origin, line);
        doc.update(*d);
        PrintJson(doc);
      } else {
        std::string out;
        if (t.origin != "input") {
          out = "[" + EscapeForTerminal(t.origin) + "]\n";
        }
        Print(out + RenderText(*d));
      }
    }
    std::fflush(stdout);
  }

  // Reports an error: a line on stderr and, with --json, a document on stdout.
  void Error(const std::string& where, const std::string& origin, std::optional<size_t> line,
             const ntlm::Error& e) {
    status_ = 2;
    const std::string msg = EscapeForTerminal("error: " + where + e.ToString()) + "\n";
    std::fwrite(msg.data(), 1, msg.size(), stderr);
    if (json_) {
      Json doc = Start(origin, line);
      doc["error"] = Json{{"code", ntlm::ErrorCodeName(e.code)},
                          {"rule", e.rule},
                          {"field", e.field},
                          {"offset", e.offset},
                          {"reason", e.reason}};
      PrintJson(doc);
    }
  }

  size_t found() const { return found_; }
  int status() const { return status_; }
  // False once stdout cannot be written (a closed pipe with SIGPIPE ignored).
  bool output_ok() const { return std::ferror(stdout) == 0; }

 private:
  static Json Start(const std::string& origin, std::optional<size_t> line) {
    Json doc;
    if (line.has_value()) {
      doc["line"] = *line;
    }
    doc["origin"] = origin;
    return doc;
  }

  static void Print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

  static void PrintJson(const Json& doc) {
    // ensure_ascii: no byte of the input reaches a terminal raw, and the output stays valid
    // JSON even for a string that is not UTF-8.
    Print(doc.dump(-1, ' ', true, Json::error_handler_t::replace) + "\n");
  }

  bool json_;
  ntlm::DecodePolicy policy_;
  size_t found_ = 0;
  int status_ = 0;
};

int DecodeStdin(Decoder* d) {
  LineReader reader(stdin);
  std::string line;
  while (true) {
    const LineReader::Status s = reader.Next(&line);
    if (s == LineReader::Status::kEnd) {
      break;
    }
    const size_t n = reader.line_number();
    const std::string where = "line " + std::to_string(n) + ": ";
    if (s == LineReader::Status::kNotText) {
      d->Error(
          where, "input", n,
          ntlm::MakeError(
              ntlm::ErrorCode::kTooLarge, kRuleUsage, "input", kMaxLineBytes + kMaxSkippedBytes,
              "no end of line in " + std::to_string((kMaxLineBytes + kMaxSkippedBytes) >> 20) +
                  " MiB: the input is not text; stopped reading"));
      std::fflush(stdout);
      return 2;
    }
    if (s == LineReader::Status::kTooLong) {
      d->Error(where, "input", n,
               ntlm::MakeError(ntlm::ErrorCode::kTooLarge, kRuleUsage, "input", kMaxLineBytes,
                               "the line is longer than " + std::to_string(kMaxLineBytes) +
                                   " bytes; the rest of it is skipped"));
      std::fflush(stdout);
      continue;
    }
    d->Input(line, InputSource::kStream, where, n);
    if (!d->output_ok()) {
      std::fprintf(stderr, "ntlmh decode: standard output: %s\n", std::strerror(errno));
      return 2;
    }
  }
  if (std::ferror(stdin) != 0) {
    std::fprintf(stderr, "ntlmh decode: standard input: %s\n", std::strerror(errno));
    return 2;
  }
  if (d->found() == 0) {
    d->Error("", "input", std::nullopt,
             ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "MS-NTHT 2.2", "input", 0,
                             "no NTLM or Negotiate token on standard input"));
    std::fflush(stdout);
  }
  return d->status();
}

}  // namespace

int RunDecode(int argc, char** argv) {
  cxxopts::Options opts("ntlmh decode",
                        "Decode NTLM messages field by field: base64, hex, 'NTLM <b64>', "
                        "'Negotiate <b64>', or whole header lines.");
  opts.add_options()("json", "print JSON Lines: one object per message, offer or error")(
      "lenient", "decode with the lenient policy (what Windows accepts) instead of strict")(
      "h,help", "show this help")("text", "input", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"text"});
  opts.positional_help("[TEXT|-]...");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ntlmh decode: %s\n", e.what());
    return 2;
  }
  if (args.count("help") != 0) {
    const std::string help = opts.help() + "\n" + kEpilogue;
    std::fwrite(help.data(), 1, help.size(), stdout);
    return 0;
  }
  Decoder decoder(args.count("json") != 0, args.count("lenient") != 0
                                               ? ntlm::DecodePolicy::Lenient()
                                               : ntlm::DecodePolicy::Strict());

  std::vector<std::string> inputs;
  if (args.count("text") != 0) {
    inputs = args["text"].as<std::vector<std::string>>();
  }
  if (inputs.empty() || (inputs.size() == 1 && inputs[0] == "-")) {
    return DecodeStdin(&decoder);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string where =
        inputs.size() > 1 ? "argument " + std::to_string(i + 1) + ": " : std::string();
    decoder.Input(inputs[i], InputSource::kArgument, where, std::nullopt);
  }
  return decoder.status();
}

}  // namespace ntlmh
