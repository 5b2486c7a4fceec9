// SPNEGO tokens, RFC 4178, as HTTP "Negotiate" carries them ([MS-NTHT], [MS-SPNG]): decode and
// encode NegTokenInit and NegTokenResp, with the GSS-API framing of the first token
// (RFC 2743 3.1). The DER underneath is engine/der.h.
//
// ASN.1 (RFC 4178 4.1, 4.2; the module uses EXPLICIT TAGS):
//
//   MechType ::= OBJECT IDENTIFIER
//   MechTypeList ::= SEQUENCE OF MechType
//
//   NegotiationToken ::= CHOICE {
//       negTokenInit    [0] NegTokenInit,
//       negTokenResp    [1] NegTokenResp
//   }
//
//   NegTokenInit ::= SEQUENCE {                                    -- 4.2.1
//       mechTypes       [0] MechTypeList,
//       reqFlags        [1] ContextFlags  OPTIONAL,
//       mechToken       [2] OCTET STRING  OPTIONAL,
//       mechListMIC     [3] OCTET STRING  OPTIONAL,
//       ...
//   }
//   ContextFlags ::= BIT STRING {
//       delegFlag (0), mutualFlag (1), replayFlag (2), sequenceFlag (3),
//       anonFlag (4), confFlag (5), integFlag (6)
//   } (SIZE (32))
//
//   NegTokenResp ::= SEQUENCE {                                    -- 4.2.2
//       negState       [0] ENUMERATED {
//           accept-completed    (0),
//           accept-incomplete   (1),
//           reject              (2),
//           request-mic         (3)
//       }                                 OPTIONAL,
//       supportedMech   [1] MechType      OPTIONAL,
//       responseToken   [2] OCTET STRING  OPTIONAL,
//       mechListMIC     [3] OCTET STRING  OPTIONAL,
//       ...
//   }
//
// The initiator's first token is framed as a GSS-API InitialContextToken (RFC 2743 3.1):
//
//   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//       thisMech           MechType,                -- 1.3.6.1.5.5.2 for SPNEGO
//       innerContextToken  ANY DEFINED BY thisMech  -- here a NegotiationToken, negTokenInit
//   }
//
// Windows servers may send [MS-SPNG] 2.2.1 NegTokenInit2 in the negTokenInit slot:
//
//   NegTokenInit2 ::= SEQUENCE {
//       mechTypes       [0] MechTypeList  OPTIONAL,
//       reqFlags        [1] ContextFlags  OPTIONAL,
//       mechToken       [2] OCTET STRING  OPTIONAL,
//       negHints        [3] NegHints      OPTIONAL,
//       mechListMIC     [4] OCTET STRING  OPTIONAL,
//       ...
//   }
//   NegHints ::= SEQUENCE {
//       hintName        [0] GeneralString OPTIONAL,
//       hintAddress     [1] OCTET STRING  OPTIONAL
//   }
//
// Bytes, RFC 4178 token carrying an NTLM NEGOTIATE (what browsers send first):
//   60 48                      [APPLICATION 0], 72 bytes
//     06 06 2b0601050502       thisMech 1.3.6.1.5.5.2
//     a0 3e                    negTokenInit [0]
//       30 3c                  NegTokenInit
//         a0 0e 30 0c          mechTypes [0], MechTypeList
//           06 0a 2b06010401823702020a    1.3.6.1.4.1.311.2.2.10 (NTLMSSP)
//         a2 2a 04 28 4e544c4d...         mechToken [2], the 40-byte NEGOTIATE
//
// Strictness (the decoder is strict DER, engine/der.h, plus these schema rules):
//   - Components appear once each, in increasing tag order (DER encodes SEQUENCE components in
//     their defined order): a repeated or out-of-order tag is kBadValue.
//   - Context tags above the ones defined (NegTokenInit [5] and up, NegTokenResp [4] and up) are
//     extension additions, which the "..." marker allows: they are checked to be well-formed
//     DER and skipped, not kept (so they do not survive a re-encode). Anything else in the
//     SEQUENCE (a universal or primitive tag) is kBadValue.
//   - mechTypes is required in NegTokenInit (RFC 4178 4.2.1, even though [MS-SPNG]'s
//     NegTokenInit2 marks it OPTIONAL: Windows always sends it) and must list at least one mech;
//     a list longer than kMaxMechTypes is kTooLarge.
//   - NegTokenInit [3]: an OCTET STRING is the RFC's mechListMIC; a SEQUENCE is [MS-SPNG]
//     negHints, kept as raw bytes after a well-formedness check; then [4] is mechListMIC. A
//     mechListMIC in both [3] and [4] is kBadValue.
//   - The InitialContextToken must name SPNEGO (other mechs: kUnsupported) and hold a
//     negTokenInit; the bare [0] form is accepted too (decoded.initial_context_token says which).
//   - negState outside 0..3 is kBadValue; bytes after the token are kTrailingBytes.
//
// Decode then encode gives the same bytes, except that skipped extensions are dropped and a
// mechListMIC that came at [4] without negHints is written at [3]; the decoded values are equal
// either way.
#ifndef NTLM_ENGINE_SPNEGO_H_
#define NTLM_ENGINE_SPNEGO_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm::spnego {

// Mechanism OIDs.
inline constexpr char kSpnegoOid[] = "1.3.6.1.5.5.2";            // RFC 4178
inline constexpr char kNtlmsspOid[] = "1.3.6.1.4.1.311.2.2.10";  // [MS-NLMP]
inline constexpr char kKerberosOid[] = "1.2.840.113554.1.2.2";   // RFC 4121
inline constexpr char kMsKerberosOid[] = "1.2.840.48018.1.2.2";  // [MS-KILE], Windows' older OID
inline constexpr char kNegoExOid[] = "1.3.6.1.4.1.311.2.2.30";   // [MS-NEGOEX]

// "SPNEGO", "NTLMSSP", "Kerberos 5", "MS Kerberos 5" or "NegoEx"; empty for another OID.
std::string_view MechName(std::string_view oid);
bool IsKerberosOid(std::string_view oid);

// negState, RFC 4178 4.2.2.
enum class NegState : uint8_t {
  kAcceptCompleted = 0,
  kAcceptIncomplete = 1,
  kReject = 2,
  kRequestMic = 3,
};
// "accept-completed", "accept-incomplete", "reject", "request-mic".
const char* NegStateName(NegState s);

// A MechTypeList longer than this is refused (kTooLarge): no peer offers more than a handful,
// and the limit bounds what a token can make the decoder allocate.
inline constexpr size_t kMaxMechTypes = 64;

// NegTokenInit, RFC 4178 4.2.1 (and [MS-SPNG] 2.2.1 NegTokenInit2).
struct NegTokenInit {
  std::vector<std::string> mech_types;  // dotted OIDs, preference order
  std::optional<Bytes> req_flags;       // ContextFlags: the BIT STRING contents octets, as sent
  std::optional<Bytes> mech_token;      // the optimistic token, e.g. an NTLM NEGOTIATE
  std::optional<Bytes> neg_hints;       // [MS-SPNG] NegHints: the whole SEQUENCE, as sent
  std::optional<Bytes> mech_list_mic;   // at [3], or at [4] when neg_hints is present

  // Framed as an InitialContextToken (RFC 2743 3.1). The decoder says how the token came; the
  // encoder writes the framing when true (the default, as for a client's first token).
  bool initial_context_token = true;

  // Decoded only: the MechTypeList (30 LL ...) exactly as received. RFC 4178 5: mechListMIC is
  // computed over the DER of the MechTypeList; a verifier must use these bytes, not a
  // re-encoding. The encoder ignores this field.
  Bytes mech_types_der;

  bool operator==(const NegTokenInit&) const = default;
};

// NegTokenResp, RFC 4178 4.2.2.
struct NegTokenResp {
  std::optional<NegState> neg_state;
  std::optional<std::string> supported_mech;  // dotted OID
  std::optional<Bytes> response_token;        // e.g. an NTLM CHALLENGE or AUTHENTICATE
  std::optional<Bytes> mech_list_mic;

  bool operator==(const NegTokenResp&) const = default;
};

// NegotiationToken, RFC 4178 4.2: one or the other.
struct NegotiationToken {
  std::variant<NegTokenInit, NegTokenResp> value;

  bool is_init() const { return value.index() == 0; }
  const NegTokenInit* init() const { return std::get_if<NegTokenInit>(&value); }
  const NegTokenResp* resp() const { return std::get_if<NegTokenResp>(&value); }
};

// Decodes an InitialContextToken (0x60), a bare negTokenInit (0xa0) or a negTokenResp (0xa1).
// Errors name the field ("NegTokenInit.mechTypes[1]") and the absolute offset in |token|.
Result<NegotiationToken> DecodeNegotiationToken(ByteView token);

// Encoders. They refuse (kInvalidArgument) what the decoder would refuse: an empty mech list,
// an OID that is not dotted decimal, reqFlags that are not BIT STRING contents, negHints that
// are not one well-formed SEQUENCE, a negState outside 0..3.
Result<Bytes> EncodeNegTokenInit(const NegTokenInit& m);
Result<Bytes> EncodeNegTokenResp(const NegTokenResp& m);

// The DER of MechTypeList (30 LL 06 .. 06 ..), what mechListMIC covers (RFC 4178 5).
Result<Bytes> EncodeMechTypeList(const std::vector<std::string>& oids);

// Cheap first-byte checks for an HTTP "Negotiate" token: SPNEGO starts with 0x60 (framed
// negTokenInit), 0xa0 (bare negTokenInit) or 0xa1 (negTokenResp); raw NTLMSSP with the
// signature "NTLMSSP\0" ([MS-NLMP] 2.2.1). Neither decodes anything.
bool LooksLikeSpnego(ByteView token);
bool LooksLikeNtlmssp(ByteView token);

}  // namespace ntlm::spnego

#endif  // NTLM_ENGINE_SPNEGO_H_
