// ntlmh: the ntlm-harness command.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"vectors", ntlmh::RunVectors, "run NTLM test-vector files against the engine"},
    {"hash", ntlmh::RunHash, "compute NT hash, LM hash and NTOWFv2 of a password"},
    {"decode", ntlmh::RunDecode, "decode an NTLM message or auth header field by field"},
    {"serve", ntlmh::RunServe, "run the mock NTLM HTTP(S) server"},
    {"explain", ntlmh::RunExplain, "say why an NTLM handshake failed (tokens, HAR, pcap)"},
    {"request", ntlmh::RunRequest, "an HTTP request with NTLM authentication (Postman-like)"},
    {"probe", ntlmh::RunProbe, "grade an NTLM server's conformance and hardening"},
    {"load", ntlmh::RunLoad, "NTLM handshake throughput of an HTTP(S) server"},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: ntlmh <command> [options]\n\ncommands:\n");
  for (const auto& c : kSubcommands) {
    std::fprintf(out, "  %-9s %s\n", c.name, c.summary);
  }
  std::fprintf(out, "\n'ntlmh <command> --help' shows a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("ntlmh 0.1.0\n");
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (cmd == c.name) {
      return c.run(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "ntlmh: unknown command '%s'\n", cmd.c_str());
  PrintUsage(stderr);
  return 2;
}
