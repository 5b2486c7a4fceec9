#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, dictionaries and options files (issue #7).

    fuzz/make_corpus.py            # rewrite fuzz/corpus/, fuzz/dict/, fuzz/options/ and the
                                   # named inputs of fuzz/regressions/
    fuzz/make_corpus.py --check    # exit 1 if any of those files would change

Sources of the seeds:
  - the message hex of vectors/*.json ([MS-NLMP] 4.2.2, 4.2.3, 4.2.4; RFC inputs for crypto);
  - messages that the unit and integration tests use (named below with the test they come from);
  - messages built here, field by field, for what neither has: a Windows-like CHALLENGE with
    every AV pair id, an AUTHENTICATE with VERSION and MIC, anonymous, OEM, SPNEGO tokens.
The classic inputs of issue #7 go to fuzz/regressions/ (replayed by ctest like the corpus):
a CHALLENGE whose target info has length 0x20 at offset 0xFFFFFFF0, a 40-byte CHALLENGE with
NEGOTIATE_TARGET_INFO, an AUTHENTICATE with KEY_EXCH and a 64-byte EncryptedRandomSessionKey.

Each corpus directory is owned by this script (files it does not write are removed);
fuzz/regressions/ is not: the script writes only its own named files there and never deletes,
because saved crashes live there too. Python 3 standard library only; no network.
"""

import argparse
import base64
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, "fuzz")

# max_len of each target: a little above the largest real message of its kind, so the fuzzer
# spends its time on plausible sizes (a Windows AUTHENTICATE is under 1 KB; the client refuses a
# target info over 8 KB, engine/client.h kMaxClientTargetInfo, which 12 KB still covers).
MAX_LEN = {
    "negotiate": 1024,
    "challenge": 4096,
    "authenticate": 4096,
    "av_pairs": 2048,
    "ntlmv2_blob": 2048,
    "version": 96,
    "http_auth_header": 8192,
    "spnego": 4096,
    "client": 12288,
    "server": 4096,
    "crypto_diff": 2048,
    "mock_request": 16384,
}

# ---- vectors --------------------------------------------------------------------------------


def load_vectors():
    out = {}
    for name in sorted(os.listdir(os.path.join(ROOT, "vectors"))):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(ROOT, "vectors", name)) as f:
            data = json.load(f)
        for v in data if isinstance(data, list) else [data]:
            out[v["name"]] = v
    return out


VECTORS = load_vectors()


def vector_messages(key):
    """(vector name, bytes) of every expect[key] in the MS-NLMP vector files."""
    return [(n, bytes.fromhex(v["expect"][key])) for n, v in sorted(VECTORS.items())
            if key in v.get("expect", {})]


# ---- NTLM message builders ([MS-NLMP] 2.2.1) -------------------------------------------------

SIG = b"NTLMSSP\x00"
UNICODE, OEM, REQUEST_TARGET = 0x1, 0x2, 0x4
SIGN, SEAL, LM_KEY, NTLM = 0x10, 0x20, 0x80, 0x200
ANONYMOUS, OEM_DOMAIN, OEM_WORKSTATION, ALWAYS_SIGN = 0x800, 0x1000, 0x2000, 0x8000
TYPE_DOMAIN, TYPE_SERVER, ESS, IDENTIFY = 0x10000, 0x20000, 0x80000, 0x100000
NON_NT_KEY, TARGET_INFO, VERSION = 0x400000, 0x800000, 0x2000000
N128, KEY_EXCH, N56 = 0x20000000, 0x40000000, 0x80000000
DEFAULT_CLIENT = (UNICODE | OEM | REQUEST_TARGET | NTLM | ALWAYS_SIGN | ESS | VERSION | N128 |
                  KEY_EXCH | N56)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def utf16(s):
    return s.encode("utf-16-le")


def version(major, minor, build, rev=15):
    return bytes([major, minor]) + u16(build) + b"\x00\x00\x00" + bytes([rev])


def layout(header, payloads):
    """Header bytes with zeroed field slots, and [(field_pos, data)]: the canonical layout."""
    msg = bytearray(header)
    for pos, data in payloads:
        struct.pack_into("<HHI", msg, pos, len(data), len(data), len(msg))
        msg += data
    return bytes(msg)


def negotiate(flags, domain=b"", workstation=b"", ver=None):
    header = SIG + u32(1) + u32(flags) + bytes(16) + (ver or b"")
    return layout(header, [(16, domain), (24, workstation)])


def challenge(flags, name=b"", chal=bytes.fromhex("0123456789abcdef"), target_info=None,
              ver=None):
    header = SIG + u32(2) + bytes(8) + u32(flags) + chal + bytes(8) + bytes(8) + (ver or b"")
    return layout(header, [(12, name), (40, target_info or b"")])


def authenticate(flags, lm=b"", nt=b"", domain=b"", user=b"", workstation=b"", key=b"",
                 ver=None, mic=None):
    header = SIG + u32(3) + bytes(48) + u32(flags)
    if ver is not None or mic is not None:
        header += ver or bytes(8)
    if mic is not None:
        header += mic
    return layout(header, [(28, domain), (36, user), (44, workstation), (12, lm), (20, nt),
                           (52, key)])


def av(av_id, value=b""):
    return u16(av_id) + u16(len(value)) + value


EOL = av(0)


def filetime(unix_seconds):
    return u64(116444736000000000 + unix_seconds * 10000000)


def u64(v):
    return struct.pack("<Q", v)


# A Windows Server 2022-like target info, then one with every AV id the spec defines.
WINDOWS_TI = (av(2, utf16("DOMAIN")) + av(1, utf16("SERVER")) + av(4, utf16("domain.test")) +
              av(3, utf16("server.domain.test")) + av(5, utf16("domain.test")) +
              av(7, filetime(1700000000)) + EOL)
SINGLE_HOST = u32(48) + bytes(4) + bytes(range(8)) + bytes(range(32))
EVERY_AV_TI = (av(1, utf16("SERVER")) + av(2, utf16("DOMAIN")) + av(3, utf16("server.test")) +
               av(4, utf16("test")) + av(5, utf16("forest.test")) + av(6, u32(2)) +
               av(7, filetime(1700000000)) + av(8, SINGLE_HOST) +
               av(9, utf16("HTTP/server.test")) + av(10, bytes(range(16))) + EOL)
SPEC_TI = av(2, utf16("Domain")) + av(1, utf16("Server")) + EOL  # [MS-NLMP] 4.2.4.1.3


def blob(timestamp=b"\x00" * 8, cc=b"\xaa" * 8, pairs=SPEC_TI, trailer=bytes(4)):
    """NTLMv2_CLIENT_CHALLENGE, 2.2.2.7."""
    return b"\x01\x01" + bytes(6) + timestamp + cc + bytes(4) + pairs + trailer


# ---- the tests' messages ---------------------------------------------------------------------

# engine/messages_test.cc kCurlNegotiate, kWindowsNegotiate, OemDomainAndWorkstationLayout.
CURL_NEGOTIATE = bytes.fromhex("4e544c4d535350000100000006820800" + "00" * 16)
WINDOWS_NEGOTIATE = bytes.fromhex("4e544c4d53535000010000000782 08a2".replace(" ", "") +
                                  "00" * 16 + "0a00ba470000000f")
OEM_NEGOTIATE = bytes.fromhex(
    "4e544c4d535350000100000003320002060006002800000008000800"
    "2e0000000601b11d0000000f444f4d41494e434f4d5055544552")
# engine/messages_test.cc Legacy32ByteFormDecodes, LegacyFormWithTargetNameAt32.
LEGACY_CHALLENGE = bytes.fromhex(
    "4e544c4d53535000020000000000000020000000018200000123456789abcdef")
LEGACY_CHALLENGE_NAME = bytes.fromhex(
    "4e544c4d5353500002000000040004002000000002820000" "0123456789abcdef41424344")
# tests/cli_decode_test.cc TruncatedTargetInfoNamesTheField: 4.2.4's CHALLENGE minus a byte.
SPEC_CHALLENGE_V2 = dict(vector_messages("challenge_message"))["ms-nlmp-4.2.4"]
TRUNCATED_CHALLENGE = SPEC_CHALLENGE_V2[:-1]
# vectors/runner_test.cc TamperedMessageFailsWithDetail: 4.2.3's AUTHENTICATE, last byte changed.
SPEC_AUTH_ESS = dict(vector_messages("authenticate_message"))["ms-nlmp-4.2.3"]
TAMPERED_AUTH = SPEC_AUTH_ESS[:-1] + b"\x33"
# engine/compute_test.cc: the bare 12-byte message prefixes its MIC test feeds ComputeMic.
BARE_NEGOTIATE = bytes.fromhex("4e544c4d5353500001000000")
BARE_CHALLENGE = bytes.fromhex("4e544c4d5353500002000000")

# ---- seeds per target ------------------------------------------------------------------------


def negotiate_seeds():
    seeds = {
        "curl-32-byte": CURL_NEGOTIATE,
        "windows-version": WINDOWS_NEGOTIATE,
        "oem-domain-workstation": OEM_NEGOTIATE,
        "default-client": negotiate(DEFAULT_CLIENT, ver=version(10, 0, 20348)),
        "anonymous": negotiate(DEFAULT_CLIENT | ANONYMOUS, ver=version(10, 0, 20348)),
        "oem-only": negotiate(OEM | NTLM | OEM_DOMAIN, domain=b"WORKGROUP"),
        "sign-seal-lm-key": negotiate(UNICODE | SIGN | SEAL | LM_KEY | NTLM | N56),
        "bare-12-bytes": BARE_NEGOTIATE,
    }
    return seeds


def challenge_seeds():
    seeds = {f"{n}-challenge": m for n, m in vector_messages("challenge_message")}
    flags = UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | TYPE_DOMAIN | ESS | TARGET_INFO
    seeds.update({
        "legacy-32-byte": LEGACY_CHALLENGE,
        "legacy-name-at-32": LEGACY_CHALLENGE_NAME,
        "truncated-target-info": TRUNCATED_CHALLENGE,
        "windows-2022": challenge(flags | VERSION | N128 | KEY_EXCH | N56, utf16("DOMAIN"),
                                  target_info=WINDOWS_TI, ver=version(10, 0, 20348)),
        "every-av-id": challenge(flags, utf16("DOMAIN"), target_info=EVERY_AV_TI),
        "oem-no-target-info": challenge(OEM | NTLM | TYPE_SERVER, b"SERVER"),
        "empty-target-info-flag": challenge(flags, utf16("DOMAIN")),
        "bare-12-bytes": BARE_CHALLENGE,
    })
    return seeds


def spec_auth_v2_with_mic():
    """4.2.4's NTLMv2 AUTHENTICATE rebuilt with VERSION and a MIC (the 88-byte header)."""
    nt = bytes.fromhex("68cd0ab851e51c96aabc927bebef6a1c") + blob(
        pairs=av(2, utf16("Domain")) + av(1, utf16("Server")) + av(6, u32(2)) + EOL)
    return authenticate(0xe2888235, lm=bytes(24), nt=nt, domain=utf16("Domain"),
                        user=utf16("User"), workstation=utf16("COMPUTER"),
                        key=b"\xc5" * 16, ver=version(10, 0, 20348), mic=b"\x11" * 16)


def authenticate_seeds():
    seeds = {f"{n}-authenticate": m for n, m in vector_messages("authenticate_message")}
    seeds.update({
        "tampered-ess": TAMPERED_AUTH,
        "v2-version-mic": spec_auth_v2_with_mic(),
        "anonymous": authenticate(DEFAULT_CLIENT | ANONYMOUS, lm=b"\x00",
                                  ver=version(10, 0, 20348)),
        "oem-ntlmv1": authenticate(OEM | NTLM, lm=b"\x01" * 24, nt=b"\x02" * 24,
                                   domain=b"DOMAIN", user=b"user", workstation=b"WS"),
    })
    return seeds


def av_pairs_seeds():
    return {
        "spec-4.2.4": SPEC_TI,
        "windows-2022": WINDOWS_TI,
        "every-av-id": EVERY_AV_TI,
        "eol-only": EOL,
        "unknown-id": av(2, utf16("D")) + av(0x0b, b"\x01\x02") + EOL,
        "duplicate-id": av(1, utf16("A")) + av(1, utf16("B")) + EOL,
        "bytes-after-eol": SPEC_TI + bytes(4),
        "single-host-extra": av(8, u32(52) + bytes(4) + bytes(8) + bytes(32) + b"xtra") + EOL,
    }


def ntlmv2_blob_seeds():
    spec_nt = authenticate_seeds()["ms-nlmp-4.2.4-authenticate"][0x84:0x84 + 0x54]
    proof = bytes.fromhex("68cd0ab851e51c96aabc927bebef6a1c")
    return {
        "spec-4.2.4": spec_nt,
        "windows-mic-flags": proof + blob(timestamp=filetime(1700000000),
                                          pairs=WINDOWS_TI[:-4] + av(6, u32(2)) +
                                          av(9, utf16("HTTP/server.domain.test")) +
                                          av(10, bytes(16)) + EOL),
        "no-trailer": proof + blob(trailer=b""),
        "every-av-id": proof + blob(pairs=EVERY_AV_TI),
    }


def version_seeds():
    # 8 VERSION bytes, the gap byte (0..31), then a payload.
    return {
        "10.0.20348-gap8": version(10, 0, 20348) + b"\x08" + b"DOMAIN",
        "10.0.18362-gap24": version(10, 0, 18362) + b"\x18" + b"WS",
        "6.1.7601-gap0": version(6, 1, 7601) + b"\x00" + b"X",
        "5.1.2600-rev10-gap31": version(5, 1, 2600, rev=10) + b"\x1f",
    }


def b64(m):
    return base64.b64encode(m).decode()


def http_auth_header_seeds():
    seeds = {
        # engine/http_auth_test.cc ParsesWhatRealServersSend and Errors.
        "bare-ntlm": "NTLM",
        "ntlm-token": "NTLM TlRMTVNTUAABAAAA",
        "lowercase-padded": "ntlm TlRMTVNTUAACAAAAAAAAAAAAAAA=",
        "two-schemes": "NTLM abc=, Negotiate",
        "with-basic-realm": 'Negotiate, Basic realm="a, b", NTLM dGVzdA==',
        "digest-params": 'Digest realm="x", qop="auth,auth-int", nonce=abc, NTLM',
        "empty-elements": "  ,  NEGOTIATE   YWJj  , ,",
        "quoted-pair": 'Basic realm="q\\"uote"',
        "unterminated": 'Basic realm="open',
        # tests/cli_decode_test.cc: the spec's CHALLENGE and curl's NEGOTIATE.
        "spec-challenge": "NTLM " + b64(SPEC_CHALLENGE_V2),
        "curl-negotiate": "Negotiate " + b64(CURL_NEGOTIATE),
        "iis-401": "Negotiate, NTLM",
    }
    for n, m in vector_messages("authenticate_message"):
        seeds[f"{n}-authenticate"] = "NTLM " + b64(m)
    seeds["spnego-init"] = "Negotiate " + b64(spnego_seeds()["init-framed-negotiate"])
    return {k: v.encode() for k, v in seeds.items()}


def http_request(method, target, headers=(), body=b""):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"] + list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def mock_request_seeds():
    """fuzz/mock_request_fuzzer.cc: an options byte ([fault byte]), then raw HTTP/1.1 bytes."""
    neg = b64(CURL_NEGOTIATE)
    auth = [m for _, m in vector_messages("authenticate_message")]
    spnego_init = b64(spnego_seeds()["init-framed-negotiate"])
    form = b"name=J%C3%BCrgen&city=Z%C3%BCrich"
    seeds = {
        "get-no-auth": b"\x00" + http_request("GET", "/"),
        "negotiate": b"\x00" + http_request("GET", "/", ["Authorization: NTLM " + neg]),
        "negotiate-then-authenticate": b"\x00" + http_request(
            "GET", "/", ["Authorization: NTLM " + neg]) + http_request(
            "GET", "/", ["Authorization: NTLM " + b64(auth[-1])]),
        "authenticate-first": b"\x00" + http_request(
            "GET", "/", ["Authorization: NTLM " + b64(auth[0])]),
        "spnego-negotiate-scheme": b"\x01" + http_request(
            "GET", "/", ["Authorization: Negotiate " + spnego_init]),
        "both-schemes-two-lines": b"\x02" + http_request(
            "GET", "/", ["Authorization: Negotiate " + neg, "Authorization: NTLM " + neg]),
        "proxy-absolute-form": b"\x04" + http_request(
            "GET", "http://origin.invalid/x", ["Proxy-Authorization: NTLM " + neg]),
        "auth-per-request-post-form": b"\x08" + http_request(
            "POST", "/form", ["Authorization: NTLM " + neg,
                              "Content-Type: application/x-www-form-urlencoded"], form),
        "tls-epa-strict": b"\x30" + http_request("GET", "/", ["Authorization: NTLM " + neg]),
        "anonymous-allowed": b"\x40" + http_request(
            "GET", "/", ["Authorization: NTLM " + neg]) + http_request(
            "GET", "/", ["Authorization: NTLM " + b64(auth[0])]),
        "bad-base64": b"\x00" + http_request("GET", "/", ["Authorization: NTLM ###"]),
        "bare-scheme": b"\x00" + http_request("GET", "/", ["Authorization: NTLM"]),
        "chunked-body": b"\x00" + b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                        b"\r\nAuthorization: NTLM " + neg.encode() + b"\r\n\r\n4\r\nabcd"
                        b"\r\n0\r\n\r\n",
        "expect-continue": b"\x00" + http_request(
            "PUT", "/", ["Expect: 100-continue", "Authorization: NTLM " + neg], b"xyz"),
        "http10-close": b"\x00GET / HTTP/1.0\r\nAuthorization: NTLM " + neg.encode() +
                        b"\r\n\r\n",
    }
    # any-password (mock_server/auth_gate.h's tenth fault): the wrong proof is let in, so the
    # target's bypass oracle must stay quiet here and only here.
    seeds["fault-any-password-login"] = b"\x80\x09" + http_request(
        "GET", "/", ["Authorization: NTLM " + neg]) + http_request(
        "GET", "/", ["Authorization: NTLM " + b64(auth[-1])]) + http_request("GET", "/after")
    for i in range(4):
        # One fault each: the fault byte indexes AllFaultNames() (mock_server/auth_gate.h).
        seeds[f"fault-{i}-handshake"] = b"\x80" + bytes([i]) + http_request(
            "GET", "/", ["Authorization: NTLM " + neg]) + http_request(
            "GET", "/", ["Authorization: NTLM " + b64(auth[-1])])
    return seeds


# ---- SPNEGO (RFC 4178) and DER ---------------------------------------------------------------


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, contents):
    return bytes([tag]) + der_len(len(contents)) + contents


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for i, arc in enumerate([arcs[0] * 40 + arcs[1]] + arcs[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.insert(0, 0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(chunk)
    return tlv(0x06, bytes(out))


SPNEGO_OID = "1.3.6.1.5.5.2"
NTLMSSP_OID = "1.3.6.1.4.1.311.2.2.10"
KRB5_OID = "1.2.840.113554.1.2.2"
MSKRB5_OID = "1.2.840.48018.1.2.2"


def neg_token_init(mechs, token=None, req_flags=None, hints=None, mic=None, framed=True,
                   mic_at_4=False):
    seq = tlv(0xA0, tlv(0x30, b"".join(oid(m) for m in mechs)))
    if req_flags is not None:
        seq += tlv(0xA1, tlv(0x03, req_flags))
    if token is not None:
        seq += tlv(0xA2, tlv(0x04, token))
    if hints is not None:
        seq += tlv(0xA3, hints)
    if mic is not None:
        seq += tlv(0xA4 if (hints is not None or mic_at_4) else 0xA3, tlv(0x04, mic))
    inner = tlv(0xA0, tlv(0x30, seq))
    return tlv(0x60, oid(SPNEGO_OID) + inner) if framed else inner


def neg_token_resp(state=None, mech=None, token=None, mic=None):
    seq = b""
    if state is not None:
        seq += tlv(0xA0, tlv(0x0A, bytes([state])))
    if mech is not None:
        seq += tlv(0xA1, oid(mech))
    if token is not None:
        seq += tlv(0xA2, tlv(0x04, token))
    if mic is not None:
        seq += tlv(0xA3, tlv(0x04, mic))
    return tlv(0xA1, tlv(0x30, seq))


def spnego_seeds():
    ntlm_neg = negotiate(DEFAULT_CLIENT, ver=version(10, 0, 20348))
    hints = tlv(0x30, tlv(0xA0, tlv(0x1B, b"not_defined_in_RFC4178@please_ignore")))
    return {
        # The example in engine/spnego.h: a framed negTokenInit with an NTLM NEGOTIATE.
        "init-framed-negotiate": neg_token_init([NTLMSSP_OID], token=ntlm_neg[:40]),
        "init-bare-kerberos-ntlm": neg_token_init([MSKRB5_OID, KRB5_OID, NTLMSSP_OID],
                                                  framed=False),
        "init-reqflags-mic": neg_token_init([NTLMSSP_OID], token=CURL_NEGOTIATE,
                                            req_flags=b"\x01\x06", mic=b"\x01" * 16),
        "init2-neghints": neg_token_init([MSKRB5_OID, NTLMSSP_OID], hints=hints,
                                         mic=b"\x02" * 16, framed=False),
        "init-extension-5": tlv(0xA0, tlv(0x30, tlv(0xA0, tlv(0x30, oid(NTLMSSP_OID))) +
                                           tlv(0xA5, tlv(0x05, b"")))),
        "resp-challenge": neg_token_resp(1, NTLMSSP_OID, SPEC_CHALLENGE_V2),
        "resp-authenticate": neg_token_resp(
            token=dict(vector_messages("authenticate_message"))["ms-nlmp-4.2.4"],
            mic=b"\x01\x00\x00\x00" + bytes(12)),
        "resp-accept-completed": neg_token_resp(0),
        "resp-reject": neg_token_resp(2),
    }


# ---- the context targets ---------------------------------------------------------------------


def piece(b):
    assert len(b) <= 64
    return bytes([len(b)]) + b


def client_input(a, b, challenge_bytes, mask=0, auth_flags=None, user=b"Domain\\User",
                 domain=None, password=b"Password", nt_hash=None, workstation=b"COMPUTER",
                 spn=None, bindings=None):
    """The client target's layout (fuzz/client_fuzzer.cc)."""
    out = bytes([a, b]) + u32(mask)
    if auth_flags is not None:
        out += u32(auth_flags)
    out += piece(user)
    if domain is not None:
        out += piece(domain)
    out += nt_hash if nt_hash is not None else piece(password)
    out += piece(workstation)
    if spn is not None:
        out += piece(spn)
    if bindings is not None:
        out += bindings
    return out + challenge_bytes


def client_seeds():
    chals = challenge_seeds()
    win = chals["windows-2022"]
    seeds = {
        "v2-mic-windows": client_input(0x08, 0x04, win),
        "v2-spec": client_input(0x00, 0x00, SPEC_CHALLENGE_V2),
        "v2-spn-zero-bindings": client_input(0x48, 0x05, win, spn=b"HTTP/server.domain.test"),
        "v2-hash-bindings": client_input(0x88, 0x04, win, bindings=bytes(range(16))),
        "v2-nt-hash-no-version": client_input(0x30, 0x04, win, nt_hash=b"\x8a" * 16),
        "v2-strict-domain": client_input(0x08, 0x16, win, user=b"alice", domain=b"DOMAIN"),
        "ntlmv1": client_input(0x04, 0x04, chals["ms-nlmp-4.2.2-challenge"]),
        "ntlmv1-ess": client_input(0x05, 0x04, chals["ms-nlmp-4.2.3-challenge"]),
        "lm": client_input(0x06, 0x04, chals["ms-nlmp-4.2.2-challenge"]),
        "anonymous": client_input(0x07, 0x04, win),
        "auth-flags-override": client_input(0x00, 0x08, SPEC_CHALLENGE_V2,
                                            auth_flags=0xe2888235),
        "oem-challenge": client_input(0x08, 0x04, chals["oem-no-target-info"]),
        "every-av-id": client_input(0x08, 0x04, chals["every-av-id"]),
    }
    return seeds


def server_input(options, negotiate_bytes, rest):
    """The server target's layout (fuzz/server_fuzzer.cc)."""
    return bytes([options]) + u16(len(negotiate_bytes)) + negotiate_bytes + rest


FIX = 0x04 | 0x08
CLIENT_MODE = 0x10


def server_seeds():
    auths = dict(vector_messages("authenticate_message"))
    win_neg = negotiate(DEFAULT_CLIENT | SIGN | SEAL, ver=version(10, 0, 20348))
    seeds = {}
    for preset in range(4):
        seeds[f"client-preset{preset}"] = server_input(CLIENT_MODE | preset, b"", b"\x00")
    for kind, name in [(4, "ntlmv1"), (5, "ntlmv1-ess"), (6, "lm"), (7, "anonymous"),
                       (0x08, "v2-no-mic")]:
        seeds[f"client-preset1-{name}"] = server_input(CLIENT_MODE | 1, b"", bytes([kind]))
    for b, name in [(0x10, "zero"), (0x20, "hash"), (0x30, "wrong-hash")]:
        seeds[f"client-preset3-bindings-{name}"] = server_input(CLIENT_MODE | 3, b"", bytes([b]))
    seeds["client-preset0-edit-mic"] = server_input(CLIENT_MODE, b"", b"\x00" + u16(72) + b"\x01")
    seeds["client-preset0-expired"] = server_input(CLIENT_MODE | 0x20, b"", b"\x00")
    seeds["client-preset0-replay"] = server_input(CLIENT_MODE | 0x40, b"", b"\x00")
    seeds["client-preset2-fixed"] = server_input(CLIENT_MODE | FIX | 2, b"", b"\x00")
    # The [MS-NLMP] 4.2 AUTHENTICATEs, repaired for this server's challenge (preset 1 issues the
    # 4.2.4 target info).
    for n, m in sorted(auths.items()):
        seeds[f"{n}-fixed-preset1"] = server_input(FIX | 1, win_neg, m)
        seeds[f"{n}-raw-preset0"] = server_input(0, win_neg, m)
    seeds["v2-version-mic-fixed-preset1"] = server_input(FIX | 1, win_neg, spec_auth_v2_with_mic())
    seeds["curl-negotiate-anonymous"] = server_input(
        1, CURL_NEGOTIATE, authenticate(UNICODE | NTLM | ANONYMOUS, lm=b"\x00"))
    seeds["no-negotiate"] = server_input(0, b"", auths["ms-nlmp-4.2.4"])
    return seeds


def crypto_diff_seeds():
    """[seed u8][key_len u8][key][data]: the RFC 1320/1321/2202 inputs of vectors/."""
    seeds = {}
    for name, v in sorted(VECTORS.items()):
        if "primitive" not in v:
            continue
        inputs = v.get("inputs", {})
        key = bytes.fromhex(inputs["key"]) if "key" in inputs else \
            inputs.get("key_text", "").encode()
        data = bytes.fromhex(inputs["data"]) if "data" in inputs else \
            inputs.get("data_text", "").encode()
        if len(key) > 255:
            continue
        seeds[name] = bytes([len(data) & 0xFF, len(key)]) + key + data
    # DES: [MS-NLMP] 4.2.2's LM hash input ("KGS!@#$%" under the spread key), FIPS-style blocks.
    seeds["des-kgs"] = b"\x07\x07" + b"PASSWOR" + b"KGS!@#$%" * 2
    seeds["des-weak-key"] = b"\x00\x08" + b"\x01" * 8 + bytes(range(64))
    seeds["rc4-256-byte-key"] = b"\x03\xff" + bytes(range(255)) + bytes(300)
    seeds["long-data"] = b"\x5a\x10" + b"k" * 16 + bytes(range(256)) * 4
    return seeds


def regressions():
    """The classic inputs of issue #7 (fuzz/regressions/<target>/<name>)."""
    chal = bytearray(SPEC_CHALLENGE_V2)
    # TargetInfoFields (offset 40): Len 0x20, MaxLen 0x20, BufferOffset 0xFFFFFFF0; in 32 bits
    # offset + length wraps to 0x10, inside the header.
    wrap = bytearray(chal)
    struct.pack_into("<HHI", wrap, 40, 0x20, 0x20, 0xFFFFFFF0)
    # TargetNameFields the same way: Len 0x10 at 0xFFFFFFF8 wraps to 8.
    name_wrap = bytearray(chal)
    struct.pack_into("<HHI", name_wrap, 12, 0x10, 0x10, 0xFFFFFFF8)
    # 40 bytes with NEGOTIATE_TARGET_INFO: no room for TargetInfoFields (and, with the name
    # emptied, no payload at all); as is (the spec's flags, VERSION among them), without
    # VERSION, and with the target name still pointing at 56.
    short40 = bytearray(chal[:40])
    struct.pack_into("<HHI", short40, 12, 0, 0, 0)
    short40_name = bytes(chal[:40])
    short40_no_version = bytearray(short40)
    struct.pack_into("<I", short40_no_version, 20,
                     struct.unpack_from("<I", short40, 20)[0] & ~VERSION)
    # An AV pair whose AvLen runs past the target info.
    av_past = bytearray(chal)
    av_past[0x44 + 2] = 0xFF
    # AUTHENTICATE with KEY_EXCH and a 64-byte EncryptedRandomSessionKey (4.2.4's, which sets
    # KEY_EXCH, with the key field grown from 16 to 64 bytes at the end of the message).
    auth = dict(vector_messages("authenticate_message"))["ms-nlmp-4.2.4"]
    assert struct.unpack_from("<I", auth, 60)[0] & KEY_EXCH
    big_key = bytearray(auth + bytes(range(48)))
    struct.pack_into("<HH", big_key, 52, 64, 64)
    win_neg = negotiate(DEFAULT_CLIENT | SIGN | SEAL, ver=version(10, 0, 20348))
    return {
        "challenge": {
            "target-info-len-0x20-offset-0xfffffff0": bytes(wrap),
            "target-name-len-0x10-offset-0xfffffff8": bytes(name_wrap),
            "40-bytes-target-info-flag": bytes(short40),
            "40-bytes-target-info-flag-name-past-end": short40_name,
            "40-bytes-target-info-flag-no-version": bytes(short40_no_version),
            "av-len-past-target-info": bytes(av_past),
        },
        "authenticate": {"key-exch-64-byte-session-key": bytes(big_key)},
        "client": {
            "target-info-offset-0xfffffff0": client_input(0x08, 0x04, bytes(wrap)),
            "40-bytes-target-info-flag": client_input(0x08, 0x04, bytes(short40)),
            # A well-formed target info of 9000 bytes, over the client's 8192-byte limit
            # (engine/client.h kMaxClientTargetInfo): refused as too_large.
            "target-info-9000-bytes": client_input(0x08, 0x04, challenge(
                UNICODE | NTLM | TARGET_INFO, utf16("D"),
                target_info=av(1, utf16("A" * 4496)) + EOL)),
        },
        "server": {
            # Repaired NTProofStr, so the server reaches the session-key check: bad_session_key.
            "key-exch-64-byte-session-key": server_input(FIX | 1, win_neg, bytes(big_key)),
        },
        "http_auth_header": {
            "target-info-offset-0xfffffff0": ("NTLM " + b64(bytes(wrap))).encode(),
        },
    }


# ---- dictionaries ----------------------------------------------------------------------------


def esc(b):
    return "".join(chr(c) if 0x20 <= c < 0x7F and chr(c) not in '"\\' else f"\\x{c:02x}"
                   for c in b)


MESSAGE_TOKENS = [
    ("Signature and MessageType, [MS-NLMP] 2.2.1", [
        ("signature", SIG), ("type_negotiate", u32(1)), ("type_challenge", u32(2)),
        ("type_authenticate", u32(3))]),
    ("NegotiateFlags words (2.2.2.5), little-endian", [
        ("flags_windows_client", u32(0xa2088207)), ("flags_default_client", u32(DEFAULT_CLIENT)),
        ("flags_spec_challenge", u32(0xe28a8233)), ("flags_spec_authenticate", u32(0xe2888235)),
        ("flag_unicode", u32(UNICODE)), ("flag_oem", u32(OEM)), ("flag_lm_key", u32(LM_KEY)),
        ("flag_anonymous", u32(ANONYMOUS)), ("flag_ess", u32(ESS)),
        ("flag_target_info", u32(TARGET_INFO)), ("flag_version", u32(VERSION)),
        ("flag_key_exch", u32(KEY_EXCH)), ("flag_datagram", u32(0x40))]),
    ("payload fields (Len u16, MaxLen u16, BufferOffset u32) and offsets", [
        ("field_empty", bytes(8)), ("offset_32", u32(32)), ("offset_40", u32(40)),
        ("offset_48", u32(48)), ("offset_56", u32(56)), ("offset_64", u32(64)),
        ("offset_72", u32(72)), ("offset_88", u32(88)), ("offset_wrap", u32(0xFFFFFFF0)),
        ("len_max", u16(0xFFFF))]),
    ("VERSION (2.2.2.10)", [
        ("version_10_0_20348", version(10, 0, 20348)), ("version_6_1_7601", version(6, 1, 7601)),
        ("revision_w2k3", b"\x0f")]),
]

AV_TOKENS = [
    ("AV pair headers, AvId u16 + AvLen u16 (2.2.2.1)", [
        ("av_eol", EOL), ("av_nb_computer", u16(1)), ("av_nb_domain", u16(2)),
        ("av_dns_computer", u16(3)), ("av_dns_domain", u16(4)), ("av_dns_tree", u16(5)),
        ("av_flags", av(6)[:2] + u16(4)), ("av_timestamp", av(7)[:2] + u16(8)),
        ("av_single_host", u16(8) + u16(48)), ("av_target_name", u16(9)),
        ("av_channel_bindings", u16(10) + u16(16)), ("av_unknown_11", u16(11)),
        ("avflags_mic", u32(2)), ("single_host_size", u32(48))]),
    ("UTF-16LE names", [
        ("u16_domain", utf16("Domain")), ("u16_server", utf16("Server")),
        ("u16_user", utf16("User")), ("u16_http_spn", utf16("HTTP/")),
        ("u16_high_surrogate", b"\x00\xd8")]),
]

BLOB_TOKENS = [
    ("NTLMv2_CLIENT_CHALLENGE header (2.2.2.7)", [
        ("blob_resp_types", b"\x01\x01\x00\x00\x00\x00\x00\x00"),
        ("filetime_2023", filetime(1700000000)), ("z4", bytes(4))]),
]

HTTP_TOKENS = [
    ("schemes and separators (RFC 7235, [MS-NTHT])", [
        ("ntlm", b"NTLM "), ("negotiate", b"Negotiate "), ("basic", b"Basic "),
        ("digest", b"Digest "), ("bearer", b"Bearer "), ("realm", b'realm="'),
        ("comma", b", "), ("pad", b"=="), ("quoted_pair", b'\\"')]),
    ("base64 of NTLM message starts", [
        ("b64_signature", b"TlRMTVNTUA"), ("b64_negotiate", b"TlRMTVNTUAABAAAA"),
        ("b64_challenge", b"TlRMTVNTUAACAAAA"), ("b64_authenticate", b"TlRMTVNTUAADAAAA"),
        ("b64_spnego", b"YIIG")]),
]

SPNEGO_TOKENS = [
    ("DER identifiers (X.690) of SPNEGO (RFC 4178) and GSS-API framing (RFC 2743 3.1)", [
        ("application_0", b"\x60"), ("context_0", b"\xa0"), ("context_1", b"\xa1"),
        ("context_2", b"\xa2"), ("context_3", b"\xa3"), ("context_4", b"\xa4"),
        ("sequence", b"\x30"), ("octet_string", b"\x04"), ("oid", b"\x06"),
        ("enumerated", b"\x0a"), ("bit_string", b"\x03"), ("general_string", b"\x1b"),
        ("long_length_1", b"\x81"), ("long_length_2", b"\x82"), ("indefinite", b"\x80")]),
    ("mechanism OIDs, whole TLVs", [
        ("oid_spnego", oid(SPNEGO_OID)), ("oid_ntlmssp", oid(NTLMSSP_OID)),
        ("oid_krb5", oid(KRB5_OID)), ("oid_mskrb5", oid(MSKRB5_OID)),
        ("oid_negoex", oid("1.3.6.1.4.1.311.2.2.30"))]),
    ("negState ENUMERATED values", [
        ("accept_completed", b"\x0a\x01\x00"), ("accept_incomplete", b"\x0a\x01\x01"),
        ("reject", b"\x0a\x01\x02"), ("request_mic", b"\x0a\x01\x03")]),
]

SERVER_TOKENS = [
    ("the fixed accounts and the server's names (fuzz/server_fuzzer.cc)", [
        ("u16_user", utf16("User")), ("u16_domain", utf16("Domain")),
        ("u16_bob", utf16("bob")), ("u16_DOMAIN", utf16("DOMAIN")),
        ("u16_server", utf16("Server"))]),
]

CLIENT_TOKENS = [
    ("credentials (fuzz/client_fuzzer.cc)", [
        ("domain_user", b"Domain\\User"), ("upn", b"user@domain.test"),
        ("password", b"Password"), ("spn", b"HTTP/server.test")]),
]

MOCK_REQUEST_TOKENS = [
    ("HTTP/1.1 request framing (RFC 9112) and the headers the mock server reads", [
        ("get", b"GET / HTTP/1.1\r\n"), ("post", b"POST / HTTP/1.1\r\n"),
        ("crlf", b"\r\n"), ("host", b"Host: a\r\n"), ("authorization", b"Authorization: "),
        ("proxy_authorization", b"Proxy-Authorization: "),
        ("content_length", b"Content-Length: "), ("chunked", b"Transfer-Encoding: chunked\r\n"),
        ("expect", b"Expect: 100-continue\r\n"), ("close", b"Connection: close\r\n"),
        ("keep_alive", b"Connection: keep-alive\r\n"),
        ("content_type_form", b"Content-Type: application/x-www-form-urlencoded\r\n"),
        ("http10", b"HTTP/1.0")]),
]

CRYPTO_TOKENS = [
    ("block-sized and edge lengths for the hash padding (RFC 1320/1321 3.1)", [
        ("zeros_8", bytes(8)), ("ones_8", b"\xff" * 8), ("kgs", b"KGS!@#$%"),
        ("key_magic_ctos", b"session key to client-to-server signing key magic constant\x00")]),
]

DICTS = {
    "negotiate": MESSAGE_TOKENS,
    "challenge": MESSAGE_TOKENS + AV_TOKENS,
    "authenticate": MESSAGE_TOKENS + AV_TOKENS + BLOB_TOKENS,
    "av_pairs": AV_TOKENS,
    "ntlmv2_blob": AV_TOKENS + BLOB_TOKENS,
    "version": [MESSAGE_TOKENS[3]],
    "http_auth_header": HTTP_TOKENS,
    "spnego": SPNEGO_TOKENS + [MESSAGE_TOKENS[0]],
    "client": CLIENT_TOKENS + MESSAGE_TOKENS + AV_TOKENS,
    "server": SERVER_TOKENS + MESSAGE_TOKENS + AV_TOKENS + BLOB_TOKENS,
    "crypto_diff": CRYPTO_TOKENS,
    "mock_request": HTTP_TOKENS + MOCK_REQUEST_TOKENS,
}


def dictionary(target):
    lines = [f"# libFuzzer dictionary of the {target} target; written by fuzz/make_corpus.py.",
             "# Each entry is name=\"bytes\" (\\xNN escapes); the comment above a group says "
             "where it comes from."]
    seen = set()
    for title, tokens in DICTS[target]:
        lines += ["", f"# {title}"]
        for name, value in tokens:
            if name in seen:
                continue
            seen.add(name)
            lines.append(f'{name}="{esc(value)}"')
    return "\n".join(lines) + "\n"


def options(target):
    return (f"# libFuzzer options of the {target} target; written by fuzz/make_corpus.py "
            f"(see fuzz/README.md).\n[libfuzzer]\nmax_len = {MAX_LEN[target]}\n"
            f"dict = {target}_fuzzer.dict\n")


# ---- writing ---------------------------------------------------------------------------------

SEEDS = {
    "negotiate": negotiate_seeds,
    "challenge": challenge_seeds,
    "authenticate": authenticate_seeds,
    "av_pairs": av_pairs_seeds,
    "ntlmv2_blob": ntlmv2_blob_seeds,
    "version": version_seeds,
    "http_auth_header": http_auth_header_seeds,
    "spnego": spnego_seeds,
    "client": client_seeds,
    "server": server_seeds,
    "crypto_diff": crypto_diff_seeds,
    "mock_request": mock_request_seeds,
}


def plan():
    """{path: bytes} of every file this script owns, and the directories it owns wholly."""
    files = {}
    owned_dirs = []
    for target, make in SEEDS.items():
        d = os.path.join(FUZZ, "corpus", target)
        owned_dirs.append(d)
        for name, data in make().items():
            assert len(data) <= MAX_LEN[target], (target, name, len(data))
            files[os.path.join(d, name)] = data
        files[os.path.join(FUZZ, "dict", f"{target}.dict")] = dictionary(target).encode()
        files[os.path.join(FUZZ, "options", f"{target}.options")] = options(target).encode()
        files[os.path.join(FUZZ, "regressions", target, ".gitkeep")] = b""
    for target, named in regressions().items():
        for name, data in named.items():
            files[os.path.join(FUZZ, "regressions", target, name)] = data
    return files, owned_dirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="report files that would change, write nothing")
    args = parser.parse_args()
    files, owned_dirs = plan()
    stale = []
    for d in owned_dirs:
        if os.path.isdir(d):
            stale += [os.path.join(d, f) for f in os.listdir(d)
                      if os.path.join(d, f) not in files]
    changed = []
    for path, data in sorted(files.items()):
        try:
            with open(path, "rb") as f:
                same = f.read() == data
        except FileNotFoundError:
            same = False
        if not same:
            changed.append(path)
    if args.check:
        for p in changed + stale:
            print(f"out of date: {os.path.relpath(p, ROOT)}")
        return 1 if changed or stale else 0
    for p in stale:
        os.remove(p)
    for path in changed:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(files[path])
    print(f"make_corpus: {len(files)} files, {len(changed)} written, {len(stale)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
