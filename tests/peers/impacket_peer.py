#!/usr/bin/python3
"""ctest ImpacketPeer: impacket's NTLM code (python3-impacket, an independent implementation)
against ntlm-harness, both ways, on 127.0.0.1.

- impacket as the client of `ntlmh serve`: its NEGOTIATE, then its AUTHENTICATE computed from our
  CHALLENGE (NTLMv2; impacket sends no MIC and names the SPN "cifs/<NetBIOS computer>"), with a
  password, with the NT hash (pass-the-hash), with a wrong password, and against --require-mic.
- impacket as the reader of our messages: it parses the CHALLENGE of `ntlmh serve` (flags, server
  challenge, target info), and its NTOWFv2 and HMAC-MD5 recompute the NTProofStr of the
  AUTHENTICATE that `ntlmh request` sent ([MS-NLMP] 3.3.2).

Usage: impacket_peer.py NTLMH_BINARY. Exit 0 when every check passes.
"""
import base64
import http.client
import json
import os
import subprocess
import sys

from impacket import ntlm

# The server harness and the check() of the other peer tests (the same account).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_server_peers as peers  # noqa: E402

DOMAIN, USER = peers.USER.split("\\")
PASSWORD = peers.PASSWORD
TIMEOUT = peers.TIMEOUT
check = peers.check


class Server(peers.Server):
    def __init__(self, ntlmh, args=()):
        super().__init__(ntlmh, list(args))
        self.port = int(self.url.rsplit(":", 1)[1])


def impacket_login(server, password="", nthash=""):
    """One handshake by impacket on one keep-alive connection: (status, reject, body, challenge)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        t1 = ntlm.getNTLMSSPType1("IMPACKET1", DOMAIN)
        conn.request("GET", "/impacket",
                     headers={"Authorization": "NTLM " + base64.b64encode(t1.getData()).decode()})
        r = conn.getresponse()
        r.read()
        offer = r.getheader("WWW-Authenticate") or ""
        if r.status != 401 or not offer.startswith("NTLM "):
            return r.status, None, "", b""
        challenge = base64.b64decode(offer[len("NTLM "):])
        t3, _ = ntlm.getNTLMSSPType3(t1, challenge, USER, password, DOMAIN,
                                      nthash=bytes.fromhex(nthash) if nthash else "")
        conn.request("GET", "/impacket",
                     headers={"Authorization": "NTLM " + base64.b64encode(t3.getData()).decode()})
        r = conn.getresponse()
        return r.status, r.getheader("X-NTLM-Reject"), r.read().decode(), challenge
    finally:
        conn.close()


def decode_json(ntlmh, token_b64):
    p = subprocess.run([ntlmh, "decode", "--json", token_b64], capture_output=True, text=True,
                       timeout=TIMEOUT)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def impacket_as_client(ntlmh):
    server = Server(ntlmh)
    try:
        status, reject, body, challenge = impacket_login(server, password=PASSWORD)
        check(status == 200, "impacket authenticates with a password (status %d, %s)" %
              (status, reject))
        if status == 200:
            echo = json.loads(body)
            got = (echo["user"], echo["domain"], echo["workstation"], echo["response_kind"],
                   echo["spn"], echo["mic"]["present"])
            check(got == (USER, DOMAIN, "IMPACKET1", "ntlmv2", "cifs/SERVER", False),
                  "echo of impacket's AUTHENTICATE %r" % (got,))

        # impacket reads our CHALLENGE as `ntlmh decode` does.
        if challenge:
            parsed = ntlm.NTLMAuthChallenge(challenge)
            ours = decode_json(ntlmh, base64.b64encode(challenge).decode())
            check(ours.get("message") == "CHALLENGE_MESSAGE", "ntlmh decode reads the CHALLENGE")
            if ours:
                check("0x%08x" % parsed["flags"] == ours["flags"]["value"],
                      "flags: impacket 0x%08x, ntlmh %s" % (parsed["flags"], ours["flags"]["value"]))
                check(parsed["challenge"].hex() == ours["server_challenge"],
                      "server challenge read alike")
                av = ntlm.AV_PAIRS(parsed["TargetInfoFields"])
                names = {"MsvAvNbDomainName": ntlm.NTLMSSP_AV_DOMAINNAME,
                         "MsvAvNbComputerName": ntlm.NTLMSSP_AV_HOSTNAME,
                         "MsvAvDnsDomainName": ntlm.NTLMSSP_AV_DNS_DOMAINNAME,
                         "MsvAvDnsComputerName": ntlm.NTLMSSP_AV_DNS_HOSTNAME}
                for pair in ours["target_info"]["pairs"]:
                    if pair["name"] in names:
                        theirs = av[names[pair["name"]]]
                        value = theirs[1].decode("utf-16-le") if theirs else None
                        check(value == pair["value"], "%s: impacket %r, ntlmh %r" %
                              (pair["name"], value, pair["value"]))

        nt_hash = ntlm.compute_nthash(PASSWORD).hex()
        status, reject, _, _ = impacket_login(server, nthash=nt_hash)
        check(status == 200, "impacket authenticates with the NT hash (status %d, %s)" %
              (status, reject))
        status, reject, _, _ = impacket_login(server, password="wrong")
        check(status == 401 and reject == "wrong_proof",
              "a wrong password is refused as wrong_proof (%d, %s)" % (status, reject))
    finally:
        check(server.stop() == 0, "server exits 0 on SIGTERM")

    strict = Server(ntlmh, ["--require-mic"])
    try:
        status, reject, _, _ = impacket_login(strict, password=PASSWORD)
        check(status == 401 and reject == "mic_missing",
              "--require-mic refuses impacket, which sends no MIC (%d, %s)" % (status, reject))
    finally:
        check(strict.stop() == 0, "server exits 0 on SIGTERM")


def impacket_checks_our_client(ntlmh):
    """impacket recomputes the NTProofStr of the AUTHENTICATE `ntlmh request` sends."""
    server = Server(ntlmh)
    try:
        env = dict(os.environ, NTLM_PASSWORD=PASSWORD)
        p = subprocess.run([ntlmh, "request", server.url + "/ours", "-u", DOMAIN + "\\" + USER,
                            "--json", "--show-secrets"], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT + 10)
        check(p.returncode == 0, "ntlmh request authenticates (exit %d)" % p.returncode)
        if p.returncode != 0:
            return
        legs = json.loads(p.stdout)["legs"]
        tokens = [leg["request"]["token"] for leg in legs] + \
                 [leg["response"]["token"] for leg in legs]
        chal = next(t for t in tokens if t and t.get("message") == "CHALLENGE_MESSAGE")
        auth = next(t for t in tokens if t and t.get("message") == "AUTHENTICATE_MESSAGE")
        nt_response = bytes.fromhex(auth["nt_response"]["hex"])
        proof, blob = nt_response[:16], nt_response[16:]
        key = ntlm.NTOWFv2(USER, PASSWORD, DOMAIN)
        expected = ntlm.hmac_md5(key, bytes.fromhex(chal["server_challenge"]) + blob)
        check(expected == proof, "impacket's NTOWFv2 and HMAC-MD5 give our NTProofStr (%s, %s)" %
              (expected.hex(), proof.hex()))
    finally:
        check(server.stop() == 0, "server exits 0 on SIGTERM")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    impacket_as_client(sys.argv[1])
    impacket_checks_our_client(sys.argv[1])
    print("%d failure(s)" % len(peers.failures))
    return 1 if peers.failures else 0


if __name__ == "__main__":
    sys.exit(main())
