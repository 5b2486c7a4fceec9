// ntlmh explain: what was on the wire, as HTTP exchanges, and the NTLM handshakes found in it.
//
// Every reader (token lines, HAR, pcap) produces either a Transcript (HTTP requests and
// responses in the order they were sent, each tied to its connection when the input says which)
// or, for bare tokens, handshakes directly. GroupHandshakes() then finds each NTLM handshake by
// its Authorization / WWW-Authenticate headers ([MS-NTHT] 2.2, RFC 7235 4.1 and 4.2) and keeps
// the HTTP facts the analysis needs: on which connection each leg travelled, whether the
// CHALLENGE came with `Connection: close`, whether the NEGOTIATE got a bare offer back, the
// method and body sizes, and the status of the final response.
//
// Nothing here fails on hostile input: what cannot be used is skipped with a note naming where
// it was. Tokens are limited to kMaxTokenTextBytes of text before they are decoded.
#ifndef NTLMH_EXPLAIN_TRANSCRIPT_H_
#define NTLMH_EXPLAIN_TRANSCRIPT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bytes.h"
#include "engine/error.h"
#include "engine/messages.h"

namespace ntlmh::explain {

// A token's text is at most this long (base64 of 64 KiB, with room for a scheme): an NTLM
// message is a few hundred bytes, Windows' own limit a few KiB.
inline constexpr size_t kMaxTokenTextBytes = 96 * 1024;

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpMessage {
  std::string method;  // requests
  std::string target;  // requests: path or URL
  int status = 0;      // responses
  std::vector<HttpHeader> headers;
  size_t body_length = 0;
  bool body_unknown = false;  // HAR bodySize -1 with no postData: the length is not known

  // Values of every header named |name| (ASCII case-insensitive), in order.
  std::vector<std::string_view> FindAll(std::string_view name) const;
  // The first value, or nullopt.
  std::optional<std::string_view> Find(std::string_view name) const;
};

// One request and, when it came, its response.
struct Exchange {
  std::string connection;  // e.g. "127.0.0.1:40000 -> 127.0.0.1:80"; empty when not known
  std::string where;       // "entry 3", "packet 12"
  bool tls = false;        // the request went over TLS (an https: URL)
  HttpMessage request;
  std::optional<HttpMessage> response;
  // No response: what the recording says went wrong (HAR status 0, its "_error"); empty when
  // the input does not say.
  std::optional<std::string> error;
};

struct Transcript {
  std::vector<Exchange> exchanges;
  std::vector<std::string> notes;  // what was skipped, and why
  // The notes that say the input lost data (a capture gap, a truncated file, a header over the
  // limit, packets or exchanges dropped by a limit): a missing leg may lie in what was lost.
  std::vector<std::string> damage;
  // HAR: the recording's own "_error" (ntlmh request: the exchange ended in an error).
  std::string recorded_error;
};

// One NTLM message as it travelled.
struct Leg {
  ntlm::Bytes ntlm;        // the NTLM message (taken out of SPNEGO when it came inside)
  std::string scheme;      // "NTLM" or "Negotiate"
  bool spnego = false;     // it came inside an RFC 4178 token
  std::string where;       // "entry 3 request", "line 2"
  std::string connection;  // empty when not known
};

// A token that stood where a leg belongs but could not be read.
struct Unreadable {
  std::string where;       // "entry 2 response"
  std::string what;        // "WWW-Authenticate at offset 5: <the engine's error>"
  std::string connection;  // empty when not known
};

struct Handshake {
  bool http = false;  // from HAR or pcap: the HTTP facts below are known
  bool tls = false;
  std::optional<Leg> negotiate;
  std::optional<Leg> challenge;
  std::optional<Leg> authenticate;

  // A 401/407 with only a bare "NTLM"/"Negotiate" offer answered the NEGOTIATE.
  std::optional<std::string> bare_offer_where;
  // The answer to the NEGOTIATE carried a token that is not a readable CHALLENGE (bad base64,
  // not NTLM, another message type).
  std::optional<Unreadable> unreadable_challenge;
  // A request carried a token that cannot be read: after the CHALLENGE, where the AUTHENTICATE
  // belongs; or with no handshake open, alone in a handshake of its own.
  std::optional<Unreadable> unreadable_request;
  // The response carrying the CHALLENGE said "Connection: close".
  bool challenge_connection_close = false;

  // Requests: the largest body sent before the AUTHENTICATE in this handshake (the request that
  // drew the first 401 included), and the method and body of the request with the AUTHENTICATE.
  size_t body_before = 0;
  std::string body_before_where;
  std::string final_method;
  size_t final_body = 0;
  // The response to the AUTHENTICATE.
  std::optional<int> final_status;
  std::string final_where;
  std::string reject_header;  // an "X-NTLM-Reject" value, when the server sent one
  bool final_body_unknown = false;  // the AUTHENTICATE request's body length is not known
  // The AUTHENTICATE got no response and the recording says why (HAR status 0 with "_error").
  std::optional<std::string> final_error;
  // After the CHALLENGE no AUTHENTICATE, and the recording ended in this error.
  std::string ended_in_error;
  // The input lost data (Transcript::damage): a missing leg may lie in what was lost.
  std::vector<std::string> capture_damage;

  // Where the handshake is, for people: the connection or the input position of its first leg.
  std::string Label() const;
};

// A message of |bytes|: an NTLM message, or SPNEGO with one inside. Sets |type| and |ntlm|
// and returns true; false (with |why|) for something else.
bool UnwrapToken(ntlm::ByteView bytes, ntlm::Bytes* ntlm, bool* spnego, ntlm::MessageType* type,
                 std::string* why);

// Finds the NTLM handshakes of a transcript, in order. Notes go to |notes|.
std::vector<Handshake> GroupHandshakes(const Transcript& transcript,
                                       std::vector<std::string>* notes);

// Token input: each string is one argument or one line of standard input. A line holds a
// base64 token, "NTLM <b64>", "Negotiate <b64>", or a header line ("WWW-Authenticate: ...",
// "Authorization: ...", the Proxy- forms, also with curl -v's "< " / "> "). With |stream|,
// lines without authentication content are skipped; an argument must hold a token. A bare
// "WWW-Authenticate: NTLM" after a NEGOTIATE is the server's bare offer. Messages are grouped
// in order: a NEGOTIATE starts a handshake, a CHALLENGE and an AUTHENTICATE join the last one.
// Errors (bad base64, a line with no token) name the input ("argument 2", "line 5") as field
// and the byte offset in that line.
struct TextInput {
  std::string where;  // "argument 1", "line 3"
  std::string text;
};
ntlm::Result<std::vector<Handshake>> HandshakesFromText(const std::vector<TextInput>& inputs,
                                                        bool stream,
                                                        std::vector<std::string>* notes);

}  // namespace ntlmh::explain

#endif  // NTLMH_EXPLAIN_TRANSCRIPT_H_
