// ntlmh explain: HAR files (HTTP Archive 1.2, as browsers' developer tools, Postman and proxies
// export them) read into a Transcript.
//
// Each entry's request and response become one Exchange, in file order. Chrome's per-entry
// "connection" field (the socket id) ties exchanges to their TCP connection; without it the
// connection is unknown and a switch of connection cannot be seen. Entries that are not usable
// (no request object, a header that is not a {name, value} pair) are skipped with a note.
//
// Limits, checked before the JSON is built: the file is at most kMaxHarBytes, and objects and
// arrays nest at most kMaxHarDepth deep (a HAR needs 5). Errors name the byte offset.
#ifndef NTLMH_EXPLAIN_HAR_H_
#define NTLMH_EXPLAIN_HAR_H_

#include <cstddef>
#include <string_view>

#include "engine/error.h"
#include "explain/transcript.h"

namespace ntlmh::explain {

inline constexpr size_t kMaxHarBytes = size_t{64} << 20;  // 64 MiB
inline constexpr size_t kMaxHarDepth = 32;
inline constexpr size_t kMaxHarEntries = 100000;  // as pcap's kMaxExchanges; a note names the rest

ntlm::Result<Transcript> ReadHar(std::string_view text);

}  // namespace ntlmh::explain

#endif  // NTLMH_EXPLAIN_HAR_H_
