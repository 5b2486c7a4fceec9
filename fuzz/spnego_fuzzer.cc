// Fuzz target: SPNEGO tokens (RFC 4178 4.2, with the GSS-API framing of RFC 2743 3.1 and
// [MS-SPNG] 2.2.1 NegTokenInit2), engine/spnego.h, and the DER reader and writer under them
// (ITU-T X.690), engine/der.h.
//
// Input: a token, as HTTP "Negotiate" carries it after base64 decoding.
// Oracle, for the DER layer (DER has exactly one encoding per value):
//   - when CheckWellFormed accepts the input, walking it with ReadAny/Enter and writing every
//     element back with WriteElement/WriteConstructed gives the input byte for byte;
//   - every OBJECT IDENTIFIER and ENUMERATED met on that walk re-encodes (EncodeOid of the
//     dotted text, WriteEnumerated of the value) to its own contents.
// Oracle, for SPNEGO, when DecodeNegotiationToken accepts the input:
//   - y = Encode(Decode(x)) succeeds, decodes to the same values, and Encode(Decode(y)) == y;
//   - y is never longer than x (the decoder drops only extension components, and
//     mechListMIC may move from [4] to [3] when there are no negHints);
//   - when y is as long as x and no mechListMIC could have moved, y == x;
//   - mech_types_der is exactly EncodeMechTypeList(mech_types).
// An NTLM message carried in mechToken or responseToken goes on to the message decoders.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/der.h"
#include "engine/messages.h"
#include "engine/spnego.h"
#include "fuzz/fuzz_util.h"

namespace {

namespace der = ntlm::der;
namespace spnego = ntlm::spnego;
using ntlm::Bytes;
using ntlm::ByteView;
using ntlm::fuzz::Describe;
using ntlm::fuzz::HexDiff;
using ntlm::fuzz::SameBytes;

// Rewrites every element of |r| into |w|; checks OIDs and ENUMERATEDs on the way. Returns false
// when the reader refuses something (the caller has checked well-formedness, so that is a
// finding).
bool Rebuild(der::Reader r, der::Writer* w) {
  while (!r.empty()) {
    auto e = r.ReadAny("walk");
    if (!e.ok()) {
      return false;
    }
    if (e->tag.constructed) {
      auto inner = r.Enter(*e, "walk");
      if (!inner.ok()) {
        return false;
      }
      der::Writer iw;
      if (!Rebuild(*inner, &iw)) {
        return false;
      }
      w->WriteConstructed(e->tag, iw);
      continue;
    }
    if (e->tag == der::kOid) {
      auto dotted = der::ParseOid(*e, "oid");
      if (dotted.ok()) {
        auto contents = der::EncodeOid(*dotted);
        FUZZ_CHECK(contents.ok() && SameBytes(*contents, e->contents),
                   "OID " + *dotted + " re-encodes to " + Describe(contents) + " " +
                       (contents.ok() ? HexDiff(e->contents, *contents) : std::string()));
      }
    }
    if (e->tag == der::kEnumerated) {
      auto v = der::ParseEnumerated(*e, "enum");
      if (v.ok()) {
        der::Writer ew;
        FUZZ_CHECK(ew.WriteEnumerated(*v) && SameBytes(ew.bytes(), e->encoding),
                   "ENUMERATED " + std::to_string(*v) + ": " + HexDiff(e->encoding, ew.bytes()));
      }
    }
    if (e->tag == der::kBitString) {
      (void)der::ParseBitString(*e, "bits");
    }
    w->WriteElement(e->tag, e->contents);
  }
  return true;
}

void CheckDer(ByteView x) {
  const der::Reader top(x);
  if (!der::CheckWellFormed(top, "token").ok()) {
    return;
  }
  der::Writer w;
  FUZZ_CHECK(Rebuild(top, &w), "a well-formed input could not be walked");
  FUZZ_CHECK(w.ok(), "the DER writer failed on a well-formed input");
  FUZZ_CHECK(SameBytes(x, w.bytes()), "DER walk and rewrite: " + HexDiff(x, w.bytes()));
}

ntlm::Result<Bytes> Encode(const spnego::NegotiationToken& t) {
  return t.is_init() ? spnego::EncodeNegTokenInit(*t.init())
                     : spnego::EncodeNegTokenResp(*t.resp());
}

std::string Diff(const spnego::NegotiationToken& a, const spnego::NegotiationToken& b) {
  if (a.is_init() != b.is_init()) {
    return "token kind";
  }
  std::string d;
  auto field = [&d](const char* name, bool same) {
    if (!same) {
      d += std::string(name) + "; ";
    }
  };
  if (a.is_init()) {
    const spnego::NegTokenInit& p = *a.init();
    const spnego::NegTokenInit& q = *b.init();
    field("mech_types", p.mech_types == q.mech_types);
    field("req_flags", p.req_flags == q.req_flags);
    field("mech_token", p.mech_token == q.mech_token);
    field("neg_hints", p.neg_hints == q.neg_hints);
    field("mech_list_mic", p.mech_list_mic == q.mech_list_mic);
    field("initial_context_token", p.initial_context_token == q.initial_context_token);
    field("mech_types_der", p.mech_types_der == q.mech_types_der);
  } else {
    const spnego::NegTokenResp& p = *a.resp();
    const spnego::NegTokenResp& q = *b.resp();
    field("neg_state", p.neg_state == q.neg_state);
    field("supported_mech", p.supported_mech == q.supported_mech);
    field("response_token", p.response_token == q.response_token);
    field("mech_list_mic", p.mech_list_mic == q.mech_list_mic);
  }
  return d;
}

void DecodeInner(const std::optional<Bytes>& token) {
  if (!token.has_value() || !spnego::LooksLikeNtlmssp(*token)) {
    return;
  }
  auto type = ntlm::PeekMessageType(*token);
  if (!type.ok()) {
    return;
  }
  const auto lenient = ntlm::DecodePolicy::Lenient();
  switch (*type) {
    case ntlm::MessageType::kNegotiate:
      (void)ntlm::DecodeNegotiate(*token, lenient);
      break;
    case ntlm::MessageType::kChallenge:
      (void)ntlm::DecodeChallenge(*token, lenient);
      break;
    case ntlm::MessageType::kAuthenticate:
      (void)ntlm::DecodeAuthenticate(*token, lenient);
      break;
  }
}

void CheckSpnego(ByteView x) {
  (void)spnego::LooksLikeSpnego(x);
  auto t = spnego::DecodeNegotiationToken(x);
  if (!t.ok()) {
    FUZZ_CHECK(t.error().offset <= x.size(),
               "error offset past the token: " + t.error().ToString());
    return;
  }

  auto y = Encode(*t);
  FUZZ_CHECK(y.ok(), "Encode(Decode(x)) failed: " + Describe(y));
  auto t2 = spnego::DecodeNegotiationToken(*y);
  FUZZ_CHECK(t2.ok(),
             "Decode(Encode(Decode(x))) failed: " + Describe(t2) + "; y = " + ntlm::ToHex(*y));
  const std::string diff = Diff(*t, *t2);
  FUZZ_CHECK(diff.empty(), "values changed through Encode/Decode: " + diff);
  auto y2 = Encode(*t2);
  FUZZ_CHECK(y2.ok() && SameBytes(*y, *y2), "Encode(Decode(y)) != y");

  FUZZ_CHECK(y->size() <= x.size(), "the re-encoding grew: " + HexDiff(x, *y));
  bool mic_may_move = false;
  if (t->is_init()) {
    const spnego::NegTokenInit& init = *t->init();
    mic_may_move = init.mech_list_mic.has_value() && !init.neg_hints.has_value();
    auto list = spnego::EncodeMechTypeList(init.mech_types);
    FUZZ_CHECK(list.ok() && *list == init.mech_types_der,
               "mech_types_der is not the MechTypeList's DER: " + Describe(list));
    for (const std::string& oid : init.mech_types) {
      (void)spnego::MechName(oid);
      (void)spnego::IsKerberosOid(oid);
    }
    DecodeInner(init.mech_token);
  } else {
    const spnego::NegTokenResp& resp = *t->resp();
    if (resp.neg_state.has_value()) {
      (void)spnego::NegStateName(*resp.neg_state);
    }
    DecodeInner(resp.response_token);
  }
  if (y->size() == x.size() && !mic_may_move) {
    FUZZ_CHECK(SameBytes(x, *y), "a canonical token re-encodes differently: " + HexDiff(x, *y));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView x(data, size);
  CheckDer(x);
  CheckSpnego(x);
  return 0;
}
