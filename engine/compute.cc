// ntlm-harness engine: NTLM computations (see compute.h for the formulas).
#include "engine/compute.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "engine/crypto/des.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/md4.h"
#include "engine/crypto/md5.h"
#include "engine/crypto/rc4.h"
#include "engine/flags.h"
#include "engine/text.h"

namespace ntlm {
namespace {

constexpr char kRuleOwfV1[] = "MS-NLMP 3.3.1";
constexpr char kRuleOwfV2[] = "MS-NLMP 3.3.2";
constexpr char kRuleKxKey[] = "MS-NLMP 3.4.5.1";
constexpr char kRuleKeyExch[] = "MS-NLMP 3.2.5.1.2";
constexpr char kRuleMic[] = "MS-NLMP 3.1.5.1.2";
constexpr char kRuleCbt[] = "RFC 5929 4.1";

// "KGS!@#$%", the LMOWFv1 plaintext (3.3.1).
constexpr std::array<uint8_t, 8> kLmMagic = {'K', 'G', 'S', '!', '@', '#', '$', '%'};

// 3.4.5.2 and 3.4.5.3: the magic constants are null-terminated and the NUL is hashed; sizeof
// keeps it.
constexpr char kClientSignMagic[] = "session key to client-to-server signing key magic constant";
constexpr char kServerSignMagic[] = "session key to server-to-client signing key magic constant";
constexpr char kClientSealMagic[] = "session key to client-to-server sealing key magic constant";
constexpr char kServerSealMagic[] = "session key to server-to-client sealing key magic constant";

constexpr char kTlsServerEndPointPrefix[] = "tls-server-end-point:";

constexpr std::array<uint8_t, 4> kZero4 = {0, 0, 0, 0};

// Wipes a secret temporary on every path out of a scope.
class Cleanser {
 public:
  Cleanser(void* p, size_t n) : p_(p), n_(n) {}
  ~Cleanser() {
    if (p_ != nullptr && n_ != 0) {
      OPENSSL_cleanse(p_, n_);
    }
  }
  Cleanser(const Cleanser&) = delete;
  Cleanser& operator=(const Cleanser&) = delete;

 private:
  void* p_;
  size_t n_;
};

// DES(K, D) of [MS-NLMP] 6 with a 7-byte key.
crypto::DesBlock Des7(const uint8_t* key7, std::span<const uint8_t, 8> data) {
  const crypto::DesBlock key8 = crypto::DesExpandKey56(std::span<const uint8_t, 7>(key7, 7));
  return crypto::DesEncryptBlock(key8, data);
}

Key16 ToKey16(const crypto::Md5Digest& d) {
  Key16 k;
  std::memcpy(k.data(), d.data(), k.size());
  return k;
}

// A text error about a secret keeps its code and offset but gets a reason that does not quote
// the input (STYLE.md habit 10: never a password in a message).
Error SecretTextError(const Error& e, const char* rule, const char* field) {
  std::string reason;
  switch (e.code) {
    case ErrorCode::kInvalidUtf8:
      reason = "not valid UTF-8";
      break;
    case ErrorCode::kInvalidArgument:
      reason = "a character has no OEM (ISO-8859-1) byte";
      break;
    default:
      reason = "cannot be encoded";
      break;
  }
  return MakeError(e.code, rule, field, e.offset, std::move(reason));
}

Error NamedTextError(const Error& e, const char* rule, const char* field) {
  Error out = e;
  out.rule = rule;
  out.field = field;
  return out;
}

}  // namespace

// --- one-way functions -----------------------------------------------------------------------

Result<Key16> LmOwfV1(std::string_view password_utf8) {
  Result<Bytes> oem = text::Utf8ToOem(password_utf8);
  if (!oem.ok()) {
    return SecretTextError(oem.error(), kRuleOwfV1, "Passwd");
  }
  Cleanser wipe_oem(oem->data(), oem->size());
  if (oem->size() > kLmOwfMaxPasswordLen) {
    return MakeError(ErrorCode::kTooLarge, kRuleOwfV1, "Passwd", kLmOwfMaxPasswordLen,
                     "password longer than 14 characters: LMOWFv1 cannot be computed");
  }

  // UpperCase(Passwd) in the OEM character set, zero-padded to 14 bytes.
  uint8_t padded[kLmOwfMaxPasswordLen] = {};
  Cleanser wipe_padded(padded, sizeof(padded));
  for (size_t i = 0; i < oem->size(); ++i) {
    const char32_t upper = text::UpcaseCodePoint((*oem)[i]);
    padded[i] = upper <= 0xFF ? static_cast<uint8_t>(upper) : (*oem)[i];
  }

  const crypto::DesBlock lo = Des7(padded, kLmMagic);
  const crypto::DesBlock hi = Des7(padded + 7, kLmMagic);
  Key16 out;
  std::memcpy(out.data(), lo.data(), 8);
  std::memcpy(out.data() + 8, hi.data(), 8);
  return out;
}

Result<Key16> NtOwfV1(std::string_view password_utf8) {
  Result<Bytes> utf16 = text::Utf8ToUtf16Le(password_utf8);
  if (!utf16.ok()) {
    return SecretTextError(utf16.error(), kRuleOwfV1, "Passwd");
  }
  Cleanser wipe(utf16->data(), utf16->size());
  const crypto::Md4Digest d = crypto::Md4Hash(*utf16);
  Key16 out;
  std::memcpy(out.data(), d.data(), out.size());
  return out;
}

Result<Key16> ParseNtHash(std::string_view hex) {
  Bytes raw;
  if (!FromHex(hex, &raw) || raw.size() != 16) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return MakeError(ErrorCode::kInvalidArgument, kRuleOwfV1, "NTOWFv1", 0,
                     "an NT hash is 32 hexadecimal digits");
  }
  Key16 out;
  std::memcpy(out.data(), raw.data(), out.size());
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

namespace {

// UNICODE(ConcatenationOf(Uppercase(User), UserDom)) of 3.3.2 when both are ASCII (every user
// name and domain of the usual kind) and the result fits |out|: 'a'..'z' upper-cased, each byte
// one UTF-16LE unit. The size written, or 0 when the general path must run (it then gives the
// same bytes, and the same errors for what is not UTF-8).
size_t AsciiIdentity16(std::string_view user, std::string_view domain, std::span<uint8_t> out) {
  if (2 * (user.size() + domain.size()) > out.size() || user.size() + domain.size() == 0) {
    return 0;
  }
  size_t n = 0;
  for (const bool is_user : {true, false}) {
    for (const char ch : is_user ? user : domain) {
      auto c = static_cast<uint8_t>(ch);
      if (c >= 0x80) {
        return 0;
      }
      if (is_user && c >= 'a' && c <= 'z') {
        c = static_cast<uint8_t>(c - ('a' - 'A'));
      }
      out[n++] = c;
      out[n++] = 0;
    }
  }
  return n;
}

}  // namespace

Result<Key16> NtOwfV2(const Key16& nt_owf_v1, std::string_view user, std::string_view domain) {
  uint8_t identity[256];
  if (const size_t n = AsciiIdentity16(user, domain, identity); n != 0) {
    return ToKey16(crypto::HmacMd5Key(nt_owf_v1).Mac(std::span<const uint8_t>(identity, n)));
  }
  Result<std::string> upper = text::ToUpperUtf8(user);
  if (!upper.ok()) {
    return NamedTextError(upper.error(), kRuleOwfV2, "User");
  }
  Result<Bytes> user16 = text::Utf8ToUtf16Le(*upper);
  if (!user16.ok()) {
    return NamedTextError(user16.error(), kRuleOwfV2, "User");
  }
  Result<Bytes> domain16 = text::Utf8ToUtf16Le(domain);
  if (!domain16.ok()) {
    return NamedTextError(domain16.error(), kRuleOwfV2, "UserDom");
  }

  crypto::HmacMd5 mac(nt_owf_v1);
  mac.Update(*user16);
  mac.Update(*domain16);
  return ToKey16(mac.Final());
}

Result<Key16> NtOwfV2FromPassword(std::string_view password_utf8, std::string_view user,
                                  std::string_view domain) {
  Result<Key16> nt = NtOwfV1(password_utf8);
  if (!nt.ok()) {
    return nt.error();
  }
  Cleanser wipe(nt->data(), nt->size());
  return NtOwfV2(*nt, user, domain);
}

// --- responses -------------------------------------------------------------------------------

Response24 Desl(const Key16& key, const Challenge8& data) {
  uint8_t k21[21] = {};
  Cleanser wipe(k21, sizeof(k21));
  std::memcpy(k21, key.data(), key.size());

  Response24 out;
  for (size_t i = 0; i < 3; ++i) {
    const crypto::DesBlock block = Des7(k21 + 7 * i, data);
    std::memcpy(out.data() + 8 * i, block.data(), 8);
  }
  return out;
}

Response24 LmV1Response(const Key16& response_key_lm, const Challenge8& server_challenge) {
  return Desl(response_key_lm, server_challenge);
}

Response24 NtlmV1Response(const Key16& response_key_nt, const Challenge8& server_challenge) {
  return Desl(response_key_nt, server_challenge);
}

NtlmV1EssResponses NtlmV1EssResponse(const Key16& response_key_nt,
                                     const Challenge8& server_challenge,
                                     const Challenge8& client_challenge) {
  crypto::Md5 md5;
  md5.Update(server_challenge);
  md5.Update(client_challenge);
  const crypto::Md5Digest digest = md5.Final();
  Challenge8 truncated;
  std::memcpy(truncated.data(), digest.data(), truncated.size());

  NtlmV1EssResponses out;
  out.nt = Desl(response_key_nt, truncated);
  std::memcpy(out.lm.data(), client_challenge.data(), client_challenge.size());
  return out;
}

size_t NtlmV2TempSize(ByteView server_name) {
  return kNtlmV2TempHeaderSize + server_name.size() + kZero4.size();
}

std::array<uint8_t, kNtlmV2TempHeaderSize> NtlmV2TempHeader(const NtlmV2Temp& t) {
  // 0 RespType 1, 1 HiRespType 1, 2 Z(6), 8 TimeStamp u64le, 16 ChallengeFromClient, 24 Z(4)
  std::array<uint8_t, kNtlmV2TempHeaderSize> h{};
  h[0] = 0x01;
  h[1] = 0x01;
  StoreU32Le(h.data() + 8, static_cast<uint32_t>(t.timestamp));
  StoreU32Le(h.data() + 12, static_cast<uint32_t>(t.timestamp >> 32));
  std::memcpy(h.data() + 16, t.client_challenge.data(), t.client_challenge.size());
  return h;
}

Key16 NtProofStr(const Key16& response_key_nt, const Challenge8& server_challenge,
                 const NtlmV2Temp& temp) {
  const std::array<uint8_t, kNtlmV2TempHeaderSize> header = NtlmV2TempHeader(temp);
  crypto::HmacMd5 mac(response_key_nt);
  mac.Update(server_challenge);
  mac.Update(header);
  mac.Update(temp.server_name);
  mac.Update(kZero4);
  return ToKey16(mac.Final());
}

Key16 NtProofStrOverTemp(const Key16& response_key_nt, const Challenge8& server_challenge,
                         ByteView temp) {
  crypto::HmacMd5 mac(response_key_nt);
  mac.Update(server_challenge);
  mac.Update(temp);
  return ToKey16(mac.Final());
}

namespace {

// NtlmV2NtResponse with the HMAC states of ResponseKeyNT already computed (RFC 2104 4): the
// response is laid out first, then NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge ||
// temp) is computed over its own temp bytes and written in front of them.
Result<Bytes> NtlmV2NtResponseWithKey(const crypto::HmacMd5Key& key,
                                      const Challenge8& server_challenge, const NtlmV2Temp& temp) {
  // NtChallengeResponseFields.Len is 16 bits (2.2.1.3); check before adding to avoid overflow.
  constexpr size_t kMaxLen = 0xFFFF;
  constexpr size_t kFixed = 16 + kNtlmV2TempHeaderSize + kZero4.size();
  if (temp.server_name.size() > kMaxLen - kFixed) {
    return MakeError(ErrorCode::kTooLarge, kRuleOwfV2, "NtChallengeResponse", 0,
                     "NTLMv2 response would exceed 65535 bytes");
  }

  constexpr size_t kProofSize = 16;
  const std::array<uint8_t, kNtlmV2TempHeaderSize> header = NtlmV2TempHeader(temp);
  Bytes out;
  out.reserve(kProofSize + NtlmV2TempSize(temp.server_name));
  out.resize(kProofSize);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), temp.server_name.begin(), temp.server_name.end());
  out.insert(out.end(), kZero4.begin(), kZero4.end());
  const crypto::Md5Digest proof = key.Mac(server_challenge, ByteView(out).subspan(kProofSize));
  std::memcpy(out.data(), proof.data(), kProofSize);
  return out;
}

// LmV2Response with the HMAC states of ResponseKeyLM already computed.
Response24 LmV2ResponseWithKey(const crypto::HmacMd5Key& key, const Challenge8& server_challenge,
                               const Challenge8& client_challenge) {
  const crypto::Md5Digest d = key.Mac(server_challenge, client_challenge);
  Response24 out;
  std::memcpy(out.data(), d.data(), d.size());
  std::memcpy(out.data() + d.size(), client_challenge.data(), client_challenge.size());
  return out;
}

}  // namespace

Result<Bytes> NtlmV2NtResponse(const Key16& response_key_nt, const Challenge8& server_challenge,
                               const NtlmV2Temp& temp) {
  return NtlmV2NtResponseWithKey(crypto::HmacMd5Key(response_key_nt), server_challenge, temp);
}

Response24 LmV2Response(const Key16& response_key_lm, const Challenge8& server_challenge,
                        const Challenge8& client_challenge) {
  return LmV2ResponseWithKey(crypto::HmacMd5Key(response_key_lm), server_challenge,
                             client_challenge);
}

// --- session base keys -----------------------------------------------------------------------

Key16 NtlmV1SessionBaseKey(const Key16& response_key_nt) {
  const crypto::Md4Digest d = crypto::Md4Hash(response_key_nt);
  Key16 out;
  std::memcpy(out.data(), d.data(), out.size());
  return out;
}

Key16 NtlmV2SessionBaseKey(const Key16& response_key_nt, const Key16& nt_proof_str) {
  return ToKey16(crypto::HmacMd5Digest(response_key_nt, nt_proof_str));
}

NtlmV2Check CheckNtlmV2OverTemp(const Key16& response_key_nt, const Challenge8& server_challenge,
                                ByteView temp) {
  const crypto::HmacMd5Key key(response_key_nt);  // both HMACs below share its states
  NtlmV2Check out;
  out.nt_proof_str = ToKey16(key.Mac(server_challenge, temp));
  out.session_base_key = ToKey16(key.Mac(out.nt_proof_str));
  return out;
}

// --- KXKEY -----------------------------------------------------------------------------------

Key16 KxKeyNtlmV1Ess(const Key16& session_base_key, const Challenge8& server_challenge,
                     std::span<const uint8_t, 8> lm_challenge_response_8) {
  crypto::HmacMd5 mac(session_base_key);
  mac.Update(server_challenge);
  mac.Update(lm_challenge_response_8);
  return ToKey16(mac.Final());
}

Key16 KxKeyLmKey(const Key16& lm_owf, std::span<const uint8_t, 8> lm_challenge_response_8) {
  uint8_t second_key[7] = {lm_owf[7], 0xBD, 0xBD, 0xBD, 0xBD, 0xBD, 0xBD};
  Cleanser wipe(second_key, sizeof(second_key));

  const crypto::DesBlock lo = Des7(lm_owf.data(), lm_challenge_response_8);
  const crypto::DesBlock hi = Des7(second_key, lm_challenge_response_8);
  Key16 out;
  std::memcpy(out.data(), lo.data(), 8);
  std::memcpy(out.data() + 8, hi.data(), 8);
  return out;
}

Key16 KxKeyNonNt(const Key16& lm_owf) {
  Key16 out{};
  std::memcpy(out.data(), lm_owf.data(), 8);
  return out;
}

Result<Key16> KxKeyNtlmV1(uint32_t negotiate_flags, const Key16& session_base_key,
                          ByteView lm_challenge_response, const Challenge8& server_challenge,
                          const std::optional<Key16>& lm_owf) {
  const bool ess = (negotiate_flags & kNegotiateExtendedSessionSecurity) != 0;
  const bool lm_key = (negotiate_flags & kNegotiateLmKey) != 0;
  const bool non_nt = (negotiate_flags & kRequestNonNtSessionKey) != 0;

  if ((ess || lm_key) && lm_challenge_response.size() < 8) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleKxKey, "LmChallengeResponse", 0,
                     "KXKEY needs at least 8 bytes of LM response");
  }
  if (ess) {
    return KxKeyNtlmV1Ess(session_base_key, server_challenge, lm_challenge_response.first<8>());
  }
  if ((lm_key || non_nt) && !lm_owf.has_value()) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleKxKey, "LMOWF", 0,
                     lm_key ? "NTLMSSP_NEGOTIATE_LM_KEY needs the LMOWF"
                            : "NTLMSSP_REQUEST_NON_NT_SESSION_KEY needs the LMOWF");
  }
  if (lm_key) {
    return KxKeyLmKey(*lm_owf, lm_challenge_response.first<8>());
  }
  if (non_nt) {
    return KxKeyNonNt(*lm_owf);
  }
  return session_base_key;
}

// --- key exchange ----------------------------------------------------------------------------

Key16 EncryptRandomSessionKey(const Key16& key_exchange_key, const Key16& exported_session_key) {
  crypto::Rc4 rc4(key_exchange_key);
  Key16 out;
  rc4.Process(exported_session_key, out);
  return out;
}

Key16 DecryptRandomSessionKey(const Key16& key_exchange_key,
                              const Key16& encrypted_random_session_key) {
  // RC4 is its own inverse.
  return EncryptRandomSessionKey(key_exchange_key, encrypted_random_session_key);
}

Result<Key16> ExportedSessionKeyFromWire(uint32_t negotiate_flags, const Key16& key_exchange_key,
                                         ByteView encrypted_random_session_key) {
  if ((negotiate_flags & kNegotiateKeyExch) == 0) {
    return key_exchange_key;
  }
  if (encrypted_random_session_key.size() != 16) {
    return MakeError(ErrorCode::kBadLength, kRuleKeyExch, "EncryptedRandomSessionKey", 0,
                     "NTLMSSP_NEGOTIATE_KEY_EXCH needs a 16-byte encrypted session key, got " +
                         std::to_string(encrypted_random_session_key.size()));
  }
  Key16 encrypted;
  std::memcpy(encrypted.data(), encrypted_random_session_key.data(), encrypted.size());
  return DecryptRandomSessionKey(key_exchange_key, encrypted);
}

// --- MIC -------------------------------------------------------------------------------------

Key16 ComputeMic(const Key16& exported_session_key, ByteView negotiate_message,
                 ByteView challenge_message, ByteView authenticate_message_zeroed) {
  crypto::HmacMd5 mac(exported_session_key);
  mac.Update(negotiate_message);
  mac.Update(challenge_message);
  mac.Update(authenticate_message_zeroed);
  return ToKey16(mac.Final());
}

Result<Bytes> ZeroMicField(ByteView authenticate_message) {
  constexpr size_t kMicOffset = 72;
  constexpr size_t kMicSize = 16;
  if (authenticate_message.size() < kMicOffset + kMicSize) {
    return MakeError(ErrorCode::kTruncated, kRuleMic, "MIC", authenticate_message.size(),
                     "AUTHENTICATE_MESSAGE too short to hold a MIC at offset 72");
  }
  Bytes copy(authenticate_message.begin(), authenticate_message.end());
  std::memset(copy.data() + kMicOffset, 0, kMicSize);
  return copy;
}

// --- SIGNKEY / SEALKEY -----------------------------------------------------------------------

std::optional<Key16> SignKey(uint32_t negotiate_flags, const Key16& exported_session_key,
                             Side side) {
  if ((negotiate_flags & kNegotiateExtendedSessionSecurity) == 0) {
    return std::nullopt;
  }
  const char* magic = side == Side::kClient ? kClientSignMagic : kServerSignMagic;
  crypto::Md5 md5;
  md5.Update(exported_session_key);
  md5.Update(ByteView(reinterpret_cast<const uint8_t*>(magic), sizeof(kClientSignMagic)));
  return ToKey16(md5.Final());
}

SealKey ComputeSealKey(uint32_t negotiate_flags, const Key16& exported_session_key, Side side,
                       uint8_t ntlm_revision) {
  const bool ess = (negotiate_flags & kNegotiateExtendedSessionSecurity) != 0;
  const bool lm_key = (negotiate_flags & kNegotiateLmKey) != 0;
  const bool datagram = (negotiate_flags & kNegotiateDatagram) != 0;
  const bool key128 = (negotiate_flags & kNegotiate128) != 0;
  const bool key56 = (negotiate_flags & kNegotiate56) != 0;
  constexpr uint8_t kRevisionW2k3 = 0x0F;

  SealKey out;
  if (ess) {
    const size_t used = key128 ? 16 : (key56 ? 7 : 5);
    const char* magic = side == Side::kClient ? kClientSealMagic : kServerSealMagic;
    crypto::Md5 md5;
    md5.Update(ByteView(exported_session_key.data(), used));
    md5.Update(ByteView(reinterpret_cast<const uint8_t*>(magic), sizeof(kClientSealMagic)));
    const crypto::Md5Digest d = md5.Final();
    std::memcpy(out.bytes.data(), d.data(), d.size());
    out.size = 16;
    return out;
  }

  if (lm_key || (datagram && ntlm_revision >= kRevisionW2k3)) {
    if (key56) {
      std::memcpy(out.bytes.data(), exported_session_key.data(), 7);
      out.bytes[7] = 0xA0;
    } else {
      std::memcpy(out.bytes.data(), exported_session_key.data(), 5);
      out.bytes[5] = 0xE5;
      out.bytes[6] = 0x38;
      out.bytes[7] = 0xB0;
    }
    out.size = 8;
    return out;
  }

  out.bytes = exported_session_key;
  out.size = 16;
  return out;
}

// --- channel bindings ------------------------------------------------------------------------

Result<Key16> ChannelBindingsHash(ByteView application_data) {
  if (application_data.size() > std::numeric_limits<uint32_t>::max()) {
    return MakeError(ErrorCode::kTooLarge, "RFC 4121 4.1.1.2", "application_data", 0,
                     "channel-binding application data longer than 2^32-1 bytes");
  }
  // initiator_addrtype, initiator_address.length, acceptor_addrtype, acceptor_address.length,
  // application_data.length: five u32le.
  std::array<uint8_t, 20> header{};
  StoreU32Le(header.data() + 16, static_cast<uint32_t>(application_data.size()));

  crypto::Md5 md5;
  md5.Update(header);
  md5.Update(application_data);
  return ToKey16(md5.Final());
}

Result<Bytes> TlsServerEndPointData(ByteView der_certificate) {
  if (der_certificate.empty() ||
      der_certificate.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleCbt, "certificate", 0,
                     "not a DER X.509 certificate");
  }
  const unsigned char* p = der_certificate.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der_certificate.size())), &X509_free);
  if (cert == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleCbt, "certificate", 0,
                     "not a DER X.509 certificate");
  }
  const size_t consumed = static_cast<size_t>(p - der_certificate.data());
  if (consumed != der_certificate.size()) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleCbt, "certificate", consumed,
                     "bytes after the certificate");
  }

  // RFC 5929 4.1: MD5 and SHA-1 are replaced by SHA-256; another single hash is used as is.
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  int security_bits = 0;
  uint32_t sig_flags = 0;
  if (X509_get_signature_info(cert.get(), &md_nid, &pk_nid, &security_bits, &sig_flags) != 1 ||
      md_nid == NID_undef) {
    return MakeError(ErrorCode::kUnsupported, kRuleCbt, "certificate.signatureAlgorithm", 0,
                     "signature algorithm has no single hash function; the binding is undefined");
  }
  const EVP_MD* md = nullptr;
  if (md_nid == NID_md5 || md_nid == NID_sha1) {
    md = EVP_sha256();
  } else {
    md = EVP_get_digestbynid(md_nid);
  }
  if (md == nullptr) {
    return MakeError(ErrorCode::kUnsupported, kRuleCbt, "certificate.signatureAlgorithm", 0,
                     std::string("unsupported signature hash ") + OBJ_nid2sn(md_nid));
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(der_certificate.data(), der_certificate.size(), digest, &digest_len, md,
                 nullptr) != 1) {
    return MakeError(ErrorCode::kUnsupported, kRuleCbt, "certificate", 0,
                     "the certificate hash could not be computed");
  }

  Bytes out;
  out.reserve(sizeof(kTlsServerEndPointPrefix) - 1 + digest_len);
  out.insert(out.end(), kTlsServerEndPointPrefix,
             kTlsServerEndPointPrefix + sizeof(kTlsServerEndPointPrefix) - 1);
  out.insert(out.end(), digest, digest + digest_len);
  return out;
}

Result<Key16> TlsServerEndPointBindingsHash(ByteView der_certificate) {
  Result<Bytes> data = TlsServerEndPointData(der_certificate);
  if (!data.ok()) {
    return data.error();
  }
  return ChannelBindingsHash(*data);
}

// --- ComputeResponse -------------------------------------------------------------------------

const char* ResponseKindName(ResponseKind kind) {
  switch (kind) {
    case ResponseKind::kLm:
      return "lm";
    case ResponseKind::kNtlmV1:
      return "ntlmv1";
    case ResponseKind::kNtlmV1Ess:
      return "ntlmv1-ess";
    case ResponseKind::kNtlmV2:
      return "ntlmv2";
    case ResponseKind::kAnonymous:
      return "anonymous";
  }
  return "unknown";
}

std::optional<ResponseKind> ParseResponseKind(std::string_view name) {
  for (ResponseKind k : {ResponseKind::kLm, ResponseKind::kNtlmV1, ResponseKind::kNtlmV1Ess,
                         ResponseKind::kNtlmV2, ResponseKind::kAnonymous}) {
    if (name == ResponseKindName(k)) {
      return k;
    }
  }
  return std::nullopt;
}

Result<ComputedResponses> ComputeResponse(const ResponseInputs& in) {
  ComputedResponses out;
  switch (in.kind) {
    case ResponseKind::kLm: {
      if (!in.response_key_lm.has_value()) {
        return MakeError(ErrorCode::kInvalidArgument, kRuleOwfV1, "ResponseKeyLM", 0,
                         "an LM response needs the LMOWFv1");
      }
      const Response24 lm = LmV1Response(*in.response_key_lm, in.server_challenge);
      out.lm_response.assign(lm.begin(), lm.end());
      out.session_base_key = NtlmV1SessionBaseKey(in.response_key_nt);
      return out;
    }
    case ResponseKind::kNtlmV1: {
      const Response24 nt = NtlmV1Response(in.response_key_nt, in.server_challenge);
      out.nt_response.assign(nt.begin(), nt.end());
      if (in.response_key_lm.has_value()) {
        const Response24 lm = LmV1Response(*in.response_key_lm, in.server_challenge);
        out.lm_response.assign(lm.begin(), lm.end());
      } else {
        out.lm_response = out.nt_response;
      }
      out.session_base_key = NtlmV1SessionBaseKey(in.response_key_nt);
      return out;
    }
    case ResponseKind::kNtlmV1Ess: {
      const NtlmV1EssResponses r =
          NtlmV1EssResponse(in.response_key_nt, in.server_challenge, in.client_challenge);
      out.nt_response.assign(r.nt.begin(), r.nt.end());
      out.lm_response.assign(r.lm.begin(), r.lm.end());
      out.session_base_key = NtlmV1SessionBaseKey(in.response_key_nt);
      return out;
    }
    case ResponseKind::kNtlmV2: {
      // ResponseKeyNT's HMAC states serve NTProofStr, the session base key and (when
      // ResponseKeyLM is the same key, as NTOWFv2 makes it) LMv2.
      const crypto::HmacMd5Key key_nt(in.response_key_nt);
      const NtlmV2Temp temp{in.timestamp, in.client_challenge, in.server_name};
      Result<Bytes> nt = NtlmV2NtResponseWithKey(key_nt, in.server_challenge, temp);
      if (!nt.ok()) {
        return nt.error();
      }
      Key16 proof;
      std::memcpy(proof.data(), nt->data(), proof.size());
      out.nt_response = std::move(*nt);
      if (in.lm_response_zero) {
        out.lm_response.assign(Response24{}.size(), 0);
      } else {
        const Response24 lm =
            in.response_key_lm.has_value() && *in.response_key_lm != in.response_key_nt
                ? LmV2Response(*in.response_key_lm, in.server_challenge, in.client_challenge)
                : LmV2ResponseWithKey(key_nt, in.server_challenge, in.client_challenge);
        out.lm_response.assign(lm.begin(), lm.end());
      }
      out.session_base_key = ToKey16(key_nt.Mac(proof));
      out.nt_proof_str = proof;
      return out;
    }
    case ResponseKind::kAnonymous:
      out.lm_response.assign(kAnonymousLmResponse.begin(), kAnonymousLmResponse.end());
      out.session_base_key = kAnonymousSessionBaseKey;
      return out;
  }
  return MakeError(ErrorCode::kInvalidArgument, kRuleOwfV1, "kind", 0, "unknown response kind");
}

Result<Key16> KeyExchangeKey(ResponseKind kind, uint32_t negotiate_flags,
                             const ComputedResponses& responses, const Challenge8& server_challenge,
                             const std::optional<Key16>& lm_owf) {
  if (kind == ResponseKind::kNtlmV2 || kind == ResponseKind::kAnonymous) {
    return KxKeyNtlmV2(responses.session_base_key);
  }
  return KxKeyNtlmV1(negotiate_flags, responses.session_base_key, responses.lm_response,
                     server_challenge, lm_owf);
}

}  // namespace ntlm
