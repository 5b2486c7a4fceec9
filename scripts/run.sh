#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs ntlmh. Arguments are passed to ntlmh;
# without any it runs the shipped [MS-NLMP] 4.2 and RFC vectors through `ntlmh vectors`.
# (When the probe of issue #6 lands, the default becomes a probe of the built-in mock server.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" release >&2
if [[ $# -eq 0 ]]; then
  set -- vectors
fi
exec "$root/build/ntlmh" "$@"
