// AV pairs, Single_Host_Data, NTLMv2_CLIENT_CHALLENGE and NTLMv2_RESPONSE: [MS-NLMP] 2.2.2.1,
// 2.2.2.2, 2.2.2.7, 2.2.2.8; FILETIME 2.2.2.9.
#include "engine/av_pairs.h"

#include <algorithm>
#include <bitset>
#include <cstdio>
#include <memory>

#include "engine/text.h"

namespace ntlm {

namespace {

constexpr char kRuleAvPair[] = "MS-NLMP 2.2.2.1";
constexpr char kRuleSingleHost[] = "MS-NLMP 2.2.2.2";
constexpr char kRuleBlob[] = "MS-NLMP 2.2.2.7";
constexpr char kRuleResponse[] = "MS-NLMP 2.2.2.8";

bool IsStringAvId(uint16_t id) {
  return (id >= static_cast<uint16_t>(AvId::kNbComputerName) &&
          id <= static_cast<uint16_t>(AvId::kDnsTreeName)) ||
         id == static_cast<uint16_t>(AvId::kTargetName);
}

// The AvLen a fixed-size pair must have, or -1 when the length is variable.
int FixedAvLen(uint16_t id) {
  switch (static_cast<AvId>(id)) {
    case AvId::kEol: return 0;
    case AvId::kFlags: return 4;
    case AvId::kTimestamp: return 8;
    case AvId::kChannelBindings: return 16;
    default: return -1;
  }
}

constexpr size_t kSingleHostMinSize = 48;

// The AvIds met so far in one list (for the duplicate check): the spec's ids in one word, any
// other id in a set of 65536 bits allocated only when such an id appears (a lenient policy's
// unknown ids), so a usual list costs no allocation.
class SeenAvIds {
 public:
  bool Test(uint16_t id) const {
    if (id <= kMaxKnownAvId) {
      return ((known_ >> id) & 1u) != 0;
    }
    return other_ != nullptr && (*other_)[id];
  }
  void Set(uint16_t id) {
    if (id <= kMaxKnownAvId) {
      known_ |= 1u << id;
      return;
    }
    if (other_ == nullptr) {
      other_ = std::make_unique<std::bitset<65536>>();
    }
    (*other_)[id] = true;
  }

 private:
  static_assert(kMaxKnownAvId < 32, "the known ids must fit in one word");
  uint32_t known_ = 0;
  std::unique_ptr<std::bitset<65536>> other_;
};

std::string PairField(size_t index, uint16_t id, const char* part) {
  return "TargetInfo[" + std::to_string(index) + "](" + AvIdName(id) + ")." + part;
}

}  // namespace

std::string AvIdName(uint16_t id) {
  switch (static_cast<AvId>(id)) {
    case AvId::kEol: return "MsvAvEOL";
    case AvId::kNbComputerName: return "MsvAvNbComputerName";
    case AvId::kNbDomainName: return "MsvAvNbDomainName";
    case AvId::kDnsComputerName: return "MsvAvDnsComputerName";
    case AvId::kDnsDomainName: return "MsvAvDnsDomainName";
    case AvId::kDnsTreeName: return "MsvAvDnsTreeName";
    case AvId::kFlags: return "MsvAvFlags";
    case AvId::kTimestamp: return "MsvAvTimestamp";
    case AvId::kSingleHost: return "MsvAvSingleHost";
    case AvId::kTargetName: return "MsvAvTargetName";
    case AvId::kChannelBindings: return "MsvAvChannelBindings";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "MsvAvUnknown(0x%04x)", id);
  return buf;
}

Result<SingleHostData> DecodeSingleHostData(ByteView value) {
  ByteReader r(value);
  SingleHostData d;
  uint32_t z4 = 0;
  if (!r.ReadU32Le(&d.size) || !r.ReadU32Le(&z4) || !r.ReadInto(d.custom_data) ||
      !r.ReadInto(d.machine_id)) {
    return MakeError(ErrorCode::kTruncated, kRuleSingleHost, "Single_Host_Data", r.offset(),
                     "Single_Host_Data needs 48 bytes, got " + std::to_string(value.size()));
  }
  // Size counts the whole structure; it must cover the fixed part and fit the value.
  if (d.size < kSingleHostMinSize || d.size > value.size()) {
    return MakeError(ErrorCode::kBadLength, kRuleSingleHost, "Single_Host_Data.Size", 0,
                     "Size " + std::to_string(d.size) + " does not fit an AvLen of " +
                         std::to_string(value.size()));
  }
  ByteView extra;
  if (!r.ReadBytes(d.size - kSingleHostMinSize, &extra)) {
    return MakeError(ErrorCode::kTruncated, kRuleSingleHost, "Single_Host_Data", r.offset(),
                     "Size runs past the value");
  }
  d.extra.assign(extra.begin(), extra.end());
  return d;
}

Bytes EncodeSingleHostData(const SingleHostData& d) {
  ByteWriter w;
  w.WriteU32Le(static_cast<uint32_t>(kSingleHostMinSize + d.extra.size()));
  w.WriteU32Le(0);
  w.WriteBytes(d.custom_data);
  w.WriteBytes(d.machine_id);
  w.WriteBytes(d.extra);
  return w.Take();
}

const AvPair* TargetInfo::Find(AvId id) const {
  for (const AvPair& p : pairs) {
    if (p.id == static_cast<uint16_t>(id)) {
      return &p;
    }
  }
  return nullptr;
}

std::optional<std::string> TargetInfo::GetString(AvId id) const {
  const AvPair* p = Find(id);
  if (p == nullptr) {
    return std::nullopt;
  }
  auto s = text::Utf16LeToUtf8(p->value);
  if (!s.ok()) {
    return std::nullopt;
  }
  return std::move(s).value();
}

std::optional<uint32_t> TargetInfo::GetFlags() const {
  const AvPair* p = Find(AvId::kFlags);
  uint32_t v = 0;
  if (p == nullptr || p->value.size() != 4) {
    return std::nullopt;
  }
  ByteReader r(p->value);
  if (!r.ReadU32Le(&v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> TargetInfo::GetTimestamp() const {
  const AvPair* p = Find(AvId::kTimestamp);
  uint64_t v = 0;
  if (p == nullptr || p->value.size() != 8) {
    return std::nullopt;
  }
  ByteReader r(p->value);
  if (!r.ReadU64Le(&v)) {
    return std::nullopt;
  }
  return v;
}

void TargetInfo::Set(AvId id, Bytes value) {
  for (AvPair& p : pairs) {
    if (p.id == static_cast<uint16_t>(id)) {
      p.value = std::move(value);
      return;
    }
  }
  pairs.push_back(AvPair{static_cast<uint16_t>(id), std::move(value)});
}

Status TargetInfo::SetString(AvId id, std::string_view utf8) {
  auto v = text::Utf8ToUtf16Le(utf8);
  if (!v.ok()) {
    return v.error();
  }
  Set(id, std::move(v).value());
  return Status();
}

void TargetInfo::SetFlags(uint32_t flags) {
  ByteWriter w;
  w.WriteU32Le(flags);
  Set(AvId::kFlags, w.Take());
}

void TargetInfo::SetTimestamp(uint64_t filetime) {
  ByteWriter w;
  w.WriteU64Le(filetime);
  Set(AvId::kTimestamp, w.Take());
}

void TargetInfo::Remove(AvId id) {
  std::erase_if(pairs, [id](const AvPair& p) { return p.id == static_cast<uint16_t>(id); });
}

Result<TargetInfo> DecodeTargetInfo(ByteReader r, const DecodePolicy& policy, Bytes* trailing) {
  TargetInfo ti;
  // Every pair takes at least its 4-byte header: room for the usual lists without regrowing.
  ti.pairs.reserve(std::min<size_t>(r.remaining() / 4, 16));
  SeenAvIds seen;
  bool saw_eol = false;

  while (!r.empty()) {
    const size_t index = ti.pairs.size();
    const size_t pair_at = r.offset();
    uint16_t id = 0;
    uint16_t len = 0;
    if (!r.ReadU16Le(&id) || !r.ReadU16Le(&len)) {
      return MakeError(ErrorCode::kAvPairTruncated, kRuleAvPair,
                       "TargetInfo[" + std::to_string(index) + "].AvId", pair_at,
                       "an AV pair header needs 4 bytes, " + std::to_string(r.remaining()) +
                           " remain in the list");
    }
    const size_t value_at = r.offset();
    ByteView value;
    if (!r.ReadBytes(len, &value)) {
      return MakeError(ErrorCode::kAvPairTruncated, kRuleAvPair, PairField(index, id, "AvLen"),
                       pair_at + 2,
                       "AvLen " + std::to_string(len) + " runs past the end of the list (" +
                           ByteCount(r.remaining()) + (r.remaining() == 1 ? " remains)" : " remain)"));
    }

    // Fixed lengths: MsvAvEOL 0, MsvAvFlags 4, MsvAvTimestamp 8, MsvAvChannelBindings 16
    // (2.2.2.1); MsvAvSingleHost at least 48 (2.2.2.2).
    const int fixed = FixedAvLen(id);
    if (fixed >= 0 && len != fixed) {
      return MakeError(ErrorCode::kAvPairBadLength, kRuleAvPair, PairField(index, id, "AvLen"),
                       pair_at + 2,
                       AvIdName(id) + " must have AvLen " + std::to_string(fixed) + ", has " +
                           std::to_string(len));
    }
    if (id == static_cast<uint16_t>(AvId::kEol)) {
      saw_eol = true;
      break;
    }
    if (id == static_cast<uint16_t>(AvId::kSingleHost)) {
      auto shd = DecodeSingleHostData(value);
      if (!shd.ok()) {
        return shd.error().Nested(PairField(index, id, "Value"), value_at);
      }
    }
    if (IsStringAvId(id)) {
      Status s = text::ValidateUtf16Le(value);
      if (!s.ok()) {
        Error e = s.error().Nested(PairField(index, id, "Value"), value_at);
        e.rule = kRuleAvPair;
        return e;
      }
    }
    if (id > kMaxKnownAvId && !policy.allow_unknown_av_ids) {
      return MakeError(ErrorCode::kAvPairUnknownId, kRuleAvPair, PairField(index, id, "AvId"),
                       pair_at, "AvId " + std::to_string(id) + " is not defined by the spec");
    }
    if (seen.Test(id) && !policy.allow_duplicate_av_ids) {
      return MakeError(ErrorCode::kAvPairDuplicate, kRuleAvPair, PairField(index, id, "AvId"),
                       pair_at, AvIdName(id) + " appears more than once");
    }
    seen.Set(id);
    ti.pairs.push_back(AvPair{id, Bytes(value.begin(), value.end())});
  }

  if (!saw_eol && !policy.allow_missing_eol) {
    return MakeError(ErrorCode::kAvPairMissingEol, kRuleAvPair, "TargetInfo", r.offset(),
                     "the AV pair list ends without MsvAvEOL");
  }
  ti.had_eol = saw_eol;
  ti.bytes_after_eol = r.remaining();
  if (!r.empty()) {
    if (trailing != nullptr) {
      ByteView rest = r.rest();
      trailing->assign(rest.begin(), rest.end());
    } else if (!policy.allow_bytes_after_eol) {
      return MakeError(ErrorCode::kTrailingBytes, kRuleAvPair, "TargetInfo", r.offset(),
                       ByteCount(r.remaining()) + (r.remaining() == 1 ? " follows" : " follow") +
                           " MsvAvEOL");
    }
  }
  return ti;
}

Result<Bytes> EncodeTargetInfo(const TargetInfo& ti) {
  ByteWriter w;
  size_t total = 4;  // MsvAvEOL
  for (const AvPair& p : ti.pairs) {
    total += 4 + p.value.size();
  }
  w.ReserveCapacity(total);
  for (size_t i = 0; i < ti.pairs.size(); ++i) {
    const AvPair& p = ti.pairs[i];
    if (p.value.size() > 0xFFFF) {
      return MakeError(ErrorCode::kTooLarge, kRuleAvPair, PairField(i, p.id, "Value"), 0,
                       "an AV pair value is limited to 65535 bytes");
    }
    w.WriteU16Le(p.id);
    w.WriteU16Le(static_cast<uint16_t>(p.value.size()));
    w.WriteBytes(p.value);
  }
  w.WriteU16Le(static_cast<uint16_t>(AvId::kEol));
  w.WriteU16Le(0);
  if (!w.ok()) {
    return MakeError(ErrorCode::kTooLarge, kRuleAvPair, "TargetInfo", 0, "target info too large");
  }
  return w.Take();
}

Result<NtlmV2ClientChallenge> DecodeNtlmV2ClientChallenge(ByteReader r,
                                                          const DecodePolicy& policy) {
  NtlmV2ClientChallenge b;
  const size_t start = r.offset();
  if (r.remaining() < kNtlmV2ClientChallengeHeaderSize) {
    return MakeError(ErrorCode::kTruncated, kRuleBlob, "NTLMv2_CLIENT_CHALLENGE", start,
                     "the client challenge needs at least 28 bytes, got " +
                         std::to_string(r.remaining()));
  }
  // The size check above makes every fixed read below succeed.
  bool ok = r.ReadU8(&b.resp_type) && r.ReadU8(&b.hi_resp_type) && r.ReadU16Le(&b.reserved1) &&
            r.ReadU32Le(&b.reserved2) && r.ReadU64Le(&b.timestamp) &&
            r.ReadInto(b.client_challenge) && r.ReadU32Le(&b.reserved3);
  if (!ok) {
    return MakeError(ErrorCode::kTruncated, kRuleBlob, "NTLMv2_CLIENT_CHALLENGE", start,
                     "short header");
  }
  // RespType and HiRespType MUST be 1 (2.2.2.7).
  if (b.resp_type != 1) {
    return MakeError(ErrorCode::kBadValue, kRuleBlob, "NTLMv2_CLIENT_CHALLENGE.RespType", start,
                     "RespType must be 1, is " + std::to_string(b.resp_type));
  }
  if (b.hi_resp_type != 1) {
    return MakeError(ErrorCode::kBadValue, kRuleBlob, "NTLMv2_CLIENT_CHALLENGE.HiRespType",
                     start + 1, "HiRespType must be 1, is " + std::to_string(b.hi_resp_type));
  }
  // The AV pairs run to MsvAvEOL; what follows (Z(4) from 3.3.2's temp) is kept as the trailer.
  auto ti = DecodeTargetInfo(ByteReader(r.rest(), r.offset()), policy, &b.trailer);
  if (!ti.ok()) {
    Error e = ti.error();
    if (e.field.rfind("TargetInfo", 0) == 0) {
      e.field = "NTLMv2_CLIENT_CHALLENGE.AvPairs" + e.field.substr(10);
    }
    return e;
  }
  b.av_pairs = std::move(ti).value();
  return b;
}

Result<Bytes> EncodeNtlmV2ClientChallenge(const NtlmV2ClientChallenge& b) {
  auto ti = EncodeTargetInfo(b.av_pairs);
  if (!ti.ok()) {
    return ti.error();
  }
  ByteWriter w;
  w.WriteU8(b.resp_type);
  w.WriteU8(b.hi_resp_type);
  w.WriteU16Le(b.reserved1);
  w.WriteU32Le(b.reserved2);
  w.WriteU64Le(b.timestamp);
  w.WriteBytes(b.client_challenge);
  w.WriteU32Le(b.reserved3);
  w.WriteBytes(*ti);
  w.WriteBytes(b.trailer);
  if (!w.ok()) {
    return MakeError(ErrorCode::kTooLarge, kRuleBlob, "NTLMv2_CLIENT_CHALLENGE", 0, "too large");
  }
  return w.Take();
}

Result<NtlmV2Response> DecodeNtlmV2Response(ByteReader r, const DecodePolicy& policy) {
  NtlmV2Response resp;
  const size_t start = r.offset();
  if (!r.ReadInto(resp.nt_proof_str)) {
    return MakeError(ErrorCode::kTruncated, kRuleResponse, "NTLMv2_RESPONSE.Response", start,
                     "NTProofStr needs 16 bytes");
  }
  auto blob = DecodeNtlmV2ClientChallenge(ByteReader(r.rest(), r.offset()), policy);
  if (!blob.ok()) {
    return blob.error();
  }
  resp.blob = std::move(blob).value();
  return resp;
}

namespace {

// Days since 1970-01-01 to a civil date (proleptic Gregorian), for the FILETIME display.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

// 100 ns ticks between 1601-01-01 and 1970-01-01.
constexpr uint64_t kFileTimeUnixEpoch = 116444736000000000ULL;

}  // namespace

std::string FileTimeToIso8601(uint64_t filetime) {
  // Work from 1601 in whole seconds; 1601-01-01 is 134774 days before 1970-01-01.
  const uint64_t secs = filetime / 10000000ULL;
  const unsigned ticks = static_cast<unsigned>(filetime % 10000000ULL);
  const int64_t days = static_cast<int64_t>(secs / 86400) - 134774;
  const unsigned sod = static_cast<unsigned>(secs % 86400);
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02u.%07uZ",
                static_cast<long long>(y), m, d, sod / 3600, (sod / 60) % 60, sod % 60, ticks);
  return buf;
}

uint64_t UnixToFileTime(int64_t unix_seconds, uint32_t nanos) {
  return kFileTimeUnixEpoch + static_cast<uint64_t>(unix_seconds) * 10000000ULL + nanos / 100;
}

}  // namespace ntlm
