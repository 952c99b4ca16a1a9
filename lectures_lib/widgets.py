"""Interactive explorers for a live kernel (Colab or local Jupyter).

The website has no kernel, so each explorer has a static twin in :mod:`lectures_lib.plotting`.
"""

from __future__ import annotations

import ipywidgets as w

from .calculators import raw_video_size

RESOLUTIONS = {"112x112 (C3D clip)": (112, 112), "SD 640x480": (480, 640),
               "HD 1920x1080": (1080, 1920), "4K 3840x2160": (2160, 3840)}


def raw_size_explorer() -> w.VBox:
    """Resolution, frame rate, duration and sample type -> raw bytes, in decimal and binary units."""
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

