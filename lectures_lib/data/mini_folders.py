"""The mini dataset written to disk in UCF-101's layout, so the real-data path runs anywhere.

Why: the commands that train on UCF-101 (split files, decoding in worker processes, flow
precomputation, ``torchrun``) need a folder of video files. The book ships no dataset, so the
appendix writes one in the same layout from the mini dataset, and every command runs on it
exactly as it would on the real folder::

    <out>/UCF-101/Right/v_Right_g01_c01.avi  ...           one folder per class, FFV1 (lossless)
    <out>/ucfTrainTestlist/classInd.txt                     "1 Right"
    <out>/ucfTrainTestlist/trainlist01.txt                  "Right/v_Right_g02_c01.avi 1"
    <out>/ucfTrainTestlist/testlist01.txt                   "Right/v_Right_g01_c01.avi"

As in UCF-101, the clips of one class come in groups (in the real dataset, one group is one
actor and scene), and split 1 tests on whole groups: no group is in both lists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.checks import check_int, check_positive, check_positive_int
from ..core.video import batch_to_frames
from .mini import MiniVideos
from .synthetic import MiniVideoConfig, check_config
from .video_io import write_video

__all__ = ["ucf101_class_name", "write_mini_ucf101"]


def ucf101_class_name(name: str) -> str:
    """A mini class name spelled as UCF-101 spells its classes: ``"square first"`` ->
    ``"SquareFirst"``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a class name such as 'square first', got {name!r}")
    return "".join(word.capitalize() for word in name.split())


def write_mini_ucf101(out: str | Path, *, groups: int = 4, clips_per_group: int = 4,
                      test_groups: int = 1, fps: float = 25.0, seed: int = 0,
                      config: MiniVideoConfig = MiniVideoConfig()) -> tuple[Path, Path]:
    """Write mini videos as ``out/UCF-101`` and split 1's files as ``out/ucfTrainTestlist``.

    Every class gets ``groups x clips_per_group`` videos, drawn from the mini dataset's training
    stream in order (the first videos of each class). Groups ``1..test_groups`` form
    ``testlist01.txt``, the rest ``trainlist01.txt``. Existing files are overwritten.

    Args:
        out: the folder to write into (created if missing).
        groups, clips_per_group: ``gGG`` and ``cCC`` in the file names.
        test_groups: how many of the groups split 1 tests on (UCF-101: 7 of 25).
        fps: the frame rate written in the files.
        seed: the mini dataset's seed.
        config: the mini dataset's generator (its classes, frames and size).

    Returns:
        ``(videos root, split folder)``: the ``--root`` and ``--split-dir`` of the train command.
    """
    check_positive_int(groups=groups, clips_per_group=clips_per_group)
    check_int(1, test_groups=test_groups)
    check_positive(fps=fps)
    check_config(config)
    if test_groups >= groups:
        raise ValueError(f"test_groups must leave a group to train on: got {test_groups} of "
                         f"{groups} groups")
    out = Path(out)
    root, lists = out / "UCF-101", out / "ucfTrainTestlist"
    lists.mkdir(parents=True, exist_ok=True)
    per_class, classes = groups * clips_per_group, config.classes
    pool = MiniVideos("train", 4 * per_class * len(classes), config, seed=seed)
    chosen = {c: np.flatnonzero(pool.labels.numpy() == c)[:per_class] for c in range(len(classes))}
    short = [classes[c] for c, found in chosen.items() if len(found) < per_class]
    if short:
        raise ValueError(f"the mini dataset's first {len(pool)} videos hold fewer than "
                         f"{per_class} of {short}; ask for fewer groups or clips per group")
    train, test = [], []
    for c, name in enumerate(map(ucf101_class_name, classes)):
        videos, _ = pool.batch(chosen[c].tolist())                     # (N, C, T, H, W) in [0, 1]
        frames = batch_to_frames(videos)                               # (N, T, H, W, C) uint8
        for k, video in enumerate(frames):
            group, clip = divmod(k, clips_per_group)
            rel = f"{name}/v_{name}_g{group + 1:02d}_c{clip + 1:02d}.avi"
            (root / name).mkdir(parents=True, exist_ok=True)
            write_video(root / rel, video, fps)
            (test if group < test_groups else train).append((rel, c + 1))
    (lists / "classInd.txt").write_text(
        "".join(f"{c + 1} {ucf101_class_name(n)}\n" for c, n in enumerate(classes)))
    (lists / "trainlist01.txt").write_text("".join(f"{rel} {label}\n" for rel, label in train))
    (lists / "testlist01.txt").write_text("".join(f"{rel}\n" for rel, _ in test))
    return root, lists
