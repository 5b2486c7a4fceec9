#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages ntlm-harness needs, and only those missing.
# A no-op (no apt-get call at all) when everything is present. The one other download: Node's
# httpntlm (the NTLM library of Postman) for the interop tests, from the npm registry, pinned by
# tests/peers/node/package-lock.json, into tests/peers/node/node_modules (git-ignored).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev
  libcxxopts-dev nlohmann-json3-dev libboost-dev
  curl wget python3 python3-requests-ntlm python3-impacket
  apache2 libapache2-mod-auth-gssapi gss-ntlmssp
  valgrind
  libpcap-dev
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

# Node.js and npm: Debian's nodejs and npm, unless a node with its own npm is there already.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

node_peers() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/peers/node"
  if [[ ! -f "$dir/node_modules/httpntlm/package.json" ]]; then
    echo "setup: npm ci in tests/peers/node (httpntlm)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
  node_peers
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
node_peers
