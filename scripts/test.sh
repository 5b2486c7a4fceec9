#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the release tree and the ASan+UBSan tree,
# and runs the whole GoogleTest suite (through ctest) in both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$root/scripts/build.sh" release
"$root/scripts/build.sh" asan

echo "== tests (release build) =="
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"
echo "== tests (ASan + UBSan build) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"
echo "== fuzz (every target 30 s, clang, ASan + UBSan; fuzz/README.md) =="
"$root/fuzz/run.sh" all 30
