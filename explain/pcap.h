// ntlmh explain: packet captures (pcap and pcapng, read by libpcap's offline reader) read into a
// Transcript of HTTP/1.1 exchanges.
//
// Link types: Ethernet (with one 802.1Q tag), BSD loopback, Linux cooked (SLL, SLL2) and raw
// IPv4/IPv6. Each TCP connection (a SYN starts a new one on a reused port pair) has its two
// directions reassembled in sequence order as packets are read: retransmitted bytes are dropped,
// out-of-order segments wait for the gap before them; a gap that never fills (a segment not
// captured, or cut short by the snap length) ends that direction with a note. The side that sent
// the SYN is the client (without a SYN: the side whose bytes start with an HTTP method). HTTP/1.1
// is found on any port; a connection that is not HTTP (TLS, anything else) is skipped with a note.
//
// Streaming: HTTP messages are parsed as each direction's bytes arrive in order. At most
// kMaxHeaderBytes of a header block are held; bodies are skipped by their Content-Length or
// chunked framing (RFC 9112 6, 7.1) without being stored, only their length is kept. A header
// block over the limit, a bad framing, or a limit below that drops data ends that direction with
// a note naming the connection and the stream offset; other connections are still read. Only
// the headers the analysis uses are kept (the authentication headers, Connection,
// X-NTLM-Reject), and only the exchanges that carry an NTLM/Negotiate header or a 401/407.
// Requests and responses are paired in order on each connection (1xx responses are skipped);
// exchanges of all connections are ordered by the packet that carried the request's first byte.
//
// Limits (each with a note when it drops data): kMaxStreams connections tracked at once (a
// connection is let go after both FINs or a RST), kMaxPendingSegments / kMaxPendingBytes
// out-of-order segments per direction, kMaxBufferedBytes of held bytes over all connections,
// kMaxOutstanding requests waiting for their responses per connection, kMaxExchanges kept. A
// file libpcap cannot open is an error; a read error later (a record with an absurd length, a
// truncated file) ends the capture with a note, and what was read before is still used.
#ifndef NTLMH_EXPLAIN_PCAP_H_
#define NTLMH_EXPLAIN_PCAP_H_

#include <cstddef>
#include <string>

#include "engine/error.h"
#include "explain/transcript.h"

namespace ntlmh::explain {

inline constexpr size_t kMaxHeaderBytes = 64 * 1024;  // unparsed header bytes per direction
inline constexpr size_t kMaxStreams = 1024;
inline constexpr size_t kMaxPendingSegments = 256;
inline constexpr size_t kMaxPendingBytes = size_t{1} << 20;
inline constexpr size_t kMaxBufferedBytes = size_t{64} << 20;
inline constexpr size_t kMaxOutstanding = 1024;
inline constexpr size_t kMaxExchanges = 100000;

ntlm::Result<Transcript> ReadPcap(const std::string& path);

}  // namespace ntlmh::explain

#endif  // NTLMH_EXPLAIN_PCAP_H_
