// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/ as browsers implement it).
#include "explain/har.h"

#include <nlohmann/json.hpp>

#include "engine/http_auth.h"

namespace ntlmh::explain {

namespace {

using Json = nlohmann::json;

constexpr char kRule[] = "HAR 1.2";

ntlm::Error HarError(std::string field, size_t offset, std::string reason) {
  return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, kRule, std::move(field), offset,
                         std::move(reason));
}

// Refuses nesting deeper than kMaxHarDepth before nlohmann builds anything: the parser would
// otherwise allocate a value per level of "[[[[...".
std::optional<ntlm::Error> CheckDepth(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxHarDepth) {
        return ntlm::MakeError(
            ntlm::ErrorCode::kTooLarge, kRule, "JSON", i,
            "objects and arrays nest deeper than " + std::to_string(kMaxHarDepth) + " levels");
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

const std::string* StringAt(const Json& obj, const char* key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return nullptr;
  }
  return it->get_ptr<const std::string*>();
}

// Only these headers are used by the analysis (transcript.h); the others are not kept.
bool KeptHeader(std::string_view name) {
  for (const char* n : {"Authorization", "Proxy-Authorization", "WWW-Authenticate",
                        "Proxy-Authenticate", "Connection", "Proxy-Connection", "X-NTLM-Reject"}) {
    if (ntlm::http_auth::EqualsIgnoreCase(name, n)) {
      return true;
    }
  }
  return false;
}

// Headers of a request or response; false (with a note) when they are not a list of pairs.
bool ReadHeaders(const Json& msg, const std::string& where, HttpMessage* out,
                 std::vector<std::string>* notes) {
  auto it = msg.find("headers");
  if (it == msg.end()) {
    return true;
  }
  if (!it->is_array()) {
    notes->push_back(where + ": headers is not an array; skipped");
    return false;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& h = (*it)[i];
    const std::string* name = StringAt(h, "name");
    const std::string* value = StringAt(h, "value");
    if (name == nullptr || value == nullptr) {
      notes->push_back(where + ": headers[" + std::to_string(i) +
                       "] is not a {name, value} pair; skipped");
      continue;
    }
    if (KeptHeader(*name)) {
      out->headers.push_back(HttpHeader{*name, *value});
    }
  }
  return true;
}

// The body's length: "bodySize" when it gives one (postData.text may be base64, with an
// "encoding" field, when the body is not UTF-8), else the length of postData.text.
// A negative bodySize (HAR 1.2: -1 is "not available") with no postData text: unknown.
size_t BodySize(const Json& msg, bool* unknown) {
  *unknown = false;
  auto size = msg.find("bodySize");
  if (size != msg.end() && size->is_number_integer() && size->get<int64_t>() > 0) {
    return static_cast<size_t>(size->get<int64_t>());
  }
  auto post = msg.find("postData");
  if (post != msg.end()) {
    if (const std::string* text = StringAt(*post, "text")) {
      return text->size();
    }
  }
  *unknown = size != msg.end() && size->is_number() && size->get<double>() < 0;
  return 0;
}

// Keys of a HAR the analysis never reads: dropped while parsing, so the JSON held stays small.
bool DroppedKey(const std::string& key) {
  for (const char* k : {"timings", "cookies", "queryString", "cache", "content", "initiator",
                        "_initiator", "pages", "creator", "browser", "comment", "params"}) {
    if (key == k) {
      return true;
    }
  }
  return false;
}

}  // namespace

ntlm::Result<Transcript> ReadHar(std::string_view text) {
  if (text.size() > kMaxHarBytes) {
    return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, kRule, "file", kMaxHarBytes,
                           "larger than " + std::to_string(kMaxHarBytes >> 20) + " MiB");
  }
  // A file that does not start as JSON is named so at its first byte, before anything else.
  size_t first = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    first = 3;  // a UTF-8 byte order mark, as some tools write it
  }
  while (first < text.size() && (text[first] == ' ' || text[first] == '\t' ||
                                 text[first] == '\r' || text[first] == '\n')) {
    ++first;
  }
  if (first == text.size() || (text[first] != '{' && text[first] != '[')) {
    return HarError("JSON", first,
                    "not JSON: a HAR file is a JSON object and starts with '{' (RFC 8259 2)");
  }
  if (auto deep = CheckDepth(text)) {
    return *deep;
  }
  Json root;
  bool in_entries = false;
  size_t entry_count = 0;
  try {
    // Also drops the entries after the first kMaxHarEntries as each one ends (an entry is an
    // object ending at depth 3, inside the array of the key "entries" at depth 2), counting
    // them, so memory does not grow with the entry count.
    const Json::parser_callback_t drop = [&](int depth, Json::parse_event_t event,
                                             Json& parsed) {
      if (event == Json::parse_event_t::key && parsed.is_string()) {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (depth == 2) {
          in_entries = key == "entries";
        }
        return !DroppedKey(key);
      }
      if (in_entries && depth == 3 && event == Json::parse_event_t::object_end) {
        return ++entry_count <= kMaxHarEntries;
      }
      if (depth == 2 && event == Json::parse_event_t::array_end) {
        in_entries = false;
      }
      return true;
    };
    root = Json::parse(text.begin() + static_cast<std::ptrdiff_t>(first), text.end(), drop);
  } catch (const Json::parse_error& e) {
    std::string reason = e.what();
    const size_t bracket = reason.find("] ");
    if (reason.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      reason = reason.substr(bracket + 2);
    }
    return HarError("JSON", e.byte > 0 ? e.byte - 1 : 0, "not JSON: " + reason);
  }
  if (!root.is_object() || !root.contains("log") || !root["log"].is_object() ||
      !root["log"].contains("entries") || !root["log"]["entries"].is_array()) {
    return HarError("log.entries", 0, "not a HAR file: no log.entries array");
  }

  Transcript t;
  const Json& entries = root["log"]["entries"];
  if (entry_count > kMaxHarEntries) {
    t.notes.push_back("more than " + std::to_string(kMaxHarEntries) + " entries; " +
                      std::to_string(entry_count - kMaxHarEntries) + " later one(s) not read");
  }
  if (auto err = StringAt(root["log"], "_error")) {
    t.recorded_error = err->substr(0, 256);
  }
  for (size_t i = 0; i < entries.size() && i < kMaxHarEntries; ++i) {
    const Json& entry = entries[i];
    const std::string where = "entry " + std::to_string(i + 1);
    if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object()) {
      t.notes.push_back(where + ": no request object; skipped");
      continue;
    }
    const Json& req = entry["request"];
    Exchange e;
    e.where = where;
    if (const std::string* method = StringAt(req, "method")) {
      e.request.method = *method;
    }
    if (const std::string* url = StringAt(req, "url")) {
      e.request.target = *url;
      e.tls = url->rfind("https:", 0) == 0 || url->rfind("HTTPS:", 0) == 0;
    }
    if (!ReadHeaders(req, where + " request", &e.request, &t.notes)) {
      continue;
    }
    e.request.body_length = BodySize(req, &e.request.body_unknown);
    auto conn = entry.find("connection");
    if (conn != entry.end() && conn->is_string()) {
      e.connection = conn->get<std::string>().substr(0, 64);
    } else if (conn != entry.end() && conn->is_number_integer()) {
      e.connection = std::to_string(conn->get<int64_t>());
    }
    auto resp = entry.find("response");
    if (resp != entry.end() && resp->is_object()) {
      auto status = resp->find("status");
      const bool integral = status != resp->end() && status->is_number_integer();
      const int64_t code = integral ? status->get<int64_t>() : -1;
      if (integral && code > 0 && code < 1000) {
        HttpMessage r;
        r.status = static_cast<int>(code);
        if (ReadHeaders(*resp, where + " response", &r, &t.notes)) {
          e.response = std::move(r);
        }
      } else if (integral && code == 0) {
        // HAR 1.2 has no field for a failed request; tools write status 0 (ntlmh request adds
        // "_error"): no response came.
        const std::string* error = StringAt(*resp, "_error");
        e.error = error != nullptr ? error->substr(0, 256) : std::string("status 0, no response");
      } else if (status != resp->end() && status->is_number()) {
        t.notes.push_back(where + " response: status " + status->dump() +
                          " is outside 0..999; the response is treated as unknown");
      }
    }
    t.exchanges.push_back(std::move(e));
  }
  return t;
}

}  // namespace ntlmh::explain
