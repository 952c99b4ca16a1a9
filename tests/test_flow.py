"""The book's optical flow (lectures_lib.flow, lectures_lib.flow.ops) against exact ground truth
and OpenCV."""

import cv2
import numpy as np
import pytest
import torch

from lectures_lib import flow
from lectures_lib.flow import reference as flow_reference
from lectures_lib.flow import truth as flow_truth

PAIRS = {p.name: p for p in flow_truth.standard_pairs()}


def epe(estimate: torch.Tensor, pair: flow_truth.FlowPair) -> float:
    return float(flow.endpoint_error(estimate, pair.flow, mask=pair.valid))


@pytest.fixture(scope="module")
def small_motion():
    return [p for p in PAIRS.values() if p.max_motion <= 2]


def test_lucas_kanade_is_within_2x_of_farneback_on_motion_up_to_2px(small_motion):
    assert len(small_motion) >= 2
    for pair in small_motion:
        lk = epe(flow.lucas_kanade(pair.frame0, pair.frame1), pair)
        fb = epe(flow_reference.farneback(pair.frame0, pair.frame1), pair)
        assert lk <= 2 * fb + 0.005, (pair.name, lk, fb)
        assert lk < 0.05, (pair.name, lk)


def test_pyramid_follows_8px_and_the_moving_object():
    for name in ("shift (8, -5)", "moving object (6, 3)"):
        pair = PAIRS[name]
        assert epe(flow.lucas_kanade(pair.frame0, pair.frame1), pair) < 0.5, name
    big = PAIRS["shift (8, -5)"]
    without = flow.lucas_kanade(big.frame0, big.frame1, levels=1)
    assert epe(without, big) > 2, "one level linearises: it cannot follow 8 px"


def test_every_standard_pair_is_followed_by_lucas_kanade_and_horn_schunck():
    for pair in PAIRS.values():
        assert epe(flow.lucas_kanade(pair.frame0, pair.frame1), pair) < 0.5, pair.name
        assert epe(flow.horn_schunck(pair.frame0, pair.frame1), pair) < 0.5, pair.name


def test_the_sign_convention_matches_opencv_on_a_translation():
    pair = flow_truth.translation((1.5, -0.75), size=64)
    ours = flow.lucas_kanade(pair.frame0, pair.frame1)
    theirs = flow_reference.dis(pair.frame0, pair.frame1)
    assert epe(ours, pair) < 0.1 and epe(theirs, pair) < 0.1
    inner = (slice(None), slice(8, -8), slice(8, -8))
    assert ours[inner].mean((1, 2)) == pytest.approx(torch.tensor([1.5, -0.75]), abs=0.05)


def test_batched_flow_equals_flow_pair_by_pair():
    pairs = [PAIRS["shift (1.5, -0.75)"], PAIRS["rotation 3°"]]
    f0 = torch.stack([p.frame0 for p in pairs])
    f1 = torch.stack([p.frame1 for p in pairs])
    for method in (flow.lucas_kanade, flow.horn_schunck):
        batched = method(f0, f1)
        assert batched.shape == (2, 2, 112, 112)
        for i, p in enumerate(pairs):
            torch.testing.assert_close(batched[i], method(p.frame0, p.frame1), atol=1e-4, rtol=0)


def test_aperture_problem_only_the_motion_across_an_edge_is_seen():
    x = torch.arange(64.0)
    edge = torch.sigmoid((x.view(1, -1) - 32.0) / 2).expand(64, 64)      # a vertical edge
    moved = torch.sigmoid((x.view(1, -1) - 32.5) / 2).expand(64, 64)     # moved by (0.5, 0.5)
    estimate = flow.lucas_kanade(edge, moved, levels=1)
    u, v = estimate[:, 20:44, 28:36].mean((1, 2))
    assert u == pytest.approx(0.5, abs=0.05)                             # across the edge
    assert abs(float(v)) < 0.01                                          # along it: invisible


def test_flat_patch_gives_zero_flow_from_lucas_kanade():
    flat = torch.full((32, 32), 0.5)
    assert flow.lucas_kanade(flat, flat).abs().max() == 0


def test_warp_undoes_the_truth_and_is_exact_at_whole_pixels():
    pair = PAIRS["rotation 3°"]
    back = flow.warp(pair.frame1[None, None], pair.flow[None])[0, 0]
    assert (back - pair.frame0)[pair.valid].abs().mean() < 1e-3
    image = torch.rand(1, 1, 8, 8)
    shift = torch.zeros(1, 2, 8, 8)
    shift[:, 0] = 1
    torch.testing.assert_close(flow.warp(image, shift)[..., :-1], image[..., 1:])


def test_cubic_warp_reproduces_quadratics_so_it_has_no_fractional_bias():
    x = torch.arange(12.0)
    image = (0.02 * x ** 2 + 0.1 * x).view(1, 1, 1, 12).expand(1, 1, 12, 12).contiguous()
    shift = torch.zeros(1, 2, 12, 12)
    shift[:, 0] = 0.4
    expected = 0.02 * (x + 0.4) ** 2 + 0.1 * (x + 0.4)
    torch.testing.assert_close(flow.warp(image, shift)[0, 0, 5, 1:-2], expected[1:-2])


def test_inside_marks_points_that_leave_the_frame():
    f = torch.zeros(1, 2, 4, 5)
    f[:, 0] = 2
    mask = flow.inside(f)[0, 0]
    assert mask.shape == (4, 5) and mask[:, :3].all() and not mask[:, 3:].any()


def test_endpoint_error_mask_and_margin():
    truth = torch.zeros(2, 10, 10)
    est = torch.zeros(2, 10, 10)
    est[0, 0, :] = 3.0
    est[1, 0, :] = 4.0                                                   # |(3, 4)| = 5 on row 0
    assert float(flow.endpoint_error(est, truth)) == pytest.approx(0.5)
    assert float(flow.endpoint_error(est, truth, margin=1)) == 0
    mask = torch.zeros(10, 10, dtype=torch.bool)
    mask[0] = True
    assert float(flow.endpoint_error(est, truth, mask=mask)) == pytest.approx(5.0)
    assert flow.endpoint_error(est[None].repeat(3, 1, 1, 1), truth[None].repeat(3, 1, 1, 1)).shape \
        == (3,)


def test_photometric_error_is_zero_for_the_true_whole_pixel_shift():
    shift = flow_truth.translation((2.0, -1.0), size=32)
    exact = flow.photometric_error(shift.frame0, shift.frame1, shift.flow, margin=4)
    still = flow.photometric_error(shift.frame0, shift.frame1, torch.zeros(2, 32, 32), margin=4)
    assert exact.ndim == 0 and exact < 1e-5 < 0.01 < still
    batch = flow.photometric_error(torch.stack([shift.frame0] * 3)[:, None],
                                   torch.stack([shift.frame1] * 3)[:, None], shift.flow[None])
    assert batch.shape == (3,) and torch.allclose(batch, batch[0])
    with pytest.raises(ValueError, match="margin 16.*32 x 32"):
        flow.photometric_error(shift.frame0, shift.frame1, shift.flow, margin=16)
    with pytest.raises(ValueError, match=r"flow.*\(1, 2, 8, 8\)"):
        flow.photometric_error(shift.frame0, shift.frame1, torch.zeros(1, 2, 8, 8))


def test_as_gray_reads_uint8_rgb_and_numpy_like_opencv():
    rgb = np.random.default_rng(0).integers(0, 256, (2, 3, 6, 8), dtype=np.uint8)
    gray = flow.as_gray(rgb)
    assert gray.shape == (2, 1, 6, 8) and gray.dtype == torch.float32
    reference = cv2.cvtColor(rgb[0].transpose(1, 2, 0).copy(), cv2.COLOR_RGB2GRAY) / 255
    assert np.abs(gray[0, 0].numpy() - reference).max() < 1 / 255 + 1e-6
    assert flow.as_gray(torch.rand(5, 7)).shape == (1, 1, 5, 7)
    assert flow.as_gray(torch.rand(3, 5, 7)).shape == (3, 1, 5, 7)


def test_gaussian_window_keeps_a_constant_image():
    image = torch.full((2, 3, 9, 9), 0.25)
    torch.testing.assert_close(flow.gaussian_window(image, 5), image)


@pytest.mark.parametrize("frame0, frame1, message", [
    (torch.rand(8, 8), torch.rand(8, 9), "same size"),
    (torch.rand(2, 2, 8, 8), torch.rand(2, 2, 8, 8), "C 1 or 3"),
    (torch.rand(8), torch.rand(8), "(H, W)"),
    (torch.randint(0, 9, (8, 8)), torch.randint(0, 9, (8, 8)), "uint8 or floating"),
    (torch.full((8, 8), float("nan")), torch.rand(8, 8), "NaN"),
    (torch.rand(1, 8), torch.rand(1, 8), "at least 2 x 2"),
    ([[0.0]], torch.rand(8, 8), "torch tensor or numpy"),
])
def test_bad_frames_get_a_clear_error(frame0, frame1, message):
    for method in (flow.lucas_kanade, flow.horn_schunck):
        with pytest.raises((ValueError, TypeError), match=message):
            method(frame0, frame1)


def test_bad_options_and_flows_get_a_clear_error():
    frames = torch.rand(16, 16), torch.rand(16, 16)
    with pytest.raises(ValueError, match="window must be odd"):
        flow.lucas_kanade(*frames, window=4)
    with pytest.raises(ValueError, match="levels"):
        flow.lucas_kanade(*frames, levels=0)
    with pytest.raises(ValueError, match="alpha"):
        flow.horn_schunck(*frames, alpha=0)
    with pytest.raises(ValueError, match=r"\(u, v\)"):
        flow.endpoint_error(torch.zeros(3, 4, 4), torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="same shape"):
        flow.endpoint_error(torch.zeros(2, 4, 4), torch.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="no pixel"):
        flow.endpoint_error(torch.zeros(2, 4, 4), torch.zeros(2, 4, 4), margin=2)
    with pytest.raises(ValueError, match="same B, H, W"):
        flow.warp(torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 4, 5))


@pytest.mark.parametrize("call, error, match", [
    (lambda: flow.pyramid(torch.rand(1, 32, 32), 3), ValueError, r"image.*\(1, 32, 32\)"),
    (lambda: flow.pyramid(torch.rand(32, 32), 1), ValueError, r"image.*\(32, 32\)"),
    (lambda: flow.pyramid(torch.ones(1, 1, 32, 32, dtype=torch.int64), 2), ValueError,
     r"image.*int64"),
    (lambda: flow.pyramid("image", 2), TypeError, "image.*str"),
    (lambda: flow.gradients(torch.rand(8, 8)), ValueError, r"image.*\(8, 8\)"),
    (lambda: flow.gradients(torch.zeros(1, 1, 8, 8, dtype=torch.uint8)), ValueError,
     r"image.*uint8"),
    (lambda: flow.resize_flow(torch.rand(1, 2, 8, 8), (0, 8)), ValueError, r"size\[0\].*got 0"),
    (lambda: flow.resize_flow(torch.rand(1, 2, 8, 8), 8), ValueError, "size.*got 8"),
    (lambda: flow.resize_flow(torch.rand(2, 8, 8), (8, 8)), ValueError, r"flow.*\(2, 8, 8\)"),
    (lambda: flow.resize_flow(torch.rand(1, 3, 8, 8), (8, 8)), ValueError,
     r"flow.*\(1, 3, 8, 8\)"),
    (lambda: flow.gaussian_window(torch.rand(1, 2, 8, 8), 0), ValueError, "window.*got 0"),
    (lambda: flow.endpoint_error(torch.zeros(2, 4, 4), torch.zeros(2, 4, 4),
                                 mask=torch.full((4, 4), 0.5)), ValueError, "mask.*float32"),
    (lambda: flow.endpoint_error(torch.zeros(2, 2, 4, 4), torch.zeros(2, 2, 4, 4),
                                 mask=torch.ones(3, 4, 4, dtype=torch.bool)), ValueError,
     r"mask.*\(3, 4, 4\).*\(2, 2, 4, 4\)"),
    (lambda: flow.gaussian_window(torch.rand(1, 2, 8, 8), 4), ValueError, "window.*odd.*got 4"),
    (lambda: flow.gaussian_window(torch.rand(2, 8, 8), 3), ValueError, r"x.*\(2, 8, 8\)"),
    (lambda: flow.neighbour_average(torch.rand(1, 1, 8, 8)), ValueError,
     r"flow.*\(1, 1, 8, 8\)"),
    (lambda: flow.coarse_to_fine(torch.rand(16, 16), torch.rand(16, 16), "lucas_kanade",
                                 levels=1, warps=1), TypeError, "step.*'lucas_kanade'"),
])
def test_flow_ops_name_the_argument_and_the_value_they_got(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_one_table_names_the_four_flow_methods_for_chapter_store_and_explorer():
    from lectures_lib.flow import methods, reference, store
    from lectures_lib.viz import widgets

    assert list(methods.METHODS) == ["lucas_kanade", "horn_schunck", "farneback", "dis"]
    assert methods.by_short_name() == {"LK": flow.lucas_kanade, "HS": flow.horn_schunck,
                                       "Farneback": reference.farneback, "DIS": reference.dis}
    assert widgets.FLOW_METHODS == [(m.label, (m.estimate, m.knobs))
                                    for m in methods.METHODS.values()]
    for key in methods.METHODS:
        assert store.FlowStoreSpec(method=key).method == key
    with pytest.raises(ValueError, match="method must be one of .*'lucas_kanade'"):
        store.FlowStoreSpec(method="lk")
    with pytest.raises(TypeError, match="estimate.*'lucas_kanade'"):
        methods.FlowMethod("lk", "LK", "LK", "lucas_kanade")
