"""Tests for the flow tools: exact ground truth, OpenCV references and .flo files, flow pictures."""

import math

import cv2
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lectures_lib import flow  # noqa: E402
from lectures_lib.flow import reference as flow_reference
from lectures_lib.flow import show as flow_show
from lectures_lib.flow import truth as flow_truth
from lectures_lib.viz import plotting


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def targets_on_grid(pair: flow_truth.FlowPair) -> torch.Tensor:
    """frame1 at x + flow(x) for valid pixels whose target is a whole pixel (others NaN)."""
    H, W = pair.frame0.shape
    y, x = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    tx, ty = x + pair.flow[0].double(), y + pair.flow[1].double()
    assert torch.allclose(tx, tx.round(), atol=1e-9) and torch.allclose(ty, ty.round(), atol=1e-9)
    tx, ty = tx.round().long().clamp(0, W - 1), ty.round().long().clamp(0, H - 1)
    return torch.where(pair.valid, pair.frame1[ty, tx], torch.nan)


@pytest.mark.parametrize("pair", [
    flow_truth.translation((3, -2), size=32), flow_truth.rotation(180, size=32),
    flow_truth.rotation(90, size=(24, 24)), flow_truth.zoom(2.0, size=33),
    flow_truth.moving_object((4, -3), radius=9, size=40, seed=5),
], ids=lambda p: p.name)
def test_whole_pixel_motions_are_exact(pair):
    """frame0(x) == frame1(x + flow(x)) on every valid pixel, with no interpolation at all."""
    got = targets_on_grid(pair)
    torch.testing.assert_close(got[pair.valid], pair.frame0[pair.valid], atol=1e-6, rtol=0)
    assert pair.valid.sum() > 100


def test_standard_pairs_warp_back_to_frame0_on_valid_pixels():
    pairs = flow_truth.standard_pairs(size=64)
    assert [p.name for p in pairs] == [
        "shift (0.4, -0.3)", "shift (1.5, -0.75)", "shift (2, 1)", "shift (4, 2.5)",
        "shift (8, -5)", "rotation 3°", "zoom 1.03", "moving object (6, 3)"]
    for p in pairs:
        assert p.frame0.shape == p.frame1.shape == p.valid.shape == (64, 64)
        assert p.flow.shape == (2, 64, 64) and p.flow.dtype == p.frame0.dtype == torch.float32
        assert p.valid.dtype == torch.bool and 0.05 < p.frame0.min() and p.frame0.max() < 0.95
        back = flow.warp(p.frame1[None, None], p.flow[None])[0, 0]   # cubic, so not exact
        keep = p.valid.clone()
        keep[:3], keep[-3:], keep[:, :3], keep[:, -3:] = False, False, False, False
        error = (back - p.frame0).abs()[keep]
        assert error.mean() < 2e-3 and error.max() < 1e-2, (p.name, error.mean(), error.max())
    assert pairs[0].max_motion == pytest.approx(0.5) and pairs[0].description.endswith("sub-pixel)")
    assert pairs[6].max_motion == pytest.approx(0.03 * math.hypot(31.5, 31.5), rel=0.05)  # zoom


def test_builders_flows_are_the_stated_motions():
    shift = flow_truth.translation((1.5, -0.75), size=(20, 24))
    assert shift.frame0.shape == (20, 24)
    assert shift.max_motion == pytest.approx(math.hypot(1.5, 0.75))
    assert torch.allclose(shift.flow[:, 5, 5], torch.tensor([1.5, -0.75]))
    assert not shift.valid[:, -1].any() and not shift.valid[0].any() and shift.valid[5, :-2].all()
    z = flow_truth.zoom(1.1, size=21)                                # centre at pixel (10, 10)
    assert torch.allclose(z.flow[:, 10, 20], torch.tensor([1.0, 0.0]), atol=1e-5)
    assert torch.allclose(z.flow[:, 10, 10], torch.zeros(2)) and not z.valid[0, 0]
    r = flow_truth.rotation(90, size=21)                             # counter-clockwise on screen
    assert torch.allclose(r.flow[:, 10, 20], torch.tensor([-10.0, -10.0]), atol=1e-4)
    assert r.valid.all()


def test_moving_object_flow_and_occlusion_mask():
    pair = flow_truth.moving_object((5, 2), radius=8, size=40)
    H, W = pair.frame0.shape
    y, x = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    cx, cy = (W - 1 - 5) / 2, (H - 1 - 2) / 2
    d0 = torch.hypot(x - cx, y - cy)                                 # to the centre in frame0
    d1 = torch.hypot(x - cx - 5, y - cy - 2)                         # ... in frame1
    assert (pair.flow[:, d0 <= 8] == torch.tensor([[5.0], [2.0]])).all()
    assert (pair.flow[:, d0 > 8] == 0).all()
    assert not pair.valid[(d0 - 8).abs() < 0.5].any()                # the antialiased edge
    assert not pair.valid[(d0 > 8.5) & (d1 < 8.5)].any()             # background covered in frame1
    assert pair.valid[(d0 > 8.5) & (d1 > 8.5)].all() and pair.valid[d0 < 7.5].all()
    assert pair.description and pair.max_motion == pytest.approx(math.hypot(5, 2))


def test_texture_is_band_limited_and_seeded():
    texture = flow_truth.plane_waves(3, size=32, waves=12)
    wavelengths = 2 * np.pi / np.hypot(texture.kx, texture.ky)
    assert len(wavelengths) == 12 and (wavelengths >= 8).all() and (wavelengths <= 40).all()
    a, b = flow_truth.translation((1, 1), size=32, seed=1), flow_truth.translation((1, 1), size=32)
    assert not torch.equal(a.frame0, b.frame0)
    assert torch.equal(a.frame0, flow_truth.translation((1, 1), size=32, seed=1).frame0)


@pytest.mark.parametrize("call, error", [
    (lambda: flow_truth.translation((math.nan, 0)), ValueError),
    (lambda: flow_truth.translation(("a", 0)), ValueError),
    (lambda: flow_truth.translation((1.0,)), ValueError),
    (lambda: flow_truth.rotation(math.inf), ValueError),
    (lambda: flow_truth.zoom(0), ValueError),
    (lambda: flow_truth.zoom(-1.5), ValueError),
    (lambda: flow_truth.moving_object((6, 3), radius=30, size=64), ValueError),
    (lambda: flow_truth.moving_object((6, 3), radius=-2), ValueError),
    (lambda: flow_truth.translation((1, 1), size=8), ValueError),
    (lambda: flow_truth.translation((1, 1), size=(32, 12)), ValueError),
    (lambda: flow_truth.standard_pairs(size=15), ValueError),
    (lambda: flow_truth.translation((1, 1), seed=-1), ValueError),
    (lambda: flow_truth.translation((1, 1), seed=1.5), TypeError),
])
def test_flow_truth_bad_input(call, error):
    with pytest.raises(error, match="shift|degrees|scale|radius|size|seed|fit"):
        call()


@pytest.fixture(scope="module")
def shift64():
    return flow_truth.translation((1.5, -0.75), size=64)


@pytest.mark.parametrize("method", [flow_reference.farneback, flow_reference.dis,
                                    flow.lucas_kanade], ids=lambda f: f.__name__)
def test_methods_agree_with_the_exact_flow(method, shift64):
    """The sign convention against OpenCV: its flows and ours match the truth."""
    estimate = method(shift64.frame0, shift64.frame1)
    assert estimate.shape == (2, 64, 64) and estimate.dtype == torch.float32
    assert flow.endpoint_error(estimate, shift64.flow, mask=shift64.valid) < 0.2


def test_dis_follows_large_motion_where_farneback_cannot():
    pair = flow_truth.translation((8, -5))
    epe = {f.__name__: float(flow.endpoint_error(f(pair.frame0, pair.frame1), pair.flow,
                                                 mask=pair.valid))
           for f in (flow_reference.dis, flow_reference.farneback)}
    assert epe["dis"] < 0.5 and epe["farneback"] > 2, epe


def test_references_batched_equal_per_pair_and_accept_uint8(shift64):
    other = flow_truth.rotation(3, size=64)
    f0 = torch.stack((shift64.frame0, other.frame0))                 # (2, H, W)
    f1 = torch.stack((shift64.frame1, other.frame1))
    knobs = dict(pyr_scale=0.6, levels=2, window=11, iterations=2, poly_n=7, poly_sigma=1.5)
    for method, kw in ((flow_reference.farneback, knobs), (flow_reference.dis, {})):
        batch = method(f0, f1, **kw)
        assert batch.shape == (2, 2, 64, 64)
        for k in range(2):
            assert torch.equal(batch[k], method(f0[k], f1[k], **kw))
        u8 = [(f * 255).round().to(torch.uint8).numpy() for f in (f0[0], f1[0])]
        assert torch.equal(method(*u8, **kw), batch[0])
    for preset in ("ultrafast", "fast"):
        assert flow.endpoint_error(flow_reference.dis(f0, f1, preset=preset),
                                   torch.stack((shift64.flow, other.flow))).max() < 1


@pytest.mark.parametrize("call, match", [
    (lambda: flow_reference.dis(torch.rand(32, 32), torch.rand(32, 30)), "frame0"),
    (lambda: flow_reference.dis(torch.rand(32, 32), torch.rand(32, 32), preset="slow"), "preset"),
    (lambda: flow_reference.dis(torch.rand(8, 8), torch.rand(8, 8)), "at least 12"),
    (lambda: flow_reference.farneback(torch.rand(32, 32), torch.rand(32, 32), pyr_scale=1.5),
     "pyr_scale"),
    (lambda: flow_reference.farneback(torch.rand(32, 32), torch.rand(32, 32), levels=0), "levels"),
    (lambda: flow_reference.farneback(np.zeros((32, 32), np.int16), np.zeros((32, 32), np.int16)),
     "frame0.*uint8"),
    (lambda: flow_reference.farneback(torch.rand(2, 4, 32, 32), torch.rand(2, 4, 32, 32)),
     "frame0.*C 1 or 3"),
])
def test_reference_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_flo_round_trip_and_opencv_compatibility(tmp_path):
    truth = torch.randn(2, 5, 7)
    ours, theirs = tmp_path / "ours.flo", tmp_path / "theirs.flo"
    flow_reference.write_flo(ours, truth)
    assert torch.equal(flow_reference.read_flo(ours), truth)
    assert ours.stat().st_size == 12 + 5 * 7 * 2 * 4
    hwc = truth.permute(1, 2, 0).numpy()                             # (2, H, W) -> (H, W, 2)
    assert np.array_equal(cv2.readOpticalFlow(str(ours)), hwc)       # OpenCV reads ours
    assert cv2.writeOpticalFlow(str(theirs), np.ascontiguousarray(hwc))
    assert theirs.read_bytes() == ours.read_bytes()                  # the same bytes
    assert torch.equal(flow_reference.read_flo(str(theirs)), truth)  # we read OpenCV's


def test_flo_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .flo file"):
        flow_reference.read_flo(tmp_path / "missing.flo")
    bad = tmp_path / "bad.flo"
    bad.write_bytes(np.array([1.0, 0, 0], "<f4").tobytes())
    with pytest.raises(ValueError, match="magic number"):
        flow_reference.read_flo(bad)
    flow_reference.write_flo(bad, torch.zeros(2, 4, 4))
    bad.write_bytes(bad.read_bytes()[:-4])
    with pytest.raises(ValueError, match="truncated"):
        flow_reference.read_flo(bad)
    bad.write_bytes(b"PIE")
    with pytest.raises(ValueError, match="truncated"):
        flow_reference.read_flo(bad)
    with pytest.raises(ValueError, match=r"one flow \(2, H, W\)"):
        flow_reference.write_flo(bad, torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="flow.*torch"):
        flow_reference.write_flo(bad, np.zeros((2, 4, 4), np.float32))


# Middlebury's colorcode.cpp at full magnitude: right, down, left, up.
MIDDLEBURY = {(1, 0): (255, 0, 0), (0, 1): (255, 229, 0), (-1, 0): (0, 209, 255),
              (0, -1): (88, 0, 255)}


@pytest.mark.parametrize("direction, rgb", MIDDLEBURY.items(), ids=str)
def test_flow_to_color_matches_the_middlebury_wheel(direction, rgb):
    field = torch.zeros(2, 3, 4)
    field[:, 1, 2] = torch.tensor(direction, dtype=torch.float32) * 2
    image = flow_show.flow_to_color(field)
    assert image.shape == (3, 4, 3) and image.dtype == np.uint8
    assert np.abs(image[1, 2].astype(int) - rgb).max() <= 1
    assert (image[0, 0] == 255).all()                                # zero flow is white
    half = flow_show.flow_to_color(field, max_magnitude=4.0)[1, 2].astype(int)
    assert np.abs(half - (255 - (255 - np.array(rgb)) / 2)).max() <= 1   # half saturation
    over = flow_show.flow_to_color(field, max_magnitude=1.0)[1, 2].astype(int)
    assert np.abs(over - 0.75 * np.array(rgb)).max() <= 1            # beyond the maximum: darker
    assert (flow_show.flow_to_color(torch.zeros(1, 2, 3, 4)) == 255).all()


def test_color_wheel_is_the_legend():
    wheel = flow_show.color_wheel(51)
    assert wheel.shape == (51, 51, 3) and wheel.dtype == np.uint8
    for (u, v), rgb in MIDDLEBURY.items():
        assert np.abs(wheel[25 + 25 * v, 25 + 25 * u].astype(int) - rgb).max() <= 1
    assert (wheel[25, 25] == 255).all() and (wheel[0, 0] == 255).all()


def test_plot_flow_has_four_image_panels_and_labelled_colorbars():
    pair = flow_truth.moving_object((3, 2), size=32)
    fig = flow_show.plot_flow(pair.frame0, pair.flow, step=4, max_magnitude=5.0, title="object")
    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None and ax.images]
    assert len(panels) == 4 and fig.get_size_inches()[0] <= plotting.PAGE_WIDTH
    labels = {ax.get_ylabel() for ax in fig.axes}
    assert {"u (px)", "v (px)"} <= labels and fig.get_suptitle() == "object"
    arrows = panels[0].collections[0]
    assert len(arrows.U) == 64 and panels[0].get_ylim() == (31.5, -0.5)   # 8 x 8, y down
    assert all(not ax.get_xticks().size for ax in panels)
    _, ax = plt.subplots()
    assert flow_show.quiver(ax, pair.flow, color="red").N == 16 * 16    # default step: W / 16


@pytest.mark.parametrize("call, error, match", [
    (lambda: flow_show.flow_to_color(np.zeros((2, 4, 4))), ValueError, "flow.*torch"),
    (lambda: flow_show.flow_to_color(torch.zeros(3, 4, 4)), ValueError, r"flow.*\(3, 4, 4\)"),
    (lambda: flow_show.flow_to_color(torch.zeros(2, 2, 4, 4)), ValueError, "one flow"),
    (lambda: flow_show.flow_to_color(torch.zeros(2, 4, 4, dtype=torch.int64)), ValueError,
     "flow.*float"),
    (lambda: flow_show.flow_to_color(torch.zeros(2, 4, 4), max_magnitude=0), ValueError,
     "max_magnitude"),
    (lambda: flow_show.color_wheel(2), ValueError, "at least 3"),
    (lambda: flow_show.plot_flow(torch.rand(16, 17), torch.zeros(2, 16, 16)), ValueError,
     "flow's size"),
    (lambda: flow_show.quiver("axes", torch.zeros(2, 16, 16)), TypeError, "Axes"),
    (lambda: flow_show.plot_flow(torch.rand(16, 16), torch.zeros(2, 16, 16), columns=True),
     ValueError, "columns.*got True"),
    (lambda: flow_show.quiver(plt.figure().add_subplot(), torch.zeros(2, 8, 8), step=0),
     ValueError, "step"),
])
def test_flow_show_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_flow_to_color_keeps_the_largest_true_vector_inside_the_wheel():
    pair = flow_truth.moving_object((6, 3))                # max_motion is float32, sqrt(45)
    colours = flow_show.flow_to_color(pair.flow, max_magnitude=pair.max_motion)
    inside = pair.flow.norm(dim=0) > 0
    assert colours[inside.numpy()].max() == 255            # full saturation, not "beyond" (x 0.75)


def test_plot_flow_layout_options():
    pair = flow_truth.translation((1.0, 0.5), size=32)
    one = flow_show.plot_flow(pair.frame0, pair.flow, columns=1, width=4.0, arrow_scale=3)
    two = flow_show.plot_flow(pair.frame0, pair.flow, columns=2, width=6.0)
    assert one.get_size_inches()[0] == 4.0 and one.get_size_inches()[1] > two.get_size_inches()[1]
    assert "x3" in one.axes[0].get_title()                           # magnified arrows say so
    wide = flow_show.plot_flow(torch.rand(16, 40), torch.zeros(2, 16, 40))
    assert wide.get_size_inches()[1] > two.get_size_inches()[1] / 2  # wide frames: one column
    thin = flow_show.quiver(plt.figure().add_subplot(), pair.flow, width=0.02)
    assert thin.width == 0.02
    for bad in ({"columns": 3}, {"width": 6.5}, {"width": 1.0}):
        with pytest.raises(ValueError):
            flow_show.plot_flow(pair.frame0, pair.flow, **bad)
    plt.close("all")


def test_flow_panels_share_one_scale_and_end_with_the_legend():
    slow, fast = torch.zeros(2, 8, 12), torch.zeros(2, 8, 12)
    slow[0], fast[0] = 1.0, 2.0                                       # both to the right
    fig = flow_show.flow_panels({"slow": slow, "fast\nEPE 0": fast[None]}, frame=torch.rand(8, 12),
                                columns=2)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["frame 0", "slow", "fast\nEPE 0", "legend"]
    images = [ax.get_images()[0].get_array() for ax in titled]
    assert np.array_equal(images[2][0, 0], [255, 0, 0])               # the longest: saturated
    assert 100 < images[1][0, 0, 1] < 160                             # half as long: half as pale
    assert len(fig.axes) == 4 and fig.get_size_inches()[0] == 5.5
    plt.close(fig)


def test_flow_panels_draw_a_faint_frame_under_a_flow():
    field, frame = torch.zeros(2, 4, 4), torch.ones(4, 4)
    fig = flow_show.flow_panels({"still": field}, under={"still": frame}, legend=False)
    image = fig.axes[0].get_images()[0].get_array()
    assert np.allclose(image, 1.0)                                    # 0.3 white + 0.7 white
    plt.close(fig)


@pytest.mark.parametrize("call, error, match", [
    (lambda: flow_show.flow_panels({}), ValueError, "fields.*non-empty"),
    (lambda: flow_show.flow_panels([torch.zeros(2, 4, 4)]), ValueError, "fields.*list"),
    (lambda: flow_show.flow_panels({"a": torch.zeros(2, 4, 4), "b": torch.zeros(2, 4, 5)}),
     ValueError, r"one size.*\(4, 5\)"),
    (lambda: flow_show.flow_panels({"a": torch.zeros(2, 4, 4)}, under={"b": torch.ones(4, 4)}),
     ValueError, r"under.*\['b'\]"),
    (lambda: flow_show.flow_panels({"a": torch.zeros(2, 4, 4)}, width=8), ValueError,
     "width.*8"),
    (lambda: flow_show.flow_panels({"a": torch.zeros(2, 4, 4)}, columns=0), ValueError,
     "columns.*0"),
    (lambda: flow_show.flow_panels({"a": torch.zeros(2, 4, 4)}, frame=torch.ones(5, 5)),
     ValueError, r"\(4, 4\).*\(5, 5\)"),
])
def test_flow_panels_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
    plt.close("all")
