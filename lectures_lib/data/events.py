"""An event at a chosen time: the experiment behind "no temporal shift invariance".

The lecture says early fusion's first conv has separate weights for every frame, so the same motion
at another time needs other filters, while a 3-D conv slides over time. :class:`EventInTime` puts a
mini-dataset video at a chosen time inside a longer clip, so that a model can be trained with the
event early and tested with it late::

    start = 0:   [v0 v1 ... v15 v15 v15 ... v15]      the event first, then its last frame held
    start = 16:  [v0 v0 ... v0  v0 v1 ... v15]        its first frame held, then the event
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.checks import check_int
from .mini import MiniVideos


class EventInTime(Dataset):
    """A short video placed at a chosen time inside a longer clip that is otherwise still.

    Why: the lecture says early fusion has no temporal shift invariance, and a 3-D CNN has. To test
    it, train with the event at one time and test with it at another. Before the event the clip
    holds the video's first frame, after it the last frame.

    Args:
        videos: whole videos (a :class:`MiniVideos` without ``clip_len``), ``T`` frames each.
        frames: length of the long clip, at least ``T``.
        start: the frame where the video begins: an int in ``[0, frames - T]``, or ``"random"``
            for a new uniform start per item and per :meth:`set_epoch`.
        seed: fixes the random starts, with the index and the epoch.

    Shape:
        item: ``(C, frames, H, W)`` float32 in [0, 1]; an int label.
    """

    def __init__(self, videos: MiniVideos, frames: int, *, start: int | str = 0,
                 seed: int = 0) -> None:
        if not isinstance(videos, MiniVideos) or videos.clip_len is not None:
            raise TypeError("videos must be a MiniVideos of whole videos (clip_len=None)")
        T = videos.config.frames
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < T:
            raise ValueError(f"frames must be an integer >= the videos' {T} frames, got {frames!r}")
        if start != "random" and (isinstance(start, bool) or not isinstance(start, int)
                                  or not 0 <= start <= frames - T):
            raise ValueError(f"start must be 'random' or an integer in [0, {frames - T}], "
                             f"got {start!r}")
        check_int(0, seed=seed)
        self.videos, self.frames, self.start, self.seed, self.epoch = videos, frames, start, seed, 0
        self.classes = videos.classes

    def __len__(self) -> int:
        return len(self.videos)

    def set_epoch(self, epoch: int) -> None:
        """Draw new random starts (``start="random"``)."""
        check_int(0, epoch=epoch)
        self.epoch = epoch

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """The long clips ``(B, C, frames, H, W)`` and labels ``(B,)`` of ``indices``."""
        clips, labels = self.videos.batch(indices)                     # (B, C, T, H, W)
        B, C, T, H, W = clips.shape
        if self.start == "random":
            starts = torch.tensor([int(np.random.default_rng([self.seed, i, self.epoch, 2])
                                       .integers(0, self.frames - T + 1)) for i in indices])
        else:
            starts = torch.full((B,), self.start)
        times = (torch.arange(self.frames)[None] - starts[:, None]).clamp(0, T - 1)  # (B, frames)
        index = times.view(B, 1, self.frames, 1, 1).expand(B, C, self.frames, H, W)
        return clips.gather(2, index), labels                          # (B, C, frames, H, W)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        clips, labels = self.batch([index])
        return clips[0], int(labels[0])
