"""One plain training loop for every chapter: fit, evaluate (one clip or several), measure speed.

Why one loop: every chapter compares models, and a comparison is only fair when data order,
optimiser, schedule and evaluation are identical. Progress is a bar in a terminal and one rounded
line per epoch in a notebook, so stored notebook outputs stay stable.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode


def pick_device() -> torch.device:
    """CUDA if there is a GPU, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (every device)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def use_channels_last(model: nn.Module) -> nn.Module:
    """Store conv weights channels-last (NHWC / NDHWC), which oneDNN runs faster on the CPU.

    Measured here (2-core CPU, batch 32): 1.7x for the per-frame 2-D models, 1.35x for the 3-D
    CNN, but 0.5x for early fusion, whose first conv has 3T input channels. Returns ``model``.
    """
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if isinstance(module, (nn.Conv2d, nn.Conv3d)) and weight is not None:
            fmt = torch.channels_last if weight.ndim == 4 else torch.channels_last_3d
            weight.data = weight.data.contiguous(memory_format=fmt)
    return model


@dataclass
class History:
    """Per-epoch records of :func:`fit`: loss, accuracies, wall time and throughput."""

    epochs: list[dict] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs]

    @property
    def last(self) -> dict:
        return self.epochs[-1]


def _batches(dataset: Dataset, batch_size: int, shuffle: bool, seed: int):
    """Yield ``(x, y)`` batches; datasets with a vectorised ``batch(indices)`` skip the DataLoader."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)) if shuffle \
        else torch.arange(len(dataset))
    if hasattr(dataset, "batch"):
        for i in range(0, len(order), batch_size):
            yield dataset.batch(order[i:i + batch_size].tolist())
    else:
        yield from DataLoader(torch.utils.data.Subset(dataset, order.tolist()), batch_size=batch_size)


def _check_model_and_data(model: nn.Module, dataset: Dataset, device: torch.device) -> None:
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    x, y = next(_batches(dataset, 2, False, 0))
    if x.ndim == 6:                                                  # multi-clip items
        x = x[:, 0]
    with torch.no_grad():
        was_training = model.training
        out = model.eval()(x.to(device))
        model.train(was_training)
    classes = len(getattr(dataset, "classes", ())) or int(y.max()) + 1
    if out.ndim != 2 or out.shape[1] != classes:
        raise ValueError(f"the model gives outputs of shape {tuple(out.shape)} but the dataset has "
                         f"{classes} classes: expected (B, {classes})")


def _progress(total: int, desc: str):
    if sys.stderr.isatty():
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, leave=False)
    return None


def fit(model: nn.Module, train: Dataset, val: Dataset | None = None, *, epochs: int = 5,
        batch_size: int = 64, lr: float = 3e-3, weight_decay: float = 1e-4,
        device: torch.device | None = None, seed: int = 0, verbose: bool = True) -> History:
    """Train ``model`` with AdamW and a one-cycle learning-rate schedule on cross-entropy.

    A model that defines ``training_loss(x, y) -> (loss, outputs)`` is trained on that loss
    instead: :class:`~lectures_lib.fusion.SingleFrameCNN` uses it to learn from single frames.

    Args:
        model: maps ``(B, C, T, H, W)`` to ``(B, K)`` logits (or log-probabilities).
        train, val: datasets of ``(clip, label)``; ``val`` is evaluated after every epoch.
        epochs, batch_size, lr, weight_decay: the optimisation.
        device: where to train (default :func:`pick_device`).
        seed: fixes initial order of batches and every random clip.
        verbose: print one rounded line per epoch.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    device = device or pick_device()
    model.to(device)
    _check_model_and_data(model, train, device)
    steps = epochs * -(-len(train) // batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    history = History()
    for epoch in range(1, epochs + 1):
        if hasattr(train, "set_epoch"):
            train.set_epoch(epoch)
        model.train()
        start, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        bar = _progress(len(train), f"epoch {epoch}/{epochs}")
        for x, y in _batches(train, batch_size, True, seed * 1000 + epoch):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if hasattr(model, "training_loss"):
                loss, out = model.training_loss(x, y)
            else:
                out = model(x)
                loss = nn.functional.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += len(y)
            loss_sum += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            if bar is not None:
                bar.update(len(y))
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        record = {"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                  "seconds": seconds, "clips_per_s": seen / seconds}
        if val is not None:
            record["val_acc"] = evaluate(model, val, batch_size=2 * batch_size, device=device).accuracy
        history.epochs.append(record)
        if verbose:
            print(f"epoch {epoch}/{epochs}  loss {record['train_loss']:.3f}  train acc "
                  f"{record['train_acc']:.3f}" + (f"  val acc {record['val_acc']:.3f}" if val else ""))
    return history


@dataclass(frozen=True)
class Evaluation:
    """Accuracy, mean loss, and the confusion matrix (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    confusion: torch.Tensor


@torch.no_grad()
def predict(model: nn.Module, dataset: Dataset, *, batch_size: int = 128,
            device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Class probabilities ``(N, K)`` and labels ``(N,)``; multi-clip items average their clips."""
    device = device or next(model.parameters()).device
    model.eval()
    probs, labels = [], []
    for x, y in _batches(dataset, batch_size, False, 0):
        x = x.to(device)
        if x.ndim == 6:                                              # (B, N, C, T, H, W): N clips each
            B, N = x.shape[:2]
            p = model(x.flatten(0, 1)).softmax(1).view(B, N, -1).mean(1)  # (B*N, K) -> (B, K)
        else:
            p = model(x).softmax(1)
        probs.append(p.cpu())
        labels.append(torch.as_tensor(y))
    return torch.cat(probs), torch.cat(labels)


def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int = 128,
             device: torch.device | None = None) -> Evaluation:
    """Accuracy and confusion matrix of ``model`` on ``dataset`` (one clip or averaged clips)."""
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    probs, labels = predict(model, dataset, batch_size=batch_size, device=device)
    K = probs.shape[1]
    confusion = torch.zeros(K, K, dtype=torch.long)
    confusion.index_put_((labels, probs.argmax(1)), torch.ones_like(labels), accumulate=True)
    loss = nn.functional.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
    return Evaluation(accuracy=(probs.argmax(1) == labels).float().mean().item(), loss=loss,
                      confusion=confusion)


def training_macs(model: nn.Module, clip_shape: tuple[int, ...], *, batch_size: int = 1) -> int:
    """Multiply-adds of one training step (forward + backward) on ``batch_size`` clips.

    Counted by ``torch.utils.flop_counter.FlopCounterMode``, which reports FLOPs = 2 x MACs.
    """
    x = torch.zeros(batch_size, *clip_shape, device=next(model.parameters()).device)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() // 2


def throughput(model: nn.Module, clip_shape: tuple[int, ...], *, batch_size: int = 64,
               steps: int = 10, device: torch.device | None = None) -> dict:
    """Measured training speed: clips/s and achieved multiply-adds per second (random inputs)."""
    device = device or pick_device()
    model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.rand(batch_size, *clip_shape, device=device)
    macs = training_macs(model, clip_shape, batch_size=batch_size)
    for i in range(steps + 2):                                       # two warm-up steps
        if i == 2:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        model(x).sum().backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / steps
    return {"clips_per_s": batch_size / seconds, "macs_per_clip": macs / batch_size,
            "macs_per_s": macs / seconds}
