"""Building blocks shared by the book's models: conv-BN-ReLU, the per-frame encoder, fusion layers.

Why one module: every video model in the book is assembled from the same few parts, and a part
written once is a part that behaves the same in every chapter::

    conv_bn_relu(dims=2 | 3)   conv (3 x 3 or 3 x 3 x 3, no bias) -> BatchNorm -> ReLU
    frame_encoder              three stride-2 conv_bn_relu(dims=2):
                               (N, C, H, W) -> (N, 2w, H/8, W/8)
    FoldTimeIntoChannels       (B, C, T, H, W) -> (B, C*T, H, W): early fusion's reshape
    GlobalMaxPool              (N, D, ...) -> (N, D): the max over every position
    max_pool_classifier        GlobalMaxPool -> Linear(D, K): the book's classifier head

The head pools with a *max*, not the average of the lecture's toys: a small moving object is a
sparse signal, and averaging dilutes it in a shaking background.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import check_positive_int, check_shape, check_tensor


def conv_bn_relu(in_channels: int, out_channels: int, *, dims: int,
                 stride: int | tuple[int, ...] = 1, kernel_size: int = 3) -> nn.Sequential:
    """A bias-free conv with "same" padding, BatchNorm and ReLU, in 2-D or 3-D.

    Args:
        in_channels, out_channels: channels in and out.
        dims: 2 for ``Conv2d``/``BatchNorm2d``, 3 for ``Conv3d``/``BatchNorm3d``.
        stride: the conv's stride (one int, or one per axis).
        kernel_size: an odd kernel size; padding ``kernel_size // 2`` keeps the size at stride 1.

    Shape:
        ``(N, C_in, *S) -> (N, C_out, *S / stride)`` with ``len(S) == dims``.
    """
    if dims not in (2, 3) or not isinstance(dims, int):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    check_positive_int(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size)
    check_shape("stride", (stride,) * dims if isinstance(stride, int) else stride, rank=dims)
    if kernel_size % 2 == 0:
        raise ValueError("kernel_size must be odd so that padding keeps the size, "
                         f"got {kernel_size}")
    conv, norm = (nn.Conv2d, nn.BatchNorm2d) if dims == 2 else (nn.Conv3d, nn.BatchNorm3d)
    return nn.Sequential(conv(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                              bias=False),
                         norm(out_channels), nn.ReLU())


def frame_encoder(in_channels: int = 3, width: int = 16) -> nn.Sequential:
    """The per-frame 2-D CNN of chapter 2: three stride-2 conv-BN-ReLU layers.

    Args:
        in_channels: C of each frame (``C*T`` when early fusion stacks the frames).
        width: channels of the first conv; the second and third have ``2*width``.

    Shape:
        ``(N, C, H, W) -> (N, 2*width, H/8, W/8)``.
    """
    check_positive_int(in_channels=in_channels, width=width)
    return nn.Sequential(conv_bn_relu(in_channels, width, dims=2, stride=2),
                         conv_bn_relu(width, 2 * width, dims=2, stride=2),
                         conv_bn_relu(2 * width, 2 * width, dims=2, stride=2))


class FoldTimeIntoChannels(nn.Module):
    """Early fusion's reshape as a layer: all frames become the channels of one image.

    Output channel ``c*T + t`` is channel ``c`` of frame ``t``: each input channel's ``T`` frames
    are adjacent (a plain reshape of the contiguous clip, no copy).
    :func:`lectures_lib.costs.receptive_field.layers_from_module` recognises this layer, so the 2-D
    conv after it counts as spanning all ``T`` frames.

    Shape:
        ``(B, C, T, H, W) -> (B, C*T, H, W)``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x=x)
        if x.ndim != 5:
            raise ValueError(f"expected (B, C, T, H, W), got shape {tuple(x.shape)}")
        B, C, T, H, W = x.shape
        return x.reshape(B, C * T, H, W)  # (B, C, T, H, W) -> (B, C*T, H, W)


class GlobalMaxPool(nn.Module):
    """The maximum of every channel over all positions (space, or space and time).

    Shape:
        ``(N, D, *S) -> (N, D)`` for any number of axes ``S``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x=x)
        if x.ndim < 3 or 0 in x.shape[2:]:
            raise ValueError(f"expected (N, D, *positions) with at least one position axis, none "
                             f"empty, got shape {tuple(x.shape)}")
        return x.amax(dim=tuple(range(2, x.ndim)))                    # (N, D, *S) -> (N, D)


def max_pool_classifier(features: int, num_classes: int) -> nn.Sequential:
    """The book's classifier head: :class:`GlobalMaxPool`, then one linear layer.

    Shape:
        ``(N, features, *S) -> (N, num_classes)`` logits.
    """
    check_positive_int(features=features, num_classes=num_classes)
    return nn.Sequential(GlobalMaxPool(), nn.Linear(features, num_classes))
