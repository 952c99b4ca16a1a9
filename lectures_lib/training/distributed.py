"""Many processes, one training run: PyTorch's own data parallelism, and checkpoints to resume from.

Why: a real dataset takes hours per epoch on one process. ``torchrun`` starts one process per
device (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` in each one's environment); each process keeps a
copy of the model, takes its share of every global batch, and ``DistributedDataParallel`` averages
the gradients, so every copy takes the same step a single process would take on the whole batch::

    global batch (the order batching.batches makes)  [i0 i1 i2 i3 i4 i5 i6 i7]
    rank 0 of 2                                          [i0 i1 i2 i3]  -> grads g0
    rank 1 of 2                                                      [i4 i5 i6 i7] -> g1
    all-reduce: every rank steps with (g0 + g1) / 2 = the gradient of the whole batch

Checkpoints (written by rank 0 alone) are in :mod:`lectures_lib.training.checkpoints`. How fast a
step runs (bf16 autocast and channels-last-3d on CUDA) is :mod:`lectures_lib.core.speed`'s to
decide.

Reference: Li et al., "PyTorch Distributed: Experiences on Accelerating Data Parallel Training",
VLDB 2020, arXiv:2006.15704.
"""

from __future__ import annotations

import numbers
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Dataset, default_collate

from ..core.checks import check_int, check_module, check_positive_int
from ..core.devices import Inputs, as_device, seed_everything
from ..core.protocols import OwnLoss
from ..data.batching import BatchDataset, batches, batches_of, shuffled_order


def setup(device: torch.device | str | None = None) -> torch.device:
    """Join the process group ``torchrun`` describes; without ``torchrun``, do nothing.

    The backend is NCCL for CUDA and gloo for the CPU; each rank takes the GPU ``LOCAL_RANK``.

    Args:
        device: the device kind to train on; None picks CUDA when there is a GPU, else the CPU.

    Returns:
        this process's device.

    Raises:
        ValueError: ``device`` is not a device name, or names a CUDA or MPS device this machine
            does not have.
    """
    device = as_device(device if device is not None else
                       "cuda" if torch.cuda.is_available() else "cpu")
    mps = getattr(torch.backends, "mps", None)
    if (device.type == "cuda" and (not torch.cuda.is_available()
                                   or (device.index or 0) >= torch.cuda.device_count())) \
            or (device.type == "mps" and not (mps is not None and mps.is_available())):
        have = f"{torch.cuda.device_count()} CUDA devices" if device.type == "cuda" else "no MPS"
        raise ValueError(f"device must be one this machine has, got {str(device)!r} ({have})")
    if "RANK" not in os.environ or dist.is_initialized():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def teardown() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_initialized():
        dist.destroy_process_group()


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    """How many processes train together (1 without a process group)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """Whether this is rank 0: the process that prints, shows progress and saves."""
    return rank() == 0


class _TrainingLoss(nn.Module):
    """``(x, y) -> (loss, outputs)``: the model's own ``training_loss``, or cross-entropy."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Inputs, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(self.model, OwnLoss):
            return self.model.training_loss(x, y)
        out = self.model(x)
        return nn.functional.cross_entropy(out, y), out


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """The module a training step calls: ``(x, y) -> (loss, outputs)``, the model's own
    ``training_loss`` or cross-entropy; in several processes, inside ``DistributedDataParallel``
    (so that a model's own loss also runs through DDP and its gradients are averaged).

    Args:
        model: the model, already on ``device``.
        device: this process's device.
    """
    check_module(model=model)
    device = as_device(device)
    step = _TrainingLoss(model)
    if world_size() == 1:
        return step
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(step, device_ids=ids)


def share(indices: list[int]) -> tuple[list[int], float]:
    """This rank's part of a global batch, and the weight of its mean loss.

    Rank ``r`` takes the ``r``-th of ``world_size()`` contiguous, nearly equal chunks. Its mean loss
    is weighted by ``len(part) * world / len(indices)``, so that DDP's average of the ranks'
    gradients is exactly the gradient of the mean loss over the whole global batch, even when the
    chunks differ in size. A rank whose chunk is empty (a last batch smaller than the world) runs
    the batch's first item with weight 0, so that every rank still joins the gradient all-reduce.

    Args:
        indices: the global batch's dataset indices, in the order every rank agrees on.
    """
    if not isinstance(indices, (list, tuple)) or not indices:
        raise ValueError(f"indices must be a non-empty list of dataset indices, "
                         f"got {indices!r:.80}")
    check_int(0, **{f"indices[{i}]": j for i, j in enumerate(indices)})
    parts = torch.tensor_split(torch.tensor(indices), world_size())
    part = parts[rank()].tolist()
    if not part:
        return indices[:1], 0.0
    return part, len(part) * world_size() / len(indices)


def global_batches(dataset: Dataset, batch_size: int, *, seed: int):
    """Yield ``(inputs, labels, weight)``: this rank's share (:func:`share`) of each global batch.

    The global batches are those of ``batching.batches(dataset, batch_size, shuffle=True,
    seed=seed)``, in the same order, so ``N`` ranks see together what one process sees.

    Args:
        dataset: ``(input, label)`` items, or a :class:`~lectures_lib.data.batching.BatchDataset`.
        batch_size: the global batch size (every rank's shares together).
        seed: fixes the shuffled order, as in ``batching.batches``.
    """
    check_positive_int(batch_size=batch_size)
    check_int(0, seed=seed)
    order = shuffled_order(len(dataset), seed).tolist()
    parts, weights = zip(*(share(order[i:i + batch_size])
                           for i in range(0, len(order), batch_size)))
    if isinstance(dataset, BatchDataset):
        for (x, y), weight in zip(batches_of(dataset, list(parts)), weights):
            yield x, y, weight
    else:
        for part, weight in zip(parts, weights):
            yield *default_collate([dataset[j] for j in part]), weight


def epoch_batches(dataset: Dataset, batch_size: int, *, seed: int):
    """Yield ``(inputs, labels, weight)``: ``batching.batches(..., shuffle=True)`` with weight 1
    in one process, this rank's share of each global batch (:func:`global_batches`) in several.

    Args:
        dataset: ``(input, label)`` items, or a :class:`~lectures_lib.data.batching.BatchDataset`.
        batch_size: the global batch size.
        seed: fixes the shuffled order; with several processes, also each rank's random state.
    """
    check_int(0, seed=seed)
    if world_size() == 1:
        for x, y in batches(dataset, batch_size, shuffle=True, seed=seed):
            yield x, y, 1.0
    else:
        seed_everything(seed * 100 + rank())          # per-rank streams, a function of the epoch
        yield from global_batches(dataset, batch_size, seed=seed)


def all_sum(*values: float) -> list[float]:
    """Each value summed over the ranks (the values themselves with one process)."""
    for i, v in enumerate(values):                    # NaN may come (a diverged loss): no check
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"values[{i}] must be a number, got {v!r:.80}")
    if world_size() == 1:
        return list(values)
    total = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(total)
    return total.tolist()
