// `ntlmh serve` writes its answers with SerializeReply (mock_server/reply_wire.h), not Beast's
// serializer (issue #8: speed). The bytes must be the ones Beast wrote for the same message, so
// every client sees the server it saw before: checked here against Beast itself, over statuses,
// versions, keep-alive, repeated and padded fields and bodies; plus two answers spelt out.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mock_server/reply_wire.h"

namespace ntlmh::mock {
namespace {

namespace http = boost::beast::http;

// What the server sent before: Beast's response, serialized by Beast.
std::string BeastBytes(int status, unsigned version, const Reply& reply, bool keep_alive) {
  http::response<http::string_body> res(static_cast<http::status>(status), version);
  res.set(http::field::server, "ntlmh-mock");
  for (const auto& [name, value] : reply.headers) {
    res.insert(name, value);
  }
  if (!reply.content_type.empty()) {
    res.set(http::field::content_type, reply.content_type);
  }
  res.body() = reply.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

TEST(SerializeReply, SameBytesAsBeast) {
  int cases = 0;
  for (int status : {200, 400, 401, 403, 407, 413, 431, 500, 502, 299, 599}) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {false, true}) {
        for (int shape = 0; shape < 3; ++shape) {
          SCOPED_TRACE(::testing::Message() << status << " " << version << " " << keep_alive
                                            << " " << shape);
          Reply reply;
          if (shape >= 1) {
            reply.headers = {{"WWW-Authenticate", "Negotiate"},
                             {"WWW-Authenticate", "NTLM "},
                             {"X-NTLM-Error", "  token68 at offset 3\t"}};
            reply.content_type = "text/plain";
            reply.body = "refused\n";
          }
          if (shape == 2) {
            reply.headers.emplace_back("WWW-Authenticate", "NTLM " + std::string(300, 'A'));
            reply.headers.emplace_back("x-ntlm-error", "second");
            reply.content_type = "application/json";
            reply.body = std::string(500, 'x');
          }
          EXPECT_EQ(SerializeReply(status, version, reply, keep_alive),
                    BeastBytes(status, version, reply, keep_alive));
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 132);
}

TEST(SerializeReply, ExactBytes) {
  Reply challenge;
  challenge.status = 401;
  challenge.headers = {{"WWW-Authenticate", "NTLM TlRMTVNTUAACAAAA"}};
  EXPECT_EQ(SerializeReply(401, 11, challenge, true),
            "HTTP/1.1 401 Unauthorized\r\nServer: ntlmh-mock\r\n"
            "WWW-Authenticate: NTLM TlRMTVNTUAACAAAA\r\nContent-Length: 0\r\n\r\n");
  Reply ok;
  ok.content_type = "application/json";
  ok.body = "{}\n";
  EXPECT_EQ(SerializeReply(200, 10, ok, true),
            "HTTP/1.0 200 OK\r\nServer: ntlmh-mock\r\nContent-Type: application/json\r\n"
            "Connection: keep-alive\r\nContent-Length: 3\r\n\r\n{}\n");
}

// RFC 9110 9.3.2: a HEAD gets the head a GET would get, Content-Length included, no body.
TEST(SerializeReply, HeadHasNoBody) {
  Reply offer;
  offer.headers = {{"WWW-Authenticate", "NTLM"}};
  offer.content_type = "text/plain";
  offer.body = "authentication required\n";
  EXPECT_EQ(SerializeReply(401, 11, offer, true, /*head_request=*/true),
            "HTTP/1.1 401 Unauthorized\r\nServer: ntlmh-mock\r\nWWW-Authenticate: NTLM\r\n"
            "Content-Type: text/plain\r\nContent-Length: 24\r\n\r\n");
  const std::string get = SerializeReply(401, 11, offer, true);
  EXPECT_EQ(get, SerializeReply(401, 11, offer, true, true) + offer.body);
}

TEST(SerializeReply, FieldTooLargeThrows) {
  Reply reply;
  reply.headers = {{"X-Big", std::string(kMaxFieldValueBytes, 'v')}};
  EXPECT_NO_THROW(SerializeReply(200, 11, reply, true));
  reply.headers = {{"X-Big", std::string(kMaxFieldValueBytes + 1, 'v')}};
  EXPECT_THROW(SerializeReply(200, 11, reply, true), std::length_error);
}

}  // namespace
}  // namespace ntlmh::mock
