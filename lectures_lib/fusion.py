"""Where time is fused: single-frame, late fusion, early fusion and 3-D CNN video classifiers.

Why four models: they differ only in *where* information from different frames meets, which is
the lecture's whole comparison::

    single frame : frame -> 2-D CNN -> class probs ......................... average over T
    late fusion  : frame -> 2-D CNN -> features ------ (pool or flatten over T) -> classifier
    early fusion : all 3T channels -> first 2-D conv -> 2-D CNN ------------------> classifier
    3-D CNN      : clip -> 3-D conv -> 3-D conv -> 3-D conv (time fused slowly) -> classifier

All take ``(B, C, T, H, W)``. Each pools its last feature maps over space with a global *max*
(not the average of the lecture's toys): a small moving object is a sparse signal, and averaging
dilutes it in a shaking background (on the mini dataset the 3-D CNN then trained to 0.94-0.96
validation accuracy for three seeds, against 0.60-0.85 with averaging). Reference: Karpathy et al., 2014, "Large-scale Video Classification
with Convolutional Neural Networks" (CVPR).
"""

from __future__ import annotations

import torch
from torch import nn

from .video import fold_time, unfold_time


def check_clips(x: torch.Tensor, *, channels: int, frames: int | None = None) -> None:
    """Raise a ValueError naming the expected layout unless ``x`` is ``(B, C, T, H, W)`` as asked."""
    if x.ndim != 5 or x.shape[1] != channels or (frames is not None and x.shape[2] != frames):
        want = f"(B, C, T, H, W) with C={channels}" + (f", T={frames}" if frames is not None else "")
        raise ValueError(f"expected {want}, got {tuple(x.shape)}")


def _conv2d(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


def _conv3d(c_in: int, c_out: int, stride: tuple[int, int, int]) -> nn.Sequential:
    return nn.Sequential(nn.Conv3d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm3d(c_out), nn.ReLU())


def frame_encoder(in_channels: int = 3, width: int = 16) -> nn.Sequential:
    """The shared 2-D CNN: ``(N, C, H, W) -> (N, 2*width, H/8, W/8)``."""
    return nn.Sequential(_conv2d(in_channels, width, 2), _conv2d(width, 2 * width, 2),
                         _conv2d(2 * width, 2 * width, 2))


class SingleFrameCNN(nn.Module):
    """Classify every frame on its own with a 2-D CNN; the clip's prediction is their average.

    Ignores time completely, yet is a strong baseline on real data, where scenes give verbs away.

    Args:
        num_classes: K.
        in_channels: C.
        width: channels of the first conv (the encoder ends with ``2*width``).

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` log-probabilities: ``log(mean_t softmax(frame logits))``.
    """

    def __init__(self, num_classes: int, *, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.encoder = frame_encoder(in_channels, width)
        self.classifier = nn.Linear(2 * width, num_classes)

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame class scores: ``(B, C, T, H, W) -> (B, T, K)``."""
        check_clips(x, channels=self.in_channels)
        B, C, T, H, W = x.shape
        feats = self.encoder(fold_time(x)).amax(dim=(2, 3))        # (B*T, C, H, W) -> (B*T, D)
        return unfold_time(self.classifier(feats), T)               # (B*T, K) -> (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = self.frame_logits(x).softmax(dim=-1).mean(dim=1)    # (B, T, K) -> (B, K)
        return probs.clamp_min(1e-12).log()

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Train on frames, not clips: every frame is an example labelled with its video's class.

        Returns the mean per-frame cross-entropy and the clip-level outputs (for accuracy).
        """
        logits = self.frame_logits(x)                               # (B, T, K)
        B, T, K = logits.shape
        loss = nn.functional.cross_entropy(logits.reshape(B * T, K), y.repeat_interleave(T))  # (B*T, K)
        return loss, logits.softmax(dim=-1).mean(dim=1).clamp_min(1e-12).log()


class LateFusion(nn.Module):
    """Run a 2-D CNN on every frame, then fuse the per-frame features at the very end.

    Two variants from the lecture: ``head="avg"`` pools each frame's features over space, averages
    them over time and applies one linear layer (blind to frame order: a clip and its reversal get the same logits);
    ``head="mlp"`` flattens the ``T`` per-frame feature vectors and classifies them with an MLP
    (order-aware, but frames only meet after the last conv, too late to compare low-level motion).

    Args:
        num_classes: K.
        num_frames: T (needed by the ``"mlp"`` head's first layer).
        head: "avg" or "mlp".
        in_channels, width: as in :class:`SingleFrameCNN`.
        hidden: width of the MLP's hidden layer.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits.
    """

    def __init__(self, num_classes: int, num_frames: int, *, head: str = "avg", in_channels: int = 3,
                 width: int = 16, hidden: int = 128) -> None:
        super().__init__()
        if head not in ("avg", "mlp"):
            raise ValueError(f"head must be 'avg' or 'mlp', got {head!r}")
        self.head, self.num_frames, self.in_channels = head, num_frames, in_channels
        self.encoder = frame_encoder(in_channels, width)
        D = 2 * width
        self.classifier = nn.Linear(D, num_classes) if head == "avg" else nn.Sequential(
            nn.Linear(num_frames * D, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels, frames=None if self.head == "avg" else self.num_frames)
        B, C, T, H, W = x.shape
        feats = unfold_time(self.encoder(fold_time(x)).amax(dim=(2, 3)), T)  # (B*T, D) -> (B, T, D)
        fused = feats.mean(dim=1) if self.head == "avg" else feats.flatten(1)  # (B, D) or (B, T*D)
        return self.classifier(fused)


class EarlyFusion(nn.Module):
    """Stack all frames as channels, ``3T x H x W``, so the first 2-D conv sees the whole clip.

    One layer of temporal processing, and no temporal shift invariance: the first conv has separate
    weights for every frame, so the same motion at another time needs other filters. It gets more
    of them by default (width 24, not 16): with 16, three seeds reached 0.90-0.94 validation
    accuracy on the mini dataset, with 24 0.97-0.98.

    Args:
        num_classes: K.
        num_frames: T (fixed by the first conv's ``C*T`` input channels).
        in_channels, width: as in :class:`SingleFrameCNN`.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits.
    """

    def __init__(self, num_classes: int, num_frames: int, *, in_channels: int = 3, width: int = 24) -> None:
        super().__init__()
        self.num_frames, self.in_channels = num_frames, in_channels
        self.encoder = frame_encoder(in_channels * num_frames, width)
        self.classifier = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels, frames=self.num_frames)
        B, C, T, H, W = x.shape
        stacked = x.reshape(B, C * T, H, W)                          # (B, C, T, H, W) -> (B, C*T, H, W)
        return self.classifier(self.encoder(stacked).amax(dim=(2, 3)))


class CNN3D(nn.Module):
    """3-D convolutions fuse space and time a little at every layer ("slow fusion").

    Args:
        num_classes: K.
        in_channels, width: as in :class:`SingleFrameCNN`.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits; feature maps ``(w, T, H/2, W/2)``, then
        ``(2w, T/2, H/4, W/4)``, then ``(2w, T/4, H/8, W/8)``.
    """

    def __init__(self, num_classes: int, *, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.features = nn.Sequential(_conv3d(in_channels, width, (1, 2, 2)),
                                      _conv3d(width, 2 * width, (2, 2, 2)),
                                      _conv3d(2 * width, 2 * width, (2, 2, 2)))
        self.classifier = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels)
        return self.classifier(self.features(x).amax(dim=(2, 3, 4)))  # (B, D, T', H', W') -> (B, D)


class FoldTimeIntoChannels(nn.Module):
    """Early fusion's reshape as a layer: ``(B, C, T, H, W) -> (B, C*T, H, W)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, T, H, W = x.shape
        return x.reshape(B, C * T, H, W)                              # (B, C, T, H, W) -> (B, C*T, H, W)


def late_fusion_toy(in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy late fusion on ``3 x 20 x 64 x 64``: Conv2D(3x3, 3->12), Pool2D(4x4),
    Conv2D(3x3, 12->24), global average pool. Each 2-D op is a 3-D op with a time extent of 1,
    which is exactly "the same 2-D layer on every frame"."""
    return nn.Sequential(nn.Conv3d(in_channels, 12, (1, 3, 3), padding=(0, 1, 1)), nn.ReLU(),
                         nn.MaxPool3d((1, 4, 4)),
                         nn.Conv3d(12, 24, (1, 3, 3), padding=(0, 1, 1)), nn.ReLU(),
                         nn.AdaptiveAvgPool3d(1))


def early_fusion_toy(num_frames: int = 20, in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy early fusion: Conv2D(3x3, 3*T->12), Pool2D(4x4), Conv2D(3x3, 12->24), GAP."""
    return nn.Sequential(FoldTimeIntoChannels(),
                         nn.Conv2d(in_channels * num_frames, 12, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(4), nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1))


def cnn3d_toy(in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy 3-D CNN: Conv3D(3x3x3, 3->12), Pool3D(4x4x4), Conv3D(3x3x3, 12->24), GAP."""
    return nn.Sequential(nn.Conv3d(in_channels, 12, 3, padding=1), nn.ReLU(), nn.MaxPool3d(4),
                         nn.Conv3d(12, 24, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1))
