"""Where time is fused: single-frame, late fusion, early fusion and 3-D CNN video classifiers.

Why four models: they differ only in *where* information from different frames meets, which is
the lecture's whole comparison::

    single frame : frame -> 2-D CNN -> class probs ......................... average over T
    late fusion  : frame -> 2-D CNN -> features ------ (pool or flatten over T) -> classifier
    early fusion : all 3T channels -> first 2-D conv -> 2-D CNN ------------------> classifier
    3-D CNN      : clip -> 3-D conv -> 3-D conv -> 3-D conv (time fused slowly) -> classifier

All take ``(B, C, T, H, W)`` and are built from :mod:`lectures_lib.core.blocks`. Each pools its last
feature maps with a global *max* (not the average of the lecture's toys): a small moving object is
a sparse signal, and averaging dilutes it in a shaking background.

Reference: Karpathy et al., 2014, "Large-scale Video Classification with Convolutional Neural
Networks" (CVPR).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..core.blocks import (
    FoldTimeIntoChannels,
    GlobalMaxPool,
    conv_bn_relu,
    frame_encoder,
    max_pool_classifier,
)
from ..core.checks import check_choice, check_int, check_labels, check_positive_int, check_shape
from ..core.devices import seeded
from ..core.speed import use_channels_last
from ..core.video import check_clips, fold_time, unfold_time


class SingleFrameCNN(nn.Module):
    """Classify every frame on its own with a 2-D CNN; the clip's prediction is their average.

    Ignores time completely, yet is a strong baseline on real data, where scenes give verbs away.

    Args:
        num_classes: K.
        in_channels: C.
        width: channels of the first conv (the encoder ends with ``2*width``).

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` log-probabilities: ``log(mean_t softmax(frame logits))``.

    Reference:
        Karpathy et al., 2014, "Large-scale Video Classification with Convolutional Neural
        Networks" (CVPR): the single-frame baseline.
    """

    def __init__(self, num_classes: int, *, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes)
        self.in_channels = in_channels
        self.encoder = frame_encoder(in_channels, width)
        self.head = max_pool_classifier(2 * width, num_classes)

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame class scores: ``(B, C, T, H, W) -> (B, T, K)``."""
        check_clips(x, channels=self.in_channels)
        B, C, T, H, W = x.shape
        logits = self.head(self.encoder(fold_time(x)))              # (B*T, C, H, W) -> (B*T, K)
        return unfold_time(logits, T)                               # (B*T, K) -> (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = self.frame_logits(x).softmax(dim=-1).mean(dim=1)    # (B, T, K) -> (B, K)
        return probs.clamp_min(1e-12).log()

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Train on frames, not clips: every frame is an example labelled with its video's class.

        Returns the mean per-frame cross-entropy and the clip-level outputs (for accuracy).
        """
        logits = self.frame_logits(x)                               # (B, T, K)
        B, T, K = logits.shape
        check_labels(y, size=B, classes=K)
        loss = nn.functional.cross_entropy(logits.reshape(B * T, K),  # (B*T, K)
                                           y.repeat_interleave(T))
        return loss, logits.softmax(dim=-1).mean(dim=1).clamp_min(1e-12).log()


class LateFusion(nn.Module):
    """Run a 2-D CNN on every frame, then fuse the per-frame features at the very end.

    ``head="flatten"`` is the lecture's: flatten all ``T x D x H' x W'`` numbers of the last feature
    maps into fully connected layers. ``head="avg"`` is its other one: pool each frame's map (a max
    over space, as in every model here), average over time, one linear layer; it is blind to frame
    order. ``head="mlp"`` is this book's variant: pool each frame over space first, then flatten the
    ``T x D`` vectors into the MLP; it sees the order of the frames, but not where things are.

    Args:
        num_classes: K.
        num_frames: T (fixed for the ``"flatten"`` and ``"mlp"`` heads).
        head: "flatten", "avg" or "mlp".
        frame_size: ``(H, W)`` of the frames (fixed for the ``"flatten"`` head).
        in_channels, width: as in :class:`SingleFrameCNN`.
        hidden: width of the hidden fully connected layer.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits; ``H' = H/8`` and ``W' = W/8``, rounded up.

    Reference:
        Karpathy et al., 2014 (CVPR): late fusion.
    """

    def __init__(self, num_classes: int, num_frames: int, *, head: str = "avg",
                 frame_size: tuple[int, int] = (32, 32), in_channels: int = 3, width: int = 16,
                 hidden: int = 128) -> None:
        super().__init__()
        check_choice("head", head, ("flatten", "avg", "mlp"))
        check_positive_int(num_classes=num_classes, num_frames=num_frames, hidden=hidden)
        check_shape("frame_size", frame_size, rank=2)
        self.head, self.num_frames, self.in_channels = head, num_frames, in_channels
        self.frame_size = tuple(frame_size)
        self.encoder = frame_encoder(in_channels, width)
        self.pool = GlobalMaxPool()
        D, cells = 2 * width, -(-frame_size[0] // 8) * -(-frame_size[1] // 8)
        inputs = {"flatten": num_frames * D * cells, "mlp": num_frames * D}.get(head)
        self.classifier = nn.Linear(D, num_classes) if head == "avg" else nn.Sequential(
            nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels,
                    frames=None if self.head == "avg" else self.num_frames)
        B, C, T, H, W = x.shape
        if self.head == "flatten" and (H, W) != self.frame_size:
            raise ValueError(f"the flatten head was built for {self.frame_size} frames, "
                             f"got {(H, W)}")
        maps = self.encoder(fold_time(x))                              # (B*T, D, H', W')
        if self.head == "flatten":
            return self.classifier(maps.reshape(B, -1))                # -> (B, T*D*H'*W')
        feats = unfold_time(self.pool(maps), T)                        # (B*T, D) -> (B, T, D)
        fused = feats.mean(dim=1) if self.head == "avg" else feats.flatten(1)  # (B, D) | (B, T*D)
        return self.classifier(fused)


class EarlyFusion(nn.Module):
    """Stack all frames as channels, ``3T x H x W``, so the first 2-D conv sees the whole clip.

    One layer of temporal processing, and no temporal shift invariance: the first conv has separate
    weights for every frame, so the same motion at another time needs other filters.

    Args:
        num_classes: K.
        num_frames: T (fixed by the first conv's ``C*T`` input channels).
        in_channels, width: as in :class:`SingleFrameCNN`.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits.

    Reference:
        Karpathy et al., 2014 (CVPR): early fusion.
    """

    def __init__(self, num_classes: int, num_frames: int, *, in_channels: int = 3,
                 width: int = 16) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, num_frames=num_frames, in_channels=in_channels)
        self.num_frames, self.in_channels = num_frames, in_channels
        self.fold = FoldTimeIntoChannels()
        self.encoder = frame_encoder(in_channels * num_frames, width)
        self.head = max_pool_classifier(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels, frames=self.num_frames)
        return self.head(self.encoder(self.fold(x)))                # (B, C*T, H, W) -> (B, K)


class CNN3D(nn.Module):
    """3-D convolutions fuse space and time a little at every layer ("slow fusion").

    Args:
        num_classes: K.
        in_channels, width: as in :class:`SingleFrameCNN`.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits; feature maps ``(w, T, H/2, W/2)``, then
        ``(2w, T/2, H/4, W/4)``, then ``(2w, T/4, H/8, W/8)``.

    Reference:
        Karpathy et al., 2014 (CVPR): slow fusion; Tran et al., 2015 (ICCV, arXiv 1412.0767): 3-D
        convolutions throughout.
    """

    def __init__(self, num_classes: int, *, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, in_channels=in_channels, width=width)
        self.in_channels = in_channels
        self.features = nn.Sequential(conv_bn_relu(in_channels, width, dims=3, stride=(1, 2, 2)),
                                      conv_bn_relu(width, 2 * width, dims=3, stride=2),
                                      conv_bn_relu(2 * width, 2 * width, dims=3, stride=2))
        self.head = max_pool_classifier(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels)
        return self.head(self.features(x))                          # (B, D, T', H', W') -> (B, K)


def chapter2_models(num_classes: int = 8, num_frames: int = 16, *,
                    seed: int = 0) -> dict[str, Callable[[], nn.Module]]:
    """Builders of the six chapter-2 models, the same in every chapter, test and benchmark.

    Each builder seeds torch with ``seed`` before it builds, so a model starts from the same
    weights wherever it is built, and stores conv weights channels-last where that is faster on a
    CPU (all but early fusion, whose first conv has ``3T`` input channels).

    Args:
        num_classes: K.
        num_frames: T of the clips (early fusion and the MLP heads are built for one T).
        seed: the seed every builder starts from.
    """
    check_positive_int(num_classes=num_classes, num_frames=num_frames)
    check_int(0, seed=seed)
    specs = {"single frame": (lambda: SingleFrameCNN(num_classes), True),
             "late fusion (avg)": (lambda: LateFusion(num_classes, num_frames), True),
             "late fusion (flatten)": (lambda: LateFusion(num_classes, num_frames, head="flatten"),
                                       True),
             "late fusion (pooled, variant)": (
                 lambda: LateFusion(num_classes, num_frames, head="mlp"), True),
             "early fusion": (lambda: EarlyFusion(num_classes, num_frames), False),
             "3D CNN": (lambda: CNN3D(num_classes), True)}

    def laid_out(build: Callable[[], nn.Module], fast: bool) -> Callable[[], nn.Module]:
        return (lambda: use_channels_last(build())) if fast else build

    return {name: seeded(laid_out(build, fast), seed=seed) for name, (build, fast) in specs.items()}
