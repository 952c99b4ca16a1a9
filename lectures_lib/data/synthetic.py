"""How the mini videos are drawn: random parameters per video, then one vectorised render.

::

    sample_params (numpy, one small rng per video) --> trajectories of x, y, log r, angle
        --> drawing.render (torch, a whole batch): waves background, two-tone sprites,
            occluder, noise

Indistinguishability by construction: an attribute that moves in some class (x, y, size, angle) is,
in every other class, held at a value drawn from that attribute's *per-frame mixture* over the
video, so the distribution of a frame (pooled over time) is the same for every class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.checks import check_int, check_number, check_positive_int

MOTION_CLASSES = ("right", "left", "down", "up", "grow", "shrink", "clockwise", "counterclockwise")
ORDER_CLASSES = ("square first", "disk first")
SPLITS = {"train": 0, "val": 1, "test": 2}
# Eight background tints: at appearance_bias 1 the tint (and shape) give the class away.
TINTS = np.array([[.55, .35, .30], [.30, .50, .35], [.30, .38, .58], [.55, .50, .28],
                  [.48, .30, .52], [.28, .50, .52], [.50, .42, .42], [.38, .42, .32]], np.float32)
PALETTE = np.array([[1, .9, .1], [.1, .9, 1], [1, .3, .8], [.2, 1, .3], [1, .55, 0],
                    [.95, .95, .95]], np.float32)
# The order task's objects flash white, so they are drawn without the near-white colour: every
# flash is then a change of colour that a frame shows, not only a change of size.
ORDER_PALETTE = PALETTE[:-1]
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
        check_positive_int(frames=self.frames, height=self.height, width=self.width)
        check_number(appearance_bias=self.appearance_bias, jitter=self.jitter, noise=self.noise,
                     occlusion=self.occlusion)
        if not isinstance(self.speed, (tuple, list)) or len(self.speed) != 2:
            raise ValueError(f"speed must be a range (low, high), got {self.speed!r}")
        check_number(**{f"speed[{i}]": v for i, v in enumerate(self.speed)})
        if self.task not in ("motion", "order"):
            raise ValueError(f"task must be 'motion' or 'order', got {self.task!r}")
        if not 0.0 <= self.appearance_bias <= 1.0:
            raise ValueError(f"appearance_bias must be in [0, 1], got {self.appearance_bias}")
        if self.jitter < 0 or self.noise < 0 or not 0.0 <= self.occlusion <= 1.0:
            raise ValueError(f"jitter and noise must be >= 0 and occlusion in [0, 1], got jitter="
                             f"{self.jitter}, noise={self.noise}, occlusion={self.occlusion}")
        if not 0 < self.speed[0] <= self.speed[1]:
            raise ValueError("speed must be a range (low, high) with 0 < low <= high, "
                             f"got {self.speed}")
        if min(self.frames, self.height, self.width) < 8 or \
                (self.frames - 1) * self.speed[1] > min(self.height, self.width) - 6:
            raise ValueError(f"{self.frames} frames at up to {self.speed[1]} px/frame do not fit a "
                             f"{self.height}x{self.width} frame "
                             f"(need (frames-1) x speed <= side - 6, and every size >= 8)")

    @property
    def classes(self) -> tuple[str, ...]:
        return MOTION_CLASSES if self.task == "motion" else ORDER_CLASSES


def check_config(config: object) -> None:
    """Raise unless ``config`` is a :class:`MiniVideoConfig`."""
    if not isinstance(config, MiniVideoConfig):
        raise TypeError(f"config must be a MiniVideoConfig, got {type(config).__name__}")


def _uniform_in(rng: np.random.Generator, centre_span: float, side: float,
                margin: float = 3.0) -> float:
    """A centre such that ``centre +- centre_span / 2`` stays within ``[margin, side - margin]``."""
    return rng.uniform(margin + centre_span / 2, side - margin - centre_span / 2)


def _motion_params(rng: np.random.Generator, cfg: MiniVideoConfig, label: int) -> dict:
    """One clip's object trajectory for the motion task: only the labelled attribute moves.

    Attributes: x, y (px), log radius and angle, each ``value(tau) = start + rate * tau`` with tau
    the frame time centred on the video's middle. A non-moving attribute is held at its value at a
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
    centre = {"x": _uniform_in(rng, speed * span, cfg.width),
              "y": _uniform_in(rng, speed * span, cfg.height),
              "logr": rng.uniform(log_range[0] + growth * span / 2,
                                  log_range[1] - growth * span / 2),
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
    """Two still objects, a square and a disk, each flashing once; the label is which flashes
    first."""
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
    """Every random choice of one video, drawn from its own generator seeded by
    (seed, split, index)."""
    check_config(cfg)
    check_int(0, seed=seed, index=index)
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
    palette = ORDER_PALETTE if cfg.task == "order" else PALETTE
    params |= {
        "label": np.array([label]), "shape": shapes,
        "colour": palette[rng.choice(len(palette), objects, replace=False)][None],
        "tint": TINTS[label % len(TINTS) if biased else rng.integers(len(TINTS))][None]
                * rng.uniform(0.85, 1.15),
        "freq": (rng.uniform(1 / 16, 1 / 6, (1, 3, 1)) *
                 np.stack([np.cos(a := rng.uniform(0, np.pi, (1, 3))), np.sin(a)],
                          -1)).astype(np.float32),
        "phase": rng.uniform(0, 2 * np.pi, (1, 3)).astype(np.float32),
        "shake": rng.normal(0, cfg.jitter, (1, cfg.frames, 2)).astype(np.float32),
        "occluder": np.array([[rng.uniform(0, cfg.width - 6), rng.uniform(5, 9) if occluded else 0,
                               start, start + rng.integers(cfg.frames // 3, cfg.frames // 2 + 2)]],
                             np.float32),
        "noise": np.array([[rng.integers(NOISE_BANK_SIZE), rng.integers(cfg.frames)]]),
        "biased": np.array([biased]),                          # the scene gives the class away
    }
    return params
