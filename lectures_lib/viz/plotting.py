"""Charts for the book: sampler timelines, raw sizes, learning curves, confusion matrices, growth.

Every figure is a static PNG, so it shows on the website, which has no kernel. Frames, clips and
animations are drawn by :mod:`lectures_lib.viz.show`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..core.checks import (
    check_mapping,
    check_number,
    check_positive,
    check_positive_int,
    check_shape,
)
from ..costs.calculators import raw_video_size
from ..costs.receptive_field import Row

PAGE_WIDTH = 6.0
"""The widest figure, in inches. At 100 dpi it is 600 px: the page shows it at its size on a
desktop, and a 390-px phone at about 60 %."""

BOOK_STYLE = {"figure.dpi": 100, "font.size": 15, "axes.titlesize": 15, "axes.labelsize": 15,
              "xtick.labelsize": 14, "ytick.labelsize": 14, "legend.fontsize": 14,
              "figure.titlesize": 16}
"""Sizes for the page and for a phone: on a :data:`PAGE_WIDTH` figure, the smallest text (14 pt,
about 19 px) is about 11 px tall on a 390-px phone and reads like the body text on a desktop.
Every figure function here defaults to :data:`PAGE_WIDTH`."""


def book_style() -> None:
    """Set matplotlib's defaults to :data:`BOOK_STYLE` (each chapter's setup cell calls this)."""
    plt.rcParams.update(BOOK_STYLE)


class Table:
    """A table that prints as aligned text and shows as an HTML table that fits a phone's width.

    Numbers are formatted by the caller, so a table shows exactly the digits it is given.

    Args:
        header: the column names.
        rows: one sequence of cells per row, as many as ``header``.
    """

    _STYLE = ("<style>.book-table{border-collapse:collapse;margin:0.4em 0}"
              ".book-table th,.book-table td{padding:0.15em 0.7em;text-align:right}"
              ".book-table th:first-child,.book-table td:first-child{text-align:left}"
              "@media (max-width:600px){.book-table{font-size:0.72em}"
              ".book-table th,.book-table td{padding:0.1em 0.2em}}</style>")

    def __init__(self, header: Sequence[object], rows: Sequence[Sequence[object]]) -> None:
        if not len(header) or not len(rows):
            raise ValueError("a table needs a header and at least one row")
        if any(len(row) != len(header) for row in rows):
            raise ValueError(f"every row needs {len(header)} cells, got row lengths "
                             f"{sorted({len(row) for row in rows})}")
        self.header = [str(h) for h in header]
        self.rows = [[str(c) for c in row] for row in rows]

    def __repr__(self) -> str:
        lines = [self.header, *self.rows]
        widths = [max(len(row[k]) for row in lines) for k in range(len(self.header))]
        return "\n".join("  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                                   for k, (c, w) in enumerate(zip(row, widths))) for row in lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        return f'{self._STYLE}<table class="book-table"><tr>{head}</tr>{body}</table>'


def plot_sampling(num_frames: int, rows: Mapping[str, np.ndarray], *, fps: float,
                  width: float = PAGE_WIDTH) -> Figure:
    """Which frames each sampler takes: one timeline row per sampler.

    Args:
        num_frames: frames in the video.
        rows: sampler name -> frame indices, either ``(N,)`` or ``(num_clips, clip_len)``; the clips
            of one row get different colours.
        fps: the video's frame rate, for the seconds axis on top.
        width: figure width in inches.
    """
    check_positive_int(num_frames=num_frames)
    check_positive(fps=fps, width=width)
    check_mapping(rows=rows)
    for name, idx in rows.items():
        idx = np.asarray(idx)
        if (idx.ndim not in (1, 2) or not idx.size or not np.issubdtype(idx.dtype, np.integer)
                or idx.min() < 0 or idx.max() >= num_frames):
            raise ValueError(f"rows[{name!r}] must be (N,) or (num_clips, clip_len) frame indices "
                             f"in [0, {num_frames}), got {idx.dtype} {idx.shape}")
    fig, ax = plt.subplots(figsize=(width, 0.75 * len(rows) + 1.3))
    colours = plt.get_cmap("tab10").colors
    for y, (name, idx) in enumerate(rows.items()):
        clips = np.atleast_2d(np.asarray(idx))
        offsets = np.linspace(0.1, -0.3, len(clips)) if len(clips) > 1 else [-0.1]
        for k, (clip, dy) in enumerate(zip(clips, offsets)):  # overlapping clips stay visible
            ax.scatter(clip, np.full(len(clip), dy - y), s=12,
                       marker="|" if len(clip) > 60 else "o",
                       color=colours[k % len(colours)], linewidths=1)
        # The row's name above it: the full width stays for the frames, on a phone too.
        ax.text(1, 0.15 - y, name, va="bottom", zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_yticks([])
    ax.set_xlim(-2, num_frames + 1)
    ax.set_ylim(-len(rows) + 0.5, 0.6)
    ax.set_xlabel("frame index")
    top = ax.secondary_xaxis("top", functions=(lambda f: f / fps, lambda s: s * fps))
    top.set_xlabel("seconds")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_raw_sizes(resolutions: Mapping[str, tuple[int, int]], *, fps: Sequence[float] = (5, 30),
                   seconds: float = 60.0, width: float = PAGE_WIDTH) -> Figure:
    """The static twin of the raw-size explorer: bytes per ``seconds`` for each resolution and fps.

    Args:
        resolutions: name -> ``(height, width)``.
        fps: one bar per frame rate.
        seconds: duration of the video.
        width: figure width in inches.
    """
    check_mapping(resolutions=resolutions)
    for name, size in resolutions.items():
        check_shape(f"resolutions[{name!r}]", size, rank=2)
    if np.ndim(fps) != 1 or not len(fps):
        raise ValueError(f"fps must be a non-empty sequence of frame rates, got {fps!r}")
    check_positive(width=width, **{f"fps[{i}]": rate for i, rate in enumerate(fps)})
    fig, ax = plt.subplots(figsize=(width, 4))
    names = list(resolutions)
    bar = 0.8 / len(fps)
    for k, rate in enumerate(fps):
        gib = [raw_video_size(height=h, width=w, fps=rate, seconds=seconds).to("GiB")
               for h, w in resolutions.values()]
        xs = np.arange(len(names)) + (k - (len(fps) - 1) / 2) * bar
        ax.bar(xs, gib, bar, label=f"{rate:g} fps")
        for x, g in zip(xs, gib):
            ax.annotate(f"{g:.3g}", (x, g), ha="center", va="bottom", fontsize=13)
    ax.set_xticks(np.arange(len(names)), [n.replace(" ", "\n", 1) for n in names])
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.01, not 10^-2
    ax.set_ylabel(f"GiB per {seconds:g} s (uint8 RGB)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_histories(histories: Mapping[str, object], *, key: str = "val_acc",
                   chance: float | None = None, width: float = PAGE_WIDTH) -> Figure:
    """Learning curves: ``key`` (e.g. validation accuracy) per epoch, one line per model."""
    check_mapping(histories=histories)
    check_positive(width=width)
    if chance is not None:
        check_number(chance=chance)
    fig, ax = plt.subplots(figsize=(width, 3.2))
    for name, history in histories.items():
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, marker="o", label=name)
    if chance is not None:
        ax.axhline(chance, color="grey", ls="--", lw=1, label="chance")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.legend(frameon=False, ncols=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_confusion(confusion, classes: Sequence[str], *, title: str = "", ax=None) -> Figure:
    """A confusion matrix with counts: rows are true classes, columns predictions.

    Drawn into ``ax`` when given (the caller then owns the figure's layout), else a new figure.
    """
    confusion = np.asarray(confusion)
    if (confusion.shape != (len(classes), len(classes)) or not len(classes)
            or not np.issubdtype(confusion.dtype, np.number) or (confusion < 0).any()):
        raise ValueError(f"expected a K x K matrix of counts >= 0 for the K = {len(classes)} "
                         f"classes, got {confusion.dtype} {confusion.shape}")
    own = ax is None
    fig = plt.figure(figsize=(5, 4.6)) if own else ax.figure
    ax = fig.add_subplot() if own else ax
    ax.imshow(confusion, cmap="Blues")
    for (i, j), n in np.ndenumerate(confusion):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=13,
                    color="white" if n > confusion.max() / 2 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if own:
        fig.tight_layout()
    return fig


def plot_rf_growth(tables: Mapping[str, Sequence], *, width: float = PAGE_WIDTH) -> Figure:
    """Receptive field after each layer, in time (T) and in space (H), one line per model.

    Args:
        tables: model name -> rows from :func:`lectures_lib.costs.receptive_field.receptive_fields`.
        width: figure width in inches.
    """
    check_mapping(tables=tables)
    check_positive(width=width)
    if not all(rows and all(isinstance(r, Row) for r in rows) for rows in tables.values()):
        raise ValueError("tables must map each model name to a non-empty list of receptive-field "
                         "Rows (from receptive_fields)")
    fig, axes = plt.subplots(1, 2, figsize=(width, 3.8), sharex=True, layout="constrained")
    styles = [("-", 9), ("--", 6), (":", 4)]                       # coinciding lines stay visible
    for k, (name, rows) in enumerate(tables.items()):
        line, size = styles[k % len(styles)]
        for ax, axis in zip(axes, (0, 1)):
            ax.plot(range(1, len(rows) + 1), [r.rf[axis] for r in rows], ls=line, marker="o",
                    markersize=size, label=name)
    longest = max(len(rows) for rows in tables.values())
    for ax, what in zip(axes, ("time: frames seen (T)", "space: pixels (H = W)")):
        ax.set_title(what)
        ax.set_xlabel("layer")
        ax.set_xticks(range(1, longest + 1))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("receptive field")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", frameon=False,
               ncols=min(len(tables), 3), handlelength=1.6, columnspacing=1.0)  # hides no line
    return fig
