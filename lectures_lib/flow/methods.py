"""The book's four optical-flow methods, named once for every table, command and explorer::

    key            label          short      estimator                        explorer knobs
    lucas_kanade   Lucas–Kanade   LK         flow.lucas_kanade (ch. 5)        window, levels
    horn_schunck   Horn–Schunck   HS         flow.horn_schunck (ch. 5)        alpha, levels
    farneback      Farneback      Farneback  flow.reference.farneback (OpenCV) window, levels
    dis            DIS (medium)   DIS        flow.reference.dis (OpenCV)      (none)

Chapter 5's comparisons use the short names, the flow store (``--method``) the keys, and the
flow explorer of :mod:`lectures_lib.viz.widgets` the labels and knobs. Every estimator maps two
frames ``(B, C, H, W)`` (or ``(C, H, W)``) to a flow ``(B, 2, H, W)`` in pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import reference
from .estimators import horn_schunck, lucas_kanade


@dataclass(frozen=True)
class FlowMethod:
    """One optical-flow method.

    Attributes:
        key: its name in commands and files, e.g. ``"lucas_kanade"``.
        label: its name in prose and the explorer, e.g. ``"Lucas–Kanade"``.
        short: its name in chapter 5's tables, e.g. ``"LK"``.
        estimate: ``(frame0, frame1, **knobs) -> flow``.
        knobs: the explorer's controls it takes (``window``, ``levels``, ``alpha``).
    """

    key: str
    label: str
    short: str
    estimate: Callable
    knobs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not callable(self.estimate):
            raise TypeError(f"estimate must be a flow function (frame0, frame1, **knobs) -> flow, "
                            f"got {self.estimate!r:.80}")


METHODS: dict[str, FlowMethod] = {m.key: m for m in (
    FlowMethod("lucas_kanade", "Lucas–Kanade", "LK", lucas_kanade, ("window", "levels")),
    FlowMethod("horn_schunck", "Horn–Schunck", "HS", horn_schunck, ("alpha", "levels")),
    FlowMethod("farneback", "Farneback", "Farneback", reference.farneback, ("window", "levels")),
    FlowMethod("dis", "DIS (medium)", "DIS", reference.dis),
)}
"""The four methods by key, in the order chapter 5 introduces them."""


def by_short_name() -> dict[str, Callable]:
    """``{"LK": lucas_kanade, "HS": ..., "Farneback": ..., "DIS": ...}``: chapter 5's tables."""
    return {m.short: m.estimate for m in METHODS.values()}
