// Packet captures: IPv4/IPv6 over the usual link types, TCP reassembly (RFC 9293 3.4 sequence
// numbers), HTTP/1.1 message framing (RFC 9112 2, 6, 7), streamed: see pcap.h.
#include "explain/pcap.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "engine/bytes.h"
#include "engine/http_auth.h"

namespace ntlmh::explain {

namespace {

using ntlm::ByteReader;
using ntlm::ByteView;

// Notes of one kind beyond this many are counted, not listed.
constexpr size_t kMaxNotes = 50;

// One HTTP/1.1 message being read from a direction (RFC 9112 2-7), held only as the headers the
// analysis uses.
enum class Phase : uint8_t {
  kHead,        // reading a header block into |buf|
  kBody,        // skipping |remaining| bytes of a Content-Length body
  kChunkSize,   // reading a chunk-size line into |buf| (RFC 9112 7.1)
  kChunkData,   // skipping |remaining| bytes of chunk data
  kChunkEnd,    // the CRLF after chunk data, into |buf|
  kTrailer,     // trailer lines until the empty one, into |buf|
  kUntilClose,  // a response body delimited by the end of the connection (RFC 9112 6.3 8)
  kStopped,     // nothing more is read from this direction
};

struct Segment {
  ntlm::Bytes data;
  size_t packet = 0;
};

struct Direction {
  bool have_base = false;
  uint32_t base = 0;                    // sequence number of stream byte 0
  uint64_t next = 0;                    // stream offset of the next byte in order
  std::map<uint64_t, Segment> pending;  // out of order, by stream offset
  size_t pending_bytes = 0;
  size_t held = 0;  // buf + pending bytes, as counted in Reassembler::buffered_
  size_t retransmitted = 0;
  bool syn = false;
  bool fin = false;
  uint64_t fin_at = 0;  // stream offset where the FIN stands

  // HTTP.
  Phase phase = Phase::kHead;
  std::string buf;
  uint64_t msg_offset = 0;  // stream offset of the current message's first byte
  size_t msg_packet = 0;
  uint64_t remaining = 0;
  uint64_t body_length = 0;
  bool chunked = false;
  size_t slot = 0;  // requests: index of the current message's slot (Connection::first_slot on)
};

// A request and its response on one connection, until both are complete.
struct Slot {
  Exchange exchange;
  size_t packet = 0;
  bool request_done = false;
  bool has_response = false;
  bool response_done = false;
};

struct Connection {
  size_t number = 0;
  std::string key;      // in Reassembler::live_
  std::string ends[2];  // "ip:port"
  Direction dir[2];     // dir[i]: bytes sent by ends[i]
  int client = -1;      // which end sent the SYN (or the first request)
  bool http_checked = false;
  std::deque<Slot> slots;  // requests in order; slots[i] is number first_slot + i
  size_t first_slot = 0;
  size_t next_response = 0;     // slot number the next response belongs to
  size_t orphan_responses = 0;  // responses with no request before them
};

bool StartsWithMethod(std::string_view s) {
  static const char* const kMethods[] = {"GET ",   "POST ",    "PUT ",     "HEAD ",  "DELETE ",
                                         "PATCH ", "OPTIONS ", "CONNECT ", "TRACE ", "PROPFIND "};
  for (const char* m : kMethods) {
    if (s.rfind(m, 0) == 0) {
      return true;
    }
  }
  return false;
}

// Whether |s|, the start of a stream, may still become a request line.
bool MayStartWithMethod(std::string_view s) {
  static const char* const kMethods[] = {"GET ",   "POST ",    "PUT ",     "HEAD ",  "DELETE ",
                                         "PATCH ", "OPTIONS ", "CONNECT ", "TRACE ", "PROPFIND "};
  for (std::string_view m : kMethods) {
    const size_t n = std::min(m.size(), s.size());
    if (s.substr(0, n) == m.substr(0, n)) {
      return true;
    }
  }
  return false;
}

// The headers `explain` uses ([MS-NTHT] 2.2, RFC 7235 4.1-4.4, RFC 9112 9.6).
bool KeptHeader(std::string_view name) {
  using ntlm::http_auth::EqualsIgnoreCase;
  for (const char* n : {"Authorization", "Proxy-Authorization", "WWW-Authenticate",
                        "Proxy-Authenticate", "Connection", "X-NTLM-Reject"}) {
    if (EqualsIgnoreCase(name, n)) {
      return true;
    }
  }
  return false;
}

struct Head {
  HttpMessage msg;  // kept headers only
  std::optional<std::string> content_length;
  bool chunked = false;
};

// Parses a complete header block (without its final CRLF CRLF); false with |why| when it is not
// HTTP/1.x.
bool ParseHead(std::string_view head, bool request, Head* out, std::string* why) {
  size_t eol = head.find("\r\n");
  std::string_view start = head.substr(0, eol);
  if (request) {
    const size_t sp1 = start.find(' ');
    const size_t sp2 = start.rfind(' ');
    if (!StartsWithMethod(start) || sp1 == sp2 || start.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
      *why = "not an HTTP/1.x request line";
      return false;
    }
    out->msg.method = std::string(start.substr(0, sp1));
    out->msg.target = std::string(start.substr(sp1 + 1, std::min<size_t>(sp2 - sp1 - 1, 2048)));
  } else {
    if (start.rfind("HTTP/1.", 0) != 0 || start.size() < 12 || start[8] != ' ') {
      *why = "not an HTTP/1.x status line";
      return false;
    }
    int status = 0;
    for (size_t i = 9; i < 12; ++i) {
      if (start[i] < '0' || start[i] > '9') {
        *why = "not an HTTP/1.x status line";
        return false;
      }
      status = status * 10 + (start[i] - '0');
    }
    out->msg.status = status;
  }
  while (eol != std::string_view::npos) {
    const size_t from = eol + 2;
    eol = head.find("\r\n", from);
    std::string_view line =
        head.substr(from, eol == std::string_view::npos ? head.npos : eol - from);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    if (ntlm::http_auth::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      out->chunked = out->chunked || value.find("chunked") != std::string_view::npos;
    } else if (ntlm::http_auth::EqualsIgnoreCase(name, "Content-Length")) {
      if (!out->content_length) {
        out->content_length = std::string(value.substr(0, 32));
      }
    } else if (KeptHeader(name)) {
      out->msg.headers.push_back(HttpHeader{std::string(name), std::string(value)});
    }
  }
  return true;
}

// Whether an exchange can matter to GroupHandshakes(): an NTLM/Negotiate header, or a refusal.
bool Relevant(const Exchange& e) {
  auto has_auth = [](const HttpMessage& m) {
    for (const HttpHeader& h : m.headers) {
      if (!ntlm::http_auth::EqualsIgnoreCase(h.name, "Connection") &&
          !ntlm::http_auth::EqualsIgnoreCase(h.name, "X-NTLM-Reject")) {
        return true;
      }
    }
    return false;
  };
  return has_auth(e.request) ||
         (e.response &&
          (has_auth(*e.response) || e.response->status == 401 || e.response->status == 407));
}

std::string Ip4(ByteView b) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return buf;
}

std::string Ip6(ByteView b) {
  std::string out = "[";
  for (size_t i = 0; i < 16; i += 2) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%x", (b[i] << 8) | b[i + 1]);
    out += buf;
    if (i < 14) {
      out += ":";
    }
  }
  return out + "]";
}

class Reassembler {
 public:
  explicit Reassembler(std::vector<std::string>* notes) : notes_(notes) {}

  void Packet(size_t number, int linktype, ByteView frame, bool truncated);
  void Finish(Transcript* out);

 private:
  void Note(std::string text) {
    if (notes_->size() < kMaxNotes) {
      notes_->push_back(std::move(text));
    } else {
      ++dropped_notes_;
    }
  }
  // A note that says data was lost: also kept as damage (Transcript::damage).
  void Lost(std::string text) {
    if (lost_.size() < kMaxNotes) {
      lost_.push_back(text);
    }
    Note(std::move(text));
  }
  void Ip(size_t number, ByteView packet, bool truncated);
  void Tcp(size_t number, const std::string& src, const std::string& dst, ByteView tcp,
           bool truncated);
  void Add(Connection* c, int side, size_t number, uint32_t seq, ByteView payload);
  void Deliver(Connection* c, int side, ByteView bytes, size_t packet);
  void Http(Connection* c, int side, std::string_view bytes, size_t packet);
  void HeadDone(Connection* c, int side, std::string_view head);
  void MessageDone(Connection* c, int side);
  void Stop(Connection* c, int side, const std::string& why);
  void Account(Direction* d);
  bool CheckHttp(Connection* c, int side, bool complete);
  void Close(Connection* c);
  void Emit(Connection* c, bool all);

  std::string Name(const Connection& c) const {
    const int client = c.client < 0 ? 0 : c.client;
    return "connection " + std::to_string(c.number) + " (" + c.ends[client] + " -> " +
           c.ends[1 - client] + ")";
  }
  std::string Who(const Connection& c, int side) const {
    return side == (c.client < 0 ? 0 : c.client) ? "client" : "server";
  }

  std::vector<std::string>* notes_;
  std::map<std::string, std::unique_ptr<Connection>> live_;  // "a|b" (sorted ends)
  size_t connections_ = 0;
  std::vector<std::pair<size_t, Exchange>> out_;  // (packet of the request, exchange)
  size_t buffered_ = 0;                           // held bytes of all live connections
  size_t retransmitted_ = 0;
  size_t untracked_ = 0;
  size_t not_tcp_ = 0;
  size_t fragments_ = 0;
  size_t truncated_ = 0;
  size_t dropped_exchanges_ = 0;
  size_t dropped_notes_ = 0;
  std::vector<std::string> lost_;
};

void Reassembler::Packet(size_t number, int linktype, ByteView frame, bool truncated) {
  ByteReader r(frame);
  uint16_t ethertype = 0;
  switch (linktype) {
    case DLT_EN10MB: {
      ByteView skip;
      if (!r.ReadBytes(12, &skip) || !r.ReadU16Be(&ethertype)) {
        ++not_tcp_;
        return;
      }
      if (ethertype == 0x8100 && (!r.ReadBytes(2, &skip) || !r.ReadU16Be(&ethertype))) {
        ++not_tcp_;
        return;
      }
      if (ethertype != 0x0800 && ethertype != 0x86DD) {
        ++not_tcp_;
        return;
      }
      break;
    }
    case DLT_NULL:
    case DLT_LOOP: {
      ByteView skip;
      if (!r.ReadBytes(4, &skip)) {
        ++not_tcp_;
        return;
      }
      break;
    }
    case DLT_LINUX_SLL: {
      ByteView skip;
      if (!r.ReadBytes(14, &skip) || !r.ReadU16Be(&ethertype)) {
        ++not_tcp_;
        return;
      }
      break;
    }
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2: {
      ByteView skip;
      if (!r.ReadU16Be(&ethertype) || !r.ReadBytes(18, &skip)) {
        ++not_tcp_;
        return;
      }
      break;
    }
#endif
    default:  // raw IP: DLT_RAW, DLT_IPV4, DLT_IPV6 (checked by the caller)
      break;
  }
  Ip(number, r.rest(), truncated);
}

void Reassembler::Ip(size_t number, ByteView packet, bool truncated) {
  if (packet.empty()) {
    ++not_tcp_;
    return;
  }
  const uint8_t version = packet[0] >> 4;
  ByteReader r(packet);
  if (version == 4) {
    uint8_t vihl = 0, tos = 0, ttl = 0, proto = 0;
    uint16_t total = 0, id = 0, frag = 0, sum = 0;
    ByteView src, dst;
    if (!r.ReadU8(&vihl) || !r.ReadU8(&tos) || !r.ReadU16Be(&total) || !r.ReadU16Be(&id) ||
        !r.ReadU16Be(&frag) || !r.ReadU8(&ttl) || !r.ReadU8(&proto) || !r.ReadU16Be(&sum) ||
        !r.ReadBytes(4, &src) || !r.ReadBytes(4, &dst)) {
      ++truncated_;
      return;
    }
    const size_t ihl = size_t{vihl & 0x0Fu} * 4;
    if (proto != 6) {
      ++not_tcp_;
      return;
    }
    if ((frag & 0x3FFF) != 0) {
      ++fragments_;
      return;
    }
    if (ihl < 20 || total < ihl) {
      Note("packet " + std::to_string(number) + ": bad IPv4 header lengths; skipped");
      return;
    }
    ByteView rest = packet;
    // The IP total length bounds the segment (Ethernet pads short frames).
    if (total <= rest.size()) {
      rest = rest.first(total);
    } else {
      truncated = true;
    }
    if (ihl > rest.size()) {
      ++truncated_;
      return;
    }
    Tcp(number, Ip4(src), Ip4(dst), rest.subspan(ihl), truncated);
    return;
  }
  if (version == 6) {
    uint32_t vtcfl = 0;
    uint16_t payload_len = 0;
    uint8_t next = 0, hops = 0;
    ByteView src, dst;
    if (!r.ReadU32Be(&vtcfl) || !r.ReadU16Be(&payload_len) || !r.ReadU8(&next) ||
        !r.ReadU8(&hops) || !r.ReadBytes(16, &src) || !r.ReadBytes(16, &dst)) {
      ++truncated_;
      return;
    }
    if (next != 6) {
      ++not_tcp_;  // extension headers included: not followed
      return;
    }
    ByteView rest = r.rest();
    if (payload_len <= rest.size()) {
      rest = rest.first(payload_len);
    } else {
      truncated = true;
    }
    Tcp(number, Ip6(src), Ip6(dst), rest, truncated);
    return;
  }
  ++not_tcp_;
}

void Reassembler::Tcp(size_t number, const std::string& src_ip, const std::string& dst_ip,
                      ByteView tcp, bool truncated) {
  ByteReader r(tcp);
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t off = 0, flags = 0;
  if (!r.ReadU16Be(&sport) || !r.ReadU16Be(&dport) || !r.ReadU32Be(&seq) || !r.ReadU32Be(&ack) ||
      !r.ReadU8(&off) || !r.ReadU8(&flags)) {
    ++truncated_;
    return;
  }
  const size_t header = size_t{static_cast<uint8_t>(off >> 4)} * 4;
  if (header < 20 || header > tcp.size()) {
    ++truncated_;
    return;
  }
  const std::string src = src_ip + ":" + std::to_string(sport);
  const std::string dst = dst_ip + ":" + std::to_string(dport);
  // RFC 9293 3.1: the control bits.
  const bool fin = (flags & 0x01) != 0;
  const bool syn = (flags & 0x02) != 0;
  const bool rst = (flags & 0x04) != 0;
  const bool has_ack = (flags & 0x10) != 0;
  const std::string key = src < dst ? src + "|" + dst : dst + "|" + src;

  auto it = live_.find(key);
  Connection* c = it == live_.end() ? nullptr : it->second.get();
  int side = 0;
  if (c != nullptr) {
    side = c->ends[0] == src ? 0 : 1;
    // A SYN on a port pair that already carried data starts a new connection.
    if (syn && !has_ack && !c->dir[side].syn && (c->dir[0].next > 0 || c->dir[1].next > 0)) {
      Close(c);
      c = nullptr;
    }
  }
  if (c == nullptr) {
    if (rst) {
      return;
    }
    if (live_.size() >= kMaxStreams) {
      ++untracked_;
      return;
    }
    auto fresh = std::make_unique<Connection>();
    c = fresh.get();
    c->number = ++connections_;
    c->key = key;
    c->ends[0] = src;
    c->ends[1] = dst;
    live_[key] = std::move(fresh);
    side = 0;
  }
  Direction& d = c->dir[side];
  if (syn) {
    if (!d.have_base || d.next == 0) {
      d.have_base = true;
      d.base = seq + 1;
      d.syn = true;
    }
    if (!has_ack && c->client < 0) {
      c->client = side;
    } else if (has_ack && c->client < 0) {
      c->client = 1 - side;
    }
    return;
  }
  ByteView payload = tcp.subspan(header);
  if (truncated) {
    if (!payload.empty()) {
      ++truncated_;
    }
    return;  // the gap this leaves is reported where the stream stops
  }
  if (!payload.empty()) {
    Add(c, side, number, seq, payload);
  }
  if (fin) {
    if (!d.have_base) {
      d.have_base = true;
      d.base = seq;
    }
    const int32_t ahead = static_cast<int32_t>(seq + static_cast<uint32_t>(payload.size()) -
                                               (d.base + static_cast<uint32_t>(d.next)));
    d.fin = true;
    d.fin_at = d.next + static_cast<uint64_t>(std::max<int32_t>(ahead, 0));
  }
  auto done = [](const Direction& x) {
    return x.fin && (x.phase == Phase::kStopped || x.next >= x.fin_at);
  };
  if (rst || (done(c->dir[0]) && done(c->dir[1]))) {
    Close(c);
  }
}

void Reassembler::Account(Direction* d) {
  const size_t now = d->buf.size() + d->pending_bytes;
  buffered_ = buffered_ - d->held + now;
  d->held = now;
}

void Reassembler::Stop(Connection* c, int side, const std::string& why) {
  Direction& d = c->dir[side];
  if (!why.empty()) {
    Lost(Name(*c) + ": " + why);
  }
  d.phase = Phase::kStopped;
  std::string().swap(d.buf);
  d.pending.clear();
  d.pending_bytes = 0;
  Account(&d);
}

void Reassembler::Add(Connection* c, int side, size_t number, uint32_t seq, ByteView payload) {
  Direction& d = c->dir[side];
  if (d.phase == Phase::kStopped) {
    return;
  }
  if (!d.have_base) {
    d.have_base = true;
    d.base = seq;
  }
  // RFC 9293 3.4: sequence numbers compare modulo 2^32, relative to the next byte wanted.
  const int32_t delta = static_cast<int32_t>(seq - (d.base + static_cast<uint32_t>(d.next)));
  if (delta < 0) {
    const uint64_t behind = static_cast<uint64_t>(-static_cast<int64_t>(delta));
    if (behind >= payload.size()) {
      ++d.retransmitted;
      return;
    }
    payload = payload.subspan(static_cast<size_t>(behind));
  } else if (delta > 0) {
    const uint64_t at = d.next + static_cast<uint64_t>(delta);
    auto found = d.pending.find(at);
    const size_t replaced = found == d.pending.end() ? 0 : found->second.data.size();
    if (replaced >= payload.size() && found != d.pending.end()) {
      ++d.retransmitted;
      return;
    }
    if ((found == d.pending.end() && d.pending.size() >= kMaxPendingSegments) ||
        d.pending_bytes - replaced + payload.size() > kMaxPendingBytes) {
      Stop(c, side,
           std::to_string(d.pending.size()) + " out-of-order segment(s) of " +
               std::to_string(d.pending_bytes) + " bytes from the " + Who(*c, side) +
               " wait for the gap at stream offset " + std::to_string(d.next) + " (at most " +
               std::to_string(kMaxPendingSegments) + " segments, " +
               std::to_string(kMaxPendingBytes) + " bytes); the rest of that direction is skipped");
      return;
    }
    if (buffered_ + payload.size() > kMaxBufferedBytes) {
      Stop(c, side,
           "all connections together hold " + std::to_string(kMaxBufferedBytes >> 20) +
               " MiB of out-of-order and header bytes; the rest of the " + Who(*c, side) +
               "'s bytes from stream offset " + std::to_string(d.next) + " are skipped");
      return;
    }
    d.pending_bytes = d.pending_bytes - replaced + payload.size();
    d.pending[at] = Segment{ntlm::Bytes(payload.begin(), payload.end()), number};
    Account(&d);
    return;
  }
  Deliver(c, side, payload, number);
  // Drain what now follows in order.
  while (d.phase != Phase::kStopped && !d.pending.empty() && d.pending.begin()->first <= d.next) {
    auto first = d.pending.begin();
    const uint64_t at = first->first;
    Segment s = std::move(first->second);
    d.pending_bytes -= s.data.size();
    d.pending.erase(first);
    if (at + s.data.size() > d.next) {
      Deliver(c, side, ByteView(s.data).subspan(static_cast<size_t>(d.next - at)), s.packet);
    } else {
      ++d.retransmitted;
    }
  }
  Account(&d);
}

void Reassembler::Deliver(Connection* c, int side, ByteView bytes, size_t packet) {
  c->dir[side].next += bytes.size();
  Http(c, side, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
       packet);
}

// Whether the client's first bytes can be HTTP/1.1; when they cannot, the connection is skipped
// with a note. |complete|: no more bytes will come for this message.
bool Reassembler::CheckHttp(Connection* c, int side, bool complete) {
  Direction& d = c->dir[side];
  if (c->http_checked || d.buf.empty()) {
    return true;
  }
  if (c->client < 0) {
    if (!complete && d.buf.size() < 16 && d.buf.find("\r\n") == std::string::npos) {
      return true;  // too early to tell which side is the client
    }
    c->client = StartsWithMethod(d.buf) || d.buf.rfind("HTTP/", 0) != 0 ? side : 1 - side;
  }
  if (side != c->client) {
    return true;
  }
  const bool tls = static_cast<uint8_t>(d.buf[0]) == 0x16;
  if (!tls && StartsWithMethod(d.buf)) {
    c->http_checked = true;
    return true;
  }
  if (!tls && !complete && MayStartWithMethod(d.buf)) {
    return true;  // "PO" may become "POST "
  }
  Note(Name(*c) + ": not HTTP/1.1" + (tls ? " (TLS)" : "") + "; skipped");
  Stop(c, 0, "");
  Stop(c, 1, "");
  return false;
}

void Reassembler::Http(Connection* c, int side, std::string_view bytes, size_t packet) {
  Direction& d = c->dir[side];
  while (!bytes.empty() && d.phase != Phase::kStopped) {
    const uint64_t at = d.next - bytes.size();  // stream offset of bytes[0]
    switch (d.phase) {
      case Phase::kHead: {
        if (d.buf.empty()) {
          d.msg_offset = at;
          d.msg_packet = packet;
        }
        const size_t old = d.buf.size();
        const size_t take = std::min(kMaxHeaderBytes - old, bytes.size());
        if (buffered_ + take > kMaxBufferedBytes) {
          Stop(c, side,
               "all connections together hold " + std::to_string(kMaxBufferedBytes >> 20) +
                   " MiB of out-of-order and header bytes; the rest of the " + Who(*c, side) +
                   "'s bytes from stream offset " + std::to_string(at) + " are skipped");
          return;
        }
        d.buf.append(bytes.substr(0, take));
        const size_t end = d.buf.find("\r\n\r\n", old < 3 ? 0 : old - 3);
        if (!CheckHttp(c, side, false)) {
          return;
        }
        if (end == std::string::npos) {
          bytes.remove_prefix(take);
          if (d.buf.size() >= kMaxHeaderBytes) {
            Stop(c, side,
                 Who(*c, side) + " header block at stream offset " + std::to_string(d.msg_offset) +
                     " is longer than " + std::to_string(kMaxHeaderBytes) +
                     " bytes; the rest of that direction is skipped");
            return;
          }
          Account(&d);
          break;
        }
        bytes.remove_prefix(end + 4 - old);
        std::string head = std::move(d.buf);
        d.buf.clear();
        head.resize(end);
        Account(&d);
        HeadDone(c, side, head);
        break;
      }
      case Phase::kBody:
      case Phase::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(d.remaining, bytes.size()));
        d.remaining -= n;
        d.body_length += n;
        bytes.remove_prefix(n);
        if (d.remaining == 0) {
          if (d.phase == Phase::kBody) {
            MessageDone(c, side);
          } else {
            d.phase = Phase::kChunkEnd;
          }
        }
        break;
      }
      case Phase::kUntilClose:
        d.body_length += bytes.size();
        bytes = {};
        break;
      case Phase::kChunkEnd: {
        const size_t n = std::min<size_t>(2 - d.buf.size(), bytes.size());
        d.buf.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (d.buf.size() == 2) {
          if (d.buf != "\r\n") {
            Stop(c, side,
                 Who(*c, side) + " message at stream offset " + std::to_string(d.msg_offset) +
                     ": chunk data not followed by CRLF at stream offset " + std::to_string(at) +
                     "; the rest of that direction is skipped");
            return;
          }
          d.buf.clear();
          d.phase = Phase::kChunkSize;
        }
        break;
      }
      case Phase::kChunkSize:
      case Phase::kTrailer: {
        // One line (RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF; 7.1.2: trailer fields).
        const size_t limit = d.phase == Phase::kChunkSize ? 1024 : kMaxHeaderBytes;
        const size_t nl = bytes.find('\n');
        const size_t n = nl == std::string_view::npos ? bytes.size() : nl + 1;
        if (d.buf.size() + n > limit) {
          Stop(c, side,
               Who(*c, side) + " message at stream offset " + std::to_string(d.msg_offset) +
                   ": a chunk-size or trailer line longer than " + std::to_string(limit) +
                   " bytes; the rest of that direction is skipped");
          return;
        }
        d.buf.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (nl == std::string_view::npos) {
          break;
        }
        std::string_view line = d.buf;
        line.remove_suffix(line.size() >= 2 && line[line.size() - 2] == '\r' ? 2 : 1);
        if (d.phase == Phase::kTrailer) {
          const bool last = line.empty();
          d.buf.clear();
          if (last) {
            MessageDone(c, side);
          }
          break;
        }
        uint64_t size = 0;
        size_t i = 0;
        for (; i < line.size(); ++i) {
          const char ch = line[i];
          const int v = (ch >= '0' && ch <= '9')   ? ch - '0'
                        : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
                        : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                                   : -1;
          if (v < 0) {
            break;
          }
          if (size > (uint64_t{1} << 56)) {
            i = 0;
            break;
          }
          size = size * 16 + static_cast<uint64_t>(v);
        }
        if (i == 0) {
          Stop(c, side,
               Who(*c, side) + " message at stream offset " + std::to_string(d.msg_offset) +
                   ": a bad chunk-size line at stream offset " +
                   std::to_string(d.next - bytes.size() - d.buf.size()) +
                   "; the rest of that direction is skipped");
          return;
        }
        d.buf.clear();
        if (size == 0) {
          d.phase = Phase::kTrailer;
        } else {
          d.remaining = size;
          d.phase = Phase::kChunkData;
        }
        break;
      }
      case Phase::kStopped:
        return;
    }
  }
  Account(&d);
}

void Reassembler::HeadDone(Connection* c, int side, std::string_view head) {
  Direction& d = c->dir[side];
  if (c->client < 0) {
    c->client = StartsWithMethod(head) ? side : 1 - side;
  }
  const bool request = side == c->client;
  Head h;
  std::string why;
  if (!ParseHead(head, request, &h, &why)) {
    Stop(c, side,
         Who(*c, side) + " bytes at stream offset " + std::to_string(d.msg_offset) + ": " + why +
             "; skipped");
    return;
  }
  d.body_length = 0;
  d.remaining = 0;
  d.slot = SIZE_MAX;
  std::string_view method;
  if (request) {
    if (c->slots.size() >= kMaxOutstanding) {
      Stop(c, side,
           "more than " + std::to_string(kMaxOutstanding) +
               " requests wait for their responses at client stream offset " +
               std::to_string(d.msg_offset) + "; the rest of that direction is skipped");
      return;
    }
    Slot s;
    s.packet = d.msg_packet;
    s.exchange.connection = c->ends[c->client] + " -> " + c->ends[1 - c->client];
    s.exchange.where = "packet " + std::to_string(d.msg_packet);
    s.exchange.request = std::move(h.msg);
    c->slots.push_back(std::move(s));
    d.slot = c->first_slot + c->slots.size() - 1;
  } else {
    const int status = h.msg.status;
    if (status >= 100 && status < 200) {
      return;  // interim (RFC 9110 15.2): no body, the final response follows
    }
    if (c->next_response - c->first_slot < c->slots.size()) {
      Slot& s = c->slots[c->next_response - c->first_slot];
      method = s.exchange.request.method;
      s.exchange.response = std::move(h.msg);
      s.has_response = true;
      d.slot = c->next_response++;
    } else {
      ++c->orphan_responses;
    }
    // RFC 9112 6.3 1: no body after HEAD, 204 or 304.
    if (status == 204 || status == 304 || method == "HEAD") {
      MessageDone(c, side);
      return;
    }
  }
  if (h.chunked) {
    d.phase = Phase::kChunkSize;
    return;
  }
  if (h.content_length) {
    uint64_t n = 0;
    bool ok = !h.content_length->empty();
    for (char ch : *h.content_length) {
      ok = ok && ch >= '0' && ch <= '9' && n < (uint64_t{1} << 56);
      n = ok ? n * 10 + static_cast<uint64_t>(ch - '0') : 0;
    }
    if (!ok) {
      MessageDone(c, side);
      Stop(c, side,
           Who(*c, side) + " message at stream offset " + std::to_string(d.msg_offset) +
               ": a bad Content-Length; the rest of that direction is skipped");
      return;
    }
    d.remaining = n;
    d.phase = Phase::kBody;
    if (n == 0) {
      MessageDone(c, side);
    }
    return;
  }
  if (request) {
    MessageDone(c, side);  // RFC 9112 6.3 7: no framing, no body
  } else {
    d.phase = Phase::kUntilClose;
  }
}

void Reassembler::MessageDone(Connection* c, int side) {
  Direction& d = c->dir[side];
  if (d.slot != SIZE_MAX && d.slot >= c->first_slot && d.slot - c->first_slot < c->slots.size()) {
    Slot& s = c->slots[d.slot - c->first_slot];
    if (side == c->client) {
      s.exchange.request.body_length = static_cast<size_t>(d.body_length);
      s.request_done = true;
    } else {
      s.exchange.response->body_length = static_cast<size_t>(d.body_length);
      s.response_done = true;
    }
  }
  d.slot = SIZE_MAX;
  d.phase = Phase::kHead;
  d.body_length = 0;
  d.remaining = 0;
  Emit(c, false);
}

void Reassembler::Emit(Connection* c, bool all) {
  while (!c->slots.empty() &&
         (all || (c->slots.front().request_done && c->slots.front().response_done))) {
    Slot& s = c->slots.front();
    if (Relevant(s.exchange)) {
      if (out_.size() < kMaxExchanges) {
        out_.emplace_back(s.packet, std::move(s.exchange));
      } else {
        ++dropped_exchanges_;
      }
    }
    c->slots.pop_front();
    ++c->first_slot;
  }
}

void Reassembler::Close(Connection* c) {
  const int client = c->client < 0 ? 0 : c->client;
  for (int side : {client, 1 - client}) {
    const Direction& d = c->dir[side];
    if (d.phase != Phase::kStopped && !d.pending.empty()) {
      Lost(Name(*c) + ": " + std::to_string(d.pending.begin()->first - d.next) +
           " bytes missing at stream offset " + std::to_string(d.next) + " from the " +
           Who(*c, side) + "; the rest of that direction is skipped");
    }
  }
  if (c->orphan_responses > 0) {
    Note(Name(*c) + ": " + std::to_string(c->orphan_responses) +
         " response(s) with no request before them skipped");
  }
  for (int side : {client, 1 - client}) {
    Direction& d = c->dir[side];
    const std::string what = side == client ? "request" : "response";
    switch (d.phase) {
      case Phase::kHead:
        if (!d.buf.empty() && CheckHttp(c, side, true)) {
          Lost(Name(*c) + ": " + Who(*c, side) + " bytes at stream offset " +
               std::to_string(d.msg_offset) + ": a message cut short in its headers (" +
               std::to_string(d.buf.size()) + " bytes); skipped");
        }
        break;
      case Phase::kBody:
        Lost(Name(*c) + ": " + what + " at stream offset " + std::to_string(d.msg_offset) +
             ": a body of " + std::to_string(d.body_length + d.remaining) +
             " bytes cut short after " + std::to_string(d.body_length));
        MessageDone(c, side);
        break;
      case Phase::kChunkSize:
      case Phase::kChunkData:
      case Phase::kChunkEnd:
      case Phase::kTrailer:
        Lost(Name(*c) + ": " + what + " at stream offset " + std::to_string(d.msg_offset) +
             ": a chunked body cut short");
        MessageDone(c, side);
        break;
      case Phase::kUntilClose:
        MessageDone(c, side);
        break;
      case Phase::kStopped:
        break;
    }
  }
  Emit(c, true);
  for (Direction& d : c->dir) {
    retransmitted_ += d.retransmitted;
    buffered_ -= d.held;
  }
  const std::string key = c->key;
  live_.erase(key);  // |c| is gone
}

void Reassembler::Finish(Transcript* t) {
  std::vector<Connection*> open;
  for (auto& [key, c] : live_) {
    open.push_back(c.get());
  }
  std::sort(open.begin(), open.end(),
            [](const Connection* a, const Connection* b) { return a->number < b->number; });
  for (Connection* c : open) {
    Close(c);
  }
  std::stable_sort(out_.begin(), out_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [packet, e] : out_) {
    t->exchanges.push_back(std::move(e));
  }
  if (retransmitted_ > 0) {
    Note(std::to_string(retransmitted_) + " retransmitted segment(s) dropped");
  }
  if (untracked_ > 0) {
    Lost(std::to_string(untracked_) + " packet(s) of connections beyond the " +
         std::to_string(kMaxStreams) + " tracked at once skipped");
  }
  if (not_tcp_ > 0) {
    Note(std::to_string(not_tcp_) + " packet(s) that are not TCP over IPv4/IPv6 skipped");
  }
  if (fragments_ > 0) {
    Lost(std::to_string(fragments_) + " IPv4 fragment(s) skipped (not reassembled)");
  }
  if (truncated_ > 0) {
    Lost(std::to_string(truncated_) + " packet(s) cut short by the capture (snap length) skipped");
  }
  if (dropped_exchanges_ > 0) {
    Lost("more than " + std::to_string(kMaxExchanges) + " exchanges; " +
         std::to_string(dropped_exchanges_) + " later one(s) not kept");
  }
  if (dropped_notes_ > 0) {
    notes_->push_back(std::to_string(dropped_notes_) + " more note(s) not shown");
  }
  t->damage.insert(t->damage.end(), lost_.begin(), lost_.end());
}

}  // namespace

ntlm::Result<Transcript> ReadPcap(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return ntlm::MakeError(ntlm::ErrorCode::kInvalidArgument, "pcap", "file", 0,
                           "cannot open the file");
  }
  pcap_t* p = pcap_fopen_offline(f, errbuf);  // takes |f|, also on failure? no: closed below
  if (p == nullptr) {
    std::fclose(f);
    return ntlm::MakeError(
        ntlm::ErrorCode::kInvalidArgument, "pcap", "file header", 0,
        std::string("not a pcap or pcapng file: libpcap says \"") + errbuf + "\"");
  }
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> closer(p, pcap_close);
  const int linktype = pcap_datalink(p);
  switch (linktype) {
    case DLT_EN10MB:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
    case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
#endif
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      break;
    default:
      return ntlm::MakeError(ntlm::ErrorCode::kUnsupported, "pcap", "link type", 0,
                             "link type " + std::to_string(linktype) +
                                 " is not supported (Ethernet, loopback, Linux cooked, raw IP)");
  }

  Transcript t;
  Reassembler reassembler(&t.notes);
  size_t number = 0;
  while (true) {
    const long at = std::ftell(f);
    struct pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) {
      break;
    }
    ++number;
    if (rc != 1) {
      t.notes.push_back("packet " + std::to_string(number) + " at byte offset " +
                        std::to_string(at < 0 ? 0 : at) + ": libpcap says \"" + pcap_geterr(p) +
                        "\"; the rest of the file is skipped");
      t.damage.push_back(t.notes.back());
      break;
    }
    const bool truncated = hdr->caplen < hdr->len;
    reassembler.Packet(number, linktype, ByteView(data, hdr->caplen), truncated);
  }
  reassembler.Finish(&t);
  return t;
}

}  // namespace ntlmh::explain
