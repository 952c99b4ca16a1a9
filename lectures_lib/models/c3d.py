"""C3D, "the VGG of 3D CNNs", and what 3-D convolution costs; with AlexNet, VGG-16 and (2+1)-D.

Why it exists: C3D uses only 3x3x3 convolutions and 2x2x2 pooling (pool1 is 1x2x2, to keep early
temporal detail), like VGG does with 3x3. It is simple and strong, and very expensive::

    3x16x112x112 -> conv1a 64  -> pool1 1x2x2 -> conv2a 128 -> pool2 -> conv3a,b 256 -> pool3
                 -> conv4a,b 512 -> pool4 -> conv5a,b 512 -> pool5 (pad 0,1,1) -> fc6 4096
                 -> fc7 4096 -> fc8 classes                    (every conv 3x3x3, pad 1)

Reference: Tran et al., 2015, "Learning Spatiotemporal Features with 3D Convolutional Networks"
(ICCV, arXiv 1412.0767). AlexNet: Krizhevsky et al., 2012; VGG-16: Simonyan and Zisserman, 2015
(arXiv 1409.1556); (2+1)-D: Tran et al., 2018, "A Closer Look at Spatiotemporal Convolutions for
Action Recognition" (CVPR, arXiv 1711.11248).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ..core.checks import check_number, check_positive, check_positive_int, check_shape
from ..costs.calculators import layer_costs

# The paper's stages: (convs in the stage, pool kernel after it). Channels are given separately.
C3D_STAGES = ((1, (1, 2, 2)), (1, (2, 2, 2)), (2, (2, 2, 2)), (2, (2, 2, 2)), (2, (2, 2, 2)))
C3D_CHANNELS = (64, 128, 256, 256, 512, 512, 512, 512)


def _features(channels: tuple[int, ...], pool5_padding: bool, batch_norm: bool) -> OrderedDict:
    """C3D's eight convs and five pools, named conv1a ... pool5."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c_in, k = 3, 0
    for stage, (convs, pool) in enumerate(C3D_STAGES, start=1):
        for letter in "ab"[:convs]:
            layers[f"conv{stage}{letter}"] = nn.Conv3d(c_in, channels[k], 3, padding=1)
            if batch_norm:
                layers[f"bn{stage}{letter}"] = nn.BatchNorm3d(channels[k])
            layers[f"relu{stage}{letter}"] = nn.ReLU()
            c_in, k = channels[k], k + 1
        padding = (0, 1, 1) if stage == 5 and pool5_padding else 0
        layers[f"pool{stage}"] = nn.MaxPool3d(pool, pool, padding=padding)
    return layers


def c3d(num_classes: int = 487, *, channels: tuple[int, ...] = C3D_CHANNELS,
        fc: tuple[int, ...] = (4096, 4096), input_size: tuple[int, int, int] = (16, 112, 112),
        pool5_padding: bool = True, batch_norm: bool = False,
        dropout: float = 0.5) -> nn.Sequential:
    """C3D with named layers (conv1a ... fc8); the defaults are the paper's 487-class Sports-1M net.

    Args:
        num_classes: outputs of the last layer.
        channels: output channels of the eight convs, conv1a to conv5b.
        fc: widths of the hidden fully connected layers (fc6, fc7).
        input_size: the clip's ``(T, H, W)``; it fixes how many features reach fc6 (512 x 1 x 4 x 4
            = 8192 for 16 x 112 x 112 with the released model's pool5 padding, 4608 without it).
        pool5_padding: pad pool5 by (0, 1, 1), as the released model does.
        batch_norm: a BatchNorm after every conv (the 2015 paper predates it; small nets train
            much faster with it).
        dropout: after fc6 and fc7.
    """
    check_positive_int(num_classes=num_classes)
    check_shape("channels", channels)
    if len(channels) != 8:
        raise ValueError(f"C3D has 8 convs, so channels needs 8 values, got {len(channels)}")
    check_shape("fc", fc)
    check_shape("input_size", input_size, rank=3)
    check_number(dropout=dropout)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    try:
        with torch.device("meta"), torch.no_grad():  # a shape-only copy measures fc6's input
            probe = nn.Sequential(_features(channels, pool5_padding, batch_norm))
            fc_input = probe(torch.zeros(1, 3, *input_size)).flatten(1).shape[1]
    except RuntimeError as err:
        raise ValueError(f"a (T, H, W) = {tuple(input_size)} clip is too small for C3D's five "
                         f"poolings (time is halved 4 times, space 5 times): {err}") from None
    layers = _features(channels, pool5_padding, batch_norm)
    layers["flatten"] = nn.Flatten()
    for i, width in enumerate(fc, start=6):
        layers[f"fc{i}"] = nn.Linear(fc_input, width)
        layers[f"relu{i}"] = nn.ReLU()
        layers[f"drop{i}"] = nn.Dropout(dropout)
        fc_input = width
    layers[f"fc{6 + len(fc)}"] = nn.Linear(fc_input, num_classes)
    return nn.Sequential(layers)


def c3d_small(num_classes: int = 8, *, width: int = 4) -> nn.Sequential:
    """C3D's exact layout at ``width / 64`` of its width for 3 x 16 x 32 x 32 clips
    (the mini dataset).

    Five poolings take 16 x 32 x 32 down to 1 x 1 x 1, so fc6 sees ``8 * width`` features.
    """
    check_positive_int(width=width)
    w = width
    return c3d(num_classes, channels=(w, 2 * w, 4 * w, 4 * w, 8 * w, 8 * w, 8 * w, 8 * w),
               fc=(16 * w,), input_size=(16, 32, 32), pool5_padding=False, batch_norm=True,
               dropout=0.2)


def c3d_costs(frames: int, size: int, width: float) -> tuple[float, float, float]:
    """GMACs, millions of parameters and MiB of activations of C3D on ``3 x frames x size^2``.

    ``width`` scales every layer's channels. Computed on the meta device (nothing allocated).
    """
    check_positive_int(frames=frames, size=size)
    check_positive(width=width)
    if frames % 16 or size < 32:
        raise ValueError(f"C3D halves time 4 times and space 5 times: frames must be a multiple "
                         f"of 16 and size >= 32, got frames={frames}, size={size}")
    channels = tuple(max(1, round(c * width)) for c in C3D_CHANNELS)
    with torch.device("meta"):
        net = c3d(channels=channels, input_size=(frames, size, size))
    costs = layer_costs(net, (3, frames, size, size))
    return (sum(c.macs for c in costs) / 1e9, sum(c.params for c in costs) / 1e6,
            sum(c.activation_bytes for c in costs) / 2 ** 20)


def _stack(cfg: list, in_channels: int, conv: dict) -> list[nn.Module]:
    layers = []
    for item in cfg:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(in_channels, item, 3, padding=1, **conv), nn.ReLU()]
            in_channels = item
    return layers


def vgg16(num_classes: int = 1000) -> nn.Sequential:
    """VGG-16 (configuration D) for 3 x 224 x 224 images: 13 3x3 convs, 3 fully connected layers."""
    check_positive_int(num_classes=num_classes)
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    return nn.Sequential(*_stack(cfg, 3, {}), nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))


def alexnet(num_classes: int = 1000) -> nn.Sequential:
    """The original AlexNet for 3 x 227 x 227 images: 96-256-384-384-256 channels, two groups."""
    check_positive_int(num_classes=num_classes)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes))


def conv2plus1d_mid_channels(in_channels: int, out_channels: int, kernel: int = 3) -> int:
    """Hidden width that gives a (2+1)-D block the parameters of a ``kernel^3`` conv (R(2+1)D)."""
    check_positive_int(in_channels=in_channels, out_channels=out_channels, kernel=kernel)
    k = kernel
    return (k ** 3 * in_channels * out_channels) // (k * k * in_channels + k * out_channels)


class Conv2Plus1D(nn.Sequential):
    """A 3x3x3 conv factorised into a 1x3x3 spatial conv, a ReLU, and a 3x1x1 temporal conv.

    With ``mid_channels`` from :func:`conv2plus1d_mid_channels` it has (nearly) the parameters of
    the 3x3x3 conv it replaces and, at stride 1, its multiply-adds too; what it adds is one more
    nonlinearity, and what differs is the measured time of two smaller convs.

    Args:
        in_channels, out_channels: channels in and out.
        mid_channels: the hidden width (default: the parameter-matching width).

    Shape:
        ``(B, C_in, T, H, W) -> (B, C_out, T, H, W)`` (stride 1, "same" padding).

    Reference:
        Tran et al., 2018, "A Closer Look at Spatiotemporal Convolutions for Action Recognition"
        (CVPR, arXiv 1711.11248).
    """

    def __init__(self, in_channels: int, out_channels: int, *,
                 mid_channels: int | None = None) -> None:
        check_positive_int(in_channels=in_channels, out_channels=out_channels)
        if mid_channels is not None:
            check_positive_int(mid_channels=mid_channels)
        mid = mid_channels or conv2plus1d_mid_channels(in_channels, out_channels)
        super().__init__(nn.Conv3d(in_channels, mid, (1, 3, 3), padding=(0, 1, 1), bias=False),
                         nn.ReLU(),
                         nn.Conv3d(mid, out_channels, (3, 1, 1), padding=(1, 0, 0), bias=False))
