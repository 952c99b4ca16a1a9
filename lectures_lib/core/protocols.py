"""The library's extension hooks, each a runtime-checkable ``Protocol`` checked with ``isinstance``.

Why one module: the loops of several packages recognise the same hooks (training and evaluation,
the decoding workers, the flow of a dataset, sequence models). A hook named here once is checked
the same way everywhere, and a reader's own class that defines the method takes part::

    BatchDataset   dataset.batch(indices) -> (inputs, labels)   a whole batch in one call
    Prefetching    dataset.prefetch(indices)                    start preparing the next batch
    EpochDataset   dataset.set_epoch(epoch)                     new random clips each epoch
    OwnLoss        model.training_loss(x, y) -> (loss, outputs) a model's own training loss
    Labelled       dataset.classes                              class names, in label order
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import torch

from .devices import Inputs


@runtime_checkable
class BatchDataset(Protocol):
    """A dataset that builds a whole batch at once: ``batch(indices) -> (inputs, labels)``."""

    def batch(self, indices: list[int]) -> tuple[Inputs, torch.Tensor]: ...


@runtime_checkable
class Prefetching(Protocol):
    """A dataset that can start preparing a batch before it is asked for it (in worker
    processes): ``prefetch(indices)``."""

    def prefetch(self, indices: list[int]) -> None: ...


@runtime_checkable
class EpochDataset(Protocol):
    """A dataset that draws new random clips each epoch: ``set_epoch(epoch)``, called before it."""

    def set_epoch(self, epoch: int) -> None: ...


@runtime_checkable
class OwnLoss(Protocol):
    """A model that defines its own training loss: ``training_loss(x, y) -> (loss, outputs)``."""

    def training_loss(self, x: Inputs, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


@runtime_checkable
class Labelled(Protocol):
    """A dataset that names its classes: ``classes``, in label order (label ``k`` is
    ``classes[k]``)."""

    classes: Sequence[str]
