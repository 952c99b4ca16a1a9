"""The non-local block: self-attention over every space-time position of a 3-D CNN's features.

Why it exists: a 3-D conv sees a small neighbourhood, so relating two things far apart in space or
time takes many layers. A non-local block relates every position to every other in one step, and
its residual form lets it be dropped into a trained network without changing what it computes::

    x (B, C, T, H, W) --+-- theta (1x1x1 conv, C -> C') --> queries (B, N, C')     N = T*H*W
                        +-- phi   (1x1x1 conv) [-> max-pool 1x2x2] --> keys (B, C', M)
                        +-- g     (1x1x1 conv) [-> max-pool 1x2x2] --> values (B, M, C')
                        |   attention (B, N, M) = softmax_j(theta_i . phi_j)   (embedded Gaussian)
                        |                      or (theta_i . phi_j) / M        (dot product)
                        |   y = attention @ values --> (B, C', T, H, W)
                        +-- z = x + W_z(y)    W_z: 1x1x1 conv C' -> C [-> BatchNorm], zero at init

Its cost grows with ``N x M``, the affinity matrix: :func:`nonlocal_cost` counts it.

Reference: Wang, Girshick, Gupta and He, 2018, "Non-local Neural Networks" (CVPR, arXiv 1711.07971).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ..core.checks import check_choice, check_int, check_module, check_positive_int, check_shape
from ..core.video import check_clips

FORMS = ("embedded_gaussian", "dot_product")
ZERO_INITS = ("batchnorm", "conv")


class NonLocalBlock(nn.Module):
    """A non-local block: every position's output adds a weighted sum over all positions' values.

    Why the zero init: with ``W_z`` (or its BatchNorm scale) at zero, the block is exactly the
    identity, so it can be inserted into a trained 3-D CNN without changing its predictions.

    Args:
        channels: C, the channels in and out.
        inner_channels: C' of theta, phi and g (None: ``C // 2``, the paper's bottleneck).
        form: "embedded_gaussian" (a softmax over the keys) or "dot_product" (divided by M).
        subsample: max-pool phi and g by 2 in H and W, which divides the keys M by 4.
        zero_init: "batchnorm" (``W_z`` then BatchNorm with its scale at zero, the paper) or
            "conv" (``W_z`` alone, its weights and bias at zero, the lecture).

    Shape:
        ``(B, C, T, H, W) -> (B, C, T, H, W)``; :meth:`attention` gives ``(B, N, M)`` with
        ``N = T*H*W`` and ``M = N`` (or ``T * (H//2) * (W//2)`` with ``subsample``).

    Reference:
        Wang et al., 2018, "Non-local Neural Networks" (CVPR, arXiv 1711.07971), Section 3 and
        Figure 2.
    """

    def __init__(self, channels: int, *, inner_channels: int | None = None,
                 form: str = "embedded_gaussian", subsample: bool = False,
                 zero_init: str = "batchnorm") -> None:
        super().__init__()
        inner = channels // 2 if inner_channels is None else inner_channels
        check_positive_int(channels=channels, inner_channels=inner)
        check_choice("form", form, FORMS)
        check_choice("zero_init", zero_init, ZERO_INITS)
        if not isinstance(subsample, bool):
            raise TypeError(f"subsample must be True or False, got {subsample!r}")
        self.channels, self.inner_channels = channels, inner
        self.form, self.subsample, self.zero_init = form, subsample, zero_init
        self.theta, self.phi, self.g = (nn.Conv3d(channels, inner, 1) for _ in range(3))
        self.pool = nn.MaxPool3d((1, 2, 2)) if subsample else nn.Identity()
        self.out = nn.Conv3d(inner, channels, 1)
        self.norm = nn.BatchNorm3d(channels) if zero_init == "batchnorm" else nn.Identity()
        self.reset_output()

    def reset_output(self) -> None:
        """Zero the last layer (the BatchNorm's scale and shift, or ``W_z``): the identity again."""
        last = self.norm if self.zero_init == "batchnorm" else self.out
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def _queries_keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        check_clips(x, channels=self.channels)
        if self.subsample and min(x.shape[-2:]) < 2:
            raise ValueError(f"subsample needs H, W >= 2, got shape {tuple(x.shape)}")
        q = self.theta(x).flatten(2).transpose(1, 2)              # (B, C', T, H, W) -> (B, N, C')
        k = self.pool(self.phi(x)).flatten(2)                     # (B, C', T, H', W') -> (B, C', M)
        v = self.pool(self.g(x)).flatten(2).transpose(1, 2)       # (B, C', T, H', W') -> (B, M, C')
        return q, k, v

    def _attention(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        affinity = torch.einsum("bnc,bcm->bnm", q, k)              # (B, N, C') x (B, C', M)
        if self.form == "embedded_gaussian":
            return affinity.softmax(dim=-1)
        return affinity / k.shape[-1]

    @torch.no_grad()
    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The attention map for plotting: row ``i`` weighs every key ``j`` for query ``i``.

        Queries and keys are in ``(t, h, w)`` raster order; reshape a row to ``(T, H', W')``. For
        the embedded-Gaussian form every row sums to 1.

        Shape:
            ``(B, C, T, H, W) -> (B, N, M)``.
        """
        q, k, _ = self._queries_keys_values(x)
        return self._attention(q, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._queries_keys_values(x)
        B, C, T, H, W = x.shape
        y = torch.einsum("bnm,bmc->bcn", self._attention(q, k), v)  # (B, N, M) x (B, M, C')
        y = y.reshape(B, self.inner_channels, T, H, W)             # (B, C', N) -> (B, C', T, H, W)
        return x + self.norm(self.out(y))


def with_nonlocal(model: nn.Module, *, after: int, block: NonLocalBlock) -> nn.Module:
    """A copy of a 3-D CNN with ``block`` inserted after layer ``after`` of ``model.features``.

    The model itself is left untouched. With a freshly zero-initialised block the copy computes
    exactly what the model does, which is what makes "insert, then fine-tune" work.

    Args:
        model: a network whose ``features`` is an ``nn.Sequential`` (as
            :class:`lectures_lib.models.fusion.CNN3D`).
        after: index of the layer of ``model.features`` the block follows.
        block: the block; its ``channels`` must match that layer's output channels.
    """
    check_module(model=model, block=block)
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        raise TypeError(f"model must have a `features` nn.Sequential, "
                        f"got {type(features).__name__}")
    check_int(0, after=after)
    if after >= len(features):
        raise ValueError(f"after must index one of the {len(features)} feature layers, got {after}")
    convs = [m for m in features[after].modules() if isinstance(m, nn.Conv3d)]
    if not convs or convs[-1].out_channels != getattr(block, "channels", None):
        got = convs[-1].out_channels if convs else "no Conv3d"
        raise ValueError(f"the block has {getattr(block, 'channels', '?')} channels but layer "
                         f"{after} of the features gives {got}")
    new = copy.deepcopy(model)
    layers = list(new.features)
    new.features = nn.Sequential(*layers[:after + 1], block, *layers[after + 1:])
    return new


@dataclass(frozen=True)
class NonLocalCost:
    """The cost of one non-local block on one clip.

    Attributes:
        queries: N, the positions ``T*H*W``.
        keys: M, the positions left after sub-sampling phi and g.
        conv_macs: multiply-adds of the four ``1x1x1`` convs (theta, phi, g, ``W_z``).
        attention_macs: multiply-adds of the two matrix products (affinity and weighted sum).
        affinity_bytes: the ``N x M`` affinity matrix in float32.
    """

    queries: int
    keys: int
    conv_macs: int
    attention_macs: int
    affinity_bytes: int

    @property
    def macs(self) -> int:
        """All multiply-adds (softmax, pooling, BatchNorm and the residual add are not counted)."""
        return self.conv_macs + self.attention_macs


def nonlocal_cost(channels: int, size: tuple[int, int, int], *, inner_channels: int | None = None,
                  subsample: bool = False) -> NonLocalCost:
    """Multiply-adds and affinity memory of a :class:`NonLocalBlock` on a ``C x T x H x W`` input.

    ``conv_macs = 4 N C C'`` (phi and g run at full size, then are pooled) and
    ``attention_macs = 2 N M C'``; the affinity holds ``N x M`` float32 numbers.

    Args:
        channels: C.
        size: ``(T, H, W)`` of the feature map.
        inner_channels: C' (None: ``C // 2``).
        subsample: whether phi and g are max-pooled by 2 in H and W.
    """
    inner = channels // 2 if inner_channels is None else inner_channels
    check_positive_int(channels=channels, inner_channels=inner)
    check_shape("size", size, rank=3)
    if not isinstance(subsample, bool):
        raise TypeError(f"subsample must be True or False, got {subsample!r}")
    T, H, W = size
    if subsample and min(H, W) < 2:
        raise ValueError(f"subsample needs H, W >= 2 (it halves them), got size {tuple(size)}")
    N = T * H * W
    M = T * (H // 2) * (W // 2) if subsample else N
    return NonLocalCost(queries=N, keys=M, conv_macs=4 * N * channels * inner,
                        attention_macs=2 * N * M * inner, affinity_bytes=4 * N * M)
