#!/usr/bin/env bash
# Source-line coverage of the fuzz corpora (issue #7): builds every target with clang's
# source-based coverage (-fprofile-instr-generate -fcoverage-mapping, no sanitizers) in
# build-fuzz-cov/, runs each once over its corpora without fuzzing (-runs=0), merges the
# profiles and prints `llvm-cov report` for engine/ and mock_server/auth_gate.cc.
#
# Usage: fuzz/coverage.sh [TARGET...]      (default: every target of fuzz/targets.cmake)
# The corpora replayed per target: fuzz/corpus/T/, fuzz/regressions/T/ and, when a run of
# fuzz/run.sh left one, the grown fuzz/out/T/corpus/. Output: the report on stdout, the merged
# profile in build-fuzz-cov/merged.profdata (for `llvm-cov show`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
build="$root/build-fuzz-cov"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(sed -n '/^set(NTLMH_FUZZ_TARGETS/,/)/p' "$fuzz/targets.cmake" |
    sed -e 's/set(NTLMH_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \t' '\n\n' | sed '/^$/d')
fi

"$root/scripts/setup.sh"
cov_flags="-fprofile-instr-generate;-fcoverage-mapping;-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
# The standalone fuzz project (as OSS-Fuzz builds it), linked with libFuzzer only for its main:
# -runs=0 executes each corpus file once and stops.
cmake -S "$fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNTLMH_FUZZ_COMPILE_FLAGS="$cov_flags" \
  -DNTLMH_FUZZ_LINK_FLAGS="-fsanitize=fuzzer -fprofile-instr-generate" >/dev/null
build_targets=()
for t in "${targets[@]}"; do
  build_targets+=("${t}_fuzzer")
done
cmake --build "$build" -j 2 --target "${build_targets[@]}" >/dev/null

rm -rf "$build/profiles"
mkdir -p "$build/profiles"
objects=()
for t in "${targets[@]}"; do
  dirs=()
  for d in "$fuzz/corpus/$t" "$fuzz/regressions/$t" "$fuzz/out/$t/corpus"; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  LLVM_PROFILE_FILE="$build/profiles/$t.profraw" \
    "$build/${t}_fuzzer" -runs=0 "${dirs[@]}" >"$build/profiles/$t.log" 2>&1 ||
    { echo "fuzz/coverage.sh: $t failed on its corpus, see $build/profiles/$t.log" >&2; exit 1; }
  objects+=(-object "$build/${t}_fuzzer")
done
llvm-profdata merge -sparse "$build"/profiles/*.profraw -o "$build/merged.profdata"
# The first object is the positional binary; the others follow with -object.
llvm-cov report "${objects[@]:1}" -instr-profile="$build/merged.profdata" \
  "$root/engine" "$root/mock_server/auth_gate.cc" \
  -ignore-filename-regex='_test\.cc$'
