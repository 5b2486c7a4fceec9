#!/usr/bin/python3
"""ctest RequestPeers.apache: `ntlmh request` against Apache + mod_auth_gssapi + gss-ntlmssp
(tests/peers/apache_peer.py) on 127.0.0.1: the NTLM scheme and Negotiate, GET and a form POST
to the /whoami CGI (its SHA-256 of the body checked), NTLM proxy authentication (407), and a
wrong password (exit 1); and `ntlmh load` against it (issue #8): new connections, and
--rehandshake, which mod_auth_gssapi with GssapiConnectionBound refuses on every kept connection.

Usage: request_apache_test.py NTLMH_BINARY
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "apache_peer.py")
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    if not cond:
        failures.append(name)


def run(ntlmh, args, password="Secret1!"):
    env = dict(os.environ)
    env.pop("NTLM_PASSWORD", None)
    if password is not None:
        env["NTLM_PASSWORD"] = password
    return subprocess.run([ntlmh, "request"] + args, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def expect_whoami(name, r, method, body, content_type=""):
    detail = "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout[:300], r.stderr[-300:])
    check(name + ": exit 0", r.returncode == 0, detail)
    try:
        echo = json.loads(r.stdout)
    except ValueError:
        check(name + ": JSON body", False, detail)
        return
    expected = {"user": "CORP\\alice", "method": method, "content_type": content_type,
                "body_length": len(body),
                "body_sha256": hashlib.sha256(body.encode()).hexdigest()}
    check(name + ": echo", echo == expected, "%r != %r" % (echo, expected))


def main():
    ntlmh = sys.argv[1]
    root = tempfile.mkdtemp(prefix="ntlmh-apache-peer-")
    started = subprocess.run([sys.executable, PEER, "start", root], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
    if started.returncode != 0:
        print("FAIL apache_peer.py start: " + started.stderr.strip())
        return 1
    base, proxy = started.stdout.split()
    try:
        who = base + "/whoami"
        expect_whoami("NTLM GET", run(ntlmh, [who, "-u", "CORP\\alice"]), "GET", "")
        expect_whoami("Negotiate GET", run(ntlmh, [who, "-u", "CORP\\alice", "--negotiate"]),
                      "GET", "")
        expect_whoami("NTLM form POST",
                      run(ntlmh, [who, "-u", "CORP\\alice", "--data-urlencode", "name=Alice B",
                                  "--data-urlencode", "q=1&2"]),
                      "POST", "name=Alice%20B&q=1%262", "application/x-www-form-urlencoded")
        expect_whoami("Negotiate form POST",
                      run(ntlmh, [who, "-u", "CORP\\alice", "--negotiate", "--data", "x=y"]),
                      "POST", "x=y", "application/x-www-form-urlencoded")

        r = run(ntlmh, [who, "-u", "CORP\\alice"], password="wrong")
        check("wrong password: exit 1", r.returncode == 1, "exit %d %r" % (r.returncode, r.stderr))
        check("wrong password: reason",
              r.stderr == "ntlmh request: authentication failed: the server refused the "
                          "AUTHENTICATE: 401 Unauthorized\n", repr(r.stderr))
        check("wrong password: not printed", "wrong" not in r.stdout + r.stderr.replace(
            "authentication failed", ""), repr(r.stderr))

        r = run(ntlmh, [base + "/index.html", "-u", "CORP\\alice", "--proxy", proxy, "--json"])
        check("proxy 407: exit 0", r.returncode == 0, "exit %d %r" % (r.returncode, r.stderr))
        if r.returncode == 0:
            doc = json.loads(r.stdout)
            check("proxy 407: legs", [l["response"]["status"] for l in doc["legs"]] ==
                  [407, 407, 200], repr(doc["legs"]))
            check("proxy 407: body", doc["body"] == "open\n", repr(doc["body"]))

        r = run(ntlmh, [who, "-u", "CORP\\alice", "--no-retry", "--json"])
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
        flags = doc.get("legs", [{}, {}])[1].get("response", {}).get("token", {})
        check("no-retry: the CHALLENGE", r.returncode == 0 and doc.get("outcome") == "challenge"
              and flags.get("message") == "CHALLENGE_MESSAGE", repr(r.stdout[:300]))

        def load(args):
            env = dict(os.environ, NTLM_PASSWORD="Secret1!")
            r = subprocess.run([ntlmh, "load", base + "/private/index.html", "-u", "CORP\\alice",
                                "--json"] + args, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=120)
            try:
                return r.returncode, json.loads(r.stdout)
            except ValueError:
                return r.returncode, {"stdout": r.stdout, "stderr": r.stderr}

        code, doc = load(["-n", "20", "-c", "2"])
        check("load: 20 handshakes on new connections",
              code == 0 and doc.get("handshakes") == 20 and doc.get("errors") == {} and
              doc.get("connections_opened") == 20, "exit %d %r" % (code, doc))
        # One slot: a handshake on a new connection, then a NEGOTIATE on it refused, a new
        # connection for the next unit, and so on.
        code, doc = load(["-n", "6", "-c", "1", "--rehandshake"])
        check("load --rehandshake: refused on kept connections",
              code == 1 and doc.get("handshakes") == 3 and
              doc.get("errors") == {"rehandshake_refused": 3} and
              doc.get("connections_opened") == 3, "exit %d %r" % (code, doc))
    finally:
        subprocess.run([sys.executable, PEER, "stop", root], timeout=60)
        subprocess.run(["rm", "-rf", root])
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
