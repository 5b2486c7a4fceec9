// The session-security check the client and server targets share: two ends built from the same
// negotiated flags and ExportedSessionKey must understand each other ([MS-NLMP] 3.4).
#ifndef NTLM_FUZZ_SESSION_CHECK_H_
#define NTLM_FUZZ_SESSION_CHECK_H_

#include <string>

#include "engine/session.h"
#include "fuzz/fuzz_util.h"

namespace ntlm::fuzz {

// Seals and signs |message| from |client| to |server| and back, and checks that each side
// unseals and verifies what the other sent; that a signature over a changed message fails;
// and that the failure leaves the receiver as it was (the unchanged message verifies after).
inline void CheckSessionPair(SessionSecurity* client, SessionSecurity* server, ByteView message) {
  const std::string where = "session (flags " + std::to_string(client->negotiate_flags()) + "): ";

  SessionSecurity::Sealed sealed = client->Seal(message);
  auto opened = server->Unseal(sealed.data, sealed.signature);
  FUZZ_CHECK(opened.ok() && SameBytes(*opened, message),
             where + "server could not unseal the client's message: " + Describe(opened));

  sealed = server->Seal(message);
  opened = client->Unseal(sealed.data, sealed.signature);
  FUZZ_CHECK(opened.ok() && SameBytes(*opened, message),
             where + "client could not unseal the server's message: " + Describe(opened));

  const MessageSignature sig = client->Sign(message);
  if (!message.empty()) {
    Bytes changed(message.begin(), message.end());
    changed[0] ^= 0x01;
    const Status bad = server->Verify(changed, sig);
    FUZZ_CHECK(!bad.ok(), where + "a signature verified over a changed message");
  }
  const Status good = server->Verify(message, sig);
  FUZZ_CHECK(good.ok(), where + "the client's signature did not verify" +
                            (message.empty() ? "" : " after a failed Verify") + ": " +
                            (good.ok() ? "" : good.error().ToString()));
}

}  // namespace ntlm::fuzz

#endif  // NTLM_FUZZ_SESSION_CHECK_H_
