"""Unit tests for the training loop (lectures_lib.training): the recipe, fit, predict, evaluate."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from lectures_lib import data, training
from lectures_lib.core import devices, protocols
from lectures_lib.data import batching
from lectures_lib.models import fusion
from lectures_lib.training import BOOK_RECIPE, Recipe, evaluation


@pytest.fixture(scope="module")
def easy():
    """Biased mini data: the background tint gives the class away, so a few steps learn it."""
    cfg = data.MiniVideoConfig(frames=8, appearance_bias=1.0)
    return data.MiniVideos("train", 128, cfg, cache=True), data.MiniVideos("val", 64, cfg)


def test_seeded_builders_start_from_the_same_weights():
    build = devices.seeded(lambda: nn.Linear(3, 2), seed=5)
    torch.manual_seed(1)
    first = build().weight
    torch.rand(10)                                                    # the global state moves on
    assert torch.equal(first, build().weight)
    assert not torch.equal(first, devices.seeded(lambda: nn.Linear(3, 2), seed=6)().weight)
    with pytest.raises(TypeError, match="build.*Linear"):
        devices.seeded(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="seed.*-1"):
        devices.seeded(lambda: nn.Linear(3, 2), seed=-1)


def test_pick_device_and_seeding():
    assert devices.pick_device().type in ("cuda", "mps", "cpu")
    devices.seed_everything(3)
    a = torch.rand(3)
    devices.seed_everything(3)
    assert torch.equal(a, torch.rand(3))


def test_fit_learns_and_is_reproducible(easy, capsys):
    train, val = easy
    runs = []
    for _ in range(2):
        devices.seed_everything(0)
        model = fusion.SingleFrameCNN(8, width=8)  # one frame tells the class here
        # 32 steps: enough for BatchNorm's running statistics (momentum 0.1) to settle
        runs.append(training.fit(model, train, val, recipe=Recipe(epochs=4, batch_size=16, lr=1e-2),
                                 device="cpu"))
    history = runs[0]
    assert history["train_loss"] == runs[1]["train_loss"]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last["val_acc"] > 0.5                              # chance is 0.125
    assert set(history.last) == {"epoch", "train_loss", "train_acc", "seconds", "clips_per_s",
                                 "val_acc"}
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 8 and lines[-1].startswith("epoch 4/4  loss ~")


def test_fit_works_with_a_plain_dataset_through_a_dataloader():
    x = torch.rand(20, 3, 4, 8, 8)
    y = torch.arange(20) % 2
    model = fusion.CNN3D(2, width=4)
    history = training.fit(model, TensorDataset(x, y), recipe=Recipe(epochs=1, batch_size=8),
                           verbose=False)
    assert history.last["epoch"] == 1 and "val_acc" not in history.last


def test_fit_errors_are_clear(easy):
    train, _ = easy
    with pytest.raises(ValueError, match="the dataset is empty"):
        training.fit(fusion.CNN3D(2), TensorDataset(torch.zeros(0, 3, 4, 8, 8), torch.zeros(0)))
    with pytest.raises(ValueError,
                       match=r"outputs of shape \(2, 5\) but the dataset has 8 classes"):
        training.fit(fusion.CNN3D(5, width=4), train)
    with pytest.raises(ValueError, match=r"T=16, got \(2, 3, 8, 32, 32\)"):
        training.fit(fusion.EarlyFusion(8, 16, width=4), train)
    with pytest.raises(TypeError, match="recipe must be a Recipe"):
        training.fit(fusion.CNN3D(8, width=4), train, recipe={"epochs": 1})


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
    ({"lr": -1e-3}, "lr must be a positive number"),
    ({"schedule": "cosine"}, "schedule must be one of 'onecycle', 'constant'"),
    ({"warmup": 1.0}, r"warmup must be in \(0, 1\)"),
])
def test_recipe_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Recipe(**kwargs)


def test_the_book_recipe_is_one_value():
    assert BOOK_RECIPE == Recipe() and BOOK_RECIPE.replace(epochs=2).epochs == 2
    with pytest.raises(AttributeError):
        BOOK_RECIPE.lr = 1.0  # frozen: chapters cannot drift


def test_evaluate_confusion_and_multi_clip_average():
    torch.manual_seed(0)
    cfg = data.MiniVideoConfig(frames=12)
    model = fusion.CNN3D(8, width=4).eval()
    multi = data.MiniVideos("test", 16, cfg, clip_len=8, num_clips=3)
    result = evaluation.evaluate(model, multi)
    assert result.confusion.sum() == 16 and result.confusion.shape == (8, 8)
    assert result.accuracy == pytest.approx(result.confusion.diag().sum().item() / 16)
    clips, labels = multi.batch(range(16))
    with torch.no_grad():
        manual = torch.stack([model(c).softmax(1).mean(0) for c in clips])
    probs, got_labels = evaluation.predict(model, multi)
    assert torch.allclose(probs, manual, atol=1e-6) and torch.equal(got_labels, labels)
    with pytest.raises(ValueError, match="empty"):
        evaluation.evaluate(model, TensorDataset(torch.zeros(0, 3, 8, 32, 32), torch.zeros(0)))


def test_default_device_is_the_models_own():
    model = fusion.CNN3D(2, width=4)
    assert devices.model_device(model) == torch.device("cpu")
    assert devices.model_device(model, "cpu") == torch.device("cpu")
    assert devices.model_device(nn.ReLU()) == torch.device("cpu")     # no parameters: the CPU
    with torch.device("meta"):
        assert devices.model_device(fusion.CNN3D(2, width=4)).type == "meta"


class PairDataset(torch.utils.data.Dataset):
    """Two inputs per item (like RGB and flow), a batch() hook and a set_epoch() hook."""

    def __init__(self, n=24):
        g = torch.Generator().manual_seed(0)
        self.a, self.b = (torch.rand(n, 3, 4, 8, 8, generator=g),
                          torch.rand(n, 2, 4, 8, 8, generator=g))
        self.y, self.epochs, self.batched = torch.arange(n) % 2, [], 0

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return (self.a[i], self.b[i]), int(self.y[i])

    def batch(self, indices):
        self.batched += 1
        return (self.a[indices], self.b[indices]), self.y[indices]

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


class TwoStream(nn.Module):
    """A model of two inputs that also defines its own training loss (scaled cross-entropy)."""

    def __init__(self):
        super().__init__()
        self.rgb, self.flow = fusion.CNN3D(2, width=4), fusion.CNN3D(2, in_channels=2, width=4)
        self.own_loss_calls = 0

    def forward(self, x):
        rgb, flow = x
        return self.rgb(rgb) + self.flow(flow)

    def training_loss(self, x, y):
        self.own_loss_calls += 1
        out = self(x)
        return 2 * nn.functional.cross_entropy(out, y), out


def test_fit_and_evaluate_take_tuples_and_call_every_extension_point():
    data_, model = PairDataset(), TwoStream()
    assert isinstance(data_, protocols.BatchDataset) and isinstance(data_, protocols.EpochDataset)
    assert isinstance(model, protocols.OwnLoss)
    assert not isinstance(fusion.CNN3D(2), protocols.OwnLoss)
    assert training.OwnLoss is protocols.OwnLoss                   # one home, exported by training
    assert isinstance(data.MiniVideos("val", 2), protocols.Labelled)
    assert not isinstance(data_, protocols.Labelled)                  # no classes: not checked
    history = training.fit(model, data_, data_, recipe=Recipe(epochs=2, batch_size=8),
                           verbose=False)
    assert data_.epochs == [1, 2] and model.own_loss_calls == 2 * 3 and data_.batched > 6
    assert len(history.epochs) == 2 and 0 <= history.last["val_acc"] <= 1
    probs, labels = evaluation.predict(model, data_)
    assert probs.shape == (24, 2) and torch.equal(labels, data_.y)


def test_clip_probabilities_averages_clips_of_one_video():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 2 * 4 * 4, 5))
    clips = torch.rand(2, 3, 3, 2, 4, 4)                               # 2 videos, 3 clips each
    probs = evaluation.clip_probabilities(model, clips)
    assert probs.shape == (2, 5) and torch.allclose(probs.sum(1), torch.ones(2))
    assert torch.allclose(probs[1], model(clips[1]).softmax(1).mean(0))
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\) or \(B, N, C, T, H, W\).*got "
                                         r"shapes \[\(3, 4\)\]"):
        evaluation.clip_probabilities(model, torch.rand(3, 4))
    head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6, 5))          # features (B, T, D)
    assert evaluation.clip_probabilities(head, torch.rand(3, 4, 6)).shape == (3, 5)
    images = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))      # a 2-D network's batch
    assert evaluation.clip_probabilities(images, torch.rand(2, 3, 4, 4)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"expected the model to return \(2, K\) logits"):
        evaluation.clip_probabilities(nn.Identity(), torch.rand(2, 3, 2, 4, 4))


SMALL = TensorDataset(torch.rand(6, 3, 4, 16, 16), torch.tensor([0, 1, 2, 0, 1, 2]))
ONE_EPOCH = Recipe(epochs=1, batch_size=4)


def labelled(labels):
    return TensorDataset(torch.rand(len(labels), 3, 4, 16, 16), torch.tensor(labels))


def test_fit_takes_the_classes_from_the_model_not_from_the_first_labels():
    # the first two labels are 0 and 1, yet the data has three classes: fine for a 3-class model
    history = training.fit(fusion.CNN3D(3, width=4), SMALL, recipe=ONE_EPOCH, verbose=False)
    assert history.last["epoch"] == 1


@pytest.mark.parametrize("call, error, match", [
    (lambda: Recipe(warmup="a"), ValueError, "warmup.*'a'"),
    (lambda: Recipe(weight_decay=float("nan")), ValueError, "weight_decay must be a finite number"),
    (lambda: Recipe(seed=1.5), TypeError, "seed.*1.5"),
    (lambda: Recipe(lr=float("inf")), ValueError, "lr.*inf"),
    (lambda: training.History().last, ValueError, "the history is empty"),
    (lambda: training.History([{"epoch": 1, "val_acc": 0.5}])["acc"], KeyError,
     "no 'acc' in the history; it records epoch, val_acc"),
    (lambda: training.fit("model", SMALL), TypeError, "model.*str"),
    (lambda: training.fit(fusion.CNN3D(3, width=4), None), TypeError,
     "dataset must be a Dataset of"),
    (lambda: training.fit(fusion.CNN3D(3, width=4), labelled([0.0, 1.0, 2.0]), recipe=ONE_EPOCH),
     ValueError, r"expected labels of shape \(2,\): integer class indices, got torch.float32"),
    (lambda: training.fit(fusion.CNN3D(3, width=4), labelled([0, 1, 2, 5]), recipe=ONE_EPOCH,
                          verbose=False), ValueError,
     r"labels.*values from 0 to 5"),
    (lambda: training.fit(nn.Sequential(nn.Conv3d(1, 3, 1), nn.AdaptiveAvgPool3d(1), nn.Flatten()),
                          SMALL, recipe=ONE_EPOCH), ValueError,
     r"cannot take an input of shape \(2, 3, 4, 16, 16\): .*to have 1 channels"),
    (lambda: training.fit(fusion.CNN3D(3, width=4), SMALL, device="gpu"), ValueError,
     "device must be a torch.device or a name such as 'cpu'"),
    (lambda: list(batching.batches(data.MiniVideos("val", 4), 0)), ValueError,
     "batch_size.*0"),
    (lambda: evaluation.clip_probabilities(fusion.CNN3D(3, width=4), torch.zeros(0, 3, 4, 8, 8)),
     ValueError, r"none empty, got shapes \[\(0, 3, 4, 8, 8\)\]"),
    (lambda: evaluation.clip_probabilities(
        fusion.CNN3D(3, width=4), (torch.zeros(2, 3, 4, 8, 8), torch.zeros(3, 3, 4, 8, 8))),
     ValueError, r"the same B \(and N\)"),
    (lambda: evaluation.evaluate(fusion.CNN3D(3, width=4), labelled([0.0, 1.0])), ValueError,
     "integer class indices, got torch.float32"),
    (lambda: evaluation.evaluate(fusion.CNN3D(3, width=4), labelled([0, -1])), ValueError,
     r"class indices in \[0, 3\), got values from -1 to 0"),
    (lambda: devices.model_device("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: devices.seed_everything(-1), ValueError, "seed.*-1"),
    (lambda: devices.to_device([torch.zeros(1), 2], torch.device("cpu")), TypeError,
     r"x\[1\].*int"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_score_is_how_evaluate_scores():
    probs = torch.tensor([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]])
    result = evaluation.score(probs, torch.tensor([0, 0, 0]))
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.confusion.tolist() == [[2, 1], [0, 0]]
    assert result.loss == pytest.approx(-torch.tensor([0.7, 0.4, 0.9]).log().mean().item())
    with pytest.raises(ValueError, match=r"probs.*\(3,\)"):
        evaluation.score(torch.rand(3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="labels"):
        evaluation.score(probs, torch.tensor([0, 2, 0]))
