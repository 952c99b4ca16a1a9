"""Optical flow in PyTorch: Lucas–Kanade and Horn–Schunck, coarse to fine, batched.

Optical flow is a displacement field ``F(x, y) = (u, v)`` that says where each pixel of frame
``I_t`` went in frame ``I_{t+1}``. One sign convention everywhere in the book (OpenCV's)::

    I_t(x, y) ≈ I_{t+1}(x + u, y + v)        flow[:, 0] = u (right is +), flow[:, 1] = v (down is +)

*Brightness constancy* (a point keeps its brightness as it moves), linearised for a small motion,
gives one equation per pixel for two unknowns, the optical-flow constraint::

    I_x u + I_y v + I_t = 0

One equation cannot fix two unknowns: only the motion along the gradient is seen, and motion along
an edge is invisible (the *aperture problem*). The two classic fixes add an assumption:

    lucas_kanade   the flow is constant in a small window: least squares over the window
                   (Lucas & Kanade, 1981, IJCAI).
    horn_schunck   the flow is smooth: constraint error + alpha^2 x flow-gradient energy,
                   minimised by Jacobi iterations (Horn & Schunck, 1981, Artificial Intelligence).

Both linearise, so they only see motion of about a pixel; :func:`pyramid` and :func:`warp` make
them follow larger motion: estimate on a half-size image, double the flow, warp the second frame
by it, and estimate what is left (Bouguet, 2001, "Pyramidal implementation of the Lucas Kanade
feature tracker", Intel). Every function takes a batch ``(B, ...)`` and runs on any device.
Frames, warping, pyramids and the error measure are in :mod:`lectures_lib.flow.ops` (and
importable from here).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..core.checks import check_positive, check_positive_int, check_tensor
from .ops import (
    Frame,
    gradients,
    gray_pair,
    inside,
    pyramid,
    resize_flow,
    warp,
)


def coarse_to_fine(frame0: Frame, frame1: Frame, step: Callable, *, levels: int,
                   warps: int) -> torch.Tensor:
    """Run an incremental flow ``step`` on a pyramid, warping the second frame before each step.

    ``step(I0, I1w, flow) -> flow`` refines ``flow`` given ``I1w``, the second frame warped by it.
    """
    if not callable(step):
        raise TypeError(f"step must be a function (I0, I1w, flow) -> flow, got {step!r:.80}")
    check_positive_int(levels=levels, warps=warps)
    g0, g1, batched = gray_pair(frame0, frame1)
    p0, p1 = pyramid(g0, levels), pyramid(g1, levels)
    flow = g0.new_zeros(g0.shape[0], 2, *p0[0].shape[-2:])           # (B, 2, h, w)
    for i0, i1 in zip(p0, p1):
        flow = resize_flow(flow, tuple(i0.shape[-2:]))
        for _ in range(warps):
            flow = step(i0, warp(i1, flow), flow)
    return flow if batched else flow[0]


def gaussian_window(x: torch.Tensor, window: int) -> torch.Tensor:
    """Gaussian-weighted mean over a ``window x window`` box (sigma = window / 6), per channel.

    Gaussian weights, not a flat box: a box's averaging has negative frequency response at some
    frequencies, and iterating Lucas–Kanade with it amplifies those ripples of the flow field.

    Shape:
        ``(B, C, H, W)`` float -> ``(B, C, H, W)``; ``window`` is odd.
    """
    check_tensor(x=x)
    if x.ndim != 4 or 0 in x.shape or not x.is_floating_point():
        raise ValueError(f"x must be a floating-point (B, C, H, W) tensor, got {x.dtype} of shape "
                         f"{tuple(x.shape)}")
    check_positive_int(window=window)
    if window % 2 == 0:
        raise ValueError(f"window must be odd, got {window}")
    radius = window // 2
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    g = torch.exp(-0.5 * (t * 6 / window) ** 2)
    g = g / g.sum()
    C = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, g.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)      # along W
    return F.conv2d(x, g.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)   # along H


def lucas_kanade(frame0: Frame, frame1: Frame, *, window: int = 15, levels: int = 4,
                 iterations: int = 3, ridge: float = 1e-4) -> torch.Tensor:
    """Dense Lucas–Kanade: in each window, the least-squares flow of the constraint equations.

    In a ``window x window`` box (Gaussian weights) the flow is taken as constant, so every
    pixel's constraint ``I_x u + I_y v = -I_t`` is one row of an overdetermined system; its
    normal equations are::

        [ sum I_x^2    sum I_x I_y ] [u]     [ sum I_x I_t ]
        [ sum I_x I_y  sum I_y^2   ] [v] = - [ sum I_y I_t ]

    The 2 x 2 matrix is singular on an edge (the aperture problem) and zero on a flat patch; the
    ``ridge`` added to its diagonal then pulls the answer towards zero motion instead of noise.

    Args:
        frame0, frame1: frames ``I_t`` and ``I_{t+1}`` (see :func:`as_gray`).
        window: odd side of the box in pixels.
        levels: pyramid levels (1: no pyramid, motion under about a pixel).
        iterations: warp-and-solve rounds per level (the iterative Lucas–Kanade).
        ridge: Tikhonov term on the diagonal, in squared intensity per pixel.

    Shape:
        ``(H, W)`` frames -> ``(2, H, W)`` flow; ``(B, ...)`` frames -> ``(B, 2, H, W)``.

    Reference:
        Lucas & Kanade, 1981, "An Iterative Image Registration Technique with an Application to
        Stereo Vision" (IJCAI); Bouguet, 2001 (Intel), the pyramid.
    """
    check_positive_int(window=window)
    check_positive(ridge=ridge)
    if window % 2 == 0:
        raise ValueError(f"window must be odd, got {window}")

    def step(i0: torch.Tensor, i1w: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        ix, iy = gradients((i0 + i1w) / 2)
        it = i1w - i0
        seen = inside(flow).to(it)                                   # (B, 1, H, W)
        sxx, sxy, syy, sxt, syt = gaussian_window(
            torch.cat((ix * ix, ix * iy, iy * iy, ix * it, iy * it), dim=1) * seen,
            window).unbind(1)
        sxx, syy = sxx + ridge, syy + ridge
        det = sxx * syy - sxy * sxy                                  # (B, H, W), > 0
        du = -(syy * sxt - sxy * syt) / det
        dv = -(sxx * syt - sxy * sxt) / det
        return flow + torch.stack((du, dv), dim=1)                   # (B, 2, H, W)

    return coarse_to_fine(frame0, frame1, step, levels=levels, warps=iterations)


_HS_AVERAGE = torch.tensor([[1 / 12, 1 / 6, 1 / 12],
                            [1 / 6, 0.0, 1 / 6],
                            [1 / 12, 1 / 6, 1 / 12]])                # Horn & Schunck's neighbours


def neighbour_average(flow: torch.Tensor) -> torch.Tensor:
    """Horn & Schunck's weighted mean of each pixel's 8 neighbours, per flow channel.

    Shape:
        ``(B, 2, H, W)`` -> ``(B, 2, H, W)``.
    """
    check_tensor(flow=flow)
    if flow.ndim != 4 or flow.shape[1] != 2 or 0 in flow.shape or not flow.is_floating_point():
        raise ValueError(f"flow must be a floating-point (B, 2, H, W) tensor, got {flow.dtype} of "
                         f"shape {tuple(flow.shape)}")
    kernel = _HS_AVERAGE.to(flow).expand(2, 1, 3, 3)
    return F.conv2d(F.pad(flow, (1, 1, 1, 1), mode="replicate"), kernel, groups=2)


def horn_schunck(frame0: Frame, frame1: Frame, *, alpha: float = 0.1, iterations: int = 50,
                 levels: int = 4, warps: int = 3) -> torch.Tensor:
    """Horn–Schunck: the smoothest flow that satisfies the constraint, by Jacobi iterations.

    Minimises ``sum (I_x u + I_y v + I_t)^2 + alpha^2 (|grad u|^2 + |grad v|^2)``. Setting the
    derivative to zero and replacing the Laplacian by ``avg(u) - u`` gives the update::

        u <- avg(u) - I_x (I_x avg(u) + I_y avg(v) + I_t) / (alpha^2 + I_x^2 + I_y^2)

    (and the same for ``v`` with ``I_y``). Where the gradient is zero (a flat patch, or along an
    edge) the data term vanishes and the neighbours fill the flow in. With warping, ``u`` and ``v``
    are increments over the flow the second frame was warped by.

    Args:
        frame0, frame1: frames ``I_t`` and ``I_{t+1}`` (see :func:`as_gray`).
        alpha: weight of smoothness, in intensity units (frames are in [0, 1]).
        iterations: Jacobi iterations per warp.
        levels: pyramid levels (1: no pyramid).
        warps: warp-and-solve rounds per level.

    Shape:
        ``(H, W)`` frames -> ``(2, H, W)`` flow; ``(B, ...)`` frames -> ``(B, 2, H, W)``.

    Reference:
        Horn & Schunck, 1981, "Determining Optical Flow" (Artificial Intelligence 17).
    """
    check_positive(alpha=alpha)
    check_positive_int(iterations=iterations)

    def step(i0: torch.Tensor, i1w: torch.Tensor, flow0: torch.Tensor) -> torch.Tensor:
        seen = inside(flow0).to(i0)                                  # (B, 1, H, W)
        ix, iy = gradients((i0 + i1w) / 2)
        ix, iy, it = ix * seen, iy * seen, (i1w - i0) * seen         # no data outside the frame
        denominator = alpha ** 2 + ix * ix + iy * iy                 # (B, 1, H, W)
        flow = flow0
        for _ in range(iterations):
            mean = neighbour_average(flow)                           # (B, 2, H, W)
            d = mean - flow0                                         # increments over flow0
            residual = ix * d[:, :1] + iy * d[:, 1:] + it            # (B, 1, H, W)
            flow = mean - torch.cat((ix, iy), dim=1) * residual / denominator
        return flow

    return coarse_to_fine(frame0, frame1, step, levels=levels, warps=warps)
