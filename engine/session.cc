// ntlm-harness engine: NTLM session security (see session.h).
#include "engine/session.h"

#include <cstring>
#include <utility>

#include "engine/crypto/crc32.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/flags.h"

namespace ntlm {
namespace {

constexpr char kRuleSession[] = "MS-NLMP 3.4.4";

Error VerifyFailed(uint32_t expected_seq) {
  return MakeError(
      ErrorCode::kAuthenticationFailed, kRuleSession, "NTLMSSP_MESSAGE_SIGNATURE", 0,
      "message signature does not verify (expected SeqNum " + std::to_string(expected_seq) + ")");
}

Error BadSignatureLength(size_t got) {
  return MakeError(ErrorCode::kBadLength, "MS-NLMP 2.2.2.9", "NTLMSSP_MESSAGE_SIGNATURE", 0,
                   "a message signature is 16 bytes, got " + std::to_string(got));
}

}  // namespace

Result<SessionSecurity> SessionSecurity::Create(uint32_t negotiate_flags,
                                                const Key16& exported_session_key, Side side) {
  if ((negotiate_flags & kNegotiateDatagram) != 0) {
    return MakeError(ErrorCode::kUnsupported, "MS-NLMP 3.4", "NegotiateFlags", 0,
                     "connectionless (NTLMSSP_NEGOTIATE_DATAGRAM) session security is not "
                     "implemented");
  }

  const Side peer = side == Side::kClient ? Side::kServer : Side::kClient;
  const SealKey out_seal = ComputeSealKey(negotiate_flags, exported_session_key, side);
  const SealKey in_seal = ComputeSealKey(negotiate_flags, exported_session_key, peer);

  Direction out(out_seal.view());
  Direction in(in_seal.view());
  const std::optional<Key16> out_sign = SignKey(negotiate_flags, exported_session_key, side);
  const std::optional<Key16> in_sign = SignKey(negotiate_flags, exported_session_key, peer);
  if (out_sign.has_value() && in_sign.has_value()) {
    out.sign_mac = crypto::HmacMd5Key(*out_sign);
    in.sign_mac = crypto::HmacMd5Key(*in_sign);
  }

  const bool ess = (negotiate_flags & kNegotiateExtendedSessionSecurity) != 0;
  return SessionSecurity(negotiate_flags, out, in, /*shared=*/!ess);
}

SessionSecurity::SessionSecurity(uint32_t flags, const Direction& out, const Direction& in,
                                 bool shared)
    : flags_(flags),
      ess_((flags & kNegotiateExtendedSessionSecurity) != 0),
      key_exch_((flags & kNegotiateKeyExch) != 0),
      shared_(shared),
      out_(out),
      in_(in) {}

MessageSignature SessionSecurity::Mac(Direction* d, ByteView message) const {
  MessageSignature sig{};
  StoreU32Le(sig.data(), kMessageSignatureVersion);

  if (ess_) {
    // 3.4.4.2: Checksum = HMAC_MD5(SigningKey, SeqNum || Message)[0..7], RC4'd with KEY_EXCH.
    uint8_t seq_le[4];
    StoreU32Le(seq_le, d->seq);
    const crypto::Md5Digest digest = d->sign_mac.Mac(seq_le, message);
    std::memcpy(sig.data() + 4, digest.data(), 8);
    if (key_exch_) {
      d->rc4.ProcessInPlace(std::span<uint8_t>(sig.data() + 4, 8));
    }
    StoreU32Le(sig.data() + 12, d->seq);
    d->seq += 1;
    return sig;
  }

  // 3.4.4.1: RandomPad, Checksum and SeqNum go through RC4 in that order; then RandomPad := 0.
  uint8_t fields[12] = {};  // RandomPad 0, Checksum, 0
  StoreU32Le(fields + 4, crypto::Crc32(message));
  d->rc4.ProcessInPlace(fields);
  const uint32_t seq_field = LoadU32Le(fields + 8) ^ d->seq;
  std::memcpy(sig.data() + 8, fields + 4, 4);
  StoreU32Le(sig.data() + 12, seq_field);
  d->seq += 1;
  return sig;
}

MessageSignature SessionSecurity::Sign(ByteView message) { return Mac(&out(), message); }

Status SessionSecurity::Verify(ByteView message, ByteView signature) {
  if (signature.size() != kMessageSignatureSize) {
    return BadSignatureLength(signature.size());
  }

  Direction& d = in();
  const Direction saved = d;
  const MessageSignature expected = Mac(&d, message);

  // Compare Version, Checksum and SeqNum; without ESS bytes 4..7 are RandomPad, not checked.
  bool same = false;
  if (ess_) {
    same = ConstantTimeEqual(expected, signature);
  } else {
    const bool head = ConstantTimeEqual(ByteView(expected.data(), 4), signature.first(4));
    const bool tail = ConstantTimeEqual(ByteView(expected.data() + 8, 8), signature.subspan(8));
    same = head & tail;
  }
  if (!same) {
    d = saved;
    return VerifyFailed(saved.seq);
  }
  return Status();
}

SessionSecurity::Sealed SessionSecurity::Seal(ByteView plaintext) {
  Direction& d = out();
  Sealed result;
  result.data.resize(plaintext.size());
  d.rc4.Process(plaintext, result.data);
  result.signature = Mac(&d, plaintext);
  return result;
}

Result<Bytes> SessionSecurity::Unseal(ByteView sealed, ByteView signature) {
  if (signature.size() != kMessageSignatureSize) {
    return BadSignatureLength(signature.size());
  }

  Direction& d = in();
  const Direction saved = d;
  Bytes plaintext(sealed.size());
  d.rc4.Process(sealed, plaintext);

  // Verify restores the handle it was given on failure; restore the one before decryption.
  Status ok = Verify(plaintext, signature);
  if (!ok.ok()) {
    d = saved;
    return ok.error();
  }
  return plaintext;
}

}  // namespace ntlm
