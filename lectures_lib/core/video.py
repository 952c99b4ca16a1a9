"""A video is a 4-D tensor: layouts, video files, and the clips that models actually see.

Decoders hand out frames as ``(T, H, W, C)`` uint8; models here take ``(B, C, T, H, W)`` float;
the lecture also writes a clip as ``T x 3 x H x W``. Every conversion between these goes through
one named, tested function below, so that no chapter reshapes where it should permute; and every
model checks its input with :func:`check_clips`. Clip samplers (which frames make a clip) are here
too, with :class:`ClipSpec`, the one description of the clips a dataset cuts; reading and writing
video files is in :mod:`lectures_lib.data.video_io`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from .checks import (
    check_choice,
    check_int,
    check_positive,
    check_positive_int,
    check_shape,
    check_tensor,
)

Frames = np.ndarray | torch.Tensor


@dataclass(frozen=True)
class ClipSpec:
    """Which clips a dataset of real videos cuts, the same for the readers and the train command.

    Args:
        clip_len, stride: frames per clip and the step between them.
        size: resize frames to ``(H, W)``; None keeps the file's size.
        fps: resample every video to this frame rate first; None keeps the file's rate.
        num_clips: ``num_clips`` clips spread uniformly over each video (testing, to average their
            scores), not one random clip (training).
    """

    clip_len: int = 16
    stride: int = 1
    size: tuple[int, int] | None = None
    fps: float | None = None
    num_clips: int | None = None

    def __post_init__(self) -> None:
        check_positive_int(clip_len=self.clip_len, stride=self.stride)
        if self.num_clips is not None:
            check_positive_int(num_clips=self.num_clips)
        if self.fps is not None:
            check_positive(fps=self.fps)
        if self.size is not None:
            check_shape("size", self.size, rank=2)
            object.__setattr__(self, "size", tuple(self.size))

    def for_testing(self, num_clips: int) -> ClipSpec:
        """The same clips, ``num_clips`` of them spread uniformly over each video."""
        return dataclasses.replace(self, num_clips=num_clips)


def check_layout(x: Frames, layout: str, *, channels: int, frames: int | None = None,
                 dtype: str | None = None) -> None:
    """Raise unless ``x`` has the axes of ``layout``, ``C = channels`` (and ``T = frames``),
    no empty axis.

    The one layout check of the library; models call it through :func:`check_clips`.

    Args:
        x: a numpy array or torch tensor.
        layout: its axes, e.g. ``"(T, H, W, C)"`` or ``"(B, C, T, H, W)"``.
        channels: the size the ``C`` axis must have.
        frames: the size the ``T`` axis must have, or None for any.
        dtype: ``"uint8"`` (decoded frames), ``"float"`` (a floating-point torch tensor) or None.
    """
    axes = layout.strip("()").split(", ") if isinstance(layout, str) else []
    if "C" not in axes or (frames is not None and "T" not in axes):
        raise ValueError(f"layout must name its axes with a C (and a T), e.g. '(T, H, W, C)', "
                         f"got {layout!r}")
    check_positive_int(channels=channels, **({} if frames is None else {"frames": frames}))
    check_choice("dtype", dtype, ("uint8", "float", None))
    want = f"{layout} with C={channels}" + (f", T={frames}" if frames is not None else "")
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(f"expected a numpy array or torch tensor {want}, got {type(x).__name__}")
    shape = tuple(x.shape)
    if (len(shape) != len(axes) or shape[axes.index("C")] != channels
            or (frames is not None and shape[axes.index("T")] != frames)):
        raise ValueError(f"expected {want}, got {shape}")
    if 0 in shape:
        raise ValueError(f"expected {layout} with no empty axis, got {shape}")
    if dtype == "uint8" and x.dtype not in (np.uint8, torch.uint8):
        raise ValueError(f"expected {layout} frames of dtype uint8, got {x.dtype}")
    if dtype == "float" and not (isinstance(x, torch.Tensor) and x.is_floating_point()):
        raise ValueError(f"expected a floating-point torch tensor {layout}, got {x.dtype}")


def check_clips(x: torch.Tensor, *, channels: int, frames: int | None = None) -> None:
    """Raise unless ``x`` is a float batch of clips ``(B, C, T, H, W)`` with ``C = channels``.

    Every model of the book calls this first, so a wrong layout fails with a sentence, e.g.
    ``expected (B, C, T, H, W) with C=3, got (2, 16, 3, 112, 112)``, not deep inside a conv.

    Args:
        x: the model's input.
        channels: the C the model was built for.
        frames: the T it was built for, when it only works for one (early fusion).
    """
    check_layout(x, "(B, C, T, H, W)", channels=channels, frames=frames, dtype="float")


def frames_to_clip(frames: Frames, *, channels: int = 3) -> torch.Tensor:
    """Decoded frames to a model clip: ``(T, H, W, C)`` uint8 -> ``(C, T, H, W)`` float in [0, 1].

    Shape:
        frames: ``(T, H, W, C)`` uint8 (numpy or torch). Returns ``(C, T, H, W)`` float32.
    """
    check_layout(frames, "(T, H, W, C)", channels=channels, dtype="uint8")
    x = torch.as_tensor(frames)
    return x.permute(3, 0, 1, 2).float().div(255.0)  # (T, H, W, C) -> (C, T, H, W)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Float values in [0, 1] as 8-bit levels, rounded to the nearest (values outside are clipped):
    the one rule by which the book turns pixels into bytes, so that ``frames_to_clip`` undoes it
    exactly."""
    check_tensor(x=x)
    if not x.is_floating_point():
        raise ValueError(f"x must be a float tensor in [0, 1], got {x.dtype}")
    return x.detach().clamp(0, 1).mul(255).round().to(torch.uint8)


def clip_to_frames(clip: torch.Tensor, *, channels: int = 3) -> np.ndarray:
    """A model clip back to displayable frames: ``(C, T, H, W)`` float -> ``(T, H, W, C)`` uint8.

    Values are clipped to [0, 1] and rounded, so ``clip_to_frames(frames_to_clip(f))`` equals ``f``.
    """
    check_layout(clip, "(C, T, H, W)", channels=channels, dtype="float")
    x = to_uint8(clip.cpu())
    return x.permute(1, 2, 3, 0).numpy()  # (C, T, H, W) -> (T, H, W, C)


def frames_to_batch(frames: Frames, *, channels: int = 3) -> torch.Tensor:
    """A batch of decoded clips: ``(B, T, H, W, C)`` uint8 -> ``(B, C, T, H, W)`` float in
    [0, 1]."""
    check_layout(frames, "(B, T, H, W, C)", channels=channels, dtype="uint8")
    x = torch.as_tensor(frames)
    return x.permute(0, 4, 1, 2, 3).float().div(255.0)  # (B, T, H, W, C) -> (B, C, T, H, W)


def batch_to_frames(batch: torch.Tensor, *, channels: int = 3) -> np.ndarray:
    """Inverse of :func:`frames_to_batch`: ``(B, C, T, H, W)`` float -> ``(B, T, H, W, C)``
    uint8."""
    check_layout(batch, "(B, C, T, H, W)", channels=channels, dtype="float")
    x = to_uint8(batch.cpu())
    return x.permute(0, 2, 3, 4, 1).numpy()  # (B, C, T, H, W) -> (B, T, H, W, C)


def channels_first_to_time_first(clip: torch.Tensor) -> torch.Tensor:
    """The lecture's other layout: ``(C, T, H, W)`` -> ``(T, C, H, W)`` (also batched, 5-D).

    A view, not a copy: it only swaps the two leading non-batch axes.
    """
    check_tensor(clip=clip)
    if clip.ndim not in (4, 5):
        raise ValueError(f"expected (C, T, H, W) or (B, C, T, H, W), got shape {tuple(clip.shape)}")
    return clip.transpose(-4, -3)  # (..., C, T, H, W) -> (..., T, C, H, W)


def time_first_to_channels_first(clip: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`channels_first_to_time_first`: ``(T, C, H, W)`` -> ``(C, T, H, W)``."""
    check_tensor(clip=clip)
    if clip.ndim not in (4, 5):
        raise ValueError(f"expected (T, C, H, W) or (B, T, C, H, W), got shape {tuple(clip.shape)}")
    return clip.transpose(-4, -3)  # (..., T, C, H, W) -> (..., C, T, H, W)


def fold_time(batch: torch.Tensor) -> torch.Tensor:
    """Fold time into batch so a 2-D network sees every frame:
    ``(B, C, T, H, W) -> (B*T, C, H, W)``.

    Frames of one clip stay adjacent: row ``b*T + t`` is frame ``t`` of clip ``b``.
    """
    check_tensor(batch=batch)
    if batch.ndim != 5:
        raise ValueError(f"expected (B, C, T, H, W), got shape {tuple(batch.shape)}")
    B, C, T, H, W = batch.shape
    return batch.transpose(1, 2).reshape(B * T, C, H, W)  # (B, C, T, H, W) -> (B*T, C, H, W)


def unfold_time(folded: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Undo :func:`fold_time` on any per-frame output: ``(B*T, ...) -> (B, T, ...)``."""
    check_tensor(folded=folded)
    check_int(num_frames=num_frames)
    if num_frames < 1 or folded.ndim < 1 or folded.shape[0] % num_frames:
        raise ValueError(
            f"expected a leading axis B*T divisible by T={num_frames}, "
            f"got shape {tuple(folded.shape)}")
    # (B*T, ...) -> (B, T, ...)
    return folded.reshape(folded.shape[0] // num_frames, num_frames, *folded.shape[1:])


def resample_indices(num_frames: int, src_fps: float, dst_fps: float) -> np.ndarray:
    """Frame indices that play a ``src_fps`` video at ``dst_fps``
    (e.g. 30 -> 5 fps keeps every 6th).

    Output frame ``k`` shows the source frame on screen at time ``k / dst_fps``.
    """
    check_positive_int(num_frames=num_frames)
    check_positive(src_fps=src_fps, dst_fps=dst_fps)
    duration = num_frames / src_fps
    times = np.arange(int(np.ceil(duration * dst_fps - 1e-9))) / dst_fps
    return np.minimum(np.floor(times * src_fps + 1e-9).astype(int), num_frames - 1)


def clip_indices(num_frames: int, start: int, clip_len: int, *, stride: int = 1) -> np.ndarray:
    """Indices of one clip: ``clip_len`` frames from ``start``, ``stride`` apart.

    A clip that runs past the end repeats the last frame, so short videos still give full clips.
    """
    check_positive_int(num_frames=num_frames, clip_len=clip_len, stride=stride)
    check_int(start=start)
    if not 0 <= start < num_frames:
        raise ValueError(f"start must be in [0, {num_frames}), got {start}")
    return np.minimum(start + stride * np.arange(clip_len), num_frames - 1)


def uniform_clips(num_frames: int, clip_len: int, num_clips: int, *, stride: int = 1) -> np.ndarray:
    """Test-time sampling: ``num_clips`` clips with starts spread evenly over the whole video.

    The first clip starts the video and the last one ends it; a single clip is the middle one.

    Returns:
        ``(num_clips, clip_len)`` frame indices.
    """
    check_positive_int(num_frames=num_frames, clip_len=clip_len, num_clips=num_clips, stride=stride)
    last_start = max(num_frames - (clip_len - 1) * stride - 1, 0)
    starts = np.round(np.linspace(0, last_start, num_clips) if num_clips > 1
                      else [last_start / 2]).astype(int)
    return np.stack([clip_indices(num_frames, s, clip_len, stride=stride) for s in starts])


def random_clip(num_frames: int, clip_len: int, *, stride: int = 1,
                rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Training-time sampling: one clip at a uniformly random start that fits in the video."""
    check_positive_int(num_frames=num_frames, clip_len=clip_len, stride=stride)
    if rng is not None and not isinstance(rng, np.random.Generator):
        check_int(0, rng=rng)
    rng = np.random.default_rng(rng)
    last_start = max(num_frames - (clip_len - 1) * stride - 1, 0)
    return clip_indices(num_frames, int(rng.integers(0, last_start + 1)), clip_len, stride=stride)
