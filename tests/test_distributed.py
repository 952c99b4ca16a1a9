"""Data-parallel training and checkpoints (lectures_lib.training.distributed,
lectures_lib.training.checkpoints): ranks share each global batch exactly, 2 torchrun processes
train the model 1 process trains, and a resumed run ends with the weights of an uninterrupted
one."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from lectures_lib import data, training
from lectures_lib.data import batching
from lectures_lib.training import Recipe, RunOptions, distributed


@pytest.fixture
def ranks(monkeypatch):
    """Pretend to be rank r of a world of w: ``ranks(r, w)``."""
    def be(r, w):
        monkeypatch.setattr(distributed, "rank", lambda: r)
        monkeypatch.setattr(distributed, "world_size", lambda: w)
    return be


@pytest.mark.parametrize("world", [2, 3])
def test_the_ranks_shares_are_the_global_batches_of_one_process(ranks, world):
    # 11 videos in batches of 4: the last global batch has 3, shared unevenly by 2 or 3 ranks
    videos = data.MiniVideos("train", 11, data.MiniVideoConfig(frames=8))
    plain = TensorDataset(torch.arange(11).float().view(11, 1), torch.arange(11))
    for dataset in (videos, plain):
        expected = [y.tolist() for _, y in batching.batches(dataset, 4, shuffle=True, seed=5)]
        shares = []
        for r in range(world):
            ranks(r, world)
            shares.append([(y.tolist(), w) for _, y, w in
                           distributed.global_batches(dataset, 4, seed=5)])
        for b, batch in enumerate(expected):
            got = [shares[r][b] for r in range(world)]
            assert sum((ys for ys, w in got if w), []) == batch   # together: the global batch
            # DDP averages the ranks' gradients: the weighted means average to the global mean
            assert sum(w for _, w in got) == pytest.approx(world)
            assert all(w == pytest.approx(len(ys) * world / len(batch)) for ys, w in got if w)


def test_a_rank_with_an_empty_share_joins_with_weight_zero(ranks):
    ranks(1, 2)
    assert distributed.share([7]) == ([7], 0.0)
    assert distributed.share([7, 8, 9]) == ([9], 2 / 3)


def test_one_process_needs_no_process_group(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    assert distributed.setup("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device.*got 'gpu'"):
        distributed.setup("gpu")
    with pytest.raises(ValueError, match="device.*got 'cuda:99'"):
        distributed.setup("cuda:99")
    assert not torch.distributed.is_initialized()
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    assert distributed.all_sum(1.5, 3) == [1.5, 3]
    model = nn.Linear(2, 2)
    step = distributed.wrap(model, torch.device("cpu"))
    assert not isinstance(step, nn.parallel.DistributedDataParallel) and step.model is model
    x, y = torch.rand(3, 2), torch.tensor([0, 1, 1])
    loss, out = step(x, y)
    assert torch.equal(out, model(x))
    assert torch.equal(loss, nn.functional.cross_entropy(model(x), y))
    distributed.teardown()


class Stop(Exception):
    """Stands in for a kill between two epochs."""


class Interrupted(data.MiniVideos):
    """Mini videos (a new random clip each epoch) that stop the run when epoch ``stop`` starts."""

    stop = None

    def set_epoch(self, epoch):
        if epoch == self.stop:
            raise Stop
        super().set_epoch(epoch)


def noisy_model():
    """BatchNorm and dropout: resuming must restore running statistics and random states."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                         nn.Dropout(0.3), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 8))


def test_checkpoints_and_shares_name_what_they_got(tmp_path):
    from lectures_lib.training import checkpoints

    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    parts = {"model": model, "optimiser": opt,
             "scheduler": torch.optim.lr_scheduler.StepLR(opt, 1), "recipe": Recipe()}
    path = tmp_path / "ck.pt"
    checkpoints.save_checkpoint(path, **parts, epoch=1, history=[{}])
    assert checkpoints.load_checkpoint(path, **parts) == (1, [{}])
    with pytest.raises(TypeError, match="model.*got str"):
        checkpoints.save_checkpoint(path, **{**parts, "model": "m"}, epoch=1, history=[])
    with pytest.raises(TypeError, match="recipe.*got dict"):
        checkpoints.save_checkpoint(path, **{**parts, "recipe": {}}, epoch=1, history=[])
    with pytest.raises(ValueError, match="epoch.*got -1"):
        checkpoints.save_checkpoint(path, **parts, epoch=-1, history=[])
    with pytest.raises(TypeError, match="history.*tuple"):
        checkpoints.save_checkpoint(path, **parts, epoch=1, history=())
    with pytest.raises(TypeError, match="optimiser.*got str"):
        checkpoints.load_checkpoint(path, **{**parts, "optimiser": "adam"})
    with pytest.raises(ValueError, match="ck.pt holds another model's weights"):
        checkpoints.load_checkpoint(path, **{**parts, "model": nn.Linear(3, 2)})
    (tmp_path / "text.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="text.pt is not a checkpoint"):
        checkpoints.load_checkpoint(tmp_path / "text.pt", **parts)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other.pt is not a checkpoint.*\['weights'\]"):
        checkpoints.load_checkpoint(tmp_path / "other.pt", **parts)
    with pytest.raises(ValueError, match="indices.*'abc'"):
        distributed.share("abc")
    with pytest.raises(ValueError, match=r"indices.*\[\]"):
        distributed.share([])
    with pytest.raises(TypeError, match=r"indices\[1\].*1.5"):
        distributed.share([0, 1.5])
    with pytest.raises(TypeError, match="model.*got str"):
        distributed.wrap("model", torch.device("cpu"))
    with pytest.raises(ValueError, match="device.*'gpu'"):
        distributed.wrap(model, "gpu")
    with pytest.raises(ValueError, match="seed.*got -1"):
        next(distributed.epoch_batches(TensorDataset(torch.zeros(2, 1)), 1, seed=-1))
    with pytest.raises(TypeError, match=r"values\[1\].*'3'"):
        distributed.all_sum(1.0, "3")
    assert distributed.all_sum(float("nan"), 2)[1] == 2               # a diverged loss passes


@pytest.mark.slow
def test_resuming_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    train = Interrupted("train", 40, data.MiniVideoConfig(frames=8), clip_len=4, cache=True)
    val = data.MiniVideos("val", 8, data.MiniVideoConfig(frames=8), clip_len=4)
    recipe = Recipe(epochs=4, batch_size=16)
    whole = noisy_model()
    full = training.fit(whole, train, val, recipe=recipe, verbose=False)
    path = tmp_path / "run" / "ck.pt"
    train.stop = 3                                                # killed after 2 epochs
    with pytest.raises(Stop):
        training.fit(noisy_model(), train, val, recipe=recipe, verbose=False,
                     run=RunOptions(checkpoint=path))
    assert torch.load(path, weights_only=True)["epoch"] == 2
    assert os.listdir(path.parent) == ["ck.pt"]                   # no temporary file left
    train.stop, resumed = None, noisy_model()
    history = training.fit(resumed, train, val, recipe=recipe, verbose=False,
                           run=RunOptions(checkpoint=path, resume=True))
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert history["train_loss"] == full["train_loss"] and history["val_acc"] == full["val_acc"]
    saved = torch.load(path, weights_only=True)
    assert saved["epoch"] == 4 and saved["recipe"]["epochs"] == 4
    with pytest.raises(ValueError, match="trained with .* resume with the same recipe"):
        training.fit(noisy_model(), train, recipe=recipe.replace(lr=1e-3),
                     run=RunOptions(checkpoint=path, resume=True))
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        training.fit(noisy_model(), train, recipe=recipe,
                     run=RunOptions(checkpoint=tmp_path / "no.pt", resume=True))
    with pytest.raises(ValueError, match="resume=True needs the checkpoint="):
        RunOptions(resume=True)
    with pytest.raises(TypeError, match="run.*dict"):
        training.fit(noisy_model(), train, recipe=recipe, run={"resume": True})
    with pytest.raises(TypeError, match="checkpoint.*int"):
        RunOptions(checkpoint=3)
    with pytest.raises(ValueError, match="is for CUDA devices"):
        training.fit(noisy_model(), train, recipe=recipe, run=RunOptions(amp=True))


def run_cli(*args, torchrun=False, cwd=None):
    """Run ``python -m lectures_lib.train`` (under torchrun with 2 processes) on one thread."""
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc-per-node", "2"] if torchrun else [sys.executable])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*launcher, "-m", "lectures_lib.train", *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=120, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_two_torchrun_processes_train_the_model_one_process_trains(tmp_path):
    # No BatchNorm in this model: each rank would normalise its half of the batch by its own
    # statistics (SyncBatchNorm needs a GPU), so a BN model matches only approximately. 49 videos
    # in batches of 12: the last global batch has 1, so rank 1 joins it with an empty share.
    args = ["--model", "recurrent conv net (GRU)", "--sizes", 49, 8, 16, "--epochs", 2,
            "--batch-size", 12, "--device", "cpu", "--checkpoint"]
    one = run_cli(*args, tmp_path / "one.pt")
    two = run_cli(*args, tmp_path / "two.pt", torchrun=True)
    assert "1 process(es)" in one and "2 process(es)" in two
    assert two.count("test accuracy ~") == 1                      # rank 0 alone prints
    a, b = (torch.load(tmp_path / f"{n}.pt", weights_only=True) for n in ("one", "two"))
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, rtol=1e-4, atol=1e-5)
    for x, y in zip(a["history"], b["history"]):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-6)
        assert x["train_acc"] == y["train_acc"] and x["val_acc"] == y["val_acc"]
