// The writers of probe/report.h on a hand-built report: exact text, JSON and JUnit, and the
// escaping of hostile strings in every format.
#include "probe/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "probe/probe.h"

namespace ntlmh::probe {
namespace {

Report Sample() {
  Report r;
  r.target = "http://127.0.0.1:8080/a?b=<c>&d=\"e\"";
  r.checks = {
      {"http.offers_ntlm", Outcome::kPass, "RFC 7235 4.1; MS-NTHT 2.2",
       "HTTP 401, WWW-Authenticate: NTLM", ""},
      {"policy.ntlmv1_refused", Outcome::kFail, "MS-NLMP 3.3.1; 3.2.5.1.2",
       "an NTLMv1 response: accepted, HTTP 200", "accept NTLMv2 only"},
      {"policy.epa_enforced", Outcome::kSkip, "MS-NLMP 3.2.5.1.2; RFC 5929 4",
       "plain HTTP: there is no channel to bind", ""},
      {"info.server", Outcome::kInfo, "MS-NLMP 2.2.2.1; 2.2.2.10",
       "TargetName \"<script>alert(1)</script>\" & 'x'\x01", ""},
      {"challenge.well_formed", Outcome::kWarn, "MS-NLMP 2.2.1.2", "SHOULD note", "fix the fields"},
  };
  r.handshake = {
      {true, 1, "GET /", "no Authorization"},
      {false, 1, "401 Unauthorized", "WWW-Authenticate: NTLM"},
      {true, 2, "GET /", "Authorization: NTLM <NEGOTIATE, 40 bytes, flags 0xe2088207>"},
      {false, 2, "401 Unauthorized",
       "WWW-Authenticate: NTLM <CHALLENGE, 1 bytes, target \"</text><script>\">"},
  };
  return r;
}

TEST(ProbeReport, SummaryAndExitStatus) {
  Report r = Sample();
  const Summary s = Summarize(r);
  EXPECT_EQ(s.pass, 1);
  EXPECT_EQ(s.fail, 1);
  EXPECT_EQ(s.warn, 1);
  EXPECT_EQ(s.skip, 1);
  EXPECT_EQ(s.info, 1);
  EXPECT_EQ(ExitStatus(r), 1);
  r.checks[1].result = Outcome::kPass;
  EXPECT_EQ(ExitStatus(r), 0);
  r.fatal = "the server does not offer NTLM";
  EXPECT_EQ(ExitStatus(r), 2);
}

// Stopped by --max-time (Report::incomplete): 1 when a check failed before, else 2; every
// format says so.
TEST(ProbeReport, IncompleteRun) {
  Report r = Sample();
  r.incomplete = "the probe's time limit (--max-time 2 s) was reached";
  EXPECT_EQ(ExitStatus(r), 1);
  r.checks[1].result = Outcome::kPass;
  EXPECT_EQ(ExitStatus(r), 2);
  EXPECT_EQ(nlohmann::json::parse(WriteJson(r))["incomplete"], r.incomplete);
  EXPECT_NE(WriteText(r).find("\nincomplete: the probe's time limit (--max-time 2 s) was "
                              "reached\n"),
            std::string::npos);
  EXPECT_NE(WriteHtml(r).find("<p class=\"fatal\" id=\"incomplete\">Incomplete: the "
                              "probe&#39;s time limit (--max-time 2 s) was reached</p>"),
            std::string::npos);
  EXPECT_FALSE(nlohmann::json::parse(WriteJson(Sample())).contains("incomplete"));
}

TEST(ProbeReport, Json) {
  const nlohmann::json j = nlohmann::json::parse(WriteJson(Sample()));
  const nlohmann::json expected = {
      {"target", "http://127.0.0.1:8080/a?b=<c>&d=\"e\""},
      {"checks",
       {{{"id", "http.offers_ntlm"},
         {"result", "pass"},
         {"reference", "RFC 7235 4.1; MS-NTHT 2.2"},
         {"evidence", "HTTP 401, WWW-Authenticate: NTLM"},
         {"advice", ""}},
        {{"id", "policy.ntlmv1_refused"},
         {"result", "fail"},
         {"reference", "MS-NLMP 3.3.1; 3.2.5.1.2"},
         {"evidence", "an NTLMv1 response: accepted, HTTP 200"},
         {"advice", "accept NTLMv2 only"}},
        {{"id", "policy.epa_enforced"},
         {"result", "skip"},
         {"reference", "MS-NLMP 3.2.5.1.2; RFC 5929 4"},
         {"evidence", "plain HTTP: there is no channel to bind"},
         {"advice", ""}},
        {{"id", "info.server"},
         {"result", "info"},
         {"reference", "MS-NLMP 2.2.2.1; 2.2.2.10"},
         {"evidence", "TargetName \"<script>alert(1)</script>\" & 'x'\x01"},
         {"advice", ""}},
        {{"id", "challenge.well_formed"},
         {"result", "warn"},
         {"reference", "MS-NLMP 2.2.1.2"},
         {"evidence", "SHOULD note"},
         {"advice", "fix the fields"}}}},
      {"summary", {{"pass", 1}, {"fail", 1}, {"warn", 1}, {"skip", 1}, {"info", 1}}}};
  EXPECT_EQ(j, expected);
  // Key order as documented.
  const std::string raw = WriteJson(Sample());
  EXPECT_LT(raw.find("\"target\""), raw.find("\"checks\""));
  EXPECT_LT(raw.find("\"checks\""), raw.find("\"summary\""));
  EXPECT_LT(raw.find("\"id\""), raw.find("\"result\""));
  EXPECT_LT(raw.find("\"result\""), raw.find("\"reference\""));
  EXPECT_LT(raw.find("\"reference\""), raw.find("\"evidence\""));
  EXPECT_LT(raw.find("\"evidence\""), raw.find("\"advice\""));
}

TEST(ProbeReport, Junit) {
  const std::string expected =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"ntlmh probe\" tests=\"5\" failures=\"1\" skipped=\"1\">\n"
      "  <testsuite name=\"ntlmh probe http://127.0.0.1:8080/a?b=&lt;c&gt;&amp;d=&quot;e&quot;\" "
      "tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\">\n"
      "    <testcase classname=\"ntlmh.probe.http\" name=\"http.offers_ntlm\">\n"
      "      <system-out>pass: HTTP 401, WWW-Authenticate: NTLM [RFC 7235 4.1; MS-NTHT "
      "2.2]</system-out>\n"
      "    </testcase>\n"
      "    <testcase classname=\"ntlmh.probe.policy\" name=\"policy.ntlmv1_refused\">\n"
      "      <failure message=\"an NTLMv1 response: accepted, HTTP 200\">an NTLMv1 response: "
      "accepted, HTTP 200 [MS-NLMP 3.3.1; 3.2.5.1.2]\nfix: accept NTLMv2 only</failure>\n"
      "    </testcase>\n"
      "    <testcase classname=\"ntlmh.probe.policy\" name=\"policy.epa_enforced\">\n"
      "      <skipped message=\"plain HTTP: there is no channel to bind\"/>\n"
      "    </testcase>\n"
      "    <testcase classname=\"ntlmh.probe.info\" name=\"info.server\">\n"
      "      <system-out>info: TargetName &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; "
      "&amp; &#39;x&#39;\xef\xbf\xbd [MS-NLMP 2.2.2.1; 2.2.2.10]</system-out>\n"
      "    </testcase>\n"
      "    <testcase classname=\"ntlmh.probe.challenge\" name=\"challenge.well_formed\">\n"
      "      <system-out>warn: SHOULD note [MS-NLMP 2.2.1.2]\nfix: fix the "
      "fields</system-out>\n"
      "    </testcase>\n"
      "  </testsuite>\n"
      "</testsuites>\n";
  EXPECT_EQ(WriteJunit(Sample()), expected);
}

TEST(ProbeReport, Text) {
  const std::string text = WriteText(Sample());
  const std::string expected =
      "ntlmh probe: http://127.0.0.1:8080/a?b=<c>&d=\"e\"\n"
      "\n"
      "PASS  http.offers_ntlm       HTTP 401, WWW-Authenticate: NTLM\n"
      "                             [RFC 7235 4.1; MS-NTHT 2.2]\n"
      "FAIL  policy.ntlmv1_refused  an NTLMv1 response: accepted, HTTP 200\n"
      "                             [MS-NLMP 3.3.1; 3.2.5.1.2]\n"
      "                             fix: accept NTLMv2 only\n"
      "SKIP  policy.epa_enforced    plain HTTP: there is no channel to bind\n"
      "                             [MS-NLMP 3.2.5.1.2; RFC 5929 4]\n"
      "INFO  info.server            TargetName \"<script>alert(1)</script>\" & 'x'\x01\n"
      "                             [MS-NLMP 2.2.2.1; 2.2.2.10]\n"
      "WARN  challenge.well_formed  SHOULD note\n"
      "                             [MS-NLMP 2.2.1.2]\n"
      "                             fix: fix the fields\n"
      "\n"
      "5 checks: 1 pass, 1 fail, 1 warn, 1 skip, 1 info\n";
  EXPECT_EQ(text, expected);
}

TEST(ProbeReport, HtmlEscapesEverything) {
  const std::string html = WriteHtml(Sample());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("</text><script>"), std::string::npos);
  EXPECT_NE(html.find("TargetName &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp; "
                      "&#39;x&#39;\xef\xbf\xbd"),
            std::string::npos);
  EXPECT_NE(html.find("<title>ntlmh probe: http://127.0.0.1:8080/a?b=&lt;c&gt;&amp;d=&quot;e&quot;"
                      "</title>"),
            std::string::npos);
  // One arrow per handshake step, and one row per check.
  size_t arrows = 0;
  for (size_t at = html.find("marker-end=\"url(#arrow)\""); at != std::string::npos;
       at = html.find("marker-end=\"url(#arrow)\"", at + 1)) {
    ++arrows;
  }
  EXPECT_EQ(arrows, 4u);
  EXPECT_NE(html.find("<tr class=\"fail\" data-id=\"policy.ntlmv1_refused\">"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"advice\">Fix: accept NTLMv2 only</div>"), std::string::npos);
  // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a fetch).
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("url(http"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
}

TEST(ProbeReport, ParseFormat) {
  EXPECT_EQ(ParseFormat("text"), Format::kText);
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_EQ(ParseFormat("junit"), Format::kJunit);
  EXPECT_EQ(ParseFormat("html"), Format::kHtml);
  EXPECT_EQ(ParseFormat("xml"), std::nullopt);
}

TEST(ProbeCatalogue, IdsAreUniqueAndMatchTheGlobs) {
  std::set<std::string> ids;
  for (const CheckInfo& c : Catalogue()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_FALSE(std::string(c.reference).empty()) << c.id;
    EXPECT_EQ(FindCheck(c.id), &c);
  }
  EXPECT_EQ(ids.size(), 30u);  // 27 without --robustness, 3 with it
  EXPECT_TRUE(MatchesChecks("*", "auth.mic_verified"));
  EXPECT_TRUE(MatchesChecks("policy.*,auth.mic_*", "auth.mic_verified"));
  EXPECT_FALSE(MatchesChecks("policy.*", "auth.mic_verified"));
  EXPECT_TRUE(MatchesChecks("", "auth.mic_verified"));
  EXPECT_EQ(FindCheck("no.such"), nullptr);
}

}  // namespace
}  // namespace ntlmh::probe
