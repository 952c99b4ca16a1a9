"""Unit tests for lectures_lib.core.video: layouts, the one clip check, and clip samplers."""

import numpy as np
import pytest
import torch

from lectures_lib.core import video


@pytest.fixture
def frames() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(6, 8, 10, 3), dtype=np.uint8)


def test_frames_to_clip_layout_and_range(frames):
    clip = video.frames_to_clip(frames)
    assert clip.shape == (3, 6, 8, 10) and clip.dtype == torch.float32
    assert 0.0 <= clip.min() and clip.max() <= 1.0
    assert clip[1, 4, 2, 7] == pytest.approx(frames[4, 2, 7, 1] / 255)   # channel 1 of frame 4


def test_clip_round_trip_is_exact(frames):
    assert np.array_equal(video.clip_to_frames(video.frames_to_clip(frames)), frames)
    assert np.array_equal(video.clip_to_frames(video.frames_to_clip(torch.from_numpy(frames))),
                          frames)


def test_clip_to_frames_clamps_out_of_range_values():
    clip = torch.tensor([-0.5, 0.5, 1.5]).reshape(1, 3, 1, 1).expand(3, 3, 1, 1)
    assert video.clip_to_frames(clip)[:, 0, 0, 0].tolist() == [0, 128, 255]


def test_batch_round_trip_and_layout(frames):
    batch_frames = np.stack([frames, frames[::-1]])
    batch = video.frames_to_batch(batch_frames)
    assert batch.shape == (2, 3, 6, 8, 10)
    assert torch.equal(batch[1], video.frames_to_clip(frames[::-1].copy()))
    assert np.array_equal(video.batch_to_frames(batch), batch_frames)


def test_grayscale_frames_with_explicit_channels():
    gray = np.zeros((4, 5, 5, 1), dtype=np.uint8)
    assert video.frames_to_clip(gray, channels=1).shape == (1, 4, 5, 5)


@pytest.mark.parametrize("fn, bad, match", [
    (video.frames_to_clip, np.zeros((6, 8, 10), np.uint8),
     r"expected \(T, H, W, C\) with C=3, got \(6, 8, 10\)"),
    (video.frames_to_clip, np.zeros((6, 8, 10, 4), np.uint8), r"C=3, got \(6, 8, 10, 4\)"),
    (video.frames_to_clip, np.zeros((6, 8, 10, 3), np.float32), "dtype uint8, got float32"),
    (video.clip_to_frames, torch.zeros(6, 3, 8, 10),
     r"expected \(C, T, H, W\) with C=3, got \(6, 3, 8, 10\)"),
    (video.clip_to_frames, torch.zeros(3, 6, 8, 10, dtype=torch.uint8),
     "floating-point torch tensor"),
    (video.clip_to_frames, np.zeros((3, 6, 8, 10), np.float32), "floating-point torch tensor"),
    (video.frames_to_batch, np.zeros((6, 8, 10, 3), np.uint8),
     r"\(B, T, H, W, C\) with C=3, got \(6, 8, 10, 3\)"),
    (video.frames_to_batch, np.zeros((2, 6, 8, 10, 3), np.int16), "dtype uint8, got int16"),
    (video.batch_to_frames, torch.zeros(2, 6, 3, 8, 10), r"\(B, C, T, H, W\) with C=3"),
    (video.batch_to_frames, torch.zeros(2, 3, 6, 8, 10, dtype=torch.int64), "floating-point"),
    (video.frames_to_clip, np.zeros((0, 8, 10, 3), np.uint8), "no empty axis"),
])
def test_layout_errors_name_expected_and_received(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad)


def test_time_first_is_a_view_and_inverts(frames):
    clip = video.frames_to_clip(frames)
    tf = video.channels_first_to_time_first(clip)
    assert tf.shape == (6, 3, 8, 10) and tf.data_ptr() == clip.data_ptr()
    assert torch.equal(tf[4, 1], clip[1, 4])
    assert torch.equal(video.time_first_to_channels_first(tf), clip)
    batch = clip.unsqueeze(0)
    assert video.channels_first_to_time_first(batch).shape == (1, 6, 3, 8, 10)
    for fn in (video.channels_first_to_time_first, video.time_first_to_channels_first):
        with pytest.raises(ValueError, match=r"got shape \(3, 8\)"):
            fn(torch.zeros(3, 8))


def test_fold_time_orders_rows_clip_major():
    batch = torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).reshape(2, 3, 4, 2, 2)
    folded = video.fold_time(batch)
    assert folded.shape == (8, 3, 2, 2)
    for b in range(2):
        for t in range(4):
            assert torch.equal(folded[b * 4 + t], batch[b, :, t])
    assert torch.equal(video.unfold_time(folded, 4).transpose(1, 2), batch)
    assert video.unfold_time(torch.zeros(8, 5), 4).shape == (2, 4, 5)


def test_fold_and_unfold_errors():
    with pytest.raises(ValueError, match=r"expected \(B, C, T, H, W\), got shape \(3, 4, 2, 2\)"):
        video.fold_time(torch.zeros(3, 4, 2, 2))
    with pytest.raises(ValueError, match=r"divisible by T=3, got shape \(8, 5\)"):
        video.unfold_time(torch.zeros(8, 5), 3)
    with pytest.raises(ValueError, match="T=0"):
        video.unfold_time(torch.zeros(8, 5), 0)


@pytest.mark.parametrize("n, src, dst, expected", [
    (30, 30, 5, [0, 6, 12, 18, 24]),
    (10, 25, 5, [0, 5]),
    (3, 5, 10, [0, 0, 1, 1, 2, 2]),                           # upsampling repeats frames
    (7, 30, 30, list(range(7))),
])
def test_resample_indices(n, src, dst, expected):
    assert video.resample_indices(n, src, dst).tolist() == expected


def test_resample_keeps_the_duration():
    idx = video.resample_indices(250, 25, 5)
    assert len(idx) == 50 and idx[-1] == 245


def test_clip_indices_stride_and_clamping():
    assert video.clip_indices(20, 3, 4, stride=2).tolist() == [3, 5, 7, 9]
    assert video.clip_indices(5, 3, 4).tolist() == [3, 4, 4, 4]


def test_uniform_clips_cover_the_video():
    clips = video.uniform_clips(250, 16, 4, stride=5)
    assert clips.shape == (4, 16)
    assert clips[0, 0] == 0 and clips[-1, -1] == 249
    assert (np.diff(clips, axis=1) == 5).all()
    assert np.all(np.diff(clips[:, 0]) > 0)
    assert video.uniform_clips(5, 8, 3).tolist() == [[0, 1, 2, 3, 4, 4, 4, 4]] * 3  # short video
    assert video.uniform_clips(30, 10, 1).tolist() == [list(range(10, 20))]  # the middle clip


def test_random_clip_is_seeded_and_in_range():
    a = video.random_clip(100, 8, stride=3, rng=7)
    assert a.tolist() == video.random_clip(100, 8, stride=3, rng=7).tolist()
    rng = np.random.default_rng(0)
    starts = {int(video.random_clip(30, 10, rng=rng)[0]) for _ in range(500)}
    assert starts == set(range(21))                          # every start that fits, and no other


@pytest.mark.parametrize("call, match", [
    (lambda: video.resample_indices(0, 30, 5), "num_frames must be a positive integer, got 0"),
    (lambda: video.resample_indices(10, 30, 0), "dst_fps must be a positive number, got 0"),
    (lambda: video.clip_indices(10, 10, 4), r"start must be in \[0, 10\), got 10"),
    (lambda: video.clip_indices(10, 0, 0), "clip_len must be a positive integer"),
    (lambda: video.uniform_clips(10, 4, 0), "num_clips must be a positive integer"),
    (lambda: video.random_clip(10, 4, stride=0), "stride must be a positive integer"),
])
def test_sampler_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_check_clips_names_layout_frames_and_dtype():
    video.check_clips(torch.zeros(2, 3, 4, 8, 8), channels=3, frames=4)
    with pytest.raises(ValueError, match=r"with C=3, T=5, got \(2, 3, 4, 8, 8\)"):
        video.check_clips(torch.zeros(2, 3, 4, 8, 8), channels=3, frames=5)
    with pytest.raises(ValueError, match="floating-point"):
        video.check_clips(torch.zeros(2, 3, 4, 8, 8, dtype=torch.uint8), channels=3)
    with pytest.raises(ValueError, match="no empty axis"):
        video.check_clips(torch.zeros(0, 3, 4, 8, 8), channels=3)
    with pytest.raises(TypeError, match="got list"):
        video.check_clips([[0.0]], channels=3)


U8 = np.zeros((2, 4, 4, 3), np.uint8)


@pytest.mark.parametrize("call, error, match", [
    (lambda: video.check_layout(U8, "(T, H, W)", channels=3), ValueError,
     r"layout.*'\(T, H, W\)'"),
    (lambda: video.check_layout(U8, "(T, H, W, C)", channels=3, dtype="int8"), ValueError,
     "dtype.*'int8'"),
    (lambda: video.check_clips(torch.zeros(2, 3, 4, 8, 8), channels="3"), ValueError,
     "channels.*'3'"),
    (lambda: video.frames_to_clip(U8, channels=0), ValueError,
     "channels.*0"),
    (lambda: video.fold_time(np.zeros((2, 3, 4, 2, 2))), TypeError,
     "batch.*ndarray"),
    (lambda: video.unfold_time([1, 2], 2), TypeError, "folded.*list"),
    (lambda: video.unfold_time(torch.zeros(8, 5), 2.5), TypeError,
     "num_frames.*2.5"),
    (lambda: video.channels_first_to_time_first([[1.0]]), TypeError,
     "clip.*list"),
    (lambda: video.time_first_to_channels_first(None), TypeError,
     "clip.*NoneType"),
    (lambda: video.clip_indices(10, 2.5, 4), TypeError, "start.*2.5"),
    (lambda: video.resample_indices(10, 30, float("inf")), ValueError,
     "dst_fps.*inf"),
    (lambda: video.random_clip(10, 4, rng=-1), ValueError, "rng.*-1"),
    (lambda: video.random_clip(10, 4, rng="a"), TypeError, "rng.*'a'"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_to_uint8_rounds_to_the_nearest_level_and_clips():
    x = torch.tensor([-0.1, 0.0, 0.5 / 255, 0.6 / 255, 0.5, 1.0, 1.2])
    assert video.to_uint8(x).tolist() == [0, 0, 0, 1, 128, 255, 255]
    frames = np.random.default_rng(0).integers(0, 256, (2, 3, 4, 3), dtype=np.uint8)
    assert np.array_equal(video.to_uint8(video.frames_to_clip(frames)).permute(1, 2, 3, 0), frames)
    with pytest.raises(ValueError, match="x.*torch.uint8"):
        video.to_uint8(torch.zeros(2, dtype=torch.uint8))
    with pytest.raises(TypeError, match="x.*ndarray"):
        video.to_uint8(np.zeros(2))
