#!/usr/bin/env bash
# Builds ntlmh_bench in a Release tree (build-bench), runs it with repetitions in random
# interleaving, pinned to one core when taskset is there, and prints each benchmark as a ratio
# to its OpenSSL baseline and to its floor (bench/report.py). Issue #8.
#
#   bench/run.sh                      # every benchmark, 5 repetitions
#   bench/run.sh 'NtHash|Compress'    # a filter (a regular expression on the names)
#   REPS=10 MIN_TIME=0.2 CPU=1 JOBS=2 bench/run.sh
#   bench/run.sh --markdown           # the table as in bench/README.md
#
# The raw results stay in build-bench/bench-result.json.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.1}  # seconds per repetition (Google Benchmark 1.7 takes a number)
JOBS=${JOBS:-2}

FILTER="."
FORMAT=""
for a in "$@"; do
  case "$a" in
    --markdown) FORMAT="--markdown" ;;
    *) FILTER="$a" ;;
  esac
done

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNTLMH_BUILD_TESTS=OFF \
  -DNTLMH_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD" -j"$JOBS" ntlmh_bench >/dev/null

# Pin to one core (the last one unless CPU says otherwise) where taskset is available.
PIN=()
if command -v taskset >/dev/null 2>&1; then
  CPU=${CPU:-$(($(nproc) - 1))}
  PIN=(taskset -c "$CPU")
  echo "pinned to CPU $CPU" >&2
else
  echo "taskset not found: not pinned" >&2
fi

OUT="$BUILD/bench-result.json"
"${PIN[@]}" "$BUILD/bench/ntlmh_bench" \
  --benchmark_filter="$FILTER" \
  --benchmark_repetitions="$REPS" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="$MIN_TIME" \
  --benchmark_report_aggregates_only=false \
  --benchmark_out="$OUT" --benchmark_out_format=json >/dev/null

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime | sed 's/.*load average/load average/')" >&2
python3 "$ROOT/bench/report.py" "$OUT" $FORMAT
