#!/bin/bash -eu
# Builds the ntlm-harness fuzz targets the way OSS-Fuzz and ClusterFuzzLite expect (issue #7).
#
# It reads only the variables those builders set: CC, CXX, CFLAGS, CXXFLAGS (with the sanitizer
# and -fsanitize=fuzzer-no-link), LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer), SRC, OUT, and
# optionally WORK. It runs unchanged outside Docker with the same variables set by hand, which
# tests/oss_fuzz_build_test.sh does. The project is $SRC/ntlm-harness unless NTLMH_SRC says
# otherwise; NTLMH_JOBS caps the parallel compile jobs (default: nproc).
#
# fuzz/ is built as a CMake project of its own (`cmake -S fuzz`): it needs clang and OpenSSL 3,
# not the packages of the CLI and the tests. OpenSSL 3 is the system's when CMake finds it;
# otherwise $SRC/openssl (a checkout the Dockerfile makes) is built static and uninstrumented
# into $WORK, with no-module so that the "legacy" provider the crypto_diff target compares with
# is inside libcrypto.a rather than a legacy.so the run-time image would not have.
#
# For each target T listed in fuzz/targets.cmake it puts into $OUT:
#   T_fuzzer                  the libFuzzer binary
#   T_fuzzer_seed_corpus.zip  fuzz/corpus/T/ and fuzz/regressions/T/ (file names flattened)
#   T_fuzzer.dict             fuzz/dict/T.dict
#   T_fuzzer.options          fuzz/options/T.options (max_len, dict)
set -euo pipefail

src=${NTLMH_SRC:-$SRC/ntlm-harness}
work=${WORK:-$(mktemp -d)}
jobs=${NTLMH_JOBS:-$(nproc)}
mkdir -p "$OUT" "$work"

# OpenSSL 3: the system's, or the Dockerfile's checkout built once into $WORK.
openssl_args=()
if [[ -d "$SRC/openssl" ]] && ! pkg-config --atleast-version=3 openssl 2>/dev/null; then
  prefix="$work/openssl"
  if [[ ! -f "$prefix/lib/libcrypto.a" ]]; then
    (
      cd "$SRC/openssl"
      # Plain flags: OpenSSL is not the code under test, and ASan/UBSan need not see inside it.
      CFLAGS="" CXXFLAGS="" ./Configure no-shared no-module no-tests no-docs \
        --prefix="$prefix" --libdir=lib
      make -j "$jobs" build_libs
      make install_dev
    )
  fi
  openssl_args=(-DOPENSSL_ROOT_DIR="$prefix" -DOPENSSL_USE_STATIC_LIBS=TRUE)
fi

generator=()
if command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
build="$work/ntlm-harness-fuzz"
# The sanitizer flags come in CXXFLAGS, the engine in LIB_FUZZING_ENGINE: fuzz/CMakeLists.txt
# adds none of its own (NTLMH_FUZZ_COMPILE_FLAGS empty). CMAKE_BUILD_TYPE None adds no -O or -g
# beyond what CXXFLAGS holds.
cmake -S "$src/fuzz" -B "$build" "${generator[@]}" \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE=None \
  -DNTLMH_FUZZ_COMPILE_FLAGS="" -DNTLMH_FUZZ_LINK_FLAGS="$LIB_FUZZING_ENGINE" \
  "${openssl_args[@]}"
cmake --build "$build" -j "$jobs" --target ntlmh_fuzzers

targets=$(sed -n '/^set(NTLMH_FUZZ_TARGETS/,/)/p' "$src/fuzz/targets.cmake" |
  sed -e 's/set(NTLMH_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \t' '\n\n' | sed '/^$/d')
for t in $targets; do
  cp "$build/${t}_fuzzer" "$OUT/"
  cp "$src/fuzz/dict/$t.dict" "$OUT/${t}_fuzzer.dict"
  cp "$src/fuzz/options/$t.options" "$OUT/${t}_fuzzer.options"
  zip_file="$OUT/${t}_fuzzer_seed_corpus.zip"
  rm -f "$zip_file"
  seeds=$(find "$src/fuzz/corpus/$t" "$src/fuzz/regressions/$t" -maxdepth 1 -type f \
    ! -name '.*' 2>/dev/null || true)
  if [[ -n "$seeds" ]]; then
    # File names only (zip -j): names are unique within a target, regressions are named apart.
    if command -v zip >/dev/null 2>&1; then
      echo "$seeds" | zip -q -j "$zip_file" -@
    else
      echo "$seeds" | python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for line in sys.stdin:
        path = line.rstrip("\n")
        z.write(path, os.path.basename(path))
' "$zip_file"
    fi
  fi
done
