// ntlmh decode: NTLM messages field by field ([MS-NLMP] 2.2).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <cxxopts.hpp>

#include "cli/commands.h"
#include "cli/describe.h"

namespace ntlmh {

int RunDecode(int argc, char** argv) {
  cxxopts::Options opts("ntlmh decode",
                        "Decode NTLM messages: base64, hex, 'NTLM <b64>', 'Negotiate <b64>', or "
                        "whole header lines.\nWithout TEXT, reads stdin (one input per line).");
  opts.add_options()("json", "print JSON")(
      "lenient", "decode with the lenient policy (what Windows accepts) instead of strict")(
      "h,help", "show this help")("text", "input", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"text"});
  opts.positional_help("[TEXT]...");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ntlmh decode: %s\n", e.what());
    return 2;
  }
  if (args.count("help") != 0) {
    std::printf("%s\n", opts.help().c_str());
    return 0;
  }
  const bool json = args.count("json") != 0;
  const ntlm::DecodePolicy policy =
      args.count("lenient") != 0 ? ntlm::DecodePolicy::Lenient() : ntlm::DecodePolicy::Strict();

  std::vector<std::string> inputs;
  if (args.count("text") != 0) {
    inputs = args["text"].as<std::vector<std::string>>();
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r\n") != std::string::npos) {
        inputs.push_back(line);
      }
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "error: input at offset 0: no input\n");
    return 2;
  }

  Json all = Json::array();
  int status = 0;
  for (const std::string& in : inputs) {
    auto tokens = ExtractTokens(in);
    if (!tokens.ok()) {
      std::fprintf(stderr, "error: %s\n", tokens.error().ToString().c_str());
      status = 2;
      continue;
    }
    for (const FoundToken& t : *tokens) {
      auto d = DescribeMessage(t.bytes, policy);
      if (!d.ok()) {
        std::fprintf(stderr, "error: %s\n", d.error().ToString().c_str());
        status = 2;
        continue;
      }
      Json desc = std::move(d).value();
      if (json) {
        Json entry;
        entry["origin"] = t.origin;
        entry.update(desc);
        all.push_back(std::move(entry));
      } else {
        if (t.origin != "input") {
          std::printf("[%s]\n", t.origin.c_str());
        }
        std::printf("%s", RenderText(desc).c_str());
      }
    }
  }
  if (json) {
    std::printf("%s\n", (all.size() == 1 ? all[0] : all).dump(2).c_str());
  }
  return status;
}

}  // namespace ntlmh
