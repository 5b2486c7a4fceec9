// ntlmh hash: the NT hash (NTOWFv1), LM hash (LMOWFv1) and, given a user, NTOWFv2 of a
// password ([MS-NLMP] 3.3.1, 3.3.2).
//
// The password comes from exactly one of --password, --password-stdin (one line; the trailing
// "\n" or "\r\n" is dropped) or the NTLM_PASSWORD environment variable (used when neither flag
// is given). Output, one "name: value" per line:
//   nt_hash: a4f49c406510bdcab6824ee7c30fd852
//   lm_hash: e52cac67419a9a224a3b108f3fa6cb6d
//   ntowfv2: 0c868a403bfd7a93a3001ef22ef02e3f        (only with --user)
// When LMOWFv1 cannot be computed the lm_hash line says why instead of a value:
//   lm_hash: (none: password longer than 14 characters)
//   lm_hash: (none: password has a character outside ISO-8859-1)
// With --json: {"nt_hash": "...", "lm_hash": "..." or null, "lm_hash_note": "...",
// "ntowfv2": "..."} (lm_hash_note only when lm_hash is null, ntowfv2 only with --user).
// Exit status: 0 ok, 2 usage or input error (no password, invalid UTF-8).
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "engine/bytes.h"
#include "engine/compute.h"

namespace ntlmh {
namespace {

// Keeps a password out of memory once the command is done with it.
struct WipedString {
  std::string value;
  ~WipedString() {
    if (!value.empty()) {
      OPENSSL_cleanse(value.data(), value.size());
    }
  }
};

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

}  // namespace

int RunHash(int argc, char** argv) {
  cxxopts::Options opts(
      "ntlmh hash",
      "Compute the NT hash, the LM hash and (with --user) NTOWFv2 of a password.\nThe password "
      "comes from --password, --password-stdin or the NTLM_PASSWORD environment variable.\n"
      "(--password is visible to other users in the process list; prefer the other two.)");
  opts.add_options()("password", "the password", cxxopts::value<std::string>())(
      "password-stdin", "read the password from the first line of stdin")(
      "user", "user name, for NTOWFv2 (upper-cased as the spec says)",
      cxxopts::value<std::string>())("domain", "domain name, for NTOWFv2 (kept as given)",
                                     cxxopts::value<std::string>())("json", "print JSON")(
      "h,help", "show this help");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ntlmh hash: %s\n", e.what());
    return 2;
  }
  if (args.count("help") != 0) {
    std::printf("%s\n", opts.help().c_str());
    return 0;
  }
  if (!args.unmatched().empty()) {
    std::fprintf(stderr, "ntlmh hash: unexpected argument '%s'\n", args.unmatched()[0].c_str());
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
  if (from_flag) {
    password.value = args["password"].as<std::string>();
  } else if (from_stdin) {
    if (!std::getline(std::cin, password.value) && password.value.empty()) {
      std::fprintf(stderr, "ntlmh hash: no password on stdin\n");
      return 2;
    }
    if (!password.value.empty() && password.value.back() == '\r') {
      password.value.pop_back();
    }
  } else if (const char* env = std::getenv("NTLM_PASSWORD"); env != nullptr) {
    password.value = env;
  } else {
    std::fprintf(stderr,
                 "ntlmh hash: no password: use --password, --password-stdin or NTLM_PASSWORD\n");
    return 2;
  }

  ntlm::Result<ntlm::Key16> nt = ntlm::NtOwfV1(password.value);
  if (!nt.ok()) {
    std::fprintf(stderr, "error: password at offset %zu: %s\n", nt.error().offset,
                 nt.error().reason.c_str());
    return 2;
  }
  const ntlm::Result<ntlm::Key16> lm = ntlm::LmOwfV1(password.value);

  std::optional<ntlm::Key16> v2;
  if (args.count("user") != 0) {
    const std::string user = args["user"].as<std::string>();
    const std::string domain =
        args.count("domain") != 0 ? args["domain"].as<std::string>() : std::string();
    ntlm::Result<ntlm::Key16> k = ntlm::NtOwfV2(*nt, user, domain);
    if (!k.ok()) {
      std::fprintf(stderr, "error: %s\n", k.error().ToString().c_str());
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
  if (v2.has_value()) {
    std::printf("ntowfv2: %s\n", ntlm::ToHex(*v2).c_str());
  }
  return 0;
}

}  // namespace ntlmh
