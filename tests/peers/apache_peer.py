#!/usr/bin/python3
"""A real NTLM server for tests: Apache 2.4 + mod_auth_gssapi + gss-ntlmssp on 127.0.0.1.

Usage:
  apache_peer.py start DIR [--user DOMAIN:user:password]... [--computer NAME] [--domain NAME]
      Writes DIR/httpd.conf (from the template below), DIR/ntlm_users (NTLM_USER_FILE), the
      CGI DIR/cgi/whoami and DIR/htdocs/, picks two free ports on 127.0.0.1, starts apache2 as a
      daemon and waits (at most 15 s) until it answers. Prints two lines on stdout:
        http://127.0.0.1:PORT          the server (base URL)
        http://127.0.0.1:PORT2         the forward proxy that wants NTLM (407)
      and writes them to DIR/urls.json as {"base": ..., "proxy": ..., "pid": ...}.
      Default account: CORP:alice:Secret1! (several --user are fine).
  apache_peer.py stop DIR
      Stops the apache2 started in DIR by the PID in DIR/run/httpd.pid (SIGTERM, then SIGKILL
      after 10 s). Does nothing when it is not running.

Paths it serves:
  /whoami, /private/...   NTLM (the NTLM scheme and Negotiate: raw NTLMSSP or SPNEGO), one
                          connection per handshake (GssapiConnectionBound On).
  /whoami                 a CGI answering JSON: {"user", "method", "content_type",
                          "body_length", "body_sha256"} (user is REMOTE_USER, e.g. alice@CORP).
  /index.html             no authentication.
  /nocb/                  NTLM without GssapiConnectionBound (NTLM is then not offered).
  proxy URL               ProxyRequests On with NTLM proxy authentication (407).

Needs the Debian packages apache2, libapache2-mod-auth-gssapi and gss-ntlmssp
(scripts/setup.sh installs them). As root, workers run as www-data, so DIR and the user file
are made readable by it. Exit status: 0 ok, 2 usage or start failure.
"""
import grp
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

TEMPLATE = """# Written by tests/peers/apache_peer.py: a throwaway NTLM server on loopback.
ServerRoot "@ROOT@"
ServerName 127.0.0.1
Listen 127.0.0.1:@PORT@
Listen 127.0.0.1:@PROXY_PORT@
PidFile "@ROOT@/run/httpd.pid"
DefaultRuntimeDir "@ROOT@/run"
Mutex file:@ROOT@/run default
@USER_LINES@
LoadModule mpm_prefork_module @MODULES@/mod_mpm_prefork.so
LoadModule authn_core_module @MODULES@/mod_authn_core.so
LoadModule authz_core_module @MODULES@/mod_authz_core.so
LoadModule authz_user_module @MODULES@/mod_authz_user.so
LoadModule mime_module @MODULES@/mod_mime.so
LoadModule dir_module @MODULES@/mod_dir.so
LoadModule alias_module @MODULES@/mod_alias.so
LoadModule cgi_module @MODULES@/mod_cgi.so
LoadModule auth_gssapi_module @MODULES@/mod_auth_gssapi.so
LoadModule proxy_module @MODULES@/mod_proxy.so
LoadModule proxy_http_module @MODULES@/mod_proxy_http.so
StartServers 2
MinSpareServers 1
MaxSpareServers 4
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 15
Timeout 30
ErrorLog "@ROOT@/logs/error.log"
LogLevel warn auth_gssapi:debug
LogFormat "%h %u \\"%r\\" %>s conn=%{c}L ka=%k" ntlm
CustomLog "@ROOT@/logs/access.log" ntlm
TypesConfig /etc/mime.types
DocumentRoot "@ROOT@/htdocs"
DirectoryIndex index.html
<Directory />
  Require all granted
</Directory>
ScriptAlias /whoami "@ROOT@/cgi/whoami"
<LocationMatch "^/(private|whoami)">
  AuthType GSSAPI
  AuthName "ntlm-harness peer"
  GssapiAllowedMech ntlmssp
  GssapiConnectionBound On
  GssapiPublishMech On
  Require valid-user
</LocationMatch>
Alias /nocb "@ROOT@/htdocs/private"
<Location /nocb>
  AuthType GSSAPI
  AuthName "ntlm-harness peer (not connection-bound)"
  GssapiAllowedMech ntlmssp
  Require valid-user
</Location>
<VirtualHost 127.0.0.1:@PROXY_PORT@>
  ProxyRequests On
  <Proxy "*">
    AuthType GSSAPI
    AuthName "ntlm-harness peer proxy"
    GssapiAllowedMech ntlmssp
    GssapiConnectionBound On
    Require valid-user
  </Proxy>
</VirtualHost>
"""

WHOAMI = """#!/usr/bin/python3
import hashlib, json, os, sys
n = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(n) if n > 0 else b""
out = {"user": os.environ.get("REMOTE_USER", ""),
       "method": os.environ.get("REQUEST_METHOD", ""),
       "content_type": os.environ.get("CONTENT_TYPE", ""),
       "body_length": len(body),
       "body_sha256": hashlib.sha256(body).hexdigest()}
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n" + json.dumps(out, sort_keys=True))
"""

MODULES = "/usr/lib/apache2/modules"
APACHE = "/usr/sbin/apache2"


def fail(msg):
    print("apache_peer: " + msg, file=sys.stderr)
    sys.exit(2)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


def read_pid(root):
    try:
        with open(os.path.join(root, "run", "httpd.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def start(root, users, computer, domain):
    for path in (APACHE, MODULES + "/mod_auth_gssapi.so"):
        if not os.path.exists(path):
            fail(path + " is missing: install apache2 libapache2-mod-auth-gssapi gss-ntlmssp "
                 "(scripts/setup.sh)")
    root = os.path.abspath(root)
    pid = read_pid(root)
    if pid is not None and alive(pid):
        fail("already running in " + root + " (pid %d)" % pid)
    for sub in ("run", "logs", "htdocs/private", "cgi"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    port, proxy_port = free_port(), free_port()
    while proxy_port == port:
        proxy_port = free_port()

    as_root = os.geteuid() == 0
    user_lines = "User www-data\nGroup www-data" if as_root else ""
    conf = (TEMPLATE.replace("@ROOT@", root).replace("@PORT@", str(port))
            .replace("@PROXY_PORT@", str(proxy_port)).replace("@MODULES@", MODULES)
            .replace("@USER_LINES@", user_lines))
    with open(os.path.join(root, "httpd.conf"), "w") as f:
        f.write(conf)
    with open(os.path.join(root, "htdocs", "index.html"), "w") as f:
        f.write("open\n")
    with open(os.path.join(root, "htdocs", "private", "index.html"), "w") as f:
        f.write("private\n")
    cgi = os.path.join(root, "cgi", "whoami")
    with open(cgi, "w") as f:
        f.write(WHOAMI)
    os.chmod(cgi, 0o755)
    user_file = os.path.join(root, "ntlm_users")
    with open(user_file, "w") as f:
        f.write("".join(u + "\n" for u in users))
    os.chmod(root, 0o755)
    for sub in ("htdocs", "htdocs/private", "cgi"):
        os.chmod(os.path.join(root, sub), 0o755)
    if as_root:
        gid = grp.getgrnam("www-data").gr_gid
        os.chown(user_file, 0, gid)
        os.chmod(user_file, 0o640)
        shutil.chown(os.path.join(root, "logs"), "www-data", "www-data")
    else:
        os.chmod(user_file, 0o600)

    env = dict(os.environ, NTLM_USER_FILE=user_file, NETBIOS_COMPUTER_NAME=computer,
               NETBIOS_DOMAIN_NAME=domain)
    run = subprocess.run([APACHE, "-f", os.path.join(root, "httpd.conf"), "-k", "start"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=30)
    if run.returncode != 0:
        fail("apache2 did not start: " + run.stdout.strip())
    deadline = time.monotonic() + 15
    while not answers(port):
        if time.monotonic() > deadline:
            stop(root)
            fail("apache2 does not answer on 127.0.0.1:%d (see %s/logs/error.log)" % (port, root))
        time.sleep(0.1)
    base = "http://127.0.0.1:%d" % port
    proxy = "http://127.0.0.1:%d" % proxy_port
    with open(os.path.join(root, "urls.json"), "w") as f:
        json.dump({"base": base, "proxy": proxy, "pid": read_pid(root)}, f)
    print(base)
    print(proxy)
    sys.stdout.flush()


def stop(root):
    pid = read_pid(os.path.abspath(root))
    if pid is None or not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop"):
        fail("usage: apache_peer.py start DIR [--user D:u:p]... [--computer N] [--domain N] "
             "| stop DIR")
    if argv[1] == "stop":
        if len(argv) != 3:
            fail("usage: apache_peer.py stop DIR")
        stop(argv[2])
        return
    users, computer, domain = [], "PEERHOST", "CORP"
    rest = argv[3:]
    while rest:
        if len(rest) < 2 or rest[0] not in ("--user", "--computer", "--domain"):
            fail("unexpected argument " + repr(rest[0]))
        if rest[0] == "--user":
            if rest[1].count(":") < 2:
                fail("--user wants DOMAIN:user:password")
            users.append(rest[1])
        elif rest[0] == "--computer":
            computer = rest[1]
        else:
            domain = rest[1]
        rest = rest[2:]
    start(argv[2], users or ["CORP:alice:Secret1!"], computer, domain)


if __name__ == "__main__":
    main(sys.argv)
