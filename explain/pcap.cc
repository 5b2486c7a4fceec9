// Packet captures: IPv4/IPv6 over the usual link types, TCP reassembly (RFC 9293 3.4 sequence
// numbers), HTTP/1.1 message framing (RFC 9112 2, 6).
#include "explain/pcap.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "engine/bytes.h"
#include "engine/http_auth.h"

namespace ntlmh::explain {

namespace {

using ntlm::ByteReader;
using ntlm::ByteView;

// Notes of one kind beyond this many are counted, not listed.
constexpr size_t kMaxNotes = 50;

struct Segment {
  ntlm::Bytes data;
  size_t packet = 0;
};

struct Direction {
  bool have_base = false;
  uint32_t base = 0;                             // sequence number of stream byte 0
  std::string data;                              // bytes in order
  std::vector<std::pair<size_t, size_t>> marks;  // (stream offset, packet number)
  std::map<uint64_t, Segment> pending;           // out of order, by stream offset
  size_t retransmitted = 0;
  bool syn = false;
};

struct Connection {
  std::string ends[2];  // "ip:port"
  Direction dir[2];     // dir[i]: bytes sent by ends[i]
  int client = -1;      // which end sent the SYN
  size_t first_packet = 0;
};

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
  bool full() const { return total_ > kMaxCaptureBytes; }

 private:
  void Note(std::string text) {
    if (notes_->size() < kMaxNotes) {
      notes_->push_back(std::move(text));
    } else {
      ++dropped_notes_;
    }
  }
  void Ip(size_t number, ByteView packet, bool truncated);
  void Tcp(size_t number, const std::string& src, const std::string& dst, ByteView tcp,
           bool truncated);
  void Add(Connection* c, int side, size_t number, uint32_t seq, ByteView payload);
  void Http(const Connection& c, size_t index, std::vector<std::pair<size_t, Exchange>>* out);

  std::vector<std::string>* notes_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::map<std::string, size_t> current_;  // "a|b" (sorted ends) -> index in connections_
  size_t total_ = 0;
  size_t not_tcp_ = 0;
  size_t fragments_ = 0;
  size_t truncated_ = 0;
  size_t dropped_notes_ = 0;
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
  const bool syn = (flags & 0x02) != 0;
  const bool has_ack = (flags & 0x10) != 0;
  const std::string key = src < dst ? src + "|" + dst : dst + "|" + src;

  auto it = current_.find(key);
  Connection* c = it == current_.end() ? nullptr : connections_[it->second].get();
  int side = 0;
  if (c != nullptr) {
    side = c->ends[0] == src ? 0 : 1;
  }
  // A SYN on a port pair that already carried data starts a new connection.
  if (c == nullptr || (syn && !has_ack && !c->dir[side].syn &&
                       (!c->dir[0].data.empty() || !c->dir[1].data.empty()))) {
    connections_.push_back(std::make_unique<Connection>());
    c = connections_.back().get();
    c->ends[0] = src;
    c->ends[1] = dst;
    c->first_packet = number;
    current_[key] = connections_.size() - 1;
    side = 0;
  }
  Direction& d = c->dir[side];
  if (syn) {
    if (!d.have_base || d.data.empty()) {
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
  if (payload.empty()) {
    return;
  }
  Add(c, side, number, seq, payload);
}

void Reassembler::Add(Connection* c, int side, size_t number, uint32_t seq, ByteView payload) {
  Direction& d = c->dir[side];
  if (!d.have_base) {
    d.have_base = true;
    d.base = seq;
  }
  const uint32_t rel32 = seq - d.base;
  if (rel32 >= 0x80000000u) {
    ++d.retransmitted;  // before the start we know: an old segment
    return;
  }
  const uint64_t rel = rel32;
  const size_t have = d.data.size();
  if (rel + payload.size() <= have) {
    ++d.retransmitted;
    return;
  }
  if (full()) {
    return;
  }
  if (rel > have) {
    auto& slot = d.pending[rel];
    if (!slot.data.empty() && slot.data.size() >= payload.size()) {
      ++d.retransmitted;
    } else {
      total_ += payload.size();
      slot = Segment{ntlm::Bytes(payload.begin(), payload.end()), number};
    }
    return;
  }
  const size_t skip = static_cast<size_t>(have - rel);
  d.marks.emplace_back(have, number);
  d.data.append(reinterpret_cast<const char*>(payload.data()) + skip, payload.size() - skip);
  total_ += payload.size() - skip;
  // Drain what now follows in order.
  while (!d.pending.empty() && d.pending.begin()->first <= d.data.size()) {
    auto first = d.pending.begin();
    const uint64_t at = first->first;
    const Segment& s = first->second;
    if (at + s.data.size() > d.data.size()) {
      const size_t from = static_cast<size_t>(d.data.size() - at);
      d.marks.emplace_back(d.data.size(), s.packet);
      d.data.append(reinterpret_cast<const char*>(s.data.data()) + from, s.data.size() - from);
    } else {
      ++d.retransmitted;
    }
    d.pending.erase(first);
  }
}

// HTTP/1.1 framing of one direction's bytes.
struct Parsed {
  HttpMessage msg;
  size_t offset = 0;  // of the first byte in the stream
  bool chunked = false;
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

// Parses the header block at |pos|; false with |why| when it is not HTTP or not complete.
bool ParseHead(std::string_view data, size_t pos, bool request, Parsed* out, size_t* body_at,
               std::string* why) {
  const std::string_view rest = data.substr(pos);
  const size_t end = rest.substr(0, kMaxHeaderBytes).find("\r\n\r\n");
  if (end == std::string_view::npos) {
    *why = rest.size() >= kMaxHeaderBytes
               ? "a header block longer than " + std::to_string(kMaxHeaderBytes) + " bytes"
               : "a message cut short in its headers (" + std::to_string(rest.size()) + " bytes)";
    return false;
  }
  std::string_view head = rest.substr(0, end);
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
    out->msg.target = std::string(start.substr(sp1 + 1, sp2 - sp1 - 1));
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
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    out->msg.headers.push_back(HttpHeader{std::string(line.substr(0, colon)), std::string(value)});
  }
  out->offset = pos;
  *body_at = pos + end + 4;
  return true;
}

// The body length and where the next message starts; false when the body is cut short.
bool SkipBody(std::string_view data, size_t at, const Parsed& p, bool request,
              std::string_view request_method, size_t* next, size_t* length, std::string* why) {
  const int status = p.msg.status;
  if (!request && ((status >= 100 && status < 200) || status == 204 || status == 304 ||
                   request_method == "HEAD")) {
    *next = at;
    *length = 0;
    return true;
  }
  auto te = p.msg.Find("Transfer-Encoding");
  if (te.has_value() && te->find("chunked") != std::string_view::npos) {
    size_t pos = at;
    size_t total = 0;
    while (true) {
      const size_t eol = data.find("\r\n", pos);
      if (eol == std::string_view::npos || eol - pos > 64) {
        *why = "a chunked body cut short";
        return false;
      }
      size_t size = 0;
      size_t i = pos;
      for (; i < eol; ++i) {
        const char c = data[i];
        int v = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (v < 0) {
          break;
        }
        if (size > (kMaxCaptureBytes >> 4)) {
          *why = "a chunk size too large";
          return false;
        }
        size = size * 16 + static_cast<size_t>(v);
      }
      if (i == pos) {
        *why = "a bad chunk size line";
        return false;
      }
      pos = eol + 2;
      if (size == 0) {
        const size_t trailer_end = data.find("\r\n", pos);
        if (trailer_end == std::string_view::npos) {
          *why = "a chunked body cut short";
          return false;
        }
        // Trailers are not expected; the empty line ends the body.
        *next = trailer_end + 2;
        *length = total;
        return true;
      }
      if (size + 2 > data.size() - pos) {
        *why = "a chunked body cut short";
        return false;
      }
      pos += size + 2;
      total += size;
    }
  }
  auto cl = p.msg.Find("Content-Length");
  if (cl.has_value()) {
    size_t n = 0;
    for (char c : *cl) {
      if (c < '0' || c > '9' || n > (kMaxCaptureBytes)) {
        *why = "a bad Content-Length";
        return false;
      }
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    *length = n;
    if (n > data.size() - at) {
      *why = "a body of " + std::to_string(n) + " bytes cut short after " +
             std::to_string(data.size() - at);
      *next = data.size();
      return false;
    }
    *next = at + n;
    return true;
  }
  if (request) {
    *next = at;
    *length = 0;
    return true;
  }
  *length = data.size() - at;  // until the connection closes
  *next = data.size();
  return true;
}

size_t PacketAt(const Direction& d, size_t offset) {
  auto it = std::upper_bound(d.marks.begin(), d.marks.end(), std::make_pair(offset, SIZE_MAX));
  return it == d.marks.begin() ? 0 : std::prev(it)->second;
}

void Reassembler::Http(const Connection& c, size_t index,
                       std::vector<std::pair<size_t, Exchange>>* out) {
  int client = c.client;
  if (client < 0) {
    client = StartsWithMethod(c.dir[0].data) ? 0 : StartsWithMethod(c.dir[1].data) ? 1 : 0;
  }
  const Direction& req = c.dir[client];
  const Direction& resp = c.dir[1 - client];
  const std::string label = c.ends[client] + " -> " + c.ends[1 - client];
  const std::string name = "connection " + std::to_string(index) + " (" + label + ")";
  if (req.data.empty() && resp.data.empty()) {
    return;
  }
  if (!StartsWithMethod(req.data)) {
    const bool tls =
        (!req.data.empty() && req.data[0] == 0x16) || (!resp.data.empty() && resp.data[0] == 0x16);
    Note(name + ": not HTTP/1.1" + (tls ? " (TLS)" : "") + "; skipped");
    return;
  }
  for (const Direction* d : {&req, &resp}) {
    if (!d->pending.empty()) {
      Note(name + ": " + std::to_string(d->pending.begin()->first - d->data.size()) +
           " bytes missing at stream offset " + std::to_string(d->data.size()) + " from " +
           (d == &req ? "the client" : "the server") + "; the rest of that direction is skipped");
    }
  }
  std::vector<Parsed> requests;
  std::vector<Parsed> responses;
  size_t pos = 0;
  while (pos < req.data.size()) {
    Parsed p;
    size_t body_at = 0, next = 0, len = 0;
    std::string why;
    if (!ParseHead(req.data, pos, true, &p, &body_at, &why)) {
      Note(name + ": client bytes at stream offset " + std::to_string(pos) + ": " + why +
           "; skipped");
      break;
    }
    const bool ok = SkipBody(req.data, body_at, p, true, "", &next, &len, &why);
    p.msg.body_length = len;
    requests.push_back(std::move(p));
    if (!ok) {
      Note(name + ": request at stream offset " + std::to_string(pos) + ": " + why);
      break;
    }
    pos = next;
  }
  pos = 0;
  size_t paired = 0;
  while (pos < resp.data.size()) {
    Parsed p;
    size_t body_at = 0, next = 0, len = 0;
    std::string why;
    if (!ParseHead(resp.data, pos, false, &p, &body_at, &why)) {
      Note(name + ": server bytes at stream offset " + std::to_string(pos) + ": " + why +
           "; skipped");
      break;
    }
    const std::string_view method =
        paired < requests.size() ? std::string_view(requests[paired].msg.method) : "";
    const bool ok = SkipBody(resp.data, body_at, p, false, method, &next, &len, &why);
    p.msg.body_length = len;
    if (p.msg.status >= 200) {
      ++paired;
      responses.push_back(std::move(p));
    }
    if (!ok) {
      Note(name + ": response at stream offset " + std::to_string(pos) + ": " + why);
      break;
    }
    pos = next;
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    Exchange e;
    const size_t packet = PacketAt(req, requests[i].offset);
    e.connection = label;
    e.where = "packet " + std::to_string(packet);
    e.request = std::move(requests[i].msg);
    if (i < responses.size()) {
      e.response = std::move(responses[i].msg);
    }
    out->emplace_back(packet, std::move(e));
  }
}

void Reassembler::Finish(Transcript* t) {
  std::vector<std::pair<size_t, Exchange>> all;
  for (size_t i = 0; i < connections_.size(); ++i) {
    Http(*connections_[i], i + 1, &all);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [packet, e] : all) {
    t->exchanges.push_back(std::move(e));
  }
  size_t retransmitted = 0;
  for (const auto& c : connections_) {
    retransmitted += c->dir[0].retransmitted + c->dir[1].retransmitted;
  }
  if (retransmitted > 0) {
    Note(std::to_string(retransmitted) + " retransmitted segment(s) dropped");
  }
  if (not_tcp_ > 0) {
    Note(std::to_string(not_tcp_) + " packet(s) that are not TCP over IPv4/IPv6 skipped");
  }
  if (fragments_ > 0) {
    Note(std::to_string(fragments_) + " IPv4 fragment(s) skipped (not reassembled)");
  }
  if (truncated_ > 0) {
    Note(std::to_string(truncated_) + " packet(s) cut short by the capture (snap length) skipped");
  }
  if (total_ > kMaxCaptureBytes) {
    Note("more than " + std::to_string(kMaxCaptureBytes >> 20) +
         " MiB of TCP payload; the rest was not read");
  }
  if (dropped_notes_ > 0) {
    notes_->push_back(std::to_string(dropped_notes_) + " more note(s) not shown");
  }
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
  while (!reassembler.full()) {
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
      break;
    }
    const bool truncated = hdr->caplen < hdr->len;
    reassembler.Packet(number, linktype, ByteView(data, hdr->caplen), truncated);
  }
  reassembler.Finish(&t);
  return t;
}

}  // namespace ntlmh::explain
