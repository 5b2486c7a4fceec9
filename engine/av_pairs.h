// AV pairs ([MS-NLMP] 2.2.2.1), Single_Host_Data (2.2.2.2), FILETIME (2.2.2.9) and the NTLMv2
// client challenge, the "blob" (2.2.2.7), with its NTLMv2_RESPONSE wrapper (2.2.2.8).
//
// AV_PAIR layout:          NTLMv2_CLIENT_CHALLENGE layout (2.2.2.7):
//   0  AvId   u16le          0  RespType        u8  = 1
//   2  AvLen  u16le          1  HiRespType      u8  = 1
//   4  Value  AvLen bytes    2  Reserved1       u16 = 0
//                            4  Reserved2       u32 = 0
//                            8  TimeStamp       u64le FILETIME
//                           16  ChallengeFromClient 8 bytes
//                           24  Reserved3       u32 = 0
//                           28  AvPairs         ... MsvAvEOL, then (in practice) Z(4)
#ifndef NTLM_ENGINE_AV_PAIRS_H_
#define NTLM_ENGINE_AV_PAIRS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "engine/decode_policy.h"
#include "engine/error.h"

namespace ntlm {

enum class AvId : uint16_t {
  kEol = 0x0000,
  kNbComputerName = 0x0001,
  kNbDomainName = 0x0002,
  kDnsComputerName = 0x0003,
  kDnsDomainName = 0x0004,
  kDnsTreeName = 0x0005,
  kFlags = 0x0006,            // u32le, fixed length 4
  kTimestamp = 0x0007,        // FILETIME, fixed length 8
  kSingleHost = 0x0008,       // Single_Host_Data
  kTargetName = 0x0009,       // UTF-16LE SPN
  kChannelBindings = 0x000A,  // MD5 hash, fixed length 16
};
inline constexpr uint16_t kMaxKnownAvId = 0x000A;

// "MsvAvNbComputerName"; "MsvAvUnknown(0x000b)" for an unknown id.
std::string AvIdName(uint16_t id);

// MsvAvFlags bits (2.2.2.1).
inline constexpr uint32_t kAvFlagAccountAuthConstrained = 0x00000001;
inline constexpr uint32_t kAvFlagMicPresent = 0x00000002;
inline constexpr uint32_t kAvFlagUntrustedSpn = 0x00000004;

struct AvPair {
  uint16_t id = 0;
  Bytes value;
  bool operator==(const AvPair&) const = default;
};

// Single_Host_Data, 2.2.2.2: Size u32le, Z4, CustomData 8 bytes, MachineID 32 bytes.
struct SingleHostData {
  uint32_t size = 48;
  std::array<uint8_t, 8> custom_data{};
  std::array<uint8_t, 32> machine_id{};
  Bytes extra;  // bytes after MachineID that Size covers
};
Result<SingleHostData> DecodeSingleHostData(ByteView value);
Bytes EncodeSingleHostData(const SingleHostData& d);

// An AV pair list, in wire order, without the terminating MsvAvEOL.
class TargetInfo {
 public:
  std::vector<AvPair> pairs;
  // As decoded: whether the list ended with MsvAvEOL, and how many bytes followed it inside the
  // declared length. Both can differ from the canonical form only under a lenient policy; the
  // encoder always writes MsvAvEOL and nothing after it.
  bool had_eol = true;
  size_t bytes_after_eol = 0;

  const AvPair* Find(AvId id) const;
  bool Has(AvId id) const { return Find(id) != nullptr; }
  // The UTF-8 text of a string pair (ids 1..5, 9); nullopt if absent or not valid UTF-16LE.
  std::optional<std::string> GetString(AvId id) const;
  std::optional<uint32_t> GetFlags() const;          // MsvAvFlags
  std::optional<uint64_t> GetTimestamp() const;      // MsvAvTimestamp (FILETIME)

  // Replaces the first pair with |id| or appends it (before EOL).
  void Set(AvId id, Bytes value);
  Status SetString(AvId id, std::string_view utf8);
  void SetFlags(uint32_t flags);
  void SetTimestamp(uint64_t filetime);
  void Remove(AvId id);

  bool operator==(const TargetInfo&) const = default;
};

// Decodes an AV pair list that fills |r| (its whole view). |r|'s base offset makes errors name
// absolute offsets. The fixed-length ids (Flags 4, Timestamp 8, ChannelBindings 16, EOL 0, and
// SingleHost >= 48) are always checked; the string ids must be valid UTF-16LE.
// |trailing| (optional) receives the bytes after MsvAvEOL when the policy allows them.
Result<TargetInfo> DecodeTargetInfo(ByteReader r, const DecodePolicy& policy,
                                    Bytes* trailing = nullptr);

// Encodes the pairs followed by MsvAvEOL. Fails (kTooLarge) if a value exceeds 65535 bytes.
Result<Bytes> EncodeTargetInfo(const TargetInfo& ti);

// NTLMv2_CLIENT_CHALLENGE, 2.2.2.7.
struct NtlmV2ClientChallenge {
  uint8_t resp_type = 1;
  uint8_t hi_resp_type = 1;
  uint16_t reserved1 = 0;
  uint32_t reserved2 = 0;
  uint64_t timestamp = 0;                    // FILETIME
  std::array<uint8_t, 8> client_challenge{};
  uint32_t reserved3 = 0;
  TargetInfo av_pairs;
  Bytes trailer;                             // bytes after MsvAvEOL, normally Z(4)
};
inline constexpr size_t kNtlmV2ClientChallengeHeaderSize = 28;

Result<NtlmV2ClientChallenge> DecodeNtlmV2ClientChallenge(ByteReader r,
                                                          const DecodePolicy& policy);
Result<Bytes> EncodeNtlmV2ClientChallenge(const NtlmV2ClientChallenge& blob);

// NTLMv2_RESPONSE, 2.2.2.8: NTProofStr (16) then the client challenge.
struct NtlmV2Response {
  std::array<uint8_t, 16> nt_proof_str{};
  NtlmV2ClientChallenge blob;
};
Result<NtlmV2Response> DecodeNtlmV2Response(ByteReader r, const DecodePolicy& policy);

// FILETIME (100 ns ticks since 1601-01-01 UTC) as "2024-01-31T12:34:56.1234567Z".
std::string FileTimeToIso8601(uint64_t filetime);
// Unix seconds -> FILETIME.
uint64_t UnixToFileTime(int64_t unix_seconds, uint32_t nanos = 0);

}  // namespace ntlm

#endif  // NTLM_ENGINE_AV_PAIRS_H_
