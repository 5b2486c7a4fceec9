#!/usr/bin/python3
"""The side-by-side handshake load of issue #8 (bench/README.md, "Handshake throughput"):
`ntlmh serve` and Apache + mod_auth_gssapi + gss-ntlmssp (tests/peers/apache_peer.py), each on
a free 127.0.0.1 port, under the same `ntlmh load` (new connection per handshake), then the
memory of `ntlmh serve` per idle connection. Everything runs on loopback and stops by itself;
every server started here is stopped by its PID.

Usage: bench/load_compare.py [--ntlmh PATH] [--seconds S] [--connections C] [--idle N]
                             [--serve-threads T] [--load-threads T] [--skip-apache] [--pin]

--pin runs each server on CPU 1 and the load on CPU 0 (taskset; a prefork Apache's children
inherit it), so that client and server do not take CPU from each other. Also measured:
`ntlmh serve` under `ntlmh load --rehandshake` (every handshake on a kept connection; Apache's
mod_auth_gssapi refuses a second handshake on a connection, so it has no such row).
Prints one JSON object on stdout (the figures) and a table on stderr. Exit 0, or 2 when a
server does not start.
"""
import argparse
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEER = os.path.join(ROOT, "tests", "peers", "apache_peer.py")
USER = "CORP\\alice"
PASSWORD = "Secret1!"
# A NEGOTIATE with the VERSION field ([MS-NLMP] 2.2.1.1), for the mid-handshake connections.
NEGOTIATE_B64 = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKALpHAAAADw=="


def fail(msg):
    print("load_compare: " + msg, file=sys.stderr)
    sys.exit(2)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pids):
    """(user, system) CPU of |pids| so far, in clock ticks (/proc/PID/stat fields 14, 15)."""
    user = system = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except (OSError, IndexError, ValueError):
            pass  # a worker that exited meanwhile
    return user, system


def pinned(cpu, argv):
    """|argv| run on CPU |cpu| only, when pinning is asked for (cpu is not None)."""
    return argv if cpu is None else ["taskset", "-c", str(cpu)] + argv


def apache_pids(root):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if (root + "/httpd.conf").encode() in f.read():
                        out.append(int(entry))
            except OSError:
                pass
    return out


def start_serve(ntlmh, threads, cpu=None):
    proc = subprocess.Popen(pinned(cpu, [ntlmh, "serve", "--listen", "127.0.0.1:0", "--threads",
                                         str(threads), "--user", USER + ":" + PASSWORD]),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (\S+)", line)
    if not m:
        proc.kill()
        proc.wait()
        fail("ntlmh serve did not start: %r" % line)
    return proc, m.group(1)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def load(ntlmh, url, seconds, connections, threads, server_pids=None, cpu=None, extra=()):
    """Runs `ntlmh load`; with |server_pids| (a function giving the server's PIDs), also the
    CPU time per handshake of the server and of the client, in microseconds, and the share of
    each spent in the kernel."""
    env = dict(os.environ, NTLM_PASSWORD=PASSWORD)
    hz = os.sysconf("SC_CLK_TCK")
    pids = server_pids() if server_pids else []
    server_before = cpu_ticks(pids)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_before = (usage.ru_utime, usage.ru_stime)
    run = subprocess.run(pinned(cpu, [ntlmh, "load", url, "-u", USER, "-c", str(connections),
                                      "-d", str(seconds), "--threads", str(threads), "--json"] +
                                list(extra)),
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=seconds + 120)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_user = usage.ru_utime - client_before[0]
    client_system = usage.ru_stime - client_before[1]
    client_cpu = client_user + client_system
    server_after = cpu_ticks(server_pids() if server_pids else [])
    server_user = (server_after[0] - server_before[0]) / hz
    server_system = (server_after[1] - server_before[1]) / hz
    server_cpu = server_user + server_system
    try:
        report = json.loads(run.stdout)
    except ValueError:
        fail("ntlmh load printed no JSON (exit %d): %s" % (run.returncode, run.stderr.strip()))
    n = report["handshakes"]
    if server_pids and n > 0:
        report["server_cpu_us_per_handshake"] = round(server_cpu * 1e6 / n, 1)
        report["client_cpu_us_per_handshake"] = round(client_cpu * 1e6 / n, 1)
        if server_cpu > 0:
            report["server_kernel_share"] = round(server_system / server_cpu, 2)
        if client_cpu > 0:
            report["client_kernel_share"] = round(client_system / client_cpu, 2)
    return report


def idle_connections(port, n, mid_handshake):
    """Opens |n| connections to 127.0.0.1:port, each left idle after one exchange: with
    |mid_handshake| a NEGOTIATE answered by its CHALLENGE (the server keeps the pending
    handshake), else a request without credentials answered by the 401 offer."""
    auth = "Authorization: NTLM %s\r\n" % NEGOTIATE_B64 if mid_handshake else ""
    request = ("GET /idle HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % auth).encode()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(request)
        socks.append(s)
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                fail("the server closed an idle connection")
            data += chunk
        m = re.search(rb"Content-Length: (\d+)", data, re.I)
        body = data.split(b"\r\n\r\n", 1)[1]
        need = int(m.group(1)) if m else 0
        while len(body) < need:
            body += s.recv(65536)
        if not data.startswith(b"HTTP/1.1 401"):
            fail("expected a 401 on an idle connection, got %r" % data[:40])
    return socks


def memory_per_idle(ntlmh, n, threads):
    out = {}
    for mid in (False, True):
        proc, url = start_serve(ntlmh, threads)
        port = int(url.rsplit(":", 1)[1])
        try:
            warm = idle_connections(port, 8, mid)  # first-use allocations out of the figure
            time.sleep(0.5)
            before = rss_kib(proc.pid)
            socks = idle_connections(port, n, mid)
            time.sleep(1.0)
            after = rss_kib(proc.pid)
            for s in socks + warm:
                s.close()
        finally:
            stop(proc)
        key = "mid_handshake" if mid else "after_401_offer"
        out[key] = {"connections": n, "rss_before_kib": before, "rss_after_kib": after,
                    "bytes_per_connection": round((after - before) * 1024 / n)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ntlmh", default=os.path.join(ROOT, "build", "ntlmh"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--serve-threads", type=int, default=2)
    ap.add_argument("--load-threads", type=int, default=1)
    ap.add_argument("--skip-apache", action="store_true")
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 1, the load on CPU 0 (needs 2 CPUs)")
    a = ap.parse_args()
    server_cpu, client_cpu = (1, 0) if a.pin else (None, None)
    if a.pin and os.cpu_count() < 2:
        fail("--pin needs two CPUs")
    if not os.access(a.ntlmh, os.X_OK):
        fail(a.ntlmh + " is not an executable (--ntlmh PATH)")

    result = {"connections": a.connections, "seconds": a.seconds,
              "load_threads": a.load_threads, "serve_threads": a.serve_threads,
              "pinned": a.pin, "loadavg_before": loadavg()}

    proc, url = start_serve(a.ntlmh, a.serve_threads, server_cpu)
    try:
        load(a.ntlmh, url + "/", 1, a.connections, a.load_threads, cpu=client_cpu)  # warm-up
        result["serve"] = load(a.ntlmh, url + "/", a.seconds, a.connections, a.load_threads,
                               lambda: [proc.pid], client_cpu)
        result["serve_rehandshake"] = load(a.ntlmh, url + "/", a.seconds, a.connections,
                                           a.load_threads, lambda: [proc.pid], client_cpu,
                                           ["--rehandshake"])
    finally:
        stop(proc)

    if not a.skip_apache:
        root = tempfile.mkdtemp(prefix="ntlmh-load-apache-")
        started = subprocess.run(pinned(server_cpu, [sys.executable, PEER, "start", root]),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 timeout=60)
        if started.returncode != 0:
            fail("apache_peer.py start: " + started.stderr.strip())
        base = started.stdout.split()[0]
        try:
            # A static file behind NTLM (the /whoami CGI would measure Python's start-up).
            # The warm-up lets prefork spawn its processes.
            target = base + "/private/index.html"
            load(a.ntlmh, target, 3, a.connections, a.load_threads, cpu=client_cpu)
            result["apache"] = load(a.ntlmh, target, a.seconds, a.connections, a.load_threads,
                                    lambda: apache_pids(os.path.abspath(root)), client_cpu)
        finally:
            subprocess.run([sys.executable, PEER, "stop", root], timeout=60)

    result["loadavg_after"] = loadavg()
    result["idle_memory"] = memory_per_idle(a.ntlmh, a.idle, a.serve_threads)

    rows = [("server", "handshakes/s", "p50 ms", "p99 ms", "max ms", "handshakes", "errors",
             "server us/hs", "kernel", "client us/hs", "kernel")]
    for name in ("serve", "serve_rehandshake", "apache"):
        r = result.get(name)
        if r:
            rows.append((name, "%.0f" % r["handshakes_per_sec"], "%.2f" % r["latency_ms"]["p50"],
                         "%.2f" % r["latency_ms"]["p99"], "%.2f" % r["latency_ms"]["max"],
                         str(r["handshakes"]), json.dumps(r["errors"]),
                         str(r.get("server_cpu_us_per_handshake")),
                         str(r.get("server_kernel_share")),
                         str(r.get("client_cpu_us_per_handshake")),
                         str(r.get("client_kernel_share"))))
    for row in rows:
        print("  ".join(c.ljust(12) for c in row), file=sys.stderr)
    if "serve" in result and "apache" in result and result["apache"]["handshakes_per_sec"] > 0:
        result["ratio"] = round(result["serve"]["handshakes_per_sec"] /
                                result["apache"]["handshakes_per_sec"], 2)
        print("serve / apache: %.2fx" % result["ratio"], file=sys.stderr)
    for key, m in result["idle_memory"].items():
        print("idle %s: %d bytes per connection (%d connections)" %
              (key, m["bytes_per_connection"], m["connections"]), file=sys.stderr)
    print("load average before / after: %s / %s" % (result["loadavg_before"],
                                                   result["loadavg_after"]), file=sys.stderr)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
