"""What every flow method needs: frames as gray images, flow fields, warping, pyramids, error.

The sign convention of the whole book (OpenCV's)::

    I_t(x, y) ≈ I_{t+1}(x + u, y + v)        flow[:, 0] = u (right is +), flow[:, 1] = v (down is +)

so :func:`warp` of ``I_{t+1}`` by the flow gives back ``I_t``, and :func:`endpoint_error` scores a
flow against the truth. The estimators themselves are in :mod:`lectures_lib.flow`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..core.checks import check_int, check_positive_int, check_shape, check_tensor

Frame = torch.Tensor | np.ndarray
_LUMA = (0.299, 0.587, 0.114)    # ITU-R BT.601, as OpenCV's RGB -> gray


def as_gray(frame: Frame, *, name: str = "frame") -> torch.Tensor:
    """A frame or batch of frames as gray float ``(B, 1, H, W)`` in [0, 1].

    Accepts ``(H, W)``, ``(B, H, W)`` or ``(B, C, H, W)`` with ``C`` 1 or 3 (RGB), as uint8
    (0..255) or float (0..1), numpy or torch.
    """
    if isinstance(frame, np.ndarray):
        frame = torch.from_numpy(frame)
    if not isinstance(frame, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor or numpy array, got {type(frame).__name__}")
    shape = tuple(frame.shape)
    if frame.ndim not in (2, 3, 4) or (frame.ndim == 4 and shape[1] not in (1, 3)):
        raise ValueError(f"{name} must be (H, W), (B, H, W) or (B, C, H, W) with C 1 or 3, "
                         f"got shape {shape}")
    if frame.dtype == torch.uint8:
        frame = frame.float() / 255
    elif not frame.is_floating_point():
        raise ValueError(f"{name} must be uint8 or floating point, got {frame.dtype}")
    if min(shape[-2:]) < 2 or 0 in shape:
        raise ValueError(f"{name} must be at least 2 x 2 pixels, got shape {shape}")
    if not torch.isfinite(frame).all():
        raise ValueError(f"{name} has NaN or infinite values")
    x = {2: lambda f: f[None, None], 3: lambda f: f[:, None], 4: lambda f: f}[frame.ndim](frame)
    if x.shape[1] == 3:
        luma = x.new_tensor(_LUMA).view(1, 3, 1, 1)
        x = (x * luma).sum(dim=1, keepdim=True)                      # (B, 3, H, W) -> (B, 1, H, W)
    return x.float()


def gray_pair(frame0: Frame, frame1: Frame) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Check two frames (or batches) of the same size; return them gray ``(B, 1, H, W)``.

    Also returns whether the input was batched, so that a single pair gets a ``(2, H, W)`` flow.
    """
    g0, g1 = as_gray(frame0, name="frame0"), as_gray(frame1, name="frame1")
    if g0.shape != g1.shape:
        raise ValueError(f"frame0 and frame1 must have the same size, got {tuple(frame0.shape)} "
                         f"and {tuple(frame1.shape)}")
    return g0, g1.to(g0.device), frame0.ndim != 2


def check_flow(flow: torch.Tensor, *, name: str = "flow") -> None:
    """Raise unless ``flow`` is a finite float tensor ``(2, H, W)`` or ``(B, 2, H, W)``."""
    if not isinstance(flow, torch.Tensor) or not flow.is_floating_point():
        raise ValueError(f"{name} must be a floating-point torch tensor (B, 2, H, W), got "
                         f"{type(flow).__name__} {getattr(flow, 'dtype', '')}")
    if flow.ndim not in (3, 4) or flow.shape[-3] != 2 or 0 in flow.shape:
        raise ValueError(f"{name} must be (2, H, W) or (B, 2, H, W) with (u, v) channels, got "
                         f"shape {tuple(flow.shape)}")
    if not torch.isfinite(flow).all():
        raise ValueError(f"{name} has NaN or infinite values")


def _check_images(image: torch.Tensor) -> None:
    """Raise unless ``image`` is a floating-point ``(B, C, H, W)`` tensor with no empty axis."""
    check_tensor(image=image)
    if image.ndim != 4 or 0 in image.shape or not image.is_floating_point():
        raise ValueError(f"image must be a floating-point (B, C, H, W) tensor (see as_gray), got "
                         f"{image.dtype} of shape {tuple(image.shape)}")


def gradients(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences ``(I_x, I_y)`` of ``(B, 1, H, W)`` images, edges replicated."""
    _check_images(image)
    padded = F.pad(image, (1, 1, 1, 1), mode="replicate")          # (B, 1, H+2, W+2)
    ix = (padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]) / 2
    iy = (padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]) / 2
    return ix, iy


def _cubic_weights(t: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution weights (a = -1/2) of the taps at -1, 0, 1, 2 for offsets ``t``."""
    t2, t3 = t * t, t * t * t
    return torch.stack((-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1,
                        -1.5 * t3 + 2 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2))  # (4, *t.shape)


def targets(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where every pixel goes, ``(x + u, y + v)``: ``(..., 2, H, W)`` -> two ``(..., H, W)``."""
    H, W = flow.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(H, device=flow.device, dtype=flow.dtype),
                            torch.arange(W, device=flow.device, dtype=flow.dtype), indexing="ij")
    return xs + flow[..., 0, :, :], ys + flow[..., 1, :, :]


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warping: sample ``image`` at ``(x + u, y + v)``, so ``warp(I_{t+1}, F) ≈ I_t``.

    Cubic interpolation (Keys, a = -1/2), not bilinear: bilinear interpolation blurs by an amount
    that depends on the fractional part of the shift, and that biases every flow method that warps
    towards whole-pixel motion ("pixel locking"). Points outside the image take the border value
    (see :func:`inside`).

    Shape:
        image ``(B, C, H, W)``, flow ``(B, 2, H, W)`` -> ``(B, C, H, W)``.

    Reference:
        Keys, 1981, "Cubic convolution interpolation for digital image processing" (IEEE TASSP).
    """
    check_flow(flow)
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or flow.ndim != 4 or \
            image.shape[0] != flow.shape[0] or image.shape[-2:] != flow.shape[-2:]:
        raise ValueError(f"expected image (B, C, H, W) and flow (B, 2, H, W) of the same B, H, W, "
                         f"got {tuple(getattr(image, 'shape', ()))} and {tuple(flow.shape)}")
    B, C, H, W = image.shape
    x, y = targets(flow)                                             # (B, H, W) each
    x, y = x.clamp(0, W - 1), y.clamp(0, H - 1)
    x0, y0 = x.floor(), y.floor()
    wx = _cubic_weights(x - x0).view(4, B, 1, H * W)                 # (4, B, 1, H*W)
    wy = _cubic_weights(y - y0).view(4, B, 1, H * W)
    x0, y0 = x0.long().view(B, 1, H * W), y0.long().view(B, 1, H * W)
    flat = image.to(flow.dtype).reshape(B, C, H * W)                 # (B, C, H, W) -> (B, C, H*W)
    out = torch.zeros_like(flat)
    for j in range(4):                                               # 4 x 4 taps around (x, y)
        row = (y0 + j - 1).clamp(0, H - 1) * W
        for i in range(4):
            index = (row + (x0 + i - 1).clamp(0, W - 1)).expand(B, C, H * W)
            out += wy[j] * wx[i] * flat.gather(2, index)
    return out.view(B, C, H, W)                                      # (B, C, H*W) -> (B, C, H, W)


def inside(flow: torch.Tensor) -> torch.Tensor:
    """Where ``(x + u, y + v)`` lies in the image: ``(B, 2, H, W)`` flow -> ``(B, 1, H, W)`` bool.

    Outside, the second frame has no data (the point left the picture), so no method can know the
    flow there; Lucas–Kanade leaves such pixels out of its sums.
    """
    check_flow(flow)
    H, W = flow.shape[-2:]
    x, y = targets(flow)
    return ((x >= 0) & (x <= W - 1) & (y >= 0) & (y <= H - 1)).unsqueeze(-3)


def pyramid(image: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """``levels`` images, each half the size of the one before (blurred, then subsampled).

    Returns the coarsest first. Stops early when the next level would be under 8 pixels.

    Shape:
        image ``(B, C, H, W)`` float -> ``levels`` (or fewer) ``(B, C, h, w)``.
    """
    _check_images(image)
    check_positive_int(levels=levels)
    out = [image]
    while len(out) < levels and min(out[-1].shape[-2:]) >= 16:
        out.append(F.interpolate(out[-1], scale_factor=0.5, mode="bilinear", antialias=True,
                                 align_corners=False))
    return out[::-1]


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resample a flow field to ``size = (H, W)`` and scale its vectors by the same factors.

    Shape:
        flow ``(B, 2, h, w)`` -> ``(B, 2, H, W)``.
    """
    check_tensor(flow=flow)
    if flow.ndim != 4 or flow.shape[1] != 2 or 0 in flow.shape or not flow.is_floating_point():
        raise ValueError(f"flow must be a floating-point (B, 2, H, W) tensor, got {flow.dtype} of "
                         f"shape {tuple(flow.shape)}")
    check_shape("size", size, rank=2)
    H, W = flow.shape[-2:]
    up = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
    return up * up.new_tensor([size[1] / W, size[0] / H]).view(1, 2, 1, 1)


def endpoint_error(flow: torch.Tensor, truth: torch.Tensor, *, mask: torch.Tensor | None = None,
                   margin: int = 0) -> torch.Tensor:
    """Mean end-point error ``|F - F_true|`` (pixels), per pair.

    Args:
        flow, truth: ``(2, H, W)`` or ``(B, 2, H, W)``.
        mask: ``(H, W)`` or ``(B, H, W)`` bool, the pixels to score (e.g. not occluded).
        margin: ignore this many pixels at each border.

    Returns:
        a scalar tensor, or ``(B,)`` for batches.
    """
    check_flow(flow)
    check_flow(truth, name="truth")
    check_int(0, margin=margin)
    if flow.shape != truth.shape:
        raise ValueError(f"flow and truth must have the same shape, got {tuple(flow.shape)} and "
                         f"{tuple(truth.shape)}")
    H, W = flow.shape[-2:]
    if 2 * margin >= min(H, W):
        raise ValueError(f"margin {margin} leaves no pixel of a {H} x {W} flow")
    error = (flow - truth.to(flow)).norm(dim=-3)                     # (..., H, W)
    keep = torch.zeros(H, W, dtype=torch.bool, device=flow.device)
    keep[margin:H - margin, margin:W - margin] = True
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.shape[-2:] != (H, W) or mask.ndim > 3:
            raise ValueError(f"mask must be a (H, W) or (B, H, W) tensor with H, W = {H}, {W}")
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (True: scored), got {mask.dtype}")
        if mask.ndim == 3 and (flow.ndim != 4 or mask.shape[0] not in (1, flow.shape[0])):
            raise ValueError(f"mask (B, H, W) must have the flow's B, got mask "
                             f"{tuple(mask.shape)} for flow {tuple(flow.shape)}")
        keep = keep & mask.to(flow.device, torch.bool)
    keep = keep.expand_as(error)
    if not keep.flatten(-2).any(-1).all():
        raise ValueError("the mask and margin leave no pixel to score")
    return (error * keep).flatten(-2).sum(-1) / keep.flatten(-2).sum(-1)


def photometric_error(frame0: Frame, frame1: Frame, flow: torch.Tensor, *,
                      margin: int = 0) -> torch.Tensor:
    """Mean ``|warp(frame1, F) - frame0|`` in gray levels of [0, 1], per pair: how well the flow
    explains the second frame, where no true flow is known.

    A low error does not prove a flow right (a wrong flow can match a flat region), and the
    border, where the warp samples outside the frame, is left out with ``margin``.

    Args:
        frame0, frame1: the pair, as :func:`as_gray` takes them.
        flow: ``(2, H, W)`` or ``(B, 2, H, W)``, from ``frame0`` to ``frame1`` (a batch of one
            serves every pair).
        margin: ignore this many pixels at each border.

    Returns:
        a scalar tensor for one pair, or ``(B,)``.
    """
    g0, g1, _ = gray_pair(frame0, frame1)                              # (B, 1, H, W) each
    check_flow(flow)
    check_int(0, margin=margin)
    one = flow.ndim == 3
    flow = flow[None] if one else flow                                 # (B, 2, H, W)
    if flow.shape[-2:] != g0.shape[-2:] or flow.shape[0] not in (1, g0.shape[0]):
        raise ValueError(f"flow must match the frames' {g0.shape[0]} x {tuple(g0.shape[-2:])}, "
                         f"got shape {tuple(flow.shape)}")
    H, W = g0.shape[-2:]
    if 2 * margin >= min(H, W):
        raise ValueError(f"margin {margin} leaves no pixel of a {H} x {W} frame")
    flow = flow.to(g1).expand(g0.shape[0], -1, -1, -1)                # one flow for every pair
    error = (warp(g1, flow) - g0).abs()[..., margin:H - margin, margin:W - margin]
    error = error.mean(dim=(-3, -2, -1))                               # (B,)
    return error[0] if one else error
