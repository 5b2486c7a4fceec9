// ntlm-harness: the JSON test-vector runner (see runner.h and vectors/README.md).
#include "vectors/runner.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "cli/terminal_text.h"
#include "engine/bytes.h"
#include "engine/compute.h"
#include "engine/crypto/crc32.h"
#include "engine/crypto/hmac_md5.h"
#include "engine/crypto/md4.h"
#include "engine/crypto/md5.h"
#include "engine/error.h"
#include "engine/flags.h"
#include "engine/messages.h"
#include "engine/session.h"
#include "files/read_file.h"

namespace ntlm::vectors {
namespace {

using json = nlohmann::json;

// --- schema ----------------------------------------------------------------------------------

enum class InputType : uint8_t { kString, kHex, kUint64, kFlags, kResponse };

struct InputSpec {
  const char* name;
  InputType type;
  size_t size;  // exact byte length for kHex; 0 = any
};

// Inputs of NTLM vectors (no "primitive").
constexpr InputSpec kNtlmInputs[] = {
    {"user", InputType::kString, 0},          {"domain", InputType::kString, 0},
    {"password", InputType::kString, 0},      {"nt_hash", InputType::kHex, 16},
    {"lm_hash", InputType::kHex, 16},         {"workstation", InputType::kString, 0},
    {"server_challenge", InputType::kHex, 8}, {"client_challenge", InputType::kHex, 8},
    {"timestamp", InputType::kUint64, 0},     {"negotiate_flags", InputType::kFlags, 0},
    {"target_info", InputType::kHex, 0},      {"random_session_key", InputType::kHex, 16},
    {"response", InputType::kResponse, 0},    {"plaintext", InputType::kHex, 0},
    {"application_data", InputType::kHex, 0},
};

// Inputs of primitive vectors.
constexpr InputSpec kPrimitiveInputs[] = {
    {"data", InputType::kHex, 0},
    {"data_text", InputType::kString, 0},
    {"key", InputType::kHex, 0},
    {"key_text", InputType::kString, 0},
};

constexpr const char* kTopLevelKeys[] = {"name",   "source", "primitive",
                                         "inputs", "expect", "comment"};

constexpr const char* kPrimitives[] = {"md4", "md5", "hmac_md5", "crc32"};

// Expected values that are checked by decoding and re-encoding a message.
constexpr const char* kMessageKeys[] = {"challenge_message", "authenticate_message"};

struct Inputs {
  std::map<std::string, std::string> strings;
  std::map<std::string, Bytes> hex;
  std::optional<uint64_t> timestamp;
  std::optional<uint32_t> flags;
  std::optional<ResponseKind> response;
};

struct Vector {
  std::string name;
  std::string source;
  std::string primitive;  // empty for NTLM vectors
  Inputs in;
  std::vector<std::pair<std::string, std::string>> expect;  // key, lowercase hex, file order
};

// An invalid-file finding before it is given its file name.
struct Problem {
  std::string vector;
  std::string key;
  std::string message;
};

// --- small helpers ---------------------------------------------------------------------------

template <size_t N>
std::array<uint8_t, N> ToArray(const Bytes& b) {
  std::array<uint8_t, N> a{};
  std::memcpy(a.data(), b.data(), N);
  return a;
}

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& a) {
  return ToHex(ByteView(a.data(), a.size()));
}

Error Need(const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument, "", "", 0, "needs input " + what);
}

Error Cannot(const Error& e) {
  return MakeError(e.code, "", "", 0, "cannot be computed: " + e.ToString());
}

Error NotFor(const std::string& key, const std::string& kind) {
  return MakeError(ErrorCode::kInvalidArgument, "", "", 0,
                   key + " is not defined for response '" + kind + "'");
}

#define NTLMV_TRY(var, expr)     \
  auto var##_result = (expr);    \
  if (!var##_result.ok()) {      \
    return var##_result.error(); \
  }                              \
  auto& var = var##_result.value();

bool ParseFlags(const std::string& s, uint32_t* out) {
  std::string_view v = s;
  if (v.size() >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
  }
  if (v.empty() || v.size() > 8) {
    return false;
  }
  uint32_t value = 0;
  for (char c : v) {
    uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    value = (value << 4) | d;
  }
  *out = value;
  return true;
}

template <typename Range>
bool Contains(const Range& r, std::string_view s) {
  return std::any_of(std::begin(r), std::end(r), [&](const char* x) { return s == x; });
}

// "a number", "an array": for messages that say what was given instead of what is needed.
std::string TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

// A key taken from the file, cut short for messages: an unknown key may be megabytes long.
// The cut never splits a UTF-8 sequence.
constexpr size_t kMaxEchoedKeyBytes = 64;

std::string EchoKey(std::string_view key) {
  if (key.size() <= kMaxEchoedKeyBytes) {
    return std::string(key);
  }
  size_t end = kMaxEchoedKeyBytes;
  while (end > 0 && (static_cast<uint8_t>(key[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(key.substr(0, end)) + "...";
}

// The message for a hex byte string given as something else, or with bad digits.
std::string BadHex(const json& value) {
  if (!value.is_string()) {
    return "must be a string of hex digit pairs, not " + TypeName(value);
  }
  return "bad hex (a string of hex digit pairs is needed)";
}

// --- evaluation of NTLM vectors --------------------------------------------------------------

class NtlmEval {
 public:
  explicit NtlmEval(const Vector& v) : v_(v) {}

  // The lowercase hex the engine computes for |key|, or an Error whose reason says why not.
  Result<std::string> Compute(const std::string& key);

  static bool IsKnownKey(std::string_view key);

 private:
  Result<std::string> Str(const char* name) const {
    auto it = v_.in.strings.find(name);
    if (it == v_.in.strings.end()) {
      return Need(std::string("'") + name + "'");
    }
    return it->second;
  }
  const Bytes* HexIn(const char* name) const {
    auto it = v_.in.hex.find(name);
    return it == v_.in.hex.end() ? nullptr : &it->second;
  }
  Result<Bytes> HexReq(const char* name) const {
    const Bytes* b = HexIn(name);
    if (b == nullptr) {
      return Need(std::string("'") + name + "'");
    }
    return *b;
  }
  Result<Challenge8> ServerChallenge() const {
    NTLMV_TRY(b, HexReq("server_challenge"));
    return ToArray<8>(b);
  }
  Result<Challenge8> ClientChallenge() const {
    NTLMV_TRY(b, HexReq("client_challenge"));
    return ToArray<8>(b);
  }
  Result<uint32_t> Flags() const {
    if (!v_.in.flags.has_value()) {
      return Need("'negotiate_flags'");
    }
    return *v_.in.flags;
  }
  Result<ResponseKind> Kind() const {
    if (!v_.in.response.has_value()) {
      return Need("'response'");
    }
    return *v_.in.response;
  }

  Result<Key16> NtHash() const;
  Result<Key16> LmHash() const;
  Result<Key16> NtOwfV2Key() const;
  Result<NtlmV2Temp> Temp() const;
  Result<Bytes> LmResponse() const;
  Result<Bytes> NtResponse() const;
  Result<Key16> ProofStr() const;
  Result<Key16> SessionBaseKey() const;
  Result<Key16> KxKey() const;
  Result<Key16> Exported() const;
  Result<std::string> EncryptedKey() const;
  Result<SessionSecurity> ClientSession() const;

  const Vector& v_;
};

Result<Key16> NtlmEval::NtHash() const {
  if (const Bytes* h = HexIn("nt_hash")) {
    return ToArray<16>(*h);
  }
  auto pw = v_.in.strings.find("password");
  if (pw == v_.in.strings.end()) {
    return Need("'password' or 'nt_hash'");
  }
  Result<Key16> k = NtOwfV1(pw->second);
  if (!k.ok()) {
    return Cannot(k.error());
  }
  return *k;
}

Result<Key16> NtlmEval::LmHash() const {
  if (const Bytes* h = HexIn("lm_hash")) {
    return ToArray<16>(*h);
  }
  auto pw = v_.in.strings.find("password");
  if (pw == v_.in.strings.end()) {
    return Need("'password' or 'lm_hash'");
  }
  Result<Key16> k = LmOwfV1(pw->second);
  if (!k.ok()) {
    return Cannot(k.error());
  }
  return *k;
}

Result<Key16> NtlmEval::NtOwfV2Key() const {
  NTLMV_TRY(nt, NtHash());
  NTLMV_TRY(user, Str("user"));
  NTLMV_TRY(domain, Str("domain"));
  Result<Key16> k = NtOwfV2(nt, user, domain);
  if (!k.ok()) {
    return Cannot(k.error());
  }
  return *k;
}

Result<NtlmV2Temp> NtlmEval::Temp() const {
  NTLMV_TRY(cc, ClientChallenge());
  if (!v_.in.timestamp.has_value()) {
    return Need("'timestamp'");
  }
  const Bytes* ti = HexIn("target_info");
  if (ti == nullptr) {
    return Need("'target_info'");
  }
  return NtlmV2Temp{*v_.in.timestamp, cc, *ti};
}

Result<Bytes> NtlmEval::LmResponse() const {
  NTLMV_TRY(kind, Kind());
  switch (kind) {
    case ResponseKind::kLm:
    case ResponseKind::kNtlmV1: {
      NTLMV_TRY(lm, LmHash());
      NTLMV_TRY(sc, ServerChallenge());
      const Response24 r = LmV1Response(lm, sc);
      return Bytes(r.begin(), r.end());
    }
    case ResponseKind::kNtlmV1Ess: {
      // LmChallengeResponse = ClientChallenge || Z(16); it depends on no key.
      NTLMV_TRY(cc, ClientChallenge());
      const NtlmV1EssResponses r = NtlmV1EssResponse(Key16{}, Challenge8{}, cc);
      return Bytes(r.lm.begin(), r.lm.end());
    }
    case ResponseKind::kNtlmV2: {
      NTLMV_TRY(key, NtOwfV2Key());
      NTLMV_TRY(sc, ServerChallenge());
      NTLMV_TRY(cc, ClientChallenge());
      const Response24 r = LmV2Response(key, sc, cc);
      return Bytes(r.begin(), r.end());
    }
    case ResponseKind::kAnonymous:
      return Bytes(kAnonymousLmResponse.begin(), kAnonymousLmResponse.end());
  }
  return NotFor("lm_response", "?");
}

Result<Bytes> NtlmEval::NtResponse() const {
  NTLMV_TRY(kind, Kind());
  switch (kind) {
    case ResponseKind::kLm:
    case ResponseKind::kAnonymous:
      return Bytes();
    case ResponseKind::kNtlmV1: {
      NTLMV_TRY(nt, NtHash());
      NTLMV_TRY(sc, ServerChallenge());
      const Response24 r = NtlmV1Response(nt, sc);
      return Bytes(r.begin(), r.end());
    }
    case ResponseKind::kNtlmV1Ess: {
      NTLMV_TRY(nt, NtHash());
      NTLMV_TRY(sc, ServerChallenge());
      NTLMV_TRY(cc, ClientChallenge());
      const NtlmV1EssResponses r = NtlmV1EssResponse(nt, sc, cc);
      return Bytes(r.nt.begin(), r.nt.end());
    }
    case ResponseKind::kNtlmV2: {
      NTLMV_TRY(key, NtOwfV2Key());
      NTLMV_TRY(sc, ServerChallenge());
      NTLMV_TRY(temp, Temp());
      Result<Bytes> r = NtlmV2NtResponse(key, sc, temp);
      if (!r.ok()) {
        return Cannot(r.error());
      }
      return std::move(*r);
    }
  }
  return NotFor("nt_response", "?");
}

Result<Key16> NtlmEval::ProofStr() const {
  NTLMV_TRY(kind, Kind());
  if (kind != ResponseKind::kNtlmV2) {
    return NotFor("nt_proof_str", ResponseKindName(kind));
  }
  NTLMV_TRY(key, NtOwfV2Key());
  NTLMV_TRY(sc, ServerChallenge());
  NTLMV_TRY(temp, Temp());
  return NtProofStr(key, sc, temp);
}

Result<Key16> NtlmEval::SessionBaseKey() const {
  NTLMV_TRY(kind, Kind());
  switch (kind) {
    case ResponseKind::kLm:
    case ResponseKind::kNtlmV1:
    case ResponseKind::kNtlmV1Ess: {
      NTLMV_TRY(nt, NtHash());
      return NtlmV1SessionBaseKey(nt);
    }
    case ResponseKind::kNtlmV2: {
      NTLMV_TRY(key, NtOwfV2Key());
      NTLMV_TRY(proof, ProofStr());
      return NtlmV2SessionBaseKey(key, proof);
    }
    case ResponseKind::kAnonymous:
      return kAnonymousSessionBaseKey;
  }
  return NotFor("session_base_key", "?");
}

Result<Key16> NtlmEval::KxKey() const {
  NTLMV_TRY(kind, Kind());
  NTLMV_TRY(flags, Flags());
  if (kind == ResponseKind::kNtlmV2 || kind == ResponseKind::kAnonymous) {
    NTLMV_TRY(base, SessionBaseKey());
    return KxKeyNtlmV2(base);
  }

  // Gather exactly what the negotiated case uses (3.4.5.1), so a missing input is named.
  const bool ess = (flags & kNegotiateExtendedSessionSecurity) != 0;
  const bool lm_key = (flags & kNegotiateLmKey) != 0;
  const bool non_nt = (flags & kRequestNonNtSessionKey) != 0;
  Key16 base{};
  Bytes lm_response;
  Challenge8 sc{};
  std::optional<Key16> lm_owf;
  if (ess || (!lm_key && !non_nt)) {
    NTLMV_TRY(b, SessionBaseKey());
    base = b;
  }
  if (ess || lm_key) {
    NTLMV_TRY(r, LmResponse());
    lm_response = r;
  }
  if (ess) {
    NTLMV_TRY(c, ServerChallenge());
    sc = c;
  }
  if (!ess && (lm_key || non_nt)) {
    NTLMV_TRY(lm, LmHash());
    lm_owf = lm;
  }
  Result<Key16> k = KxKeyNtlmV1(flags, base, lm_response, sc, lm_owf);
  if (!k.ok()) {
    return Cannot(k.error());
  }
  return *k;
}

Result<Key16> NtlmEval::Exported() const {
  NTLMV_TRY(flags, Flags());
  NTLMV_TRY(kx, KxKey());
  if ((flags & kNegotiateKeyExch) == 0) {
    return kx;
  }
  NTLMV_TRY(random, HexReq("random_session_key"));
  // The server's path: decrypt what the client would send.
  const Key16 encrypted = EncryptRandomSessionKey(kx, ToArray<16>(random));
  Result<Key16> k = ExportedSessionKeyFromWire(flags, kx, encrypted);
  if (!k.ok()) {
    return Cannot(k.error());
  }
  return *k;
}

Result<std::string> NtlmEval::EncryptedKey() const {
  NTLMV_TRY(flags, Flags());
  if ((flags & kNegotiateKeyExch) == 0) {
    return std::string();  // no key exchange: the field is empty
  }
  NTLMV_TRY(kx, KxKey());
  NTLMV_TRY(random, HexReq("random_session_key"));
  return Hex(EncryptRandomSessionKey(kx, ToArray<16>(random)));
}

Result<SessionSecurity> NtlmEval::ClientSession() const {
  NTLMV_TRY(flags, Flags());
  NTLMV_TRY(exported, Exported());
  Result<SessionSecurity> s = SessionSecurity::Create(flags, exported, Side::kClient);
  if (!s.ok()) {
    return Cannot(s.error());
  }
  return std::move(*s);
}

bool NtlmEval::IsKnownKey(std::string_view key) {
  static const char* const kKeys[] = {"nt_hash",
                                      "lm_hash",
                                      "ntowfv2",
                                      "lmowfv2",
                                      "lm_response",
                                      "nt_response",
                                      "nt_proof_str",
                                      "session_base_key",
                                      "key_exchange_key",
                                      "encrypted_random_session_key",
                                      "exported_session_key",
                                      "client_sign_key",
                                      "client_seal_key",
                                      "server_sign_key",
                                      "server_seal_key",
                                      "sealed_data",
                                      "signature",
                                      "sign_signature",
                                      "channel_bindings_hash"};
  return Contains(kKeys, key) || Contains(kMessageKeys, key);
}

Result<std::string> NtlmEval::Compute(const std::string& key) {
  if (key == "nt_hash") {
    NTLMV_TRY(k, NtHash());
    return Hex(k);
  }
  if (key == "lm_hash") {
    NTLMV_TRY(k, LmHash());
    return Hex(k);
  }
  if (key == "ntowfv2" || key == "lmowfv2") {
    NTLMV_TRY(k, NtOwfV2Key());
    return Hex(k);
  }
  if (key == "lm_response") {
    NTLMV_TRY(r, LmResponse());
    return ToHex(r);
  }
  if (key == "nt_response") {
    NTLMV_TRY(r, NtResponse());
    return ToHex(r);
  }
  if (key == "nt_proof_str") {
    NTLMV_TRY(k, ProofStr());
    return Hex(k);
  }
  if (key == "session_base_key") {
    NTLMV_TRY(k, SessionBaseKey());
    return Hex(k);
  }
  if (key == "key_exchange_key") {
    NTLMV_TRY(k, KxKey());
    return Hex(k);
  }
  if (key == "encrypted_random_session_key") {
    return EncryptedKey();
  }
  if (key == "exported_session_key") {
    NTLMV_TRY(k, Exported());
    return Hex(k);
  }
  if (key == "client_sign_key" || key == "server_sign_key") {
    NTLMV_TRY(flags, Flags());
    NTLMV_TRY(exported, Exported());
    const Side side = key == "client_sign_key" ? Side::kClient : Side::kServer;
    const std::optional<Key16> k = SignKey(flags, exported, side);
    return k.has_value() ? Hex(*k) : std::string();
  }
  if (key == "client_seal_key" || key == "server_seal_key") {
    NTLMV_TRY(flags, Flags());
    NTLMV_TRY(exported, Exported());
    const Side side = key == "client_seal_key" ? Side::kClient : Side::kServer;
    return ToHex(ComputeSealKey(flags, exported, side).view());
  }
  if (key == "sealed_data" || key == "signature") {
    NTLMV_TRY(plaintext, HexReq("plaintext"));
    NTLMV_TRY(session, ClientSession());
    const SessionSecurity::Sealed sealed = session.Seal(plaintext);
    return key == "sealed_data" ? ToHex(sealed.data) : Hex(sealed.signature);
  }
  if (key == "sign_signature") {
    NTLMV_TRY(plaintext, HexReq("plaintext"));
    NTLMV_TRY(session, ClientSession());
    return Hex(session.Sign(plaintext));
  }
  if (key == "channel_bindings_hash") {
    NTLMV_TRY(data, HexReq("application_data"));
    Result<Key16> k = ChannelBindingsHash(data);
    if (!k.ok()) {
      return Cannot(k.error());
    }
    return Hex(*k);
  }
  return MakeError(ErrorCode::kInvalidArgument, "", "", 0, "unknown key");
}

// --- messages --------------------------------------------------------------------------------

// Decodes |hex| as the message named by |key|, re-encodes it, and cross-checks its fields with
// the vector's inputs and other expected values, filling |*out|. An expected value that does not
// decode as that message is not something to compare against: it makes the file invalid, and
// the Problem says why.
std::optional<Problem> CheckMessage(const Vector& v, const std::string& key, const std::string& hex,
                                    CheckResult* out) {
  CheckResult& c = *out;
  c.key = key;
  c.expected = hex;
  Bytes wire;
  if (!FromHex(hex, &wire)) {
    return Problem{v.name, "expect." + key, "bad hex"};  // unreachable: validated before
  }
  auto undecodable = [&](const char* what, const Error& e) {
    return Problem{v.name, "expect." + key,
                   std::string("not a valid ") + what + ": " + e.ToString()};
  };

  std::vector<std::string> mismatches;
  auto expect_field = [&](const std::string& name, const std::string& want,
                          const std::string& have) {
    if (want != have) {
      mismatches.push_back(name + " is " + (have.empty() ? "empty" : have) + ", expected " +
                           (want.empty() ? "empty" : want));
    }
  };
  auto expected_value = [&](const char* k) -> const std::string* {
    for (const auto& [ek, ev] : v.expect) {
      if (ek == k) {
        return &ev;
      }
    }
    return nullptr;
  };
  auto input_string = [&](const char* k) -> const std::string* {
    auto it = v.in.strings.find(k);
    return it == v.in.strings.end() ? nullptr : &it->second;
  };

  Result<Bytes> reencoded = Bytes();
  if (key == "challenge_message") {
    Result<ChallengeMessage> m = DecodeChallenge(wire);
    if (!m.ok()) {
      return undecodable("CHALLENGE_MESSAGE", m.error());
    }
    if (auto it = v.in.hex.find("server_challenge"); it != v.in.hex.end()) {
      expect_field("ServerChallenge", ToHex(it->second), Hex(m->server_challenge));
    }
    if (auto it = v.in.hex.find("target_info"); it != v.in.hex.end()) {
      std::string have;
      if (m->target_info.has_value()) {
        Result<Bytes> ti = EncodeTargetInfo(*m->target_info);
        have = ti.ok() ? ToHex(*ti) : "(unencodable)";
      }
      expect_field("TargetInfo", ToHex(it->second), have);
    }
    if (v.in.flags.has_value() && *v.in.flags != m->flags) {
      mismatches.push_back("NegotiateFlags differ from negotiate_flags");
    }
    reencoded = EncodeChallenge(*m);
  } else {
    Result<AuthenticateMessage> m = DecodeAuthenticate(wire);
    if (!m.ok()) {
      return undecodable("AUTHENTICATE_MESSAGE", m.error());
    }
    if (const std::string* s = expected_value("lm_response")) {
      expect_field("LmChallengeResponse", *s, ToHex(m->lm_response));
    }
    if (const std::string* s = expected_value("nt_response")) {
      expect_field("NtChallengeResponse", *s, ToHex(m->nt_response));
    }
    if (const std::string* s = expected_value("encrypted_random_session_key")) {
      expect_field("EncryptedRandomSessionKey", *s, ToHex(m->encrypted_random_session_key));
    }
    if (const std::string* s = input_string("user")) {
      expect_field("UserName", *s, m->user);
    }
    if (const std::string* s = input_string("domain")) {
      expect_field("DomainName", *s, m->domain);
    }
    if (const std::string* s = input_string("workstation")) {
      expect_field("Workstation", *s, m->workstation);
    }
    reencoded = EncodeAuthenticate(*m);
  }

  if (!reencoded.ok()) {
    // It decoded but the engine cannot write it back: the engine's failure, so a FAIL.
    c.detail = "re-encode failed: " + reencoded.error().ToString();
    return std::nullopt;
  }
  c.got = ToHex(*reencoded);
  if (c.got != c.expected) {
    mismatches.insert(mismatches.begin(), "re-encoding differs");
  }
  for (size_t i = 0; i < mismatches.size(); ++i) {
    c.detail += (i == 0 ? "" : "; ") + mismatches[i];
  }
  c.passed = mismatches.empty();
  return std::nullopt;
}

// --- evaluation of primitive vectors ---------------------------------------------------------

Result<std::string> ComputePrimitive(const Vector& v, const std::string& key) {
  auto bytes_of = [&](const char* hex_name, const char* text_name) -> std::optional<Bytes> {
    if (auto it = v.in.hex.find(hex_name); it != v.in.hex.end()) {
      return it->second;
    }
    if (auto it = v.in.strings.find(text_name); it != v.in.strings.end()) {
      const ByteView b = AsBytes(it->second);
      return Bytes(b.begin(), b.end());
    }
    return std::nullopt;
  };
  const std::optional<Bytes> data = bytes_of("data", "data_text");
  if (!data.has_value()) {
    return Need("'data' or 'data_text'");
  }

  const std::string& p = v.primitive;
  if (p == "crc32") {
    if (key != "crc32") {
      return MakeError(ErrorCode::kInvalidArgument, "", "", 0,
                       "primitive 'crc32' checks only 'crc32'");
    }
    const uint32_t crc = crypto::Crc32(*data);
    const uint8_t be[4] = {static_cast<uint8_t>(crc >> 24), static_cast<uint8_t>(crc >> 16),
                           static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)};
    return ToHex(ByteView(be, 4));
  }
  if (key != "digest") {
    return MakeError(ErrorCode::kInvalidArgument, "", "", 0,
                     "primitive '" + p + "' checks only 'digest'");
  }
  if (p == "md4") {
    return Hex(crypto::Md4Hash(*data));
  }
  if (p == "md5") {
    return Hex(crypto::Md5Hash(*data));
  }
  // hmac_md5
  const std::optional<Bytes> hmac_key = bytes_of("key", "key_text");
  if (!hmac_key.has_value()) {
    return Need("'key' or 'key_text'");
  }
  return Hex(crypto::HmacMd5Digest(*hmac_key, *data));
}

// --- parsing ---------------------------------------------------------------------------------

std::optional<Problem> ParseInputs(const json& obj, const std::string& vname, bool primitive,
                                   Inputs* out) {
  if (!obj.is_object()) {
    return Problem{vname, "inputs", "must be an object, not " + TypeName(obj)};
  }
  const InputSpec* specs = primitive ? kPrimitiveInputs : kNtlmInputs;
  const size_t count = primitive ? std::size(kPrimitiveInputs) : std::size(kNtlmInputs);

  for (const auto& [name, value] : obj.items()) {
    const std::string key = "inputs." + EchoKey(name);
    const InputSpec* spec = nullptr;
    for (size_t i = 0; i < count; ++i) {
      if (name == specs[i].name) {
        spec = &specs[i];
      }
    }
    if (spec == nullptr) {
      return Problem{vname, key,
                     primitive ? "unknown input key for a primitive vector" : "unknown input key"};
    }

    switch (spec->type) {
      case InputType::kString:
        if (!value.is_string()) {
          return Problem{vname, key, "must be a string, not " + TypeName(value)};
        }
        out->strings[name] = value.get<std::string>();
        break;
      case InputType::kHex: {
        Bytes b;
        if (!value.is_string() || !FromHex(value.get<std::string>(), &b)) {
          return Problem{vname, key, BadHex(value)};
        }
        if (spec->size != 0 && b.size() != spec->size) {
          return Problem{
              vname, key,
              "must be " + std::to_string(spec->size) + " bytes, got " + std::to_string(b.size())};
        }
        out->hex[name] = std::move(b);
        break;
      }
      case InputType::kUint64:
        if (!value.is_number_unsigned()) {
          return Problem{vname, key,
                         value.is_number()
                             ? "must be a non-negative integer (FILETIME)"
                             : "must be a non-negative integer (FILETIME), not " + TypeName(value)};
        }
        out->timestamp = value.get<uint64_t>();
        break;
      case InputType::kFlags: {
        uint32_t flags = 0;
        if (!value.is_string()) {
          return Problem{
              vname, key,
              "must be a string of up to 8 hex digits (\"e28a8233\"), not " + TypeName(value)};
        }
        if (!ParseFlags(value.get<std::string>(), &flags)) {
          return Problem{vname, key, "bad hex: 1 to 8 hex digits, optionally after 0x"};
        }
        out->flags = flags;
        break;
      }
      case InputType::kResponse: {
        std::optional<ResponseKind> kind;
        if (value.is_string()) {
          kind = ParseResponseKind(value.get<std::string>());
        }
        if (!kind.has_value()) {
          return Problem{vname, key, "must be one of lm, ntlmv1, ntlmv1-ess, ntlmv2, anonymous"};
        }
        out->response = kind;
        break;
      }
    }
  }

  if (out->strings.count("password") != 0 && out->hex.count("nt_hash") != 0) {
    return Problem{vname, "inputs.nt_hash", "give 'password' or 'nt_hash', not both"};
  }
  if (primitive) {
    if (out->hex.count("data") != 0 && out->strings.count("data_text") != 0) {
      return Problem{vname, "inputs.data_text", "give 'data' or 'data_text', not both"};
    }
    if (out->hex.count("key") != 0 && out->strings.count("key_text") != 0) {
      return Problem{vname, "inputs.key_text", "give 'key' or 'key_text', not both"};
    }
  }
  return std::nullopt;
}

std::optional<Problem> ParseVector(const json& obj, size_t index, Vector* out) {
  const std::string where = "#" + std::to_string(index);
  if (!obj.is_object()) {
    return Problem{where, "", "a vector must be a JSON object"};
  }

  // The name first, so later problems can name the vector. It is echoed in every output
  // line, so only a safe name is taken, and a refused one is never repeated.
  auto name = obj.find("name");
  if (name == obj.end()) {
    return Problem{where, "name", "missing"};
  }
  if (!name->is_string()) {
    return Problem{where, "name", "must be a string, not " + TypeName(*name)};
  }
  if (!IsValidVectorName(name->get<std::string>())) {
    return Problem{where, "name",
                   "must be 1 to " + std::to_string(kMaxNameLength) +
                       " characters from A-Z a-z 0-9 . _ : + / - (no spaces or control "
                       "characters)"};
  }
  out->name = name->get<std::string>();
  const std::string& vname = out->name;

  for (const auto& [k, value] : obj.items()) {
    (void)value;
    if (!Contains(kTopLevelKeys, k)) {
      return Problem{vname, EchoKey(k), "unknown top-level key"};
    }
  }
  auto source = obj.find("source");
  if (source == obj.end()) {
    return Problem{vname, "source", "missing"};
  }
  if (!source->is_string()) {
    return Problem{vname, "source", "must be a string, not " + TypeName(*source)};
  }
  out->source = source->get<std::string>();
  if (auto comment = obj.find("comment"); comment != obj.end() && !comment->is_string()) {
    return Problem{vname, "comment", "must be a string, not " + TypeName(*comment)};
  }

  if (auto p = obj.find("primitive"); p != obj.end()) {
    if (!p->is_string() || !Contains(kPrimitives, p->get<std::string>())) {
      return Problem{vname, "primitive", "must be one of md4, md5, hmac_md5, crc32"};
    }
    out->primitive = p->get<std::string>();
  }
  const bool primitive = !out->primitive.empty();

  auto inputs = obj.find("inputs");
  if (inputs != obj.end()) {
    if (std::optional<Problem> p = ParseInputs(*inputs, vname, primitive, &out->in)) {
      return p;
    }
  }

  auto expect = obj.find("expect");
  if (expect == obj.end()) {
    return Problem{vname, "expect", "missing"};
  }
  if (!expect->is_object()) {
    return Problem{vname, "expect", "must be an object, not " + TypeName(*expect)};
  }
  if (expect->empty()) {
    return Problem{vname, "expect", "is empty: a vector must check something"};
  }
  for (const auto& [k, value] : expect->items()) {
    const std::string key = "expect." + EchoKey(k);
    const bool known = primitive ? (k == "digest" || k == "crc32") : NtlmEval::IsKnownKey(k);
    if (!known) {
      return Problem{vname, key, "unknown expect key"};
    }
    Bytes b;
    if (!value.is_string() || !FromHex(value.get<std::string>(), &b)) {
      return Problem{vname, key, BadHex(value)};
    }
    out->expect.emplace_back(k, ToHex(b));
  }
  return std::nullopt;
}

std::string KindOf(const Vector& v) {
  if (!v.primitive.empty()) {
    return v.primitive;
  }
  if (v.in.response.has_value()) {
    return ResponseKindName(*v.in.response);
  }
  return "-";
}

// Parses and evaluates every vector; any problem rejects the whole file.
Report RunParsed(const json& doc, const std::string& file) {
  Report report;
  report.files = 1;
  auto fail = [&](const Problem& p) {
    report.checks.clear();
    report.errors.push_back(FileError{file, p.vector, p.key, p.message});
    return report;
  };

  std::vector<const json*> items;
  if (doc.is_array()) {
    if (doc.empty()) {
      return fail(Problem{"", "", "the file holds no vectors (empty array)"});
    }
    for (const json& item : doc) {
      items.push_back(&item);
    }
  } else if (doc.is_object()) {
    items.push_back(&doc);
  } else {
    return fail(Problem{"", "", "the file must hold a vector object or an array of them"});
  }

  std::vector<Vector> vecs(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::optional<Problem> p = ParseVector(*items[i], i, &vecs[i])) {
      return fail(*p);
    }
  }

  for (const Vector& v : vecs) {
    NtlmEval eval(v);
    for (const auto& [key, expected] : v.expect) {
      CheckResult c;
      if (Contains(kMessageKeys, key)) {
        if (std::optional<Problem> p = CheckMessage(v, key, expected, &c)) {
          return fail(*p);
        }
      } else {
        Result<std::string> got =
            v.primitive.empty() ? eval.Compute(key) : ComputePrimitive(v, key);
        if (!got.ok()) {
          return fail(Problem{v.name, "expect." + key, got.error().reason});
        }
        c.key = key;
        c.expected = expected;
        c.got = std::move(*got);
        c.passed = c.got == c.expected;
      }
      c.file = file;
      c.vector = v.name;
      c.kind = KindOf(v);
      report.checks.push_back(std::move(c));
    }
  }
  return report;
}

// --- reading JSON ----------------------------------------------------------------------------

// Limits on a document's shape, far beyond what the schema needs (an array of objects holding
// objects of scalars), that keep memory in proportion to the file and stop hostile nesting.
constexpr size_t kMaxJsonDepth = 16;
constexpr size_t kMaxJsonValues = 1000000;

// A first pass over the document, through nlohmann::json's SAX interface, before the DOM is
// built: it finds the first key that an object repeats (JSON leaves duplicates undefined and
// the DOM parser keeps the last one silently), stops past kMaxJsonDepth or kMaxJsonValues, and
// keeps the position of a syntax error. (The DOM parser's own callback cannot do this: it
// rescans an array after each of its objects, which is quadratic in the array's length.)
class ShapeCheck : public json::json_sax_t {
 public:
  // What stopped the pass, if anything; otherwise a duplicate key, if any.
  struct Finding {
    enum class Kind : uint8_t { kSyntax, kLimit, kDuplicate } kind;
    size_t position = 0;  // kSyntax: nlohmann::json's 1-based byte index
    std::string message;  // kSyntax: the library's exception text; kLimit: ours
    size_t vector = 0;    // kDuplicate: the vector's index (0 when the file is one object)
    std::string key;      // kDuplicate: dotted path inside the vector, e.g. "inputs.password"
  };

  const std::optional<Finding>& finding() const { return finding_; }

  bool null() override { return Scalar(); }
  bool boolean(bool /*val*/) override { return Scalar(); }
  bool number_integer(number_integer_t /*val*/) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t /*val*/) override { return Scalar(); }
  bool number_float(number_float_t /*val*/, const string_t& /*s*/) override { return Scalar(); }
  bool string(string_t& /*val*/) override { return Scalar(); }
  bool binary(binary_t& /*val*/) override { return Scalar(); }
  bool start_object(std::size_t /*elements*/) override { return Open(true); }
  bool start_array(std::size_t /*elements*/) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& val) override {
    Frame& top = frames_.back();  // keys come only inside an object
    top.key = val;
    if (top.keys.insert(val).second || finding_.has_value()) {
      return true;
    }
    // frames_[0] is the document; the vector is it (an object) or one of its elements.
    Finding d{Finding::Kind::kDuplicate, 0, "", 0, ""};
    size_t first = 0;
    if (!frames_[0].object) {
      d.vector = frames_[0].elements == 0 ? 0 : frames_[0].elements - 1;
      first = 1;
    }
    for (size_t i = first; i < frames_.size(); ++i) {
      if (frames_[i].object) {
        d.key += (d.key.empty() ? "" : ".") + EchoKey(frames_[i].key);
      }
    }
    finding_ = std::move(d);
    return true;  // keep going: a syntax error later in the file still wins
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    finding_ = Finding{Finding::Kind::kSyntax, position, ex.what(), 0, ""};
    return false;
  }

 private:
  struct Frame {
    bool object;
    size_t elements;             // arrays: elements begun so far
    std::set<std::string> keys;  // objects: keys seen so far
    std::string key;             // objects: the key whose value is being read
  };

  bool Limit(std::string message) {
    finding_ = Finding{Finding::Kind::kLimit, 0, std::move(message), 0, ""};
    return false;
  }

  bool Scalar() {
    if (++values_ > kMaxJsonValues) {
      return Limit("holds more than " + std::to_string(kMaxJsonValues) + " JSON values");
    }
    if (!frames_.empty() && !frames_.back().object) {
      ++frames_.back().elements;
    }
    return true;
  }

  bool Open(bool object) {
    if (!Scalar()) {
      return false;
    }
    if (frames_.size() >= kMaxJsonDepth) {
      return Limit("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    frames_.push_back(Frame{object, 0, {}, {}});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
  size_t values_ = 0;
  std::optional<Finding> finding_;
};

// "line 3, column 7" of the 1-based byte index |byte| that nlohmann::json reports (the last
// character read; size + 1 at the end of the input).
std::string LineAndColumn(std::string_view text, size_t byte) {
  const size_t pos = std::min(byte == 0 ? 0 : byte - 1, text.size());
  const std::string_view before = text.substr(0, pos);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t last_newline = before.rfind('\n');
  const size_t column = last_newline == std::string_view::npos ? pos + 1 : pos - last_newline;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// The readable part of a nlohmann::json exception's text: without the library's
// "[json.exception.parse_error.101] parse error at line 1, column 10: " prefix (the caller
// states the place itself), without the "; last read: '...'" tail or the quoted number of
// "number overflow parsing '...'", which repeat the input and so could repeat a password, and
// cut to a line's length.
std::string JsonProblem(const char* what) {
  std::string_view s = what;
  if (s.rfind("[json.exception.", 0) == 0) {
    const size_t end = s.find("] ");
    s.remove_prefix(end == std::string_view::npos ? s.size() : end + 2);
  }
  if (s.rfind("parse error", 0) == 0) {
    const size_t colon = s.find(": ");
    if (colon != std::string_view::npos) {
      s.remove_prefix(colon + 2);
    }
  }
  if (const size_t quote = s.find("; last read:"); quote != std::string_view::npos) {
    s = s.substr(0, quote);
  }
  if (const size_t quote = s.find(" parsing '"); quote != std::string_view::npos) {
    s = s.substr(0, quote);  // "number overflow parsing '1e999'": keep no digits
  }
  constexpr size_t kMaxBytes = 160;
  std::string out(s.substr(0, kMaxBytes));
  if (s.size() > kMaxBytes) {
    out += "...";
  }
  return out.empty() ? "not valid JSON" : out;
}

// --- reading files ---------------------------------------------------------------------------

Report FileProblem(const std::string& path, std::string message) {
  Report r;
  r.files = 1;
  r.errors.push_back(FileError{path, "", "", std::move(message)});
  return r;
}

std::string TooLarge(uint64_t size) {
  return "larger than the " + std::to_string(kMaxFileBytes >> 20) + " MiB a vector file may hold" +
         (size > 0 ? " (" + std::to_string(size) + " bytes)" : std::string());
}

}  // namespace

size_t Report::passed() const {
  return static_cast<size_t>(
      std::count_if(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; }));
}

size_t Report::failed() const { return checks.size() - passed(); }

void Report::Append(Report other) {
  for (CheckResult& c : other.checks) {
    checks.push_back(std::move(c));
  }
  for (FileError& e : other.errors) {
    errors.push_back(std::move(e));
  }
  files += other.files;
}

Report RunText(std::string_view json_text, const std::string& file) {
  if (json_text.size() > kMaxFileBytes) {
    return FileProblem(file, TooLarge(json_text.size()));
  }

  ShapeCheck shape;
  try {
    (void)json::sax_parse(json_text.begin(), json_text.end(), &shape);
  } catch (const json::exception& e) {
    return FileProblem(file, "invalid JSON: " + JsonProblem(e.what()));  // not expected
  }
  if (const std::optional<ShapeCheck::Finding>& f = shape.finding(); f.has_value()) {
    switch (f->kind) {
      case ShapeCheck::Finding::Kind::kSyntax:
        return FileProblem(
            file, LineAndColumn(json_text, f->position) + ": " + JsonProblem(f->message.c_str()));
      case ShapeCheck::Finding::Kind::kLimit:
        return FileProblem(file, f->message);
      case ShapeCheck::Finding::Kind::kDuplicate:
        break;
    }
  }

  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    return FileProblem(file, "invalid JSON: " + JsonProblem(e.what()));  // not expected
  }

  if (const std::optional<ShapeCheck::Finding>& f = shape.finding(); f.has_value()) {
    // A duplicate key. Name the vector when its name may be shown and is not what repeats.
    std::string vector = "#" + std::to_string(f->vector);
    const json* v = doc.is_array() ? (f->vector < doc.size() ? &doc[f->vector] : nullptr) : &doc;
    if (v != nullptr && v->is_object() && f->key != "name") {
      if (auto name = v->find("name");
          name != v->end() && name->is_string() && IsValidVectorName(name->get<std::string>())) {
        vector = name->get<std::string>();
      }
    }
    Report r;
    r.files = 1;
    r.errors.push_back(
        FileError{file, vector, f->key, "duplicate key (a JSON object must not repeat a key)"});
    return r;
  }

  try {
    return RunParsed(doc, file);
  } catch (const json::exception& e) {
    return FileProblem(file, "invalid vector: " + JsonProblem(e.what()));  // not expected
  }
}

Report RunFile(const std::string& path) {
  std::string text;
  ntlmh::files::ReadProblem problem;
  if (!ntlmh::files::ReadRegularFile(path, kMaxFileBytes, &text, &problem)) {
    switch (problem.kind) {
      case ntlmh::files::ReadProblem::Kind::kTooLarge:
        return FileProblem(path, TooLarge(problem.size));
      case ntlmh::files::ReadProblem::Kind::kNotRegular:
        return FileProblem(path, problem.reason + "; not read");
      default:
        return FileProblem(path, problem.reason);
    }
  }
  return RunText(text, path);
}

Report RunPaths(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  Report all;
  for (const std::string& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      all.Append(FileProblem(path, ntlmh::files::DescribeStatError(path, errno)));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      all.Append(RunFile(path));
      continue;
    }

    // Every *.json entry is a vector file, whatever it turns out to be: one that is not a
    // regular file (or a symlink to one) is reported by RunFile, not skipped.
    std::vector<std::string> files;
    std::error_code ec;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".json") {
        files.push_back(it->path().string());
      }
    }
    if (ec) {
      all.errors.push_back(FileError{path, "", "", "cannot list directory: " + ec.message()});
      continue;
    }
    if (files.empty()) {
      all.errors.push_back(FileError{path, "", "", "directory holds no *.json vector files"});
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      all.Append(RunFile(f));
    }
  }
  return all;
}

bool IsValidVectorName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '+' || c == '/' || c == '-';
  });
}

std::string FormatCheck(const CheckResult& c) {
  using ntlmh::EscapeForTerminal;
  std::string line = (c.passed ? "PASS " : "FAIL ") + EscapeForTerminal(c.file) + ": " +
                     EscapeForTerminal(c.vector) + " " + EscapeForTerminal(c.kind) + " " +
                     EscapeForTerminal(c.key);
  if (!c.passed) {
    line += " expected " + (c.expected.empty() ? std::string("(empty)") : c.expected) + " got " +
            (c.got.empty() ? std::string("(empty)") : c.got);
    if (!c.detail.empty()) {
      line += " (" + EscapeForTerminal(c.detail) + ")";
    }
  }
  return line;
}

std::string FormatError(const FileError& e) {
  using ntlmh::EscapeForTerminal;
  std::string s = EscapeForTerminal(e.file) + ":";
  if (!e.vector.empty()) {
    s += " vector '" + EscapeForTerminal(e.vector) + "':";
  }
  if (!e.key.empty()) {
    s += " " + EscapeForTerminal(e.key) + ":";
  }
  return s + " " + EscapeForTerminal(e.message);
}

std::string FormatSummary(const Report& r) {
  return std::to_string(r.passed()) + " passed, " + std::to_string(r.failed()) + " failed";
}

std::string ToJson(const Report& r) {
  json doc;
  doc["passed"] = r.passed();
  doc["failed"] = r.failed();
  doc["results"] = json::array();
  for (const CheckResult& c : r.checks) {
    json j;
    j["file"] = c.file;
    j["vector"] = c.vector;
    j["kind"] = c.kind;
    j["key"] = c.key;
    j["status"] = c.passed ? "pass" : "fail";
    j["expected"] = c.expected;
    j["got"] = c.got;
    if (!c.detail.empty()) {
      j["detail"] = c.detail;
    }
    doc["results"].push_back(std::move(j));
  }
  doc["errors"] = json::array();
  for (const FileError& e : r.errors) {
    doc["errors"].push_back(
        json{{"file", e.file}, {"vector", e.vector}, {"key", e.key}, {"message", e.message}});
  }
  // ASCII only (\uXXXX for the rest), so that no string can act on a terminal that shows the
  // document; invalid UTF-8 (from file names) becomes U+FFFD rather than throw.
  return doc.dump(2, ' ', true, json::error_handler_t::replace);
}

}  // namespace ntlm::vectors
