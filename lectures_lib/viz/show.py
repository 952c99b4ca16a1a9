"""Showing video: frame strips, labelled clips, scrubbable animations, receptive fields and filters.

Every figure here is a static PNG or a self-contained HTML animation (JPEG frames and a slider), so
it shows on the website, which has no kernel. Charts (curves, bars, matrices) are in
:mod:`lectures_lib.viz.plotting`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import HTML
from matplotlib import animation
from matplotlib.figure import Figure

from ..core.checks import check_int, check_labels, check_positive, check_positive_int
from ..core.video import batch_to_frames, check_layout
from .plotting import PAGE_WIDTH


def _as_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3) or 0 in frames.shape:
        raise ValueError(f"expected frames (T, H, W, C) with C in (1, 3), no empty axis, "
                         f"got {frames.shape}")
    return frames[..., 0] if frames.shape[-1] == 1 else frames


def show_frames(frames: np.ndarray, *, indices: Sequence[int] | None = None, ncols: int = 8,
                titles: Sequence[str] | None = None, width: float = PAGE_WIDTH) -> Figure:
    """A strip (or grid) of frames, titled with their indices unless ``titles`` are given.

    Args:
        frames: ``(T, H, W, C)`` uint8 frames (C = 1 or 3).
        indices: which frames to show (all when None).
        ncols: frames per row.
        titles: one title per shown frame.
        width: figure width in inches.
    """
    check_positive(width=width)
    frames = _as_frames(frames)
    indices = list(range(len(frames))) if indices is None else list(indices)
    check_positive_int(ncols=ncols, **{"len(indices)": len(indices)})
    titles = [f"t={i}" for i in indices] if titles is None else list(titles)
    if len(titles) != len(indices):
        raise ValueError(f"got {len(titles)} titles for {len(indices)} frames")
    ncols = min(ncols, len(indices))
    nrows = -(-len(indices) // ncols)
    h, w = frames.shape[1:3]
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(width, width / ncols * h / w * nrows + 0.35 * nrows))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i, title in zip(axes.flat, indices, titles):
        ax.imshow(frames[i], cmap="gray" if frames.ndim == 3 else None)
        ax.set_title(title)
    fig.tight_layout()
    return fig


# The animation shrinks to the page (a phone is narrower than its frames and its slider).
_FIT = ("<style>.animation{max-width:100%}.animation img{max-width:100%;height:auto}"
        "input[type=range].anim-slider{max-width:100%}</style>")


def _jshtml(fig: Figure, draw, n: int, fps: float, alt: str) -> HTML:
    """``fig`` animated by ``draw(t)`` for ``t < n`` as self-contained HTML, with ``alt`` text."""
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("an animation needs alt text: a sentence saying what it shows")
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, draw, frames=n, interval=1000 / fps)
    with plt.rc_context({"animation.frame_format": "jpeg"}):
        html = anim.to_jshtml(fps=fps, default_mode="loop")
    plt.close(fig)
    html = re.sub(r'(<img id="_anim_img\w+")', lambda m: f'{m.group(1)} alt="{escape(alt)}"', html)
    return HTML(_FIT + html)


def animate_frames(frames: np.ndarray, *, fps: float, alt: str, title: str = "",
                   width: float = 5.0, dpi: int = 80) -> HTML:
    """A scrubbable, self-contained HTML animation of ``(T, H, W, C)`` frames (matplotlib jshtml).

    It needs no kernel and no video codec, so it plays on the static website. Every frame is
    embedded as a JPEG of ``width`` inches at ``dpi``: keep clips short and small.

    Args:
        frames: ``(T, H, W, C)`` uint8 frames (C = 1 or 3).
        fps: playback speed.
        alt: alt text for the page: what the animation shows.
        title: shown above the frames, with the frame number.
        width: width in inches.
        dpi: pixels per inch of the embedded frames.
    """
    check_positive(fps=fps, width=width)
    check_positive_int(dpi=dpi)
    frames = _as_frames(frames)
    h, w = frames.shape[1:3]
    fig, ax = plt.subplots(figsize=(width, width * h / w + 0.4), dpi=dpi)
    ax.axis("off")
    image = ax.imshow(frames[0], cmap="gray" if frames.ndim == 3 else None)
    label = ax.set_title(f"{title}  frame 0/{len(frames) - 1}".strip())

    def draw(t: int) -> None:
        image.set_data(frames[t])
        label.set_text(f"{title}  frame {t}/{len(frames) - 1}".strip())

    return _jshtml(fig, draw, len(frames), fps, alt)


def tile_clips(clips: np.ndarray, ncols: int, pad: int = 2) -> np.ndarray:
    """``(N, T, H, W, C) -> (T, rows*(H+pad), ncols*(W+pad), C)`` uint8: a grid of clips, white
    gaps, to play as one video."""
    if not isinstance(clips, np.ndarray) or clips.ndim != 5 or clips.dtype != np.uint8:
        raise ValueError(f"clips must be an (N, T, H, W, C) uint8 array, got "
                         f"{getattr(clips, 'dtype', type(clips).__name__)} of shape "
                         f"{getattr(clips, 'shape', '-')}")
    check_positive_int(ncols=ncols)
    check_int(0, pad=pad)
    N, T, H, W, C = clips.shape
    rows = -(-N // ncols)
    out = np.full((T, rows * (H + pad), ncols * (W + pad), C), 255, np.uint8)
    for k, clip in enumerate(clips):
        r, c = divmod(k, ncols)
        out[:, r * (H + pad):r * (H + pad) + H, c * (W + pad):c * (W + pad) + W] = clip
    return out


def show_clips(clips, labels: Sequence[int], classes: Sequence[str], *, frames: int = 6,
               width: float = PAGE_WIDTH) -> Figure:
    """One row per clip, ``frames`` evenly spaced frames each, labelled with the clip's class.

    Args:
        clips: ``(N, C, T, H, W)`` float tensor in [0, 1].
        labels: N class indices.
        classes: class names.
        frames: how many evenly spaced frames of each clip to show.
        width: figure width in inches.
    """
    check_positive_int(frames=frames)
    check_positive(width=width)
    video = batch_to_frames(clips)  # (N, C, T, H, W) -> (N, T, H, W, C)
    N, T = video.shape[:2]
    check_labels(torch.as_tensor(labels), size=N, classes=len(classes))
    shown = np.linspace(0, T - 1, frames).round().astype(int)
    # The class above each row and the times under the last: the frames get the whole width.
    fig, axes = plt.subplots(N, frames, squeeze=False, layout="constrained",
                             figsize=(width, (width / frames + 0.3) * N + 0.3))
    for i in range(N):
        for j, t in enumerate(shown):
            axes[i, j].imshow(video[i, t])
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == N - 1:
                axes[i, j].set_xlabel(f"t={t}")
        axes[i, 0].set_title(classes[int(labels[i])], loc="left")
    return fig


def animate_clips(clips, labels: Sequence[int], classes: Sequence[str], *, alt: str,
                  fps: float = 6, ncols: int = 4, width: float = PAGE_WIDTH) -> HTML:
    """The clips playing side by side in one scrubbable animation, each titled with its class.

    Args:
        clips: ``(N, C, T, H, W)`` float tensor in [0, 1].
        labels: N class indices.
        classes: class names.
        alt: alt text for the page: what the animation shows.
        fps: playback speed.
        ncols: clips per row.
        width: width in inches.
    """
    check_positive(fps=fps, width=width)
    check_positive_int(ncols=ncols)
    video = batch_to_frames(clips)                                   # (N, T, H, W, C)
    N, T = video.shape[:2]
    if len(labels) != N:
        raise ValueError(f"got {len(labels)} labels for {N} clips")
    check_labels(torch.as_tensor(labels), size=N, classes=len(classes))
    nrows = -(-N // ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, dpi=80,
                             figsize=(width, width / ncols * nrows * 1.25 + 0.4))
    images = []
    for ax, clip, y in zip(axes.flat, video, labels):
        images.append(ax.imshow(clip[0]))
        ax.set_title(classes[int(y)])
    for ax in axes.flat:
        ax.axis("off")
    label = fig.suptitle(f"frame 0/{T - 1}")

    def draw(t: int) -> None:
        for image, clip in zip(images, video):
            image.set_data(clip[t])
        label.set_text(f"frame {t}/{T - 1}")

    return _jshtml(fig, draw, T, fps, alt)


def show_receptive_field(frames: np.ndarray, field: tuple, *, title: str = "", every: int = 2,
                         width: float = PAGE_WIDTH, ax_row=None) -> Figure:
    """Frames of a clip with one unit's receptive field drawn on them.

    Args:
        frames: ``(T, H, W, 3)`` uint8.
        field: ``((t0, t1), (h0, h1), (w0, w1))`` inclusive, e.g. from ``unit_receptive_field``.
        title: the row's label (the model's name).
        every: show every ``every``-th frame; frames outside the field's time span are faded.
        width: figure width in inches (when ``ax_row`` is None).
        ax_row: draw into these axes (one per shown frame) instead of a new figure.
    """
    check_layout(frames, "(T, H, W, C)", channels=3, dtype="uint8")
    check_positive_int(every=every)
    check_positive(width=width)
    (t0, t1), (h0, h1), (w0, w1) = field
    if not all(0 <= lo <= hi < n for (lo, hi), n in zip(field, frames.shape)):
        raise ValueError(f"field {field} is not inside the clip's (T, H, W) {frames.shape[:3]}")
    shown = list(range(0, len(frames), every))
    if ax_row is None:
        fig, (ax_row,) = plt.subplots(1, len(shown), squeeze=False,
                                      figsize=(width, width / len(shown) + 0.4))
    if len(ax_row) != len(shown):
        raise ValueError(f"ax_row has {len(ax_row)} axes for the {len(shown)} frames shown")
    fig = ax_row[0].figure
    for ax, t in zip(ax_row, shown):
        inside = t0 <= t <= t1
        ax.imshow(frames[t] if inside else (frames[t] * 0.45 + 140).astype(np.uint8))
        if inside:
            ax.add_patch(plt.Rectangle((w0 - 0.5, h0 - 0.5), w1 - w0 + 1, h1 - h0 + 1, fill=False,
                                       edgecolor="red", linewidth=1.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"t={t}", fontsize=13)
    ax_row[0].set_ylabel(title, rotation=0, ha="right", va="center")
    return fig


def filter_frames(weight, *, scale: int = 8, ncols: int = 8) -> np.ndarray:
    """First-layer 3-D filters as a tiled clip: ``(C_out, 3, t, h, w)`` -> ``(t, H, W, 3)`` uint8.

    Each filter is normalised on its own to [0, 255] and enlarged ``scale`` times, so that its
    ``t`` frames can be shown as a strip or played as a tiny video.
    """
    check_positive_int(scale=scale, ncols=ncols)
    if not isinstance(weight, (np.ndarray, torch.Tensor)):
        raise TypeError(f"expected weights (C_out, 3, t, h, w), got {type(weight).__name__}")
    w = np.asarray(weight.detach().cpu() if hasattr(weight, "detach") else weight, dtype=np.float32)
    if w.ndim != 5 or w.shape[1] != 3 or 0 in w.shape:
        raise ValueError(f"expected weights (C_out, 3, t, h, w), got {w.shape}")
    lo = w.min(axis=(1, 2, 3, 4), keepdims=True)
    hi = w.max(axis=(1, 2, 3, 4), keepdims=True)
    clips = ((w - lo) / np.maximum(hi - lo, 1e-8) * 255).astype(np.uint8)   # (N, 3, t, h, w)
    # -> (N, t, h, w, 3)
    clips = clips.transpose(0, 2, 3, 4, 1).repeat(scale, axis=2).repeat(scale, axis=3)
    return tile_clips(clips, ncols)
