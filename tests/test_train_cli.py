"""The training command (lectures_lib.train): its --help, a tiny run, kill and resume, real
video folders."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from torch import nn

from lectures_lib import train
from lectures_lib.book import zoo
from lectures_lib.core.video import ClipSpec
from lectures_lib.data import video_io


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        train.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for action in train.parser()._actions:
        assert action.help and len(action.help) > 10, action.option_strings
        assert action.option_strings[0] in text
    for name in train.CLIP_MODELS:
        assert name.replace(" ", "") in "".join(text.split())    # every model is listed
    assert "torchrun" in text


def test_a_tiny_run_trains_checkpoints_and_tests(tmp_path, capsys):
    path = tmp_path / "ck.pt"
    result = train.main(["--model", "early fusion", "--sizes", "32", "8", "16", "--epochs", "1",
                         "--batch-size", "16", "--device", "cpu", "--checkpoint", str(path),
                         "--no-amp"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("early fusion: 32 training videos, 8 classes, 1 process(es) on cpu")
    assert lines[1].startswith("epoch 1/1  loss ~") and "val acc ~" in lines[1]
    assert lines[2].startswith("test accuracy ~") and lines[2].endswith("on 16 videos")
    assert 0 <= result.accuracy <= 1 and result.confusion.sum() == 16
    saved = torch.load(path, weights_only=True)
    assert saved["epoch"] == 1 and saved["recipe"]["batch_size"] == 16


def command(*args):
    return [sys.executable, "-m", "lectures_lib.train", *map(str, args)]


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = ["--model", "early fusion", "--sizes", 512, 8, 8, "--epochs", 3, "--batch-size", 32,
            "--device", "cpu", "--resume", "--checkpoint"]
    killed = tmp_path / "killed.pt"
    run = subprocess.Popen(command(*args, killed), env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not killed.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)                               # mid-way: after epoch 1
    assert run.wait() == -signal.SIGKILL
    assert torch.load(killed, weights_only=True)["epoch"] < 3
    resumed = subprocess.run(command(*args, killed), env=env, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "epoch 1/3" not in resumed.stdout and "epoch 3/3" in resumed.stdout
    whole = tmp_path / "whole.pt"
    subprocess.run(command(*args, whole), env=env, check=True, capture_output=True, timeout=120)
    a, b = (torch.load(p, weights_only=True) for p in (killed, whole))
    assert a["epoch"] == b["epoch"] == 3
    for key, value in b["model"].items():
        assert torch.equal(a["model"][key], value), key


@pytest.fixture
def video_root(tmp_path):
    """ROOT/train and ROOT/test with 3 classes of random 20-frame videos."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 2), ("test", 1)):
        for name in ("jump", "run", "swim"):
            (tmp_path / split / name).mkdir(parents=True)
            for k in range(n):
                frames = rng.integers(0, 256, (20, 24, 24, 3), dtype=np.uint8)
                video_io.write_video(tmp_path / split / name / f"v{k}.avi", frames, fps=10)
    return tmp_path


@pytest.mark.slow
def test_a_real_video_folder_trains_with_workers_and_multi_clip_tests(video_root, capsys):
    pytest.importorskip("lectures_lib.data.datasets")
    result = train.main(["--model", "3D CNN", "--data", "folder", "--root", str(video_root),
                         "--test-clips", "2", "--epochs", "1", "--batch-size", "4",
                         "--workers", "2", "--device", "cpu"])
    out = capsys.readouterr().out
    assert "6 training videos, 3 classes" in out
    assert "on 3 videos, 2 clips each" in out and result.confusion.shape == (3, 3)


def test_a_model_that_cannot_take_the_clip_size_is_named_before_training(video_root, capsys):
    pytest.importorskip("lectures_lib.data.datasets")
    with pytest.raises(ValueError, match=r"'C3D \(small\)' cannot take clips of --clip-len 16 "
                                         r"and --frame-size 24 24"):
        train.main(["--model", "C3D (small)", "--data", "folder", "--root", str(video_root),
                    "--frame-size", "24", "24", "--device", "cpu"])
    assert "epoch 1" not in capsys.readouterr().out
    train.main(["--model", "3D CNN", "--data", "folder", "--root", str(video_root),
                "--frame-size", "24", "24", "--test-clips", "1", "--epochs", "1",
                "--device", "cpu"])
    assert "on 3 videos, 1 clip each" in capsys.readouterr().out


def test_a_broken_video_stops_the_run_or_is_skipped_as_asked(video_root, capsys):
    pytest.importorskip("lectures_lib.data.datasets")
    broken = video_root / "train" / "run" / "v1.avi"
    broken.write_bytes(broken.read_bytes()[:2000])                      # cut short
    options = ["--model", "3D CNN", "--data", "folder", "--root", str(video_root),
               "--frame-size", "24", "24", "--test-clips", "1", "--epochs", "1",
               "--batch-size", "6", "--device", "cpu"]
    with pytest.raises(ValueError, match=r"v1\.avi"):
        train.main(options)
    with pytest.warns(UserWarning, match=r"skipping an unreadable video: .*run/v1\.avi"):
        train.main([*options, "--on-error", "skip"])
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_worker_batches_decode_the_next_batch_while_the_current_one_is_used(video_root):
    datasets = pytest.importorskip("lectures_lib.data.datasets")
    from lectures_lib.data import batching, decoding

    clips = datasets.kinetics(video_root, "train", clips=ClipSpec(clip_len=4), seed=0)
    workers = decoding.WorkerBatches(clips, 2, worker_init_fn=datasets.decode_worker_init)
    workers.set_epoch(2)
    stream = batching.batches(workers, 2, shuffle=True, seed=5)
    first = next(stream)
    assert workers.pending == 1                     # the second batch is on its way already
    got = [first, *stream]
    assert workers.pending == 0
    clips.set_epoch(2)                                  # the same clips, decoded here
    want = list(batching.batches(clips, 2, shuffle=True, seed=5))
    assert len(got) == len(want) == 3
    for (x, y), (x0, y0) in zip(got, want):
        assert torch.equal(x, x0) and torch.equal(y, y0)


def test_build_model_replaces_the_last_layer_for_another_number_of_classes():
    model = train.build_model("C3D (small)", 5)
    assert [m for m in model.modules() if isinstance(m, nn.Linear)][-1].out_features == 5
    assert model(torch.rand(2, *zoo.CLIP)).shape == (2, 5)
    same = train.build_model("C3D (small)", zoo.NUM_CLASSES)
    reference = zoo.entry("C3D (small)").build()
    assert all(torch.equal(a, b) for a, b in zip(same.parameters(), reference.parameters()))


@pytest.mark.parametrize(("args", "error", "match"), [
    (("3D CNN", 0), ValueError, "classes.*got 0"),
    (("3D CNN", 2.5), ValueError, "classes.*got 2.5"),
    (("two-stream (LK flow, averaged)", 8), ValueError, "name.*got 'two-stream"),
])
def test_build_model_names_a_bad_name_or_class_count(args, error, match):
    with pytest.raises(error, match=match):
        train.build_model(*args)
    with pytest.raises(ValueError, match="seed.*got -1"):
        train.build_model("3D CNN", 4, seed=-1)


def test_wrong_options_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main(["--model", "early fusion", "--resume"])
    assert "--resume needs --checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["--model", "two-stream (LK flow, averaged)"])
    if importlib.util.find_spec("lectures_lib.data.datasets"):
        with pytest.raises(ValueError, match="--data folder needs --root"):
            train.main(["--model", "early fusion", "--data", "folder"])
        with pytest.raises(ValueError, match="--data ucf101 needs --root and --split-dir"):
            train.main(["--model", "early fusion", "--data", "ucf101", "--root", "."])
    with pytest.raises(ValueError, match="amp .* is for CUDA devices"):
        train.main(["--model", "early fusion", "--sizes", "8", "8", "8", "--device", "cpu",
                    "--amp"])


@pytest.mark.parametrize(("options", "message"), [
    (["--device", "gpu"], "--device gpu: .*got 'gpu'"),
    (["--device", "cuda:99"], "--device cuda:99: .*got 'cuda:99'"),
    (["--frame-size", "0", "112"], "--frame-size must be positive, got 0 112"),
    (["--clip-len", "0"], "--clip-len must be positive, got 0"),
    (["--test-clips", "-2"], "--test-clips must be positive, got -2"),
    (["--sizes", "0", "8", "8"], "--sizes must be positive, got 0 8 8"),
    (["--workers", "-1"], "--workers must be 0 or more, got -1"),
])
def test_bad_devices_sizes_and_counts_are_named_before_anything_runs(options, message, capsys):
    with pytest.raises(SystemExit):
        train.main(["--model", "early fusion", *options])
    assert re.search(message, capsys.readouterr().err)


def test_ucf101_split_files_choose_the_train_and_test_videos(tmp_path, capsys):
    pytest.importorskip("lectures_lib.data.datasets")
    rng, lists = np.random.default_rng(1), tmp_path / "ucfTrainTestlist"
    lists.mkdir()
    classes, train_lines, test_lines = ("Jump", "Run"), [], []
    for c, name in enumerate(classes):
        (tmp_path / "UCF-101" / name).mkdir(parents=True)
        for g in (1, 2, 3):
            video = f"{name}/v_{name}_g0{g}_c01.avi"
            frames = rng.integers(0, 256, (20, 24, 24, 3), dtype=np.uint8)
            video_io.write_video(tmp_path / "UCF-101" / video, frames, fps=10)
            (train_lines.append(f"{video} {c + 1}") if g < 3 else test_lines.append(video))
    (lists / "classInd.txt").write_text("".join(f"{c + 1} {n}\n" for c, n in enumerate(classes)))
    (lists / "trainlist01.txt").write_text("\n".join(train_lines) + "\n")
    (lists / "testlist01.txt").write_text("\n".join(test_lines) + "\n")
    result = train.main(["--model", "single frame", "--data", "ucf101", "--root",
                         str(tmp_path / "UCF-101"), "--split-dir", str(lists), "--fold", "1",
                         "--test-clips", "3", "--epochs", "1", "--batch-size", "2",
                         "--device", "cpu"])
    out = capsys.readouterr().out
    assert "4 training videos, 2 classes" in out and "on 2 videos, 3 clips each" in out
    assert result.confusion.shape == (2, 2) and result.confusion.sum() == 2


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda d: d.WorkerBatches([(0, 0)], 0), ValueError, "workers.*0"),
    (lambda d: d.WorkerBatches(3, 2), TypeError, "dataset.*int"),
    (lambda d: d.WorkerBatches([(0, 0)], 2, worker_init_fn=1), TypeError,
     "worker_init_fn.*int"),
    (lambda d: d.WorkerBatches("videos", 2), TypeError, "dataset.*str"),
    (lambda d: d.WorkerBatches([(0, 0)], 1).batch([]), ValueError, r"indices .*got \[\]"),
])
def test_decoding_workers_refuse_bad_arguments(make, error, message):
    from lectures_lib.data import decoding

    with pytest.raises(error, match=message):
        make(decoding)
