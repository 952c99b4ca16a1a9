"""Receptive fields in space and time: how much of the clip one output unit can see.

Why it matters: the lecture compares video models by how fast their receptive field grows in time
(T) and in space (H, W). Everything here is computed from a layer description, which can be read
off an actual ``nn.Module`` so that the table describes the same model that trains::

    Layer(kernel, stride, padding, dilation) per conv/pool, over (T, H, W)
      size_out = floor((size_in + 2p - d(k-1) - 1) / s) + 1
      rf_out   = rf_in + (k-1) * d * jump_in          jump_out = jump_in * s

Reference: Araujo, Norris and Sim, 2019, "Computing Receptive Fields of Convolutional Neural
Networks" (Distill).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ..core.blocks import FoldTimeIntoChannels, GlobalMaxPool
from ..core.checks import check_module, check_shape, model_input

Triple = tuple[int, int, int]
_AXES = "THW"


def _triple(value: int | tuple, fill: int = 1, dims: int = 3) -> Triple:
    """A module's setting over (T, H, W); a 2-D setting acts per frame: (h, w) -> (fill, h, w)."""
    value = (value,) * dims if isinstance(value, int) else tuple(value)
    return (fill, *value) if len(value) == 2 else value


@dataclass(frozen=True)
class Layer:
    """The geometry of one conv or pooling layer over ``(T, H, W)``.

    ``global_pool`` layers cover whatever size reaches them (global average pooling, or a fully
    connected layer on a flattened map); their kernel is ignored.
    """
    name: str
    kernel: Triple = (1, 1, 1)
    stride: Triple = (1, 1, 1)
    padding: Triple = (0, 0, 0)
    dilation: Triple = (1, 1, 1)
    channels: int | None = None
    global_pool: bool = False

    def __post_init__(self) -> None:
        for field in ("kernel", "stride", "dilation", "padding"):
            value = getattr(self, field)
            low = 0 if field == "padding" else 1
            if not isinstance(value, (tuple, list)) or len(value) != 3 or any(
                    not hasattr(v, "__index__") or v < low for v in value):  # ints only
                raise ValueError(f"layer {self.name!r}: {field} must be three integers >= {low} "
                                 f"(T, H, W), got {value}")


@dataclass(frozen=True)
class Row:
    """One line of a receptive-field table: the layer's output size, receptive field and jump.

    ``rf`` counts the input positions one unit can see, so it never exceeds the input: a field that
    reaches past the clip's edge sees only padding there.
    """

    name: str
    channels: int
    size: Triple
    rf: Triple
    jump: Triple


def receptive_fields(layers: list[Layer], input_size: tuple[int, int, int, int]) -> list[Row]:
    """Output size, receptive field and jump after every layer, for an input ``(C, T, H, W)``."""
    check_shape("input_size", input_size, rank=4)
    if not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(f"layers must be Layer objects, got {layers!r:.80}")
    channels, *size = input_size
    rf, jump, rows = [1, 1, 1], [1, 1, 1], []
    for layer in layers:
        if layer.global_pool:
            layer = Layer(layer.name, tuple(size), tuple(size), channels=layer.channels)
        for a in range(3):
            k, s, p, d = layer.kernel[a], layer.stride[a], layer.padding[a], layer.dilation[a]
            out = (size[a] + 2 * p - d * (k - 1) - 1) // s + 1
            if out < 1:
                raise ValueError(f"layer {layer.name!r}: a {_AXES[a]} size of {size[a]} "
                                 f"(padding {p}) is smaller than its kernel span {d * (k - 1) + 1}"
                                 f": the output size goes to zero")
            rf[a] += (k - 1) * d * jump[a]
            jump[a] *= s
            size[a] = out
        channels = layer.channels or channels
        seen = tuple(min(r, n) for r, n in zip(rf, input_size[1:]))
        rows.append(Row(layer.name, channels, tuple(size), seen, tuple(jump)))
    return rows


def unit_receptive_field(layers: list[Layer], input_size: tuple[int, int, int, int],
                         unit: Triple) -> tuple[tuple[int, int], ...]:
    """The first and last input position, per axis T, H, W, that the last layer's ``unit`` sees.

    Exact at borders and with dilation: the positions are followed back layer by layer as sets, and
    taps that land in padding (outside a layer's input) are dropped there.
    """
    rows = receptive_fields(layers, input_size)
    sizes = [tuple(input_size[1:])] + [r.size for r in rows]
    if (not isinstance(unit, (tuple, list)) or len(unit) != 3
            or not all(hasattr(u, "__index__") and 0 <= u < n for u, n in zip(unit, sizes[-1]))):
        raise ValueError(f"unit {unit} is outside the output size {sizes[-1]}")
    seen = [{u} for u in unit]
    for layer, size_in in zip(reversed(layers), reversed(sizes[:-1])):
        for a in range(3):
            if layer.global_pool:
                seen[a] = set(range(size_in[a]))
                continue
            k, s, p, d = layer.kernel[a], layer.stride[a], layer.padding[a], layer.dilation[a]
            seen[a] = ({o * s - p + d * j for o in seen[a] for j in range(k)}
                       & set(range(size_in[a])))
    if not all(seen):
        raise ValueError(f"unit {unit} sees only padding")
    return tuple((min(axis), max(axis)) for axis in seen)


_PASS_THROUGH = (nn.ReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.Flatten, nn.Dropout,
                 nn.Dropout3d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm)


def _size_name(kernel: tuple) -> str:
    return "x".join(str(k) for k in (kernel[1:] if kernel[0] == 1 else kernel))


def _layer_from(module: nn.Module, fold: int | None) -> Layer | None:
    """The geometry of one leaf module; None for layers that do not change the geometry."""
    if isinstance(module, (nn.Conv3d, nn.Conv2d)):
        kernel = _triple(module.kernel_size, fill=fold or 1)
        dims = "3D" if isinstance(module, nn.Conv3d) and kernel[0] > 1 else "2D"
        c_in = f"{module.in_channels // fold}*{fold}" if fold else str(module.in_channels)
        return Layer(f"Conv{dims}("
                     f"{_size_name(kernel) if dims == '3D' else _size_name((1, *kernel[1:]))}, "
                     f"{c_in}->{module.out_channels})", kernel, _triple(module.stride),
                     _triple(module.padding, fill=0), _triple(module.dilation), module.out_channels)
    if isinstance(module, (nn.MaxPool3d, nn.AvgPool3d, nn.MaxPool2d, nn.AvgPool2d)):
        if module.ceil_mode:
            raise ValueError(f"ceil_mode pooling is not supported: {module}")
        n = 3 if isinstance(module, (nn.MaxPool3d, nn.AvgPool3d)) else 2
        kernel = _triple(module.kernel_size, dims=n)
        stride = _triple(module.stride or module.kernel_size, dims=n)
        dims = "3D" if kernel[0] > 1 or stride[0] > 1 else "2D"
        return Layer(f"Pool{dims}({_size_name(kernel)})", kernel, stride,
                     _triple(module.padding, fill=0, dims=n),
                     _triple(getattr(module, "dilation", 1), dims=n))
    if isinstance(module, (nn.AdaptiveAvgPool3d, nn.AdaptiveAvgPool2d,
                           nn.AdaptiveMaxPool3d, nn.AdaptiveMaxPool2d)):
        if set(_triple(module.output_size)) != {1}:
            raise ValueError(f"only global adaptive pooling (output size 1) has a fixed geometry, "
                             f"got {module}")
        average = isinstance(module, (nn.AdaptiveAvgPool3d, nn.AdaptiveAvgPool2d))
        return Layer("GlobalAvgPool" if average else "GlobalMaxPool", global_pool=True)
    if isinstance(module, GlobalMaxPool):
        return Layer("GlobalMaxPool", global_pool=True)
    if isinstance(module, nn.Linear):
        return Layer(f"FC({module.in_features}->{module.out_features})",
                     channels=module.out_features, global_pool=True)
    if isinstance(module, _PASS_THROUGH):
        return None
    raise ValueError(f"no receptive-field rule for {type(module).__name__}")


def layers_from_module(model: nn.Module, input_size: tuple[int, int, int, int]) -> list[Layer]:
    """Read the conv/pool geometry off a model by running it once on a meta-device input.

    Leaf modules are taken in the order they run. A
    :class:`~lectures_lib.core.blocks.FoldTimeIntoChannels` layer (early fusion) makes the next 2-D
    conv span all frames: its time kernel is ``T``.
    """
    check_module(model=model)
    order: list[tuple[nn.Module, tuple]] = []
    meta = copy.deepcopy(model).to("meta")                    # hooks on a copy: model is untouched
    for m in meta.modules():
        if not list(m.children()):
            m.register_forward_hook(lambda mod, inp, out: order.append((mod, tuple(inp[0].shape))))
    with torch.no_grad(), model_input((1, *input_size)):
        meta(torch.zeros((1, *input_size), device="meta"))
    layers, fold = [], None
    for module, in_shape in order:
        if isinstance(module, FoldTimeIntoChannels):
            fold = in_shape[2]
            continue
        layer = _layer_from(module, fold)
        if layer is not None:
            layers.append(layer)
            fold = None if isinstance(module, (nn.Conv2d, nn.Conv3d)) else fold
    return layers


class _GlobalMean(nn.Module):
    """The average twin of :class:`~lectures_lib.core.blocks.GlobalMaxPool`.

    Shape:
        ``(N, D, *S) -> (N, D)``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=tuple(range(2, x.ndim)))


def _geometry_only(model: nn.Module) -> nn.Module:
    """A copy whose every path is positive: weights 1, biases 0, max pools -> average pools.

    Then the input gradient of an output unit is nonzero exactly where the unit looks.
    """
    model = copy.deepcopy(model).eval()
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, (nn.MaxPool3d, nn.MaxPool2d)):
                if _triple(child.dilation) != (1, 1, 1):
                    raise ValueError("a dilated max pool has no average-pool twin")
                avg = nn.AvgPool3d if isinstance(child, nn.MaxPool3d) else nn.AvgPool2d
                setattr(parent, name,
                        avg(child.kernel_size, child.stride, child.padding, child.ceil_mode))
            elif isinstance(child, (nn.AdaptiveMaxPool3d, nn.AdaptiveMaxPool2d)):
                avg = (nn.AdaptiveAvgPool3d if isinstance(child, nn.AdaptiveMaxPool3d)
                       else nn.AdaptiveAvgPool2d)
                setattr(parent, name, avg(child.output_size))
            elif isinstance(child, GlobalMaxPool):
                setattr(parent, name, _GlobalMean())
            elif isinstance(child, _PASS_THROUGH):
                setattr(parent, name, nn.Identity() if not isinstance(child, nn.Flatten) else child)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0 if p.ndim > 1 else 0.0)
    return model


def empirical_receptive_field(model: nn.Module, input_size: tuple[int, int, int, int],
                              unit: Triple | None = None) -> tuple[tuple[int, int], ...]:
    """Where the input gradient of one output unit (default: the central one) is nonzero.

    Returns ``(first, last)`` per axis T, H, W: the same format as :func:`unit_receptive_field`.
    Pools written as modules are replaced by average pools of the same geometry (a max pool's
    gradient reaches one input only); a max taken inside ``forward`` cannot be replaced.
    """
    check_module(model=model)
    net = _geometry_only(model)
    with model_input((1, *input_size)):
        y = net(x := torch.ones((1, *input_size), requires_grad=True))
    size = y.shape[2:] if y.ndim == 5 else ((1, *y.shape[2:]) if y.ndim == 4 else (1, 1, 1))
    unit = unit or tuple(n // 2 for n in size)
    if (not isinstance(unit, (tuple, list)) or len(unit) != 3
            or not all(hasattr(u, "__index__") and 0 <= u < n for u, n in zip(unit, size))):
        raise ValueError(f"unit {unit} is outside the output size {tuple(size)}")
    index = (0, 0, *unit) if y.ndim == 5 else ((0, 0, *unit[1:]) if y.ndim == 4 else (0, 0))
    y[index].backward()
    seen = x.grad[0].abs().sum(0).nonzero()  # (n, 3) indices over (T, H, W)
    if not len(seen):
        raise ValueError(f"unit {unit} sees only padding")
    return tuple((int(seen[:, a].min()), int(seen[:, a].max())) for a in range(3))
