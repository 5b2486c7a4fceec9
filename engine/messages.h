// NTLM messages, [MS-NLMP] 2.2.1: NEGOTIATE, CHALLENGE and AUTHENTICATE, decode and encode.
//
// Every message starts with Signature "NTLMSSP\0" (8 bytes) and MessageType (u32le). Payload
// fields are described by an 8-byte (Len u16le, MaxLen u16le, BufferOffset u32le) triple and are
// read through a sub-reader that can see only their own bytes.
//
// NEGOTIATE (2.2.1.1)          CHALLENGE (2.2.1.2)           AUTHENTICATE (2.2.1.3)
//  0 Signature                  0 Signature                   0 Signature
//  8 MessageType = 1            8 MessageType = 2             8 MessageType = 3
// 12 NegotiateFlags            12 TargetNameFields           12 LmChallengeResponseFields
// 16 DomainNameFields          20 NegotiateFlags             20 NtChallengeResponseFields
// 24 WorkstationFields         24 ServerChallenge (8)        28 DomainNameFields
// 32 Version (if flag T)       32 Reserved (8)               36 UserNameFields
// 40 payload                   40 TargetInfoFields           44 WorkstationFields
//                              48 Version (if flag T)        52 EncryptedRandomSessionKeyFields
//                              56 payload                    60 NegotiateFlags
//                                                            64 Version (if flag T)
//                                                            72 MIC (16, when present)
//                                                            88 payload
// The short forms are valid and decode: a 32-byte NEGOTIATE, a 32-byte legacy CHALLENGE (no
// Reserved/TargetInfoFields), a 64-byte AUTHENTICATE header without VERSION and MIC.
//
// Where the header ends is inferred, as Windows does, from the lowest offset of a non-empty
// payload: VERSION is read only when there is room for it before the first payload, and the MIC
// only when there is room for VERSION and MIC.
//
// Canonical encoding (what Encode* writes): header, then payloads in the order Windows uses
// (NEGOTIATE: domain, workstation; CHALLENGE: target name, target info; AUTHENTICATE: domain,
// user, workstation, LM, NT, session key), contiguous, MaxLen == Len. An empty field gets the
// offset it had when decoded (field layout kept in *_field) or else the running payload offset,
// so decode then encode of a canonical message gives the same bytes.
#ifndef NTLM_ENGINE_MESSAGES_H_
#define NTLM_ENGINE_MESSAGES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/av_pairs.h"
#include "engine/bytes.h"
#include "engine/decode_policy.h"
#include "engine/error.h"
#include "engine/flags.h"

namespace ntlm {

inline constexpr std::array<uint8_t, 8> kNtlmSignature = {'N', 'T', 'L', 'M',
                                                          'S', 'S', 'P', 0};
enum class MessageType : uint32_t {
  kNegotiate = 1,
  kChallenge = 2,
  kAuthenticate = 3,
};

// VERSION, 2.2.2.10.
struct Version {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t build = 0;
  std::array<uint8_t, 3> reserved{};
  uint8_t ntlm_revision = 0x0F;  // NTLMSSP_REVISION_W2K3
  bool operator==(const Version&) const = default;
};
inline constexpr uint8_t kNtlmRevisionW2k3 = 0x0F;
// "10.0.19041 (NTLM revision 15)", with a Windows name where the build is known.
std::string VersionToString(const Version& v);

// A payload field as it was on the wire (decoded messages only; encoders use it only for the
// offset of empty fields).
struct PayloadField {
  uint16_t len = 0;
  uint16_t max_len = 0;
  uint32_t offset = 0;
  bool present = false;  // false for a message built in code
};

// Peeks at the signature and message type.
Result<MessageType> PeekMessageType(ByteView msg);

struct NegotiateMessage {
  uint32_t flags = 0;
  std::string domain;       // OEM on the wire (2.2.1.1), UTF-8 here
  std::string workstation;  // OEM on the wire, UTF-8 here
  std::optional<Version> version;

  PayloadField domain_field;
  PayloadField workstation_field;
};

struct ChallengeMessage {
  uint32_t flags = 0;
  std::string target_name;               // Unicode or OEM per flags
  std::array<uint8_t, 8> server_challenge{};
  std::array<uint8_t, 8> reserved{};
  bool legacy_header = false;            // 32-byte form without Reserved/TargetInfoFields
  std::optional<TargetInfo> target_info; // present when TargetInfoFields has bytes or flag S
  std::optional<Version> version;

  PayloadField target_name_field;
  PayloadField target_info_field;
};

struct AuthenticateMessage {
  uint32_t flags = 0;
  Bytes lm_response;
  Bytes nt_response;
  std::string domain;
  std::string user;
  std::string workstation;
  Bytes encrypted_random_session_key;
  std::optional<Version> version;
  std::optional<std::array<uint8_t, 16>> mic;

  // Decoded only: the NT response read as NTLMv2_RESPONSE when it is longer than 24 bytes.
  std::optional<NtlmV2Response> ntlmv2;
  // Decoded only: offset of the MIC in the message (72) when present, for MIC verification.
  PayloadField lm_field, nt_field, domain_field, user_field, workstation_field, session_key_field;
};
inline constexpr size_t kAuthenticateMicOffset = 72;

Result<NegotiateMessage> DecodeNegotiate(ByteView msg,
                                         const DecodePolicy& policy = DecodePolicy::Strict());
Result<ChallengeMessage> DecodeChallenge(ByteView msg,
                                         const DecodePolicy& policy = DecodePolicy::Strict());
// The character set of the AUTHENTICATE's DomainName, UserName and Workstation: what its own
// NegotiateFlags say (a message read alone), or what the CHALLENGE negotiated (a server that
// issued it). Some clients set NTLMSSP_NEGOTIATE_UNICODE in the AUTHENTICATE whatever was
// negotiated and send OEM strings (wget 1.21: flags 0x00008201 with "alice" in 5 bytes after
// an OEM CHALLENGE); a server reads them as negotiated ([MS-NLMP] 2.2.2.5 A and B: the server
// chooses the character set in the CHALLENGE, 3.2.5.1.1), as Samba's does.
enum class StringCharset : uint8_t { kFromFlags, kUnicode, kOem };
Result<AuthenticateMessage> DecodeAuthenticate(
    ByteView msg, const DecodePolicy& policy = DecodePolicy::Strict(),
    StringCharset charset = StringCharset::kFromFlags);

Result<Bytes> EncodeNegotiate(const NegotiateMessage& m);
Result<Bytes> EncodeChallenge(const ChallengeMessage& m);
Result<Bytes> EncodeAuthenticate(const AuthenticateMessage& m);

}  // namespace ntlm

#endif  // NTLM_ENGINE_MESSAGES_H_
