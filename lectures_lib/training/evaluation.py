"""Predicting class probabilities over a dataset (in :mod:`lectures_lib.data.batching`'s batches),
and scoring them.

Multi-clip testing lives here once: a batch ``(B, N, C, T, H, W)`` holds ``N`` clips of each of
``B`` videos, and a video's prediction is the average of its clips' softmax probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset

from ..core.checks import check_labels, check_positive_int, check_tensor, model_input
from ..core.devices import Inputs, model_device, to_device
from ..data.batching import batches


@torch.no_grad()
def clip_probabilities(model: nn.Module, x: Inputs) -> torch.Tensor:
    """Class probabilities of a batch; a batch of several clips per video averages its clips.

    Args:
        model: maps ``(B, C, T, H, W)`` (or a tuple of such tensors) to ``(B, K)`` logits.
        x: ``(B, C, T, H, W)``, or ``(B, N, C, T, H, W)`` for ``N`` clips of each video (every
            tensor of a tuple alike); or images ``(B, C, H, W)``, for a 2-D network; or feature
            sequences ``(B, T, D)``, for a temporal head (chapter 7).

    Returns:
        ``(B, K)`` probabilities: the softmax, averaged over a video's ``N`` clips.
    """
    parts = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    tensors = parts and all(isinstance(t, torch.Tensor) and t.ndim in (3, 4, 5, 6) for t in parts)
    lead = {tuple(t.shape[:max(t.ndim - 4, 1)]) for t in parts} if tensors else set()
    if not tensors or len(lead) != 1 or 0 in next(iter(lead)):
        raise ValueError("expected clips (B, C, T, H, W) or (B, N, C, T, H, W), images "
                         "(B, C, H, W) or features (B, T, D), every tensor with "
                         "the same B (and N), none empty, got shapes "
                         f"{[tuple(getattr(t, 'shape', ())) for t in parts]}")
    B, N = parts[0].shape[0], parts[0].shape[1] if parts[0].ndim == 6 else 1
    flat = tuple(t.flatten(0, 1) if t.ndim == 6 else t for t in parts)  # (B, N, ...) -> (B*N, ...)
    with model_input(tuple(flat[0].shape)):
        logits = model(flat if isinstance(x, (tuple, list)) else flat[0])
    if logits.ndim != 2 or logits.shape[0] != B * N:
        raise ValueError(f"expected the model to return ({B * N}, K) logits, "
                         f"got {tuple(logits.shape)}")
    return logits.softmax(1).view(B, N, -1).mean(1)                  # (B*N, K) -> (B, K)


def predict(model: nn.Module, dataset: Dataset, *, batch_size: int = 128,
            device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Class probabilities ``(N, K)`` and labels ``(N,)`` of a dataset
    (see :func:`clip_probabilities`)."""
    check_positive_int(batch_size=batch_size)
    device = model_device(model, device)
    model.to(device).eval()
    probs, labels = [], []
    for x, y in batches(dataset, batch_size):
        probs.append(clip_probabilities(model, to_device(x, device)).cpu())
        labels.append(torch.as_tensor(y))
    return torch.cat(probs), torch.cat(labels)


@dataclass(frozen=True)
class Evaluation:
    """Accuracy, mean loss, and the confusion matrix (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    confusion: torch.Tensor


def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int = 128,
             device: torch.device | str | None = None) -> Evaluation:
    """Accuracy and confusion matrix of ``model`` on ``dataset`` (one clip or averaged clips)."""
    return score(*predict(model, dataset, batch_size=batch_size, device=device))


def score(probs: torch.Tensor, labels: torch.Tensor) -> Evaluation:
    """Accuracy, mean loss and confusion matrix of class probabilities ``(N, K)`` against labels
    ``(N,)``: how every model of the book is scored, one network or fused streams."""
    check_tensor(probs=probs, labels=labels)
    if probs.ndim != 2 or not probs.is_floating_point() or not len(probs):
        raise ValueError(f"probs must be (N, K) float probabilities, got {probs.dtype} of shape "
                         f"{tuple(probs.shape)}")
    K = probs.shape[1]
    check_labels(labels, size=len(probs), classes=K)
    confusion = torch.zeros(K, K, dtype=torch.long)
    confusion.index_put_((labels, probs.argmax(1)), torch.ones_like(labels), accumulate=True)
    loss = nn.functional.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
    return Evaluation(accuracy=(probs.argmax(1) == labels).float().mean().item(), loss=loss,
                      confusion=confusion)
