#!/usr/bin/env python3
"""The instruction-count gate of issue #8: runs `ntlmh_bench --callgrind` under valgrind's
callgrind (deterministic: fixed inputs, fixed run counts), takes each kernel's inclusive
instruction count per call, and compares it with the committed figure in
bench/callgrind_figures.json for this build type. Fails (exit 1) when a crypto kernel grew by
more than 3% (the handshake and the AUTHENTICATE decoder are printed, not gated). Counts depend on the compiler and flags: the figures are for Debian 12's GCC 12.

Usage:
  callgrind_gate.py NTLMH_BENCH BUILD_TYPE            # check (77: no figures for the type)
  callgrind_gate.py NTLMH_BENCH BUILD_TYPE --update   # write the figures for BUILD_TYPE
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TOLERANCE = 0.03
# Measured and printed, never failing: whole code paths that other layers change every day
# (the handshake runs the contexts, encoders and decoders), where growth is a note, not a gate.
INFORMATIONAL = {"Handshake", "DecodeAuthenticate"}
FIGURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callgrind_figures.json")


def measure(binary):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             "--toggle-collect=*::Cg*", binary, "--callgrind"],
            capture_output=True, text=True, check=False)
        if run.returncode != 0:
            sys.exit(f"callgrind_gate: the run failed ({run.returncode}):\n{run.stderr}")
        runs = int(re.search(r"runs=(\d+)", run.stdout).group(1))
        annotate = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", out],
            capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in annotate.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?.*::Cg(\w+)\(int\)", line)
        if m and m.group(2) not in counts:  # the function's own line comes first
            counts[m.group(2)] = int(m.group(1).replace(",", "")) // runs
    if not counts:
        sys.exit("callgrind_gate: no Cg* function in callgrind's output")
    return counts


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, build_type = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    counts = measure(binary)

    figures = {}
    if os.path.exists(FIGURES):
        with open(FIGURES) as f:
            figures = json.load(f)
    if update:
        figures[build_type] = dict(sorted(counts.items()))
        with open(FIGURES, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"callgrind_gate: wrote {len(counts)} figures for {build_type} to {FIGURES}")
        return 0

    committed = figures.get(build_type)
    if committed is None:
        # ctest reports exit status 77 as skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt).
        print(f"callgrind_gate: no committed figures for build type {build_type!r} in "
              f"{FIGURES}; run with --update to record them")
        return 77
    failed = []
    print(f"{'kernel':<20} {'committed':>12} {'now':>12} {'change':>8}")
    for name in sorted(set(committed) | set(counts)):
        was, now = committed.get(name), counts.get(name)
        if was is None or now is None:
            print(f"{name:<20} {was!s:>12} {now!s:>12}   (new or gone: update the figures)")
            failed.append(name)
            continue
        change = (now - was) / max(was, 1)
        gated = name not in INFORMATIONAL
        flag = "  FAIL" if gated and change > TOLERANCE else ("  (not gated)" if not gated else "")
        print(f"{name:<20} {was:>12} {now:>12} {change * 100:>+7.1f}%{flag}")
        if gated and change > TOLERANCE:
            failed.append(name)
    if failed:
        print(f"callgrind_gate: {', '.join(failed)} grew more than {TOLERANCE:.0%} "
              "(or changed set); if intended, update bench/callgrind_figures.json with --update")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
