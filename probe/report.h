// The writers of a probe Report (probe.h): text, JSON, JUnit XML and HTML.
//
//   text:  a table (result, id, evidence) with the advice under each failure and a summary line.
//   json:  {"target", "checks": [{"id", "result", "reference", "evidence", "advice"}],
//           "summary": {"pass", "fail", "warn", "skip", "info"}}, plus "error" (not probed) and
//          "incomplete" (stopped by --max-time) when they apply
//   junit: <testsuites><testsuite name="ntlmh probe"> with one <testcase> per check; a fail is a
//          <failure>, a skip <skipped>, warn and info go to <system-out>.
//   html:  one self-contained page (inline CSS and SVG, no script, no external resource): the
//          summary, the handshake as a sequence diagram, the checks table.
// Every string from the report is escaped for its format; none holds a secret (probe.h).
#ifndef NTLMH_PROBE_REPORT_H_
#define NTLMH_PROBE_REPORT_H_

#include <optional>
#include <string>
#include <string_view>

#include "probe/probe.h"

namespace ntlmh::probe {

enum class Format : uint8_t { kText, kJson, kJunit, kHtml };
std::optional<Format> ParseFormat(std::string_view name);  // "text", "json", "junit", "html"

std::string WriteText(const Report& report);
std::string WriteJson(const Report& report);
std::string WriteJunit(const Report& report);
std::string WriteHtml(const Report& report);
std::string Write(const Report& report, Format format);

// Escapes & < > " ' for XML and HTML text and attributes; bytes below 0x20 other than tab and
// newline (not allowed in XML 1.0) become U+FFFD.
std::string XmlEscape(std::string_view text);

}  // namespace ntlmh::probe

#endif  // NTLMH_PROBE_REPORT_H_
