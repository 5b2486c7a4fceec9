#!/usr/bin/env bash
# Builds the fuzz targets with clang in build-fuzz/ and runs them with libFuzzer, ASan and UBSan.
#
# Usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_FLAG...]
#        fuzz/run.sh all SECONDS [LIBFUZZER_FLAG...]      (each target for SECONDS, in turn)
#
# Each target's seeds (fuzz/corpus/TARGET/) and saved crashes (fuzz/regressions/TARGET/) are
# copied into fuzz/out/TARGET/corpus/, which libFuzzer then grows (fuzz/out/ is git-ignored, and
# kept between runs); the seed directories are never written. Every run uses the target's
# dictionary (fuzz/dict/TARGET.dict) and max_len (fuzz/options/TARGET.options), one process,
# -rss_limit_mb=2048 and -timeout=10. A finding (crash, sanitizer report, oracle failure, leak,
# timeout, out-of-memory) leaves its reproducer in fuzz/out/TARGET/ and prints one line:
#   FINDING TARGET: <what> reproducer: <file> log: <file>
# Exit status: 0 when every target ran clean, 1 on any finding, 2 on a usage or build error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
build="$root/build-fuzz"

usage() {
  echo "usage: fuzz/run.sh TARGET|all SECONDS [LIBFUZZER_FLAG...]" >&2
  echo "targets: $(all_targets | tr '\n' ' ')" >&2
  exit 2
}

# The target names listed in fuzz/targets.cmake.
all_targets() {
  sed -n '/^set(NTLMH_FUZZ_TARGETS/,/)/p' "$fuzz/targets.cmake" |
    sed -e 's/set(NTLMH_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \t' '\n\n' | sed '/^$/d'
}

[[ $# -ge 2 ]] || usage
what=$1
seconds=$2
shift 2
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
if [[ "$what" == all ]]; then
  mapfile -t targets < <(all_targets)
else
  all_targets | grep -qx "$what" || usage
  targets=("$what")
fi

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DNTLMH_FUZZ=ON \
  -DNTLMH_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build_targets=()
for t in "${targets[@]}"; do
  build_targets+=("${t}_fuzzer")
done
if ! cmake --build "$build" -j 2 --target "${build_targets[@]}"; then
  echo "fuzz/run.sh: the build failed" >&2
  exit 2
fi

# libFuzzer reports through the sanitizers: make every report fatal and symbolized.
asan="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-$asan:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

findings=0
for t in "${targets[@]}"; do
  out="$fuzz/out/$t"
  mkdir -p "$out/corpus"
  for seeds in "$fuzz/corpus/$t" "$fuzz/regressions/$t"; do
    if [[ -d "$seeds" ]]; then
      find "$seeds" -maxdepth 1 -type f ! -name '.*' -exec cp -n -t "$out/corpus" {} +
    fi
  done
  max_len=$(sed -n 's/^max_len *= *\([0-9]*\).*/\1/p' "$fuzz/options/$t.options")
  log="$out/fuzz.log"
  # Reproducers of earlier runs stay; a new one is any artifact this run writes.
  stamp="$out/.run-started"
  touch "$stamp"
  echo "== fuzz $t: ${seconds}s, max_len ${max_len}, log ${log#$root/}"
  set +e
  "$build/fuzz/${t}_fuzzer" "$out/corpus" \
    -dict="$fuzz/dict/$t.dict" -max_len="$max_len" -max_total_time="$seconds" \
    -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$out/" \
    "$@" >"$log" 2>&1
  rc=$?
  set -e
  reproducer=$(find "$out" -maxdepth 1 -type f -newer "$stamp" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \
       -o -name 'slow-unit-*' \) | head -n 1)
  if [[ $rc -ne 0 || -n "$reproducer" ]]; then
    findings=$((findings + 1))
    # The first line that says what happened: an oracle, a sanitizer or libFuzzer itself.
    pattern='==ntlm-fuzz== ORACLE FAILURE|^SUMMARY: |runtime error:'
    what_line=$(grep -m1 -E "$pattern|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)" \
      "$log" || true)
    echo "FINDING $t: ${what_line:-exit status $rc} reproducer: ${reproducer#$root/}" \
      "log: ${log#$root/}"
  else
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
    echo "ok $t: ${runs:-?} runs, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?} inputs"
  fi
  rm -f "$stamp"
done

if [[ $findings -ne 0 ]]; then
  echo "fuzz/run.sh: $findings target(s) with findings" >&2
  exit 1
fi
