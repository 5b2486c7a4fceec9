// SPNEGO tokens: RFC 4178 4.2, RFC 2743 3.1, [MS-SPNG] 2.2.1.
#include "engine/spnego.h"

#include <utility>

#include "engine/der.h"
#include "engine/messages.h"

namespace ntlm::spnego {

namespace {

constexpr char kRuleToken[] = "RFC 4178 4.2";
constexpr char kRuleInit[] = "RFC 4178 4.2.1";
constexpr char kRuleResp[] = "RFC 4178 4.2.2";
constexpr char kRuleGss[] = "RFC 2743 3.1";
constexpr char kRuleInit2[] = "MS-SPNG 2.2.1";

// NegTokenInit components: RFC 4178 [0]..[3]; [MS-SPNG] puts negHints at [3] and mechListMIC
// at [4].
constexpr uint32_t kInitMechTypes = 0;
constexpr uint32_t kInitReqFlags = 1;
constexpr uint32_t kInitMechToken = 2;
constexpr uint32_t kInitMicOrHints = 3;
constexpr uint32_t kInit2Mic = 4;
// NegTokenResp components.
constexpr uint32_t kRespNegState = 0;
constexpr uint32_t kRespSupportedMech = 1;
constexpr uint32_t kRespResponseToken = 2;
constexpr uint32_t kRespMic = 3;

std::string InitComponentName(uint32_t n) {
  switch (n) {
    case kInitMechTypes:
      return "mechTypes";
    case kInitReqFlags:
      return "reqFlags";
    case kInitMechToken:
      return "mechToken";
    case kInitMicOrHints:
      return "mechListMIC";
    case kInit2Mic:
      return "mechListMIC";
    default:
      return "[" + std::to_string(n) + "]";
  }
}

std::string RespComponentName(uint32_t n) {
  switch (n) {
    case kRespNegState:
      return "negState";
    case kRespSupportedMech:
      return "supportedMech";
    case kRespResponseToken:
      return "responseToken";
    case kRespMic:
      return "mechListMIC";
    default:
      return "[" + std::to_string(n) + "]";
  }
}

Bytes Copy(ByteView v) { return Bytes(v.begin(), v.end()); }

// Walks the components of a NegTokenInit or NegTokenResp SEQUENCE: each must be an explicit
// context tag, in increasing order. |on_component| gets the tag number, the component's field
// name and a reader over the explicit tag's contents; it reads the value and leaves the reader
// at its end for the check that nothing follows the value.
template <typename NameFn, typename ComponentFn>
Status ReadComponents(der::Reader* seq, const std::string& type_name, const char* rule,
                      NameFn name_of, ComponentFn on_component) {
  int64_t last = -1;
  while (!seq->empty()) {
    const size_t at = seq->offset();
    auto tag = seq->PeekTag(type_name);
    if (!tag.ok()) {
      return tag.error();
    }
    if (tag->tag_class != der::TagClass::kContextSpecific || !tag->constructed) {
      return MakeError(
          ErrorCode::kBadValue, rule, type_name, at,
          "expected an explicit context tag [n] (constructed), found " + der::TagToString(*tag));
    }
    const uint32_t n = tag->number;
    const std::string field = type_name + "." + name_of(n);
    if (static_cast<int64_t>(n) <= last) {
      return MakeError(ErrorCode::kBadValue, rule, field, at,
                       static_cast<int64_t>(n) == last
                           ? "[" + std::to_string(n) + "] appears twice"
                           : "[" + std::to_string(n) + "] after [" + std::to_string(last) +
                                 "]: components must come in tag order");
    }
    last = n;

    auto e = seq->Read(der::ContextTag(n), field);
    if (!e.ok()) {
      return e.error();
    }
    auto inside = seq->Enter(*e, field);
    if (!inside.ok()) {
      return inside.error();
    }
    Status s = on_component(n, field, &inside.value());
    if (!s.ok()) {
      return s;
    }
    // An explicit tag holds exactly one value.
    s = inside->ExpectEnd(field);
    if (!s.ok()) {
      return s;
    }
  }
  return Status();
}

// An extension addition: checked to be well-formed DER, then skipped.
Status SkipExtension(der::Reader* inside, const std::string& field) {
  Status s = der::CheckWellFormed(*inside, field);
  if (!s.ok()) {
    return s;
  }
  while (!inside->empty()) {
    auto e = inside->ReadAny(field);
    if (!e.ok()) {
      return e.error();
    }
  }
  return Status();
}

Status ReadMechTypes(der::Reader* inside, const std::string& field, NegTokenInit* out) {
  auto list_e = inside->Read(der::kSequence, field);
  if (!list_e.ok()) {
    return list_e.error();
  }
  out->mech_types_der = Copy(list_e->encoding);
  auto list = inside->Enter(*list_e, field);
  if (!list.ok()) {
    return list.error();
  }
  while (!list->empty()) {
    const std::string item = field + "[" + std::to_string(out->mech_types.size()) + "]";
    if (out->mech_types.size() == kMaxMechTypes) {
      return MakeError(ErrorCode::kTooLarge, kRuleInit, item, list->offset(),
                       "more than " + std::to_string(kMaxMechTypes) + " mechanisms");
    }
    auto oid = list->ReadOid(item);
    if (!oid.ok()) {
      return oid.error();
    }
    out->mech_types.push_back(std::move(oid).value());
  }
  if (out->mech_types.empty()) {
    return MakeError(ErrorCode::kBadValue, kRuleInit, field, list_e->offset,
                     "the MechTypeList is empty; the initiator must offer a mechanism");
  }
  return Status();
}

// Reads "[0] NegTokenInit" at the cursor of |r|.
Status ReadNegTokenInit(der::Reader* r, NegTokenInit* out) {
  auto choice = r->Read(der::ContextTag(0), "NegotiationToken");
  if (!choice.ok()) {
    return choice.error();
  }
  auto in_choice = r->Enter(*choice, "NegotiationToken");
  if (!in_choice.ok()) {
    return in_choice.error();
  }
  in_choice->set_schema_rule(kRuleInit);
  auto seq_e = in_choice->Read(der::kSequence, "NegTokenInit");
  if (!seq_e.ok()) {
    return seq_e.error();
  }
  Status s = in_choice->ExpectEnd("NegotiationToken");
  if (!s.ok()) {
    return s;
  }
  auto seq = in_choice->Enter(*seq_e, "NegTokenInit");
  if (!seq.ok()) {
    return seq.error();
  }

  bool have_mech_types = false;
  s = ReadComponents(
      &seq.value(), "NegTokenInit", kRuleInit, InitComponentName,
      [&](uint32_t n, const std::string& field, der::Reader* inside) -> Status {
        switch (n) {
          case kInitMechTypes:
            have_mech_types = true;
            return ReadMechTypes(inside, field, out);
          case kInitReqFlags: {
            auto bits = inside->ReadBitString(field);
            if (!bits.ok()) {
              return bits.error();
            }
            out->req_flags = Copy(*bits);
            return Status();
          }
          case kInitMechToken: {
            auto token = inside->ReadOctetString(field);
            if (!token.ok()) {
              return token.error();
            }
            out->mech_token = Copy(*token);
            return Status();
          }
          case kInitMicOrHints: {
            const size_t at = inside->offset();
            auto tag = inside->PeekTag(field);
            if (!tag.ok()) {
              return tag.error();
            }
            if (*tag == der::kSequence) {
              const std::string hints = "NegTokenInit.negHints";
              auto e = inside->Read(der::kSequence, hints);
              if (!e.ok()) {
                return e.error();
              }
              auto h = inside->Enter(*e, hints);
              if (!h.ok()) {
                return h.error();
              }
              Status ws = der::CheckWellFormed(*h, hints);
              if (!ws.ok()) {
                return ws;
              }
              out->neg_hints = Copy(e->encoding);
              return Status();
            }
            if (*tag != der::kOctetString) {
              return MakeError(ErrorCode::kBadValue, kRuleInit2, field, at,
                               "expected OCTET STRING (mechListMIC, RFC 4178) or SEQUENCE "
                               "(negHints, MS-SPNG), found " +
                                   der::TagToString(*tag));
            }
            auto mic = inside->ReadOctetString(field);
            if (!mic.ok()) {
              return mic.error();
            }
            out->mech_list_mic = Copy(*mic);
            return Status();
          }
          case kInit2Mic: {
            if (out->mech_list_mic.has_value()) {
              return MakeError(ErrorCode::kBadValue, kRuleInit2, field, inside->offset(),
                               "a second mechListMIC: [3] already held one");
            }
            auto mic = inside->ReadOctetString(field);
            if (!mic.ok()) {
              return mic.error();
            }
            out->mech_list_mic = Copy(*mic);
            return Status();
          }
          default:
            return SkipExtension(inside, field);
        }
      });
  if (!s.ok()) {
    return s;
  }
  if (!have_mech_types) {
    return MakeError(ErrorCode::kBadValue, kRuleInit, "NegTokenInit.mechTypes", seq_e->offset,
                     "mechTypes [0] is required and missing");
  }
  return Status();
}

// Reads "[1] NegTokenResp" at the cursor of |r|.
Status ReadNegTokenResp(der::Reader* r, NegTokenResp* out) {
  auto choice = r->Read(der::ContextTag(1), "NegotiationToken");
  if (!choice.ok()) {
    return choice.error();
  }
  auto in_choice = r->Enter(*choice, "NegotiationToken");
  if (!in_choice.ok()) {
    return in_choice.error();
  }
  in_choice->set_schema_rule(kRuleResp);
  auto seq_e = in_choice->Read(der::kSequence, "NegTokenResp");
  if (!seq_e.ok()) {
    return seq_e.error();
  }
  Status s = in_choice->ExpectEnd("NegotiationToken");
  if (!s.ok()) {
    return s;
  }
  auto seq = in_choice->Enter(*seq_e, "NegTokenResp");
  if (!seq.ok()) {
    return seq.error();
  }

  return ReadComponents(
      &seq.value(), "NegTokenResp", kRuleResp, RespComponentName,
      [&](uint32_t n, const std::string& field, der::Reader* inside) -> Status {
        switch (n) {
          case kRespNegState: {
            auto e = inside->Read(der::kEnumerated, field);
            if (!e.ok()) {
              return e.error();
            }
            auto v = der::ParseEnumerated(*e, field);
            if (!v.ok()) {
              return v.error();
            }
            if (*v < 0 || *v > static_cast<int64_t>(NegState::kRequestMic)) {
              return MakeError(ErrorCode::kBadValue, kRuleResp, field, e->contents_offset,
                               "negState " + std::to_string(*v) + " is not one of 0..3");
            }
            out->neg_state = static_cast<NegState>(*v);
            return Status();
          }
          case kRespSupportedMech: {
            auto oid = inside->ReadOid(field);
            if (!oid.ok()) {
              return oid.error();
            }
            out->supported_mech = std::move(oid).value();
            return Status();
          }
          case kRespResponseToken:
          case kRespMic: {
            auto bytes = inside->ReadOctetString(field);
            if (!bytes.ok()) {
              return bytes.error();
            }
            (n == kRespMic ? out->mech_list_mic : out->response_token) = Copy(*bytes);
            return Status();
          }
          default:
            return SkipExtension(inside, field);
        }
      });
}

Error Invalid(const std::string& field, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, kRuleToken, field, 0, why);
}

Error TooLarge(const std::string& field) {
  return MakeError(ErrorCode::kTooLarge, kRuleToken, field, 0,
                   "the token does not fit the encoder's limits");
}

// Writes [n] { value } into |seq|.
bool WriteExplicit(der::Writer* seq, uint32_t n, const der::Writer& value) {
  return seq->WriteConstructed(der::ContextTag(n), value);
}

bool WriteExplicitOctetString(der::Writer* seq, uint32_t n, ByteView bytes) {
  der::Writer v;
  v.WriteOctetString(bytes);
  return WriteExplicit(seq, n, v);
}

}  // namespace

std::string_view MechName(std::string_view oid) {
  if (oid == kSpnegoOid) return "SPNEGO";
  if (oid == kNtlmsspOid) return "NTLMSSP";
  if (oid == kKerberosOid) return "Kerberos 5";
  if (oid == kMsKerberosOid) return "MS Kerberos 5";
  if (oid == kNegoExOid) return "NegoEx";
  return "";
}

bool IsKerberosOid(std::string_view oid) { return oid == kKerberosOid || oid == kMsKerberosOid; }

const char* NegStateName(NegState s) {
  switch (s) {
    case NegState::kAcceptCompleted:
      return "accept-completed";
    case NegState::kAcceptIncomplete:
      return "accept-incomplete";
    case NegState::kReject:
      return "reject";
    case NegState::kRequestMic:
      return "request-mic";
  }
  return "?";
}

Result<NegotiationToken> DecodeNegotiationToken(ByteView token) {
  ByteReader first_byte(token);
  uint8_t first = 0;
  if (!first_byte.ReadU8(&first)) {
    return MakeError(ErrorCode::kTruncated, kRuleToken, "NegotiationToken", 0,
                     "the token is empty");
  }
  der::Reader top(token);
  top.set_schema_rule(kRuleToken);
  NegotiationToken out;

  if (first == 0x60) {
    // InitialContextToken, RFC 2743 3.1.
    top.set_schema_rule(kRuleGss);
    auto app = top.Read(der::ApplicationTag(0), "InitialContextToken");
    if (!app.ok()) {
      return app.error();
    }
    auto in = top.Enter(*app, "InitialContextToken");
    if (!in.ok()) {
      return in.error();
    }
    const size_t mech_at = in->offset();
    auto mech = in->ReadOid("InitialContextToken.thisMech");
    if (!mech.ok()) {
      return mech.error();
    }
    if (*mech != kSpnegoOid) {
      const std::string_view name = MechName(*mech);
      return MakeError(ErrorCode::kUnsupported, kRuleGss, "InitialContextToken.thisMech", mech_at,
                       "thisMech is " + *mech +
                           (name.empty() ? std::string() : " (" + std::string(name) + ")") +
                           ", not SPNEGO " + kSpnegoOid);
    }
    in->set_schema_rule(kRuleToken);
    auto inner = in->PeekTag("NegotiationToken");
    if (!inner.ok()) {
      return inner.error();
    }
    if (*inner != der::ContextTag(0)) {
      return MakeError(
          ErrorCode::kBadValue, kRuleToken, "NegotiationToken", in->offset(),
          "an InitialContextToken carries negTokenInit [0], found " + der::TagToString(*inner));
    }
    NegTokenInit init;
    Status s = ReadNegTokenInit(&in.value(), &init);
    if (!s.ok()) {
      return s.error();
    }
    s = in->ExpectEnd("InitialContextToken");
    if (!s.ok()) {
      return s.error();
    }
    init.initial_context_token = true;
    out.value = std::move(init);
  } else if (first == 0xa0) {
    NegTokenInit init;
    Status s = ReadNegTokenInit(&top, &init);
    if (!s.ok()) {
      return s.error();
    }
    init.initial_context_token = false;
    out.value = std::move(init);
  } else if (first == 0xa1) {
    NegTokenResp resp;
    Status s = ReadNegTokenResp(&top, &resp);
    if (!s.ok()) {
      return s.error();
    }
    out.value = std::move(resp);
  } else {
    return MakeError(ErrorCode::kBadValue, kRuleToken, "NegotiationToken", 0,
                     "the first byte " + ToHex(ByteView(&first, 1)) +
                         " is none of 60 (InitialContextToken), a0 (negTokenInit) and a1 "
                         "(negTokenResp)" +
                         (LooksLikeNtlmssp(token) ? "; this is a raw NTLMSSP message" : ""));
  }

  Status s = top.ExpectEnd(first == 0x60 ? "InitialContextToken" : "NegotiationToken");
  if (!s.ok()) {
    return s.error();
  }
  return out;
}

Result<Bytes> EncodeMechTypeList(const std::vector<std::string>& oids) {
  der::Writer list;
  for (size_t i = 0; i < oids.size(); ++i) {
    auto c = der::EncodeOid(oids[i]);
    if (!c.ok()) {
      Error e = c.error();
      e.field = "MechTypeList[" + std::to_string(i) + "]";
      return e;
    }
    list.WriteOidContents(*c);
  }
  der::Writer w;
  if (!w.WriteConstructed(der::kSequence, list)) {
    return TooLarge("MechTypeList");
  }
  return w.Take();
}

Result<Bytes> EncodeNegTokenInit(const NegTokenInit& m) {
  if (m.mech_types.empty()) {
    return Invalid("NegTokenInit.mechTypes", "mechTypes must list at least one mechanism");
  }
  if (m.mech_types.size() > kMaxMechTypes) {
    return Invalid("NegTokenInit.mechTypes",
                   "more than " + std::to_string(kMaxMechTypes) + " mechanisms");
  }
  auto list = EncodeMechTypeList(m.mech_types);
  if (!list.ok()) {
    Error e = list.error();
    const size_t bracket = e.field.find('[');
    e.field = "NegTokenInit.mechTypes" +
              (bracket == std::string::npos ? std::string() : e.field.substr(bracket));
    return e;
  }

  der::Writer seq;
  der::Writer mech_types;
  mech_types.WriteRaw(*list);
  WriteExplicit(&seq, kInitMechTypes, mech_types);

  if (m.req_flags.has_value()) {
    der::Element check;
    check.contents = *m.req_flags;
    auto bits = der::ParseBitString(check, "NegTokenInit.reqFlags");
    if (!bits.ok()) {
      return Invalid("NegTokenInit.reqFlags", "not BIT STRING contents: " + bits.error().reason);
    }
    der::Writer v;
    v.WriteElement(der::kBitString, *m.req_flags);
    WriteExplicit(&seq, kInitReqFlags, v);
  }
  if (m.mech_token.has_value()) {
    WriteExplicitOctetString(&seq, kInitMechToken, *m.mech_token);
  }
  if (m.neg_hints.has_value()) {
    der::Reader r(*m.neg_hints);
    auto e = r.Read(der::kSequence, "NegTokenInit.negHints");
    Status s = e.ok() ? r.ExpectEnd("NegTokenInit.negHints") : Status(e.error());
    if (s.ok()) {
      auto h = r.Enter(*e, "NegTokenInit.negHints");
      s = h.ok() ? der::CheckWellFormed(*h, "NegTokenInit.negHints") : Status(h.error());
    }
    if (!s.ok()) {
      return Invalid("NegTokenInit.negHints",
                     "not one well-formed DER SEQUENCE: " + s.error().ToString());
    }
    der::Writer v;
    v.WriteRaw(*m.neg_hints);
    WriteExplicit(&seq, kInitMicOrHints, v);
  }
  if (m.mech_list_mic.has_value()) {
    WriteExplicitOctetString(&seq, m.neg_hints.has_value() ? kInit2Mic : kInitMicOrHints,
                             *m.mech_list_mic);
  }

  der::Writer body;
  body.WriteConstructed(der::kSequence, seq);
  der::Writer choice;
  choice.WriteConstructed(der::ContextTag(0), body);
  if (!m.initial_context_token) {
    if (!choice.ok()) {
      return TooLarge("NegTokenInit");
    }
    return choice.Take();
  }

  auto spnego = der::EncodeOid(kSpnegoOid);
  if (!spnego.ok()) {
    return spnego.error();
  }
  der::Writer framed;
  framed.WriteOidContents(*spnego);
  if (!choice.ok()) {
    return TooLarge("NegTokenInit");
  }
  framed.WriteRaw(choice.bytes());
  der::Writer out;
  if (!out.WriteConstructed(der::ApplicationTag(0), framed)) {
    return TooLarge("InitialContextToken");
  }
  return out.Take();
}

Result<Bytes> EncodeNegTokenResp(const NegTokenResp& m) {
  der::Writer seq;
  if (m.neg_state.has_value()) {
    if (*m.neg_state > NegState::kRequestMic) {
      return Invalid(
          "NegTokenResp.negState",
          "negState " + std::to_string(static_cast<int>(*m.neg_state)) + " is not one of 0..3");
    }
    der::Writer v;
    v.WriteEnumerated(static_cast<int64_t>(*m.neg_state));
    WriteExplicit(&seq, kRespNegState, v);
  }
  if (m.supported_mech.has_value()) {
    auto oid = der::EncodeOid(*m.supported_mech);
    if (!oid.ok()) {
      Error e = oid.error();
      e.field = "NegTokenResp.supportedMech";
      return e;
    }
    der::Writer v;
    v.WriteOidContents(*oid);
    WriteExplicit(&seq, kRespSupportedMech, v);
  }
  if (m.response_token.has_value()) {
    WriteExplicitOctetString(&seq, kRespResponseToken, *m.response_token);
  }
  if (m.mech_list_mic.has_value()) {
    WriteExplicitOctetString(&seq, kRespMic, *m.mech_list_mic);
  }

  der::Writer body;
  body.WriteConstructed(der::kSequence, seq);
  der::Writer out;
  if (!out.WriteConstructed(der::ContextTag(1), body)) {
    return TooLarge("NegTokenResp");
  }
  return out.Take();
}

bool LooksLikeSpnego(ByteView token) {
  ByteReader r(token);
  uint8_t first = 0;
  if (!r.ReadU8(&first)) {
    return false;
  }
  return first == 0x60 || first == 0xa0 || first == 0xa1;
}

bool LooksLikeNtlmssp(ByteView token) {
  ByteReader r(token);
  return r.Match(kNtlmSignature);
}

}  // namespace ntlm::spnego
