"""Image pairs with exact ground-truth flow: an analytic texture, moved by a known motion.

A flow method can only be scored against a flow that is known. Here the images are a *function* of
continuous ``(x, y)`` (a sum of plane waves), so the second frame is evaluated exactly at the
inverse-moved coordinates: no interpolation anywhere, and the flow is exact to float precision::

    frame0(x) = T(x)        frame1(q) = T(M^-1(q))        flow(x) = M(x) - x

so that ``frame0(x) == frame1(x + flow(x))`` (the book's convention, OpenCV's) wherever the point
has a correspondence: ``valid`` marks those pixels (not occluded, not leaving the frame).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch

from ..core.checks import check_int, check_number, check_positive
from .ops import inside

_SHORTEST, _LONGEST = 8.0, 40.0      # wavelengths in pixels, drawn log-uniformly between these


@dataclass(frozen=True, eq=False)
class Texture:
    """A band-limited random texture: ``T(x, y) = offset + gain sum_k cos(k_x x + k_y y + phi_k)``.

    Why analytic: a function of continuous coordinates can be sampled anywhere exactly, so a moved
    copy needs no interpolation. Wavelengths lie between 8 and 40 px: shorter ones (closer to the
    2 px Nyquist limit) would make every interpolating method (warping, pyramids) biased.

    Attributes:
        kx, ky: ``(K,)`` angular frequencies in radians per pixel.
        phase: ``(K,)`` phases in radians.
        offset, gain: the affine map that puts the texture approximately into [0.1, 0.9].
    """

    kx: np.ndarray
    ky: np.ndarray
    phase: np.ndarray
    offset: float
    gain: float

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The texture at points ``(x, y)`` (any equal shapes, pixels), in float64."""
        x, y = np.asarray(x, np.float64)[..., None], np.asarray(y, np.float64)[..., None]
        waves = np.cos(x * self.kx + y * self.ky + self.phase)      # (..., K)
        return self.offset + self.gain * waves.sum(-1)


def plane_waves(seed: int, *, size: int | tuple[int, int], waves: int = 24) -> Texture:
    """A :class:`Texture` of ``waves`` plane waves with random wavelengths, orientations, phases.

    Why: a smooth, richly textured image whose every value is known exactly at any point.
    Wavelengths are log-uniform in [8, 40] px. The texture is scaled so that its values on a grid
    a quarter of ``size`` larger than the frame on each side span exactly [0.1, 0.9]; frames
    sampled inside that region are therefore in [0.1, 0.9].

    Args:
        seed: random seed.
        size: side, or ``(H, W)``, of the frame the texture is made for.
        waves: number of plane waves ``K``.
    """
    check_int(0, seed=seed)
    check_int(1, waves=waves)
    rng = np.random.default_rng(seed)
    wavelength = np.exp(rng.uniform(math.log(_SHORTEST), math.log(_LONGEST), waves))
    theta, phase = rng.uniform(0, 2 * math.pi, (2, waves))
    k = 2 * math.pi / wavelength                                     # (K,) radians per pixel
    raw = Texture(k * np.cos(theta), k * np.sin(theta), phase, 0.0, 1.0)
    H, W = _size(size)
    y, x = np.mgrid[-H // 4:H + H // 4, -W // 4:W + W // 4]
    values = raw(x, y)
    gain = 0.8 / (values.max() - values.min())
    return Texture(raw.kx, raw.ky, phase, 0.1 - gain * values.min(), gain)


@dataclass(frozen=True, eq=False)
class FlowPair:
    """Two frames and their exact flow, with the pixels where that flow can be observed.

    Why: a benchmark pair for flow methods, with nothing estimated in its ground truth.

    Attributes:
        name: short label, e.g. ``"shift (0.4, -0.3)"``.
        frame0, frame1: float32 ``(H, W)`` in [0, 1].
        flow: float32 ``(2, H, W)``, channels (u, v): ``frame0(x) = frame1(x + flow(x))``.
        valid: bool ``(H, W)``: pixels with a correspondence (not occluded, not leaving the frame).
        description: one sentence on the motion.
    """

    name: str
    frame0: torch.Tensor
    frame1: torch.Tensor
    flow: torch.Tensor
    valid: torch.Tensor
    description: str

    @property
    def max_motion(self) -> float:
        """The largest ``|flow|`` over valid pixels, in pixels (0 when no pixel is valid)."""
        speed = self.flow.norm(dim=0)[self.valid]                   # (N valid,)
        return float(speed.max()) if speed.numel() else 0.0


def _size(size: int | tuple[int, int]) -> tuple[int, int]:
    shape = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
    if len(shape) != 2 or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 16
                              for n in shape):
        raise ValueError(f"size must be an integer >= 16 or a (H, W) pair of them, got {size!r}")
    return int(shape[0]), int(shape[1])


def _shift(shift: tuple[float, float]) -> tuple[float, float]:
    if not isinstance(shift, (tuple, list)) or len(shift) != 2:
        raise ValueError(f"shift must be a (u, v) pair of numbers in pixels, got {shift!r}")
    check_number(**{"shift[0] (u)": shift[0], "shift[1] (v)": shift[1]})
    return float(shift[0]), float(shift[1])


def _make(name: str, description: str, f0: np.ndarray, f1: np.ndarray, u: np.ndarray,
          v: np.ndarray, valid: np.ndarray | bool = True) -> FlowPair:
    flow = torch.from_numpy(np.stack((u, v)).astype(np.float32))   # (2, H, W)
    seen = inside(flow)[0] & torch.as_tensor(valid)                 # (1, H, W) -> (H, W)
    return FlowPair(name, torch.from_numpy(f0.astype(np.float32)),
                    torch.from_numpy(f1.astype(np.float32)), flow, seen, description)


def _affine(name: str, description: str, matrix: np.ndarray, shift: tuple[float, float],
            size: int | tuple[int, int], seed: int) -> FlowPair:
    """The texture moved by ``p -> matrix (p - c) + c + shift`` about the image centre ``c``."""
    H, W = _size(size)
    texture = plane_waves(seed, size=(H, W))
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)                    # pixel coordinates (H, W)
    cx, cy = (W - 1) / 2, (H - 1) / 2
    (a, b), (c, d) = matrix
    u = a * (x - cx) + b * (y - cy) + cx + shift[0] - x
    v = c * (x - cx) + d * (y - cy) + cy + shift[1] - y
    inv = np.linalg.inv(matrix)
    qx, qy = x - cx - shift[0], y - cy - shift[1]                    # frame1 samples T(M^-1 q)
    f1 = texture(inv[0, 0] * qx + inv[0, 1] * qy + cx, inv[1, 0] * qx + inv[1, 1] * qy + cy)
    return _make(name, description, texture(x, y), f1, u, v)


def translation(shift: tuple[float, float], *, size: int | tuple[int, int] = 112,
                seed: int = 0) -> FlowPair:
    """The whole texture shifted by ``shift = (u, v)`` pixels: a constant flow.

    Why: the simplest motion, and the only one where every method's assumption holds.

    Args:
        shift: ``(u, v)`` in pixels, right and down positive.
        size: frame side, or ``(H, W)``.
        seed: texture seed.
    """
    u, v = _shift(shift)
    what = " (sub-pixel)" if math.hypot(u, v) < 1 else ""
    return _affine(f"shift ({u:g}, {v:g})", f"the whole texture moves by ({u:g}, {v:g}) px{what}",
                   np.eye(2), (u, v), size, seed)


def rotation(degrees: float, *, size: int | tuple[int, int] = 112, seed: int = 0) -> FlowPair:
    """The texture rotated by ``degrees`` about the image centre, counter-clockwise on screen.

    Why: a flow that varies linearly over the image, so a method's window sees several motions.

    Args:
        degrees: rotation angle; positive is counter-clockwise as seen (the y axis points down).
        size: frame side, or ``(H, W)``.
        seed: texture seed.
    """
    check_number(degrees=degrees)
    t = math.radians(degrees)
    matrix = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    return _affine(f"rotation {degrees:g}°", f"the texture turns {degrees:g}° about the centre",
                   matrix, (0.0, 0.0), size, seed)


def zoom(scale: float, *, size: int | tuple[int, int] = 112, seed: int = 0) -> FlowPair:
    """The texture scaled by ``scale`` about the centre ``c``: ``flow(x) = (scale - 1)(x - c)``.

    Why: a divergent flow (a camera moving forward), zero at the centre, largest at the corners.

    Args:
        scale: magnification (> 1 zooms in).
        size: frame side, or ``(H, W)``.
        seed: texture seed.
    """
    check_positive(scale=scale)
    return _affine(f"zoom {scale:g}", f"the texture grows {scale:g} times about the centre",
                   np.eye(2) * scale, (0.0, 0.0), size, seed)


def moving_object(shift: tuple[float, float], *, radius: float | None = None,
                  size: int | tuple[int, int] = 112, seed: int = 0) -> FlowPair:
    """A textured disk moving by ``shift`` over a static textured background.

    Why: motion boundaries and occlusion, where smoothness assumptions break. The disk's edge is
    antialiased over 1 px; the flow is ``shift`` inside the disk in frame0 and 0 elsewhere.
    ``valid`` excludes that edge band and the background the disk covers in frame1 (occluded).

    Args:
        shift: ``(u, v)`` of the disk in pixels.
        radius: disk radius in pixels; None is a quarter of the smaller side.
        size: frame side, or ``(H, W)``.
        seed: seed of the background; the disk's texture has its own seed derived from it.
    """
    u, v = _shift(shift)
    H, W = _size(size)
    radius = min(H, W) / 4 if radius is None else radius
    check_positive(radius=radius)
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)                    # pixel coordinates (H, W)
    cx, cy = (W - 1 - u) / 2, (H - 1 - v) / 2                        # the disk's centre in frame0
    if not (radius + 1 <= min(cx, cx + u, cy, cy + v)
            and max(cx, cx + u) + radius + 1 <= W - 1 and max(cy, cy + v) + radius + 1 <= H - 1):
        raise ValueError(f"a disk of radius {radius:g} moving by ({u:g}, {v:g}) does not fit in a "
                         f"{H} x {W} frame")
    back, disk = plane_waves(seed, size=(H, W)), plane_waves(seed + 1_000_003, size=(H, W))

    def alpha(px: np.ndarray, py: np.ndarray) -> np.ndarray:        # coverage of a pixel, 1 px ramp
        return np.clip(radius + 0.5 - np.hypot(px - cx, py - cy), 0, 1)

    a0, a1 = alpha(x, y), alpha(x - u, y - v)
    f0 = a0 * disk(x - cx, y - cy) + (1 - a0) * back(x, y)
    f1 = a1 * disk(x - u - cx, y - v - cy) + (1 - a1) * back(x, y)
    moving = a0 >= 0.5
    valid = (a0 == 1) | ((a0 == 0) & (a1 == 0))
    return _make(f"moving object ({u:g}, {v:g})",
                 f"a disk of radius {radius:g} px moves ({u:g}, {v:g}) px over a still background",
                 f0, f1, u * moving, v * moving, valid)


def standard_pairs(*, size: int | tuple[int, int] = 112, seed: int = 0) -> list[FlowPair]:
    """The book's benchmark: five shifts from sub-pixel to 9 px, a rotation, a zoom, an object.

    Why one fixed set: every flow method in the book is scored on the same pairs.

    Args:
        size: frame side, or ``(H, W)``.
        seed: texture seed.
    """
    shifts = [(0.4, -0.3), (1.5, -0.75), (2.0, 1.0), (4.0, 2.5), (8.0, -5.0)]
    return [*(translation(s, size=size, seed=seed) for s in shifts),
            rotation(3, size=size, seed=seed), zoom(1.03, size=size, seed=seed),
            moving_object((6, 3), size=size, seed=seed)]
