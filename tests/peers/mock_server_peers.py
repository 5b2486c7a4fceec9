#!/usr/bin/python3
"""Real NTLM clients against `ntlmh serve` (issue #4): curl, python3-requests-ntlm, Node's
httpntlm (the library behind Postman's NTLM authorization), headless Chromium (its own NTLM
code, with the credentials in the URL) and GNU wget (NTLMv1, OEM strings under a UNICODE flag).

Usage: mock_server_peers.py NTLMH_BINARY {curl|requests|httpntlm|chromium|wget} {http|https}

Starts the server on 127.0.0.1 with a free port, runs the client's checks, and stops the server
with SIGTERM. Every wait is bounded. A missing peer is a failure, never a skip: scripts/setup.sh
installs curl and python3-requests-ntlm. requests-ntlm needs MD4, which Debian's OpenSSL 3 keeps
in the legacy provider: the requests checks run with OPENSSL_CONF set to openssl-legacy.cnf
beside this file (set by the test registration in tests/CMakeLists.txt). httpntlm comes from
tests/peers/node/node_modules, which scripts/setup.sh fills with `npm ci`.
"""
import hashlib
import html
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

USER = "CORP\\alice"
PASSWORD = "Secret1!"
TIMEOUT = 20  # seconds, for every client call

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Server:
    def __init__(self, ntlmh, args):
        self.proc = subprocess.Popen(
            [ntlmh, "serve", "--listen", "127.0.0.1:0", "--user", USER + ":" + PASSWORD] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError("server did not start: %r %r" % (line, self.proc.stderr.read()))
        self.url = line[len("listening on "):].strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def curl(args):
    """Runs curl; returns (status, headers text, body text)."""
    with tempfile.TemporaryDirectory() as d:
        head, body = os.path.join(d, "h"), os.path.join(d, "b")
        p = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT), "-D", head, "-o", body,
                            "-w", "%{http_code}"] + args,
                           capture_output=True, text=True, timeout=TIMEOUT + 5)
        h = open(head).read() if os.path.exists(head) else ""
        b = open(body).read() if os.path.exists(body) else ""
        return int(p.stdout or 0), h, b


def form_body(pairs):
    # curl --data-urlencode name=value sends name=<value form-encoded: space as +>, joined by &.
    return "&".join(k + "=" + urllib.parse.quote_plus(v, safe="") for k, v in pairs)


def run_curl(ntlmh, tls):
    k = ["-k"] if tls else []
    server = Server(ntlmh, ["--tls-self-signed"] if tls else [])
    try:
        check(server.url.startswith("https://" if tls else "http://"), "scheme of " + server.url)
        cred = ["--ntlm", "-u", USER + ":" + PASSWORD]
        status, _, body = curl(k + cred + [server.url + "/hello"])
        check(status == 200, "curl GET authenticates (status %d)" % status)
        if status == 200:
            j = json.loads(body)
            check(j["user"] == "alice" and j["domain"] == "CORP", "user and domain echoed")
            check(j["response_kind"] == "ntlmv2", "curl sends NTLMv2")
            check(j["path"] == "/hello", "path echoed")

        pairs = [("name", "J\u00fcrgen M\u00fcller"), ("city", "Z\u00fcrich & Bern")]
        expected = form_body(pairs)
        form = []
        for key, value in pairs:
            form += ["--data-urlencode", key + "=" + value]
        status, _, body = curl(k + cred + form + [server.url + "/form"])
        check(status == 200, "curl POST authenticates (status %d)" % status)
        if status == 200:
            j = json.loads(body)
            check(j["method"] == "POST", "method POST")
            check(j["content_type"] == "application/x-www-form-urlencoded", "form content type")
            check(j["body_length"] == len(expected.encode()), "form body length")
            check(j["body_sha256"] == hashlib.sha256(expected.encode()).hexdigest(),
                  "form body re-sent after the handshake (SHA-256)")

        status, head, _ = curl(k + ["--ntlm", "-u", USER + ":wrong", server.url + "/"])
        check(status == 401, "wrong password is 401 (status %d)" % status)
        check("x-ntlm-reject: wrong_proof" in head.lower(), "X-NTLM-Reject: wrong_proof")
    finally:
        check(server.stop() == 0, "server exits 0 on SIGTERM")

    if not tls:
        proxy = Server(ntlmh, ["--proxy"])
        try:
            # curl asks the proxy for an absolute URI; nothing leaves 127.0.0.1.
            status, _, body = curl(["--proxy-ntlm", "-U", USER + ":" + PASSWORD,
                                    "-x", proxy.url, "http://origin.invalid/via-proxy"])
            check(status == 200, "curl --proxy-ntlm authenticates (status %d)" % status)
            if status == 200:
                check(json.loads(body)["path"] == "http://origin.invalid/via-proxy",
                      "absolute URI echoed")
            status, _, _ = curl(["--proxy-ntlm", "-U", USER + ":wrong", "-x", proxy.url,
                                 "http://origin.invalid/"])
            check(status == 407, "wrong proxy password is 407 (status %d)" % status)
        finally:
            check(proxy.stop() == 0, "proxy exits 0 on SIGTERM")
    else:
        # https through the proxy: curl's CONNECT is authenticated at the proxy (407 loop),
        # then TLS and the origin's own NTLM run inside the tunnel (RFC 9110 9.3.6). Both
        # servers listen on 127.0.0.1; the proxy tunnels to loopback only.
        origin = Server(ntlmh, ["--tls-self-signed"])
        proxy = Server(ntlmh, ["--proxy"])
        try:
            cred_both = ["--proxy-ntlm", "-U", USER + ":" + PASSWORD, "-x", proxy.url, "-k",
                         "--ntlm", "-u", USER + ":" + PASSWORD]
            status, _, body = curl(cred_both + [origin.url + "/x"])
            check(status == 200, "curl --proxy-ntlm through a CONNECT tunnel (status %d)" % status)
            if status == 200:
                j = json.loads(body)
                check(j["path"] == "/x" and j["user"] == "alice",
                      "the origin's echo through the tunnel")
            status, _, _ = curl(["--proxy-ntlm", "-U", USER + ":" + PASSWORD, "-x", proxy.url,
                                 "-k", origin.url + "/x"])
            check(status == 401, "the origin's 401 through the tunnel (status %d)" % status)
        finally:
            check(proxy.stop() == 0, "proxy exits 0 on SIGTERM")
            check(origin.stop() == 0, "origin exits 0 on SIGTERM")


def run_requests(ntlmh, tls):
    import requests
    import requests_ntlm
    import urllib3
    urllib3.disable_warnings()

    args = ["--tls-self-signed", "--epa", "require"] if tls else []
    server = Server(ntlmh, args)
    try:
        session = requests.Session()
        session.verify = False
        auth = requests_ntlm.HttpNtlmAuth(USER, PASSWORD)
        r = session.get(server.url + "/hello", auth=auth, verify=False, timeout=TIMEOUT)
        check(r.status_code == 200, "requests GET authenticates (status %d)" % r.status_code)
        if r.status_code == 200:
            j = r.json()
            check(j["user"] == "alice", "user echoed")
            check(j["mic"]["present"] and j["mic"]["valid"], "requests-ntlm sends a valid MIC")
            if tls:
                check(j["channel_bindings"]["present"] and j["channel_bindings"]["valid"],
                      "channel bindings match the server certificate (--epa require)")

        data = {"name": "J\u00fcrgen", "note": "a&b=c"}
        expected = urllib.parse.urlencode(data)
        r = requests.Session().post(server.url + "/form", data=data, auth=auth, verify=False,
                                    timeout=TIMEOUT)
        check(r.status_code == 200, "requests POST authenticates (status %d)" % r.status_code)
        if r.status_code == 200:
            j = r.json()
            check(j["body_sha256"] == hashlib.sha256(expected.encode()).hexdigest(),
                  "form body re-sent after the handshake (SHA-256)")

        r = requests.get(server.url + "/", auth=requests_ntlm.HttpNtlmAuth(USER, "wrong"),
                         verify=False, timeout=TIMEOUT)
        check(r.status_code == 401, "wrong password is 401 (status %d)" % r.status_code)
        check(r.headers.get("X-NTLM-Reject") == "wrong_proof", "X-NTLM-Reject: wrong_proof")
    finally:
        check(server.stop() == 0, "server exits 0 on SIGTERM")


def httpntlm(spec):
    """One request through Node's httpntlm; returns its JSON result."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "httpntlm_client.js")
    p = subprocess.run(["node", script, json.dumps(spec)], capture_output=True, text=True,
                       timeout=TIMEOUT + 5)
    if p.returncode != 0 or not p.stdout.strip():
        return {"error": "node exited %d: %s" % (p.returncode, p.stderr.strip()[:300])}
    return json.loads(p.stdout)


def run_httpntlm(ntlmh, tls):
    domain, user = USER.split("\\")
    base = {"username": user, "password": PASSWORD, "domain": domain, "workstation": "POSTMAN1"}
    server = Server(ntlmh, ["--tls-self-signed"] if tls else [])
    try:
        r = httpntlm(dict(base, url=server.url + "/hello"))
        check(r.get("status") == 200, "httpntlm GET authenticates (%s)" % r.get("status", r))
        if r.get("status") == 200:
            j = json.loads(r["body"])
            check((j["user"], j["domain"], j["workstation"]) == ("alice", "CORP", "POSTMAN1"),
                  "user, domain and workstation echoed")
            check(j["response_kind"] == "ntlmv2", "httpntlm answers a target-info CHALLENGE "
                  "with NTLMv2 (got %s)" % j["response_kind"])
            # httpntlm 1.8 sends no MIC: recorded here so that a change shows.
            check(j["mic"]["present"] is False, "httpntlm sends no MIC")

        body = "name=J%C3%BCrgen+M%C3%BCller&city=Z%C3%BCrich+%26+Bern"
        r = httpntlm(dict(base, method="post", url=server.url + "/form", body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"}))
        check(r.get("status") == 200, "httpntlm POST authenticates (%s)" % r.get("status", r))
        if r.get("status") == 200:
            j = json.loads(r["body"])
            check(j["content_type"] == "application/x-www-form-urlencoded", "form content type")
            check(j["body_sha256"] == hashlib.sha256(body.encode()).hexdigest(),
                  "form body re-sent after the handshake (SHA-256)")

        r = httpntlm(dict(base, password="wrong", url=server.url + "/"))
        check(r.get("status") == 401, "wrong password is 401 (%s)" % r.get("status", r))
        check(r.get("headers", {}).get("x-ntlm-reject") == "wrong_proof",
              "X-NTLM-Reject: wrong_proof")
    finally:
        check(server.stop() == 0, "server exits 0 on SIGTERM")

    # A server that requires a MIC refuses httpntlm, and says why.
    strict = Server(ntlmh, ["--require-mic"] + (["--tls-self-signed"] if tls else []))
    try:
        r = httpntlm(dict(base, url=strict.url + "/"))
        check(r.get("status") == 401, "--require-mic refuses httpntlm (%s)" % r.get("status", r))
        check(r.get("headers", {}).get("x-ntlm-reject") == "mic_missing",
              "X-NTLM-Reject: mic_missing (got %s)" % r.get("headers", {}).get("x-ntlm-reject"))
    finally:
        check(strict.stop() == 0, "server exits 0 on SIGTERM")


def chromium(url, profile):
    """Loads |url| in headless Chromium; returns the text of the page (a JSON echo is shown
    in a <pre>), or "" when the page is empty. Background networking is off: the only
    connection is to |url|'s server on 127.0.0.1."""
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--disable-default-apps",
                        "--ignore-certificate-errors", "--user-data-dir=" + profile,
                        "--dump-dom", url],
                       capture_output=True, text=True, timeout=TIMEOUT + 25)
    start, end = p.stdout.find("<pre>"), p.stdout.find("</pre>")
    if start < 0 or end < start:
        return ""
    return html.unescape(p.stdout[start + len("<pre>"):end])


def run_chromium(ntlmh, tls):
    """Chromium's NTLM client (NTLMv2, MIC and, over TLS, channel bindings) against a server
    that requires the MIC and, over TLS, the bindings (--epa require)."""
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "serve.log")
        args = ["--require-mic", "--log", log]
        if tls:
            args += ["--tls-self-signed", "--epa", "require"]
        server = Server(ntlmh, args)
        domain, user = USER.split("\\")
        host = server.url.split("://", 1)[1]
        scheme = "https://" if tls else "http://"
        creds = urllib.parse.quote(domain + "\\" + user, safe="") + ":"
        try:
            page = chromium(scheme + creds + urllib.parse.quote(PASSWORD, safe="") + "@" + host +
                            "/chromium", os.path.join(d, "profile"))
            try:
                j = json.loads(page)
            except ValueError:
                j = {}
            check(j.get("user") == "alice" and j.get("domain") == "CORP",
                  "chromium GET authenticates (page %r)" % page[:200])
            if j:
                check(j["response_kind"] == "ntlmv2", "chromium sends NTLMv2")
                check(j["mic"] == {"present": True, "valid": True}, "chromium sends a valid MIC")
                check(j["channel_bindings"] == {"present": tls, "valid": tls},
                      "channel bindings %s" % ("match the certificate" if tls else "absent"))
                # Chromium names the port in its SPN: recorded so that a change shows.
                check(j["spn"] == "HTTP/" + host, "SPN %r" % j["spn"])
                check(j["path"] == "/chromium", "path echoed")
            page = chromium(scheme + creds + "wrong@" + host + "/", os.path.join(d, "profile2"))
            check(page == "", "wrong password: no echo (page %r)" % page[:200])
        finally:
            check(server.stop() == 0, "server exits 0 on SIGTERM")
        outcomes = []
        with open(log) as f:
            for line in f:
                rec = json.loads(line)
                outcomes.append((rec["outcome"], rec["reason"]))
        check(("accepted", "none") in outcomes and ("rejected", "wrong_proof") in outcomes,
              "the log grades one accepted and one wrong_proof handshake (%r)" % outcomes)
        with open(log) as f:
            text = f.read()
        check(PASSWORD not in text and "wrong" not in text.replace("wrong_proof", ""),
              "no password in the log")


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def run_wget(ntlmh, tls):
    """GNU wget 1.21's NTLM: a NEGOTIATE with OEM | NTLM, then NTLMv1 (no ESS, no MIC) in an
    AUTHENTICATE whose flags say UNICODE while its strings are OEM bytes. The server reads the
    strings in the character set of its CHALLENGE; LmCompatibilityLevel 5 (the default)
    refuses NTLMv1, level 3 takes it."""
    def wget(url, password):
        p = subprocess.run(["wget", "-q", "-O", "-", "--tries=1", "--timeout=%d" % TIMEOUT,
                            "--no-check-certificate", "--user", USER, "--password", password,
                            url], capture_output=True, text=True, timeout=TIMEOUT + 5)
        return p.returncode, p.stdout

    tls_args = ["--tls-self-signed"] if tls else []
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "strict.log")
        server = Server(ntlmh, tls_args + ["--log", log])
        try:
            code, _ = wget(server.url + "/wget", PASSWORD)
            check(code == 6, "wget refused under LmCompatibilityLevel 5 (exit %d, 6 = auth)" % code)
        finally:
            check(server.stop() == 0, "server exits 0 on SIGTERM")
        graded = [(r["outcome"], r["reason"], r["user"], r["domain"]) for r in read_log(log)]
        check(graded == [("rejected", "ntlmv1_refused", "alice", "CORP")],
              "the log grades wget's NTLMv1 refused, names read as OEM (%r)" % graded)

        log = os.path.join(d, "level3.log")
        server = Server(ntlmh, tls_args + ["--lm-compat", "3", "--log", log])
        try:
            code, body = wget(server.url + "/wget", PASSWORD)
            check(code == 0, "wget authenticates under LmCompatibilityLevel 3 (exit %d)" % code)
            if code == 0:
                j = json.loads(body)
                check((j["user"], j["domain"], j["workstation"], j["response_kind"]) ==
                      ("alice", "CORP", "", "ntlmv1"), "echo of wget's NTLMv1 (%r)" % j)
                check(j["mic"] == {"present": False, "valid": False}, "wget sends no MIC")
            code, _ = wget(server.url + "/wget", "wrong")
            check(code == 6, "wget with a wrong password is refused (exit %d)" % code)
        finally:
            check(server.stop() == 0, "server exits 0 on SIGTERM")
        graded = [(r["outcome"], r["reason"]) for r in read_log(log)]
        check(graded == [("accepted", "none"), ("rejected", "wrong_proof")],
              "the log grades one accepted and one wrong_proof handshake (%r)" % graded)


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("curl", "requests", "httpntlm", "chromium",
                                                 "wget") or \
            sys.argv[3] not in ("http", "https"):
        print(__doc__)
        return 2
    ntlmh, peer, tls = sys.argv[1], sys.argv[2], sys.argv[3] == "https"
    started = time.monotonic()
    if peer == "curl":
        run_curl(ntlmh, tls)
    elif peer == "httpntlm":
        run_httpntlm(ntlmh, tls)
    elif peer == "chromium":
        run_chromium(ntlmh, tls)
    elif peer == "wget":
        run_wget(ntlmh, tls)
    else:
        run_requests(ntlmh, tls)
    print("%d failure(s) in %.1f s" % (len(failures), time.monotonic() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
