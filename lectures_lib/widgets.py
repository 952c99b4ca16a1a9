"""Interactive explorers for a live kernel (Colab or local Jupyter).

The website has no kernel, so each explorer has a static twin in :mod:`lectures_lib.plotting`.
"""

from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt

from . import c3d, show
from . import receptive_field as rf
from .calculators import raw_video_size
from .checks import check_mapping, check_shape
from .video import check_layout

RESOLUTIONS = {"112x112 (C3D clip)": (112, 112), "SD 640x480": (480, 640),
               "HD 1920x1080": (1080, 1920), "4K 3840x2160": (2160, 3840)}


def raw_size_explorer() -> w.VBox:
    """Resolution, frame rate, duration and sample type -> raw bytes, in decimal and binary
    units."""
    resolution = w.Dropdown(options=list(RESOLUTIONS), value="SD 640x480", description="frames")
    fps = w.FloatLogSlider(value=30, base=2, min=0, max=7, description="fps")
    seconds = w.FloatLogSlider(value=60, base=10, min=0, max=4, description="seconds")
    sample = w.ToggleButtons(options={"uint8": 1, "float32": 4}, value=1, description="sample")
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
