"""Run the book on a CUDA GPU: every chapter's time, and each model's training throughput.

    python tests/gpu_check.py [--out DIR]

1. Executes every chapter top to bottom in a fresh kernel, where the chapters train on the GPU
   (``devices.pick_device``), and records each time under "gpu" in ``book/timings.json``, with
   the GPU's name and the host CPU's kind of kernels (AVX-512 or AVX2: the CPU still draws the
   mini dataset), which the status page and each chapter's header show. The notebooks' stored
   outputs are left as they are: they are the CPU's, and CI compares them on a CPU. A chapter
   that fails on CUDA (device placement, dtype, an asserted number that a GPU's kernels move)
   stops the run with its error.
2. Trains every model of the book with the leaderboard's recipe on the GPU and writes the results,
   with training seconds and clips/s per model, to ``DIR/leaderboard_gpu.json`` (the stored CPU
   leaderboard is not touched).

Without a CUDA device it exits with status 2 and says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import execute_notebooks
import torch


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."),
                        help="folder for leaderboard_gpu.json (default: here)")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is False); run it on a "
              "machine with an NVIDIA GPU and a CUDA build of torch", file=sys.stderr)
        return 2
    where = execute_notebooks.machine()
    print(f"GPU: {where['machine']}, torch {where['torch']}", flush=True)
    execute_notebooks.main(["--times-only"])
    from lectures_lib.book import leaderboard

    args.out.mkdir(parents=True, exist_ok=True)
    leaderboard.main(["--device", "cuda", "--out", str(args.out / "leaderboard_gpu.json")])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
