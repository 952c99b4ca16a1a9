"""The lecture's three toy networks on a ``3 x 20 x 64 x 64`` clip, as its summary table draws them.

Each is conv (3 x 3, 12 channels) -> pool (4 x 4) -> conv (3 x 3, 24 channels) -> global average
pool; they differ only in how time enters. Chapter 3 computes their receptive fields and output
sizes layer by layer, and the appendix checks them against the lecture's table::

    late_fusion   2-D ops on every frame (a 3-D op with time extent 1), time pooled at the end
    early_fusion  all T frames folded into the first conv's channels
    cnn3d         3 x 3 x 3 convs and a 4 x 4 x 4 pool: time fused a little at every layer

Reference: Karpathy et al., 2014, "Large-scale Video Classification with Convolutional Neural
Networks" (CVPR), after the lecture's summary table.
"""

from __future__ import annotations

from torch import nn

from ..core.blocks import FoldTimeIntoChannels
from ..core.checks import check_positive_int


def late_fusion(in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy late fusion on ``3 x 20 x 64 x 64``: Conv2D(3x3, 3->12), Pool2D(4x4),
    Conv2D(3x3, 12->24), global average pool. Each 2-D op is a 3-D op with a time extent of 1,
    which is exactly "the same 2-D layer on every frame"."""
    check_positive_int(in_channels=in_channels)
    return nn.Sequential(nn.Conv3d(in_channels, 12, (1, 3, 3), padding=(0, 1, 1)), nn.ReLU(),
                         nn.MaxPool3d((1, 4, 4)),
                         nn.Conv3d(12, 24, (1, 3, 3), padding=(0, 1, 1)), nn.ReLU(),
                         nn.AdaptiveAvgPool3d(1))


def early_fusion(num_frames: int = 20, in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy early fusion:
    Conv2D(3x3, 3*T->12), Pool2D(4x4), Conv2D(3x3, 12->24), GAP."""
    check_positive_int(num_frames=num_frames, in_channels=in_channels)
    return nn.Sequential(FoldTimeIntoChannels(),
                         nn.Conv2d(in_channels * num_frames, 12, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(4), nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1))


def cnn3d(in_channels: int = 3) -> nn.Sequential:
    """The lecture's toy 3-D CNN:
    Conv3D(3x3x3, 3->12), Pool3D(4x4x4), Conv3D(3x3x3, 12->24), GAP."""
    check_positive_int(in_channels=in_channels)
    return nn.Sequential(nn.Conv3d(in_channels, 12, 3, padding=1), nn.ReLU(), nn.MaxPool3d(4),
                         nn.Conv3d(12, 24, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1))
