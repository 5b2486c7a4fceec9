// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/ as browsers implement it).
#include "explain/har.h"

#include <nlohmann/json.hpp>

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
    out->headers.push_back(HttpHeader{*name, *value});
  }
  return true;
}

// The body's length: "bodySize" when it gives one (postData.text may be base64, with an
// "encoding" field, when the body is not UTF-8), else the length of postData.text.
size_t BodySize(const Json& msg) {
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
  return 0;
}

}  // namespace

ntlm::Result<Transcript> ReadHar(std::string_view text) {
  if (text.size() > kMaxHarBytes) {
    return ntlm::MakeError(ntlm::ErrorCode::kTooLarge, kRule, "file", kMaxHarBytes,
                           "larger than " + std::to_string(kMaxHarBytes >> 20) + " MiB");
  }
  if (auto deep = CheckDepth(text)) {
    return *deep;
  }
  Json root;
  try {
    root = Json::parse(text);
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
  for (size_t i = 0; i < entries.size(); ++i) {
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
    e.request.body_length = BodySize(req);
    auto conn = entry.find("connection");
    if (conn != entry.end() && conn->is_string()) {
      e.connection = conn->get<std::string>().substr(0, 64);
    } else if (conn != entry.end() && conn->is_number_integer()) {
      e.connection = std::to_string(conn->get<int64_t>());
    }
    auto resp = entry.find("response");
    if (resp != entry.end() && resp->is_object()) {
      auto status = resp->find("status");
      if (status != resp->end() && status->is_number_integer() && status->get<int64_t>() > 0 &&
          status->get<int64_t>() < 1000) {
        HttpMessage r;
        r.status = static_cast<int>(status->get<int64_t>());
        if (ReadHeaders(*resp, where + " response", &r, &t.notes)) {
          e.response = std::move(r);
        }
      }
    }
    t.exchanges.push_back(std::move(e));
  }
  return t;
}

}  // namespace ntlmh::explain
