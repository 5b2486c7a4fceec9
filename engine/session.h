// ntlm-harness engine: NTLM session security, [MS-NLMP] 3.4: message integrity (Sign, Verify)
// and confidentiality (Seal, Unseal), connection-oriented.
//
// One SessionSecurity object is one end of an authenticated connection. It holds, per
// direction, the signing key (3.4.5.2), an RC4 handle keyed with the sealing key (3.4.5.3) that
// is kept across messages (3.4.3: "the RC4 handle ... is not reinitialized" in
// connection-oriented mode) and a sequence number that starts at 0 (3.4.4).
//
// Signature (NTLMSSP_MESSAGE_SIGNATURE, 2.2.2.9), 16 bytes:
//   with extended session security (2.2.2.9.2)   without (2.2.2.9.1)
//    0 Version u32le = 1                           0 Version u32le = 1
//    4 Checksum 8 bytes                            4 RandomPad u32le (sent as 0)
//   12 SeqNum u32le                                8 Checksum u32le
//                                                 12 SeqNum u32le
//
// MAC, 3.4.4.2 (extended session security):
//   Checksum = HMAC_MD5(SigningKey, ConcatenationOf(SeqNum, Message))[0..7]
//   if NTLMSSP_NEGOTIATE_KEY_EXCH: Checksum = RC4(Handle, Checksum)
//   SeqNum = SeqNum; SeqNum = SeqNum + 1
// MAC, 3.4.4.1 (no extended session security):
//   Checksum = CRC32(Message); RandomPad = RC4(Handle, RandomPad); Checksum = RC4(Handle,
//   Checksum); SeqNum = RC4(Handle, 0x00000000) XOR SeqNum; SeqNum = SeqNum + 1;
//   RandomPad = 0
// SEAL, 3.4.3:  Sealed = RC4(Handle, Message); Signature = MAC(Handle, SigningKey, SeqNum,
//   Message), the MAC over the plaintext with the same (advanced) handle.
//
// Without extended session security both ends derive the same sealing key (3.4.5.3), and this
// class then keeps ONE RC4 handle and ONE sequence number for both directions, as Samba does for
// Windows interoperability: a message signed or sealed by either side advances both. With
// extended session security each direction has its own key, handle and sequence number.
//
// Failure contract: Verify and Unseal either succeed and advance the receiving direction
// (sequence number + 1, RC4 handle past the message and signature), or fail and leave the
// object exactly as it was. Sign and Seal cannot fail. Sequence numbers wrap modulo 2^32.
//
// Known shortcoming (issue 2): datagram (connectionless) mode, where the RC4 handle is rekeyed
// per message and the application supplies SeqNum, is not implemented; Create refuses
// NTLMSSP_NEGOTIATE_DATAGRAM with kUnsupported.
//
// Example:
//   Result<SessionSecurity> s = SessionSecurity::Create(flags, exported_session_key,
//                                                       Side::kClient);
//   SessionSecurity::Sealed out = s->Seal(plaintext);   // send out.data and out.signature
//   Result<Bytes> in = s->Unseal(reply, reply_signature);
#ifndef NTLM_ENGINE_SESSION_H_
#define NTLM_ENGINE_SESSION_H_

#include <array>
#include <cstdint>

#include "engine/bytes.h"
#include "engine/compute.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/rc4.h"
#include "engine/error.h"

namespace ntlm {

inline constexpr size_t kMessageSignatureSize = 16;
using MessageSignature = std::array<uint8_t, kMessageSignatureSize>;
inline constexpr uint32_t kMessageSignatureVersion = 1;

class SessionSecurity {
 public:
  // Derives the keys of |side| from the negotiated flags and ExportedSessionKey.
  // kUnsupported for NTLMSSP_NEGOTIATE_DATAGRAM.
  [[nodiscard]] static Result<SessionSecurity> Create(uint32_t negotiate_flags,
                                                      const Key16& exported_session_key, Side side);

  // SIGN (3.4.2): the signature of |message| with the next outgoing sequence number.
  [[nodiscard]] MessageSignature Sign(ByteView message);

  // Checks |signature| of a received |message| against the next incoming sequence number, in
  // constant time. kBadLength for a signature that is not 16 bytes; kAuthenticationFailed when
  // it does not verify (wrong key, altered message, replayed or out-of-order SeqNum).
  // Without extended session security RandomPad is not checked (it is random by definition).
  [[nodiscard]] Status Verify(ByteView message, ByteView signature);

  struct Sealed {
    Bytes data;                  // RC4(Handle, Message), same size as the plaintext
    MessageSignature signature;  // MAC over the plaintext
  };
  // SEAL (3.4.3).
  [[nodiscard]] Sealed Seal(ByteView plaintext);

  // Decrypts |sealed| and verifies |signature| over the plaintext. Errors as Verify; on error
  // nothing is returned and the object is unchanged.
  [[nodiscard]] Result<Bytes> Unseal(ByteView sealed, ByteView signature);

  uint32_t negotiate_flags() const { return flags_; }
  bool extended_session_security() const { return ess_; }
  // Sequence numbers the next outgoing / expected incoming message will carry.
  uint32_t send_sequence() const { return out().seq; }
  uint32_t receive_sequence() const { return in().seq; }

 private:
  struct Direction {
    explicit Direction(ByteView seal_key) : rc4(seal_key), sign_mac(Key16{}) {}
    crypto::Rc4 rc4;
    // SigningKey's HMAC-MD5 states, computed once per session rather than per message (with
    // extended session security only; 3.4.4.2).
    crypto::HmacMd5Key sign_mac;
    uint32_t seq = 0;
  };

  SessionSecurity(uint32_t flags, const Direction& out, const Direction& in, bool shared);

  Direction& out() { return out_; }
  const Direction& out() const { return out_; }
  Direction& in() { return shared_ ? out_ : in_; }
  const Direction& in() const { return shared_ ? out_ : in_; }

  // MAC (3.4.4.1 / 3.4.4.2) with |d|'s handle, key and sequence number; advances |d|.
  MessageSignature Mac(Direction* d, ByteView message) const;

  uint32_t flags_ = 0;
  bool ess_ = false;
  bool key_exch_ = false;
  bool shared_ = false;  // no extended session security: one handle and SeqNum for both ways
  Direction out_;
  Direction in_;
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_SESSION_H_
