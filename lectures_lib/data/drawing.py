"""Drawing the mini videos: a whole batch of clips at once, from the parameters of
:mod:`.synthetic`.

::

    background: three plane waves (one batched matmul) --> two-tone sprite of each shape, warped
    to its position, size and angle --> a grey occluder for part of the video --> pixel noise from
    a shared bank --> 8-bit levels
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.checks import check_int
from .synthetic import NOISE_BANK_SIZE, MiniVideoConfig, check_config

_SPRITE = 64        # sprite resolution; the sprite spans [-_EXTENT, _EXTENT] object radii
_EXTENT = 1.5


def _sprites() -> torch.Tensor:
    """Each shape drawn once at high resolution: ``(len(SHAPES), 2, S, S)``, channels shape and
    dark half.

    Objects are two-tone (one half dark), which makes rotation visible, even for the disk.
    """
    c = (torch.arange(_SPRITE, dtype=torch.float32) + 0.5) / _SPRITE * 2 * _EXTENT - _EXTENT
    v, u = torch.meshgrid(c, c, indexing="ij")
    au, av = u.abs(), v.abs()
    fields = (torch.sqrt(u * u + v * v), 1.2 * torch.maximum(au, av), 0.85 * (au + av),
              1.6 * torch.maximum(0.866 * au + 0.5 * v, -v))      # disk, square, diamond, triangle
    px_per_radius = _SPRITE / (2 * _EXTENT)
    # edges ramp over 5 sprite pixels, about 1 frame pixel at radius 5
    ramp = px_per_radius / 5
    half = ((u - 0.1) * ramp + 0.5).clamp(0, 1)                    # the dark half, u > 0.1
    shapes = [((1 - f) * ramp + 0.5).clamp(0, 1) for f in fields]
    return torch.stack([torch.stack([m, half * m]) for m in shapes])


SPRITES = _sprites()


def _background(P: dict, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Sum of three plane waves ``cos(2 pi f . p + phase)`` as one batched matmul.

    cos(a + b) = cos a cos b - sin a sin b separates x from y: ``(N, H, 6) @ (N, 6, W)``.
    """
    f, ph = P["freq"][:, None], P["phase"][:, None]                 # (B, 1, 3, 2), (B, 1, 3)
    ax = 2 * torch.pi * f[..., 0, None] * px[:, :, None] + ph[..., None]   # (B, Tc, 3, W)
    by = 2 * torch.pi * f[..., 1, None] * py[:, :, None]                    # (B, Tc, 3, H)
    left = torch.cat([by.cos(), -by.sin()], 2).transpose(2, 3)      # (B, Tc, H, 6)
    right = torch.cat([ax.cos(), ax.sin()], 2)                      # (B, Tc, 6, W)
    return left @ right                                             # (B, Tc, H, W)


def _objects(P: dict, t: torch.Tensor, cfg: MiniVideoConfig,
             shake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Coverage of every object's shape and dark half ``(B, K, 2, Tc, H, W)``, by sampling sprites,
    and which objects are flashing ``(B, Tc, K)``."""
    B, Tc = t.shape
    K = P["x"].shape[1]
    tau = (t.float() - (cfg.frames - 1) / 2)[..., None]            # (B, Tc, 1)
    flashing = (t[..., None] >= P["flash"][:, None]) & (t[..., None] < P["flash"][:, None] + 3)
    cx = P["x"][:, None] + P["dx"][:, None] * tau + shake[..., :1]  # (B, Tc, K), pixel units
    cy = P["y"][:, None] + P["dy"][:, None] * tau + shake[..., 1:]
    r = torch.exp(P["logr"][:, None] + P["dlogr"][:, None] * tau) * (1 + 0.3 * flashing)
    a = P["angle"][:, None] + P["dangle"][:, None] * tau
    # Each output pixel (px, py) samples the sprite at the object-frame coordinates: rotate by -a
    # about the object's centre, divide by r * extent (grid_sample wants [-1, 1] sprite units).
    s = 1 / (r * _EXTENT)
    # cos, sin: (B, K, Tc)
    cos, sin = (torch.cos(a) * s).permute(0, 2, 1), (torch.sin(a) * s).permute(0, 2, 1)
    cx, cy = cx.permute(0, 2, 1), cy.permute(0, 2, 1)
    xs = torch.arange(cfg.width, dtype=torch.float32)
    ys = torch.arange(cfg.height, dtype=torch.float32)[:, None]
    gx = ((cos * -cx + sin * -cy)[..., None, None] + cos[..., None, None] * xs
          + sin[..., None, None] * ys)
    gy = ((sin * cx - cos * cy)[..., None, None] - sin[..., None, None] * xs
          + cos[..., None, None] * ys)
    # time folded into height
    grid = torch.stack([gx, gy], -1).view(B * K, Tc * cfg.height, cfg.width, 2)
    sprites = SPRITES[P["shape"].reshape(-1)]                       # (B*K, 2, S, S)
    cover = torch.nn.functional.grid_sample(sprites, grid, align_corners=False)  # (B*K, 2, Tc*H, W)
    return cover.view(B, K, 2, Tc, cfg.height, cfg.width), flashing


def noise_bank(cfg: MiniVideoConfig, seed: int) -> torch.Tensor:
    """Gaussian noise patterns shared by a dataset: ``(NOISE_BANK_SIZE, 3, frames, H*W)``."""
    check_config(cfg)
    check_int(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(NOISE_BANK_SIZE, 3, cfg.frames, cfg.height * cfg.width, generator=gen)


def _checked_params(params: object, cfg: object) -> dict[str, torch.Tensor]:
    check_config(cfg)
    if not isinstance(params, dict) or "shake" not in params:
        raise ValueError("params must be the dict of batched parameters from sample_params")
    return {k: torch.as_tensor(v) for k, v in params.items()}


def _check_times_and_bank(t: torch.Tensor, videos: int, cfg: MiniVideoConfig,
                          bank: object) -> None:
    if (t.ndim != 2 or t.is_floating_point() or len(t) != videos or 0 in t.shape
            or not 0 <= t.min() <= t.max() < cfg.frames):
        raise ValueError(f"times must be (B, Tc) integer frame indices in [0, {cfg.frames}) for "
                         f"the B = {videos} videos of params, got {t.dtype} {tuple(t.shape)}")
    pixels = cfg.height * cfg.width
    if not isinstance(bank, torch.Tensor) or bank.shape[1:] != (3, cfg.frames, pixels):
        raise ValueError(f"bank must be (N, 3, {cfg.frames}, {pixels}) noise (noise_bank), got "
                         f"{tuple(getattr(bank, 'shape', ()))}")


def render(params: dict, times: np.ndarray, cfg: MiniVideoConfig,
           bank: torch.Tensor) -> torch.Tensor:
    """Draw a batch of clips at the given frame times.

    Args:
        params: batched parameters (each value ``(B, ...)``), from :func:`sample_params`.
        times: ``(B, Tc)`` integer frame indices into each video.
        cfg: the generator's knobs.
        bank: ``(N, 3, frames, H*W)`` noise bank, shared by a dataset and indexed per clip.

    Returns:
        ``(B, 3, Tc, H, W)`` float32 clips in [0, 1], quantised to 8-bit levels.
    """
    P = _checked_params(params, cfg)
    t = torch.as_tensor(times)                                        # (B, Tc)
    _check_times_and_bank(t, len(P["shake"]), cfg, bank)
    B, Tc = t.shape
    H, W = cfg.height, cfg.width
    shake = P["shake"].gather(1, t[..., None].expand(B, Tc, 2))       # (B, Tc, 2)
    # (B, Tc, W) scene x of each column
    px = torch.arange(W, dtype=torch.float32) + shake[..., :1]
    py = torch.arange(H, dtype=torch.float32) + shake[..., 1:]        # (B, Tc, H)
    wave = _background(P, px, py)                                     # (B, Tc, H, W)
    frame = P["tint"][:, :, None, None, None] * (1 + 0.12 * wave[:, None])  # (B, 3, Tc, H, W)
    cover, flashing = _objects(P, t, cfg, shake)                      # (B, K, 2, Tc, H, W)
    colour = torch.where(flashing[..., None], 1.0, P["colour"][:, None])    # (B, Tc, K, 3)
    dark = torch.tensor(0.1)
    for k in range(cover.shape[1]):
        paint = colour[:, :, k].transpose(1, 2)[..., None, None]  # (B, Tc, 3) -> (B, 3, Tc, 1, 1)
        frame.lerp_(paint, cover[:, k, 0, None])
        frame.lerp_(dark, cover[:, k, 1, None])
    ox, ow, t0, t1 = (P["occluder"][:, i, None, None] for i in range(4))    # (B, 1, 1)
    bar = (px >= ox) & (px < ox + ow) & (t[..., None] >= t0) & (t[..., None] < t1)  # (B, Tc, W)
    frame = torch.where(bar[:, None, :, None, :], 0.5, frame)         # a grey bar over all rows
    n = P["noise"]
    noise = bank[n[:, 0, None, None], torch.arange(3)[None, :, None],
                 ((t + n[:, 1, None]) % cfg.frames)[:, None]]         # (B, 3, Tc, H*W)
    frame.add_(noise.view(B, 3, Tc, H, W), alpha=cfg.noise)
    return frame.clamp_(0, 1).mul_(255).round_().div_(255)          # 8-bit levels, like real video
