#!/usr/bin/env python3
"""Turns ntlmh_bench's JSON (with repetitions) into the ratio table of bench/README.md.

For every benchmark: the median CPU time over the repetitions, its ratio to each OpenSSL
baseline (BM_X_OpenSSL*, for BM_X_Engine: baseline time / engine time, so > 1 means the engine
is faster), and its ratio to its floor (md4_blocks x BM_Md4Compress + md5_blocks x
BM_Md5Compress, the median times of one compression; 1.00 means at the floor).

The in-process handshake is also compared with the sum of the crypto kernels it runs: two
NTLMv2 computations (client and server), two MICs, two session-key derivations, the sealing
handles' RC4 key schedules and one MAC signed and one verified (HANDSHAKE_KERNELS).

Usage: report.py RESULT.json [--markdown]
"""
import json
import statistics
import sys
from collections import defaultdict

# What one BM_Handshake_InProcess runs, kernel by kernel, client and server together
# ([MS-NLMP] 3.1.5.1.2, 3.2.5.1.2, 3.4.4.2): on each side one NTLMv2 computation, one MIC, the
# session keys (with the RC4K of the session key), the two sealing handles' RC4 key schedules
# and one MAC (signed by the client, checked by the server).
HANDSHAKE_KERNELS = {
    "BM_NtlmV2Response_Engine": 2,
    "BM_Mic_Engine": 2,
    "BM_SessionKeys_Engine": 2,
    "BM_Rc4KeySchedule_Engine": 4,
    "BM_Mac_Engine": 2,
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    markdown = "--markdown" in sys.argv
    with open(args[0]) as f:
        data = json.load(f)

    times = defaultdict(list)
    counters = {}
    errors = set()
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        if b.get("error_occurred"):
            errors.add(name)
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        times[name].append(b["cpu_time"] * scale)
        counters[name] = b
    median = {n: statistics.median(v) for n, v in times.items()}
    spread = {
        n: (max(v) - min(v)) / statistics.median(v) if len(v) > 1 else 0.0
        for n, v in times.items()
    }

    def floor(name):
        b = counters[name]
        f = 0.0
        if "md4_blocks" in b and "BM_Md4Compress" in median:
            f += b["md4_blocks"] * median["BM_Md4Compress"]
        if "md5_blocks" in b and "BM_Md5Compress" in median:
            f += b["md5_blocks"] * median["BM_Md5Compress"]
        return f

    rows = []
    for name in sorted(median):
        t = median[name]
        base = []
        if name.endswith("_Engine"):
            stem = name[: -len("_Engine")]
            for other in median:
                if other.startswith(stem + "_OpenSSL"):
                    how = other[len(stem) + len("_OpenSSL"):].lstrip("_") or "EVP"
                    base.append(f"{median[other] / t:.2f}x vs {how}")
        fl = floor(name)
        extra = ""
        if "items_per_second" in counters[name]:
            extra = f"{counters[name]['items_per_second'] / 1e3:.0f}k items/s"
        rows.append((name, t, spread[name], ", ".join(base),
                     f"{t / fl:.2f}" if fl > 0 else "", extra))

    notes = []
    if "BM_Handshake_InProcess" in median and all(k in median for k in HANDSHAKE_KERNELS):
        crypto = sum(median[k] * n for k, n in HANDSHAKE_KERNELS.items())
        notes.append(
            f"handshake / sum of its crypto kernels: {median['BM_Handshake_InProcess'] / crypto:.2f}"
            f" ({median['BM_Handshake_InProcess']:.0f} ns / {crypto:.0f} ns)")
    if "BM_NtlmV2Batch_Avx2" in median and "BM_NtlmV2Batch_Scalar" in median:
        notes.append("batch NTLMv2, AVX2 / scalar throughput per core: "
                     f"{median['BM_NtlmV2Batch_Scalar'] / median['BM_NtlmV2Batch_Avx2']:.2f}x")
    for e in sorted(errors):
        notes.append(f"{e}: skipped or failed (see the run's output)")

    if markdown:
        print("| benchmark | CPU ns (median) | spread | engine speed-up vs OpenSSL | x floor | |")
        print("| --- | ---: | ---: | --- | ---: | --- |")
        for r in rows:
            print(f"| {r[0]} | {r[1]:.1f} | {r[2] * 100:.0f}% | {r[3]} | {r[4]} | {r[5]} |")
        print()
        for n in notes:
            print(f"- {n}")
    else:
        w = max(len(r[0]) for r in rows)
        print(f"{'benchmark':<{w}}  {'CPU ns':>10}  {'spread':>6}  {'x floor':>7}  vs OpenSSL")
        for r in rows:
            print(f"{r[0]:<{w}}  {r[1]:>10.1f}  {r[2] * 100:>5.0f}%  {r[4]:>7}  {r[3]} {r[5]}")
        print()
        for n in notes:
            print(n)


if __name__ == "__main__":
    main()
