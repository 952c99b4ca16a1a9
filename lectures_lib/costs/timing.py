"""Measuring speed honestly: warm up, repeat, take the median, and give each timing enough work.

Why a module: a single run at batch 1 on a shared CPU is mostly noise (caches, thread start-up,
other processes). Every timing the book shows comes from here, and is shown in cells that nbval
does not compare, since no two machines agree on it.

- :func:`time_forward`: seconds of one forward pass, the median of several timed runs.
- :func:`time_layers`: seconds spent in each named child of a model, medians too.
- :func:`throughput`: training clips/s and achieved multiply-adds per second.
- :func:`matmul_peak`: this machine's dense matrix-multiply rate, the ceiling for the others.
- :func:`stopwatch`: seconds of one piece of work done once for its result (an epoch, a dataset's
  flow), where repeating it to take a median would cost too much.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from ..core.checks import (
    check_int,
    check_module,
    check_positive,
    check_positive_int,
    check_shape,
    model_input,
)
from ..core.devices import as_device, model_device
from ..core.speed import SpeedPolicy
from .calculators import count_training_macs


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


@dataclass
class Stopwatch:
    """A running or stopped clock; :attr:`seconds` is the time so far, or until it stopped."""

    start: float
    stop: float | None = None

    @property
    def seconds(self) -> float:
        return (time.perf_counter() if self.stop is None else self.stop) - self.start


@contextmanager
def stopwatch(device: torch.device | str = "cpu") -> Iterator[Stopwatch]:
    """Time the ``with`` block once: ``with stopwatch() as watch: ...``, then ``watch.seconds``.

    For work done once for its result, not for a speed comparison: one run is not a median, so
    its figure is shown only in cells that nbval does not compare. On CUDA the clock waits for
    the device's queued work at both ends.
    """
    device = as_device(device)
    _sync(device)
    watch = Stopwatch(time.perf_counter())
    try:
        yield watch
    finally:
        _sync(device)
        watch.stop = time.perf_counter()


def median_seconds(run: Callable[[], object], *, repeats: int = 7, warmup: int = 2,
                   min_seconds: float = 0.05, device: torch.device = torch.device("cpu")) -> float:
    """Median seconds of one call of ``run``: ``warmup`` untimed calls, then ``repeats`` timings.

    Each timing loops ``run`` as many times as fit in ``min_seconds`` (at least once; decided
    once, after warm-up) and divides, so short calls rise above the clock's and the scheduler's
    noise. A call that lasts ``min_seconds`` on its own is timed once per sample, and the run that
    found this out is the first sample (a slow pass is not run once more than asked).
    """
    if not callable(run):
        raise TypeError(f"run must be a function of no arguments, got {type(run).__name__}")
    check_positive_int(repeats=repeats)
    check_int(0, warmup=warmup)
    check_positive(min_seconds=min_seconds)
    device = as_device(device)
    for _ in range(warmup):
        run()
    _sync(device)
    start = time.perf_counter()
    run()
    _sync(device)
    first = time.perf_counter() - start
    loops = max(1, int(min_seconds / max(first, 1e-9)))
    samples = [first] if loops == 1 else []          # long enough: the sizing run is a sample
    while len(samples) < repeats:
        start = time.perf_counter()
        for _ in range(loops):
            run()
        _sync(device)
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


@torch.no_grad()
def time_forward(module: nn.Module, shape: tuple[int, ...], *, repeats: int = 7,
                 device: torch.device | str | None = None) -> float:
    """Median seconds of one forward pass (no gradients) of ``module`` on a random ``shape``
    input."""
    check_shape("shape", shape)
    device = model_device(module, device)
    module = module.to(device).eval()
    x = torch.randn(shape, device=device)
    with model_input(shape):
        return median_seconds(lambda: module(x), repeats=repeats, device=device)


@torch.no_grad()
def time_layers(model: nn.Module, shape: tuple[int, ...], *, repeats: int = 5) -> dict[str, float]:
    """Median seconds spent in every named child of ``model`` during one forward pass (CPU).

    Forward hooks stamp the clock before and after each child; two untimed passes warm up first.
    """
    check_module(model=model)
    check_positive_int(repeats=repeats)
    check_shape("shape", shape)
    if not list(model.named_children()):
        raise ValueError(f"model has no named children to time: {type(model).__name__}")
    runs: list[dict[str, float]] = []
    starts: dict[str, float] = {}
    hooks = []
    for name, layer in model.named_children():
        hooks.append(layer.register_forward_pre_hook(
            lambda m, i, n=name: starts.__setitem__(n, time.perf_counter())))
        hooks.append(layer.register_forward_hook(
            lambda m, i, o, n=name: runs[-1].__setitem__(n, time.perf_counter() - starts[n])))
    x = torch.randn(shape)
    try:
        for _ in range(repeats + 2):
            runs.append({})
            with model_input(shape):
                model(x)
    finally:
        for h in hooks:
            h.remove()
    timed = runs[2:]
    return {name: statistics.median(run[name] for run in timed) for name in timed[0]}


def throughput(model: nn.Module, clip_shape: tuple[int, ...], *, batch_size: int = 64,
               steps: int = 10, warmup: int = 2,
               device: torch.device | str | None = None) -> dict[str, float]:
    """Measured training speed on random inputs: clips/s and achieved multiply-adds per second.

    Plain SGD steps, the median of ``steps`` timings after ``warmup`` untimed ones. On CUDA a step
    runs as the training loop runs it there
    (:meth:`lectures_lib.core.speed.SpeedPolicy.for_device`): bf16 autocast where the GPU supports
    it, channels-last-3d weights and inputs.

    Returns ``{"clips_per_s", "macs_per_clip", "macs_per_s"}``; multiply-adds of a step (forward
    and backward) are counted by :func:`lectures_lib.costs.calculators.count_training_macs`.
    """
    check_positive_int(batch_size=batch_size, steps=steps)
    check_int(0, warmup=warmup)
    check_shape("clip_shape", clip_shape)
    device = model_device(model, device)
    model.to(device).train()
    speed = SpeedPolicy.for_device(device)
    x = speed.prepare_inputs(torch.rand(batch_size, *clip_shape, device=device))
    speed.prepare_model(model)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    macs = count_training_macs(model, clip_shape, batch_size=batch_size)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with speed.autocast():
            out = model(x)
        out.float().sum().backward()
        opt.step()

    seconds = median_seconds(step, repeats=steps, warmup=warmup, min_seconds=1e-3, device=device)
    return {"clips_per_s": batch_size / seconds, "macs_per_clip": macs / batch_size,
            "macs_per_s": macs / seconds}


def matmul_peak(*, n: int = 2048, device: torch.device | str = "cpu") -> float:
    """Multiply-adds per second of a large ``torch.mm`` on ``device`` (median of timed runs)."""
    check_positive_int(n=n)
    device = as_device(device)
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    return n ** 3 / median_seconds(lambda: a @ b, repeats=5, device=device)
