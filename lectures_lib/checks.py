"""Argument checks shared by the library: each raises an error that names what came and
what was wanted.

Why a module of its own: a reader's first wrong call should end in a sentence, not in a
``RuntimeError`` from deep inside a convolution. Tensor layouts are checked in
:mod:`lectures_lib.video` (:func:`~lectures_lib.video.check_clips`); these are the plain values.
"""

from __future__ import annotations

import numbers


def check_positive_int(**values: object) -> None:
    """Raise unless every keyword value is an integer >= 1 (``bool`` is not a count).

    >>> check_positive_int(frames=16, width=8)
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_positive(**values: object) -> None:
    """Raise unless every keyword value is a real number > 0 (a rate, a duration, a size)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_fraction(**values: object) -> None:
    """Raise unless every keyword value is a real number in ``[0, 1]`` (a probability)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
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
