// ntlmh explain: packet captures (pcap and pcapng, read by libpcap's offline reader) read into a
// Transcript of HTTP/1.1 exchanges.
//
// Link types: Ethernet (with one 802.1Q tag), BSD loopback, Linux cooked (SLL, SLL2) and raw
// IPv4/IPv6. Each TCP connection (a SYN starts a new one on a reused port pair) has its two
// directions reassembled in sequence order: retransmitted bytes are dropped, out-of-order
// segments wait for the gap before them; a gap that never fills (a segment not captured, or
// cut short by the snap length) ends that direction with a note. The side that sent the SYN is
// the client (without a SYN: the side whose bytes start with an HTTP method). HTTP/1.1 is found
// on any port; a connection that is not HTTP (TLS, anything else) is skipped with a note.
// Requests and responses are paired in order on each connection (1xx responses are skipped);
// exchanges of all connections are ordered by the packet that carried the request's first byte.
//
// Limits: a header block of kMaxHeaderBytes, kMaxCaptureBytes of TCP payload in all. A file
// libpcap cannot open is an error; a read error later (a record with an absurd length, a
// truncated file) ends the capture with a note, and what was read before is still used.
#ifndef NTLMH_EXPLAIN_PCAP_H_
#define NTLMH_EXPLAIN_PCAP_H_

#include <cstddef>
#include <string>

#include "engine/error.h"
#include "explain/transcript.h"

namespace ntlmh::explain {

inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxCaptureBytes = size_t{256} << 20;  // 256 MiB of TCP payload

ntlm::Result<Transcript> ReadPcap(const std::string& path);

}  // namespace ntlmh::explain

#endif  // NTLMH_EXPLAIN_PCAP_H_
