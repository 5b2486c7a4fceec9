// ntlmh hash: the NT hash (NTOWFv1), LM hash (LMOWFv1) and, given a user, NTOWFv2 of a
// password ([MS-NLMP] 3.3.1, 3.3.2).
//
// The password comes from exactly one of --password, --password-stdin or the NTLM_PASSWORD
// environment variable (used when neither flag is given).
//
// --password-stdin reads one line and nothing more: a byte at a time up to the first "\n", so
// whatever follows stays unread, and at most kMaxStdinPasswordBytes bytes (a longer line is an
// error, not truncated). The line end is "\n" or "\r\n": a "\r" just before the "\n" is dropped
// (so CRLF input from Windows tools gives the same password), any other "\r" is kept. A NUL byte
// is an error (no other source can carry one, and no Windows password holds one).
//
// An empty password is hashed (it is a real NTLM case: NTOWFv1 = 31d6cfe0d16ae931b73c59d7e0c089c0)
// with a warning on stderr naming its source, since it is most often an unset shell variable.
//
// Output, one "name: value" per line:
//   nt_hash: a4f49c406510bdcab6824ee7c30fd852
//   lm_hash: e52cac67419a9a224a3b108f3fa6cb6d
//   ntowfv2: 0c868a403bfd7a93a3001ef22ef02e3f        (only with --user)
// When LMOWFv1 cannot be computed the lm_hash line says why instead of a value:
//   lm_hash: (none: password longer than 14 characters)
//   lm_hash: (none: password has a character outside ISO-8859-1)
// When the password has a non-ASCII character, a note follows lm_hash: LMOWFv1 upper-cases and
// encodes the password in the OEM code page, which is ISO-8859-1 here and the system's OEM code
// page (CP437, CP850, ...) on Windows, so Windows may compute another value
// (docs/deviations.md):
//   lm_hash_note: computed with ISO-8859-1 as the OEM code page; ...
// With --json: {"nt_hash": "...", "lm_hash": "..." or null, "lm_hash_note": "...",
// "lm_hash_oem_code_page": "ISO-8859-1", "ntowfv2": "..."}: lm_hash_note when lm_hash is null
// (why) or the password is not ASCII (the caveat), lm_hash_oem_code_page only in the latter case,
// ntowfv2 only with --user.
//
// No message ever holds the password or a byte of it: a UTF-8 error names the password's source
// and the offset only, and command-line errors do not repeat the arguments, which may hold it.
// Exit status: 0 ok, 2 usage or input error (no password, invalid UTF-8, a line too long).
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>

#include "cli/commands.h"
#include "cli/terminal_text.h"
#include "engine/bytes.h"
#include "engine/compute.h"

namespace ntlmh {
namespace {

// The longest password line --password-stdin takes, without its line end.
constexpr size_t kMaxStdinPasswordBytes = 64 * 1024;

constexpr char kOemNote[] =
    "computed with ISO-8859-1 as the OEM code page; Windows uses the system's OEM code page "
    "(CP437, CP850, ...) and may give another value for a non-ASCII password";

// Keeps a password out of memory once the command is done with it.
struct WipedString {
  std::string value;
  ~WipedString() {
    if (!value.empty()) {
      OPENSSL_cleanse(value.data(), value.size());
    }
  }
};

enum class PasswordSource : uint8_t { kArgument, kStdin, kEnvironment };

// How messages name a source.
const char* SourceName(PasswordSource source) {
  switch (source) {
    case PasswordSource::kArgument:
      return "--password";
    case PasswordSource::kStdin:
      return "stdin";
    case PasswordSource::kEnvironment:
      return "NTLM_PASSWORD";
  }
  return "?";
}

enum class LineRead : uint8_t { kOk, kNothing, kTooLong, kNulByte, kError };

// Reads one line from |fd| into |*out| (see the file comment). The buffer is reserved up front
// so that no copy of the password is left behind by a reallocation.
LineRead ReadPasswordLine(int fd, std::string* out, int* out_errno) {
  out->clear();
  out->reserve(kMaxStdinPasswordBytes + 1);  // the line and a "\r"
  bool read_any = false;  // any byte, the "\n" included: an empty line is an empty password
  bool newline = false;
  LineRead result = LineRead::kOk;
  char c = 0;
  while (true) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      *out_errno = errno;
      result = LineRead::kError;
      break;
    }
    if (n == 0) {
      break;
    }
    read_any = true;
    if (c == '\n') {
      newline = true;
      break;
    }
    if (c == '\0') {
      result = LineRead::kNulByte;
      break;
    }
    if (out->size() == kMaxStdinPasswordBytes + 1) {
      result = LineRead::kTooLong;
      break;
    }
    out->push_back(c);
  }
  OPENSSL_cleanse(&c, 1);

  if (result != LineRead::kOk) {
    return result;
  }
  if (!read_any) {
    return LineRead::kNothing;
  }
  if (newline && !out->empty() && out->back() == '\r') {
    out->pop_back();
  }
  if (out->size() > kMaxStdinPasswordBytes) {
    return LineRead::kTooLong;
  }
  return LineRead::kOk;
}

std::string LmNote(const ntlm::Error& e) {
  switch (e.code) {
    case ntlm::ErrorCode::kTooLarge:
      return "password longer than 14 characters";
    case ntlm::ErrorCode::kInvalidArgument:
      return "password has a character outside ISO-8859-1";
    default:
      return "password cannot be encoded";
  }
}

bool HasNonAscii(const std::string& s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return true;
    }
  }
  return false;
}

constexpr char kArgsNotShown[] =
    "(arguments are not repeated here, as they may hold a password); see 'ntlmh hash --help'";

}  // namespace

int RunHash(int argc, char** argv) {
  cxxopts::Options opts(
      "ntlmh hash",
      "Compute the NT hash, the LM hash and (with --user) NTOWFv2 of a password.\nThe password "
      "comes from --password, --password-stdin or the NTLM_PASSWORD environment variable.\n"
      "(--password is visible to other users in the process list; prefer the other two.)\n"
      "--password-stdin reads the first line only, at most 65536 bytes; its line end, \"\\n\" or "
      "\"\\r\\n\", is\nnot part of the password (a \"\\r\" before the \"\\n\" is dropped). An "
      "empty password is hashed,\nwith a warning. For a non-ASCII password, lm_hash assumes "
      "ISO-8859-1 as the OEM code page\n(Windows uses the system's: CP437, CP850, ...) and a "
      "note says so.");
  opts.add_options()("password", "the password", cxxopts::value<std::string>())(
      "password-stdin", "read the password from the first line of stdin (see above)")(
      "user", "user name, for NTOWFv2 (upper-cased as the spec says)",
      cxxopts::value<std::string>())("domain", "domain name, for NTOWFv2 (kept as given)",
                                     cxxopts::value<std::string>())("json", "print JSON")(
      "h,help", "show this help");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::missing_argument& e) {
    // These name one of the options above, never an argument's value.
    std::fprintf(stderr, "ntlmh hash: %s\n", EscapeForTerminal(e.what()).c_str());
    return 2;
  } catch (const cxxopts::exceptions::option_requires_argument& e) {
    std::fprintf(stderr, "ntlmh hash: %s\n", EscapeForTerminal(e.what()).c_str());
    return 2;
  } catch (const cxxopts::exceptions::no_such_option&) {
    std::fprintf(stderr, "ntlmh hash: unknown option %s\n", kArgsNotShown);
    return 2;
  } catch (const std::exception&) {
    std::fprintf(stderr, "ntlmh hash: invalid command line %s\n", kArgsNotShown);
    return 2;
  }
  if (args.count("help") != 0) {
    std::printf("%s\n", opts.help().c_str());
    return 0;
  }
  if (!args.unmatched().empty()) {
    std::fprintf(stderr, "ntlmh hash: unexpected argument %s; quote a password that holds spaces\n",
                 kArgsNotShown);
    return 2;
  }
  const bool from_flag = args.count("password") != 0;
  const bool from_stdin = args.count("password-stdin") != 0;
  if (from_flag && from_stdin) {
    std::fprintf(stderr, "ntlmh hash: give --password or --password-stdin, not both\n");
    return 2;
  }
  if (args.count("domain") != 0 && args.count("user") == 0) {
    std::fprintf(stderr, "ntlmh hash: --domain needs --user\n");
    return 2;
  }

  WipedString password;
  PasswordSource source = PasswordSource::kArgument;
  if (from_flag) {
    password.value = args["password"].as<std::string>();
  } else if (from_stdin) {
    source = PasswordSource::kStdin;
    int error = 0;
    switch (ReadPasswordLine(STDIN_FILENO, &password.value, &error)) {
      case LineRead::kOk:
        break;
      case LineRead::kNothing:
        std::fprintf(stderr, "ntlmh hash: no password on stdin\n");
        return 2;
      case LineRead::kTooLong:
        std::fprintf(stderr, "ntlmh hash: the password line on stdin is longer than %zu bytes\n",
                     kMaxStdinPasswordBytes);
        return 2;
      case LineRead::kNulByte:
        std::fprintf(stderr, "ntlmh hash: the password line on stdin holds a NUL byte\n");
        return 2;
      case LineRead::kError:
        std::fprintf(stderr, "ntlmh hash: cannot read stdin: %s\n",
                     std::generic_category().message(error).c_str());
        return 2;
    }
  } else if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
    source = PasswordSource::kEnvironment;
    password.value = env;
  } else {
    std::fprintf(stderr,
                 "ntlmh hash: no password: use --password, --password-stdin or NTLM_PASSWORD\n");
    return 2;
  }
  if (password.value.empty()) {
    std::fprintf(stderr, "ntlmh hash: warning: the password from %s is empty; hashing it\n",
                 SourceName(source));
  }

  ntlm::Result<ntlm::Key16> nt = ntlm::NtOwfV1(password.value);
  if (!nt.ok()) {
    // The engine's reason is already free of the password; the line says only where.
    std::fprintf(stderr, "error: password from %s at offset %zu: not valid UTF-8\n",
                 SourceName(source), nt.error().offset);
    return 2;
  }
  const ntlm::Result<ntlm::Key16> lm = ntlm::LmOwfV1(password.value);
  const bool oem_caveat = lm.ok() && HasNonAscii(password.value);

  std::optional<ntlm::Key16> v2;
  if (args.count("user") != 0) {
    const std::string user = args["user"].as<std::string>();
    const std::string domain =
        args.count("domain") != 0 ? args["domain"].as<std::string>() : std::string();
    ntlm::Result<ntlm::Key16> k = ntlm::NtOwfV2(*nt, user, domain);
    if (!k.ok()) {
      std::fprintf(stderr, "error: %s\n", EscapeForTerminal(k.error().ToString()).c_str());
      return 2;
    }
    v2 = *k;
  }

  const std::string nt_hex = ntlm::ToHex(*nt);
  if (args.count("json") != 0) {
    nlohmann::json out;
    out["nt_hash"] = nt_hex;
    if (lm.ok()) {
      out["lm_hash"] = ntlm::ToHex(*lm);
    } else {
      out["lm_hash"] = nullptr;
      out["lm_hash_note"] = LmNote(lm.error());
    }
    if (oem_caveat) {
      out["lm_hash_note"] = kOemNote;
      out["lm_hash_oem_code_page"] = "ISO-8859-1";
    }
    if (v2.has_value()) {
      out["ntowfv2"] = ntlm::ToHex(*v2);
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  std::printf("nt_hash: %s\n", nt_hex.c_str());
  if (lm.ok()) {
    std::printf("lm_hash: %s\n", ntlm::ToHex(*lm).c_str());
  } else {
    std::printf("lm_hash: (none: %s)\n", LmNote(lm.error()).c_str());
  }
  if (oem_caveat) {
    std::printf("lm_hash_note: %s\n", kOemNote);
  }
  if (v2.has_value()) {
    std::printf("ntowfv2: %s\n", ntlm::ToHex(*v2).c_str());
  }
  return 0;
}

}  // namespace ntlmh
