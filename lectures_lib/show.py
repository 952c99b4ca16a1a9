"""Showing video: frame strips, labelled clips, scrubbable animations, receptive fields and filters.

Every figure here is a static PNG or a self-contained HTML animation (JPEG frames and a slider), so
it shows on the website, which has no kernel. Charts (curves, bars, matrices) are in
:mod:`lectures_lib.plotting`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML
from matplotlib import animation
from matplotlib.figure import Figure

from .video import batch_to_frames


def _as_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(f"expected frames (T, H, W, C) with C in (1, 3), got {frames.shape}")
    return frames[..., 0] if frames.shape[-1] == 1 else frames


def show_frames(frames: np.ndarray, *, indices: Sequence[int] | None = None, ncols: int = 8,
                titles: Sequence[str] | None = None, width: float = 10.0) -> Figure:
    """A strip (or grid) of frames, titled with their indices unless ``titles`` are given.

    Args:
        frames: ``(T, H, W, C)`` uint8 frames (C = 1 or 3).
        indices: which frames to show (all when None).
        ncols: frames per row.
        titles: one title per shown frame.
        width: figure width in inches.
    """
    frames = _as_frames(frames)
    indices = list(range(len(frames))) if indices is None else list(indices)
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
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def animate_frames(frames: np.ndarray, *, fps: float, title: str = "", width: float = 4.0,
                   dpi: int = 80) -> HTML:
    """A scrubbable, self-contained HTML animation of ``(T, H, W, C)`` frames (matplotlib jshtml).

    It needs no kernel and no video codec, so it plays on the static website. Every frame is
    embedded as a JPEG of ``width`` inches at ``dpi``: keep clips short and small.
    """
    frames = _as_frames(frames)
    h, w = frames.shape[1:3]
    fig, ax = plt.subplots(figsize=(width, width * h / w + 0.3), dpi=dpi)
    ax.axis("off")
    image = ax.imshow(frames[0], cmap="gray" if frames.ndim == 3 else None)
    label = ax.set_title(f"{title}  frame 0/{len(frames) - 1}".strip(), fontsize=9)

    def draw(t: int) -> None:
        image.set_data(frames[t])
        label.set_text(f"{title}  frame {t}/{len(frames) - 1}".strip())

    fig.tight_layout()
    anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=1000 / fps)
    with plt.rc_context({"animation.frame_format": "jpeg"}):
        html = anim.to_jshtml(fps=fps, default_mode="loop")
    plt.close(fig)
    return HTML(html)


def _tile(clips: np.ndarray, ncols: int, pad: int = 2) -> np.ndarray:
    """``(N, T, H, W, C)`` -> ``(T, rows*(H+pad), ncols*(W+pad), C)``: clips side by side,
    white gaps."""
    N, T, H, W, C = clips.shape
    rows = -(-N // ncols)
    out = np.full((T, rows * (H + pad), ncols * (W + pad), C), 255, np.uint8)
    for k, clip in enumerate(clips):
        r, c = divmod(k, ncols)
        out[:, r * (H + pad):r * (H + pad) + H, c * (W + pad):c * (W + pad) + W] = clip
    return out


def show_clips(clips, labels: Sequence[int], classes: Sequence[str], *, frames: int = 6,
               width: float = 9.0) -> Figure:
    """One row per clip, ``frames`` evenly spaced frames each, labelled with the clip's class.

    Args:
        clips: ``(N, C, T, H, W)`` float tensor in [0, 1].
        labels: N class indices.
        classes: class names.
        frames: how many evenly spaced frames of each clip to show.
        width: figure width in inches.
    """
    video = batch_to_frames(clips)  # (N, C, T, H, W) -> (N, T, H, W, C)
    N, T = video.shape[:2]
    shown = np.linspace(0, T - 1, frames).round().astype(int)
    fig, axes = plt.subplots(N, frames, squeeze=False, figsize=(width, width / frames * N * 1.02))
    for i in range(N):
        for j, t in enumerate(shown):
            axes[i, j].imshow(video[i, t])
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(f"t={t}", fontsize=9)
        axes[i, 0].set_ylabel(classes[int(labels[i])], rotation=0, ha="right", va="center",
                              fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def animate_clips(clips, labels: Sequence[int], classes: Sequence[str], *, fps: float = 6,
                  ncols: int = 4, width: float = 6.0) -> HTML:
    """The clips playing side by side in one scrubbable animation, titled with their classes."""
    from .video import batch_to_frames
    tiled = _tile(batch_to_frames(clips), ncols)
    names = " | ".join(classes[int(y)] for y in labels)
    return animate_frames(tiled, fps=fps, title=names if len(names) < 90 else "", width=width)


def show_receptive_field(frames: np.ndarray, field: tuple, *, title: str = "", every: int = 2,
                         width: float = 10.0, ax_row=None) -> Figure:
    """Frames of a clip with one unit's receptive field drawn on them.

    Args:
        frames: ``(T, H, W, 3)`` uint8.
        field: ``((t0, t1), (h0, h1), (w0, w1))`` inclusive, e.g. from ``unit_receptive_field``.
        title: the row's label (the model's name).
        every: show every ``every``-th frame; frames outside the field's time span are faded.
        width: figure width in inches (when ``ax_row`` is None).
        ax_row: draw into these axes (one per shown frame) instead of a new figure.
    """
    (t0, t1), (h0, h1), (w0, w1) = field
    shown = list(range(0, len(frames), every))
    if ax_row is None:
        fig, ax_row = plt.subplots(1, len(shown), figsize=(width, width / len(shown) + 0.4))
    fig = ax_row[0].figure
    for ax, t in zip(ax_row, shown):
        inside = t0 <= t <= t1
        ax.imshow(frames[t] if inside else (frames[t] * 0.45 + 140).astype(np.uint8))
        if inside:
            ax.add_patch(plt.Rectangle((w0 - 0.5, h0 - 0.5), w1 - w0 + 1, h1 - h0 + 1, fill=False,
                                       edgecolor="red", linewidth=1.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"t={t}", fontsize=7)
    ax_row[0].set_ylabel(title, fontsize=8, rotation=0, ha="right", va="center")
    return fig


def filter_frames(weight, *, scale: int = 8, ncols: int = 8) -> np.ndarray:
    """First-layer 3-D filters as a tiled clip: ``(C_out, 3, t, h, w)`` -> ``(t, H, W, 3)`` uint8.

    Each filter is normalised on its own to [0, 255] and enlarged ``scale`` times, so that its
    ``t`` frames can be shown as a strip or played as a tiny video.
    """
    w = np.asarray(weight.detach().cpu() if hasattr(weight, "detach") else weight, dtype=np.float32)
    if w.ndim != 5 or w.shape[1] != 3:
        raise ValueError(f"expected weights (C_out, 3, t, h, w), got {w.shape}")
    lo = w.min(axis=(1, 2, 3, 4), keepdims=True)
    hi = w.max(axis=(1, 2, 3, 4), keepdims=True)
    clips = ((w - lo) / np.maximum(hi - lo, 1e-8) * 255).astype(np.uint8)   # (N, 3, t, h, w)
    # -> (N, t, h, w, 3)
    clips = clips.transpose(0, 2, 3, 4, 1).repeat(scale, axis=2).repeat(scale, axis=3)
    return _tile(clips, ncols)
