// NEGOTIATE, CHALLENGE and AUTHENTICATE messages: [MS-NLMP] 2.2.1.1, 2.2.1.2, 2.2.1.3; VERSION
// 2.2.2.10.
#include "engine/messages.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "engine/text.h"

namespace ntlm {

namespace {

constexpr char kRuleMessage[] = "MS-NLMP 2.2.1";
constexpr char kRuleNegotiate[] = "MS-NLMP 2.2.1.1";
constexpr char kRuleChallenge[] = "MS-NLMP 2.2.1.2";
constexpr char kRuleAuthenticate[] = "MS-NLMP 2.2.1.3";
constexpr char kRuleVersion[] = "MS-NLMP 2.2.2.10";

// Fixed header sizes.
constexpr size_t kNegotiateHeaderSize = 32;
constexpr size_t kChallengeLegacyHeaderSize = 32;
constexpr size_t kChallengeHeaderSize = 48;
constexpr size_t kAuthenticateHeaderSize = 64;
constexpr size_t kVersionSize = 8;
constexpr size_t kMicSize = 16;

// Field positions.
constexpr size_t kMessageTypeOffset = 8;
constexpr size_t kNegotiateFlagsOffset = 12;
constexpr size_t kNegotiateDomainFieldsOffset = 16;
constexpr size_t kNegotiateWorkstationFieldsOffset = 24;
constexpr size_t kChallengeTargetNameFieldsOffset = 12;
constexpr size_t kChallengeFlagsOffset = 20;
constexpr size_t kChallengeTargetInfoFieldsOffset = 40;
constexpr size_t kAuthLmFieldsOffset = 12;
constexpr size_t kAuthNtFieldsOffset = 20;
constexpr size_t kAuthDomainFieldsOffset = 28;
constexpr size_t kAuthUserFieldsOffset = 36;
constexpr size_t kAuthWorkstationFieldsOffset = 44;
constexpr size_t kAuthSessionKeyFieldsOffset = 52;
constexpr size_t kAuthFlagsOffset = 60;

const char* MessageName(MessageType t) {
  switch (t) {
    case MessageType::kNegotiate: return "NEGOTIATE";
    case MessageType::kChallenge: return "CHALLENGE";
    case MessageType::kAuthenticate: return "AUTHENTICATE";
  }
  return "?";
}

// Reads and checks Signature and MessageType, then makes sure |min_size| bytes are there.
Status ReadPreamble(ByteReader* r, MessageType expected, size_t min_size, const char* rule) {
  if (!r->Match(kNtlmSignature)) {
    if (r->remaining() < kNtlmSignature.size()) {
      return MakeError(ErrorCode::kTruncated, kRuleMessage, "Signature", 0,
                       "the message has " + ByteCount(r->remaining()) +
                           ", too few for the 8-byte signature");
    }
    return MakeError(ErrorCode::kBadSignature, kRuleMessage, "Signature", 0,
                     "Signature must be \"NTLMSSP\\0\"");
  }
  uint32_t type = 0;
  if (!r->ReadU32Le(&type)) {
    return MakeError(ErrorCode::kTruncated, kRuleMessage, "MessageType", kMessageTypeOffset,
                     "the message ends inside MessageType");
  }
  if (type != static_cast<uint32_t>(expected)) {
    return MakeError(ErrorCode::kWrongMessageType, rule, "MessageType", kMessageTypeOffset,
                     "MessageType is " + std::to_string(type) + ", expected " +
                         std::to_string(static_cast<uint32_t>(expected)) + " (" +
                         MessageName(expected) + ")");
  }
  if (r->size() < min_size) {
    return MakeError(ErrorCode::kTruncated, rule, std::string(MessageName(expected)),
                     r->size(),
                     std::string(expected == MessageType::kAuthenticate ? "an " : "a ") +
                         MessageName(expected) + " message needs at least " +
                         std::to_string(min_size) + " bytes, got " + std::to_string(r->size()));
  }
  return Status();
}

// Reads an 8-byte (Len, MaxLen, BufferOffset) triple at |pos|. The caller has checked the size.
PayloadField ReadFieldAt(const ByteReader& msg, size_t pos) {
  PayloadField f;
  ByteReader r(ByteView{});
  if (msg.ReaderAt(pos, 8, &r) && r.ReadU16Le(&f.len) && r.ReadU16Le(&f.max_len) &&
      r.ReadU32Le(&f.offset)) {
    f.present = true;
  }
  return f;
}

uint32_t ReadU32At(const ByteReader& msg, size_t pos) {
  ByteReader r(ByteView{});
  uint32_t v = 0;
  if (msg.ReaderAt(pos, 4, &r) && r.ReadU32Le(&v)) {
    return v;
  }
  return 0;
}

// The lowest BufferOffset among non-empty payloads (empty fields' offsets are meaningless on
// the wire: real peers write 0 or anything), or the message size when all are empty.
size_t FirstPayloadOffset(size_t msg_size, std::initializer_list<const PayloadField*> fields) {
  size_t first = msg_size;
  for (const PayloadField* f : fields) {
    if (f->len != 0) {
      first = std::min<size_t>(first, f->offset);
    }
  }
  return first;
}

// Returns a reader over a payload field's bytes, checked to lie inside the message and after
// the header. |name| is the spec's field name, e.g. "DomainNameFields".
Status ReadPayload(const ByteReader& msg, const PayloadField& f, const char* name,
                   size_t fields_pos, size_t header_end, const char* rule, ByteReader* out) {
  *out = ByteReader(ByteView{}, f.offset);
  if (f.len == 0) {
    return Status();
  }
  // Subtract-first check inside ReaderAt: offset <= size && len <= size - offset.
  if (!msg.ReaderAt(f.offset, f.len, out)) {
    return MakeError(ErrorCode::kPayloadOutOfBounds, rule, std::string(name) + ".BufferOffset",
                     fields_pos + 4,
                     "Len " + std::to_string(f.len) + " at BufferOffset " +
                         std::to_string(f.offset) + " runs past the end of the " +
                         std::to_string(msg.size()) + "-byte message");
  }
  if (f.offset < header_end) {
    return MakeError(ErrorCode::kPayloadOverlapsHeader, rule, std::string(name) + ".BufferOffset",
                     fields_pos + 4,
                     "BufferOffset " + std::to_string(f.offset) + " points into the " +
                         std::to_string(header_end) + "-byte header");
  }
  return Status();
}

struct FieldRef {
  const PayloadField* field;
  const char* name;
  size_t pos;
};

// Checks every non-empty payload against the message and the fixed header before VERSION and
// the MIC are looked for, so an error names the payload that is really wrong rather than the
// VERSION its bad offset left no room for.
Status CheckPayloads(const ByteReader& msg, std::initializer_list<FieldRef> fields,
                     size_t fixed_header, const char* rule) {
  ByteReader unused(ByteView{});
  for (const FieldRef& f : fields) {
    if (Status s = ReadPayload(msg, *f.field, f.name, f.pos, fixed_header, rule, &unused);
        !s.ok()) {
      return s;
    }
  }
  return Status();
}

// Decodes a string payload: UTF-16LE when |unicode|, else OEM.
Result<std::string> DecodeString(const ByteReader& payload, bool unicode, const char* name,
                                 const char* rule) {
  if (!unicode) {
    return text::OemToUtf8(payload.whole());
  }
  auto s = text::Utf16LeToUtf8(payload.whole());
  if (!s.ok()) {
    Error e = s.error().Nested(name, payload.offset());
    e.rule = rule;
    return e;
  }
  return std::move(s).value();
}

Result<Bytes> EncodeString(std::string_view utf8, bool unicode, const char* name) {
  auto b = unicode ? text::Utf8ToUtf16Le(utf8) : text::Utf8ToOem(utf8);
  if (!b.ok()) {
    return b.error().Nested(name, 0);
  }
  return b;
}

Version ReadVersionAt(const ByteReader& msg, size_t pos) {
  Version v;
  ByteReader r(ByteView{});
  if (msg.ReaderAt(pos, kVersionSize, &r)) {
    bool ok = r.ReadU8(&v.major) && r.ReadU8(&v.minor) && r.ReadU16Le(&v.build) &&
              r.ReadInto(v.reserved) && r.ReadU8(&v.ntlm_revision);
    (void)ok;  // the size was checked by ReaderAt
  }
  return v;
}

void WriteVersion(ByteWriter* w, const Version& v) {
  w->WriteU8(v.major);
  w->WriteU8(v.minor);
  w->WriteU16Le(v.build);
  w->WriteBytes(v.reserved);
  w->WriteU8(v.ntlm_revision);
}

Error MissingVersion(size_t pos, size_t room, const char* rule) {
  return MakeError(ErrorCode::kTruncated, rule, "Version", pos,
                   "NTLMSSP_NEGOTIATE_VERSION is set but only " + ByteCount(room) +
                       (room == 1 ? " lies" : " lie") +
                       " between the fixed header and the first payload, too few for the " +
                       std::to_string(kVersionSize) + "-byte VERSION (" + kRuleVersion + ")");
}

// The 32-byte CHALLENGE header of older servers ends at ServerChallenge: it has no room for a
// VERSION, whatever follows it ([MS-NLMP] 2.2.1.2).
Error LegacyChallengeWithVersionFlag(size_t pos, const char* rule) {
  return MakeError(ErrorCode::kTruncated, rule, "Version", pos,
                   "NTLMSSP_NEGOTIATE_VERSION is set but the message has the 32-byte legacy "
                   "header (no Reserved, TargetInfoFields or VERSION)");
}

// Builds a message's payload area: each Add() reserves the 8-byte field in the header (already
// written as zeros at |fields_pos|) and appends the payload; Finish() patches the fields.
class PayloadWriter {
 public:
  explicit PayloadWriter(ByteWriter* w) : w_(w) {}

  Status Add(size_t fields_pos, ByteView data, const PayloadField& decoded,
             const char* name) {
    if (data.size() > 0xFFFF) {
      return MakeError(ErrorCode::kTooLarge, kRuleMessage, std::string(name) + ".Len", fields_pos,
                       "a payload is limited to 65535 bytes, this one has " +
                           std::to_string(data.size()));
    }
    uint32_t offset = static_cast<uint32_t>(w_->size());
    if (data.empty() && decoded.present) {
      offset = decoded.offset;  // keep the decoded message's choice for empty fields
    }
    const uint16_t len = static_cast<uint16_t>(data.size());
    w_->PatchU16Le(fields_pos, len);
    w_->PatchU16Le(fields_pos + 2, len);
    w_->PatchU32Le(fields_pos + 4, offset);
    w_->WriteBytes(data);
    return Status();
  }

 private:
  ByteWriter* w_;
};

}  // namespace

std::string VersionToString(const Version& v) {
  std::string out = std::to_string(v.major) + "." + std::to_string(v.minor) + "." +
                    std::to_string(v.build);
  // Windows 10, 11 and their servers all say 10.0; the build tells them apart. Releases by
  // build (Microsoft's release information pages); servers share the client's build.
  static constexpr struct {
    uint16_t build;
    const char* name;
  } kReleases[] = {
      {10240, "Windows 10 1507"},
      {10586, "Windows 10 1511"},
      {14393, "Windows 10 1607 / Server 2016"},
      {15063, "Windows 10 1703"},
      {16299, "Windows 10 1709"},
      {17134, "Windows 10 1803"},
      {17763, "Windows 10 1809 / Server 2019"},
      {18362, "Windows 10 1903"},
      {18363, "Windows 10 1909"},
      {19041, "Windows 10 2004"},
      {19042, "Windows 10 20H2"},
      {19043, "Windows 10 21H1"},
      {19044, "Windows 10 21H2"},
      {19045, "Windows 10 22H2"},
      {20348, "Server 2022"},
      {22000, "Windows 11 21H2"},
      {22621, "Windows 11 22H2"},
      {22631, "Windows 11 23H2"},
      {26100, "Windows 11 24H2 / Server 2025"},
      {26200, "Windows 11 25H2"},
  };
  std::string name;
  if (v.major == 5 && v.minor == 1) name = "Windows XP";
  if (v.major == 5 && v.minor == 2) name = "Windows Server 2003";
  if (v.major == 6 && v.minor == 0) name = "Windows Vista / Server 2008";
  if (v.major == 6 && v.minor == 1) name = "Windows 7 / Server 2008 R2";
  if (v.major == 6 && v.minor == 2) name = "Windows 8 / Server 2012";
  if (v.major == 6 && v.minor == 3) name = "Windows 8.1 / Server 2012 R2";
  if (v.major == 10 && v.minor == 0) {
    for (const auto& r : kReleases) {
      if (r.build == v.build) {
        name = r.name;
      }
    }
    if (name.empty()) {
      if (v.build < 10240) {
        name = "Windows 10 pre-release";
      } else if (v.build <= 19045) {
        name = "Windows 10";
      } else if (v.build < 22000) {
        name = "Windows pre-release";  // Insider builds between Windows 10 and 11
      } else {
        name = "Windows 11";
      }
    }
  }
  if (!name.empty()) {
    out += " (" + name + ")";
  }
  out += ", NTLM revision " + std::to_string(v.ntlm_revision);
  return out;
}

Result<MessageType> PeekMessageType(ByteView msg) {
  ByteReader r(msg);
  if (!r.Match(kNtlmSignature)) {
    if (msg.size() < kNtlmSignature.size()) {
      return MakeError(ErrorCode::kTruncated, kRuleMessage, "Signature", 0,
                       "the message has " + ByteCount(msg.size()) +
                           ", too few for the 8-byte signature");
    }
    return MakeError(ErrorCode::kBadSignature, kRuleMessage, "Signature", 0,
                     "Signature must be \"NTLMSSP\\0\"");
  }
  uint32_t type = 0;
  if (!r.ReadU32Le(&type)) {
    return MakeError(ErrorCode::kTruncated, kRuleMessage, "MessageType", kMessageTypeOffset,
                     "the message ends inside MessageType");
  }
  if (type < 1 || type > 3) {
    return MakeError(ErrorCode::kWrongMessageType, kRuleMessage, "MessageType",
                     kMessageTypeOffset,
                     "MessageType " + std::to_string(type) + " is none of 1, 2, 3");
  }
  return static_cast<MessageType>(type);
}

// ---- NEGOTIATE, 2.2.1.1 ------------------------------------------------------------------

Result<NegotiateMessage> DecodeNegotiate(ByteView data, const DecodePolicy& policy) {
  ByteReader msg(data);
  ByteReader r = msg;
  if (Status s = ReadPreamble(&r, MessageType::kNegotiate, kNegotiateHeaderSize, kRuleNegotiate);
      !s.ok()) {
    return s.error();
  }
  NegotiateMessage m;
  m.flags = ReadU32At(msg, kNegotiateFlagsOffset);
  m.domain_field = ReadFieldAt(msg, kNegotiateDomainFieldsOffset);
  m.workstation_field = ReadFieldAt(msg, kNegotiateWorkstationFieldsOffset);

  if (Status s = CheckPayloads(msg,
                               {{&m.domain_field, "DomainNameFields", kNegotiateDomainFieldsOffset},
                                {&m.workstation_field, "WorkstationFields",
                                 kNegotiateWorkstationFieldsOffset}},
                               kNegotiateHeaderSize, kRuleNegotiate);
      !s.ok()) {
    return s.error();
  }
  size_t header_end = kNegotiateHeaderSize;
  const size_t first =
      FirstPayloadOffset(data.size(), {&m.domain_field, &m.workstation_field});
  if ((m.flags & kNegotiateVersion) != 0) {
    if (first >= kNegotiateHeaderSize + kVersionSize) {
      m.version = ReadVersionAt(msg, kNegotiateHeaderSize);
      header_end += kVersionSize;
    } else if (!policy.allow_missing_version) {
      return MissingVersion(kNegotiateHeaderSize,
                            first > kNegotiateHeaderSize ? first - kNegotiateHeaderSize : 0,
                            kRuleNegotiate);
    }
  }

  // DomainName and WorkstationName are OEM strings whatever the flags say (2.2.1.1).
  ByteReader payload(ByteView{});
  if (Status s = ReadPayload(msg, m.domain_field, "DomainNameFields",
                             kNegotiateDomainFieldsOffset, header_end, kRuleNegotiate, &payload);
      !s.ok()) {
    return s.error();
  }
  m.domain = text::OemToUtf8(payload.whole());
  if (Status s = ReadPayload(msg, m.workstation_field, "WorkstationFields",
                             kNegotiateWorkstationFieldsOffset, header_end, kRuleNegotiate,
                             &payload);
      !s.ok()) {
    return s.error();
  }
  m.workstation = text::OemToUtf8(payload.whole());
  return m;
}

Result<Bytes> EncodeNegotiate(const NegotiateMessage& m) {
  auto domain = EncodeString(m.domain, false, "DomainName");
  if (!domain.ok()) {
    return domain.error();
  }
  auto workstation = EncodeString(m.workstation, false, "WorkstationName");
  if (!workstation.ok()) {
    return workstation.error();
  }
  ByteWriter w;
  w.ReserveCapacity(kNegotiateHeaderSize + kVersionSize + domain->size() + workstation->size());
  w.WriteBytes(kNtlmSignature);
  w.WriteU32Le(static_cast<uint32_t>(MessageType::kNegotiate));
  w.WriteU32Le(m.flags);
  w.WriteZeros(16);  // DomainNameFields, WorkstationFields
  if (m.version.has_value()) {
    WriteVersion(&w, *m.version);
  }
  PayloadWriter p(&w);
  if (Status s = p.Add(kNegotiateDomainFieldsOffset, *domain, m.domain_field, "DomainNameFields");
      !s.ok()) {
    return s.error();
  }
  if (Status s = p.Add(kNegotiateWorkstationFieldsOffset, *workstation, m.workstation_field,
                       "WorkstationFields");
      !s.ok()) {
    return s.error();
  }
  return w.Take();
}

// ---- CHALLENGE, 2.2.1.2 ------------------------------------------------------------------

Result<ChallengeMessage> DecodeChallenge(ByteView data, const DecodePolicy& policy) {
  ByteReader msg(data);
  ByteReader r = msg;
  if (Status s = ReadPreamble(&r, MessageType::kChallenge, kChallengeLegacyHeaderSize,
                              kRuleChallenge);
      !s.ok()) {
    return s.error();
  }
  ChallengeMessage m;
  m.target_name_field = ReadFieldAt(msg, kChallengeTargetNameFieldsOffset);
  m.flags = ReadU32At(msg, kChallengeFlagsOffset);
  ByteReader chal(ByteView{});
  if (!msg.ReaderAt(24, 8, &chal) || !chal.ReadInto(m.server_challenge)) {
    return MakeError(ErrorCode::kTruncated, kRuleChallenge, "ServerChallenge", 24, "truncated");
  }

  // The 32-byte legacy form has no Reserved and TargetInfoFields; it is recognised by its size
  // or by a target name that starts right after ServerChallenge.
  const bool name_in_reserved =
      m.target_name_field.len != 0 && m.target_name_field.offset < kChallengeHeaderSize;
  m.legacy_header = data.size() < kChallengeHeaderSize || name_in_reserved;
  size_t header_end = kChallengeLegacyHeaderSize;
  if (!m.legacy_header) {
    ByteReader res(ByteView{});
    if (!msg.ReaderAt(32, 8, &res) || !res.ReadInto(m.reserved)) {
      return MakeError(ErrorCode::kTruncated, kRuleChallenge, "Reserved", 32, "truncated");
    }
    m.target_info_field = ReadFieldAt(msg, kChallengeTargetInfoFieldsOffset);
    header_end = kChallengeHeaderSize;
  }

  if (Status s = CheckPayloads(
          msg,
          {{&m.target_name_field, "TargetNameFields", kChallengeTargetNameFieldsOffset},
           {&m.target_info_field, "TargetInfoFields", kChallengeTargetInfoFieldsOffset}},
          header_end, kRuleChallenge);
      !s.ok()) {
    return s.error();
  }
  const size_t first =
      FirstPayloadOffset(data.size(), {&m.target_name_field, &m.target_info_field});
  if ((m.flags & kNegotiateVersion) != 0) {
    if (!m.legacy_header && first >= kChallengeHeaderSize + kVersionSize) {
      m.version = ReadVersionAt(msg, kChallengeHeaderSize);
      header_end += kVersionSize;
    } else if (!policy.allow_missing_version) {
      if (m.legacy_header) {
        return LegacyChallengeWithVersionFlag(header_end, kRuleChallenge);
      }
      return MissingVersion(header_end, first > header_end ? first - header_end : 0,
                            kRuleChallenge);
    }
  }

  const bool unicode = (m.flags & kNegotiateUnicode) != 0;
  ByteReader payload(ByteView{});
  if (Status s = ReadPayload(msg, m.target_name_field, "TargetNameFields",
                             kChallengeTargetNameFieldsOffset, header_end, kRuleChallenge,
                             &payload);
      !s.ok()) {
    return s.error();
  }
  auto name = DecodeString(payload, unicode, "TargetName", kRuleChallenge);
  if (!name.ok()) {
    return name.error();
  }
  m.target_name = std::move(name).value();

  if (Status s = ReadPayload(msg, m.target_info_field, "TargetInfoFields",
                             kChallengeTargetInfoFieldsOffset, header_end, kRuleChallenge,
                             &payload);
      !s.ok()) {
    return s.error();
  }
  if (m.target_info_field.len != 0) {
    auto ti = DecodeTargetInfo(payload, policy);
    if (!ti.ok()) {
      return ti.error();
    }
    m.target_info = std::move(ti).value();
  } else if ((m.flags & kNegotiateTargetInfo) != 0 && !policy.allow_empty_target_info) {
    // 2.2.1.2: with NTLMSSP_NEGOTIATE_TARGET_INFO set, TargetInfoFields describe the pairs.
    return MakeError(ErrorCode::kEmptyTargetInfo, kRuleChallenge, "TargetInfoFields",
                     m.legacy_header ? kChallengeLegacyHeaderSize
                                     : kChallengeTargetInfoFieldsOffset,
                     "NTLMSSP_NEGOTIATE_TARGET_INFO is set but the target info is empty");
  }
  return m;
}

Result<Bytes> EncodeChallenge(const ChallengeMessage& m) {
  const bool unicode = (m.flags & kNegotiateUnicode) != 0;
  auto name = EncodeString(m.target_name, unicode, "TargetName");
  if (!name.ok()) {
    return name.error();
  }
  Bytes target_info;
  if (m.target_info.has_value()) {
    auto ti = EncodeTargetInfo(*m.target_info);
    if (!ti.ok()) {
      return ti.error();
    }
    target_info = std::move(ti).value();
  }
  if (m.legacy_header && (m.target_info.has_value() || m.version.has_value())) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleChallenge, "CHALLENGE", 0,
                     "the legacy 32-byte header has no room for target info or VERSION");
  }

  ByteWriter w;
  w.ReserveCapacity(kChallengeHeaderSize + kVersionSize + name->size() + target_info.size());
  w.WriteBytes(kNtlmSignature);
  w.WriteU32Le(static_cast<uint32_t>(MessageType::kChallenge));
  w.WriteZeros(8);  // TargetNameFields
  w.WriteU32Le(m.flags);
  w.WriteBytes(m.server_challenge);
  if (!m.legacy_header) {
    w.WriteBytes(m.reserved);
    w.WriteZeros(8);  // TargetInfoFields
    if (m.version.has_value()) {
      WriteVersion(&w, *m.version);
    }
  }
  PayloadWriter p(&w);
  if (Status s = p.Add(kChallengeTargetNameFieldsOffset, *name, m.target_name_field,
                       "TargetNameFields");
      !s.ok()) {
    return s.error();
  }
  if (!m.legacy_header) {
    if (Status s = p.Add(kChallengeTargetInfoFieldsOffset, target_info, m.target_info_field,
                         "TargetInfoFields");
        !s.ok()) {
      return s.error();
    }
  }
  return w.Take();
}

// ---- AUTHENTICATE, 2.2.1.3 ---------------------------------------------------------------

Result<AuthenticateMessage> DecodeAuthenticate(ByteView data, const DecodePolicy& policy,
                                               StringCharset charset) {
  ByteReader msg(data);
  ByteReader r = msg;
  if (Status s = ReadPreamble(&r, MessageType::kAuthenticate, kAuthenticateHeaderSize,
                              kRuleAuthenticate);
      !s.ok()) {
    return s.error();
  }
  AuthenticateMessage m;
  m.lm_field = ReadFieldAt(msg, kAuthLmFieldsOffset);
  m.nt_field = ReadFieldAt(msg, kAuthNtFieldsOffset);
  m.domain_field = ReadFieldAt(msg, kAuthDomainFieldsOffset);
  m.user_field = ReadFieldAt(msg, kAuthUserFieldsOffset);
  m.workstation_field = ReadFieldAt(msg, kAuthWorkstationFieldsOffset);
  m.session_key_field = ReadFieldAt(msg, kAuthSessionKeyFieldsOffset);
  m.flags = ReadU32At(msg, kAuthFlagsOffset);

  if (Status s = CheckPayloads(
          msg,
          {{&m.lm_field, "LmChallengeResponseFields", kAuthLmFieldsOffset},
           {&m.nt_field, "NtChallengeResponseFields", kAuthNtFieldsOffset},
           {&m.domain_field, "DomainNameFields", kAuthDomainFieldsOffset},
           {&m.user_field, "UserNameFields", kAuthUserFieldsOffset},
           {&m.workstation_field, "WorkstationFields", kAuthWorkstationFieldsOffset},
           {&m.session_key_field, "EncryptedRandomSessionKeyFields",
            kAuthSessionKeyFieldsOffset}},
          kAuthenticateHeaderSize, kRuleAuthenticate);
      !s.ok()) {
    return s.error();
  }

  // VERSION sits at 64 and the MIC at 72 when the first payload leaves room for them.
  const size_t first = FirstPayloadOffset(
      data.size(), {&m.lm_field, &m.nt_field, &m.domain_field, &m.user_field,
                    &m.workstation_field, &m.session_key_field});
  size_t header_end = kAuthenticateHeaderSize;
  const bool room_for_version = first >= kAuthenticateHeaderSize + kVersionSize;
  const bool room_for_mic = first >= kAuthenticateHeaderSize + kVersionSize + kMicSize;
  if ((m.flags & kNegotiateVersion) != 0) {
    if (room_for_version) {
      m.version = ReadVersionAt(msg, kAuthenticateHeaderSize);
    } else if (!policy.allow_missing_version) {
      return MissingVersion(kAuthenticateHeaderSize,
                            first > kAuthenticateHeaderSize ? first - kAuthenticateHeaderSize
                                                            : 0,
                            kRuleAuthenticate);
    }
  }
  if (room_for_version) {
    header_end += kVersionSize;
  }
  if (room_for_mic) {
    std::array<uint8_t, 16> mic{};
    ByteReader mr(ByteView{});
    if (msg.ReaderAt(kAuthenticateMicOffset, kMicSize, &mr) && mr.ReadInto(mic)) {
      m.mic = mic;
      header_end += kMicSize;
    }
  }

  const bool unicode = charset == StringCharset::kFromFlags ? (m.flags & kNegotiateUnicode) != 0
                                                           : charset == StringCharset::kUnicode;
  struct StringField {
    const PayloadField* f;
    size_t pos;
    const char* name;
    const char* text_name;
    std::string* out;
  };
  const StringField strings[] = {
      {&m.domain_field, kAuthDomainFieldsOffset, "DomainNameFields", "DomainName", &m.domain},
      {&m.user_field, kAuthUserFieldsOffset, "UserNameFields", "UserName", &m.user},
      {&m.workstation_field, kAuthWorkstationFieldsOffset, "WorkstationFields", "Workstation",
       &m.workstation},
  };
  ByteReader payload(ByteView{});
  for (const StringField& sf : strings) {
    if (Status s = ReadPayload(msg, *sf.f, sf.name, sf.pos, header_end, kRuleAuthenticate,
                               &payload);
        !s.ok()) {
      return s.error();
    }
    auto str = DecodeString(payload, unicode, sf.text_name, kRuleAuthenticate);
    if (!str.ok()) {
      return str.error();
    }
    *sf.out = std::move(str).value();
  }

  struct BytesField {
    const PayloadField* f;
    size_t pos;
    const char* name;
    Bytes* out;
  };
  const BytesField blobs[] = {
      {&m.lm_field, kAuthLmFieldsOffset, "LmChallengeResponseFields", &m.lm_response},
      {&m.nt_field, kAuthNtFieldsOffset, "NtChallengeResponseFields", &m.nt_response},
      {&m.session_key_field, kAuthSessionKeyFieldsOffset, "EncryptedRandomSessionKeyFields",
       &m.encrypted_random_session_key},
  };
  for (const BytesField& bf : blobs) {
    if (Status s = ReadPayload(msg, *bf.f, bf.name, bf.pos, header_end, kRuleAuthenticate,
                               &payload);
        !s.ok()) {
      return s.error();
    }
    bf.out->assign(payload.whole().begin(), payload.whole().end());
  }

  // An NT response longer than 24 bytes is an NTLMv2_RESPONSE (2.2.2.8); 24 is NTLMv1.
  if (m.nt_response.size() > 24) {
    ByteReader nt(ByteView{});
    if (!msg.ReaderAt(m.nt_field.offset, m.nt_field.len, &nt)) {
      return MakeError(ErrorCode::kPayloadOutOfBounds, kRuleAuthenticate,
                       "NtChallengeResponseFields", kAuthNtFieldsOffset, "out of bounds");
    }
    auto v2 = DecodeNtlmV2Response(nt, policy);
    if (!v2.ok()) {
      Error e = v2.error();
      e.field = "NtChallengeResponse." + e.field;
      return e;
    }
    m.ntlmv2 = std::move(v2).value();
  }
  return m;
}

Result<Bytes> EncodeAuthenticate(const AuthenticateMessage& m) {
  const bool unicode = (m.flags & kNegotiateUnicode) != 0;
  auto domain = EncodeString(m.domain, unicode, "DomainName");
  if (!domain.ok()) {
    return domain.error();
  }
  auto user = EncodeString(m.user, unicode, "UserName");
  if (!user.ok()) {
    return user.error();
  }
  auto workstation = EncodeString(m.workstation, unicode, "Workstation");
  if (!workstation.ok()) {
    return workstation.error();
  }

  ByteWriter w;
  w.ReserveCapacity(kAuthenticateHeaderSize + kVersionSize + kMicSize + domain->size() +
                    user->size() + workstation->size() + m.lm_response.size() +
                    m.nt_response.size() + m.encrypted_random_session_key.size());
  w.WriteBytes(kNtlmSignature);
  w.WriteU32Le(static_cast<uint32_t>(MessageType::kAuthenticate));
  w.WriteZeros(48);  // six payload fields
  w.WriteU32Le(m.flags);
  if (m.version.has_value()) {
    WriteVersion(&w, *m.version);
  } else if (m.mic.has_value()) {
    w.WriteZeros(kVersionSize);  // the MIC sits at 72 whatever VERSION holds
  }
  if (m.mic.has_value()) {
    w.WriteBytes(*m.mic);
  }
  PayloadWriter p(&w);
  struct Item {
    size_t pos;
    ByteView data;
    const PayloadField* decoded;
    const char* name;
  };
  const Item items[] = {
      {kAuthDomainFieldsOffset, *domain, &m.domain_field, "DomainNameFields"},
      {kAuthUserFieldsOffset, *user, &m.user_field, "UserNameFields"},
      {kAuthWorkstationFieldsOffset, *workstation, &m.workstation_field, "WorkstationFields"},
      {kAuthLmFieldsOffset, m.lm_response, &m.lm_field, "LmChallengeResponseFields"},
      {kAuthNtFieldsOffset, m.nt_response, &m.nt_field, "NtChallengeResponseFields"},
      {kAuthSessionKeyFieldsOffset, m.encrypted_random_session_key, &m.session_key_field,
       "EncryptedRandomSessionKeyFields"},
  };
  for (const Item& it : items) {
    if (Status s = p.Add(it.pos, it.data, *it.decoded, it.name); !s.ok()) {
      return s.error();
    }
  }
  if (!w.ok()) {
    return MakeError(ErrorCode::kTooLarge, kRuleAuthenticate, "AUTHENTICATE", 0, "too large");
  }
  return w.Take();
}

}  // namespace ntlm
