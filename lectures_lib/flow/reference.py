"""OpenCV's dense flows as references for the book's own, and the Middlebury ``.flo`` file format.

Our Lucas–Kanade and Horn–Schunck (:mod:`lectures_lib.flow`) are checked against two methods that
people use in practice, with the same input contract and the same sign convention::

    farneback   fit a quadratic polynomial to every neighbourhood, and read the shift off how the
                polynomial moved (Farneback, 2003, SCIA).
    dis         Dense Inverse Search: match patches on a coarse-to-fine grid with the inverse
                compositional Lucas–Kanade, then blend and refine variationally (Kroeger et al.,
                2016, ECCV).

``.flo`` is the Middlebury benchmark's file format, which most flow data sets still use (Sintel,
FlyingChairs); :func:`write_flo` and :func:`read_flo` write it with numpy by hand, byte by byte.

OpenCV is an optional dependency of ``lectures_lib`` (see :mod:`lectures_lib.data.video_io`): the
two flows import it when called and, where it is missing, raise an ``ImportError`` that says what to
install (``pip install opencv-python-headless``). The ``.flo`` functions need only numpy.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..core.checks import check_choice, check_positive, check_positive_int
from ..core.video import to_uint8
from ..data.video_io import opencv
from .ops import Frame, check_flow, gray_pair

_PRESETS = {"ultrafast": "DISOPTICAL_FLOW_PRESET_ULTRAFAST",     # names in cv2, read on use
            "fast": "DISOPTICAL_FLOW_PRESET_FAST",
            "medium": "DISOPTICAL_FLOW_PRESET_MEDIUM"}
_MAGIC = 202021.25          # "PIEH" read as a little-endian float32: the .flo signature


def _to_uint8(gray: torch.Tensor) -> np.ndarray:
    """``(B, 1, H, W)`` gray in [0, 1] -> ``(B, H, W)`` uint8, as OpenCV's flows take them."""
    return to_uint8(gray[:, 0]).cpu().numpy()


def _per_pair(frame0: Frame, frame1: Frame, solve: Callable, *, name: str,
              min_side: int = 1) -> torch.Tensor:
    """Run ``solve(prev, next) -> (H, W, 2)`` on each uint8 gray pair; stack as torch flow."""
    g0, g1, batched = gray_pair(frame0, frame1)
    if min(g0.shape[-2:]) < min_side:
        raise ValueError(f"{name} needs frames at least {min_side} x {min_side} pixels, got "
                         f"{tuple(g0.shape[-2:])}")
    flows = [solve(a, b) for a, b in zip(_to_uint8(g0), _to_uint8(g1))]  # B x (H, W, 2)
    flow = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)    # (B, H, W, 2) -> (B, 2, H, W)
    flow = flow.contiguous().float().to(g0.device)
    return flow if batched else flow[0]


def farneback(frame0: Frame, frame1: Frame, *, pyr_scale: float = 0.5, levels: int = 3,
              window: int = 15, iterations: int = 3, poly_n: int = 5,
              poly_sigma: float = 1.2) -> torch.Tensor:
    """Farneback's dense flow (OpenCV ``calcOpticalFlowFarneback``) on a frame pair or a batch.

    Why: a classic, fast dense method to check our own against. Each neighbourhood is fitted by a
    quadratic polynomial; a shift of the image shifts the polynomial, and comparing the two fits
    gives the displacement, refined coarse to fine. Known limit: OpenCV keeps only pyramid levels
    at least 32 px on a side and makes ``levels + 1`` passes, so at 112 x 112 every ``levels`` of 1
    or more gives the same two levels, 56 and 112 px, and a bit-identical flow (OpenCV's
    ``levels=0``, full size alone, differs). From 56 px it follows about 6 px of motion on
    :mod:`lectures_lib.flow.truth`'s textures, not their 9.4-px shift; at 128 x 128, ``levels`` of 2
    or more adds a 32-px level and it follows that shift. :func:`dis` with the ``"medium"`` preset
    follows it at 112 px. Needs OpenCV (see :func:`lectures_lib.data.video_io.opencv`).

    Args:
        frame0, frame1: frames ``I_t`` and ``I_{t+1}`` (see :func:`lectures_lib.flow.as_gray`);
            they are rounded to uint8 gray before OpenCV sees them.
        pyr_scale: size ratio between pyramid levels (< 1).
        levels: pyramid levels below the full-size frame, as OpenCV counts them (it makes
            ``levels + 1`` passes, and drops levels under 32 px a side); at least 1 here.
        window: side of the averaging window in pixels.
        iterations: iterations per pyramid level.
        poly_n: side of the neighbourhood of each polynomial fit (5 or 7 is typical).
        poly_sigma: Gaussian sigma of the fit's weights (about 1.1 for 5, 1.5 for 7).

    Shape:
        ``(H, W)`` frames -> ``(2, H, W)`` flow; ``(B, ...)`` frames -> ``(B, 2, H, W)``.

    Reference:
        Farneback, 2003, "Two-Frame Motion Estimation Based on Polynomial Expansion" (SCIA).
    """
    check_positive(pyr_scale=pyr_scale, poly_sigma=poly_sigma)
    check_positive_int(levels=levels, window=window, iterations=iterations, poly_n=poly_n)
    if pyr_scale >= 1:
        raise ValueError(f"pyr_scale must be in (0, 1), got {pyr_scale!r}")
    cv2 = opencv()
    return _per_pair(frame0, frame1, lambda a, b: cv2.calcOpticalFlowFarneback(
        a, b, None, pyr_scale, levels, window, iterations, poly_n, poly_sigma, 0), name="farneback")


def dis(frame0: Frame, frame1: Frame, *, preset: str = "medium") -> torch.Tensor:
    """Dense Inverse Search (OpenCV ``DISOpticalFlow``) on a frame pair or a batch.

    Why: a fast modern reference that follows large motion. Patches on a sparse grid are matched
    coarse to fine by inverse compositional Lucas–Kanade, their flows are blended into a dense
    field, and a variational step refines it. The ``"medium"`` preset follows about 12 px of motion
    at 112 px, where :func:`farneback` fails; ``"ultrafast"`` and ``"fast"`` trade accuracy for
    speed and fail there too. Needs OpenCV (see :func:`lectures_lib.data.video_io.opencv`).

    Args:
        frame0, frame1: frames ``I_t`` and ``I_{t+1}`` (see :func:`lectures_lib.flow.as_gray`),
            at least 12 x 12; they are rounded to uint8 gray before OpenCV sees them.
        preset: ``"ultrafast"``, ``"fast"`` or ``"medium"``.

    Shape:
        ``(H, W)`` frames -> ``(2, H, W)`` flow; ``(B, ...)`` frames -> ``(B, 2, H, W)``.

    Reference:
        Kroeger, Timofte, Dai & Van Gool, 2016, "Fast Optical Flow using Dense Inverse Search"
        (ECCV), arXiv:1603.03590.
    """
    check_choice("preset", preset, tuple(_PRESETS))
    cv2 = opencv()
    method = cv2.DISOpticalFlow_create(getattr(cv2, _PRESETS[preset]))
    return _per_pair(frame0, frame1, lambda a, b: method.calc(a, b, None), name="dis",
                     min_side=12)


def write_flo(path: str | os.PathLike, flow: torch.Tensor) -> None:
    """Write a ``(2, H, W)`` flow as a Middlebury ``.flo`` file.

    Why by hand: the format is four lines of numpy, and seeing them demystifies the files that
    flow data sets ship. All values are little-endian::

        float32 202021.25 | int32 W | int32 H | H x W x 2 float32, row by row, (u, v) interleaved

    Args:
        path: file to write (overwritten).
        flow: float ``(2, H, W)``, channels (u, v).

    Reference:
        Baker, Scharstein, Lewis, Roth, Black & Szeliski, 2011, "A Database and Evaluation
        Methodology for Optical Flow" (IJCV).
    """
    check_flow(flow)
    if flow.ndim != 3:
        raise ValueError(f"write_flo writes one flow (2, H, W), got shape {tuple(flow.shape)}")
    _, H, W = flow.shape
    data = flow.detach().cpu().permute(1, 2, 0).numpy()              # (2, H, W) -> (H, W, 2)
    with open(path, "wb") as f:
        f.write(np.array([_MAGIC], "<f4").tobytes())
        f.write(np.array([W, H], "<i4").tobytes())
        f.write(np.ascontiguousarray(data, "<f4").tobytes())


def read_flo(path: str | os.PathLike) -> torch.Tensor:
    """Read a Middlebury ``.flo`` file (see :func:`write_flo`) as a float32 ``(2, H, W)`` flow.

    Why: ground truth of flow data sets comes in this format.

    Args:
        path: the ``.flo`` file.

    Reference:
        Baker et al., 2011, "A Database and Evaluation Methodology for Optical Flow" (IJCV).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no .flo file at {os.fspath(path)!r}")
    raw = Path(path).read_bytes()
    if len(raw) < 12:
        raise ValueError(f"{os.fspath(path)!r} is truncated: {len(raw)} bytes, the header has 12")
    magic = np.frombuffer(raw, "<f4", count=1)[0]
    if magic != _MAGIC:
        raise ValueError(f"{os.fspath(path)!r} is not a .flo file: magic number {magic!r}, "
                         f"expected {_MAGIC}")
    W, H = (int(n) for n in np.frombuffer(raw, "<i4", count=2, offset=4))
    if W < 1 or H < 1 or len(raw) != 12 + 8 * W * H:
        raise ValueError(f"{os.fspath(path)!r} is truncated or corrupt: a {H} x {W} flow needs "
                         f"{12 + 8 * max(W * H, 0)} bytes, the file has {len(raw)}")
    data = np.frombuffer(raw, "<f4", offset=12).reshape(H, W, 2)    # interleaved (u, v) per pixel
    return torch.from_numpy(data.astype(np.float32)).permute(2, 0, 1).contiguous()  # (2, H, W)
