"""1-D convolutions over time: parallel, but each layer widens the view by only a few frames.

Why: a conv over the time axis of the frame features computes every output at once (no
sequential steps), and it is blind beyond its receptive field, which grows
by ``(k - 1) * d`` frames per layer. Dilation (``d = 1, 2, 4, ...``) grows it exponentially::

    (B, T, D) -> [Conv1d(k, dilation d_l) -> BN -> ReLU] x layers -> max over time -> Linear
    receptive field = 1 + sum_l (k - 1) * d_l

Reference: van den Oord et al., 2016, "WaveNet: A Generative Model for Raw Audio"
(arXiv 1609.03499): dilated convolutions.
"""

from __future__ import annotations

import torch
from torch import nn

from ...core.checks import check_choice, check_positive_int
from .sequences import check_sequences


def temporal_receptive_field(layers: int, kernel_size: int, *, dilated: bool = False) -> int:
    """Frames one output of a 1-D conv stack sees: ``1 + sum_l (kernel_size - 1) * d_l``.

    Args:
        layers: number of conv layers.
        kernel_size: the temporal kernel size of each.
        dilated: ``d_l = 2**l`` (from 0) instead of 1.
    """
    check_positive_int(layers=layers, kernel_size=kernel_size)
    check_choice("dilated", dilated, (False, True))
    return 1 + sum((kernel_size - 1) * (2 ** i if dilated else 1) for i in range(layers))


class TemporalConvHead(nn.Module):
    """A stack of 1-D conv-BN-ReLU layers over time, then a max over time and a linear classifier.

    Each output sees ``1 + sum_l (kernel_size - 1) * d_l`` frames
    (:func:`temporal_receptive_field`): ``d_l = 1`` for plain layers, ``d_l = 2**l`` when
    ``dilated``, which grows the view exponentially with depth. With ``padding="valid"`` an output
    exists only where its whole window fits in the clip, so nothing but the window's content can
    tell it anything; ``"same"`` zero-pads, and a window that overlaps the padding knows it is
    at an end of the clip.

    Args:
        features: D.
        num_classes: K.
        layers: number of conv layers.
        kernel_size: an odd temporal kernel size.
        dilated: dilate layer ``l`` (from 0) by ``2**l``.
        hidden: channels of every conv layer.
        padding: "valid" (no padding; needs ``T`` >= the receptive field) or "same" (zeros).

    Shape:
        ``(B, T, D) -> (B, K)`` logits.

    Reference:
        van den Oord et al., 2016, "WaveNet: A Generative Model for Raw Audio" (arXiv 1609.03499):
        dilated convolutions.
    """

    def __init__(self, features: int, num_classes: int, *, layers: int = 2, kernel_size: int = 3,
                 dilated: bool = False, hidden: int = 64, padding: str = "valid") -> None:
        super().__init__()
        check_positive_int(features=features, num_classes=num_classes, layers=layers,
                           kernel_size=kernel_size, hidden=hidden)
        check_choice("padding", padding, ("valid", "same"))
        check_choice("dilated", dilated, (False, True))
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.features = features
        self.dilations = [2 ** i if dilated else 1 for i in range(layers)]
        self.receptive_field = temporal_receptive_field(layers, kernel_size, dilated=dilated)
        self.padding = padding
        self.convs = nn.Sequential(*[
            nn.Sequential(nn.Conv1d(features if i == 0 else hidden, hidden, kernel_size,
                                    padding=d * (kernel_size // 2) if padding == "same" else 0,
                                    dilation=d, bias=False), nn.BatchNorm1d(hidden), nn.ReLU())
            for i, d in enumerate(self.dilations)])
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_sequences(x, self.features)
        if self.padding == "valid" and x.shape[1] < self.receptive_field:
            raise ValueError(f"without padding the clip needs T >= the receptive field "
                             f"{self.receptive_field}, got T={x.shape[1]}")
        y = self.convs(x.transpose(1, 2))                       # (B, T, D) -> (B, hidden, T')
        return self.classifier(y.amax(dim=2))                   # (B, hidden) -> (B, K)
