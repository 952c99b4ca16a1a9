"""Unit tests for lectures_lib.data.video_io: reading and writing video files, sample footage."""

import numpy as np
import pytest

from lectures_lib.data import video_io


@pytest.fixture
def frames() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(6, 8, 10, 3), dtype=np.uint8)


def test_ffv1_round_trip_is_lossless(tmp_path, frames):
    path = video_io.write_video(tmp_path / "clip.avi", frames, fps=12)
    back, fps = video_io.read_video(path)
    assert fps == pytest.approx(12)
    assert np.array_equal(back, frames)


def test_read_video_max_frames_and_resize(tmp_path, frames):
    path = video_io.write_video(tmp_path / "clip.avi", frames, fps=10)
    back, _ = video_io.read_video(path, max_frames=4, size=(4, 5))
    assert back.shape == (4, 4, 5, 3)
    with pytest.raises(ValueError, match="max_frames.*0"):
        video_io.read_video(path, max_frames=0)


def test_lossy_codec_round_trip_is_close(tmp_path):
    smooth = np.repeat(np.linspace(0, 255, 32, dtype=np.uint8)[None, None, :, None], 32, axis=1)
    frames = np.broadcast_to(smooth, (5, 32, 32, 3)).copy()
    back, _ = video_io.read_video(video_io.write_video(tmp_path / "clip.avi", frames, fps=5,
                                                       codec="MJPG"))
    assert back.shape == frames.shape
    assert np.abs(back.astype(int) - frames).mean() < 3


def test_read_video_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        video_io.read_video(tmp_path / "missing.avi")
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ValueError, match="garbage.avi"):
        video_io.read_video(garbage)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.mp4"):
        video_io.read_video(empty)


@pytest.mark.parametrize("codec, keep", [("FFV1", 0.5), ("FFV1", 0.9), ("MJPG", 0.9)])
def test_a_truncated_video_raises_not_a_shorter_one(tmp_path, codec, keep):
    frames = np.random.default_rng(0).integers(0, 256, size=(20, 32, 32, 3), dtype=np.uint8)
    data = video_io.write_video(tmp_path / "clip.avi", frames, fps=10, codec=codec).read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"cut.avi is truncated or corrupt: OpenCV decoded 1?\d "
                                         r"of the 20 frames its header announces"):
        video_io.read_video(cut)
    with pytest.raises(ValueError, match="of the 19 frames"):
        video_io.read_video(cut, max_frames=19)
    assert len(video_io.read_video(cut, max_frames=5)[0]) == 5     # the frames asked for are there


def test_write_video_errors(tmp_path, frames):
    with pytest.raises(ValueError, match="four-character codec"):
        video_io.write_video(tmp_path / "a.avi", frames, fps=5, codec="H26")
    with pytest.raises(ValueError, match="fps.*0"):
        video_io.write_video(tmp_path / "a.avi", frames, fps=0)
    with pytest.raises(ValueError, match="dtype uint8"):
        video_io.write_video(tmp_path / "a.avi", frames.astype(np.float32), fps=5)
    with pytest.raises(ValueError, match="cannot write codec 'FFV1'"):
        video_io.write_video(tmp_path / "no_such_dir" / "a.avi", frames, fps=5)
    with pytest.raises(ValueError, match="no empty axis"):
        video_io.write_video(tmp_path / "a.avi", frames[:0], fps=5)


def test_sample_video_is_real_footage():
    path = video_io.sample_video_path("bikes.mp4")
    frames, fps = video_io.read_video(path, max_frames=3)
    assert frames.shape == (3, 272, 640, 3) and fps == pytest.approx(25)
    assert frames.std() > 20                                  # a real scene, not a blank frame
    with pytest.raises(FileNotFoundError, match="bikes.mp4"):
        video_io.sample_video_path("nope.mp4")

def test_read_video_size_errors(tmp_path, frames):
    path = video_io.write_video(tmp_path / "clip.avi", frames, fps=10)
    with pytest.raises(ValueError, match=r"size must be \(H, W\)"):
        video_io.read_video(path, size=(4,))
    with pytest.raises(ValueError, match="width.*0"):
        video_io.read_video(path, size=(4, 0))


@pytest.mark.parametrize("call, error, match", [
    (lambda p, f: video_io.read_video(video_io.write_video(p, f, fps=5), size=112), ValueError,
     r"size.*112"),
    (lambda p, f: video_io.write_video(p, f[:, :7], fps=5), ValueError,
     r"even height and width .* got \(T, H, W, C\) = \(6, 7, 10, 3\)"),
    (lambda p, f: video_io.write_video(p, f, fps=float("inf")), ValueError,
     "fps.*inf"),
    (lambda p, f: video_io.sample_video_path(123), TypeError, "name must be a file name"),
])
def test_wrong_calls_name_what_was_expected(tmp_path, frames, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path / "clip.avi", frames)
