#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh outside Docker exactly as OSS-Fuzz and ClusterFuzzLite would, with
# their variables (CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, SRC, OUT, WORK) pointing into a
# temporary directory, and checks that $OUT then holds, for every target of fuzz/targets.cmake,
# the fuzzer binary, its seed corpus zip (with every seed and regression in it), its dictionary
# and its options; and that each binary runs its own seed corpus clean.
# Compiles the engine once with clang (a few minutes on 2 cores): ctest runs it only with
# `-L slow` (tests/CMakeLists.txt), not in scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src" "$tmp/out" "$tmp/work"
ln -s "$root" "$tmp/src/ntlm-harness"
export CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export SRC="$tmp/src" OUT="$tmp/out" WORK="$tmp/work"
export NTLMH_JOBS=2
# Nothing of the caller's own environment may steer the build.
unset NTLMH_SRC

if ! "$root/fuzz/oss-fuzz/build.sh" >"$tmp/build.log" 2>&1; then
  tail -n 40 "$tmp/build.log" >&2
  echo "FAIL: fuzz/oss-fuzz/build.sh failed" >&2
  exit 1
fi

# unzip when installed (scripts/setup.sh does not install it), else Python's zipfile.
zip_count() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -Z1 "$1" 2>/dev/null | wc -l
  else
    python3 -c 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' \
      "$1" 2>/dev/null || echo 0
  fi
}
zip_extract() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" -d "$2"
  else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  fi
}

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
targets=$(sed -n '/^set(NTLMH_FUZZ_TARGETS/,/)/p' "$root/fuzz/targets.cmake" |
  sed -e 's/set(NTLMH_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \t' '\n\n' | sed '/^$/d')
[[ -n "$targets" ]] || fail "no targets in fuzz/targets.cmake"
for t in $targets; do
  bin="$OUT/${t}_fuzzer"
  [[ -x "$bin" ]] || fail "$t: no executable ${t}_fuzzer"
  cmp -s "$OUT/${t}_fuzzer.dict" "$root/fuzz/dict/$t.dict" || fail "$t: dict missing or different"
  grep -q '^max_len = [0-9]' "$OUT/${t}_fuzzer.options" 2>/dev/null ||
    fail "$t: options missing or without max_len"
  zip_file="$OUT/${t}_fuzzer_seed_corpus.zip"
  want=$(find "$root/fuzz/corpus/$t" "$root/fuzz/regressions/$t" -maxdepth 1 -type f \
    ! -name '.*' | wc -l)
  got=$(zip_count "$zip_file")
  [[ "$want" -gt 0 && "$got" -eq "$want" ]] ||
    fail "$t: seed corpus zip has $got files, want $want"
  if [[ -x "$bin" && -f "$zip_file" ]]; then
    mkdir -p "$tmp/seeds/$t"
    zip_extract "$zip_file" "$tmp/seeds/$t"
    "$bin" -runs=0 "$tmp/seeds/$t" >"$tmp/$t.run.log" 2>&1 ||
      fail "$t: the binary does not run its seed corpus clean (see below)
$(tail -n 20 "$tmp/$t.run.log")"
  fi
done

if [[ $failures -ne 0 ]]; then
  exit 1
fi
echo "oss-fuzz build: $(echo "$targets" | wc -l) targets with binary, seed zip, dict and options"
