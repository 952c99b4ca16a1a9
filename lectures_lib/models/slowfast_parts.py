"""SlowFast's parts: the stage table, the bottleneck block, the lateral connections, the sampling.

Why it exists: :mod:`lectures_lib.models.slowfast` assembles two pathways from one table, and each
part here is small enough to test alone::

    Stage row   res2 x3: Slow [1x1^2, 64; 1x3^2, 64; 1x1^2, 256]   Fast: the same times beta
    Bottleneck  Kt x1x1 -> BN -> ReLU -> 1x3x3 (stride 1,s,s) -> BN -> ReLU -> 1x1x1 -> BN
                + shortcut (identity, or 1x1x1 conv with stride + BN) -> ReLU
    Lateral     Fast (B, bC, aT, H, W) -> (B, C', T, H, W), concatenated to Slow (B, C, T, H, W)
                time_to_channel         C' = a*b*C   the a frames of one Slow step become channels
                time_strided_sampling   C' = b*C     one Fast frame of every a
                time_strided_conv       C' = 2*b*C   5x1x1 conv, stride a in time -> BN -> ReLU
    pack_pathways  clip (B, C, T_raw) -> Fast: every fast_stride-th frame; Slow: every a-th of those

(``a`` is alpha, the frame-rate ratio; ``b`` is beta, the channel ratio.)

Reference: Feichtenhofer, Fan, Malik and He, 2019, "SlowFast Networks for Video Recognition"
(ICCV, arXiv 1812.03982), Table 1 and Section 3.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..core.checks import check_choice, check_positive_int, check_tensor

LATERALS = ("time_to_channel", "time_strided_sampling", "time_strided_conv")


def _check_odd(**values: int) -> None:
    for name, value in values.items():
        if value % 2 == 0:
            raise ValueError(f"{name} must be odd so that padding keeps the size, got {value}")


@dataclass(frozen=True)
class Stem:
    """conv1 and pool1 of both pathways (Table 1's first rows); the defaults are the paper's.

    Attributes:
        channels: Slow conv1 output channels (Fast has ``beta`` times as many).
        slow_time_kernel, fast_time_kernel: conv1's temporal kernel in each pathway (1 and 5).
        kernel: conv1's spatial kernel (7, padded by 3).
        spatial_stride: conv1's spatial stride.
        pool_kernel, pool_stride: pool1, a ``1 x k x k`` max pool (1 and 1: no pool1).
    """

    channels: int = 64
    slow_time_kernel: int = 1
    fast_time_kernel: int = 5
    kernel: int = 7
    spatial_stride: int = 2
    pool_kernel: int = 3
    pool_stride: int = 2

    def __post_init__(self) -> None:
        check_positive_int(**vars(self))
        _check_odd(slow_time_kernel=self.slow_time_kernel, fast_time_kernel=self.fast_time_kernel,
                   kernel=self.kernel)


@dataclass(frozen=True)
class Stage:
    """One residual stage of Table 1, given for the Slow pathway (Fast: widths times ``beta``).

    Attributes:
        name: e.g. ``"res2"``.
        blocks: bottleneck blocks in the stage.
        slow_time_kernel, fast_time_kernel: the first conv's temporal kernel in each pathway.
        width: Slow bottleneck width (the 3x3 conv's channels).
        out: Slow output channels.
        spatial_stride: stride of the first block's ``1x3x3`` conv.
    """

    name: str
    blocks: int
    slow_time_kernel: int
    fast_time_kernel: int
    width: int
    out: int
    spatial_stride: int = 1

    def __post_init__(self) -> None:
        check_positive_int(blocks=self.blocks, slow_time_kernel=self.slow_time_kernel,
                           fast_time_kernel=self.fast_time_kernel, width=self.width, out=self.out,
                           spatial_stride=self.spatial_stride)
        _check_odd(slow_time_kernel=self.slow_time_kernel, fast_time_kernel=self.fast_time_kernel)


R50_STEM = Stem()
# Table 1, ResNet-50: no temporal stride anywhere; Slow uses temporal kernels only in res4, res5.
R50_STAGES = (Stage("res2", 3, 1, 3, 64, 256, 1), Stage("res3", 4, 1, 3, 128, 512, 2),
              Stage("res4", 6, 3, 3, 256, 1024, 2), Stage("res5", 3, 3, 3, 512, 2048, 2))


def scaled(channels: int, beta: float) -> int:
    """Fast channels for ``channels`` Slow channels: ``round(beta * channels)``, at least 1.

    Args:
        channels: the Slow pathway's channels.
        beta: the channel ratio, in ``(0, 1]``.
    """
    n = round(beta * channels)
    if n < 1:
        raise ValueError(f"beta x channels = {beta} x {channels} rounds to {n}: "
                         "the Fast pathway needs at least 1 channel")
    return n


def _conv_bn(c_in: int, c_out: int, kernel: tuple[int, int, int],
             stride: tuple[int, int, int] = (1, 1, 1)) -> list[nn.Module]:
    padding = tuple(k // 2 for k in kernel)
    return [nn.Conv3d(c_in, c_out, kernel, stride, padding, bias=False), nn.BatchNorm3d(c_out)]


class Bottleneck(nn.Module):
    """ResNet's bottleneck with a temporal kernel on its first conv and the stride on the 3x3.

    Args:
        in_channels, width, out_channels: channels in, of the two inner convs, and out.
        time_kernel: Kt of the first ``Kt x 1 x 1`` conv (odd; padded by ``Kt // 2``).
        spatial_stride: stride in H and W of the ``1 x 3 x 3`` conv and of the shortcut.

    Shape:
        ``(B, C_in, T, H, W) -> (B, C_out, T, H / s, W / s)``: time is never downsampled.

    Reference:
        He et al., 2016, "Deep Residual Learning for Image Recognition" (CVPR); its 3-D form in
        Feichtenhofer et al., 2019, "SlowFast Networks for Video Recognition" (arXiv 1812.03982),
        Table 1.
    """

    def __init__(self, in_channels: int, width: int, out_channels: int, *, time_kernel: int = 1,
                 spatial_stride: int = 1) -> None:
        super().__init__()
        check_positive_int(in_channels=in_channels, width=width, out_channels=out_channels,
                           time_kernel=time_kernel, spatial_stride=spatial_stride)
        _check_odd(time_kernel=time_kernel)
        s = (1, spatial_stride, spatial_stride)
        self.branch = nn.Sequential(*_conv_bn(in_channels, width, (time_kernel, 1, 1)), nn.ReLU(),
                                    *_conv_bn(width, width, (1, 3, 3), s), nn.ReLU(),
                                    *_conv_bn(width, out_channels, (1, 1, 1)))
        change = in_channels != out_channels or spatial_stride != 1
        self.shortcut = (nn.Sequential(*_conv_bn(in_channels, out_channels, (1, 1, 1), s))
                         if change else nn.Identity())
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.branch(x) + self.shortcut(x))     # (B, C_out, T, H/s, W/s)


def res_stage(stage: Stage, in_channels: int, *, pathway: str, beta: float = 1.0) -> nn.Sequential:
    """The ``stage.blocks`` bottlenecks of one stage in one pathway.

    Args:
        stage: the table row.
        in_channels: channels entering the stage (Slow: with the lateral's channels added).
        pathway: "slow" (the row's widths) or "fast" (widths times ``beta``, its time kernel).
        beta: the Fast pathway's channel ratio.
    """
    check_choice("pathway", pathway, ("slow", "fast"))
    fast = pathway == "fast"
    width, out = (scaled(stage.width, beta), scaled(stage.out, beta)) if fast else (stage.width,
                                                                                   stage.out)
    kt = stage.fast_time_kernel if fast else stage.slow_time_kernel
    return nn.Sequential(*(Bottleneck(in_channels if i == 0 else out, width, out, time_kernel=kt,
                                      spatial_stride=stage.spatial_stride if i == 0 else 1)
                           for i in range(stage.blocks)))


def lateral_channels(design: str, fast_channels: int, alpha: int) -> int:
    """Channels a lateral adds to the Slow pathway: ``alpha * bC``, ``bC`` or ``2 * bC``.

    Args:
        design: one of :data:`LATERALS`.
        fast_channels: bC, the Fast pathway's channels at that point.
        alpha: the frame-rate ratio.
    """
    check_choice("design", design, LATERALS)
    return {"time_to_channel": alpha, "time_strided_sampling": 1,
            "time_strided_conv": 2}[design] * fast_channels


class Lateral(nn.Module):
    """A lateral connection: Fast features resampled to the Slow frame rate, to be concatenated.

    Args:
        design: "time_to_channel" (pack each group of ``alpha`` frames into channels: output
            channel ``c * alpha + k`` at Slow step ``t`` is Fast channel ``c`` at frame
            ``alpha * t + k``), "time_strided_sampling" (Fast frames ``0, alpha, 2 alpha, ...``)
            or "time_strided_conv" (5x1x1 conv, stride ``alpha``, ``2 bC`` channels -> BN -> ReLU,
            the paper's default, as PySlowFast's ``FuseFastToSlow``).
        fast_channels: bC, the Fast pathway's channels.
        alpha: the frame-rate ratio.

    Shape:
        ``(B, bC, alpha T, H, W) -> (B, C', T, H, W)`` with ``C'`` from :func:`lateral_channels`.

    Reference:
        Feichtenhofer et al., 2019, "SlowFast Networks for Video Recognition" (arXiv 1812.03982),
        Section 3.4 and Table 5b.
    """

    def __init__(self, design: str, fast_channels: int, alpha: int) -> None:
        super().__init__()
        check_positive_int(fast_channels=fast_channels, alpha=alpha)
        self.design, self.alpha = design, alpha
        self.out_channels = lateral_channels(design, fast_channels, alpha)
        self.conv = (nn.Sequential(
            nn.Conv3d(fast_channels, self.out_channels, (5, 1, 1), (alpha, 1, 1), (2, 0, 0),
                      bias=False), nn.BatchNorm3d(self.out_channels), nn.ReLU())
            if design == "time_strided_conv" else None)

    def forward(self, fast: torch.Tensor) -> torch.Tensor:
        B, C, T, H, W = fast.shape
        if T % self.alpha:
            raise ValueError(f"the Fast pathway's T={T} frames are not divisible by "
                             f"alpha={self.alpha}")
        if self.design == "time_to_channel":
            x = fast.reshape(B, C, T // self.alpha, self.alpha, H, W)  # (B, bC, T/a, a, H, W)
            return x.transpose(2, 3).reshape(B, C * self.alpha, T // self.alpha, H, W)
        if self.design == "time_strided_sampling":
            return fast[:, :, ::self.alpha]                            # (B, bC, T/a, H, W)
        return self.conv(fast)                                         # (B, 2bC, T/a, H, W)


def pack_pathways(clip: torch.Tensor, alpha: int, *,
                  fast_stride: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The two pathways' inputs from one clip: Fast every ``fast_stride``-th frame, Slow every
    ``alpha``-th frame of Fast's.

    Both start at frame 0: Fast has raw frames ``0, s, 2s, ...`` and Slow ``0, a s, 2 a s, ...``
    (Slow's stride is tau = alpha x fast_stride). PySlowFast picks Slow's frames with
    ``linspace(0, T - 1, T // alpha)`` instead, which also takes the last frame but is not evenly
    spaced; evenly spaced frames keep Slow step ``t`` aligned with Fast frames
    ``alpha t ... alpha t + alpha - 1``, which is what the laterals assume.

    Args:
        clip: ``(B, C, T, H, W)`` with ``T`` divisible by ``alpha x fast_stride``.
        alpha: the frame-rate ratio (Fast frames per Slow frame).
        fast_stride: the Fast pathway's temporal stride on the raw clip.

    Shape:
        ``(B, C, T, H, W) -> (B, C, T / (alpha s), H, W), (B, C, T / s, H, W)``.
    """
    check_tensor(clip=clip)
    check_positive_int(alpha=alpha, fast_stride=fast_stride)
    if clip.ndim != 5:
        raise ValueError(f"expected a clip (B, C, T, H, W), got shape {tuple(clip.shape)}")
    T = clip.shape[2]
    if T % (alpha * fast_stride):
        raise ValueError(f"the clip's T={T} frames must be divisible by alpha x fast_stride = "
                         f"{alpha} x {fast_stride} = {alpha * fast_stride}, so that the Fast "
                         f"pathway's frames divide into groups of alpha")
    fast = clip[:, :, ::fast_stride]                                   # (B, C, T/s, H, W)
    return fast[:, :, ::alpha], fast                                   # (B, C, T/(a s), H, W)
