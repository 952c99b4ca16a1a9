"""Real video datasets as clips: UCF-101, HMDB-51 and Kinetics-style folders, decoded with OpenCV
in worker processes (:class:`~lectures_lib.data.decoding.WorkerBatches`, as the train command does,
or a ``DataLoader``'s).

::

    split files --reader--> [(relative path, label)], classes --> VideoClips[i]
       --> read_video (OpenCV, in the worker): (T, H, W, 3) uint8 --> resample fps
       --> one random clip (C, T, H, W) or num_clips uniform ones (N, C, T, H, W), and the label

The readers of the official split files are in :mod:`lectures_lib.data.dataset_splits`. A video that
cannot be decoded is never replaced by zeros: it raises or is skipped, naming the file
(``on_error``).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.checks import check_choice, check_int
from ..core.video import ClipSpec, frames_to_clip, random_clip, resample_indices, uniform_clips
from .dataset_splits import Samples, class_folders, hmdb51_split, kinetics_csv, ucf101_split
from .video_io import opencv, read_video

__all__ = ["ClipSpec", "VideoClips", "decode_worker_init", "ucf101", "hmdb51", "kinetics"]


class VideoClips(Dataset):
    """Clips of labelled video files, decoded with OpenCV when an item is asked for.

    Why: a real dataset is too big to keep decoded, so worker processes decode the items of the next
    batch while the model trains (:class:`~lectures_lib.data.decoding.WorkerBatches`). An item is
    one random clip of its video (training; a new one per :meth:`set_epoch`), or ``num_clips`` clips
    spread uniformly over it (testing, to average their scores). A video shorter than a clip repeats
    its last frame (as ``clip_indices`` does).

    Bad videos: :func:`~lectures_lib.data.video_io.read_video` raises, naming the file, on one that
    cannot be opened, holds no frame or is truncated; it is never filled with zeros. With
    ``on_error="raise"`` that error propagates (from a worker, the pool re-raises it).
    With ``"skip"``, item ``i`` becomes item ``j``, the next index after ``i`` (wrapping around)
    whose video decodes: the same clip and label as ``dataset[j]``, in any process. The bad path
    is warned about once and appended to :attr:`skipped`, and this copy of the dataset never
    decodes it again. Each worker holds its own copy: the warnings it prints are the report from
    workers, and the main process's ``skipped`` lists only the files it met itself. Spawn the
    workers (``WorkerBatches`` does; give a ``DataLoader`` ``multiprocessing_context="spawn"``): a
    forked worker of a process whose OpenCV or OpenMP threads hold a lock can hang.

    Args:
        root: the folder the sample paths are relative to.
        samples: ``(relative path, label)`` pairs, as the split readers return them.
        classes: the class names, in label order.
        clips: which clips (length, stride, frame size, frame rate, one random clip or
            ``num_clips`` uniform ones): a :class:`~lectures_lib.core.video.ClipSpec`.
        seed: fixes the random clips, with the index and :meth:`set_epoch`.
        on_error: what an undecodable video does: "raise" or "skip" (see above).

    Shape:
        item: ``(C, T, H, W)`` float32 in [0, 1], or ``(num_clips, C, T, H, W)``; an int label.
    """

    def __init__(self, root: str | Path, samples: Samples, classes: Sequence[str],
                 clips: ClipSpec = ClipSpec(), *, seed: int = 0, on_error: str = "raise") -> None:
        if not isinstance(clips, ClipSpec):
            raise TypeError(f"clips must be a ClipSpec, got {type(clips).__name__}")
        check_int(0, seed=seed)
        check_choice("on_error", on_error, ("raise", "skip"))
        if not samples:
            raise ValueError(f"samples must list at least one (path, label) under {root}")
        if isinstance(samples, (str, bytes)) or not all(
                isinstance(s, (tuple, list)) and len(s) == 2 for s in samples):
            raise ValueError(f"samples must be (relative path, label) pairs, got {samples!r:.80}")
        bad = [label for _, label in samples if label not in range(len(classes))]
        if bad:
            raise ValueError(f"labels must be in [0, {len(classes)}) for {len(classes)} classes, "
                             f"got {bad[0]}")
        self.root, self.samples, self.classes = Path(root), list(samples), tuple(classes)
        self.clips, self.seed, self.on_error, self.epoch = clips, seed, on_error, 0
        self.skipped: list[Path] = []

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Draw a new random clip of every video (training)."""
        check_int(0, epoch=epoch)
        self.epoch = epoch

    def _decode(self, path: Path) -> np.ndarray:
        frames, src_fps = read_video(path, size=self.clips.size)
        if self.clips.fps is None:
            return frames
        if not src_fps > 0:
            raise ValueError(f"{path} does not say its frame rate, so it cannot be resampled")
        return frames[resample_indices(len(frames), src_fps, self.clips.fps)]

    def _clips(self, frames: np.ndarray, index: int) -> torch.Tensor:
        spec = self.clips
        if spec.num_clips is not None:
            starts = uniform_clips(len(frames), spec.clip_len, spec.num_clips, stride=spec.stride)
            return torch.stack([frames_to_clip(frames[t]) for t in starts])  # (N, C, T, H, W)
        rng = np.random.default_rng([self.seed, index, self.epoch])
        return frames_to_clip(
            frames[random_clip(len(frames), spec.clip_len, stride=spec.stride, rng=rng)])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        index = operator.index(index)
        if not 0 <= index < len(self):
            raise IndexError(f"index must be in [0, {len(self)}), got {index}")
        for step in range(len(self)):
            j = (index + step) % len(self)                  # the next index, wrapping around
            path, label = self.root / self.samples[j][0], self.samples[j][1]
            if path in self.skipped:
                continue
            try:
                frames = self._decode(path)
            except (OSError, ValueError) as err:
                if self.on_error == "raise":
                    raise
                self.skipped.append(path)
                warnings.warn(f"skipping an unreadable video: {err}", stacklevel=2)
                continue
            return self._clips(frames, j), label
        raise ValueError(f"none of the {len(self)} videos under {self.root} can be decoded")


def decode_worker_init(worker_id: int) -> None:
    """A decoding worker's start, for ``WorkerBatches`` or a ``DataLoader``: one OpenCV thread.

    Why: PyTorch gives each worker one torch thread, but OpenCV keeps its own pool, and FFmpeg's
    decoder its own threads, one per core, in every worker: ``num_workers`` workers would run
    ``num_workers`` times as many threads as there are cores. Since
    :func:`~lectures_lib.data.video_io.read_video` sizes the decoder by OpenCV's pool, this one call
    bounds both.

    Args:
        worker_id: the worker's number (``WorkerBatches`` passes 0).
    """
    check_int(0, worker_id=worker_id)
    opencv().setNumThreads(1)


def ucf101(root: str | Path, split_dir: str | Path, *, fold: int = 1, train: bool = True,
           clips: ClipSpec = ClipSpec(), seed: int = 0, on_error: str = "raise") -> VideoClips:
    """UCF-101's official split as clips: :func:`ucf101_split`, then :class:`VideoClips`.

    Args:
        root, split_dir, fold, train: as for :func:`ucf101_split`.
        clips, seed, on_error: as for :class:`VideoClips`.
    """
    return VideoClips(root, *ucf101_split(root, split_dir, fold=fold, train=train), clips,
                      seed=seed, on_error=on_error)


def hmdb51(root: str | Path, split_dir: str | Path, *, fold: int = 1, train: bool = True,
           clips: ClipSpec = ClipSpec(), seed: int = 0, on_error: str = "raise") -> VideoClips:
    """HMDB-51's official split as clips: :func:`hmdb51_split`, then :class:`VideoClips`.

    Args:
        root, split_dir, fold, train: as for :func:`hmdb51_split`.
        clips, seed, on_error: as for :class:`VideoClips`.
    """
    return VideoClips(root, *hmdb51_split(root, split_dir, fold=fold, train=train), clips,
                      seed=seed, on_error=on_error)


def kinetics(root: str | Path, split: str, *, csv_path: str | Path | None = None,
             classes: Sequence[str] | None = None, drop_missing: bool = False,
             clips: ClipSpec = ClipSpec(), seed: int = 0, on_error: str = "raise") -> VideoClips:
    """A Kinetics-style split as clips, from the videos under ``root/<split>``.

    Without ``csv_path`` they are class folders, ``root/<split>/<class>/<video>``
    (:func:`class_folders`); with it, the annotation file names them (:func:`kinetics_csv`).

    Args:
        root: the dataset folder, holding one folder per split.
        split: the split's folder name (``"train"``, ``"val"``, ...).
        csv_path: the split's annotation file, or None for class folders.
        classes: class names in label order (pass the training set's to the others).
        drop_missing: as for :func:`kinetics_csv` (with ``csv_path`` only).
        clips, seed, on_error: as for :class:`VideoClips`.
    """
    options = {"seed": seed, "on_error": on_error}
    folder = Path(root) / split
    if csv_path is None:
        if drop_missing:
            raise ValueError("drop_missing needs csv_path: class folders list only what exists")
        return VideoClips(folder, *class_folders(folder, classes=classes), clips, **options)
    return VideoClips(folder, *kinetics_csv(folder, csv_path, classes=classes,
                                            drop_missing=drop_missing), clips, **options)
