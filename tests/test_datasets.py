"""Unit tests for real video datasets (lectures_lib.data.datasets,
lectures_lib.data.dataset_splits), on tiny UCF-101, HMDB-51 and Kinetics layouts that the tests
write themselves."""

import sys
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from lectures_lib.core.video import ClipSpec
from lectures_lib.data import dataset_splits as splits
from lectures_lib.data import datasets, video_io

# classInd.txt is deliberately not alphabetical: labels follow the file, not sorted names.
UCF_CLASSES = ("PlayingCello", "ApplyEyeMakeup", "Drumming")
FRAMES = 16


def write_video(path, video_id: int, frames: int = FRAMES):
    """Lossless frames that say who they are: red = 10 * frame index, green = 20 * video id."""
    rng = np.random.default_rng(video_id)
    x = rng.integers(0, 256, (frames, 32, 32, 3), dtype=np.uint8)
    x[..., 0], x[..., 1] = (10 * np.arange(frames))[:, None, None], 20 * video_id
    path.parent.mkdir(parents=True, exist_ok=True)
    return video_io.write_video(path, x, fps=10)


def tag(clip: torch.Tensor) -> tuple[int, list[int]]:
    """(video id, frame indices) of a ``(C, T, H, W)`` clip written by :func:`write_video`."""
    pixels = (clip[:, :, 0, 0] * 255).round().long()                # (C, T)
    return int(pixels[1, 0]) // 20, (pixels[0] // 10).tolist()


@pytest.fixture
def ucf(tmp_path):
    """3 classes x 3 videos; trainlist01 holds groups g01-g02, testlist01 group g03."""
    root, lists = tmp_path / "UCF-101", tmp_path / "ucfTrainTestlist"
    lists.mkdir()
    train, test = [], []
    for c, name in enumerate(UCF_CLASSES):
        for g in (1, 2, 3):
            rel = f"{name}/v_{name}_g0{g}_c01.avi"
            write_video(root / rel, 3 * c + g - 1)
            (train if g < 3 else test).append(f"{rel} {c + 1}" if g < 3 else rel)
    (lists / "classInd.txt").write_text("".join(f"{c + 1} {n}\r\n" for c, n in
                                                enumerate(UCF_CLASSES)))  # CRLF, as shipped
    (lists / "trainlist01.txt").write_text("\n".join(train) + "\n")
    (lists / "testlist01.txt").write_text("\n".join(test) + "\n\n")
    return root, lists


def test_ucf101_split_reads_the_official_lists(ucf):
    root, lists = ucf
    samples, classes = splits.ucf101_split(root, lists)
    assert classes == UCF_CLASSES and len(samples) == 6
    assert samples[0] == ("PlayingCello/v_PlayingCello_g01_c01.avi", 0)
    test, _ = splits.ucf101_split(root, lists, fold=1, train=False)
    assert test == [(f"{n}/v_{n}_g03_c01.avi", c) for c, n in enumerate(UCF_CLASSES)]


def test_training_items_are_seeded_random_clips_of_the_right_video(ucf):
    ds = datasets.ucf101(*ucf, clips=ClipSpec(clip_len=4, stride=2), seed=3)
    assert len(ds) == 6 and ds.classes == UCF_CLASSES
    clip, label = ds[4]                                      # Drumming g01: video id 6
    video_id, frames = tag(clip)
    assert clip.shape == (3, 4, 32, 32) and label == 2 and video_id == 6
    assert np.diff(frames).tolist() == [2, 2, 2]
    assert torch.equal(clip, ds[4][0])
    before = [tag(ds[i][0]) for i in range(len(ds))]
    ds.set_epoch(1)
    assert [tag(ds[i][0]) for i in range(len(ds))] != before
    other = datasets.ucf101(*ucf, clips=ClipSpec(clip_len=4, stride=2), seed=4)
    assert [tag(other[i][0]) for i in range(len(ds))] != before


def test_test_items_are_uniform_clips_resampled_and_resized(ucf):
    ds = datasets.ucf101(*ucf, train=False,
                         clips=ClipSpec(clip_len=3, num_clips=3, fps=5, size=(16, 16)))
    clips, label = ds[1]
    assert clips.shape == (3, 3, 3, 16, 16) and label == 1
    full = datasets.ucf101(*ucf, train=False, clips=ClipSpec(clip_len=3, num_clips=3))
    starts = [tag(c)[1] for c in full[1][0]]                 # 16 frames at 10 fps
    assert starts == [[0, 1, 2], [6, 7, 8], [13, 14, 15]]    # first starts it, last ends it


def test_a_video_shorter_than_a_clip_repeats_its_last_frame(tmp_path):
    write_video(tmp_path / "a" / "short.avi", 0, frames=3)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "broken.avi").write_bytes(b"garbage" * 50)
    ds = datasets.VideoClips(tmp_path, *splits.class_folders(tmp_path), ClipSpec(clip_len=5))
    assert ds.classes == ("a", "b") and tag(ds[0][0])[1] == [0, 1, 2, 2, 2]
    with pytest.raises(ValueError, match="OpenCV cannot open .*broken.avi as a video"):
        ds[1]


@pytest.mark.parametrize("name, text, error, match", [
    ("classInd.txt", "1 PlayingCello\n3 Drumming\n", ValueError,
     r"classInd.txt line 2: expected '2 <class name>', got '3 Drumming'"),
    ("trainlist01.txt", "PlayingCello/v_PlayingCello_g01_c01.avi 2\n", ValueError,
     r"trainlist01.txt line 1: PlayingCello is class 1 in classInd.txt, but the line says 2"),
    ("trainlist01.txt", "\nPlayingCello/v_PlayingCello_g01_c01.avi\n", ValueError,
     r"trainlist01.txt line 2: expected '<class>/<video> <class id>'"),
    ("trainlist01.txt", "Juggling/v_Juggling_g01_c01.avi 1\n", ValueError,
     r"with a class of classInd.txt, got 'Juggling/v_Juggling_g01_c01.avi 1'"),
    ("trainlist01.txt", "Drumming/v_Drumming_g09_c01.avi 3\n", FileNotFoundError,
     r"trainlist01.txt line 1 names Drumming/v_Drumming_g09_c01.avi, but there is no file"),
])
def test_malformed_ucf101_split_files_name_the_file_and_line(ucf, name, text, error, match):
    root, lists = ucf
    (lists / name).write_text(text)
    with pytest.raises(error, match=match):
        splits.ucf101_split(root, lists)


def test_missing_split_files_are_named(ucf):
    root, lists = ucf
    with pytest.raises(FileNotFoundError, match="no split file at .*testlist02.txt"):
        splits.ucf101_split(root, lists, fold=2, train=False)
    with pytest.raises(ValueError, match="fold.*0"):
        splits.ucf101_split(root, lists, fold=0)


def test_hmdb51_splits_keep_ids_1_for_training_and_2_for_testing(tmp_path):
    root, lists = tmp_path / "hmdb51", tmp_path / "splits"
    lists.mkdir()
    for c, name in enumerate(("wave", "brush_hair")):
        for k in range(3):
            write_video(root / name / f"{name}_{k}.avi", 3 * c + k)
        lines = [f"{name}_{k}.avi {k}" for k in range(3)]    # ids 0 (unused), 1, 2
        (lists / f"{name}_test_split1.txt").write_text("\n".join(lines) + "\n")
    samples, classes = splits.hmdb51_split(root, lists)
    assert classes == ("brush_hair", "wave")
    assert samples == [("brush_hair/brush_hair_1.avi", 0), ("wave/wave_1.avi", 1)]
    ds = datasets.hmdb51(root, lists, fold=1, train=False, clips=ClipSpec(clip_len=4))
    assert [s for s, _ in ds.samples] == ["brush_hair/brush_hair_2.avi", "wave/wave_2.avi"]
    assert tag(ds[1][0])[0] == 2 and ds[1][1] == 1
    (lists / "wave_test_split1.txt").write_text("wave_0.avi 3\n")
    with pytest.raises(ValueError, match=r"wave_test_split1.txt line 1: expected '<video> <0, 1"):
        splits.hmdb51_split(root, lists)
    with pytest.raises(FileNotFoundError, match="no HMDB-51 split files <class>_test_split2"):
        splits.hmdb51_split(root, lists, fold=2)


def test_kinetics_class_folders_share_the_training_labels(tmp_path):
    for split, names in (("train", ("abseiling", "air drumming", "zumba")), ("val", ("zumba",))):
        for c, name in enumerate(names):
            write_video(tmp_path / split / name / f"{name[:3]}_000001_000011.mp4", c)
    (tmp_path / "train" / "zumba" / "notes.txt").write_text("not a video")
    train = datasets.kinetics(tmp_path, "train", clips=ClipSpec(clip_len=4))
    assert train.classes == ("abseiling", "air drumming", "zumba") and len(train) == 3
    val = datasets.kinetics(tmp_path, "val", classes=train.classes,
                            clips=ClipSpec(clip_len=4))
    assert val.samples == [("zumba/zum_000001_000011.mp4", 2)]
    assert datasets.kinetics(tmp_path, "val").samples[0][1] == 0        # its own classes
    with pytest.raises(ValueError, match=r"has classes that are not in classes: \['zumba'\]"):
        datasets.kinetics(tmp_path, "val", classes=("abseiling",))
    with pytest.raises(ValueError, match="holds no videos"):
        splits.class_folders(tmp_path / "train", extensions=(".mkv",))
    with pytest.raises(ValueError, match="drop_missing needs csv_path"):
        datasets.kinetics(tmp_path, "val", drop_missing=True)


CSV_HEADER = "label,youtube_id,time_start,time_end,split\n"


def test_kinetics_csv_names_videos_by_youtube_id_and_times(tmp_path):
    flat = tmp_path / "train"                                # as the CVDF archives unpack
    write_video(flat / "abc_000004_000014.mp4", 0)
    write_video(flat / "xyz_000120_000130.mp4", 1)
    csv_path = tmp_path / "train.csv"
    rows = ["zumba,abc,4,14,train", "abseiling,xyz,120,130,train", "zumba,gone,1,11,train"]
    csv_path.write_text(CSV_HEADER + "\n".join(rows) + "\n")
    with pytest.raises(FileNotFoundError, match=r"train.csv line 4 names gone_000001_000011.mp4"):
        splits.kinetics_csv(flat, csv_path)
    with pytest.warns(UserWarning, match="left out 1 rows .* e.g. gone_000001_000011.mp4"):
        ds = datasets.kinetics(tmp_path, "train", csv_path=csv_path, drop_missing=True,
                               clips=ClipSpec(clip_len=4))
    assert ds.classes == ("abseiling", "zumba")
    assert ds.samples == [("abc_000004_000014.mp4", 1), ("xyz_000120_000130.mp4", 0)]
    assert tag(ds[1][0])[0] == 1
    with pytest.warns(UserWarning, match="left out 1 rows"):
        samples, classes = splits.kinetics_csv(flat, csv_path, classes=("zumba", "abseiling"),
                                               drop_missing=True)
    assert classes == ("zumba", "abseiling") and [label for _, label in samples] == [0, 1]
    csv_path.write_text(CSV_HEADER + "zumba,abc,4.5,14,train\n")
    with pytest.raises(ValueError, match="train.csv line 2: time_start and time_end must be"):
        splits.kinetics_csv(flat, csv_path)
    csv_path.write_text("youtube_id,time_start\nabc,4\n")
    with pytest.raises(ValueError, match="must have the columns label,youtube_id"):
        splits.kinetics_csv(flat, csv_path)
    with pytest.raises(FileNotFoundError, match="no Kinetics annotation file"):
        splits.kinetics_csv(flat, tmp_path / "val.csv")


def truncate(path, keep: float = 0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_a_truncated_video_raises_or_is_skipped_never_zero_filled(ucf):
    root, lists = ucf
    bad = root / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g02_c01.avi"    # train item 3
    truncate(bad)
    raising = datasets.ucf101(root, lists, clips=ClipSpec(clip_len=4), on_error="raise")
    with pytest.raises(ValueError, match="v_ApplyEyeMakeup_g02_c01.avi is truncated"):
        raising[3]
    ds = datasets.ucf101(root, lists, clips=ClipSpec(clip_len=4), on_error="skip")
    with pytest.warns(UserWarning, match="skipping an unreadable video: .*g02_c01.avi"):
        clip, label = ds[3]
    assert torch.equal(clip, ds[4][0]) and label == ds[4][1] == 2     # the next readable one
    assert ds.skipped == [bad]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                # once per file
        assert torch.equal(ds[3][0], clip)
    for path in root.rglob("*.avi"):
        truncate(path)
    with pytest.raises(ValueError, match="none of the 6 videos under .* can be decoded"), \
            pytest.warns(UserWarning):
        datasets.ucf101(root, lists, clips=ClipSpec(clip_len=4), on_error="skip")[0]


@pytest.mark.slow
def test_workers_decode_the_same_clips_as_the_main_process(ucf, capfd):
    root, lists = ucf
    truncate(root / "Drumming" / "v_Drumming_g01_c01.avi")           # train item 4
    ds = datasets.ucf101(root, lists, clips=ClipSpec(clip_len=4), seed=1, on_error="skip")
    loader = DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="spawn",
                        worker_init_fn=datasets.decode_worker_init)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        with warnings.catch_warnings():     # pytest records warnings in memory: print them instead
            warnings.showwarning = lambda *args, **_: print(warnings.formatwarning(*args[:4]),
                                                            file=sys.stderr)
            clips, labels = map(torch.cat, zip(*loader))              # (6, C, T, H, W), (6,)
        assert "skipping an unreadable video" in capfd.readouterr().err   # printed by a worker
        assert ds.skipped == []                                       # the workers' copies knew
        with pytest.warns(UserWarning, match="Drumming_g01"):
            expected = [ds[i] for i in range(len(ds))]
        assert torch.equal(clips, torch.stack([c for c, _ in expected]))
        assert labels.tolist() == [label for _, label in expected] == [0, 0, 1, 1, 2, 2]
        ds.skipped.clear()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(on_error="ignore"), ValueError, "on_error.*'ignore'"),
    (dict(clips=dict(clip_len=4)), TypeError, "clips.*dict"),
    (dict(seed=-1), ValueError, "seed.*-1"),
    (dict(samples=[]), ValueError, "samples must list at least one"),
    (dict(samples=[("a.avi", 3)]), ValueError, r"labels.*\[0, 3\).*3"),
    (dict(samples="a.avi"), ValueError, "samples.*'a.avi'"),
    (dict(samples=[("a.avi", 0, "extra")]), ValueError, r"samples .*\('a.avi', 0, 'extra'\)"),
])
def test_video_clips_wrong_arguments(ucf, kwargs, error, match):
    root, lists = ucf
    samples, classes = splits.ucf101_split(root, lists)
    kwargs = {"samples": samples, **kwargs}
    with pytest.raises(error, match=match):
        datasets.VideoClips(root, kwargs.pop("samples"), classes, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(size=16), "size.*16"),
    (dict(fps=0), "fps.*0"),
    (dict(num_clips=0), "num_clips.*0"),
    (dict(clip_len=0), "clip_len.*0"),
    (dict(stride=-1), "stride.*-1"),
])
def test_clip_spec_wrong_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ClipSpec(**kwargs)


def test_clip_spec_for_testing_keeps_the_rest():
    spec = ClipSpec(clip_len=8, stride=2, size=[16, 20], fps=5)
    assert spec.size == (16, 20)                                     # a list becomes a tuple
    assert spec.for_testing(3) == ClipSpec(clip_len=8, stride=2, size=(16, 20), fps=5, num_clips=3)


@pytest.mark.parametrize("index", [6, -1])
def test_index_out_of_range(ucf, index):
    with pytest.raises(IndexError, match=rf"index must be in \[0, 6\), got {index}"):
        datasets.ucf101(*ucf)[index]


def test_class_folders_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder of class folders"):
        splits.class_folders(tmp_path / "missing")
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="holds no videos"):
        splits.class_folders(tmp_path)
    with pytest.raises(ValueError, match=r"extensions must be a tuple such as \('.avi',\)"):
        splits.class_folders(tmp_path, extensions=".avi")


def test_decode_worker_init_leaves_opencv_one_thread_and_the_same_frames(ucf):
    cv2, path = video_io.opencv(), ucf[0] / "Drumming" / "v_Drumming_g01_c01.avi"
    before, frames = cv2.getNumThreads(), video_io.read_video(path)[0]
    try:
        datasets.decode_worker_init(0)
        assert cv2.getNumThreads() == 1
        assert np.array_equal(video_io.read_video(path)[0], frames)
    finally:
        cv2.setNumThreads(before)
    with pytest.raises(TypeError, match="worker_id must be an integer"):
        datasets.decode_worker_init("0")


def test_the_mini_dataset_written_as_ucf101_reads_back_with_its_labels_and_frames(tmp_path):
    from lectures_lib import data
    from lectures_lib.data import mini_folders

    root, lists = mini_folders.write_mini_ucf101(tmp_path, groups=3, clips_per_group=2)
    train, classes = splits.ucf101_split(root, lists)
    test, _ = splits.ucf101_split(root, lists, train=False)
    assert classes == tuple(map(mini_folders.ucf101_class_name, data.MOTION_CLASSES))
    assert classes[6:] == ("Clockwise", "Counterclockwise")
    assert len(train) == 8 * 4 and len(test) == 8 * 2
    assert {rel.split("_")[-2] for rel, _ in test} == {"g01"}          # test on whole groups
    assert {rel.split("_")[-2] for rel, _ in train} == {"g02", "g03"}
    # Each file holds exactly the mini video it was drawn from, of the class its folder names.
    pool = data.MiniVideos("train", 4 * 6 * 8)
    rel, label = train[0]
    first = [i for i in range(len(pool)) if pool.labels[i] == label][2]   # g02_c01 is the third
    frames, fps = video_io.read_video(root / rel)
    want = (pool[first][0].permute(1, 2, 3, 0) * 255).round().byte().numpy()
    assert fps == 25 and np.array_equal(frames, want)
    assert rel.startswith(f"{classes[label]}/v_{classes[label]}_g02_c01")


def test_the_mini_ucf101_writer_names_bad_arguments(tmp_path, monkeypatch):
    from lectures_lib import data
    from lectures_lib.data import mini_folders

    with pytest.raises(ValueError, match="test_groups must leave a group to train on"):
        mini_folders.write_mini_ucf101(tmp_path, groups=2, test_groups=2)
    with pytest.raises(ValueError, match="fps.*got 0"):
        mini_folders.write_mini_ucf101(tmp_path / "fps", fps=0)
    with pytest.raises(TypeError, match="config.*got str"):
        mini_folders.write_mini_ucf101(tmp_path / "config", config="motion")
    assert not (tmp_path / "fps").exists() and not (tmp_path / "config").exists()
    with pytest.raises(TypeError, match="name.*got 3"):
        mini_folders.ucf101_class_name(3)

    def one_class(*args, **kwargs):                     # a pool that holds class 0 only
        pool = data.MiniVideos(*args, **kwargs)
        pool.labels = torch.zeros_like(pool.labels)
        return pool

    monkeypatch.setattr(mini_folders, "MiniVideos", one_class)
    with pytest.raises(ValueError, match=r"fewer than 4 of \['left', 'down'"):
        mini_folders.write_mini_ucf101(tmp_path, groups=2, clips_per_group=2)
