#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs ntlmh. Arguments are passed to ntlmh;
# without any it runs `ntlmh probe`, which starts the built-in mock server on a free 127.0.0.1
# port in its own process, probes it, prints the report and stops it (a few seconds at most).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" release >&2
if [[ $# -eq 0 ]]; then
  set -- probe
fi
exec "$root/build/ntlmh" "$@"
