"""Unit tests for lectures_lib.costs.timing, the MAC counters' training step, and the benchmark."""

import json
import re
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from lectures_lib.book import bench
from lectures_lib.core import speed
from lectures_lib.costs import calculators, timing
from lectures_lib.models import fusion


def test_median_seconds_warms_up_repeats_and_loops_short_calls():
    calls = []
    seconds = timing.median_seconds(lambda: calls.append(1), repeats=3, warmup=2, min_seconds=1e-3)
    assert seconds > 0 and len(calls) > 2 + 1 + 3                      # short calls are looped
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        timing.median_seconds(lambda: None, repeats=0)


def test_time_forward_and_time_layers():
    conv = nn.Conv3d(2, 2, 3, padding=1)
    assert timing.time_forward(conv, (1, 2, 4, 8, 8), repeats=2) > 0
    net = nn.Sequential(conv, nn.ReLU())
    spent = timing.time_layers(net, (1, 2, 4, 8, 8), repeats=2)
    assert set(spent) == {"0", "1"} and all(v > 0 for v in spent.values())


def test_training_macs_match_the_closed_form():
    B, D, K = 4, 3 * 2 * 4 * 4, 5
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, K, bias=False))
    # forward x @ W^T, then the weight gradient; the input needs no gradient.
    assert calculators.count_training_macs(model, (3, 2, 4, 4), batch_size=B) == 2 * B * D * K
    conv = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1, bias=False), nn.Flatten())
    forward = 4 * 3 * 27 * 2 * 4 * 4
    assert calculators.count_training_macs(conv, (3, 2, 4, 4)) == 2 * forward
    with pytest.raises(ValueError, match=r"clip_shape\[1\].*0"):
        calculators.count_training_macs(conv, (3, 0, 4, 4))


def test_throughput_and_channels_last():
    clip = torch.rand(2, 3, 8, 16, 16)
    model = fusion.CNN3D(4, width=4).eval()
    fast = speed.use_channels_last(fusion.CNN3D(4, width=4)).eval()
    fast.load_state_dict(model.state_dict())
    assert fast.features[0][0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        assert torch.allclose(model(clip), fast(clip), atol=1e-5)
    speed.use_channels_last(fast, enable=False)
    assert fast.features[0][0].weight.is_contiguous()
    r = timing.throughput(fusion.CNN3D(4, width=4), (3, 8, 16, 16), batch_size=4, steps=2)
    assert r["clips_per_s"] > 0
    assert r["macs_per_clip"] == calculators.count_training_macs(fusion.CNN3D(4, width=4),
                                                                 (3, 8, 16, 16))


def test_matmul_peak_is_a_rate():
    assert timing.matmul_peak(n=64) > 0


@pytest.mark.slow
def test_bench_prints_every_model(capsys):
    bench.main(["--batch-size", "2", "--steps", "1"])
    out = capsys.readouterr().out
    for name in fusion.chapter2_models():
        assert out.count(name) == 2
    assert "matmul peak" in out and "clips/s" in out


def test_median_seconds_counts_a_long_sizing_run_as_a_sample():
    calls = []
    timing.median_seconds(lambda: (calls.append(1), time.sleep(0.002)), repeats=2, warmup=1,
                          min_seconds=1e-3)
    assert len(calls) == 1 + 2                                        # warm-up, then two samples


def test_stopwatch_times_its_block_once():
    with timing.stopwatch() as watch:
        time.sleep(0.01)
        assert watch.seconds > 0                                      # running: time so far
    stopped = watch.seconds
    time.sleep(0.005)
    assert watch.seconds == stopped >= 0.01


ROOT = Path(__file__).resolve().parents[1]


def test_every_clock_read_is_in_costs_timing():
    """One home for speed: the library and the chapters time things with costs.timing only."""
    clock = re.compile(r"\btime\.(perf_counter|time|monotonic|process_time)\(")
    sources = {p: p.read_text() for p in (ROOT / "lectures_lib").rglob("*.py")
               if p != ROOT / "lectures_lib" / "costs" / "timing.py"}
    for nb in (ROOT / "book").glob("*.ipynb"):
        sources[nb] = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
    readers = sorted(str(p.relative_to(ROOT)) for p, text in sources.items() if clock.search(text))
    assert readers == []


def test_median_seconds_takes_a_device_name():
    assert timing.median_seconds(lambda: None, repeats=1, min_seconds=1e-4, device="cpu") > 0


@pytest.mark.parametrize("call, error, match", [
    (lambda: timing.median_seconds("run"), TypeError, "run must be a function of no arguments"),
    (lambda: timing.median_seconds(lambda: None, warmup=-1), ValueError,
     "warmup.*-1"),
    (lambda: timing.time_forward(nn.Conv3d(3, 2, 3), (1, 2, 4, 8, 8), repeats=1), ValueError,
     r"cannot take an input of shape \(1, 2, 4, 8, 8\): .*to have 3 channels"),
    (lambda: timing.time_forward(nn.Conv3d(3, 2, 3), 5), ValueError,
     "shape.*5"),
    (lambda: timing.time_layers(nn.Conv3d(3, 2, 3), (1, 3, 4, 8, 8)), ValueError,
     "model has no named children to time: Conv3d"),
    (lambda: timing.time_layers("model", (1, 3, 4, 8, 8)), TypeError,
     "model.*str"),
    (lambda: timing.time_layers(nn.Sequential(nn.Conv3d(3, 2, 3)), (1, 2, 4, 8, 8)), ValueError,
     r"cannot take an input of shape \(1, 2, 4, 8, 8\)"),
    (lambda: timing.throughput(nn.Conv3d(3, 2, 3), 5), ValueError,
     "clip_shape.*5"),
    (lambda: timing.matmul_peak(n=8, device="gpu"), ValueError,
     "device must be a torch.device or a name"),
    (lambda: bench.generation_speed(2.5), ValueError,
     "batch_size.*2.5"),
    (lambda: bench.generation_speed(2, batches=0), ValueError,
     "batches.*0"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()
