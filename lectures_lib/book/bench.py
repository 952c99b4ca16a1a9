"""Benchmark of this machine for the book: data generation, training speed, and the matmul peak.

    python -m lectures_lib.book.bench [--batch-size 32] [--steps 10]

Prints one table: clips/s of the mini-dataset generator; for each chapter-2 model its training
clips/s and achieved multiply-adds per second (counted by FlopCounterMode), in the default and the
channels-last weight layout; and each model's ratio to the machine's dense matmul peak.
"""

from __future__ import annotations

import argparse

import torch

from ..core.checks import check_positive_int
from ..core.devices import pick_device
from ..core.speed import use_channels_last
from ..costs.timing import matmul_peak, median_seconds, throughput
from ..data import mini as data
from ..models import fusion
from . import zoo


def generation_speed(batch_size: int, *, batches: int = 8) -> float:
    """Clips/s of the mini-dataset generator (default config, 3 x 16 x 32 x 32), nothing cached:
    the median of three passes over ``batches`` batches, after one warm-up pass."""
    check_positive_int(batch_size=batch_size, batches=batches)
    dataset = data.MiniVideos("train", batch_size * batches)

    def generate() -> None:
        for i in range(0, len(dataset), batch_size):
            dataset.batch(range(i, i + batch_size))

    return len(dataset) / median_seconds(generate, repeats=3, warmup=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args(argv)
    check_positive_int(batch_size=args.batch_size, steps=args.steps)
    device = pick_device()
    torch.manual_seed(0)
    peak = matmul_peak(device=device)
    print(f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"matmul peak (2048^3 torch.mm): {peak / 1e9:.1f} GMAC/s")
    for bs in (64, 256):
        print(f"mini-dataset generation, batch {bs}: {generation_speed(bs):.0f} clips/s")
    print(f"\n{'model (batch ' + str(args.batch_size) + ')':24} {'layout':14} {'MMACs/clip':>10} "
          f"{'clips/s':>8} {'GMAC/s':>7} {'of peak':>8}")
    for name, build in fusion.chapter2_models().items():
        for layout in ("default", "channels-last"):
            model = use_channels_last(build(), enable=layout == "channels-last")
            r = throughput(model, zoo.CLIP, batch_size=args.batch_size, steps=args.steps,
                           device=device)
            print(f"{name:24} {layout:14} {r['macs_per_clip'] / 1e6:10.1f} {r['clips_per_s']:8.0f} "
                  f"{r['macs_per_s'] / 1e9:7.1f} {r['macs_per_s'] / peak:8.0%}")


if __name__ == "__main__":
    main()
