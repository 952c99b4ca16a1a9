"""Going through a dataset in batches: the book's one shuffle, and whole batches built at once.

Training (:mod:`lectures_lib.training`, each rank's share in
:mod:`lectures_lib.training.distributed`) and evaluation (:mod:`lectures_lib.training.evaluation`,
:mod:`lectures_lib.models.temporal.sequences`) take their
batches from here, so every loop sees the same order for the same seed::

    shuffled_order(n, seed)      [i3 i0 i5 i1 i4 i2]   one private generator, no global state
    batches(..., batch_size=2)   [i3 i0] [i5 i1] [i4 i2]
    a BatchDataset               builds each batch in one call: dataset.batch([i3, i0])
    anything else                torch's DataLoader collates dataset[i3], dataset[i0]
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from ..core.checks import check_positive_int
from ..core.protocols import BatchDataset, Prefetching


def shuffled_order(n: int, seed: int) -> torch.Tensor:
    """The book's one shuffle of ``n`` items for ``seed``, from a private generator (the global
    random state is not touched): training batches and each rank's share of them agree on it."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))


def batches_of(dataset: BatchDataset, index_lists: list[list[int]]):
    """Yield ``dataset.batch(indices)`` for each list; a dataset with a ``prefetch(indices)`` method
    is asked for the next batch before the current one is returned, so that it can prepare it (in
    worker processes) while the caller trains on the current one."""
    ahead = dataset.prefetch if isinstance(dataset, Prefetching) else None
    for k, indices in enumerate(index_lists):
        if ahead is not None:
            ahead(indices)                              # already on its way, except the first
            if k + 1 < len(index_lists):
                ahead(index_lists[k + 1])
        yield dataset.batch(indices)


def batches(dataset: Dataset, batch_size: int, *, shuffle: bool = False, seed: int = 0):
    """Yield ``(inputs, labels)`` batches, through ``dataset.batch`` when it has one."""
    check_positive_int(batch_size=batch_size)
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise TypeError(f"dataset must be a Dataset of (input, label) items, "
                        f"got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    order = shuffled_order(len(dataset), seed) if shuffle else torch.arange(len(dataset))
    if isinstance(dataset, BatchDataset):
        yield from batches_of(dataset, [order[i:i + batch_size].tolist()
                                        for i in range(0, len(order), batch_size)])
    else:
        yield from DataLoader(Subset(dataset, order.tolist()), batch_size=batch_size)
