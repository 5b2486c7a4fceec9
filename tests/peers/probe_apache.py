#!/usr/bin/python3
"""`ntlmh probe` against Apache 2.4 + mod_auth_gssapi + gss-ntlmssp on 127.0.0.1 (issue #6).

Usage: probe_apache.py NTLMH

The Apache peer is started (on free 127.0.0.1 ports, account CORP\\alice) and stopped by
tests/peers/apache_peer.py, the peer harness of issue #5; the probe targets its /whoami.

What the report must say about that server (shared/peers/README.md, checked by hand):
  - negotiate.minimal_accepted FAILS: gss-ntlmssp refuses a NEGOTIATE shorter than 40 bytes,
    which [MS-NLMP] 2.2.1.1 allows (curl --ntlm sends it);
  - negotiate.version_accepted, http.offers_ntlm, auth.ntlmv2_accepted pass;
  - the CHALLENGE is well formed, with NbComputerName, NbDomainName, EOL and a timestamp;
  - info.server names the NetBIOS domain the peer announces.
The whole report is printed for a person to read.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "apache_peer.py")
DOMAIN, USER, PASSWORD, COMPUTER = "CORP", "alice", "Secret1!", "WEB01"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: probe_apache.py NTLMH")
    ntlmh = sys.argv[1]
    failures = []
    root = tempfile.mkdtemp(prefix="ntlmh-probe-apache-")
    started = subprocess.run([sys.executable, PEER, "start", root, "--user",
                              "%s:%s:%s" % (DOMAIN, USER, PASSWORD), "--computer", COMPUTER,
                              "--domain", DOMAIN],
                             capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        print("FAIL apache_peer.py start: " + started.stderr.strip(), file=sys.stderr)
        return 1
    base = started.stdout.split()[0]
    try:
        env = dict(os.environ, NTLM_PASSWORD=PASSWORD)
        proc = subprocess.run([ntlmh, "probe", base + "/whoami", "-u", DOMAIN + "\\" + USER,
                               "--format", "json"],
                              capture_output=True, text=True, timeout=120, env=env)
    finally:
        subprocess.run([sys.executable, PEER, "stop", root], timeout=30)
    print(proc.stderr, file=sys.stderr)
    print(proc.stdout)
    report = json.loads(proc.stdout)
    results = {c["id"]: c for c in report["checks"]}

    def expect(check_id, result):
        got = results[check_id]["result"]
        if got != result:
            failures.append("%s: %s, expected %s (%s)" %
                            (check_id, got, result, results[check_id]["evidence"]))

    expect("http.offers_ntlm", "pass")
    expect("negotiate.version_accepted", "pass")
    expect("negotiate.minimal_accepted", "fail")
    expect("auth.ntlmv2_accepted", "pass")
    expect("challenge.well_formed", "pass")
    expect("challenge.target_info", "pass")
    expect("challenge.timestamp_present", "pass")
    expect("info.server", "info")
    # What gss-ntlmssp 1.2 does beyond that, as the probe found it and as checked by hand
    # (docs/probe.md, "Against a real server").
    expect("auth.mic_verified", "pass")
    expect("auth.mic_dropped_rejected", "pass")
    expect("auth.connection_bound", "pass")
    expect("auth.replay_rejected", "pass")
    expect("policy.ntlmv1_refused", "fail")
    if ('NetBIOS domain "%s"' % DOMAIN) not in results["info.server"]["evidence"]:
        failures.append("info.server does not name the domain: " +
                        results["info.server"]["evidence"])
    if "32-byte NEGOTIATE" not in results["negotiate.minimal_accepted"]["evidence"]:
        failures.append("negotiate.minimal_accepted evidence: " +
                        results["negotiate.minimal_accepted"]["evidence"])
    if proc.returncode != 1:
        failures.append("exit status %d, expected 1 (a check fails)" % proc.returncode)
    if PASSWORD in proc.stdout or PASSWORD in proc.stderr:
        failures.append("the password appears in the output")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
