// ntlm-harness engine: the NTLM computations of [MS-NLMP] 3.3 (one-way functions and
// responses), 3.4.5 (key exchange, signing and sealing keys), 3.1.5.1.2 (MIC) and 2.2.2.1
// (channel bindings), over the engine's own MD4/MD5/HMAC-MD5/DES/RC4. OpenSSL is used only for
// SHA-2 and X.509 parsing in the channel-binding helpers.
//
// Notation in the comments follows [MS-NLMP] 6: X[a..b] is bytes a to b inclusive, Z(n) is n
// zero bytes, || is concatenation, DES(K7, D) is single-block DES under a 7-byte key spread to
// 8 bytes, DESL(K16, D) = DES(K[0..6], D) || DES(K[7..13], D) || DES(K[14..15] || Z(5), D).
//
// Everything here is a free function of its inputs: no state, no randomness, no clock.
// Fixed-size values are std::array; functions whose input can be invalid (text that is not
// UTF-8, a password too long for LM, a field of the wrong length) return Result<>.
//
// Example (the client side of NTLMv2, [MS-NLMP] 3.3.2):
//   Result<Key16> nt = NtOwfV1(password);                       // MD4(UTF-16LE(password))
//   Result<Key16> key = NtOwfV2(*nt, user, domain);             // ResponseKeyNT
//   NtlmV2Temp temp{timestamp, client_challenge, target_info};  // the NTLMv2 blob's inputs
//   Result<Bytes> nt_response = NtlmV2NtResponse(*key, server_challenge, temp);
//   Key16 base = NtlmV2SessionBaseKey(*key, NtProofStr(*key, server_challenge, temp));
#ifndef NTLM_ENGINE_COMPUTE_H_
#define NTLM_ENGINE_COMPUTE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "engine/bytes.h"
#include "engine/error.h"

namespace ntlm {

using Key16 = std::array<uint8_t, 16>;
using Challenge8 = std::array<uint8_t, 8>;
using Response24 = std::array<uint8_t, 24>;

// [MS-NLMP] 3.3.1: "If the password is longer than 14 characters, the LMOWF v1 cannot be
// computed."
inline constexpr size_t kLmOwfMaxPasswordLen = 14;

// NTLMv2_CLIENT_CHALLENGE header size (2.2.2.7): RespType .. Reserved3.
inline constexpr size_t kNtlmV2TempHeaderSize = 28;

// ---------------------------------------------------------------------------------------------
// One-way functions, [MS-NLMP] 3.3.1 and 3.3.2.
// ---------------------------------------------------------------------------------------------

// LMOWFv1, 3.3.1:
//   LMOWFv1(Passwd) = DES(UpperCase(Passwd)[0..6], "KGS!@#$%") ||
//                     DES(UpperCase(Passwd)[7..13], "KGS!@#$%")
// with the OEM password zero-padded to 14 bytes. OEM is ISO-8859-1 here (engine/text.h);
// each byte is upper-cased with text::UpcaseCodePoint where the result stays in ISO-8859-1.
// Errors: invalid UTF-8 (kInvalidUtf8), a character outside ISO-8859-1 (kInvalidArgument), more
// than 14 characters (kTooLarge: LMOWFv1 is undefined).
[[nodiscard]] Result<Key16> LmOwfV1(std::string_view password_utf8);

// NTOWFv1, 3.3.1:  NTOWFv1(Passwd) = MD4(UNICODE(Passwd)). Invalid UTF-8 is an error.
[[nodiscard]] Result<Key16> NtOwfV1(std::string_view password_utf8);

// Accepts a given NT hash (NTOWFv1 output) as 32 hex digits, either case.
[[nodiscard]] Result<Key16> ParseNtHash(std::string_view hex);

// NTOWFv2, 3.3.2, from a given NTOWFv1 (NT hash):
//   NTOWFv2(Passwd, User, UserDom) =
//       HMAC_MD5(NTOWFv1(Passwd), UNICODE(ConcatenationOf(Uppercase(User), UserDom)))
// User is upper-cased with text::ToUpperUtf8 (Unicode simple case mapping); UserDom is NOT.
// LMOWFv2 is the same function (3.3.2).
[[nodiscard]] Result<Key16> NtOwfV2(const Key16& nt_owf_v1, std::string_view user,
                                    std::string_view domain);
[[nodiscard]] Result<Key16> NtOwfV2FromPassword(std::string_view password_utf8,
                                                std::string_view user, std::string_view domain);
[[nodiscard]] inline Result<Key16> LmOwfV2(const Key16& nt_owf_v1, std::string_view user,
                                           std::string_view domain) {
  return NtOwfV2(nt_owf_v1, user, domain);
}

// ---------------------------------------------------------------------------------------------
// Responses, [MS-NLMP] 3.3.1 and 3.3.2.
// ---------------------------------------------------------------------------------------------

// DESL(K, D), 6: DES(K[0..6], D) || DES(K[7..13], D) || DES(ConcatenationOf(K[14..15], Z(5)), D)
[[nodiscard]] Response24 Desl(const Key16& key, const Challenge8& data);

// LM response, 3.3.1 (no extended session security, NoLMResponseNTLMv1 FALSE):
//   LmChallengeResponse = DESL(ResponseKeyLM, CHALLENGE_MESSAGE.ServerChallenge)
// where ResponseKeyLM = LMOWFv1(Passwd).
[[nodiscard]] Response24 LmV1Response(const Key16& response_key_lm,
                                      const Challenge8& server_challenge);

// NTLMv1 response, 3.3.1 (no extended session security):
//   NtChallengeResponse = DESL(ResponseKeyNT, CHALLENGE_MESSAGE.ServerChallenge)
// where ResponseKeyNT = NTOWFv1(Passwd).
[[nodiscard]] Response24 NtlmV1Response(const Key16& response_key_nt,
                                        const Challenge8& server_challenge);

// NTLMv1 with extended session security ("NTLM2"), 3.3.1:
//   NtChallengeResponse = DESL(ResponseKeyNT,
//                              MD5(ConcatenationOf(ServerChallenge, ClientChallenge))[0..7])
//   LmChallengeResponse = ConcatenationOf(ClientChallenge, Z(16))
struct NtlmV1EssResponses {
  Response24 lm{};
  Response24 nt{};
};
[[nodiscard]] NtlmV1EssResponses NtlmV1EssResponse(const Key16& response_key_nt,
                                                   const Challenge8& server_challenge,
                                                   const Challenge8& client_challenge);

// The inputs of "temp", the NTLMv2_CLIENT_CHALLENGE the client builds, 3.3.2:
//   temp = ConcatenationOf(Responserversion 0x01, HiResponserversion 0x01, Z(6), Time,
//                          ClientChallenge, Z(4), ServerName, Z(4))
// ServerName is the AV pair list the client sends (with MsvAvEOL); the views must outlive the
// call.
struct NtlmV2Temp {
  uint64_t timestamp = 0;  // FILETIME
  Challenge8 client_challenge{};
  ByteView server_name;
};

// Size of temp in bytes: 28 + |server_name| + 4.
[[nodiscard]] size_t NtlmV2TempSize(ByteView server_name);

// Writes the 28-byte header of temp (RespType .. Reserved3).
[[nodiscard]] std::array<uint8_t, kNtlmV2TempHeaderSize> NtlmV2TempHeader(const NtlmV2Temp& t);

// NTProofStr, 3.3.2:
//   NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(CHALLENGE_MESSAGE.ServerChallenge, temp))
// Streams temp into the HMAC: no allocation.
[[nodiscard]] Key16 NtProofStr(const Key16& response_key_nt, const Challenge8& server_challenge,
                               const NtlmV2Temp& temp);

// The same over a temp already laid out in bytes (a server checking a received
// NTLMv2_RESPONSE passes the bytes after its first 16).
[[nodiscard]] Key16 NtProofStrOverTemp(const Key16& response_key_nt,
                                       const Challenge8& server_challenge, ByteView temp);

// The NTLMv2 NtChallengeResponse, 3.3.2:  NtChallengeResponse = ConcatenationOf(NTProofStr, temp)
// One allocation of the exact size. kTooLarge when it would not fit the 16-bit length field.
[[nodiscard]] Result<Bytes> NtlmV2NtResponse(const Key16& response_key_nt,
                                             const Challenge8& server_challenge,
                                             const NtlmV2Temp& temp);

// LMv2 response, 3.3.2:
//   LmChallengeResponse = ConcatenationOf(
//       HMAC_MD5(ResponseKeyLM, ConcatenationOf(ServerChallenge, ClientChallenge)),
//       ClientChallenge)
[[nodiscard]] Response24 LmV2Response(const Key16& response_key_lm,
                                      const Challenge8& server_challenge,
                                      const Challenge8& client_challenge);

// Anonymous, 3.3.1/3.3.2: NtChallengeResponse is empty and LmChallengeResponse = Z(1).
inline constexpr std::array<uint8_t, 1> kAnonymousLmResponse = {0};

// ---------------------------------------------------------------------------------------------
// Session base keys, [MS-NLMP] 3.3.1 and 3.3.2.
// ---------------------------------------------------------------------------------------------

// NTLMv1 (with or without extended session security) and LM:
//   SessionBaseKey = MD4(NTOWFv1)
[[nodiscard]] Key16 NtlmV1SessionBaseKey(const Key16& response_key_nt);

// NTLMv2:  SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr)
[[nodiscard]] Key16 NtlmV2SessionBaseKey(const Key16& response_key_nt, const Key16& nt_proof_str);

// A server's check of a received NTLMv2 response, 3.2.5.1.2 with 3.3.2: NTProofStr over the
// temp as received (NtProofStrOverTemp) and the SessionBaseKey from that NTProofStr
// (NtlmV2SessionBaseKey), with ResponseKeyNT's HMAC states computed once for both (RFC 2104 4).
struct NtlmV2Check {
  Key16 nt_proof_str{};
  Key16 session_base_key{};
};
[[nodiscard]] NtlmV2Check CheckNtlmV2OverTemp(const Key16& response_key_nt,
                                              const Challenge8& server_challenge, ByteView temp);

// Anonymous: no key is derived from a secret; the engine uses Z(16).
inline constexpr Key16 kAnonymousSessionBaseKey{};

// ---------------------------------------------------------------------------------------------
// Key exchange key, [MS-NLMP] 3.4.5.1.
// ---------------------------------------------------------------------------------------------

// NTLMv1 with extended session security:
//   KXKEY = HMAC_MD5(SessionBaseKey, ConcatenationOf(ServerChallenge, LmChallengeResponse[0..7]))
[[nodiscard]] Key16 KxKeyNtlmV1Ess(const Key16& session_base_key,
                                   const Challenge8& server_challenge,
                                   std::span<const uint8_t, 8> lm_challenge_response_8);

// NTLMv1 without extended session security, NTLMSSP_NEGOTIATE_LM_KEY:
//   KXKEY = ConcatenationOf(DES(LMOWF[0..6], LmChallengeResponse[0..7]),
//                           DES(ConcatenationOf(LMOWF[7], 0xBDBDBDBDBDBD),
//                               LmChallengeResponse[0..7]))
[[nodiscard]] Key16 KxKeyLmKey(const Key16& lm_owf,
                               std::span<const uint8_t, 8> lm_challenge_response_8);

// NTLMv1 without extended session security, NTLMSSP_REQUEST_NON_NT_SESSION_KEY (and not
// LM_KEY):  KXKEY = ConcatenationOf(LMOWF[0..7], Z(8))
[[nodiscard]] Key16 KxKeyNonNt(const Key16& lm_owf);

// KXKEY for NTLMv1 in all its cases, chosen from the negotiated flags in the spec's order:
//   if NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: KxKeyNtlmV1Ess
//   else if NTLMSSP_NEGOTIATE_LM_KEY:               KxKeyLmKey
//   else if NTLMSSP_REQUEST_NON_NT_SESSION_KEY:     KxKeyNonNt
//   else                                            SessionBaseKey
// Errors (kInvalidArgument): an LM response shorter than 8 bytes where one is used, or no LMOWF
// where one is used.
[[nodiscard]] Result<Key16> KxKeyNtlmV1(uint32_t negotiate_flags, const Key16& session_base_key,
                                        ByteView lm_challenge_response,
                                        const Challenge8& server_challenge,
                                        const std::optional<Key16>& lm_owf);

// NTLMv2:  KXKEY = SessionBaseKey
[[nodiscard]] inline Key16 KxKeyNtlmV2(const Key16& session_base_key) { return session_base_key; }

// ---------------------------------------------------------------------------------------------
// Key exchange, [MS-NLMP] 3.1.5.1.2 (client) and 3.2.5.1.2 (server).
// ---------------------------------------------------------------------------------------------

// Client, NTLMSSP_NEGOTIATE_KEY_EXCH:
//   EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey)
[[nodiscard]] Key16 EncryptRandomSessionKey(const Key16& key_exchange_key,
                                            const Key16& exported_session_key);

// Server, NTLMSSP_NEGOTIATE_KEY_EXCH:
//   ExportedSessionKey = RC4K(KeyExchangeKey, AUTHENTICATE_MESSAGE.EncryptedRandomSessionKey)
[[nodiscard]] Key16 DecryptRandomSessionKey(const Key16& key_exchange_key,
                                            const Key16& encrypted_random_session_key);

// Server: the exported session key from the AUTHENTICATE message's field:
//   if NTLMSSP_NEGOTIATE_KEY_EXCH: RC4K(KeyExchangeKey, EncryptedRandomSessionKey), which must
//   be 16 bytes (kBadLength otherwise); else KeyExchangeKey.
[[nodiscard]] Result<Key16> ExportedSessionKeyFromWire(uint32_t negotiate_flags,
                                                       const Key16& key_exchange_key,
                                                       ByteView encrypted_random_session_key);

// ---------------------------------------------------------------------------------------------
// MIC, [MS-NLMP] 3.1.5.1.2.
// ---------------------------------------------------------------------------------------------

// MIC = HMAC_MD5(ExportedSessionKey,
//                ConcatenationOf(NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE, AUTHENTICATE_MESSAGE))
// over the raw messages, where the AUTHENTICATE_MESSAGE's MIC field is Z(16) (see ZeroMicField).
[[nodiscard]] Key16 ComputeMic(const Key16& exported_session_key, ByteView negotiate_message,
                               ByteView challenge_message, ByteView authenticate_message_zeroed);

// A copy of |authenticate_message| with the 16 bytes at offset 72 (the MIC) set to zero.
// kTruncated when the message is shorter than 88 bytes.
[[nodiscard]] Result<Bytes> ZeroMicField(ByteView authenticate_message);

// ---------------------------------------------------------------------------------------------
// Signing and sealing keys, [MS-NLMP] 3.4.5.2 and 3.4.5.3.
// ---------------------------------------------------------------------------------------------

// Whose keys: the client signs/seals with the client-to-server keys and checks with the
// server-to-client keys; the server the other way round ("Mode" in 3.4.5.2/3.4.5.3).
enum class Side : uint8_t { kClient = 0, kServer = 1 };

// SIGNKEY, 3.4.5.2:
//   if NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
//     SignKey = MD5(ConcatenationOf(ExportedSessionKey,
//                   "session key to client-to-server signing key magic constant\0"))   (Client)
//     SignKey = MD5(ConcatenationOf(ExportedSessionKey,
//                   "session key to server-to-client signing key magic constant\0"))   (Server)
//   else SignKey = NIL (nullopt)
[[nodiscard]] std::optional<Key16> SignKey(uint32_t negotiate_flags,
                                           const Key16& exported_session_key, Side side);

// A sealing key: 16 bytes with extended session security (or the whole exported key), 8 bytes
// in the LM_KEY / datagram cases of 3.4.5.3.
struct SealKey {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 0;
  ByteView view() const { return ByteView(bytes.data(), size); }
  bool operator==(const SealKey&) const = default;
};

// SEALKEY, 3.4.5.3:
//   if NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
//     K = ExportedSessionKey        if NTLMSSP_NEGOTIATE_128   (128 bits)
//     K = ExportedSessionKey[0..6]  elif NTLMSSP_NEGOTIATE_56  (56 bits)
//     K = ExportedSessionKey[0..4]  else                       (40 bits)
//     SealKey = MD5(ConcatenationOf(K, "session key to client-to-server sealing key magic
//               constant\0"))  (Client; "server-to-client" for Server)
//   elif NTLMSSP_NEGOTIATE_LM_KEY or (NTLMSSP_NEGOTIATE_DATAGRAM and
//                                     NTLMRevisionCurrent >= NTLMSSP_REVISION_W2K3):
//     SealKey = ConcatenationOf(ExportedSessionKey[0..6], 0xA0)              if NEGOTIATE_56
//     SealKey = ConcatenationOf(ExportedSessionKey[0..4], 0xE5, 0x38, 0xB0)  else (40 bits)
//   else SealKey = ExportedSessionKey
// |ntlm_revision| is NTLMRevisionCurrent (15 = NTLMSSP_REVISION_W2K3).
[[nodiscard]] SealKey ComputeSealKey(uint32_t negotiate_flags, const Key16& exported_session_key,
                                     Side side, uint8_t ntlm_revision = 0x0F);

// ---------------------------------------------------------------------------------------------
// Channel bindings, [MS-NLMP] 2.2.2.1 MsvAvChannelBindings, RFC 4121 4.1.1.2, RFC 5929 4.
// ---------------------------------------------------------------------------------------------

// MD5 of a gss_channel_bindings_struct with no addresses:
//   MD5(initiator_addrtype u32le 0 || initiator_address.length u32le 0 ||
//       acceptor_addrtype  u32le 0 || acceptor_address.length  u32le 0 ||
//       application_data.length u32le || application_data)
// kTooLarge if the data does not fit a 32-bit length.
[[nodiscard]] Result<Key16> ChannelBindingsHash(ByteView application_data);

// RFC 5929 4.1 `tls-server-end-point` application data for a DER certificate:
//   "tls-server-end-point:" || H(certificate)
// where H is SHA-256 when the certificate's signature algorithm hashes with MD5 or SHA-1, and
// that hash otherwise. The certificate is parsed with OpenSSL's X509 API. Errors: not a DER
// certificate or bytes after it (kInvalidArgument); a signature algorithm without a single hash,
// e.g. Ed25519 (kUnsupported: RFC 5929 leaves the binding undefined).
[[nodiscard]] Result<Bytes> TlsServerEndPointData(ByteView der_certificate);

// ChannelBindingsHash(TlsServerEndPointData(cert)): the MsvAvChannelBindings value for HTTPS.
[[nodiscard]] Result<Key16> TlsServerEndPointBindingsHash(ByteView der_certificate);

// ---------------------------------------------------------------------------------------------
// ComputeResponse, [MS-NLMP] 3.3.1 and 3.3.2, for every kind of response.
// ---------------------------------------------------------------------------------------------

enum class ResponseKind : uint8_t {
  kLm,         // LM response only (3.3.1): LM = DESL(LMOWFv1, ServerChallenge), NT empty
  kNtlmV1,     // NTLMv1 (3.3.1), no extended session security
  kNtlmV1Ess,  // NTLMv1 with extended session security ("NTLM2")
  kNtlmV2,     // NTLMv2 and LMv2 (3.3.2)
  kAnonymous,  // anonymous: LM = Z(1), NT empty
};

// "lm", "ntlmv1", "ntlmv1-ess", "ntlmv2", "anonymous".
const char* ResponseKindName(ResponseKind kind);
std::optional<ResponseKind> ParseResponseKind(std::string_view name);

struct ResponseInputs {
  ResponseKind kind = ResponseKind::kNtlmV2;
  // NTOWFv1 for kLm/kNtlmV1/kNtlmV1Ess (the session base key needs it), NTOWFv2 for kNtlmV2.
  Key16 response_key_nt{};
  // LMOWFv1 for kLm (required) and kNtlmV1 (when absent, LmChallengeResponse is a copy of the
  // NT response, as with NoLMResponseNTLMv1, 3.1.1.1); LMOWFv2 for kNtlmV2 (when absent,
  // response_key_nt, which is equal by definition).
  std::optional<Key16> response_key_lm;
  Challenge8 server_challenge{};
  Challenge8 client_challenge{};  // kNtlmV1Ess, kNtlmV2
  uint64_t timestamp = 0;         // kNtlmV2
  ByteView server_name;           // kNtlmV2: the AV pairs of temp
  // kNtlmV2: LmChallengeResponse is Z(24) instead of LMv2 (3.1.5.1.2: the CHALLENGE carried an
  // MsvAvTimestamp), so LMv2 is not computed.
  bool lm_response_zero = false;
};

struct ComputedResponses {
  Bytes lm_response;
  Bytes nt_response;
  Key16 session_base_key{};
  std::optional<Key16> nt_proof_str;  // kNtlmV2 only
};

// Errors: kLm without response_key_lm (kInvalidArgument); an NTLMv2 response too large.
[[nodiscard]] Result<ComputedResponses> ComputeResponse(const ResponseInputs& in);

// KXKEY for any response kind: NTLMv2 and anonymous -> SessionBaseKey; the others ->
// KxKeyNtlmV1 over the computed LM response.
[[nodiscard]] Result<Key16> KeyExchangeKey(ResponseKind kind, uint32_t negotiate_flags,
                                           const ComputedResponses& responses,
                                           const Challenge8& server_challenge,
                                           const std::optional<Key16>& lm_owf);

}  // namespace ntlm

#endif  // NTLM_ENGINE_COMPUTE_H_
