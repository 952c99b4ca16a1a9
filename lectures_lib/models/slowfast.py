"""SlowFast networks: a slow, wide pathway for appearance and a fast, thin one for motion.

Why it exists: what is in a video changes slowly, how it moves changes fast. SlowFast gives each a
pathway: Slow sees few frames with many channels, Fast ``alpha`` times more frames with ``beta``
times the channels (a fifth of the cost). Laterals after pool1, res2, res3 and res4 pass Fast's
features to Slow, concatenated::

    clip (B, 3, 64, 224, 224) -- every 2nd frame --> Fast (B, 3, 32, 224, 224)   alpha = 8
                              -- every 16th frame -> Slow (B, 3, 4, 224, 224)    beta = 1/8

    Slow: conv1 1x7^2, 64 -> pool1 -+-> res2 -+-> res3 -+-> res4 -+-> res5 -> avg pool -+
                                    |  cat    |  cat    |  cat    |  cat                |-> cat
                                 lateral   lateral   lateral   lateral                  |  -> fc
    Fast: conv1 5x7^2, 8  -> pool1 -+-> res2 -+-> res3 -+-> res4 -+-> res5 -> avg pool -+

No layer strides in time, so Slow keeps 4 frames and Fast 32 up to the final average pool (the
paper's Table 1; :meth:`SlowFast.stage_outputs` regenerates it). The parts, each small enough to
test alone, come first in this module::

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
(ICCV, arXiv 1812.03982).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..core.checks import (
    check_choice,
    check_fraction,
    check_positive_int,
    check_tensor,
)
from ..core.video import check_clips
from ..costs.calculators import child_costs

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
    check_positive_int(channels=channels)
    check_fraction(beta=beta)
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
        check_clips(x, channels=self.branch[0].in_channels)
        return self.relu(self.branch(x) + self.shortcut(x))     # (B, C_out, T, H/s, W/s)


def res_stage(stage: Stage, in_channels: int, *, pathway: str, beta: float = 1.0) -> nn.Sequential:
    """The ``stage.blocks`` bottlenecks of one stage in one pathway.

    Args:
        stage: the table row.
        in_channels: channels entering the stage (Slow: with the lateral's channels added).
        pathway: "slow" (the row's widths) or "fast" (widths times ``beta``, its time kernel).
        beta: the Fast pathway's channel ratio.
    """
    if not isinstance(stage, Stage):
        raise TypeError(f"stage must be a Stage row, got {type(stage).__name__}")
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
    check_positive_int(fast_channels=fast_channels, alpha=alpha)
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
        self.design, self.alpha, self.fast_channels = design, alpha, fast_channels
        self.out_channels = lateral_channels(design, fast_channels, alpha)
        self.conv = (nn.Sequential(
            nn.Conv3d(fast_channels, self.out_channels, (5, 1, 1), (alpha, 1, 1), (2, 0, 0),
                      bias=False), nn.BatchNorm3d(self.out_channels), nn.ReLU())
            if design == "time_strided_conv" else None)

    def forward(self, fast: torch.Tensor) -> torch.Tensor:
        check_clips(fast, channels=self.fast_channels)
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


PATHWAYS = (("slow", "fast"), ("slow",), ("fast",))


@dataclass(frozen=True)
class PathwayDesign:
    """How the two pathways differ and how they meet; the defaults are SlowFast 4x16's.

    Attributes:
        alpha: frame-rate ratio, Fast frames per Slow frame (8).
        beta: channel ratio, Fast channels per Slow channel, in ``(0, 1]`` (1/8).
        fast_stride: the Fast pathway's temporal stride on the raw clip (2; Slow's is
            ``alpha x fast_stride`` = 16).
        lateral: one of :data:`LATERALS` ("time_strided_conv", the paper's default) or None;
            ignored with one pathway.
        pathways: ``("slow", "fast")``, ``("slow",)`` (Slow-only) or ``("fast",)`` (Fast-only).
    """

    alpha: int = 8
    beta: float = 1 / 8
    fast_stride: int = 2
    lateral: str | None = "time_strided_conv"
    pathways: tuple[str, ...] = ("slow", "fast")

    def __post_init__(self) -> None:
        check_positive_int(alpha=self.alpha, fast_stride=self.fast_stride)
        pathways = (tuple(self.pathways) if isinstance(self.pathways, (tuple, list))
                    else self.pathways)
        check_choice("pathways", pathways, PATHWAYS)
        object.__setattr__(self, "pathways", pathways)
        check_choice("lateral", self.lateral, (*LATERALS, None))
        check_fraction(beta=self.beta)                       # beta = 0: no Fast channels


class _Pathway(nn.ModuleDict):
    """One pathway's layers by name (conv1, pool1, res2, ...); called with a name, runs that one."""

    def forward(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return self[name](x)


class _Laterals(nn.ModuleDict):
    """The laterals by the layer they follow; called, they concatenate Fast's features to Slow's."""

    def forward(self, slow: torch.Tensor, fast: torch.Tensor, name: str) -> torch.Tensor:
        return torch.cat([slow, self[name](fast)], dim=1)        # (B, C + C', T, H, W)


class _Head(nn.Module):
    """Global average pool per pathway, concatenate, dropout, fc."""

    def __init__(self, features: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.dropout, self.fc = nn.Dropout(dropout), nn.Linear(features, num_classes)

    def forward(self, *features: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=(2, 3, 4)) for x in features], dim=1)  # (B, sum C)
        return self.fc(self.dropout(pooled))


def _stem(stem: Stem, in_channels: int, channels: int, time_kernel: int) -> dict[str, nn.Module]:
    k, s, pk = stem.kernel, stem.spatial_stride, stem.pool_kernel
    conv = nn.Conv3d(in_channels, channels, (time_kernel, k, k), (1, s, s),
                     (time_kernel // 2, k // 2, k // 2), bias=False)
    pool = (nn.MaxPool3d((1, pk, pk), (1, stem.pool_stride, stem.pool_stride),
                         (0, (pk - 1) // 2, (pk - 1) // 2))
            if pk > 1 or stem.pool_stride > 1 else nn.Identity())
    return {"conv1": nn.Sequential(conv, nn.BatchNorm3d(channels), nn.ReLU()), "pool1": pool}


class SlowFast(nn.Module):
    """SlowFast (or one of its pathways alone) from a stage table; the defaults are SlowFast 4x16,
    ResNet-50.

    The model takes one raw clip and samples both pathways itself (:func:`pack_pathways`): Fast
    gets ``T / fast_stride`` frames, Slow ``T / (alpha x fast_stride)``. Its children ``slow``,
    ``fast``, ``laterals`` and ``head`` split the cost (:func:`pathway_costs`); an absent one is
    None.

    Args:
        num_classes: outputs of the final fc.
        stages: the residual stages (:data:`R50_STAGES`: res2 to res5 of ResNet-50).
        stem: conv1 and pool1 (:data:`R50_STEM`).
        design: the pathways' ratios, strides and laterals (:class:`PathwayDesign`).
        in_channels: C of the clip.
        dropout: dropout before the fc (the paper trains with 0.5).

    Shape:
        ``(B, C, T, H, W) -> (B, num_classes)`` with ``T`` divisible by ``alpha x fast_stride``.

    Reference:
        Feichtenhofer et al., 2019, "SlowFast Networks for Video Recognition" (ICCV,
        arXiv 1812.03982), Table 1.
    """

    def __init__(self, num_classes: int, *, stages: tuple[Stage, ...] = R50_STAGES,
                 stem: Stem = R50_STEM, design: PathwayDesign = PathwayDesign(),
                 in_channels: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, in_channels=in_channels)
        check_fraction(dropout=dropout)
        if not isinstance(design, PathwayDesign):
            raise TypeError(f"design must be a PathwayDesign, got {type(design).__name__}")
        if not isinstance(stem, Stem):
            raise TypeError(f"stem must be a Stem, got {type(stem).__name__}")
        if (not isinstance(stages, (tuple, list)) or not stages
                or not all(isinstance(s, Stage) for s in stages)):
            raise ValueError(f"stages must be a non-empty tuple of Stage rows, got {stages!r:.80}")
        names = ("conv1", "pool1", *(s.name for s in stages))
        if len(set(names)) != len(names) or "data" in names:
            raise ValueError(f"stage names must be unique and not data, conv1 or pool1, "
                             f"got {names[2:]}")
        self.design = design
        alpha, beta, pathways = design.alpha, design.beta, design.pathways
        self.alpha, self.beta, self.fast_stride = alpha, beta, design.fast_stride
        self.in_channels, self.pathways, self.layer_names = in_channels, pathways, names
        self.lateral = design.lateral if len(pathways) == 2 else None
        kernels = {"slow": stem.slow_time_kernel, "fast": stem.fast_time_kernel}
        channels = {"slow": stem.channels, "fast": scaled(stem.channels, beta)}
        layers = {p: _stem(stem, in_channels, channels[p], kernels[p]) for p in pathways}
        laterals: dict[str, nn.Module] = {}
        for before, stage in zip(names[1:], stages):
            extra = 0
            if self.lateral is not None:
                laterals[before] = Lateral(self.lateral, channels["fast"], alpha)
                extra = laterals[before].out_channels
            for p in pathways:
                c_in = channels[p] + (extra if p == "slow" else 0)
                layers[p][stage.name] = res_stage(stage, c_in, pathway=p, beta=beta)
            channels = {"slow": stage.out, "fast": scaled(stage.out, beta)}
        self.slow = _Pathway(layers["slow"]) if "slow" in layers else None
        self.fast = _Pathway(layers["fast"]) if "fast" in layers else None
        self.laterals = _Laterals(laterals) if laterals else None
        self.head = _Head(sum(channels[p] for p in pathways), num_classes, dropout)

    def forward_features(self, clip: torch.Tensor) -> dict[str, tuple[torch.Tensor | None, ...]]:
        """``{name: (slow, fast)}``: each pathway's output after data, conv1, pool1 and every stage,
        before any lateral; None for an absent pathway."""
        check_clips(clip, channels=self.in_channels)
        slow, fast = pack_pathways(clip, self.alpha, fast_stride=self.fast_stride)
        slow = slow if self.slow is not None else None           # (B, C, T/(a s), H, W)
        fast = fast if self.fast is not None else None           # (B, C, T/s, H, W)
        outputs = {"data": (slow, fast)}
        for name in self.layer_names:
            slow = None if slow is None else self.slow(slow, name)
            fast = None if fast is None else self.fast(fast, name)
            outputs[name] = (slow, fast)
            if self.laterals is not None and name in self.laterals:
                slow = self.laterals(slow, fast, name)           # (B, C + C', T, H, W)
        return outputs

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        last = self.forward_features(clip)[self.layer_names[-1]]
        return self.head(*(x for x in last if x is not None))   # (B, num_classes)

    @torch.no_grad()
    def stage_outputs(self, clip: torch.Tensor) -> list[tuple[str, tuple | None, tuple | None]]:
        """Table 1's output sizes: ``(name, slow (C, T, H, W) or None, fast ... or None)`` for data,
        conv1, pool1 and each stage. Works on the meta device (no memory, no compute)."""
        return [(name, *(None if x is None else tuple(x.shape[1:]) for x in pair))
                for name, pair in self.forward_features(clip).items()]


def pathway_costs(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, tuple[int, int]]:
    """Parameters and multiply-adds per top-level child of ``model`` for one clip
    (a :class:`SlowFast`: ``slow``, ``fast``, ``laterals``, ``head``).

    Counted by :func:`lectures_lib.costs.calculators.child_costs` (on the ``meta`` device, with
    the book's one multiply-add rule, as everywhere).
    The paper's "GFLOPs" are these multiply-adds at a 256 x 256 view: ``slowfast_r50()`` on
    ``(3, 64, 256, 256)`` gives 36.10 G (Table 2: 36.1) and Slow-only 27.26 G (Table 5a: 27.3);
    at 224 x 224, 27.64 G. Fast-only gives 6.90 G, where Table 5a says 6.4.

    Args:
        model: the network.
        input_shape: one clip's shape without the batch axis, e.g. ``(3, 64, 224, 224)``.
    """
    return child_costs(model, input_shape)


def slowfast_r50(num_classes: int = 400, **overrides: object) -> SlowFast:
    """The paper's SlowFast 4x16, ResNet-50 (tau = 16, alpha = 8, beta = 1/8, time-strided conv
    laterals, dropout 0.5), for ``num_classes`` (Kinetics-400); ``overrides`` are
    :class:`PathwayDesign`'s fields (``alpha=4``, ``lateral=None``, ...) or :class:`SlowFast`'s
    other arguments."""
    fields = set(PathwayDesign.__dataclass_fields__)
    design = PathwayDesign(**{k: v for k, v in overrides.items() if k in fields})
    rest = {k: v for k, v in overrides.items() if k not in fields}
    return SlowFast(num_classes, **{"dropout": 0.5, "design": design, **rest})


def slow_only_r50(num_classes: int = 400, **overrides: object) -> SlowFast:
    """Slow-only 4x16, ResNet-50: the Slow pathway alone, 4 frames at stride 16 of 64."""
    return slowfast_r50(num_classes, **{"pathways": ("slow",), **overrides})


def fast_only_r50(num_classes: int = 400, **overrides: object) -> SlowFast:
    """Fast-only, ResNet-50 widths times 1/8: the Fast pathway alone, 32 frames at stride 2."""
    return slowfast_r50(num_classes, **{"pathways": ("fast",), **overrides})


def slowfast_tiny(num_classes: int = 8, *, alpha: int = 4, beta: float = 1 / 4,
                  lateral: str | None = "time_strided_conv",
                  pathways: tuple[str, ...] = ("slow", "fast"), width: int = 16,
                  dropout: float = 0.0) -> SlowFast:
    """A SlowFast for the mini ``(B, 3, 16, 32, 32)`` clips: Fast sees 16 frames, Slow 16 / alpha;
    a 3x3 stem, spatial stride 2, no pool1; three one-block stages (Slow widths ``w, 2w, 4w``,
    outputs ``2w, 4w, 8w``, spatial strides 1, 2, 2; time kernels Slow 1, 3, 3, Fast 3, 3, 3).

    Args:
        num_classes: outputs of the fc.
        alpha: frame-rate ratio (2, 4 or 8 divide 16 frames).
        beta: channel ratio (1/2, 1/4 or 1/8 with ``width`` a multiple of 8).
        lateral: one of :data:`LATERALS`, or None.
        pathways: ``("slow", "fast")``, ``("slow",)`` or ``("fast",)``.
        width: the stem's and res2's Slow channels.
        dropout: dropout before the fc.
    """
    check_positive_int(width=width)
    w = width
    stages = (Stage("res2", 1, 1, 3, w, 2 * w, 1), Stage("res3", 1, 3, 3, 2 * w, 4 * w, 2),
              Stage("res4", 1, 3, 3, 4 * w, 8 * w, 2))
    stem = Stem(channels=w, slow_time_kernel=1, fast_time_kernel=3, kernel=3, spatial_stride=2,
                pool_kernel=1, pool_stride=1)
    design = PathwayDesign(alpha=alpha, beta=beta, fast_stride=1, lateral=lateral,
                           pathways=pathways)
    return SlowFast(num_classes, stages=stages, stem=stem, design=design, dropout=dropout)
