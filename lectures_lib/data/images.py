"""The book's stand-in for ImageNet: single frames of the mini videos, labelled by what they show.

Why it exists: inflating a 2-D network (chapter 9) pays off when the 2-D network has learnt
something from images first. Real books would download ImageNet weights; ours trains a small 2-D
network in seconds on an image task drawn by the same generator as the videos, from videos that are
not in any standard split (another dataset seed)::

    sample_params(config, seed, split, i)  --> one random frame of video i --> (3, H, W) image
    label, task "where": the quadrant the object's centre is in (top left, top right, ...)
           task "shape": the object's shape (disk, square, diamond, triangle)

The frames come from motion-task videos without appearance bias, so shapes are drawn at random for
every video and nothing about the motion classes leaks into the labels.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.checks import check_choice, check_int, check_positive_int
from .drawing import noise_bank, render
from .synthetic import SHAPES, SPLITS, MiniVideoConfig, check_config, sample_params

__all__ = ["QUADRANTS", "SHAPES", "TASKS", "MiniVideoConfig", "ObjectImages"]

QUADRANTS = ("top left", "top right", "bottom left", "bottom right")
TASKS = {"where": QUADRANTS, "shape": SHAPES}


class ObjectImages(Dataset):
    """``size`` single frames, each from its own video, labelled with where the object is, or with
    its shape.

    All images are drawn once, at construction, and kept in memory. "where" asks a network to find
    the object in a textured, noisy frame, which is what the motion classes need too; "shape" is
    harder at this size (the objects have radii of 3.5 to 8 pixels, and a square and a diamond are
    both four-cornered).

    Args:
        split: "train", "val" or "test" (disjoint random streams, as in the video dataset).
        size: number of images.
        config: the generator's knobs; it must be the motion task without appearance bias.
        seed: dataset seed. The default, 1, draws videos that no standard split (seed 0) holds.
        task: "where" (labels index :data:`QUADRANTS`) or "shape" (labels index :data:`SHAPES`).

    Shape:
        item: ``(3, H, W)`` float32 in [0, 1] and an int label.
    """

    def __init__(self, split: str, size: int, config: MiniVideoConfig = MiniVideoConfig(), *,
                 seed: int = 1, task: str = "where") -> None:
        check_choice("split", split, tuple(SPLITS))
        check_choice("task", task, tuple(TASKS))
        check_positive_int(size=size)
        check_config(config)
        check_int(0, seed=seed)
        if config.task != "motion" or config.appearance_bias != 0:
            raise ValueError("ObjectImages needs the motion task without appearance bias (where "
                             f"shapes are random), got task={config.task!r}, "
                             f"appearance_bias={config.appearance_bias}")
        params = [sample_params(config, seed, split, i) for i in range(size)]
        rng = np.random.default_rng([seed, SPLITS[split], 7])
        times = rng.integers(0, config.frames, (size, 1))            # one random frame per video
        bank = noise_bank(config, seed)
        images = []
        for start in range(0, size, 512):
            chunk = params[start:start + 512]
            batched = {k: np.concatenate([p[k] for p in chunk]) for k in chunk[0]}
            images.append(render(batched, times[start:start + 512], config, bank)[:, :, 0])
        self.images = torch.cat(images)                              # (N, 3, H, W)
        self.task, self.classes = task, TASKS[task]
        if task == "shape":
            self.labels = torch.tensor([int(p["shape"][0, 0]) for p in params])
        else:                                       # where the object's centre is in this frame
            tau = times[:, 0] - (config.frames - 1) / 2
            x = np.array([p["x"][0, 0] + p["dx"][0, 0] * t for p, t in zip(params, tau)])
            y = np.array([p["y"][0, 0] + p["dy"][0, 0] * t for p, t in zip(params, tau)])
            self.labels = torch.as_tensor(2 * (y >= config.height / 2) + (x >= config.width / 2))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Many items at once: ``(B, 3, H, W)`` images and ``(B,)`` labels."""
        return self.images[indices], self.labels[indices]
