"""Unit tests for lectures_lib.viz.show (frames, clips, animations), plotting (charts) and
widgets."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lectures_lib.models import c3d  # noqa: E402
from lectures_lib.viz import plotting, show, widgets


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def frames(t=5, c=3):
    return np.random.default_rng(0).integers(0, 256, size=(t, 6, 8, c), dtype=np.uint8)


def test_show_frames_grid_and_titles():
    fig = show.show_frames(frames(), indices=[0, 2, 4], ncols=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 4 and len(shown) == 3
    assert [ax.get_title() for ax in shown] == ["t=0", "t=2", "t=4"]
    assert show.show_frames(frames(c=1)).axes[0].images[0].get_cmap().name == "gray"
    with pytest.raises(ValueError, match="got 1 titles for 5 frames"):
        show.show_frames(frames(), titles=["a"])
    with pytest.raises(ValueError, match=r"expected frames \(T, H, W, C\)"):
        show.show_frames(np.zeros((5, 6, 8)))


def test_animate_frames_embeds_every_frame():
    html = show.animate_frames(frames(t=7), fps=5, title="x", alt='a "dot" moving').data
    assert len(re.findall(r"frames\[\d+\] = \"data:image/jpeg;base64,", html)) == 7
    assert not plt.get_fignums()  # the figure is closed, not shown twice
    assert re.search(r'<img id="_anim_img\w+" alt="a &quot;dot&quot; moving">', html)
    assert html.startswith("<style>") and "max-width:100%" in html     # shrinks on a phone
    with pytest.raises(ValueError, match="needs alt text"):
        show.animate_frames(frames(t=7), fps=5, alt=" ")


def test_plot_sampling_rows():
    fig = plotting.plot_sampling(20, {"all": np.arange(20), "clips": np.array([[0, 2], [1, 3]])},
                                 fps=10)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["all", "clips"]      # each above its row
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


def test_show_and_animate_labelled_clips():
    import torch
    clips = torch.rand(3, 3, 8, 10, 12, generator=torch.Generator().manual_seed(0))
    fig = show.show_clips(clips, [0, 2, 1], ["a", "b", "c"], frames=4)
    assert len(fig.axes) == 12
    assert [fig.axes[i * 4].get_title(loc="left") for i in range(3)] == ["a", "c", "b"]
    html = show.animate_clips(clips, [0, 2, 1], ["a", "b", "c"], ncols=2, alt="three clips").data
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 8                   # one per time step
    with pytest.raises(ValueError, match="got 2 labels for 3 clips"):
        show.animate_clips(clips, [0, 2], ["a", "b", "c"], alt="x")


def test_book_style_sets_readable_defaults():
    plotting.book_style()
    assert plt.rcParams["font.size"] == 15 and plt.rcParams["xtick.labelsize"] == 14
    assert min(v for k, v in plotting.BOOK_STYLE.items() if "size" in k) >= 14


def test_tile_places_clips_in_a_grid():
    clips = np.zeros((3, 2, 4, 5, 3), np.uint8)
    clips[2] = 7
    tiled = show.tile_clips(clips, ncols=2, pad=1)
    assert tiled.shape == (2, 10, 12, 3)
    assert (tiled[:, 5:9, 0:5] == 7).all() and (tiled[:, 4, :] == 255).all()
    with pytest.raises(ValueError, match="clips.*float64"):
        show.tile_clips(clips.astype(float), ncols=2)
    with pytest.raises(ValueError, match="ncols.*0"):
        show.tile_clips(clips, ncols=0)


def test_histories_and_confusion():
    from lectures_lib.training import History
    h = History([{"val_acc": 0.2}, {"val_acc": 0.5}])
    fig = plotting.plot_histories({"m": h}, chance=0.125)
    assert fig.axes[0].lines[0].get_ydata().tolist() == [0.2, 0.5]
    fig = plotting.plot_confusion(np.array([[3, 1], [0, 4]]), ["x", "y"], title="t")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["1", "3", "4"]                                   # zero cells stay blank


def test_receptive_field_figures():
    from lectures_lib.costs.receptive_field import Row
    rows = [Row("a", 1, (4, 8, 8), (1, 3, 3), (1, 1, 1)),
            Row("b", 1, (2, 4, 4), (3, 6, 6), (2, 2, 2))]
    fig = plotting.plot_rf_growth({"toy": rows})
    assert ([ln.get_ydata().tolist() for ln in (fig.axes[0].lines[0], fig.axes[1].lines[0])]
            == [[1, 3], [3, 6]])
    fig = show.show_receptive_field(frames(t=6), ((2, 3), (1, 2), (0, 4)), every=1)
    boxed = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_title() for ax in boxed] == ["t=2", "t=3"]
    box = boxed[0].patches[0]
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (-0.5, 0.5, 5, 2)


def test_filter_frames_normalises_each_filter():
    import torch
    weight = torch.zeros(2, 3, 3, 2, 2)
    weight[0, :, 1] = 5.0
    weight[1, 0, 0, 0, 0] = -1.0
    tiled = show.filter_frames(weight, scale=2, ncols=2)
    assert tiled.shape == (3, 6, 12, 3)                                  # 4x4 tiles, 2-pixel gaps
    assert tiled[1, :4, :4].min() == 255 and tiled[0, :4, :4].max() == 0  # filter 0: frame 1 bright
    with pytest.raises(ValueError, match=r"\(C_out, 3, t, h, w\)"):
        show.filter_frames(torch.zeros(2, 1, 3, 2, 2))


def test_receptive_field_explorer_follows_its_controls(capsys):
    from lectures_lib.models import toy_models
    box = widgets.receptive_field_explorer(
        {"3D CNN": toy_models.cnn3d(), "late": toy_models.late_fusion()},
        (3, 20, 64, 64), np.zeros((20, 64, 64, 3), np.uint8))
    model, layer, _ = box.children
    assert ("Conv3D(3x3x3, 3->12): output 12 x 20x64x64, receptive field 3x3x3"
            in capsys.readouterr().out)
    layer.value = 3
    assert "receptive field 14x14x14" in capsys.readouterr().out
    model.value = "late"
    assert ("Conv2D(3x3, 12->24): output 24 x 20x16x16, receptive field 1x14x14"
            in capsys.readouterr().out)


def test_c3d_costs_and_explorer():
    macs, params, act = c3d.c3d_costs(16, 112, 1.0)
    assert round(macs, 3) == 38.549 and round(params, 2) == 79.99
    assert c3d.c3d_costs(16, 112, 0.5)[0] == pytest.approx(9.92, abs=0.01)
    box = widgets.c3d_cost_explorer()
    frames_, size, width, out = box.children
    assert out.value.startswith("<b>38.5 GMACs</b> (77.1 GFLOPs)")
    size.value = 224
    assert out.value.startswith("<b>154.1 GMACs</b>")
    with pytest.raises(ValueError, match="multiple of 16"):
        c3d.c3d_costs(8, 112, 1.0)
    with pytest.raises(ValueError, match="width must be a positive number"):
        c3d.c3d_costs(16, 112, 0)


def test_flow_explorer_follows_its_controls():
    from lectures_lib.flow import truth as flow_truth
    shift = flow_truth.translation((3.0, -1.5), size=32)
    box = widgets.flow_explorer({"shift": (shift.frame0, shift.frame1, shift.flow, shift.valid),
                                 "no truth": (shift.frame0, shift.frame1)})
    pair, method, window, alpha, levels, summary, out = box.children

    def shown():
        epe = re.search(r"EPE (\d\.\d{3}) px$", summary.value)
        titles = [ax.get_title() for ax in plt.gcf().axes if ax.get_title()]
        return (float(epe.group(1)) if epe else None), titles

    assert summary.value.startswith("<b>Lucas–Kanade</b> (window 15, levels 4): EPE ")
    assert shown()[0] < 0.1 and shown()[1] == ["frame 0", "Lucas–Kanade", "truth", "legend"]
    assert alpha.disabled and not window.disabled and not levels.disabled
    levels.value = 1                                   # no pyramid: a 3.4 px shift is too far
    assert shown()[0] > 0.2
    method.value = widgets.FLOW_METHODS[1][1]
    assert summary.value.startswith("<b>Horn–Schunck</b> (alpha 0.1, levels 1): EPE ")
    assert window.disabled and not alpha.disabled
    assert shown()[1] == ["frame 0", "Horn–Schunck", "truth", "legend"]
    method.value = widgets.FLOW_METHODS[3][1]
    assert summary.value.startswith("<b>DIS (medium)</b> (preset medium): EPE ")
    assert window.disabled and alpha.disabled and levels.disabled
    pair.value = "no truth"
    assert re.fullmatch(r"<b>DIS \(medium\)</b> \(preset medium\): photometric error \d\.\d{3} "
                        r"\(no ground truth\)", summary.value)
    assert shown()[1] == ["frame 0", "DIS (medium)", "legend"]


def clips(n=2):
    import torch
    return torch.rand(n, 3, 4, 6, 8, generator=torch.Generator().manual_seed(0))


def rows():
    from lectures_lib.costs.receptive_field import Row
    return [Row("a", 1, (4, 8, 8), (1, 3, 3), (1, 1, 1))]


FIELD = ((0, 1), (0, 2), (0, 3))


def zeros_tensor(*shape):
    import torch
    return torch.zeros(*shape)


@pytest.mark.parametrize("call, error, match", [
    (lambda: show.show_frames(frames(), ncols=0), ValueError,
     "ncols.*0"),
    (lambda: show.show_frames(frames(), indices=[]), ValueError,
     r"len\(indices\) must be a positive integer, got 0"),
    (lambda: show.show_frames(frames(t=0)), ValueError, r"no empty axis, got \(0, 6, 8, 3\)"),
    (lambda: show.show_frames(frames(), width=0), ValueError,
     "width.*0"),
    (lambda: show.animate_frames(frames(), fps=0, alt="a clip"), ValueError,
     "fps.*0"),
    (lambda: show.animate_frames(frames(), fps=5, dpi=0, alt="a clip"), ValueError,
     "dpi.*0"),
    (lambda: show.show_clips(clips(), [0], ["a", "b"]), ValueError,
     r"expected labels of shape \(2,\): integer class indices"),
    (lambda: show.show_clips(clips(), [0, 5], ["a", "b"]), ValueError,
     r"labels.*values from 0 to 5"),
    (lambda: show.show_clips(clips(), [0, 1], ["a", "b"], frames=0), ValueError,
     "frames.*0"),
    (lambda: show.animate_clips(clips(), [0, -1], ["a", "b"], alt="two clips"), ValueError,
     r"labels.*values from -1 to 0"),
    (lambda: show.animate_clips(clips(), [0, 1], ["a", "b"], ncols=0, alt="two clips"),
     ValueError, "ncols.*0"),
    (lambda: show.show_receptive_field(frames(), ((0, 1), (0, 9), (0, 1))), ValueError,
     r"field .* is not inside the clip's \(T, H, W\) \(5, 6, 8\)"),
    (lambda: show.show_receptive_field(frames(), FIELD, every=0), ValueError,
     "every.*0"),
    (lambda: show.show_receptive_field(frames().astype(np.float32), FIELD), ValueError,
     "dtype uint8, got float32"),
    (lambda: show.show_receptive_field(frames(), FIELD, ax_row=plt.subplots(1, 2)[1]),
     ValueError, "ax_row has 2 axes for the 3 frames shown"),
    (lambda: show.filter_frames(np.zeros((2, 3, 3, 2, 2)), scale=0), ValueError,
     "scale.*0"),
    (lambda: show.filter_frames(np.zeros((0, 3, 3, 2, 2))), ValueError,
     r"\(C_out, 3, t, h, w\), got \(0, 3, 3, 2, 2\)"),
    (lambda: show.filter_frames(c3d.Conv2Plus1D(3, 4)), TypeError,
     r"\(C_out, 3, t, h, w\), got Conv2Plus1D"),
    (lambda: plotting.plot_sampling(10, {}, fps=5), ValueError,
     "rows must be a non-empty mapping"),
    (lambda: plotting.plot_sampling(10, {"all": np.arange(3)}, fps=0), ValueError,
     "fps.*0"),
    (lambda: plotting.plot_sampling(10, {"all": np.arange(30)}, fps=5), ValueError,
     r"rows\['all'\].*int64 \(30,\)"),
    (lambda: plotting.plot_raw_sizes({}), ValueError, "resolutions must be a non-empty mapping"),
    (lambda: plotting.plot_raw_sizes({"SD": (480, 640)}, fps=30), ValueError,
     "fps.*30"),
    (lambda: plotting.plot_raw_sizes({"SD": (480,)}), ValueError,
     r"resolutions\['SD'\] must be 2 positive integers"),
    (lambda: plotting.plot_histories({}), ValueError, "histories must be a non-empty mapping"),
    (lambda: plotting.plot_confusion(np.zeros((3, 3), int), ["x", "y"]), ValueError,
     r"K x K matrix of counts >= 0 for the K = 2 classes, got int64 \(3, 3\)"),
    (lambda: plotting.plot_confusion(-np.ones((2, 2), int), ["x", "y"]), ValueError,
     "counts >= 0"),
    (lambda: plotting.plot_rf_growth({}), ValueError, "tables must be a non-empty mapping"),
    (lambda: plotting.plot_rf_growth({"toy": [1, 2]}), ValueError,
     "non-empty list of receptive-field Rows"),
    (lambda: plotting.plot_rf_growth({"toy": rows()}, width=0), ValueError,
     "width.*0"),
    (lambda: widgets.receptive_field_explorer({}, (3, 5, 6, 8), frames()), ValueError,
     "models must be a non-empty mapping"),
    (lambda: widgets.receptive_field_explorer({"m": c3d.Conv2Plus1D(3, 4)}, (3, 5, 8, 8),
                                              frames()), ValueError,
     r"frames.*\(5, 6, 8\)"),
    (lambda: widgets.flow_explorer({}), ValueError, "pairs must be a non-empty mapping"),
    (lambda: widgets.flow_explorer({"a": (np.zeros((8, 8)),)}), ValueError,
     r"pairs\['a'\].*tuple of length 1"),
    (lambda: widgets.flow_explorer({"a": (np.zeros((8, 8)), np.zeros((8, 9)))}), ValueError,
     "frame0 and frame1 must have the same size"),
    (lambda: widgets.flow_explorer({"a": (np.zeros((8, 8)), np.zeros((8, 8)),
                                          zeros_tensor(2, 8, 9))}), ValueError,
     r"pairs\['a'\] truth must be \(2, H, W\) = \(2, 8, 8\), got \(2, 8, 9\)"),
    (lambda: widgets.flow_explorer({"a": (np.zeros((8, 8)), np.zeros((8, 8)),
                                          zeros_tensor(2, 8, 8), np.ones((8, 7), bool))}),
     ValueError, r"valid.*shape \(8, 7\)"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_receptive_field_row_of_one_frame():
    fig = show.show_receptive_field(frames(t=1), ((0, 0), (0, 1), (0, 1)))
    assert [ax.get_title() for ax in fig.axes] == ["t=0"]


def test_table_prints_aligned_and_shows_as_html():
    table = plotting.Table(["model", "acc"], [["3D CNN", "~0.969"], ["late <avg>", "~0.131"]])
    assert repr(table).splitlines() == ["model          acc", "3D CNN      ~0.969",
                                        "late <avg>  ~0.131"]
    html = table._repr_html_()
    assert "<td>late &lt;avg&gt;</td><td>~0.131</td>" in html and "max-width:600px" in html
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        plotting.Table(["a", "b"], [["1"]])
    with pytest.raises(ValueError, match="needs a header and at least one row"):
        plotting.Table(["a"], [])
