"""Where tensors live and how runs are made repeatable: the library's one device rule, and seeding.

The rule: a function that takes ``device=`` uses it; without one, it uses the device the model's
parameters are on (:func:`model_device`). Nothing moves a model behind your back; the chapters pick
``pick_device()`` once in their setup cell and pass it.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .checks import check_int, check_module, check_tensor

Inputs = torch.Tensor | tuple[torch.Tensor, ...]
"""A model's input: one clip batch, or a tuple of tensors (two-stream: RGB and flow)."""


def pick_device() -> torch.device:
    """CUDA if there is a GPU, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: nn.Module, device: torch.device | str | None = None) -> torch.device:
    """The library's one rule for a default device: ``device`` if given, else where the model is.

    So nothing moves behind your back: build on (or ``.to()``) the device you want, or pass it.
    """
    check_module(model=model)
    if device is not None:
        return as_device(device)
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def as_device(device: torch.device | str | int) -> torch.device:
    """``torch.device(device)``, with a ValueError that names the kinds for an unknown name."""
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be a torch.device or a name such as 'cpu', 'cuda', "
                         f"'cuda:1' or 'mps', got {device!r}") from None


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (every device)."""
    check_int(0, seed=seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def seeded(build: Callable[[], nn.Module], *, seed: int = 0) -> Callable[[], nn.Module]:
    """``build``, run after ``torch.manual_seed(seed)``: a model that starts from the same weights
    wherever it is built (the chapters, the zoo, the leaderboard, the tests)."""
    if not callable(build) or isinstance(build, nn.Module):
        raise TypeError(f"build must be a function of no arguments that returns a model, got "
                        f"{type(build).__name__}")
    check_int(0, seed=seed)

    def builder() -> nn.Module:
        torch.manual_seed(seed)
        return build()
    return builder


def to_device(x: Inputs, device: torch.device) -> Inputs:
    """Move a tensor, or each tensor of a tuple, to ``device``."""
    device = as_device(device)
    if isinstance(x, (tuple, list)):
        check_tensor(**{f"x[{i}]": t for i, t in enumerate(x)})
        return tuple(t.to(device, non_blocking=True) for t in x)
    check_tensor(x=x)
    return x.to(device, non_blocking=True)
