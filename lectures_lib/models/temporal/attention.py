"""Self-attention over time: every frame's features attend to every other frame's, in one layer.

Why: an RNN needs ``T`` sequential steps to carry information across a clip, and a 1-D conv
stack many layers; one self-attention layer relates any two frames directly and computes all of
them in parallel. The price is the ``T x T`` matrix of attention weights, memory quadratic in
length. And attention alone treats frames as a *set*: order must be added as a position code::

    features (B, T, D) -> Linear -> (+ positions) -> x + Attention(LN(x)) -> x + MLP(LN(x))
        -> max over time -> Linear -> (B, K)

Reference: Vaswani et al., 2017, "Attention Is All You Need" (NeurIPS, arXiv 1706.03762).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ...core.checks import check_choice, check_positive_int
from .sequences import check_sequences


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The sinusoidal position code of Vaswani et al.: ``(T, dim)``, sines in even columns.

    ``P[t, 2i] = sin(t / 10000**(2i/dim))`` and ``P[t, 2i+1] = cos(...)`` (``dim`` even).
    """
    check_positive_int(length=length, dim=dim)
    if dim % 2:
        raise ValueError(f"dim must be even (sine and cosine pairs), got {dim}")
    t = torch.arange(length, dtype=torch.float32)[:, None]                 # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2) / dim)   # (dim/2,)
    angles = t * freq                                                      # (T, dim/2)
    return torch.stack([angles.sin(), angles.cos()], dim=2).flatten(1)     # -> (T, dim)


class AttentionHead(nn.Module):
    """One transformer block of self-attention over the frame features, then a max over time.

    Without positions it is blind to order: attention and the per-step layers treat frames as a
    set, and the max over time is symmetric, so permuting the frames leaves the output unchanged.

    Args:
        features: D.
        num_classes: K.
        positions: None, "sinusoidal" (fixed) or "learned" (one vector per step up to ``max_len``),
            added to the projected features.
        dim: width of the block.
        heads: attention heads (``dim`` must divide by it).
        max_len: the longest sequence with learned positions.

    Shape:
        ``(B, T, D) -> (B, K)`` logits.

    Reference:
        Vaswani et al., 2017, "Attention Is All You Need" (NeurIPS, arXiv 1706.03762).
    """

    def __init__(self, features: int, num_classes: int, *, positions: str | None = None,
                 dim: int = 64, heads: int = 1, max_len: int = 256) -> None:
        super().__init__()
        check_positive_int(features=features, num_classes=num_classes, dim=dim, heads=heads,
                           max_len=max_len)
        check_choice("positions", positions, (None, "sinusoidal", "learned"))
        if dim % (2 * heads):
            raise ValueError(f"dim must be a multiple of 2 * heads, got dim={dim}, heads={heads}")
        self.features, self.positions = features, positions
        self.heads, self.max_len = heads, max_len
        self.embed = nn.Linear(features, dim)
        self.learned = nn.Parameter(0.02 * torch.randn(max_len, dim)) if positions == "learned" \
            else None
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.classifier = nn.Linear(dim, num_classes)

    def attend(self, z: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention (fused ``scaled_dot_product_attention``): ``(B, T, dim)``."""
        check_sequences(z, self.out.in_features)
        B, T, E = z.shape
        q, k, v = self.qkv(z).view(B, T, 3, self.heads, E // self.heads).permute(2, 0, 3, 1, 4)
        # (B, T, 3E) -> 3 x (B, heads, T, E/heads)
        y = nn.functional.scaled_dot_product_attention(q, k, v)     # (B, heads, T, E/heads)
        return self.out(y.transpose(1, 2).reshape(B, T, E))         # -> (B, T, E)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_sequences(x, self.features)
        B, T, D = x.shape
        z = self.embed(x)                                           # (B, T, D) -> (B, T, dim)
        if self.positions == "sinusoidal":
            z = z + sinusoidal_positions(T, z.shape[2]).to(z)
        elif self.positions == "learned":
            if T > self.max_len:
                raise ValueError(f"learned positions cover up to max_len={self.max_len} steps, "
                                 f"got T={T}")
            z = z + self.learned[:T]
        z = z + self.attend(self.norm1(z))
        z = z + self.mlp(self.norm2(z))
        return self.classifier(z.amax(dim=1))                       # (B, T, dim) -> (B, K)
