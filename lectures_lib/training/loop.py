"""One training loop for every chapter: the book's recipe and ``fit``.

Why one loop: every chapter compares models, and a comparison is only fair when data order,
optimiser, schedule and evaluation are identical. The recipe is a value (:data:`BOOK_RECIPE`), so
"the same recipe" means the same numbers everywhere.

Inputs: a model takes a clip batch ``(B, C, T, H, W)`` or a tuple of tensors (two-stream: RGB and
flow; SlowFast: two pathways); a dataset yields ``(input, label)`` with the input in the same form.

Extension points, each optional and checked by type (the protocols of
:mod:`lectures_lib.core.protocols`):

- a dataset with ``batch(indices) -> (inputs, labels)`` (``BatchDataset``) hands out whole batches
  at once, skipping the per-item ``DataLoader``;
- a dataset with ``set_epoch(epoch)`` (``EpochDataset``) is told each epoch before it starts, to
  draw new random clips;
- a model with ``training_loss(x, y) -> (loss, outputs)`` (``OwnLoss``) is trained on that loss
  instead of cross-entropy on its outputs.

Evaluation (one clip or several per video) is in :mod:`lectures_lib.training.evaluation`; devices
and seeding in :mod:`lectures_lib.core.devices`.

Printed numbers that depend on the order of floating-point sums (losses, accuracies) carry a
``~``: they differ in their last digits between CPUs, thread counts and GPUs.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset

from ..core.checks import (
    check_choice,
    check_int,
    check_labels,
    check_number,
    check_positive,
    check_positive_int,
    model_input,
)
from ..core.devices import model_device, seed_everything, to_device
from ..core.protocols import EpochDataset, Labelled
from ..core.speed import SpeedPolicy
from ..costs.timing import stopwatch
from ..data.batching import batches
from . import checkpoints, distributed
from .evaluation import evaluate


@dataclass(frozen=True)
class Recipe:
    """How the book trains: AdamW on cross-entropy, with a learning-rate schedule.

    Attributes:
        epochs: passes over the training set.
        batch_size: clips per step.
        lr: the peak learning rate.
        weight_decay: AdamW's decoupled weight decay.
        schedule: "onecycle" (warm up for ``warmup`` of the steps, then anneal) or "constant".
        warmup: fraction of the steps spent warming up (one-cycle only).
        seed: seeds torch, numpy and Python before training, and fixes the order of batches.
    """

    epochs: int = 5
    batch_size: int = 32
    lr: float = 2e-2
    weight_decay: float = 1e-4
    schedule: str = "onecycle"
    warmup: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int(epochs=self.epochs, batch_size=self.batch_size)
        check_positive(lr=self.lr)
        check_choice("schedule", self.schedule, ("onecycle", "constant"))
        check_number(warmup=self.warmup, weight_decay=self.weight_decay)
        check_int(0, seed=self.seed)
        if not 0 < self.warmup < 1 or self.weight_decay < 0:
            raise ValueError(f"warmup must be in (0, 1) and weight_decay >= 0, got {self.warmup} "
                             f"and {self.weight_decay}")

    def replace(self, **changes: object) -> Recipe:
        """A copy with some fields changed, e.g. ``BOOK_RECIPE.replace(epochs=10)``."""
        return dataclasses.replace(self, **changes)


BOOK_RECIPE = Recipe()
"""The recipe every chapter trains with: 5 epochs of 32 clips, AdamW at 2e-2, one-cycle schedule."""


@dataclass
class History:
    """Per-epoch records of :func:`fit`: loss, accuracies, wall time and throughput."""

    epochs: list[dict] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        if self.epochs and key not in self.epochs[-1]:
            raise KeyError(f"no {key!r} in the history; it records {', '.join(self.epochs[-1])}")
        return [e[key] for e in self.epochs]

    @property
    def last(self) -> dict:
        if not self.epochs:
            raise ValueError("the history is empty: no epoch has been recorded")
        return self.epochs[-1]


def _check_model_and_data(model: nn.Module, dataset: Dataset, device: torch.device) -> int:
    """Run the model on two items and check its outputs and their labels; return its K."""
    x, y = next(batches(dataset, 2))
    first = x[0] if isinstance(x, (tuple, list)) else x
    if getattr(first, "ndim", 0) == 6:                                 # multi-clip items
        x = tuple(t[:, 0] for t in x) if isinstance(x, (tuple, list)) else x[:, 0]
    x = to_device(x, device)
    was_training = model.training
    try:
        with torch.no_grad(), model_input((x[0] if isinstance(x, tuple) else x).shape):
            out = model.eval()(x)
    finally:
        model.train(was_training)
    classes = len(dataset.classes) if isinstance(dataset, Labelled) else None
    classes = classes or None
    if out.ndim != 2 or len(out) != len(y) or out.shape[1] != (classes or out.shape[1]):
        has = f"the dataset has {classes} classes" if classes else f"{len(y)} items went in"
        raise ValueError(f"the model gives outputs of shape {tuple(out.shape)} but {has}: "
                         f"expected (B, {classes or 'K'})")
    check_labels(y, size=len(y), classes=out.shape[1])
    return out.shape[1]


def _progress(total: int, desc: str):
    if sys.stderr.isatty() and distributed.is_main() and importlib.util.find_spec("tqdm"):
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, leave=False)
    return None


def _optimiser(model: nn.Module, recipe: Recipe, steps: int):
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    if recipe.schedule == "onecycle":
        return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=steps,
                                                        pct_start=recipe.warmup)
    return opt, torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0)


def _epoch(model: nn.Module, train: Dataset, opt, sched, recipe: Recipe, epoch: int,
           classes: int, device: torch.device, speed: SpeedPolicy) -> dict:
    """Train one epoch of ``model``, as :func:`distributed.wrap` returns it; return its record
    (sums reduced over the ranks)."""
    model.train()
    seen, loss_sum, correct = 0, 0.0, 0
    with stopwatch(device) as watch:
        bar = _progress(len(train), f"epoch {epoch}/{recipe.epochs}")
        for x, y, weight in distributed.epoch_batches(train, recipe.batch_size,
                                                      seed=recipe.seed * 1000 + epoch):
            check_labels(y, size=len(y), classes=classes)
            x, y = to_device(x, device), y.to(device, non_blocking=True)
            x = speed.prepare_inputs(x)
            with speed.autocast():
                loss, out = model(x, y)                     # distributed.wrap: the training loss
            opt.zero_grad(set_to_none=True)
            (loss if weight == 1.0 else loss * weight).backward()
            opt.step()
            sched.step()
            n = len(y) if weight else 0
            seen += n
            loss_sum += loss.item() * n
            correct += (out.argmax(1) == y).sum().item() if n else 0
            if bar is not None:
                bar.update(n * distributed.world_size())
        if bar is not None:
            bar.close()
        loss_sum, correct, seen = distributed.all_sum(loss_sum, correct, seen)
    return {"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / seen,
            "seconds": watch.seconds, "clips_per_s": seen / watch.seconds}


@dataclass(frozen=True)
class RunOptions:
    """How a long run is kept and sped up: checkpoints, resuming, bf16. The defaults are a
    chapter's run (nothing saved; bf16 only where a GPU supports it).

    Attributes:
        checkpoint: save a checkpoint here after every epoch (None: save nothing).
        resume: continue from ``checkpoint`` after its last epoch (the same recipe is required).
        amp: bf16 autocast on CUDA; None switches it on where the GPU supports it
            (:class:`~lectures_lib.core.speed.SpeedPolicy`).
    """

    checkpoint: str | Path | None = None
    resume: bool = False
    amp: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.checkpoint, (str, Path, type(None))):
            raise TypeError(f"checkpoint must be a path or None, "
                            f"got {type(self.checkpoint).__name__}")
        if not isinstance(self.resume, bool) or not isinstance(self.amp, (bool, type(None))):
            raise TypeError(f"resume must be True or False and amp True, False or None, got "
                            f"resume={self.resume!r}, amp={self.amp!r}")
        if self.resume and self.checkpoint is None:
            raise ValueError("resume=True needs the checkpoint= to resume from")


def fit(model: nn.Module, train: Dataset, val: Dataset | None = None, *,
        recipe: Recipe = BOOK_RECIPE, device: torch.device | str | None = None,
        verbose: bool = True, run: RunOptions = RunOptions()) -> History:
    """Train ``model`` on ``train`` with ``recipe``; evaluate on ``val`` after every epoch.

    Under ``torchrun`` the same call trains data-parallel
    (:mod:`lectures_lib.training.distributed`): each process takes its share of every global batch;
    only rank 0 prints and saves.

    Args:
        model: maps inputs (a clip batch or a tuple of tensors) to ``(B, K)`` logits or
            log-probabilities; an :class:`OwnLoss` model is trained on its own loss.
        train, val: datasets of ``(input, label)``.
        recipe: epochs, batch size, optimiser, schedule and seed.
        device: where to train (default: where the model is, see :func:`model_device`).
        verbose: print one rounded line per epoch.
        run: checkpoint, resume and bf16 for a long run (:class:`RunOptions`).
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe, got {type(recipe).__name__}")
    if not isinstance(run, RunOptions):
        raise TypeError(f"run must be a RunOptions, got {type(run).__name__}")
    device = model_device(model, device)
    speed = SpeedPolicy.for_device(device, run.amp)         # the same on CPU; bf16, NDHWC on CUDA
    model.to(device)
    classes = _check_model_and_data(model, train, device)
    speed.prepare_model(model)
    seed_everything(recipe.seed)
    opt, sched = _optimiser(model, recipe, recipe.epochs * -(-len(train) // recipe.batch_size))
    history, done = History(), 0
    if run.resume:
        done, history.epochs = checkpoints.load_checkpoint(run.checkpoint, model=model,
                                                           optimiser=opt, scheduler=sched,
                                                           recipe=recipe)
    trained = distributed.wrap(model, device)
    for epoch in range(done + 1, recipe.epochs + 1):
        if isinstance(train, EpochDataset):
            train.set_epoch(epoch)
        record = _epoch(trained, train, opt, sched, recipe, epoch, classes, device, speed)
        if val is not None:
            record["val_acc"] = evaluate(model, val, batch_size=2 * recipe.batch_size,
                                         device=device).accuracy
        history.epochs.append(record)
        if run.checkpoint is not None:
            checkpoints.save_checkpoint(run.checkpoint, model=model, optimiser=opt,
                                        scheduler=sched, epoch=epoch, recipe=recipe,
                                        history=history.epochs)
        if verbose and distributed.is_main():
            print(f"epoch {epoch}/{recipe.epochs}  loss ~{record['train_loss']:.3f}  train acc "
                  f"~{record['train_acc']:.3f}"
                  + (f"  val acc ~{record['val_acc']:.3f}" if val else ""))
    return history
