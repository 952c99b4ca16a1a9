"""Inflating a 2-D network into a 3-D one (I3D): every ``Kh x Kw`` kernel becomes ``Kt x Kh x Kw``.

Why it exists: image networks come with weights trained on millions of images; video networks
usually do not. Inflation reuses them: a ``Kh x Kw`` conv kernel is repeated ``Kt`` times along a
new time axis and divided by ``Kt``. Then a *boring* video (one frame repeated) gives every 3-D conv
the sum of ``Kt`` identical terms, each a ``Kt``-th of the 2-D response: the 2-D answer. BatchNorm,
pooling and the classifier act the same on every frame, so the whole inflated network reproduces
the 2-D network on that frame::

    Conv2d (C_out, C_in, Kh, Kw) --"mean"-->   Conv3d (C_out, C_in, Kt, Kh, Kw), w / Kt per frame
                                 --"centre"--> the 2-D kernel at the middle frame, zeros elsewhere
    BatchNorm2d --> BatchNorm3d (same statistics)   MaxPool2d, AvgPool2d --> 1 x Kh x Kw (default)
    AdaptiveAvg/MaxPool2d(s) --> ...3d((1, s))      Linear, ReLU, Flatten, ... --> unchanged

Edge frames: a conv with ``Kt > 1`` pads time with zeros, so on a boring video the first and last
``Kt // 2`` output frames of a "mean" conv miss ``1/Kt`` of their input per padded frame and differ
from the 2-D answer; later layers spread the difference inwards. ``time_padding="replicate"``
repeats the edge frames instead, and the fixed point holds at every frame. A "centre" kernel never
reads the padded frames, so it is a fixed point at every frame with either padding.

Reference: Carreira and Zisserman, 2017, "Quo Vadis, Action Recognition? A New Model and the
Kinetics Dataset" (CVPR, arXiv 1705.07750), Section 2.4.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from ..core.checks import (
    check_choice,
    check_mapping,
    check_module,
    check_positive_int,
    check_shape,
)
from ..core.video import check_clips

INITS = ("mean", "centre", "repeat")
"""mean: repeat / Kt (the paper); centre: middle frame only; repeat: not a fixed point."""
TIME_PADDINGS = ("zeros", "replicate")


def inflate_weight(weight: torch.Tensor, time_kernel: int, init: str = "mean") -> torch.Tensor:
    """A 2-D conv kernel ``(C_out, C_in, Kh, Kw)`` as a 3-D one ``(C_out, C_in, Kt, Kh, Kw)``.

    Args:
        weight: the 2-D kernel.
        time_kernel: Kt.
        init: one of :data:`INITS`.
    """
    check_positive_int(time_kernel=time_kernel)
    check_choice("init", init, INITS)
    if not isinstance(weight, torch.Tensor) or weight.ndim != 4:
        raise ValueError(f"weight must be a 2-D conv kernel (C_out, C_in, Kh, Kw), got "
                         f"{tuple(getattr(weight, 'shape', ()))}")
    if init == "centre":
        out = weight.new_zeros(*weight.shape[:2], time_kernel, *weight.shape[2:])
        out[:, :, time_kernel // 2] = weight
        return out
    repeated = weight.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1)  # (O, I, Kt, Kh, Kw)
    return repeated / time_kernel if init == "mean" else repeated


class InflatedConv3d(nn.Conv3d):
    """A ``Conv3d`` whose time axis may be padded by repeating the edge frames.

    Args:
        in_channels, out_channels: channels in and out.
        kernel_size, stride, padding, dilation: as ``Conv3d``, each a ``(t, h, w)`` triple;
            ``padding[0]`` frames are added at each end of time, by ``time_padding``.
        groups, bias: as ``Conv3d``.
        time_padding: "zeros" (as ``Conv3d``) or "replicate" (repeat the first and last frames).

    Shape:
        ``(B, C_in, T, H, W) -> (B, C_out, T', H', W')``, as ``Conv3d``.

    Reference:
        Carreira and Zisserman, 2017 (CVPR, arXiv 1705.07750), Section 2.4: inflated filters.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, int, int],
                 stride: tuple[int, int, int] = (1, 1, 1),
                 padding: tuple[int, int, int] = (0, 0, 0),
                 dilation: tuple[int, int, int] = (1, 1, 1), groups: int = 1, bias: bool = True,
                 time_padding: str = "zeros") -> None:
        check_choice("time_padding", time_padding, TIME_PADDINGS)
        check_shape("kernel_size", kernel_size, rank=3)
        check_shape("stride", stride, rank=3)
        self.time_padding = time_padding
        self.time_pad = padding[0] if time_padding == "replicate" else 0
        inner = (padding[0] - self.time_pad, *padding[1:])
        super().__init__(in_channels, out_channels, kernel_size, stride, inner, dilation, groups,
                         bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_clips(x, channels=self.in_channels)
        if self.time_pad:
            x = F.pad(x, (0, 0, 0, 0, self.time_pad, self.time_pad), mode="replicate")
        return super().forward(x)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", time_padding=replicate({self.time_pad})"
                                       if self.time_pad else "")


def _triple(value: int | tuple[int, ...], first: int) -> tuple[int, int, int]:
    return (first, *((value, value) if isinstance(value, int) else tuple(value)))


def inflate_conv(conv: nn.Conv2d, time_kernel: int = 3, *, time_stride: int = 1,
                 init: str = "mean", time_padding: str = "zeros") -> nn.Conv3d:
    """The 3-D twin of ``conv``, its weights inflated and its bias copied.

    Args:
        conv: a ``Conv2d`` with zero padding (``padding_mode="zeros"``).
        time_kernel: Kt; the time padding is ``Kt // 2`` ("same" at stride 1).
        time_stride: stride along time.
        init: one of :data:`INITS`.
        time_padding: "zeros" or "replicate" (see the module's note on edge frames).
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"conv must be an nn.Conv2d, got {type(conv).__name__}")
    if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        raise ValueError("only zero-padded convs with numeric padding can be inflated, got "
                         f"padding={conv.padding!r}, padding_mode={conv.padding_mode!r}")
    check_positive_int(time_kernel=time_kernel, time_stride=time_stride)
    out = InflatedConv3d(conv.in_channels, conv.out_channels,
                         _triple(conv.kernel_size, time_kernel), _triple(conv.stride, time_stride),
                         _triple(conv.padding, time_kernel // 2), _triple(conv.dilation, 1),
                         conv.groups, conv.bias is not None,
                         time_padding).to(conv.weight.device, conv.weight.dtype)
    with torch.no_grad():
        out.weight.copy_(inflate_weight(conv.weight, time_kernel, init))
        if conv.bias is not None:
            out.bias.copy_(conv.bias)
    return out


def inflate_batchnorm(norm: nn.BatchNorm2d) -> nn.BatchNorm3d:
    """A ``BatchNorm3d`` with ``norm``'s settings, weights and running statistics."""
    if not isinstance(norm, nn.BatchNorm2d):
        raise TypeError(f"norm must be an nn.BatchNorm2d, got {type(norm).__name__}")
    out = nn.BatchNorm3d(norm.num_features, norm.eps, norm.momentum, norm.affine,
                         norm.track_running_stats)
    state = norm.state_dict()
    out.load_state_dict(state)
    device = next(iter(state.values())).device if state else torch.device("cpu")
    return out.to(device).train(norm.training)


def inflate_pool(pool: nn.Module, time_kernel: int = 1, *, time_stride: int | None = None
                 ) -> nn.Module:
    """The 3-D twin of a 2-D pooling layer: ``Kt x Kh x Kw`` (by default ``1 x Kh x Kw``).

    Args:
        pool: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` or ``AdaptiveMaxPool2d``; an
            adaptive pool to ``s`` becomes one to ``(1, s)`` (it pools over all frames).
        time_kernel, time_stride: Kt and its stride (default ``Kt``), for the non-adaptive pools.
    """
    if not isinstance(pool, _POOLS):
        raise TypeError(f"pool must be a 2-D max, average or adaptive pool, got "
                        f"{type(pool).__name__}")
    check_positive_int(time_kernel=time_kernel)
    time_stride = time_kernel if time_stride is None else time_stride
    check_positive_int(time_stride=time_stride)
    if isinstance(pool, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        size = pool.output_size if isinstance(pool.output_size, tuple) else (pool.output_size,) * 2
        three_d = nn.AdaptiveAvgPool3d if isinstance(pool, nn.AdaptiveAvgPool2d) else \
            nn.AdaptiveMaxPool3d
        return three_d((1, *size))
    k, s = _triple(pool.kernel_size, time_kernel), _triple(pool.stride, time_stride)
    p = _triple(pool.padding, 0)
    if isinstance(pool, nn.MaxPool2d):
        return nn.MaxPool3d(k, s, p, _triple(pool.dilation, 1), ceil_mode=pool.ceil_mode)
    return nn.AvgPool3d(k, s, p, pool.ceil_mode, pool.count_include_pad, pool.divisor_override)


_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_TWO_D = (nn.Conv2d, nn.BatchNorm2d, *_POOLS)
_TIMED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)                 # layers with a Kt to choose
_REFUSED = (nn.ConvTranspose2d, nn.Dropout2d, nn.Upsample, nn.PixelShuffle)


def inflate(model: nn.Module, *, time_kernel: int = 3, init: str = "mean",
            time_padding: str = "zeros",
            layers: Mapping[str, tuple[int, int]] | None = None) -> nn.Module:
    """A 3-D copy of ``model``: every 2-D conv, BatchNorm and pool replaced by its inflated twin.

    The model is walked module by module; everything else (ReLU, Linear, Flatten, the book's
    ``GlobalMaxPool``) acts per position or on pooled features and is kept. ``model`` itself is
    not changed. A module whose ``forward`` reshapes 4-D tensors by hand will not become 3-D by
    this walk: inflate its layers one by one instead.

    Args:
        model: a 2-D network (or a single 2-D layer).
        time_kernel: Kt of every conv (each pool gets 1) unless ``layers`` says otherwise.
        init: one of :data:`INITS`.
        time_padding: "zeros" or "replicate", for every conv.
        layers: ``{module name: (Kt, time stride)}`` for the convs and pools to set one by one,
            e.g. ``{"0.0": (3, 1), "1.0": (3, 2)}`` (names as in ``model.named_modules()``).
    """
    check_module(model=model)
    check_choice("init", init, INITS)
    check_choice("time_padding", time_padding, TIME_PADDINGS)
    if layers is not None:
        check_mapping(layers=layers)
    layers = dict(layers or {})
    for name, value in layers.items():
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"layers[{name!r}] must be a (Kt, time stride) pair, got {value!r}")
    names = {name for name, m in model.named_modules() if isinstance(m, _TIMED)}
    if unknown := sorted(set(layers) - names):
        raise ValueError(f"layers names {unknown}, which are not convs or pools of the model; "
                         f"those are {sorted(names)}")
    for name, m in model.named_modules():
        if isinstance(m, (*_REFUSED, nn.Conv1d, nn.Conv3d)):
            raise TypeError(f"{name or 'the model'} is a {type(m).__name__}, which inflate "
                            "does not know how to make 3-D")

    def twin(name: str, m: nn.Module) -> nn.Module:
        kt, st = layers.get(name, (time_kernel if isinstance(m, nn.Conv2d) else 1, None))
        if isinstance(m, nn.Conv2d):
            return inflate_conv(m, kt, time_stride=st or 1, init=init, time_padding=time_padding)
        if isinstance(m, nn.BatchNorm2d):
            return inflate_batchnorm(m)
        return inflate_pool(m, kt, time_stride=st)

    if isinstance(model, _TWO_D):
        return twin("", model)
    out = copy.deepcopy(model)
    for name, m in list(out.named_modules()):
        if isinstance(m, _TWO_D):
            parent_name, _, child = name.rpartition(".")
            setattr(out.get_submodule(parent_name), child, twin(name, m))
    return out


def inflate_state_dict(state_2d: Mapping[str, torch.Tensor], model_3d: nn.Module, *,
                       init: str = "mean", strict: bool = True) -> nn.Module:
    """Load a 2-D network's weights into its 3-D twin, inflating each conv kernel to fit.

    Every 4-D tensor whose 3-D counterpart is 5-D is inflated to that tensor's ``Kt``; everything
    else is copied. With ``strict``, the keys must match exactly (as ``load_state_dict``).

    Args:
        state_2d: the 2-D network's ``state_dict()``.
        model_3d: the 3-D network, e.g. built by :func:`inflate` or written by hand.
        init: one of :data:`INITS`.
        strict: require the same keys in both.

    Returns:
        ``model_3d``, loaded.
    """
    check_module(model_3d=model_3d)
    check_mapping(state_2d=state_2d)
    check_choice("init", init, INITS)
    target = model_3d.state_dict()
    state = {}
    for key, value in state_2d.items():
        if key in target and value.ndim == 4 and target[key].ndim == 5:
            want = target[key].shape
            if (want[:2], want[3:]) != (value.shape[:2], value.shape[2:]):
                raise ValueError(f"{key}: a 2-D kernel {tuple(value.shape)} cannot be inflated to "
                                 f"{tuple(want)}")
            value = inflate_weight(value, want[2], init)
        state[key] = value
    model_3d.load_state_dict(state, strict=strict)
    return model_3d
