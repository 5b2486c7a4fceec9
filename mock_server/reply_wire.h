// The bytes `ntlmh serve` writes for an answer (issue #8: one buffer, no Beast serializer).
// Plain C++ in the header; the .cc uses only Beast's reason phrases and iequals.
#ifndef NTLMH_MOCK_SERVER_REPLY_WIRE_H_
#define NTLMH_MOCK_SERVER_REPLY_WIRE_H_

#include <cstddef>
#include <string>

#include "mock_server/auth_gate.h"

namespace ntlmh::mock {

// The largest field value an answer carries: Beast's old limit (16-bit offsets), kept so that
// no client sees a larger field from the server than it did before. `ntlmh serve` refuses to
// start with names whose CHALLENGE would not fit (cli/cmd_serve.cc CheckIdentity).
inline constexpr size_t kMaxFieldValueBytes = 65533;

// The bytes of an answer: status line, Server, |reply|'s headers in order (values trimmed;
// fields of one name together, where the first of them was; the gate sets no Server,
// Content-Type, Connection or Content-Length field of its own), Content-Type, Connection when
// |keep_alive| differs from the version's default, then Content-Length and the body. Throws
// std::length_error for a field value of 65534 bytes or more, Beast's old limit (the caller
// answers 500). For a HEAD request (|head_request|) the body is left out and Content-Length
// stays what a GET would get (RFC 9110 9.3.2). Used by server.cc and the mock_request fuzzer;
// tests/serialize_reply_test.cc checks the bytes against Beast's.
std::string SerializeReply(int status, unsigned version, const Reply& reply, bool keep_alive,
                           bool head_request = false);

}  // namespace ntlmh::mock

#endif  // NTLMH_MOCK_SERVER_REPLY_WIRE_H_
