"""Unit tests for lectures_lib.plotting and lectures_lib.widgets."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lectures_lib import plotting, widgets  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def frames(t=5, c=3):
    return np.random.default_rng(0).integers(0, 256, size=(t, 6, 8, c), dtype=np.uint8)


def test_show_frames_grid_and_titles():
    fig = plotting.show_frames(frames(), indices=[0, 2, 4], ncols=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 4 and len(shown) == 3
    assert [ax.get_title() for ax in shown] == ["t=0", "t=2", "t=4"]
    assert plotting.show_frames(frames(c=1)).axes[0].images[0].get_cmap().name == "gray"
    with pytest.raises(ValueError, match="got 1 titles for 5 frames"):
        plotting.show_frames(frames(), titles=["a"])
    with pytest.raises(ValueError, match=r"expected frames \(T, H, W, C\)"):
        plotting.show_frames(np.zeros((5, 6, 8)))


def test_animate_frames_embeds_every_frame():
    html = plotting.animate_frames(frames(t=7), fps=5, title="x").data
    assert len(re.findall(r"frames\[\d+\] = \"data:image/jpeg;base64,", html)) == 7
    assert not plt.get_fignums()                              # the figure is closed, not shown twice


def test_plot_sampling_rows():
    fig = plotting.plot_sampling(20, {"all": np.arange(20), "clips": np.array([[0, 2], [1, 3]])}, fps=10)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all", "clips"]
    assert len(ax.collections) == 3                           # one scatter per row and per clip


def test_plot_raw_sizes_bars_match_calculator():
    fig = plotting.plot_raw_sizes({"SD": (480, 640)}, fps=(5, 30), seconds=60)
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == pytest.approx([0.2575, 1.5450], abs=1e-3)


def test_raw_size_explorer_updates_with_its_controls():
    box = widgets.raw_size_explorer()
    resolution, fps, seconds, sample, out = box.children
    assert out.value == "<b>1.66 GB</b> = 1.54 GiB"           # SD, 30 fps, 1 minute
    resolution.value = "HD 1920x1080"
    assert out.value == "<b>11.20 GB</b> = 10.43 GiB"
    sample.value = 4
    seconds.value = 1
    assert out.value == "<b>746.50 MB</b> = 711.91 MiB"
    fps.value = 1
    assert out.value.startswith("<b>24.88 MB</b>")
