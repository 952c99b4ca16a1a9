"""Calculators: plain arithmetic about video models, as pure functions returning numbers.

Raw video sizes (chapter 1), and parameter and multiply-add counts of a model (chapter 2 on).

The book's one rule for multiply-adds, used by every chapter, the leaderboard and the timings:
the FLOPs that ``torch.utils.flop_counter.FlopCounterMode`` counts, halved, with oneDNN (MKLDNN)
switched off while counting (:func:`counting`). The counter sees convolutions and matrix products
(pooling, activations and normalisation are not counted); oneDNN's fused CPU kernel for
``nn.LSTM`` is invisible to it, and without oneDNN an LSTM runs as the matrix products it is, so
an LSTM's multiply-adds are counted like everything else. The arithmetic is the same either way.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..core.checks import (
    check_int,
    check_module,
    check_positive,
    check_positive_int,
    check_shape,
    model_input,
)
from ..core.devices import model_device

_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


@dataclass(frozen=True)
class ByteSize:
    """A number of bytes that can speak in decimal (GB = 10^9) and binary (GiB = 2^30) units."""

    bytes: int

    def __post_init__(self) -> None:
        check_int(0, bytes=self.bytes)

    def to(self, unit: str) -> float:
        """This size in ``unit``, one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB."""
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(_UNITS)}")
        return self.bytes / _UNITS[unit]

    def _best(self, units: tuple[str, ...]) -> str:
        unit = next((u for u in reversed(units) if self.bytes >= _UNITS[u]), units[0])
        return f"{self.to(unit):.2f} {unit}"

    @property
    def decimal(self) -> str:
        """E.g. ``'1.66 GB'``."""
        return self._best(("B", "KB", "MB", "GB", "TB"))

    @property
    def binary(self) -> str:
        """E.g. ``'1.54 GiB'``."""
        return self._best(("B", "KiB", "MiB", "GiB", "TiB"))

    def __str__(self) -> str:
        return f"{self.decimal} = {self.binary}"


def raw_video_size(*, height: int, width: int, fps: float, seconds: float, channels: int = 3,
                   bytes_per_sample: int = 1) -> ByteSize:
    """Bytes of an uncompressed video: ``frames x height x width x channels x bytes_per_sample``.

    Why it matters: raw video is what a network consumes, and it is huge (the lecture's ~1.5 GB per
    minute of SD video), which is why models train on short, small, low-frame-rate clips.

    Args:
        height, width: frame size in pixels.
        fps, seconds: frame rate and duration; the frame count is ``round(fps * seconds)``.
        channels: 3 for RGB.
        bytes_per_sample: 1 for uint8, 4 for float32.
    """
    check_positive_int(height=height, width=width, channels=channels,
                       bytes_per_sample=bytes_per_sample)
    check_positive(fps=fps, seconds=seconds)
    frames = round(fps * seconds)
    if frames < 1:
        raise ValueError(f"fps x seconds = {fps * seconds:g} is less than one frame")
    return ByteSize(frames * height * width * channels * bytes_per_sample)


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    check_module(model=model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@contextlib.contextmanager
def counting() -> Iterator[FlopCounterMode]:
    """The one multiply-add counter: ``FlopCounterMode`` with oneDNN off (see the module's
    docstring). Yields the counter; its FLOPs / 2 are multiply-adds."""
    with warnings.catch_warnings():                  # the flag's note about TF32 on Intel GPUs
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False), \
                FlopCounterMode(display=False) as counter:
            yield counter


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one forward pass on a zero input of ``input_shape`` (batch included).

    Counted by :func:`counting` (the book's rule): convolutions and matrix products, LSTMs
    included; no pooling, activations or normalisation.
    """
    check_module(model=model)
    check_shape("input_shape", input_shape)
    was_training = model.training
    model.eval()
    try:
        with counting() as counter, model_input(input_shape):
            model(torch.zeros(input_shape, device=model_device(model)))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2


def count_training_macs(model: nn.Module, clip_shape: tuple[int, ...], *,
                        batch_size: int = 1) -> int:
    """Multiply-adds of one training step (forward + backward) on ``batch_size`` clips.

    Counted by :func:`counting` on the model's device; the input needs no gradient, so a first
    layer's backward computes only its weight gradient.
    """
    check_module(model=model)
    check_positive_int(batch_size=batch_size)
    check_shape("clip_shape", clip_shape)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("the model has no trainable parameters: a training step computes nothing")
    x = torch.zeros(batch_size, *clip_shape, device=model_device(model))
    with counting() as counter, model_input(x.shape):
        model(x).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() // 2


@dataclass(frozen=True)
class LayerCost:
    """One layer's cost for one clip: output shape, parameters, multiply-adds, output bytes."""

    name: str
    output: tuple[int, ...]
    params: int
    macs: int
    activation_bytes: int


_FREE = (nn.ReLU, nn.Dropout, nn.Flatten, nn.Identity, nn.Softmax)


def layer_costs(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerCost]:
    """Per-layer cost of one forward pass on ``input_shape`` (without the batch axis).

    The model is copied to PyTorch's ``meta`` device, which tracks shapes but allocates no
    memory; build a paper-size network there too (``with torch.device("meta"): net = c3d()``) and
    C3D's 80 M parameters cost nothing to analyse. Multiply-adds are counted by :func:`counting`;
    activations are float32 outputs.
    """
    meta, flops, outputs = _meta_flops(model, input_shape, leaves=True)
    names, root = {m: n for n, m in meta.named_modules()}, type(meta).__name__
    costs = []
    for module, shape in outputs.items():
        macs = sum(flops.get(f"{root}.{names[module]}", {}).values()) // 2
        costs.append(LayerCost(names[module], shape[1:],
                               sum(p.numel() for p in module.parameters()),
                               macs, 4 * int(torch.Size(shape[1:]).numel())))
    return costs


def child_costs(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, tuple[int, int]]:
    """``{name: (parameters, multiply-adds)}`` of each top-level child of ``model`` for one
    forward pass on ``input_shape`` (without the batch axis), counted on the ``meta`` device like
    :func:`layer_costs`: how a model's cost splits between its parts (SlowFast's pathways)."""
    meta, flops, _ = _meta_flops(model, input_shape, leaves=False)
    root = type(meta).__name__
    return {name: (sum(p.numel() for p in child.parameters()),
                   sum(flops.get(f"{root}.{name}", {}).values()) // 2)
            for name, child in meta.named_children()}


def _meta_flops(model: nn.Module, input_shape: tuple[int, ...], *,
                leaves: bool) -> tuple[nn.Module, dict, dict[nn.Module, tuple]]:
    """A ``meta`` copy of ``model`` run once on ``(1, *input_shape)`` under :func:`counting`:
    returns the copy, the counter's flops by module name, and (when ``leaves``) each leaf layer's
    output shape, in the order the layers ran."""
    check_module(model=model)
    check_shape("input_shape", input_shape)
    meta = copy.deepcopy(model).to("meta").eval()
    outputs: dict[nn.Module, tuple] = {}

    def record(module: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        outputs.setdefault(module, tuple(out.shape))

    hooks = [m.register_forward_hook(record) for m in meta.modules()
             if leaves and not list(m.children()) and not isinstance(m, _FREE)]
    try:
        with torch.no_grad(), counting() as counter, model_input((1, *input_shape)):
            meta(torch.zeros((1, *input_shape), device="meta"))
    finally:
        for h in hooks:
            h.remove()
    return meta, counter.get_flop_counts(), outputs
