"""Which CPU kernels run: the machine's instruction set, and how to make libraries use an older one.

    python tests/cpu_kernels.py                  # this machine's kind and the stored outputs' kinds
    eval "$(python tests/cpu_kernels.py --emulate-older)"   # what .ci/run does before one nbval run

PyTorch, oneDNN, MKL, numpy and OpenCV each pick their CPU kernels at run time from the
instructions the processor has, and different kernels add floating-point numbers in a different
order: the last digits of a sum change between a machine with AVX-512 and one with only AVX2. The
book's stored outputs come from one machine; a number printed without ``~`` that depends on the
kernels passes there and fails on a reader's laptop. Each library can be told to use an older set
than the machine has, which is how CI plays the other machine: ``--emulate-older`` prints the
settings one level below the oldest kind the stored outputs were executed on (AVX-512 -> AVX2,
AVX2 -> AVX), and never above what this machine has.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ROOT / "book" / "timings.json"
KINDS = ("default", "avx", "avx2", "avx512")
"""CPU kinds, oldest first. PyTorch names its own kernel sets by three of them
(``ATEN_CPU_CAPABILITY``: default, avx2, avx512); "avx" is a machine with AVX but not AVX2 and FMA,
on which PyTorch's own kernels are its default ones and oneDNN's and MKL's are their AVX ones."""
LABELS = {"default": "SSE", "avx": "AVX", "avx2": "AVX2", "avx512": "AVX-512"}

# What each library reads to use at most a kind's instructions, whatever the processor has. The
# oldest kind CI plays is AVX, not SSE: its kernels add in another order than AVX2's (no fused
# multiply-add), as an older laptop's would, at about 1.6 times AVX2's time on one thread (SSE's
# take 2.7 times).
LIMITS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "MKL_ENABLE_INSTRUCTIONS": "AVX2",
             "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
             "OPENCV_CPU_DISABLE": "AVX512_SKX"},
    "avx": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "AVX",
            "MKL_ENABLE_INSTRUCTIONS": "AVX",
            "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
            "OPENCV_CPU_DISABLE": "AVX512_SKX,AVX2,FP16"},
}


def native_kind(cpuinfo: str | None = None) -> str:
    """This processor's kind, from the flags in ``/proc/cpuinfo``, whatever the environment says.

    PyTorch runs its AVX-512 kernels only with AVX512F, BW, VL and DQ, and its AVX2 ones with AVX2
    and FMA.
    """
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.is_file() else ""
    flags = set(next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                      if line.startswith("flags")), []))
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "avx" if "avx" in flags else "default"


def running_kind() -> str:
    """The kind of kernels this process runs: the machine's, or older where the environment says
    (PyTorch's own kernels tell "default" from AVX2; oneDNN's limit tells AVX from SSE)."""
    import torch

    kind = torch.backends.cpu.get_cpu_capability().lower()
    if kind == "default" and os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() == "AVX":
        return "avx"
    return kind if kind in KINDS else "default"


def outputs_kinds(timings: Path = TIMINGS) -> set[str]:
    """The kinds of CPU the stored outputs were executed on (``"stored": true`` in timings)."""
    table = json.loads(timings.read_text()) if timings.is_file() else {}
    return {entry["kernels"] for runs in table.values() for key, entry in runs.items()
            if key.startswith("cpu") and entry.get("stored")}


def older_limits(outputs: set[str], native: str) -> dict[str, str]:
    """Settings for a run on kernels older than every stored output's, and no newer than native.

    Raises:
        ValueError: no stored outputs, an unknown kind, or nothing older to play (the outputs or
            this machine have no AVX2; CI plays AVX at the oldest).
    """
    unknown = (outputs | {native}) - set(KINDS)
    if unknown or not outputs:
        raise ValueError(f"expected stored-output kinds among {KINDS}, got {sorted(outputs)} "
                         f"(this machine: {native!r})")
    oldest = min(KINDS.index(kind) for kind in outputs)
    if oldest <= 1 or KINDS.index(native) <= 1:
        raise ValueError("no older kernels to play: the stored outputs (or this machine) have no "
                         "AVX2, and CI plays AVX at the oldest")
    return LIMITS[KINDS[min(oldest - 1, KINDS.index(native))]]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulate-older", action="store_true",
                        help="print `export` lines for kernels older than the stored outputs'")
    args = parser.parse_args(argv)
    native, outputs = native_kind(), outputs_kinds()
    if not args.emulate_older:
        print(f"this machine: {LABELS[native]}; kernels running: {LABELS[running_kind()]}; "
              f"stored outputs executed on: {', '.join(LABELS[k] for k in sorted(outputs))}")
        return 0
    limits = older_limits(outputs, native)
    played = next(kind for kind, values in LIMITS.items() if values is limits)
    print(f"# stored outputs from {', '.join(LABELS[k] for k in sorted(outputs))}; this machine "
          f"{LABELS[native]}; playing {LABELS[played]}")
    for name, value in limits.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
