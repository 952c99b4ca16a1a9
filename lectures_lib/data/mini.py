"""Datasets: the procedural mini video dataset (real ones are in :mod:`lectures_lib.data.datasets`).

Why a generated dataset: real video datasets reward a single-frame model for recognising the
*scene* (a pool means "swimming"). In the mini dataset the motion classes are built so that no
single frame can tell them apart (see :mod:`lectures_lib.data.synthetic`), and an
``appearance_bias`` knob adds back exactly as much scene-gives-away-the-class as you ask for. Videos
are generated deterministically from ``(seed, split, index)`` on the fly; nothing is stored on disk.
"""

from __future__ import annotations

import copy
import operator

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.checks import check_choice, check_int, check_positive_int
from ..core.video import random_clip, to_uint8, uniform_clips
from .drawing import noise_bank, render
from .synthetic import (
    MOTION_CLASSES,
    ORDER_CLASSES,
    SPLITS,
    MiniVideoConfig,
    check_config,
    sample_params,
)

__all__ = ["MOTION_CLASSES", "ORDER_CLASSES", "MiniVideoConfig", "MiniVideos", "STANDARD_SIZES",
           "standard_splits"]


def _check_clips(config: MiniVideoConfig, clip_len: int | None, num_clips: int | None) -> None:
    if num_clips is not None:
        check_positive_int(num_clips=num_clips)
    if clip_len is not None:
        check_int(clip_len=clip_len)
    if clip_len is not None and not 1 <= clip_len <= config.frames:
        raise ValueError(f"clip_len must be in [1, {config.frames}], got {clip_len}")
    if num_clips is not None and clip_len is None:
        raise ValueError("num_clips needs clip_len: the clips are shorter than the video")


class MiniVideos(Dataset):
    """A split of the mini video dataset: ``(clip, label)`` pairs, generated on the fly.

    Args:
        split: "train", "val" or "test" (disjoint random streams).
        size: number of videos.
        config: the generator's knobs.
        seed: dataset seed; with ``(split, index)`` it fixes every video.
        clip_len: frames per item; None gives whole videos. Shorter clips are sampled from the
            video: a new random clip per :meth:`set_epoch` for training, or, when ``num_clips`` is
            set, ``num_clips`` clips spread uniformly over the video (test-time averaging).
        num_clips: test-time multi-clip items.
        cache: draw every whole video once, at construction, and keep it in memory as 8-bit
            (exactly what is drawn); clips are then cut from memory. For datasets read many times,
            such as a training set shared by several models.

    Shape:
        item: ``(C, T, H, W)`` float32 in [0, 1], or ``(num_clips, C, T, H, W)``; an int label.
    """

    def __init__(self, split: str, size: int, config: MiniVideoConfig = MiniVideoConfig(), *,
                 seed: int = 0, clip_len: int | None = None, num_clips: int | None = None,
                 cache: bool = False) -> None:
        check_choice("split", split, tuple(SPLITS))
        check_positive_int(size=size)
        check_config(config)
        _check_clips(config, clip_len, num_clips)
        check_int(0, seed=seed)
        self.split, self.size, self.config, self.seed = split, size, config, seed
        self.clip_len, self.num_clips, self.epoch = clip_len, num_clips, 0
        self._params = [sample_params(config, seed, split, i) for i in range(size)]
        self.bank = noise_bank(config, seed)
        self.labels = torch.tensor([int(p["label"][0]) for p in self._params])
        self._cache = None
        if cache:
            whole = np.arange(config.frames)[None]
            # Drawn 64 videos at a time: twice as fast as 256 on a 2-core CPU (the drawing's
            # buffers stay in cache), and the same pixels (a test checks).
            self._cache = torch.cat(
                [to_uint8(self._render(range(i, min(i + 64, size)), whole))
                 for i in range(0, size, 64)])

    def with_clips(self, clip_len: int | None, num_clips: int | None = None) -> MiniVideos:
        """The same videos, cut into other clips: shares what was drawn, so nothing is drawn again.

        Args:
            clip_len, num_clips: as in the constructor.
        """
        _check_clips(self.config, clip_len, num_clips)
        view = copy.copy(self)
        view.clip_len, view.num_clips = clip_len, num_clips
        return view

    @property
    def classes(self) -> tuple[str, ...]:
        return self.config.classes

    @property
    def biased(self) -> torch.Tensor:
        """``(size,)`` bool: which videos' scene (tint, shape) gives their class away."""
        return torch.tensor([bool(p["biased"][0]) for p in self._params])

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Draw a new random clip of every video (training with ``clip_len``)."""
        check_int(0, epoch=epoch)
        self.epoch = epoch

    def _times(self, index: int) -> np.ndarray:
        frames, clip_len = self.config.frames, self.clip_len
        if clip_len is None:
            return np.arange(frames)[None]
        if self.num_clips is not None:
            return uniform_clips(frames, clip_len, self.num_clips)
        rng = np.random.default_rng([self.seed, SPLITS[self.split], index, self.epoch, 1])
        return random_clip(frames, clip_len, rng=rng)[None]

    def _render(self, indices, times: np.ndarray | None = None) -> torch.Tensor:
        """Draw the given videos at ``times`` (the same for all) or at each one's own clip times."""
        per = [times if times is not None else self._times(i) for i in indices]
        n = len(per[0])
        params = {k: np.concatenate([np.repeat(self._params[i][k], n, 0) for i in indices])
                  for k in self._params[0]}
        return render(params, np.concatenate(per), self.config, self.bank)  # (B*n, C, Tc, H, W)

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Generate many items at once: much faster than one by one.

        Returns:
            clips ``(B, C, T, H, W)`` (or ``(B, num_clips, C, T, H, W)``) and labels ``(B,)``.
        """
        try:
            indices = [operator.index(i) for i in indices]
        except TypeError:
            raise TypeError(f"indices must be integers, got {indices!r:.80}") from None
        if not indices or min(indices) < 0 or max(indices) >= self.size:
            raise IndexError(f"indices must be in [0, {self.size}), got {indices[:5]}...")
        B = len(indices)
        if self._cache is None:
            clips = self._render(indices)                               # (B*N, C, T, H, W)
        else:
            times = torch.as_tensor(np.stack([self._times(i) for i in indices]))  # (B, N, Tc)
            videos = self._cache[indices]                               # (B, C, F, H, W) uint8
            _, C, F, H, W = videos.shape
            N, Tc = times.shape[1:]
            picked = videos.gather(2, times.view(B, 1, N * Tc, 1, 1).expand(B, C, N * Tc, H, W))
            clips = (picked.view(B, C, N, Tc, H, W).transpose(1, 2)
                     .reshape(B * N, C, Tc, H, W).float().div_(255))
        if self.num_clips is not None:
            clips = clips.view(B, -1, *clips.shape[1:])  # (B*N, C, T, H, W) -> (B, N, C, T, H, W)
        return clips, self.labels[indices]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        clips, labels = self.batch([index])
        return clips[0], int(labels[0])


STANDARD_SIZES = {"train": 1280, "val": 512, "test": 1024}
"""Videos per split of the book's standard mini benchmark (chapters 2 on, and the leaderboard)."""


def standard_splits(config: MiniVideoConfig = MiniVideoConfig(), *, seed: int = 0,
                    clip_len: int | None = None, num_clips: int | None = None,
                    splits: tuple[str, ...] = ("train", "val", "test")) -> dict[str, MiniVideos]:
    """The mini benchmark's train, val and test splits (:data:`STANDARD_SIZES`), cached in memory.

    Every chapter that trains on "the mini dataset" calls this, so every number in the book comes
    from the same videos.

    Args:
        config: the generator's knobs (the default is the motion task at ``3 x 16 x 32 x 32``).
        seed: dataset seed.
        clip_len, num_clips: passed to every split's :class:`MiniVideos`.
        splits: which of the splits to build (drawing a split takes time and memory).
    """
    if isinstance(splits, str) or not splits:
        raise ValueError(f"splits must be a non-empty tuple of split names, got {splits!r}")
    for split in splits:
        check_choice("split", split, tuple(STANDARD_SIZES))
    return {split: MiniVideos(split, STANDARD_SIZES[split], config, seed=seed, cache=True,
                              clip_len=clip_len, num_clips=num_clips) for split in splits}

