#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages ntlm-harness needs, and only those missing.
# A no-op (no apt-get call at all) when everything is present. Nothing else is downloaded.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev
  libcxxopts-dev nlohmann-json3-dev libboost-dev
  curl python3 python3-requests-ntlm
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
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
