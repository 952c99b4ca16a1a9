"""Seeing optical flow: the Middlebury colour coding, its legend, arrows, and a four-panel figure.

A flow field is two numbers per pixel, so it needs more than one picture. The book shows four:
arrows on the frame (direction and length, sparse), ``u`` and ``v`` as images (exact values,
dense), and the *colour coding* of Baker et al., which the literature uses everywhere: hue is the
direction and saturation the length, read with the colour wheel as the legend::

    flow_to_color   (2, H, W) flow -> (H, W, 3) uint8, white where the flow is zero
    color_wheel     the legend: each pixel coloured by its own offset from the centre
    quiver          arrows of the flow on an existing axes, one arrow = the displacement in pixels
    plot_flow       the four panels in one figure
    flow_panels     several flows side by side on one colour scale, with the legend: how the book
                    compares methods, settings and the truth
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from ..core.checks import check_positive, check_positive_int
from .ops import Frame, as_gray, check_flow

# Middlebury's wheel: (number of hues, channel held at 255, channel ramped, ramp rising?) for the
# segments red-yellow, yellow-green, green-cyan, cyan-blue, blue-magenta, magenta-red.
_SEGMENTS = ((15, 0, 1, True), (6, 1, 0, False), (4, 1, 2, True),
             (11, 2, 1, False), (13, 2, 0, True), (6, 0, 2, False))


def _wheel() -> np.ndarray:
    """The 55 colours of the Middlebury wheel, ``(55, 3)`` float in 0..255."""
    rows = []
    for n, full, ramp, rising in _SEGMENTS:
        colours = np.zeros((n, 3))
        colours[:, full] = 255
        steps = np.floor(255 * np.arange(n) / n)
        colours[:, ramp] = steps if rising else 255 - steps
        rows.append(colours)
    return np.concatenate(rows)


def _colorize(u: np.ndarray, v: np.ndarray, max_magnitude: float) -> np.ndarray:
    """Middlebury's ``computeColor`` on ``(H, W)`` components, scaled by ``max_magnitude``."""
    wheel = _wheel()
    n = len(wheel)
    u, v = u / max_magnitude, v / max_magnitude
    radius = np.hypot(u, v)[..., None]                               # (H, W, 1)
    fk = (np.arctan2(-v, -u) / np.pi + 1) / 2 * (n - 1)              # angle -> position on wheel
    k0 = np.floor(fk).astype(int)
    f = (fk - k0)[..., None]
    colour = ((1 - f) * wheel[k0] + f * wheel[(k0 + 1) % n]) / 255   # (H, W, 3) in [0, 1]
    inside = radius <= 1 + 1e-6                   # float32 maxima may round just past 1
    colour = np.where(inside, 1 - np.minimum(radius, 1) * (1 - colour),
                      0.75 * colour)                                 # beyond the maximum: darker
    return np.floor(255 * colour).astype(np.uint8)


def _single(flow: torch.Tensor) -> torch.Tensor:
    """Check a flow and return it as ``(2, H, W)`` (a batch of one is accepted)."""
    check_flow(flow)
    if flow.ndim == 4:
        if flow.shape[0] != 1:
            raise ValueError(f"expected one flow (2, H, W), got a batch of shape "
                             f"{tuple(flow.shape)}")
        flow = flow[0]
    return flow.detach().cpu().double()


def flow_to_color(flow: torch.Tensor, *, max_magnitude: float | None = None) -> np.ndarray:
    """The Middlebury colour coding of a flow field: hue is the direction, saturation the length.

    Why this coding: it is the one every flow paper uses, so the book's pictures read like theirs.
    Zero flow is white; a flow of length ``max_magnitude`` has the wheel's full colour, and longer
    flows are drawn at 75 % brightness. The hue follows ``atan2(-v, -u)`` as in the reference
    code: right (+u) is red, down (+v) is orange-yellow, left is cyan-blue, up is blue-violet.

    Args:
        flow: ``(2, H, W)`` torch flow (u, v) in pixels.
        max_magnitude: the length shown at full saturation; None uses the field's longest vector.

    Shape:
        ``(2, H, W)`` -> ``(H, W, 3)`` uint8 RGB.

    Reference:
        Baker, Scharstein, Lewis, Roth, Black & Szeliski, 2011, "A Database and Evaluation
        Methodology for Optical Flow" (IJCV), and its ``colorcode.cpp``.
    """
    flow = _single(flow).numpy()
    if max_magnitude is None:
        max_magnitude = max(float(np.hypot(*flow).max()), 1e-12)     # zero field: all white
    check_positive(max_magnitude=max_magnitude)
    return _colorize(flow[0], flow[1], max_magnitude)


def color_wheel(size: int = 101) -> np.ndarray:
    """The legend of :func:`flow_to_color`: each pixel coloured as the flow to it from the centre.

    Why: read a colour-coded flow by finding its colour here; the offset from the centre is the
    flow (direction and, relative to the radius, length). Outside the disk is white.

    Args:
        size: side of the square image in pixels (at least 3).

    Shape:
        ``(size, size, 3)`` uint8 RGB.
    """
    check_positive_int(size=size)
    if size < 3:
        raise ValueError(f"size must be at least 3 pixels, got {size}")
    centre = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size] - centre                         # offsets (size, size)
    image = _colorize(x, y, centre)
    image[np.hypot(x, y) > centre] = 255
    return image


def quiver(ax: Axes, flow: torch.Tensor, *, step: int | None = None,
           color: str = "yellow", width: float = 0.006) -> Quiver:
    """Draw the flow as arrows on ``ax``, one every ``step`` pixels, in image coordinates.

    Why: an arrow shows direction and length at a glance. Each arrow is the displacement in pixels
    (``angles="xy", scale_units="xy", scale=1``) and the y axis points down, as in the image. To
    draw a flow of a few pixels visibly, pass it multiplied by a factor and say so.

    Args:
        ax: matplotlib axes, usually showing the frame.
        flow: ``(2, H, W)`` torch flow (u, v) in pixels.
        step: pixels between arrows; None draws about 16 across the width.
        color: arrow colour.
        width: shaft width as a fraction of the axes' width.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    flow = _single(flow).numpy()
    H, W = flow.shape[-2:]
    step = max(1, round(W / 16)) if step is None else step
    check_positive_int(step=step)
    check_positive(width=width)
    y, x = np.mgrid[step // 2:H:step, step // 2:W:step]              # arrow tails (h, w)
    arrows = ax.quiver(x, y, flow[0, y, x], flow[1, y, x], color=color, angles="xy",
                       scale_units="xy", scale=1, width=width)
    ax.set(xlim=(-0.5, W - 0.5), ylim=(H - 0.5, -0.5), aspect="equal")  # y axis down
    return arrows


def _frame(frame: Frame, size: tuple[int, int]) -> np.ndarray:
    """One gray frame of ``size = (H, W)`` as a numpy ``(H, W)`` image in [0, 1]."""
    gray = as_gray(frame)                                            # (B, 1, H, W)
    if gray.shape[0] != 1 or tuple(gray.shape[-2:]) != size:
        raise ValueError(f"expected one frame of the flow's size {size}, got shape "
                         f"{tuple(frame.shape)}")
    return gray[0, 0].cpu().numpy()


def plot_flow(frame: Frame, flow: torch.Tensor, *, step: int | None = None,
              max_magnitude: float | None = None, title: str = "", arrow_scale: float = 1.0,
              columns: int | None = None, width: float = 6.0) -> Figure:
    """A flow in four panels: arrows on the frame, its colour coding, and ``u`` and ``v``.

    Why four: arrows are sparse but direct, the colour coding is dense but needs its legend (the
    wheel, beside it, covering nothing), and ``u``, ``v`` with colour bars give the values in
    pixels. The panels sit two to a row, or one to a row for wide frames, so that a figure shrunk
    to a phone's width keeps panels and text large enough to read.

    Args:
        frame: the first frame, ``(H, W)``, ``(1, H, W)`` or ``(1, C, H, W)`` (see
            :func:`lectures_lib.flow.as_gray`).
        flow: ``(2, H, W)`` torch flow (u, v) in pixels, from that frame to the next.
        step: pixels between arrows; None draws about 16 across the width.
        max_magnitude: length at full saturation in the colour coding; None: the longest vector.
        title: figure title.
        arrow_scale: arrows are drawn this many times longer than the motion (the arrows' title
            says so when it is not 1), for flows of a few pixels.
        columns: panels per row, 1 or 2; None: 2, or 1 for frames more than 1.6 times as wide as
            they are tall.
        width: figure width in inches, at most 6 (the page's width, ``viz.plotting.PAGE_WIDTH``).
    """
    flow = _single(flow)
    H, W = flow.shape[-2:]
    image = _frame(frame, (H, W))
    check_positive(arrow_scale=arrow_scale, width=width)
    columns = (2 if W <= 1.6 * H else 1) if columns is None else columns
    if isinstance(columns, bool) or columns not in (1, 2):
        raise ValueError(f"columns must be 1 or 2, got {columns}")
    if width > 6.0:
        raise ValueError(f"width must be at most 6 inches, got {width}")
    # Inches: each panel has a side strip (colour bar or wheel: bar, then room for its ticks).
    font = plt.rcParams["font.size"] / 72                                # text height, inches
    bar, ticks, gap, margin = 0.12, 3.4 * font, 0.2, 0.05
    panel = (width - 2 * margin - columns * (bar + ticks) - (columns - 1) * gap) / columns
    if panel < 1:
        raise ValueError(f"width {width} leaves panels under an inch wide; make it wider")
    high = panel * H / W
    titled = 3.5 * font if arrow_scale != 1 else 2.0 * font              # two lines or one
    rows = 4 // columns
    top = margin + titled + (2.0 * font if title else 0)
    height = top + rows * high + (rows - 1) * titled + margin
    fig = plt.figure(figsize=(width, height))
    ratios = ([panel, bar, ticks, gap] * columns)[:-1]
    grid = fig.add_gridspec(rows, len(ratios), width_ratios=ratios, wspace=0,
                            hspace=titled / high, left=margin / width,
                            right=1 - margin / width, top=1 - top / height,
                            bottom=margin / height)
    slots = [(k // columns, 4 * (k % columns)) for k in range(4)]          # (row, first column)
    arrows, coded, ax_u, ax_v = (fig.add_subplot(grid[r, c]) for r, c in slots)
    arrows.imshow(image, cmap="gray", vmin=0, vmax=1)
    quiver(arrows, flow * arrow_scale, step=step)
    arrows.set_title("frame and flow" if arrow_scale == 1 else
                     f"frame and flow\n(arrows x{arrow_scale:g})")
    coded.imshow(flow_to_color(flow, max_magnitude=max_magnitude))
    coded.set_title("colour coding")
    r, c = slots[1]
    beside = fig.add_subplot(grid[r, c + 1:c + 3])                       # the legend's strip
    beside.axis("off")
    legend = beside.inset_axes([0.15, 0, 0.85, 1])                       # a gap, then the wheel
    legend.imshow(color_wheel())
    legend.axis("off")
    limit = max(float(flow.abs().max()), 1e-3)                       # one symmetric scale for u, v
    for ax, (r, c), channel, name in ((ax_u, slots[2], 0, "u (px)"), (ax_v, slots[3], 1, "v (px)")):
        shown = ax.imshow(flow[channel].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(shown, cax=fig.add_subplot(grid[r, c + 1]), label=name)
        ax.set_title(f"{name[0]}: {'right' if channel == 0 else 'down'} is +")
    for ax in (arrows, coded, ax_u, ax_v):
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, y=1 - margin / height, va="top")
    return fig


def flow_panels(fields: Mapping[str, torch.Tensor], *, max_magnitude: float | None = None,
                columns: int = 3, frame: Frame | None = None,
                under: Mapping[str, Frame] | None = None, legend: bool = True,
                width: float = 5.5) -> Figure:
    """Flows side by side on one colour scale, titled by their names, with the wheel as legend.

    The panels run row by row, ``columns`` to a row: ``frame`` first (when given, in gray, titled
    "frame 0"), then each flow's colour coding, then the legend. One scale for all, so equal
    colours mean equal motion across panels.

    Args:
        fields: title -> ``(2, H, W)`` flow (or a batch of one), all of one size; a title may hold
            a line break.
        max_magnitude: length at full saturation; None: the longest vector of all the fields.
        columns: panels per row.
        frame: the first frame, drawn first (see :func:`lectures_lib.flow.as_gray`).
        under: title -> a frame drawn faintly under that flow (30% gray, 70% colour), for flows
            that mean little without the picture they move.
        legend: draw the colour wheel as the last panel.
        width: figure width in inches, at most 6 (the page's width, ``viz.plotting.PAGE_WIDTH``).
    """
    if not isinstance(fields, Mapping) or not fields:
        raise ValueError(f"fields must be a non-empty mapping of title -> flow, got "
                         f"{type(fields).__name__} {fields if isinstance(fields, Mapping) else ''}")
    flows = {title: _single(f) for title, f in fields.items()}
    sizes = {tuple(f.shape[-2:]) for f in flows.values()}
    if len(sizes) != 1:
        raise ValueError(f"fields must share one size (H, W), got {sorted(sizes)}")
    (H, W), = sizes
    check_positive_int(columns=columns)
    check_positive(width=width)
    if width > 6.0:
        raise ValueError(f"width must be at most 6 inches, got {width}")
    under = dict(under or {})
    if unknown := sorted(set(under) - set(flows)):
        raise ValueError(f"under names flows that fields does not hold: {unknown}")
    if max_magnitude is None:
        max_magnitude = max(max(float(f.norm(dim=0).max()) for f in flows.values()), 1e-3)
    check_positive(max_magnitude=max_magnitude)
    panels: list[tuple[str, np.ndarray, dict]] = []
    if frame is not None:
        panels.append(("frame 0", _frame(frame, (H, W)), {"cmap": "gray", "vmin": 0, "vmax": 1}))
    for title, f in flows.items():
        colour = flow_to_color(f, max_magnitude=max_magnitude)          # (H, W, 3) uint8
        if title in under:
            faint = _frame(under[title], (H, W))[..., None]             # (H, W) -> (H, W, 1)
            colour = 0.3 * faint + 0.7 * colour / 255
        panels.append((title, colour, {}))
    if legend:
        panels.append(("legend", color_wheel(), {}))
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    lines = max(t.count("\n") + 1 for t, _, _ in panels)
    title_inches = (lines + 0.6) * 1.2 * plt.rcParams["font.size"] / 72     # titles are "large"
    panel = width / columns
    fig, axes = plt.subplots(rows, columns, squeeze=False,
                             figsize=(width, rows * (panel * min(H / W, 1.0) + title_inches)))
    for ax, (title, image, style) in zip(axes.flat, panels):
        ax.imshow(image, **style)
        ax.set_title(title)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout(pad=0.3)
    return fig
