"""Unit tests for the mini video dataset (lectures_lib.data, lectures_lib.data.synthetic)."""

import numpy as np
import pytest
import torch

from lectures_lib import data
from lectures_lib.data import drawing, events, synthetic


def test_videos_are_deterministic_per_seed_split_and_index():
    a = data.MiniVideos("train", 6)
    b = data.MiniVideos("train", 6)
    assert torch.equal(a.batch([3, 5])[0], b.batch([3, 5])[0])
    assert torch.equal(a[4][0], a.batch([2, 4])[0][1])               # one at a time == batched
    assert not torch.equal(a[4][0], data.MiniVideos("val", 6)[4][0])
    assert not torch.equal(a[4][0], data.MiniVideos("train", 6, seed=1)[4][0])


def test_items_are_clips_in_unit_range_with_8_bit_levels():
    clip, label = data.MiniVideos("train", 8)[3]
    assert clip.shape == (3, 16, 32, 32) and clip.dtype == torch.float32 and label == 3
    assert 0 <= clip.min() and clip.max() <= 1
    assert torch.equal(clip * 255, (clip * 255).round())


def test_labels_are_balanced():
    ds = data.MiniVideos("train", 80)
    assert torch.bincount(ds.labels).tolist() == [10] * 8
    assert (data.MiniVideos("val", 6, data.MiniVideoConfig(task="order")).classes
            == data.ORDER_CLASSES)


def class_moments(bias: float, n: int = 800) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class mean frame and mean squared frame, pooled over all frames: (K, 3, H, W) each."""
    ds = data.MiniVideos("test", n, data.MiniVideoConfig(appearance_bias=bias))
    x, y = ds.batch(range(n))
    first = torch.stack([x[y == k].mean(dim=(0, 2)) for k in range(8)])
    second = torch.stack([(x[y == k] ** 2).mean(dim=(0, 2)) for k in range(8)])
    return first, second


def test_single_frames_cannot_tell_the_classes_apart():
    """Pooled over time, every class has the same per-pixel frame statistics (bias 0)...

    ...so a model that sees frames one at a time has nothing to go on. The same statistic on biased
    data (the scene reveals the class) is far apart, which shows the test can fail.
    """
    first, second = class_moments(0.0)
    spread = (first - first.mean(0)).abs().mean().item()
    spread2 = (second - second.mean(0)).abs().mean().item()
    biased_first, _ = class_moments(1.0)
    biased_spread = (biased_first - biased_first.mean(0)).abs().mean().item()
    assert spread < 0.02 and spread2 < 0.02
    assert biased_spread > 4 * spread


def test_moving_attribute_matches_the_label_and_reversal_pairs_mirror():
    cfg = data.MiniVideoConfig()
    rates = {}
    for index, name in enumerate(data.MOTION_CLASSES):
        p = synthetic.sample_params(cfg, 0, "train", index)
        moving = {k: float(p[k][0, 0]) for k in ("dx", "dy", "dlogr", "dangle") if p[k][0, 0] != 0}
        assert len(moving) == 1, name
        rates[name] = moving
    for a, b in [("right", "left"), ("down", "up"), ("grow", "shrink"),
                 ("clockwise", "counterclockwise")]:
        (ka, va), (kb, vb) = next(iter(rates[a].items())), next(iter(rates[b].items()))
        assert ka == kb and va > 0 > vb


def test_appearance_bias_ties_the_tint_to_the_class():
    def tint_index(cfg, i):
        tint = synthetic.sample_params(cfg, 0, "train", i)["tint"][0]
        return int(np.argmin(np.abs(synthetic.TINTS / synthetic.TINTS.sum(1, keepdims=True)
                                    - tint / tint.sum()).sum(1)))
    full = data.MiniVideoConfig(appearance_bias=1.0)
    assert all(tint_index(full, i) == i % 8 for i in range(40))
    none = data.MiniVideoConfig(appearance_bias=0.0)
    agree = np.mean([tint_index(none, i) == i % 8 for i in range(800)])
    half = np.mean([tint_index(data.MiniVideoConfig(appearance_bias=0.5), i) == i % 8
                    for i in range(800)])
    assert agree < 0.2 and 0.45 < half < 0.65                        # 1/8 and 1/2 + 1/16 expected


def test_order_task_label_is_which_object_flashes_first():
    cfg = data.MiniVideoConfig(task="order")
    for i in range(20):
        square_t, disk_t = synthetic.sample_params(cfg, 0, "test", i)["flash"][0]
        assert (square_t < disk_t) == (i % 2 == 0)


def test_every_flash_of_the_order_task_changes_the_colour():
    """An object flashes white: none may be near-white already, or its flash is a size change."""
    cfg = data.MiniVideoConfig(task="order")
    colours = np.concatenate([synthetic.sample_params(cfg, 0, "train", i)["colour"][0]
                              for i in range(60)])                  # (120, 3)
    assert (1 - colours).max(axis=1).min() >= 0.7                      # some channel far from 1
    motion = np.concatenate([synthetic.sample_params(data.MiniVideoConfig(), 0, "train", i)
                             ["colour"][0] for i in range(60)])
    assert (motion > 0.9).all(axis=1).any()                            # the motion task keeps it


def test_clips_multi_clips_and_epochs():
    cfg = data.MiniVideoConfig(frames=24)
    train = data.MiniVideos("train", 4, cfg, clip_len=16)
    first = train.batch([0, 1])[0]
    assert first.shape == (2, 3, 16, 32, 32)
    assert torch.equal(first, train.batch([0, 1])[0])
    train.set_epoch(1)
    assert not torch.equal(first, train.batch([0, 1])[0])           # a new random clip per epoch
    test = data.MiniVideos("test", 4, cfg, clip_len=16, num_clips=3)
    clips, _ = test.batch([2])
    whole, _ = data.MiniVideos("test", 4, cfg).batch([2])
    assert clips.shape == (1, 3, 3, 16, 32, 32)
    assert torch.equal(clips[0, 0], whole[0, :, :16]) and torch.equal(clips[0, 2], whole[0, :, 8:])


@pytest.mark.parametrize("cache", [False, True])
def test_other_clips_of_the_same_videos_are_cut_without_drawing_again(cache):
    cfg = data.MiniVideoConfig(frames=24)
    videos = data.MiniVideos("test", 4, cfg, cache=cache)
    for clip_len, num_clips in ((16, 3), (16, None), (None, None)):
        view = videos.with_clips(clip_len, num_clips)
        fresh = data.MiniVideos("test", 4, cfg, clip_len=clip_len, num_clips=num_clips)
        assert torch.equal(view.batch([3, 1])[0], fresh.batch([3, 1])[0])
        assert view.labels is videos.labels and view.bank is videos.bank     # shared, not redrawn
    assert videos.clip_len is None and videos.num_clips is None        # the original is unchanged
    with pytest.raises(ValueError, match="clip_len.*25"):
        videos.with_clips(25)
    with pytest.raises(ValueError, match="num_clips needs clip_len"):
        videos.with_clips(None, 3)


def test_single_test_clip_is_the_middle_one():
    cfg = data.MiniVideoConfig(frames=24)
    clips, _ = data.MiniVideos("test", 2, cfg, clip_len=16, num_clips=1).batch([1])
    whole, _ = data.MiniVideos("test", 2, cfg).batch([1])
    assert torch.equal(clips[0, 0], whole[0, :, 4:20])


def test_cache_returns_exactly_what_was_drawn():
    assert torch.equal(data.MiniVideos("val", 10, cache=True).batch([7, 2])[0],
                       data.MiniVideos("val", 10).batch([7, 2])[0])
    across = [69, 3, 64, 63]                      # videos drawn in different chunks of the cache
    assert torch.equal(data.MiniVideos("val", 70, cache=True).batch(across)[0],
                       data.MiniVideos("val", 70).batch(across)[0])
    cfg = data.MiniVideoConfig(frames=20)
    for kwargs in (dict(clip_len=8), dict(clip_len=8, num_clips=3)):
        cached = data.MiniVideos("train", 6, cfg, cache=True, **kwargs)
        drawn = data.MiniVideos("train", 6, cfg, **kwargs)
        for epoch in (0, 3):
            cached.set_epoch(epoch)
            drawn.set_epoch(epoch)
            assert torch.equal(cached.batch([5, 0, 3])[0], drawn.batch([5, 0, 3])[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(task="dance"), "task must be 'motion' or 'order'"),
    (dict(appearance_bias=1.5), r"appearance_bias must be in \[0, 1\]"),
    (dict(speed=(1.0, 0.5)), "0 < low <= high"),
    (dict(frames=40), "do not fit"),
    (dict(height=6), "every size >= 8"),
    (dict(noise=-0.1), "jitter and noise must be >= 0"),
    (dict(occlusion=2.0), r"occlusion in \[0, 1\]"),
])
def test_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.MiniVideoConfig(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(size=0), "size must be a positive integer, got 0"),
    (dict(size=2, num_clips=0, clip_len=4), "num_clips must be a positive integer, got 0"),
    (dict(size=4, clip_len=20), r"clip_len must be in \[1, 16\]"),
    (dict(size=4, num_clips=2), "num_clips needs clip_len"),
])
def test_dataset_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.MiniVideos("train", **kwargs)
    with pytest.raises(ValueError, match="split must be one of"):
        data.MiniVideos("dev", 4)
    with pytest.raises(IndexError, match=r"indices must be in \[0, 4\)"):
        data.MiniVideos("train", 4).batch([4])


def test_standard_splits_are_the_same_videos_everywhere():
    small = data.MiniVideoConfig(frames=8, height=16, width=16)
    splits = data.standard_splits(small)
    assert {k: len(v) for k, v in splits.items()} == data.STANDARD_SIZES
    again = data.standard_splits(small)
    assert torch.equal(splits["val"].batch(range(3))[0], again["val"].batch(range(3))[0])
    assert splits["test"]._cache is not None                           # drawn once, kept in memory
    clipped = data.standard_splits(data.MiniVideoConfig(frames=10, height=16, width=16),
                                   clip_len=4, num_clips=2)
    assert clipped["test"][0][0].shape == (2, 3, 4, 16, 16)
    assert list(data.standard_splits(small, splits=("test",))) == ["test"]
    with pytest.raises(ValueError, match="split must be one of"):
        data.standard_splits(small, splits=("dev",))
    with pytest.raises(TypeError):
        data.standard_splits(small, size=3)


def test_event_in_time_places_the_video_and_holds_its_ends():
    from lectures_lib.data import events
    videos = data.MiniVideos("test", 4, data.MiniVideoConfig(frames=8, height=16, width=16))
    base, labels = videos.batch([0, 1])                                # (2, 3, 8, 16, 16)
    late, same = events.EventInTime(videos, 12, start=4).batch([0, 1])
    assert late.shape == (2, 3, 12, 16, 16) and torch.equal(same, labels)
    assert torch.equal(late[:, :, 4:], base)                           # the event, frames 4-11
    assert all(torch.equal(late[:, :, t], base[:, :, 0]) for t in range(4))  # its first frame held
    early = events.EventInTime(videos, 12).batch([0])[0]
    assert torch.equal(early[:, :, :8], base[:1]) and torch.equal(early[:, :, 11], base[:1, :, 7])
    moving = events.EventInTime(videos, 12, start="random", seed=3)
    first = moving.batch([0, 1, 2, 3])[0]
    moving.set_epoch(1)
    assert not torch.equal(first, moving.batch([0, 1, 2, 3])[0])       # new starts each epoch
    assert moving[2][0].shape == (3, 12, 16, 16) and len(moving) == 4


@pytest.mark.parametrize("kwargs, match", [
    (dict(frames=6), "frames must be an integer >= the videos' 8 frames, got 6"),
    (dict(frames=12, start=5), r"start must be 'random' or an integer in \[0, 4\], got 5"),
    (dict(frames=12, start="late"), "start must be 'random' or an integer"),
])
def test_event_in_time_errors(kwargs, match):
    from lectures_lib.data import events
    videos = data.MiniVideos("test", 2, data.MiniVideoConfig(frames=8, height=16, width=16))
    with pytest.raises(ValueError, match=match):
        events.EventInTime(videos, **kwargs)
    with pytest.raises(TypeError, match="whole videos"):
        events.EventInTime(data.MiniVideos("test", 2, data.MiniVideoConfig(), clip_len=4), 20)


CFG = data.MiniVideoConfig(frames=8, height=16, width=16)


@pytest.mark.parametrize("call, error, match", [
    (lambda: data.MiniVideoConfig(frames=16.5), ValueError,
     "frames.*16.5"),
    (lambda: data.MiniVideoConfig(speed=0.5), ValueError,
     r"speed.*0.5"),
    (lambda: data.MiniVideoConfig(speed=(0.5, 1.0, 2.0)), ValueError,
     r"speed must be a range \(low, high\)"),
    (lambda: data.MiniVideoConfig(jitter=float("nan")), ValueError,
     "jitter.*nan"),
    (lambda: data.MiniVideoConfig(appearance_bias="high"), ValueError,
     "appearance_bias.*'high'"),
    (lambda: data.MiniVideos("train", 4, CFG, clip_len=4.5), TypeError,
     "clip_len.*4.5"),
    (lambda: data.MiniVideos("train", 4, CFG, seed=-1), ValueError,
     "seed.*-1"),
    (lambda: data.MiniVideos("train", 4, CFG).batch([1.5]), TypeError,
     r"indices.*\[1.5\]"),
    (lambda: data.MiniVideos("train", 4, CFG).set_epoch("next"), TypeError,
     "epoch.*'next'"),
    (lambda: data.standard_splits(splits="train"), ValueError,
     "splits.*'train'"),
    (lambda: synthetic.sample_params({}, 0, "train", 0), TypeError,
     "config.*dict"),
    (lambda: synthetic.sample_params(CFG, 0, "train", -1), ValueError,
     "index.*-1"),
    (lambda: drawing.noise_bank("config", 0), TypeError, "config must be a MiniVideoConfig"),
    (lambda: drawing.render(synthetic.sample_params(CFG, 0, "train", 0), np.array([[0, 8]]), CFG,
                            drawing.noise_bank(CFG, 0)), ValueError,
     r"times must be \(B, Tc\) integer frame indices in \[0, 8\) for the B = 1 videos"),
    (lambda: drawing.render(synthetic.sample_params(CFG, 0, "train", 0), np.array([[0.5]]), CFG,
                            drawing.noise_bank(CFG, 0)), ValueError, "got torch.float64"),
    (lambda: drawing.render(synthetic.sample_params(CFG, 0, "train", 0), np.zeros((1, 2), int),
                            CFG, torch.zeros(3)), ValueError, r"bank must be \(N, 3, 8, 256\)"),
    (lambda: events.EventInTime(data.MiniVideos("test", 2, CFG), 12, seed="a"), TypeError,
     "seed.*'a'"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()
