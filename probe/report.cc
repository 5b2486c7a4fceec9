#include "probe/report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ntlmh::probe {
namespace {

using Json = nlohmann::ordered_json;

std::string SummaryLine(const Summary& s) {
  return std::to_string(s.total()) + " checks: " + std::to_string(s.pass) + " pass, " +
         std::to_string(s.fail) + " fail, " + std::to_string(s.warn) + " warn, " +
         std::to_string(s.skip) + " skip, " + std::to_string(s.info) + " info";
}

const char* Upper(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "PASS";
    case Outcome::kFail:
      return "FAIL";
    case Outcome::kWarn:
      return "WARN";
    case Outcome::kSkip:
      return "SKIP";
    case Outcome::kInfo:
      return "INFO";
  }
  return "SKIP";
}

// Splits |text| into lines of at most |width| bytes at spaces (a longer word stays whole).
std::vector<std::string> Wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) {
      j = text.size();
    }
    const std::string word = text.substr(i, j - i);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    i = j + 1;
  }
  if (!line.empty() || lines.empty()) {
    lines.push_back(line);
  }
  return lines;
}

std::string Truncate(const std::string& s, size_t max_len) {
  return s.size() <= max_len ? s : s.substr(0, max_len - 3) + "...";
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") {
    return Format::kText;
  }
  if (name == "json") {
    return Format::kJson;
  }
  if (name == "junit") {
    return Format::kJunit;
  }
  if (name == "html") {
    return Format::kHtml;
  }
  return std::nullopt;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "\xef\xbf\xbd";  // U+FFFD
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string WriteText(const Report& report) {
  std::string out = "ntlmh probe: " + report.target + "\n\n";
  size_t id_width = 2;
  for (const CheckResult& c : report.checks) {
    id_width = std::max(id_width, c.id.size());
  }
  // 100 columns in all, but never less than 40 for the evidence.
  const size_t kEvidenceWidth = std::max<size_t>(40, 100 - std::min<size_t>(60, 8 + id_width));
  const std::string indent(6 + id_width + 2, ' ');
  for (const CheckResult& c : report.checks) {
    std::string head = std::string(Upper(c.result)) + "  " + c.id;
    head.resize(6 + id_width + 2, ' ');
    const std::vector<std::string> lines = Wrap(c.evidence, kEvidenceWidth);
    out += head + lines[0] + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      out += indent + lines[i] + "\n";
    }
    out += indent + "[" + c.reference + "]\n";
    if (!c.advice.empty()) {
      const std::vector<std::string> advice = Wrap("fix: " + c.advice, kEvidenceWidth);
      for (const auto& a : advice) {
        out += indent + a + "\n";
      }
    }
  }
  out += "\n";
  if (!report.fatal.empty()) {
    out += "not probed: " + report.fatal + "\n";
  }
  if (!report.incomplete.empty()) {
    out += "incomplete: " + report.incomplete + "\n";
  }
  out += SummaryLine(Summarize(report)) + "\n";
  return out;
}

std::string WriteJson(const Report& report) {
  Json root;
  root["target"] = report.target;
  Json checks = Json::array();
  for (const CheckResult& c : report.checks) {
    Json item;
    item["id"] = c.id;
    item["result"] = OutcomeName(c.result);
    item["reference"] = c.reference;
    item["evidence"] = c.evidence;
    item["advice"] = c.advice;
    checks.push_back(std::move(item));
  }
  root["checks"] = std::move(checks);
  const Summary s = Summarize(report);
  root["summary"] = {
      {"pass", s.pass}, {"fail", s.fail}, {"warn", s.warn}, {"skip", s.skip}, {"info", s.info}};
  if (!report.fatal.empty()) {
    root["error"] = report.fatal;
  }
  if (!report.incomplete.empty()) {
    root["incomplete"] = report.incomplete;
  }
  return root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string WriteJunit(const Report& report) {
  const Summary s = Summarize(report);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"ntlmh probe\" tests=\"" + std::to_string(s.total()) +
         "\" failures=\"" + std::to_string(s.fail) + "\" skipped=\"" + std::to_string(s.skip) +
         "\">\n";
  out += "  <testsuite name=\"ntlmh probe " + XmlEscape(report.target) + "\" tests=\"" +
         std::to_string(s.total()) + "\" failures=\"" + std::to_string(s.fail) + "\" errors=\"" +
         std::string(report.fatal.empty() ? "0" : "1") + "\" skipped=\"" + std::to_string(s.skip) +
         "\">\n";
  for (const CheckResult& c : report.checks) {
    const size_t dot = c.id.find('.');
    const std::string group = dot == std::string::npos ? c.id : c.id.substr(0, dot);
    out += "    <testcase classname=\"ntlmh.probe." + XmlEscape(group) + "\" name=\"" +
           XmlEscape(c.id) + "\">\n";
    const std::string detail = c.evidence + " [" + c.reference + "]";
    switch (c.result) {
      case Outcome::kFail:
        out += "      <failure message=\"" + XmlEscape(c.evidence) + "\">" +
               XmlEscape(detail + "\nfix: " + c.advice) + "</failure>\n";
        break;
      case Outcome::kSkip:
        out += "      <skipped message=\"" + XmlEscape(c.evidence) + "\"/>\n";
        break;
      case Outcome::kWarn:
        out += "      <system-out>" + XmlEscape("warn: " + detail + "\nfix: " + c.advice) +
               "</system-out>\n";
        break;
      case Outcome::kInfo:
        out += "      <system-out>" + XmlEscape("info: " + detail) + "</system-out>\n";
        break;
      case Outcome::kPass:
        out += "      <system-out>" + XmlEscape("pass: " + detail) + "</system-out>\n";
        break;
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string WriteHtml(const Report& report) {
  const Summary s = Summarize(report);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No script, no external resource: the policy says so to the browser as well.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n";
  out += "<title>ntlmh probe: " + XmlEscape(report.target) + "</title>\n";
  out += R"(<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#1d232a;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}
h2{font-size:1.1em;margin:1.6em 0 .6em}
.target{font-family:monospace;font-size:1.05em;color:#444}
.summary span{display:inline-block;margin:.8em .6em 0 0;padding:.25em .7em;
 border-radius:1em;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid #dde;padding:.45em .5em;text-align:left;vertical-align:top;
 overflow-wrap:anywhere}
th{background:#f3f4f8;white-space:nowrap}
td.id{font-family:monospace;white-space:nowrap}
td.ref{color:#555;min-width:9em}
.advice{color:#7a3b00;margin-top:.3em}
.r{font-weight:700;text-transform:uppercase;white-space:nowrap}
.pass{background:#e4f6e8;color:#16612c}.fail{background:#fde5e5;color:#a11616}
.warn{background:#fff3d6;color:#7a5600}.skip{background:#eef0f3;color:#555}
.info{background:#e5eefc;color:#1d4f9c}
.fatal{background:#fde5e5;color:#a11616;padding:.6em;border-radius:.3em}
svg text{font-family:monospace}
</style>
</head>
<body>
)";
  out +=
      "<h1>ntlmh probe report</h1>\n<div class=\"target\">" + XmlEscape(report.target) + "</div>\n";
  out += "<div class=\"summary\" id=\"summary\">";
  const struct {
    const char* cls;
    int n;
  } badges[] = {
      {"pass", s.pass}, {"fail", s.fail}, {"warn", s.warn}, {"skip", s.skip}, {"info", s.info}};
  for (const auto& b : badges) {
    out += "<span class=\"" + std::string(b.cls) + "\">" + std::to_string(b.n) + " " + b.cls +
           "</span>";
  }
  out += "</div>\n";
  if (!report.fatal.empty()) {
    out += "<p class=\"fatal\" id=\"fatal\">Not probed: " + XmlEscape(report.fatal) + "</p>\n";
  }
  if (!report.incomplete.empty()) {
    out += "<p class=\"fatal\" id=\"incomplete\">Incomplete: " + XmlEscape(report.incomplete) +
           "</p>\n";
  }

  // The handshake as a sequence diagram: the probe on the left, the server on the right.
  out += "<h2>Handshake</h2>\n";
  constexpr int kWidth = 860;
  constexpr int kLeft = 110;
  constexpr int kRight = 750;
  constexpr int kTop = 50;
  constexpr int kStep = 62;
  const int height = kTop + static_cast<int>(report.handshake.size()) * kStep + 20;
  out += "<svg id=\"handshake\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(kWidth) + " " + std::to_string(height) +
         "\" role=\"img\" aria-label=\"NTLM handshake sequence diagram\">\n";
  out +=
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
      "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
      "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n";
  const auto lifeline = [&](int x, const char* label) {
    out += "<rect x=\"" + std::to_string(x - 70) +
           "\" y=\"8\" width=\"140\" height=\"26\" "
           "rx=\"4\" fill=\"#f3f4f8\" stroke=\"#333\"/>";
    out += "<text x=\"" + std::to_string(x) +
           "\" y=\"26\" text-anchor=\"middle\" "
           "font-size=\"13\">" +
           label + "</text>\n";
    out += "<line x1=\"" + std::to_string(x) + "\" y1=\"34\" x2=\"" + std::to_string(x) +
           "\" y2=\"" + std::to_string(height - 8) +
           "\" stroke=\"#999\" "
           "stroke-dasharray=\"4 3\"/>\n";
  };
  lifeline(kLeft, "ntlmh probe");
  lifeline(kRight, "server");
  int y = kTop;
  for (const TraceStep& step : report.handshake) {
    y += kStep;
    const int from = step.from_client ? kLeft : kRight;
    const int to = step.from_client ? kRight : kLeft;
    out += "<g class=\"step\">";
    out += "<line x1=\"" + std::to_string(from) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" +
           std::to_string(to) + "\" y2=\"" + std::to_string(y) +
           "\" stroke=\"#333\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>";
    const int mid = (kLeft + kRight) / 2;
    out += "<text x=\"" + std::to_string(mid) + "\" y=\"" + std::to_string(y - 24) +
           "\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" +
           XmlEscape(Truncate(step.line, 80)) +
           " <tspan font-weight=\"normal\" fill=\"#666\">"
           "(connection " +
           std::to_string(step.connection) + ")</tspan></text>";
    out += "<text x=\"" + std::to_string(mid) + "\" y=\"" + std::to_string(y - 8) +
           "\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">" +
           XmlEscape(Truncate(step.detail, 100)) + "<title>" + XmlEscape(step.detail) +
           "</title></text>";
    out += "</g>\n";
  }
  out += "</svg>\n";

  out +=
      "<h2>Checks</h2>\n<table id=\"checks\">\n<thead><tr><th>Result</th><th>Check</th>"
      "<th>Evidence</th><th>Reference</th></tr></thead>\n<tbody>\n";
  for (const CheckResult& c : report.checks) {
    const std::string cls = OutcomeName(c.result);
    out += "<tr class=\"" + cls + "\" data-id=\"" + XmlEscape(c.id) + "\"><td class=\"r " + cls +
           "\">" + cls + "</td><td class=\"id\">" + XmlEscape(c.id) + "</td><td>" +
           XmlEscape(c.evidence);
    if (!c.advice.empty()) {
      out += "<div class=\"advice\">Fix: " + XmlEscape(c.advice) + "</div>";
    }
    out += "</td><td class=\"ref\">" + XmlEscape(c.reference) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n<p>" + XmlEscape(SummaryLine(s)) + "</p>\n</body>\n</html>\n";
  return out;
}

std::string Write(const Report& report, Format format) {
  switch (format) {
    case Format::kText:
      return WriteText(report);
    case Format::kJson:
      return WriteJson(report);
    case Format::kJunit:
      return WriteJunit(report);
    case Format::kHtml:
      return WriteHtml(report);
  }
  return WriteText(report);
}

}  // namespace ntlmh::probe
