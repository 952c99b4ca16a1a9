"""Two-stream networks: appearance from the frames, motion from stacked optical flow.

Why two streams: a CNN on RGB frames learns scenes and objects easily, and motion only with
difficulty; optical flow hands it the motion explicitly. Each stream is trained on its own and
their class scores are fused at the end::

    RGB frames       -> spatial stream  (2-D CNN, frame by frame) -> class scores --+
                                                                                  +--> fuse
    flow of L pairs  -> temporal stream (2-D CNN on 2L channels) -> class scores --+
    (B, 2, L, H, W)       stack_flows: (B, 2L, H, W), [u_1, v_1, u_2, v_2, ...]

The flow of a whole dataset is computed once and stored as 8 bits per value, as the paper did:
:mod:`lectures_lib.flow.clips`.

The temporal stream is early fusion on flow: its first conv sees all ``2L`` flow channels.
Fusion is the average of the two softmax outputs, or a linear classifier trained on the
streams' scores (the paper used a linear SVM; :class:`ScoreFusion` is a softmax classifier).

Reference:
    Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
    Videos" (NeurIPS, arXiv 1406.2199).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..core.blocks import frame_encoder, max_pool_classifier
from ..core.checks import (
    check_int,
    check_labels,
    check_positive,
    check_positive_int,
    check_tensor,
)
from ..core.devices import seeded
from ..core.speed import use_channels_last
from ..core.video import check_clips
from .fusion import SingleFrameCNN


def stack_flows(flows: torch.Tensor) -> torch.Tensor:
    """Stack ``L`` flow fields as ``2L`` image channels, in the paper's order ``u_1, v_1, ...``.

    Shape:
        ``(B, 2, L, H, W) -> (B, 2L, H, W)``; channel ``2k`` is ``u`` and ``2k + 1`` is ``v`` of
        pair ``k``.
    """
    check_clips(flows, channels=2)
    B, _, L, H, W = flows.shape
    return flows.transpose(1, 2).reshape(B, 2 * L, H, W)  # (B, 2, L, H, W) -> (B, 2L, H, W)


class TemporalStream(nn.Module):
    """The temporal stream: a 2-D CNN whose input channels are ``L`` stacked flow fields.

    Args:
        num_classes: K.
        pairs: L, the number of flow fields (``2L`` input channels).
        width: channels of the first conv (as :func:`lectures_lib.core.blocks.frame_encoder`).

    Shape:
        ``(B, 2, L, H, W)`` flow in pixels ``-> (B, K)`` logits.

    Reference:
        Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
        Videos" (NeurIPS, arXiv 1406.2199): the temporal stream.
    """

    def __init__(self, num_classes: int, pairs: int, *, width: int = 16) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, pairs=pairs, width=width)
        self.pairs = pairs
        self.encoder = frame_encoder(2 * pairs, width)
        self.head = max_pool_classifier(2 * width, num_classes)

    def forward(self, flows: torch.Tensor) -> torch.Tensor:
        check_clips(flows, channels=2, frames=self.pairs)
        return self.head(self.encoder(stack_flows(flows)))           # (B, 2L, H, W) -> (B, K)


class SpatialStream(SingleFrameCNN):
    """The spatial stream: a 2-D CNN that learns from one RGB frame per video at a time.

    Training takes one random frame of each clip per step (the paper sampled one frame per video);
    a clip's score is the average of its frames' softmax outputs (the paper averaged 25 frames).

    Args:
        num_classes: K.
        width: channels of the first conv (as :class:`lectures_lib.models.fusion.SingleFrameCNN`).

    Shape:
        ``(B, 3, T, H, W) -> (B, K)`` log-probabilities.

    Reference:
        Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
        Videos" (NeurIPS, arXiv 1406.2199): the spatial stream.
    """

    def __init__(self, num_classes: int, *, width: int = 16) -> None:
        super().__init__(num_classes, width=width)

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of one random frame of each clip (drawn from torch's global generator)."""
        check_clips(x, channels=3)
        B, C, T, H, W = x.shape
        pick = torch.randint(T, (B,)).to(x.device)
        frames = x[torch.arange(B, device=x.device), :, pick]         # (B, C, H, W)
        logits = self.frame_logits(frames.unsqueeze(2))[:, 0]         # (B, 1, K) -> (B, K)
        check_labels(y, size=B, classes=logits.shape[1])
        return nn.functional.cross_entropy(logits, y), logits.log_softmax(1)


def two_stream_models(num_classes: int = 8, pairs: int = 10, *,
                      seed: int = 0) -> dict[str, Callable[[], nn.Module]]:
    """Builders of the two streams, each seeded with ``seed`` before it builds, conv weights
    channels-last.

    The spatial stream is :class:`SpatialStream`, the temporal stream :class:`TemporalStream`.
    """
    check_positive_int(num_classes=num_classes, pairs=pairs)
    check_int(0, seed=seed)

    return {"spatial stream": seeded(lambda: use_channels_last(SpatialStream(num_classes)),
                                    seed=seed),
            "temporal stream": seeded(lambda: use_channels_last(TemporalStream(num_classes, pairs)),
                                      seed=seed)}


def _check_probabilities(probabilities: Sequence[torch.Tensor]) -> None:
    check_tensor(**{f"probabilities[{i}]": p for i, p in enumerate(probabilities)})
    shapes = {tuple(getattr(p, "shape", ())) for p in probabilities}
    if not probabilities or len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"expected streams' probabilities, each (N, K) of one shape, got {shapes}")
    shape = next(iter(shapes))
    if 0 in shape or not all(p.is_floating_point() for p in probabilities):
        raise ValueError(f"expected streams' probabilities, each (N, K) floats with N, K >= 1, got "
                         f"{[p.dtype for p in probabilities]} of shape {shape}")


def average_fusion(*probabilities: torch.Tensor) -> torch.Tensor:
    """Fuse streams by averaging their class probabilities: ``(N, K)`` each -> ``(N, K)``."""
    _check_probabilities(probabilities)
    return torch.stack(probabilities).mean(0)


class ScoreFusion(nn.Module):
    """A linear classifier on the streams' class scores (log-probabilities), concatenated.

    Shape:
        ``S`` tensors ``(N, K)`` of probabilities -> ``(N, K)`` logits.

    Reference:
        Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
        Videos" (NeurIPS, arXiv 1406.2199): fusion by a linear SVM on the scores.
    """

    def __init__(self, num_classes: int, streams: int = 2) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, streams=streams)
        self.linear = nn.Linear(streams * num_classes, num_classes)

    def forward(self, *probabilities: torch.Tensor) -> torch.Tensor:
        _check_probabilities(probabilities)
        K = self.linear.out_features
        streams, classes = len(probabilities), probabilities[0].shape[1]
        if streams * K != self.linear.in_features or classes != K:
            raise ValueError(f"expected {self.linear.in_features // K} streams' probabilities with "
                             f"K={K} classes, got {streams} with K={classes}")
        scores = torch.cat([p.clamp_min(1e-6).log() for p in probabilities], 1)  # (N, S*K)
        return self.linear(scores)


def fit_score_fusion(probabilities: Sequence[torch.Tensor], labels: torch.Tensor, *,
                     weight_decay: float = 1e-3, steps: int = 100) -> ScoreFusion:
    """Train :class:`ScoreFusion` on held-out streams' probabilities (full batch, L-BFGS).

    Train it on a split the streams were not trained on (e.g. validation): on their own training
    set the streams are over-confident, and the fusion would learn to trust them too much.
    """
    _check_probabilities(probabilities)
    check_positive(weight_decay=weight_decay)
    check_positive_int(steps=steps)
    N, K = probabilities[0].shape
    labels = torch.as_tensor(labels)
    if labels.shape != (N,):
        raise ValueError(f"expected ({N},) labels, got {tuple(labels.shape)}")
    check_labels(labels, size=N, classes=K)
    torch.manual_seed(0)
    fusion = ScoreFusion(K, len(probabilities))
    optimiser = torch.optim.LBFGS(fusion.parameters(), max_iter=steps,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(fusion(*probabilities), labels) + \
            weight_decay * fusion.linear.weight.square().sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return fusion.eval()


__all__ = ["stack_flows", "SpatialStream", "TemporalStream", "two_stream_models",
           "average_fusion", "ScoreFusion", "fit_score_fusion"]
