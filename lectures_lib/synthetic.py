"""How the mini videos are drawn: random parameters per video, then one vectorised render.

::

    sample_params (numpy, one small rng per video) --> trajectories of x, y, log r, angle
        --> render (torch, a whole batch): waves background, two-tone sprites, occluder, noise

Indistinguishability by construction: an attribute that moves in some class (x, y, size, angle) is,
in every other class, held at a value drawn from that attribute's *per-frame mixture* over the
video, so the distribution of a frame (pooled over time) is the same for every class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MOTION_CLASSES = ("right", "left", "down", "up", "grow", "shrink", "clockwise", "counterclockwise")
ORDER_CLASSES = ("square first", "disk first")
SPLITS = {"train": 0, "val": 1, "test": 2}
# Eight background tints: at appearance_bias 1 the tint (and shape) give the class away.
TINTS = np.array([[.55, .35, .30], [.30, .50, .35], [.30, .38, .58], [.55, .50, .28],
                  [.48, .30, .52], [.28, .50, .52], [.50, .42, .42], [.38, .42, .32]], np.float32)
PALETTE = np.array([[1, .9, .1], [.1, .9, 1], [1, .3, .8], [.2, 1, .3], [1, .55, 0], [.95, .95, .95]],
                   np.float32)
SHAPES = ("disk", "square", "diamond", "triangle")
NOISE_BANK_SIZE = 64   # noise patterns per dataset; each video picks one and a time offset


@dataclass(frozen=True)
class MiniVideoConfig:
    """Knobs of the generator. Sizes are in pixels and frames; speeds per frame.

    Attributes:
        frames, height, width: size of each video.
        task: "motion" (8 verb classes, ``MOTION_CLASSES``) or "order" (which of two objects
            flashes first, ``ORDER_CLASSES``: order and long range matter, single frames are blind).
        appearance_bias: probability that the scene (background tint, shape) reveals the class.
        speed: range of translation speed (px/frame); growth and rotation speeds scale with it.
        jitter: camera shake, std of a per-frame shift (px).
        noise: std of additive pixel noise.
        occlusion: probability that a grey bar hides part of the scene for part of the video.
    """

    frames: int = 16
    height: int = 32
    width: int = 32
    task: str = "motion"
    appearance_bias: float = 0.0
    speed: tuple[float, float] = (0.5, 1.0)
    jitter: float = 0.4
    noise: float = 0.04
    occlusion: float = 0.25

    def __post_init__(self) -> None:
        if self.task not in ("motion", "order"):
            raise ValueError(f"task must be 'motion' or 'order', got {self.task!r}")
        if not 0.0 <= self.appearance_bias <= 1.0:
            raise ValueError(f"appearance_bias must be in [0, 1], got {self.appearance_bias}")
        if self.jitter < 0 or self.noise < 0 or not 0.0 <= self.occlusion <= 1.0:
            raise ValueError(f"jitter and noise must be >= 0 and occlusion in [0, 1], got jitter="
                             f"{self.jitter}, noise={self.noise}, occlusion={self.occlusion}")
        if not 0 < self.speed[0] <= self.speed[1]:
            raise ValueError(f"speed must be a range (low, high) with 0 < low <= high, got {self.speed}")
        if min(self.frames, self.height, self.width) < 8 or \
                (self.frames - 1) * self.speed[1] > min(self.height, self.width) - 6:
            raise ValueError(f"{self.frames} frames at up to {self.speed[1]} px/frame do not fit a "
                             f"{self.height}x{self.width} frame (need (frames-1) x speed <= side - 6, "
                             f"and every size >= 8)")

    @property
    def classes(self) -> tuple[str, ...]:
        return MOTION_CLASSES if self.task == "motion" else ORDER_CLASSES


def _uniform_in(rng: np.random.Generator, centre_span: float, side: float, margin: float = 3.0) -> float:
    """A centre such that ``centre +- centre_span / 2`` stays within ``[margin, side - margin]``."""
    return rng.uniform(margin + centre_span / 2, side - margin - centre_span / 2)


def _motion_params(rng: np.random.Generator, cfg: MiniVideoConfig, label: int) -> dict:
    """One clip's object trajectory for the motion task: only the labelled attribute moves.

    Attributes: x, y (px), log radius and angle, each ``value(tau) = start + rate * tau`` with tau the
    frame time centred on the video's middle. A non-moving attribute is held at its value at a
    random frame of a moving trajectory (the per-frame mixture), so single frames carry no class.
    """
    span = cfg.frames - 1
    speed = rng.uniform(*cfg.speed)
    log_range = (np.log(3.5), np.log(8.0))
    growth = 0.7 * speed / cfg.speed[1] / span                 # log-radius per frame
    spin = 2.4 * np.pi * speed / cfg.speed[1] / span           # radians per frame
    moving = MOTION_CLASSES[label]
    sign = {"right": 1, "left": -1, "down": 1, "up": -1, "grow": 1, "shrink": -1,
            "clockwise": 1, "counterclockwise": -1}[moving]
    rates = {"x": speed, "y": speed, "logr": growth, "angle": spin}
    axis = {"right": "x", "left": "x", "down": "y", "up": "y", "grow": "logr", "shrink": "logr",
            "clockwise": "angle", "counterclockwise": "angle"}[moving]
    centre = {"x": _uniform_in(rng, speed * span, cfg.width), "y": _uniform_in(rng, speed * span, cfg.height),
              "logr": rng.uniform(log_range[0] + growth * span / 2, log_range[1] - growth * span / 2),
              "angle": rng.uniform(0, 2 * np.pi)}
    out = {}
    for name, rate in rates.items():
        if name == axis:
            out[name] = (centre[name], sign * rate)
        else:                                                 # held still, at a mixture value
            out[name] = (centre[name] + rate * (rng.integers(0, cfg.frames) - span / 2), 0.0)
    return {k: np.array([[v[0]]], np.float32) for k, v in out.items()} | \
           {f"d{k}": np.array([[v[1]]], np.float32) for k, v in out.items()} | \
           {"flash": np.full((1, 1), -10, np.int64)}


def _order_params(rng: np.random.Generator, cfg: MiniVideoConfig, label: int) -> dict:
    """Two still objects, a square and a disk, each flashing once; the label is which flashes first."""
    gap = max(4, cfg.frames // 4)
    first = rng.integers(0, cfg.frames - 3 - gap + 1)
    second = rng.integers(first + gap, cfg.frames - 3 + 1)
    square_t, disk_t = (first, second) if label == 0 else (second, first)
    left = rng.random() < 0.5                                  # which side the square is on
    xs = np.array([cfg.width * (0.28 if left else 0.72), cfg.width * (0.72 if left else 0.28)])
    xs += rng.uniform(-2, 2, 2)
    ys = rng.uniform(0.3 * cfg.height, 0.7 * cfg.height, 2)
    zeros = np.zeros((1, 2), np.float32)
    return {"x": xs[None].astype(np.float32), "y": ys[None].astype(np.float32),
            "logr": np.log(rng.uniform(3.0, 4.5, (1, 2))).astype(np.float32),
            "angle": rng.uniform(0, 2 * np.pi, (1, 2)).astype(np.float32),
            "dx": zeros, "dy": zeros, "dlogr": zeros, "dangle": zeros,
            "flash": np.array([[square_t, disk_t]], np.int64)}


def sample_params(cfg: MiniVideoConfig, seed: int, split: str, index: int) -> dict:
    """Every random choice of one video, drawn from its own generator seeded by (seed, split, index)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    rng = np.random.default_rng([seed, SPLITS[split], index])
    num_classes = len(cfg.classes)
    label = index % num_classes                                # balanced by construction
    params = (_motion_params if cfg.task == "motion" else _order_params)(rng, cfg, label)
    biased = rng.random() < cfg.appearance_bias
    objects = params["x"].shape[1]
    shapes = np.array([[1, 0]]) if cfg.task == "order" else \
        np.array([[label % len(SHAPES) if biased else rng.integers(len(SHAPES))]])
    occluded = rng.random() < cfg.occlusion
    start = rng.integers(0, cfg.frames // 2)
    params |= {
        "label": np.array([label]), "shape": shapes,
        "colour": PALETTE[rng.choice(len(PALETTE), objects, replace=False)][None],
        "tint": TINTS[label % len(TINTS) if biased else rng.integers(len(TINTS))][None]
                * rng.uniform(0.85, 1.15),
        "freq": (rng.uniform(1 / 16, 1 / 6, (1, 3, 1)) *
                 np.stack([np.cos(a := rng.uniform(0, np.pi, (1, 3))), np.sin(a)], -1)).astype(np.float32),
        "phase": rng.uniform(0, 2 * np.pi, (1, 3)).astype(np.float32),
        "shake": rng.normal(0, cfg.jitter, (1, cfg.frames, 2)).astype(np.float32),
        "occluder": np.array([[rng.uniform(0, cfg.width - 6), rng.uniform(5, 9) if occluded else 0,
                               start, start + rng.integers(cfg.frames // 3, cfg.frames // 2 + 2)]],
                             np.float32),
        "noise": np.array([[rng.integers(NOISE_BANK_SIZE), rng.integers(cfg.frames)]]),
    }
    return params


_SPRITE = 64        # sprite resolution; the sprite spans [-_EXTENT, _EXTENT] object radii
_EXTENT = 1.5


def _sprites() -> torch.Tensor:
    """Each shape drawn once at high resolution: ``(len(SHAPES), 2, S, S)``, channels shape and dark half.

    Objects are two-tone (one half dark), which makes rotation visible, even for the disk.
    """
    c = (torch.arange(_SPRITE, dtype=torch.float32) + 0.5) / _SPRITE * 2 * _EXTENT - _EXTENT
    v, u = torch.meshgrid(c, c, indexing="ij")
    au, av = u.abs(), v.abs()
    fields = (torch.sqrt(u * u + v * v), 1.2 * torch.maximum(au, av), 0.85 * (au + av),
              1.6 * torch.maximum(0.866 * au + 0.5 * v, -v))      # disk, square, diamond, triangle
    px_per_radius = _SPRITE / (2 * _EXTENT)
    ramp = px_per_radius / 5                                       # edges ramp over 5 sprite pixels,
                                                                   # about 1 frame pixel at radius 5
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
    cos, sin = (torch.cos(a) * s).permute(0, 2, 1), (torch.sin(a) * s).permute(0, 2, 1)  # (B, K, Tc)
    cx, cy = cx.permute(0, 2, 1), cy.permute(0, 2, 1)
    xs = torch.arange(cfg.width, dtype=torch.float32)
    ys = torch.arange(cfg.height, dtype=torch.float32)[:, None]
    gx = (cos * -cx + sin * -cy)[..., None, None] + cos[..., None, None] * xs + sin[..., None, None] * ys
    gy = (sin * cx - cos * cy)[..., None, None] - sin[..., None, None] * xs + cos[..., None, None] * ys
    grid = torch.stack([gx, gy], -1).view(B * K, Tc * cfg.height, cfg.width, 2)  # time folded into height
    sprites = SPRITES[P["shape"].reshape(-1)]                       # (B*K, 2, S, S)
    cover = torch.nn.functional.grid_sample(sprites, grid, align_corners=False)  # (B*K, 2, Tc*H, W)
    return cover.view(B, K, 2, Tc, cfg.height, cfg.width), flashing


def noise_bank(cfg: MiniVideoConfig, seed: int) -> torch.Tensor:
    """Gaussian noise patterns shared by a dataset: ``(NOISE_BANK_SIZE, 3, frames, H*W)``."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(NOISE_BANK_SIZE, 3, cfg.frames, cfg.height * cfg.width, generator=gen)


def render(params: dict, times: np.ndarray, cfg: MiniVideoConfig, bank: torch.Tensor) -> torch.Tensor:
    """Draw a batch of clips at the given frame times.

    Args:
        params: batched parameters (each value ``(B, ...)``), from :func:`sample_params`.
        times: ``(B, Tc)`` integer frame indices into each video.
        bank: ``(N, 3, frames, H*W)`` noise bank, shared by a dataset and indexed per clip.

    Returns:
        ``(B, 3, Tc, H, W)`` float32 clips in [0, 1], quantised to 8-bit levels.
    """
    P = {k: torch.as_tensor(v) for k, v in params.items()}
    t = torch.as_tensor(times)                                        # (B, Tc)
    B, Tc = t.shape
    H, W = cfg.height, cfg.width
    shake = P["shake"].gather(1, t[..., None].expand(B, Tc, 2))       # (B, Tc, 2)
    px = torch.arange(W, dtype=torch.float32) + shake[..., :1]        # (B, Tc, W) scene x of each column
    py = torch.arange(H, dtype=torch.float32) + shake[..., 1:]        # (B, Tc, H)
    wave = _background(P, px, py)                                     # (B, Tc, H, W)
    frame = P["tint"][:, :, None, None, None] * (1 + 0.12 * wave[:, None])  # (B, 3, Tc, H, W)
    cover, flashing = _objects(P, t, cfg, shake)                      # (B, K, 2, Tc, H, W)
    colour = torch.where(flashing[..., None], 1.0, P["colour"][:, None])    # (B, Tc, K, 3)
    dark = torch.tensor(0.1)
    for k in range(cover.shape[1]):
        paint = colour[:, :, k].transpose(1, 2)[..., None, None]      # (B, Tc, 3) -> (B, 3, Tc, 1, 1)
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
