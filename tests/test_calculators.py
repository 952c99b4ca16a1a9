"""Unit tests for lectures_lib.costs.calculators; raw video sizes against the lecture's (facts
raw.*)."""

import pytest
from torch import nn

from lectures_lib.book import facts
from lectures_lib.costs import calculators
from lectures_lib.costs.calculators import ByteSize, raw_video_size


def test_lecture_sizes_are_binary_units():
    sd = raw_video_size(height=480, width=640, fps=30, seconds=60)
    hd = raw_video_size(height=1080, width=1920, fps=30, seconds=60)
    clip = raw_video_size(height=112, width=112, fps=5, seconds=facts.get("raw.clip.seconds").value)
    # recomputed by hand: frames x H x W x 3 bytes
    assert sd.bytes == 1_658_880_000 and hd.bytes == 11_197_440_000 and clip.bytes == 602_112
    assert (sd.decimal, sd.binary) == ("1.66 GB", "1.54 GiB")
    assert (hd.decimal, hd.binary) == ("11.20 GB", "10.43 GiB")
    assert str(clip) == "602.11 KB = 588.00 KiB"
    # the lecture's "GB" and "KB" (lectures_lib.book.facts) are binary units: GiB and KiB
    lecture = {name: facts.get(f"raw.{name}.size").value
               for name in ("sd_minute", "hd_minute", "clip")}
    assert round(sd.to("GiB"), 1) == lecture["sd_minute"] != round(sd.to("GB"), 1)
    assert round(hd.to("GiB")) == lecture["hd_minute"] != round(hd.to("GB"))
    assert clip.to("KiB") == lecture["clip"] != round(clip.to("KB"))


def test_channels_and_sample_width_multiply():
    base = raw_video_size(height=10, width=20, fps=2, seconds=3)
    assert base.bytes == 6 * 10 * 20 * 3
    gray = raw_video_size(height=10, width=20, fps=2, seconds=3, channels=1, bytes_per_sample=4)
    assert gray.bytes == base.bytes * 4 // 3


def test_byte_size_units():
    size = ByteSize(3 * 2**30)
    assert size.to("GiB") == 3 and size.to("GB") == pytest.approx(3.221225472)
    assert ByteSize(999).decimal == "999.00 B" and ByteSize(1024).binary == "1.00 KiB"
    with pytest.raises(ValueError, match="unknown unit 'gb'"):
        size.to("gb")


@pytest.mark.parametrize("kwargs, match", [
    (dict(height=0, width=1, fps=1, seconds=1), "height must be a positive integer, got 0"),
    (dict(height=1, width=2.5, fps=1, seconds=1), "width must be a positive integer, got 2.5"),
    (dict(height=1, width=1, fps=-1, seconds=1), "fps must be a positive number, got -1"),
    (dict(height=1, width=1, fps=1, seconds=0.2), "less than one frame"),
    (dict(height=1, width=1, fps=1, seconds=1, bytes_per_sample=0), "bytes_per_sample must be"),
])
def test_raw_video_size_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        raw_video_size(**kwargs)


def test_count_macs_and_params_match_closed_forms():
    import torch
    from torch import nn

    from lectures_lib.costs.calculators import count_macs, count_params
    conv = nn.Conv3d(3, 12, 3, padding=1)
    assert count_params(conv) == 12 * 3 * 27 + 12
    assert count_macs(conv, (2, 3, 20, 64, 64)) == 2 * 12 * 20 * 64 * 64 * 3 * 27  # no bias MACs
    net = nn.Sequential(nn.Conv2d(60, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                        nn.Linear(12 * 16 * 16, 7))
    assert count_macs(net, (1, 60, 64, 64)) == 12 * 64 * 64 * 60 * 9 + 12 * 16 * 16 * 7
    assert net.training                                               # mode restored
    frozen = nn.Linear(4, 2)
    frozen.weight.requires_grad_(False)
    assert count_params(frozen) == 2
    assert count_macs(nn.Sequential(nn.Linear(4, 2)).to(torch.float32), (3, 4)) == 24


def test_layer_costs_on_meta_equal_a_real_run():
    import torch
    from torch import nn

    from lectures_lib.costs.calculators import count_macs, layer_costs
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2), nn.Flatten(),
                        nn.Linear(4 * 2 * 4 * 4, 5))
    costs = layer_costs(net, (3, 4, 8, 8))
    assert [c.name for c in costs] == ["0", "2", "4"]          # ReLU and Flatten cost nothing
    assert [c.output for c in costs] == [(4, 4, 8, 8), (4, 2, 4, 4), (5,)]
    assert sum(c.macs for c in costs) == count_macs(net, (1, 3, 4, 8, 8))
    assert costs[0].params == 4 * 3 * 27 + 4 and costs[1].activation_bytes == 4 * 4 * 2 * 4 * 4
    assert next(net.parameters()).device.type == "cpu"         # the model itself is untouched


@pytest.mark.parametrize("call, error, match", [
    (lambda: ByteSize(-5), ValueError, "bytes.*-5"),
    (lambda: ByteSize(1.5), TypeError, "bytes.*1.5"),
    (lambda: raw_video_size(height=480, width=640, fps=float("inf"), seconds=1), ValueError,
     "fps.*inf"),
    (lambda: calculators.count_params("model"), TypeError,
     "model.*str"),
    (lambda: calculators.count_macs(nn.Conv2d(3, 4, 3), (1, 1, 8, 8)), ValueError,
     r"cannot take an input of shape \(1, 1, 8, 8\): .*to have 3 channels"),
    (lambda: calculators.count_macs(nn.Conv2d(3, 4, 3), (1, 3, 2, 2)), ValueError,
     r"cannot take an input of shape \(1, 3, 2, 2\): .*Kernel size"),
    (lambda: calculators.count_training_macs(nn.ReLU(), (3, 4, 4)), ValueError,
     "the model has no trainable parameters"),
    (lambda: calculators.layer_costs(nn.Conv3d(3, 4, 3), (1, 3, 4, 8, 8)), ValueError,
     r"cannot take an input of shape \(1, 1, 3, 4, 8, 8\)"),
    (lambda: calculators.layer_costs("conv", (3, 4, 8, 8)), TypeError,
     "model.*str"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_count_macs_restores_training_mode_after_a_wrong_input():
    model = nn.Sequential(nn.Conv2d(3, 4, 3)).train()
    with pytest.raises(ValueError, match="cannot take an input"):
        calculators.count_macs(model, (1, 2, 8, 8))
    assert model.training


def test_child_costs_split_the_whole_model():
    model = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 2 * 4 * 4, 5))
    parts = calculators.child_costs(model, (3, 2, 4, 4))
    assert list(parts) == ["0", "1", "2", "3"]
    assert parts["0"] == (4 * 3 * 27 + 4, 4 * 2 * 4 * 4 * 3 * 27) and parts["1"] == (0, 0)
    assert sum(macs for _, macs in parts.values()) == calculators.count_macs(model, (1, 3, 2, 4, 4))
    assert sum(p for p, _ in parts.values()) == calculators.count_params(model)
    with pytest.raises(ValueError, match="input_shape"):
        calculators.child_costs(model, (3, 0, 4, 4))
