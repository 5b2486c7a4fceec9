// The bytes `ntlmh serve` writes for an answer (issue #8: one buffer, no Beast serializer).
// Plain C++ in the header; the .cc uses only Beast's reason phrases and iequals.
#ifndef NTLMH_MOCK_SERVER_REPLY_WIRE_H_
#define NTLMH_MOCK_SERVER_REPLY_WIRE_H_

#include <string>

#include "mock_server/auth_gate.h"

namespace ntlmh::mock {

// The bytes of an answer: status line, Server, |reply|'s headers in order (values trimmed;
// fields of one name together, where the first of them was; the gate sets no Server,
// Content-Type, Connection or Content-Length field of its own), Content-Type, Connection when
// |keep_alive| differs from the version's default, then Content-Length and the body. Throws
// std::length_error for a field of 64 KiB or more (the caller answers 500). Used by server.cc
// and the mock_request fuzzer; tests/serialize_reply_test.cc checks the bytes against Beast's.
std::string SerializeReply(int status, unsigned version, const Reply& reply, bool keep_alive);

}  // namespace ntlmh::mock

#endif  // NTLMH_MOCK_SERVER_REPLY_WIRE_H_
