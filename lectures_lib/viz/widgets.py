"""Interactive explorers for a live kernel (Colab or local Jupyter).

The website has no kernel, so each explorer has a static twin: a figure of a few settings in its
chapter (drawn with :mod:`lectures_lib.viz.plotting` or, for flow, :mod:`lectures_lib.flow.show`).
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as w
import matplotlib.pyplot as plt
import torch

from .. import flow
from ..core.checks import check_mapping, check_shape
from ..core.video import check_layout
from ..costs import receptive_field as rf
from ..costs.calculators import raw_video_size
from ..flow import show as flow_show
from ..flow.methods import METHODS
from ..models import c3d
from . import show

RESOLUTIONS = {"112x112 (C3D clip)": (112, 112), "SD 640x480": (480, 640),
               "HD 1920x1080": (1080, 1920), "4K 3840x2160": (2160, 3840)}


def raw_size_explorer() -> w.VBox:
    """Resolution, frame rate, duration and sample type -> raw bytes, in decimal and binary
    units."""
    resolution = w.Dropdown(options=list(RESOLUTIONS), value="SD 640x480", description="frames")
    fps = w.FloatLogSlider(value=30, base=2, min=0, max=7, description="fps")
    seconds = w.FloatLogSlider(value=60, base=10, min=0, max=4, description="seconds")
    sample = w.ToggleButtons(options=[("uint8", 1), ("float32", 4)], value=1, description="sample")
    out = w.HTML()

    def update(_: object = None) -> None:
        h, wd = RESOLUTIONS[resolution.value]
        size = raw_video_size(height=h, width=wd, fps=fps.value, seconds=seconds.value,
                              bytes_per_sample=sample.value)
        out.value = f"<b>{size.decimal}</b> = {size.binary}"

    for control in (resolution, fps, seconds, sample):
        control.observe(update, names="value")
    update()
    return w.VBox([resolution, fps, seconds, sample, out])


def receptive_field_explorer(models: dict, input_size: tuple[int, int, int, int], frames) -> w.VBox:
    """Pick a model and a layer; see the layer's size and receptive field, drawn on ``frames``.

    Args:
        models: name -> ``nn.Module`` taking ``(B, *input_size)``.
        input_size: ``(C, T, H, W)``.
        frames: ``(T, H, W, 3)`` uint8 clip to draw the central unit's field on.
    """
    check_mapping(models=models)
    check_shape("input_size", input_size, rank=4)
    check_layout(frames, "(T, H, W, C)", channels=3, dtype="uint8")
    if tuple(frames.shape[:3]) != tuple(input_size[1:]):
        raise ValueError(f"frames must match input_size: (T, H, W) = {tuple(input_size[1:])}, "
                         f"got {tuple(frames.shape[:3])}")
    layers = {name: rf.layers_from_module(m, input_size) for name, m in models.items()}
    if not all(layers.values()):
        raise ValueError(f"models without a conv or pool layer: "
                         f"{[name for name, found in layers.items() if not found]}")
    model = w.Dropdown(options=list(models), description="model")
    layer = w.IntSlider(value=1, min=1, max=len(layers[model.value]), description="layer")
    out = w.Output()

    def update(_: object = None) -> None:
        chosen = layers[model.value]
        layer.max = len(chosen)
        row = rf.receptive_fields(chosen[:layer.value], input_size)[-1]
        unit = tuple(n // 2 for n in row.size)
        field = rf.unit_receptive_field(chosen[:layer.value], input_size, unit)
        with out:
            out.clear_output(wait=True)
            print(f"{row.name}: output {row.channels} x {'x'.join(map(str, row.size))}, "
                  f"receptive field {'x'.join(map(str, row.rf))} (T x H x W)")
            show.show_receptive_field(frames, field, title=model.value)
            plt.show()

    model.observe(update, names="value")
    layer.observe(update, names="value")
    update()
    return w.VBox([model, layer, out])


def c3d_cost_explorer() -> w.VBox:
    """Clip length, frame size and channel width -> C3D's multiply-adds, parameters, activations."""
    frames = w.SelectionSlider(options=[16, 32, 64], value=16, description="frames T")
    size = w.SelectionSlider(options=[56, 112, 160, 224], value=112, description="H = W")
    width = w.SelectionSlider(options=[0.25, 0.5, 1.0, 2.0], value=1.0, description="width x")
    out = w.HTML()

    def update(_: object = None) -> None:
        macs, params, act = c3d.c3d_costs(frames.value, size.value, width.value)
        out.value = (f"<b>{macs:.1f} GMACs</b> ({2 * macs:.1f} GFLOPs) per clip, {params:.1f} M "
                     f"parameters, {act:.0f} MiB of float32 activations")

    for control in (frames, size, width):
        control.observe(update, names="value")
    update()
    return w.VBox([frames, size, width, out])


# (label, (flow function, the explorer's controls it takes)) pairs, from the book's one table of
# methods (flow.methods); a list, because ipywidgets 7 wants one.
FLOW_METHODS = [(m.label, (m.estimate, m.knobs)) for m in METHODS.values()]


PHOTOMETRIC_MARGIN = 8
"""Pixels at each border the flow explorer's photometric error leaves out (as chapter 5's table)."""


def _flow_pair(name: str, pair: tuple) -> tuple:
    """Check one explorer pair; return ``(gray0, gray1, truth or None, valid or None)``."""
    if not isinstance(pair, (tuple, list)) or not 2 <= len(pair) <= 4:
        raise ValueError(f"pairs[{name!r}] must be (frame0, frame1), (frame0, frame1, truth) or "
                         f"(frame0, frame1, truth, valid), got {type(pair).__name__} "
                         f"of length {len(pair) if isinstance(pair, (tuple, list)) else '-'}")
    g0, g1, _ = flow.gray_pair(pair[0], pair[1])
    if g0.shape[0] != 1:
        raise ValueError(f"pairs[{name!r}] must hold one frame pair, got a batch of {g0.shape[0]}")
    truth = pair[2] if len(pair) > 2 else None
    valid = pair[3] if len(pair) > 3 else None
    if truth is not None:
        flow.check_flow(truth, name=f"pairs[{name!r}] truth")
        if tuple(truth.shape) != (2, *g0.shape[-2:]):
            raise ValueError(f"pairs[{name!r}] truth must be (2, H, W) = "
                             f"{(2, *g0.shape[-2:])}, got {tuple(truth.shape)}")
    if valid is not None:
        if not hasattr(valid, "shape") or tuple(valid.shape) != g0.shape[-2:]:
            raise ValueError(f"pairs[{name!r}] valid must be an (H, W) = {tuple(g0.shape[-2:])} "
                             f"bool mask, got shape {tuple(getattr(valid, 'shape', ()))}")
        valid = torch.as_tensor(valid, dtype=torch.bool)
    return g0, g1, truth, valid


def flow_explorer(pairs: Mapping[str, tuple]) -> w.VBox:
    """Pick a frame pair, a flow method and its main parameter; see the flow and its error.

    Args:
        pairs: name -> ``(frame0, frame1)``, ``(frame0, frame1, truth)`` or ``(frame0, frame1,
            truth, valid)``: frames as :func:`lectures_lib.flow.as_gray` takes them, ``truth`` a
            ``(2, H, W)`` flow, ``valid`` an ``(H, W)`` bool mask of the pixels to score. With
            truth the explorer reports the end-point error; without, the photometric error
            (:func:`lectures_lib.flow.photometric_error`, leaving out
            :data:`PHOTOMETRIC_MARGIN` pixels at each border, as chapter 5 does).
    """
    check_mapping(pairs=pairs)
    checked = {name: _flow_pair(name, pair) for name, pair in pairs.items()}
    pair = w.Dropdown(options=list(pairs), description="pair")
    method = w.Dropdown(options=FLOW_METHODS, description="method")
    controls = {"window": w.SelectionSlider(options=[5, 9, 15, 21, 31], value=15,
                                            description="window"),
                "alpha": w.SelectionSlider(options=[0.01, 0.03, 0.1, 0.3, 1.0], value=0.1,
                                           description="HS alpha"),
                "levels": w.IntSlider(value=4, min=1, max=5, description="levels")}
    summary, out = w.HTML(), w.Output()

    def update(_: object = None) -> None:
        g0, g1, truth, valid = checked[pair.value]
        run, takes = method.value
        for name, control in controls.items():
            control.disabled = name not in takes
        settings = {name: controls[name].value for name in takes}
        estimate = run(g0, g1, **settings)[0]                           # (1, 2, H, W) -> (2, H, W)
        if truth is None:
            error = flow.photometric_error(g0, g1, estimate, margin=PHOTOMETRIC_MARGIN).item()
            score = f"photometric error {error:.3f} (no ground truth)"
        else:
            score = f"EPE {flow.endpoint_error(estimate, truth, mask=valid).item():.3f} px"
        label = ", ".join(f"{k} {v}" for k, v in settings.items()) or "preset medium"
        summary.value = f"<b>{method.label}</b> ({label}): {score}"
        with out:
            out.clear_output(wait=True)
            shown = {method.label: estimate} | ({"truth": truth} if truth is not None else {})
            flow_show.flow_panels(shown, frame=g0, columns=4, width=6.0)
            plt.show()

    for control in (pair, method, *controls.values()):
        control.observe(update, names="value")
    update()
    return w.VBox([pair, method, *controls.values(), summary, out])
