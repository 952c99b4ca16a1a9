"""Running at the machine's speed: the one place that decides memory layouts, autocast and malloc.

Everything here changes how fast a step runs, never what it computes (beyond the order of
floating-point sums): the training loop, the timing functions and the model builders all take
their speed settings from this module, so a setting has one owner.

- :class:`SpeedPolicy`: how a step runs on its device. On a CUDA GPU, bf16 autocast (where the GPU
  supports it) and channels-last-3d weights and inputs (cuDNN's NDHWC kernels, tensor cores); on a
  CPU, neither, so a CPU run is the plain float32 computation.
- :func:`use_channels_last`: store a model's conv weights channels-last (the builders use it for
  the models that run faster so on a CPU, and the policy on CUDA); :func:`channels_last_inputs`
  does the same for a batch.
- :func:`keep_freed_memory`: on a CPU, keep freed memory instead of handing it back.

Why keep freed memory: a training step of a small video model allocates and frees the same few large
buffers (activations, their gradients, oneDNN's scratch space) every step. glibc's ``malloc`` serves
a buffer over its *mmap threshold* with fresh pages from the kernel and returns it on ``free``, and
it hands the top of the heap back past its *trim threshold*; so every step touches its buffers'
pages for the first time again, and each first touch is a page fault that zero-fills 4 KiB. A 3D CNN
step at batch 32 moves about 40 MB through such buffers: some 10,000 page faults a step, time the
CPU spends on no arithmetic. Kept, the buffers are reused and a step takes a few hundred faults at
most (``tests/test_speed.py``). The arithmetic, and so every number the models compute, is
unchanged.

:func:`keep_freed_memory` raises both thresholds for this process, once; ``import lectures_lib``
calls it, so every chapter, test and command runs with it. It is a no-op where the C library is
not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import platform
from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_module, check_tensor

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
"""Buffers up to 32 MiB (glibc's own maximum for this setting) come from the reusable heap."""
TRIM_THRESHOLD = 2**31 - 1
"""Free memory at the top of the heap is handed back to the system only past about 2 GiB."""


@functools.cache
def keep_freed_memory() -> bool:
    """Make glibc's ``malloc`` reuse freed buffers rather than return them to the system.

    Returns True when the settings were applied (Linux with glibc), False where they do not exist.
    Calling it again does nothing more.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    applied = (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD),
               libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return all(code == 1 for code in applied)


@dataclass(frozen=True)
class SpeedPolicy:
    """How a training or timing step runs on its device; build it with :meth:`for_device`.

    Attributes:
        device_type: "cpu", "cuda", ... (autocast needs it).
        amp: run the step in bf16 autocast (CUDA only).
        channels_last: channels-last(-3d) conv weights and 5-D inputs.
    """

    device_type: str = "cpu"
    amp: bool = False
    channels_last: bool = False

    def __post_init__(self) -> None:
        if self.amp and self.device_type != "cuda":
            raise ValueError(f"amp (bf16 autocast) is for CUDA devices, got {self.device_type}")

    @classmethod
    def for_device(cls, device: torch.device | str, amp: bool | None = None) -> SpeedPolicy:
        """The book's policy: on CUDA, channels-last always and bf16 autocast where the GPU
        supports bf16 (``amp=None``) or as ``amp`` says; elsewhere neither (``amp=True`` there is
        an error)."""
        device = torch.device(device)
        cuda = device.type == "cuda"
        if amp is None:
            amp = cuda and torch.cuda.is_bf16_supported()
        return cls(device.type, bool(amp), cuda)

    def autocast(self):
        """The context a step runs in: bf16 autocast when :attr:`amp`, else nothing."""
        if self.amp:
            return torch.autocast(self.device_type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def prepare_model(self, model: nn.Module) -> nn.Module:
        """``model`` with channels-last conv weights when :attr:`channels_last` (in place)."""
        return use_channels_last(model) if self.channels_last else model

    def prepare_inputs(self, x):
        """A batch (a tensor or a tuple of them) in the memory order the policy runs."""
        return channels_last_inputs(x) if self.channels_last else x


def use_channels_last(model: nn.Module, enable: bool = True) -> nn.Module:
    """Store conv weights channels-last (NHWC / NDHWC), which oneDNN often runs faster on a CPU.

    The math is unchanged (only the order of floating-point sums). ``enable=False`` restores the
    default layout. ``python -m lectures_lib.book.bench`` measures each chapter-2 model in both
    layouts on your machine. Returns ``model``.
    """
    check_module(model=model)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Conv3d)):
            fmt = torch.channels_last if module.weight.ndim == 4 else torch.channels_last_3d
            module.weight.data = module.weight.data.contiguous(
                memory_format=fmt if enable else torch.contiguous_format)
    return model


def channels_last_inputs(x):
    """5-D inputs (and each 5-D tensor of a tuple) in channels-last-3d memory order; others as
    they are."""
    if isinstance(x, (tuple, list)):
        return tuple(channels_last_inputs(t) for t in x)
    check_tensor(x=x)
    return x.contiguous(memory_format=torch.channels_last_3d) if x.ndim == 5 else x
