// The 200 echo body of `ntlmh serve` (mock_server/auth_gate.cc EchoJson) is built by hand for
// speed (issue #8); it must stay the text nlohmann::json prints for the same object, for every
// kind of name a client can send: plain, quoted, control characters, UTF-8, bad UTF-8.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/compute.h"
#include "mock_server/auth_gate.h"

namespace ntlmh::mock {
namespace {

using json = nlohmann::json;

// The reference: the object as nlohmann builds and prints it (keys sorted, no spaces).
std::string Reference(const ntlm::AcceptResult& who, const Request& request) {
  auto verdict = [](bool present, bool checked, bool valid) {
    return json{{"present", present},
                {"valid", present && !checked ? json(nullptr) : json(valid)}};
  };
  json out;
  out["user"] = who.user;
  out["domain"] = who.domain;
  out["workstation"] = who.workstation;
  out["response_kind"] =
      who.response_kind ? json(ntlm::ResponseKindName(*who.response_kind)) : json(nullptr);
  out["mic"] = verdict(who.mic_present, who.mic_checked, who.mic_valid);
  out["channel_bindings"] = verdict(who.channel_bindings_present, who.channel_bindings_checked,
                                    who.channel_bindings_valid);
  out["spn"] = who.spn ? json(*who.spn) : json(nullptr);
  out["method"] = request.method;
  out["path"] = request.target;
  out["content_type"] = request.content_type;
  out["body_length"] = request.body.size();
  out["body_sha256"] = Sha256Hex(request.body);
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

TEST(EchoJson, IsWhatNlohmannWouldPrint) {
  const std::vector<std::string> names = {
      "alice", "", "a\"b\\c", "tab\there", "nl\n\x01\x1f\x7f", "J\xc3\xbcrgen",
      "\xe2\x82\xac\xf0\x9f\x94\x91", "bad\xff\xfe", "cut\xc3", "\xc0\xaf", "x/y?z=1&w"};
  const std::string body = "{\"a\":1}";
  int cases = 0;
  for (const std::string& name : names) {
    for (int variant = 0; variant < 4; ++variant) {
      SCOPED_TRACE(::testing::Message() << "name " << ::testing::PrintToString(name)
                                        << " variant " << variant);
      ntlm::AcceptResult who;
      who.user = name;
      who.domain = variant == 1 ? "CORP" : name;
      who.workstation = variant == 2 ? "" : "WS-" + name;
      if (variant != 3) {
        who.response_kind =
            variant == 0 ? ntlm::ResponseKind::kNtlmV2 : ntlm::ResponseKind::kNtlmV1;
      }
      who.mic_present = variant != 0;
      who.mic_checked = variant >= 2;
      who.mic_valid = variant == 3;
      who.channel_bindings_present = variant % 2 == 1;
      who.channel_bindings_checked = variant == 3;
      who.channel_bindings_valid = variant == 3;
      if (variant == 1) {
        who.spn = "HTTP/" + name;
      }
      Request request;
      request.method = variant == 2 ? "POST" : "GET";
      request.target = variant == 0 ? "/" : "/p?" + name;
      request.content_type = variant == 2 ? "application/json" : name;
      request.body = variant == 2 ? std::string_view(body) : std::string_view();
      const std::string ours = EchoJson(who, request);
      EXPECT_EQ(ours, Reference(who, request));
      EXPECT_TRUE(json::accept(ours));
      ++cases;
    }
  }
  EXPECT_EQ(cases, 44);
}

}  // namespace
}  // namespace ntlmh::mock
