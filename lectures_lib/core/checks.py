"""Argument checks shared by the library: each raises an error that names what came and
what was wanted.

Why a module of its own: a reader's first wrong call should end in a sentence, not in a
``RuntimeError`` from deep inside a convolution. Tensor layouts are checked in
:mod:`lectures_lib.core.video` (:func:`~lectures_lib.core.video.check_clips`); these are the plain
values, models and labels, and :func:`model_input` names the input shape when a model fails on it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn


def check_positive_int(**values: object) -> None:
    """Raise unless every keyword value is an integer >= 1 (``bool`` is not a count).

    >>> check_positive_int(frames=16, width=8)
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_positive(**values: object) -> None:
    """Raise unless every keyword value is a finite real number > 0 (a rate, a duration, a size)."""
    for name, value in values.items():
        if not _is_real(value) or not 0 < value < math.inf:
            raise ValueError(f"{name} must be a positive number, got {value!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(**values: object) -> None:
    """Raise unless every keyword value is a finite real number (``bool`` is not one)."""
    for name, value in values.items():
        if not _is_real(value) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_int(at_least: int | None = None, /, **values: object) -> None:
    """Raise unless every keyword value is an integer (an index, a seed), ``>= at_least`` if given.

    >>> check_int(0, seed=3)
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        if at_least is not None and value < at_least:
            raise ValueError(f"{name} must be an integer >= {at_least}, got {value!r}")


def check_fraction(**values: object) -> None:
    """Raise unless every keyword value is a real number in ``[0, 1]`` (a probability)."""
    for name, value in values.items():
        if not _is_real(value) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")


def check_choice(name: str, value: object, choices: tuple) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_shape(name: str, shape: object, *, rank: int | None = None) -> None:
    """Raise unless ``shape`` is a tuple or list of positive integers
    (of length ``rank``, if given)."""
    if not isinstance(shape, (tuple, list)) or (rank is not None and len(shape) != rank):
        want = f"{rank} positive integers" if rank else "a tuple of positive integers"
        raise ValueError(f"{name} must be {want}, got {shape!r}")
    check_positive_int(**{f"{name}[{i}]": n for i, n in enumerate(shape)})


def check_mapping(**values: object) -> None:
    """Raise unless every keyword value is a non-empty mapping (a dict of name -> thing)."""
    for name, value in values.items():
        if not isinstance(value, Mapping) or not value:
            raise ValueError(f"{name} must be a non-empty mapping (a dict of name -> value), "
                             f"got {value!r:.80}")


def check_tensor(**values: object) -> None:
    """Raise unless every keyword value is a torch tensor."""
    for name, value in values.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")


def check_module(**values: object) -> None:
    """Raise unless every keyword value is a ``torch.nn.Module`` (a model or a layer)."""
    for name, value in values.items():
        if not isinstance(value, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")


def check_labels(labels: object, *, size: int, classes: int | None = None) -> None:
    """Raise unless ``labels`` is a 1-D integer tensor of ``size`` class indices in
    ``[0, classes)``."""
    if (not isinstance(labels, torch.Tensor) or labels.shape != (size,)
            or labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool):
        got = (f"{labels.dtype} {tuple(labels.shape)}" if isinstance(labels, torch.Tensor)
               else type(labels).__name__)
        raise ValueError(f"expected labels of shape ({size},): integer class indices, got {got}")
    if classes is not None and size and not 0 <= labels.min() <= labels.max() < classes:
        raise ValueError(f"labels must be class indices in [0, {classes}), got values from "
                         f"{int(labels.min())} to {int(labels.max())}")


@contextmanager
def model_input(shape: tuple[int, ...]) -> Iterator[None]:
    """Turn a model's ``RuntimeError`` on an input of ``shape`` (a conv's channels, a kernel larger
    than the input, a linear layer's width, a dtype) into a ``ValueError`` that names the shape.

    Out-of-memory errors pass through unchanged.
    """
    try:
        yield
    except torch.cuda.OutOfMemoryError:                # the same class as torch.OutOfMemoryError
        raise
    except RuntimeError as err:
        raise ValueError(f"the model cannot take an input of shape {tuple(shape)}: "
                         f"{str(err).splitlines()[0]}") from err
