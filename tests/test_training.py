"""Unit tests for the training loop (lectures_lib.training) and the benchmark (lectures_lib.bench)."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from lectures_lib import bench, data, fusion, training


@pytest.fixture(scope="module")
def easy():
    """Biased mini data: the background tint gives the class away, so a few steps learn it."""
    cfg = data.MiniVideoConfig(frames=8, appearance_bias=1.0)
    return data.MiniVideos("train", 128, cfg, cache=True), data.MiniVideos("val", 64, cfg)


def test_pick_device_and_seeding():
    assert training.pick_device().type in ("cuda", "mps", "cpu")
    training.seed_everything(3)
    a = torch.rand(3)
    training.seed_everything(3)
    assert torch.equal(a, torch.rand(3))


def test_fit_learns_and_is_reproducible(easy, capsys):
    train, val = easy
    runs = []
    for _ in range(2):
        training.seed_everything(0)
        model = fusion.SingleFrameCNN(8, width=8)                      # one frame tells the class here
        # 32 steps: enough for BatchNorm's running statistics (momentum 0.1) to settle
        runs.append(training.fit(model, train, val, epochs=4, batch_size=16, lr=1e-2,
                                 device=torch.device("cpu")))
    history = runs[0]
    assert history["train_loss"] == runs[1]["train_loss"]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last["val_acc"] > 0.5                              # chance is 0.125
    assert set(history.last) == {"epoch", "train_loss", "train_acc", "seconds", "clips_per_s", "val_acc"}
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 8 and lines[-1].startswith("epoch 4/4  loss ")


def test_fit_works_with_a_plain_dataset_through_a_dataloader():
    x = torch.rand(20, 3, 4, 8, 8)
    y = torch.arange(20) % 2
    model = fusion.CNN3D(2, width=4)
    history = training.fit(model, TensorDataset(x, y), epochs=1, batch_size=8, verbose=False,
                           device=torch.device("cpu"))
    assert history.last["epoch"] == 1 and "val_acc" not in history.last


def test_fit_errors_are_clear(easy):
    train, _ = easy
    with pytest.raises(ValueError, match="the dataset is empty"):
        training.fit(fusion.CNN3D(2), TensorDataset(torch.zeros(0, 3, 4, 8, 8), torch.zeros(0)))
    with pytest.raises(ValueError, match=r"outputs of shape \(2, 5\) but the dataset has 8 classes"):
        training.fit(fusion.CNN3D(5, width=4), train, epochs=1)
    with pytest.raises(ValueError, match=r"T=16, got \(2, 3, 8, 32, 32\)"):
        training.fit(fusion.EarlyFusion(8, 16, width=4), train, epochs=1)
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1"):
        training.fit(fusion.CNN3D(8, width=4), train, epochs=0)


def test_evaluate_confusion_and_multi_clip_average():
    torch.manual_seed(0)
    cfg = data.MiniVideoConfig(frames=12)
    model = fusion.CNN3D(8, width=4).eval()
    multi = data.MiniVideos("test", 16, cfg, clip_len=8, num_clips=3)
    result = training.evaluate(model, multi)
    assert result.confusion.sum() == 16 and result.confusion.shape == (8, 8)
    assert result.accuracy == pytest.approx(result.confusion.diag().sum().item() / 16)
    clips, labels = multi.batch(range(16))
    with torch.no_grad():
        manual = torch.stack([model(c).softmax(1).mean(0) for c in clips])
    probs, got_labels = training.predict(model, multi)
    assert torch.allclose(probs, manual, atol=1e-6) and torch.equal(got_labels, labels)
    with pytest.raises(ValueError, match="empty"):
        training.evaluate(model, TensorDataset(torch.zeros(0, 3, 8, 32, 32), torch.zeros(0)))


def test_training_macs_match_the_closed_form():
    B, D, K = 4, 3 * 2 * 4 * 4, 5
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, K, bias=False))
    # forward x @ W^T, then the weight gradient; the input needs no gradient.
    assert training.training_macs(model, (3, 2, 4, 4), batch_size=B) == 2 * B * D * K
    conv = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1, bias=False), nn.Flatten())
    forward = 4 * 3 * 27 * 2 * 4 * 4
    assert training.training_macs(conv, (3, 2, 4, 4)) == 2 * forward


def test_throughput_and_channels_last():
    clip = torch.rand(2, 3, 8, 16, 16)
    model = fusion.CNN3D(4, width=4).eval()
    fast = training.use_channels_last(fusion.CNN3D(4, width=4)).eval()
    fast.load_state_dict(model.state_dict())
    assert fast.features[0][0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        assert torch.allclose(model(clip), fast(clip), atol=1e-5)
    r = training.throughput(fusion.CNN3D(4, width=4), (3, 8, 16, 16), batch_size=4, steps=2,
                            device=torch.device("cpu"))
    assert r["clips_per_s"] > 0
    assert r["macs_per_clip"] == training.training_macs(fusion.CNN3D(4, width=4), (3, 8, 16, 16))


def test_bench_prints_every_model(capsys):
    bench.main(["--batch-size", "2", "--steps", "1"])
    out = capsys.readouterr().out
    for name in bench.models():
        assert out.count(name) == 2
    assert "matmul peak" in out and "clips/s" in out
