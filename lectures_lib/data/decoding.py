"""Decoding video files in parallel: a pool of spawned processes that prepares the next batch.

Why: decoding is the first cost of every epoch on a real dataset (the scaling appendix measures it),
and the training loop is busy with the current batch while the next one could be decoded. A
:class:`WorkerBatches` wraps a dataset of videos and hands whole batches to
:func:`lectures_lib.data.batching.batches`, which asks for the next batch (``prefetch``) before it
returns the current one::

    main process     train on batch k ............ train on batch k+1 .......
    worker 1..N      decode batch k+1 ............ decode batch k+2 .........

The train command (``python -m lectures_lib.train --workers N``) uses it; each worker should start
with :func:`lectures_lib.data.datasets.decode_worker_init` (one OpenCV thread per worker).
"""

from __future__ import annotations

import multiprocessing as mp
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from torch.utils.data import Dataset, default_collate

from ..core.checks import check_positive_int
from ..core.protocols import EpochDataset, Labelled

_WORKER_DATASET: Dataset | None = None


def _start_worker(dataset: Dataset, init: Callable[[int], None] | None) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset
    if init is not None:
        init(0)


def _decode(index: int, epoch: int | None):
    if epoch is not None:
        _WORKER_DATASET.set_epoch(epoch)
    return _WORKER_DATASET[index]


class WorkerBatches(Dataset):
    """A dataset whose :meth:`batch` decodes its items in ``workers`` persistent processes.

    The processes are spawned, not forked, once, on the first batch: a fork of a process whose
    OpenCV or OpenMP threads hold a lock can hang in the child. Each task carries the epoch, so
    the workers draw the same clips as the dataset itself would. The training loop asks for the
    next batch (:meth:`prefetch`) before it trains on the current one, so the workers decode while
    the model trains.

    Args:
        dataset: ``(clip, label)`` items, e.g. a :class:`~lectures_lib.data.datasets.VideoClips`.
        workers: decoding processes.
        worker_init_fn: run in each worker as it starts, with 0 as its argument.
    """

    def __init__(self, dataset: Dataset, workers: int, *,
                 worker_init_fn: Callable[[int], None] | None = None) -> None:
        check_positive_int(workers=workers)
        if isinstance(dataset, (str, bytes)) or not hasattr(dataset, "__len__") \
                or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"dataset must be a Dataset of (clip, label) items, "
                            f"got {type(dataset).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"worker_init_fn must be callable, got {type(worker_init_fn).__name__}")
        self.dataset, self.workers, self.init = dataset, workers, worker_init_fn
        self.classes = dataset.classes if isinstance(dataset, Labelled) else ()
        self.epoch: int | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: dict[tuple, list[Future]] = {}       # (indices, epoch) -> items on their way

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        return self.dataset[index]

    def set_epoch(self, epoch: int) -> None:
        """Passed on to the dataset (and its workers), when it draws new clips each epoch."""
        if isinstance(self.dataset, EpochDataset):
            self.dataset.set_epoch(epoch)
            self.epoch = epoch

    @property
    def pending(self) -> int:
        """Batches asked for (:meth:`prefetch`) and not yet collected (:meth:`batch`)."""
        return len(self._ahead)

    def prefetch(self, indices: list[int]) -> None:
        """Start decoding the items ``indices`` (of this epoch) unless they are on their way."""
        key = (tuple(indices), self.epoch)
        if key in self._ahead:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_start_worker,
                                             initargs=(self.dataset, self.init))
            weakref.finalize(self, self._pool.shutdown, wait=False)    # stop them with us
        self._ahead[key] = [self._pool.submit(_decode, i, self.epoch) for i in indices]
        while len(self._ahead) > 2:                     # a batch asked for but never collected
            self._ahead.pop(next(iter(self._ahead)))

    def batch(self, indices: list[int]):
        """The items ``indices`` as one batch, decoded in parallel (or already, by
        :meth:`prefetch`)."""
        if not indices:
            raise ValueError(f"indices must name at least one item, got {indices!r}")
        self.prefetch(indices)
        items = [f.result() for f in self._ahead.pop((tuple(indices), self.epoch))]
        return default_collate(items)
