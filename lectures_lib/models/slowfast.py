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
paper's Table 1; :meth:`SlowFast.stage_outputs` regenerates it). The stage table, the block and the
three lateral designs are in :mod:`lectures_lib.models.slowfast_parts`.

Reference: Feichtenhofer, Fan, Malik and He, 2019, "SlowFast Networks for Video Recognition"
(ICCV, arXiv 1812.03982).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..core.checks import (
    check_choice,
    check_fraction,
    check_module,
    check_positive_int,
    check_shape,
    model_input,
)
from ..core.video import check_clips
from .slowfast_parts import (
    LATERALS,
    R50_STAGES,
    R50_STEM,
    Lateral,
    Stage,
    Stem,
    pack_pathways,
    res_stage,
    scaled,
)

PATHWAYS = (("slow", "fast"), ("slow",), ("fast",))


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
        alpha: frame-rate ratio, Fast frames per Slow frame (8).
        beta: channel ratio, Fast channels per Slow channel, in ``(0, 1]`` (1/8).
        fast_stride: the Fast pathway's temporal stride on the raw clip (2; Slow's is
            ``alpha x fast_stride`` = 16).
        lateral: one of :data:`LATERALS` ("time_strided_conv", the paper's default) or None;
            ignored with one pathway.
        pathways: ``("slow", "fast")``, ``("slow",)`` (Slow-only) or ``("fast",)`` (Fast-only).
        in_channels: C of the clip.
        dropout: dropout before the fc (the paper trains with 0.5).

    Shape:
        ``(B, C, T, H, W) -> (B, num_classes)`` with ``T`` divisible by ``alpha x fast_stride``.

    Reference:
        Feichtenhofer et al., 2019, "SlowFast Networks for Video Recognition" (ICCV,
        arXiv 1812.03982), Table 1.
    """

    def __init__(self, num_classes: int, *, stages: tuple[Stage, ...] = R50_STAGES,
                 stem: Stem = R50_STEM, alpha: int = 8, beta: float = 1 / 8, fast_stride: int = 2,
                 lateral: str | None = "time_strided_conv",
                 pathways: tuple[str, ...] = ("slow", "fast"), in_channels: int = 3,
                 dropout: float = 0.0) -> None:
        super().__init__()
        check_positive_int(num_classes=num_classes, alpha=alpha, fast_stride=fast_stride,
                           in_channels=in_channels)
        pathways = tuple(pathways) if isinstance(pathways, (tuple, list)) else pathways
        check_choice("pathways", pathways, PATHWAYS)
        check_choice("lateral", lateral, (*LATERALS, None))
        check_fraction(beta=beta, dropout=dropout)           # beta = 0: no Fast channels
        if not isinstance(stem, Stem):
            raise TypeError(f"stem must be a Stem, got {type(stem).__name__}")
        if (not isinstance(stages, (tuple, list)) or not stages
                or not all(isinstance(s, Stage) for s in stages)):
            raise ValueError(f"stages must be a non-empty tuple of Stage rows, got {stages!r:.80}")
        names = ("conv1", "pool1", *(s.name for s in stages))
        if len(set(names)) != len(names) or "data" in names:
            raise ValueError(f"stage names must be unique and not data, conv1 or pool1, "
                             f"got {names[2:]}")
        self.alpha, self.beta, self.fast_stride = alpha, beta, fast_stride
        self.in_channels, self.pathways, self.layer_names = in_channels, pathways, names
        self.lateral = lateral if len(pathways) == 2 else None
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

    The model is copied to the ``meta`` device; multiply-adds are ``FlopCounterMode`` FLOPs / 2,
    convolutions and matrix products only, as :func:`lectures_lib.costs.calculators.count_macs`.
    The paper's "GFLOPs" are these multiply-adds at a 256 x 256 view: ``slowfast_r50()`` on
    ``(3, 64, 256, 256)`` gives 36.10 G (Table 2: 36.1) and Slow-only 27.26 G (Table 5a: 27.3);
    at 224 x 224, 27.64 G. Fast-only gives 6.90 G, where Table 5a says 6.4.

    Args:
        model: the network.
        input_shape: one clip's shape without the batch axis, e.g. ``(3, 64, 224, 224)``.
    """
    check_module(model=model)
    check_shape("input_shape", input_shape)
    meta = copy.deepcopy(model).to("meta").eval()
    with (torch.no_grad(), FlopCounterMode(display=False) as counter,
          model_input((1, *input_shape))):
        meta(torch.zeros((1, *input_shape), device="meta"))
    flops, root = counter.get_flop_counts(), type(meta).__name__
    return {name: (sum(p.numel() for p in child.parameters()),
                   sum(flops.get(f"{root}.{name}", {}).values()) // 2)
            for name, child in meta.named_children()}


def slowfast_r50(num_classes: int = 400, **overrides: object) -> SlowFast:
    """The paper's SlowFast 4x16, ResNet-50 (tau = 16, alpha = 8, beta = 1/8, time-strided conv
    laterals, dropout 0.5), for ``num_classes`` (Kinetics-400); ``overrides`` go to
    :class:`SlowFast`."""
    return SlowFast(num_classes, **{"dropout": 0.5, **overrides})


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
    return SlowFast(num_classes, stages=stages, stem=stem, alpha=alpha, beta=beta, fast_stride=1,
                    lateral=lateral, pathways=pathways, dropout=dropout)
