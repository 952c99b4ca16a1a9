"""Unit tests for lectures_lib.flow.store: flow precomputed to 8-bit images, resumable, atomic."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lectures_lib.core.video import frames_to_clip
from lectures_lib.data import video_io
from lectures_lib.flow import store as flow_store
from lectures_lib.flow import truth as flow_truth
from lectures_lib.flow.clips import FlowQuantiser, clip_flows
from lectures_lib.flow.methods import METHODS
from lectures_lib.flow.store import FlowStoreSpec, flow_folder, load_flow, precompute_flow

SHIFT = (1.5, -1.0)                                   # pixels per frame, right and up


def translating_video(path: Path, *, frames: int = 8, size: int = 32, seed: int = 0) -> Path:
    """An analytic texture moving by SHIFT each frame, so the flow is known; lossless FFV1."""
    texture = flow_truth.plane_waves(seed, size=size)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    gray = np.stack([texture(x - t * SHIFT[0], y - t * SHIFT[1]) for t in range(frames)])
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.repeat((gray * 255).round().astype(np.uint8)[..., None], 3, axis=-1)
    return video_io.write_video(path, rgb, fps=25)


@pytest.fixture
def videos(tmp_path) -> tuple[Path, list[Path]]:
    root = tmp_path / "videos"
    names = ["walk/a.avi", "walk/b.avi", "run/c.avi"]
    return root, [translating_video(root / n, seed=i) for i, n in enumerate(names)]


def direct_flow(path: Path, method: str = "dis") -> torch.Tensor:
    """The un-quantised flow of a video file, (2, T-1, H, W)."""
    frames, _ = video_io.read_video(path)
    return clip_flows(frames_to_clip(frames)[None], METHODS[method].estimate)[0]


def state(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's (inode, mtime), and the folder's own: what a rewrite would change."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [folder, *folder.iterdir()]}


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if ".tmp-" in p.name]


def test_stored_flow_is_the_flow_within_the_quantisation_error(videos, tmp_path):
    root, paths = videos
    out = tmp_path / "flow"
    summary = precompute_flow(paths, out, root=root)               # DIS, bound 20, JPEG q95
    assert summary == {"done": [str(p) for p in paths], "skipped": [], "failed": []}
    step = FlowQuantiser(20).step
    for path in paths:
        folder = flow_folder(path, out, root=root)
        assert folder == out / path.relative_to(root).with_suffix("")
        assert sorted(p.name for p in folder.iterdir())[:2] == ["flow.json", "u_00001.jpg"]
        assert len(list(folder.glob("v_*.jpg"))) == 7
        meta = flow_store.read_metadata(folder)
        assert meta["spec"] == {"method": "dis", "bound": 20.0, "size": None,
                                "image_format": "jpg", "quality": 95}
        assert (meta["pairs"], meta["height"], meta["width"], meta["step"]) == (7, 32, 32, step)
        stored, direct = load_flow(folder), direct_flow(path)
        assert stored.shape == direct.shape == (2, 7, 32, 32) and stored.dtype == torch.float32
        error = (stored - direct).abs()
        assert error.mean() < step / 2 and error.max() < 3 * step       # JPEG adds a little
        inner = stored[:, :, 6:-6, 6:-6].flatten(1).median(dim=1).values  # the known motion
        assert torch.allclose(inner, torch.tensor(SHIFT), atol=0.1), inner
        assert torch.equal(load_flow(folder, pairs=slice(2, 5)), stored[:, 2:5])


def test_png_stores_the_codes_exactly_and_clips_at_the_bound(videos, tmp_path, monkeypatch):
    root, paths = videos
    monkeypatch.setattr(flow_store, "_CHUNK", 3)                    # 7 pairs in chunks: 3, 3, 1
    for bound in (20.0, 1.0):                                       # 1 px: the 1.5 px u clips
        spec = FlowStoreSpec(bound=bound, image_format="png")
        out = tmp_path / f"png{bound}"
        precompute_flow(paths[:1], out, root=root, spec=spec)
        stored, direct = load_flow(flow_folder(paths[0], out, root=root)), direct_flow(paths[0])
        quantiser = FlowQuantiser(bound)
        assert torch.equal(stored, quantiser.decode(quantiser.encode(direct)))
        inside = direct.abs() <= bound
        assert (stored - direct)[inside].abs().max() <= quantiser.step / 2 + 1e-6
        assert torch.allclose(stored[~inside], direct[~inside].sign() * bound)
    assert torch.allclose(stored[0, :, 6:-6, 6:-6], torch.tensor(1.0))


def test_a_rerun_recomputes_only_what_is_missing_stale_or_half_written(videos, tmp_path):
    root, paths = videos
    out = tmp_path / "flow"
    precompute_flow(paths, out, root=root)
    a, b, c = (flow_folder(p, out, root=root) for p in paths)
    before = {a: state(a), c: state(c)}
    (b / "flow.json").unlink()                                      # b: marker gone
    (c.parent / ".c.tmp-99999").mkdir()                             # a killed run's leftovers
    (c.parent / ".c.tmp-99999" / "u_00001.jpg").write_bytes(b"half")
    (a.parent / ".a.tmp-99999-old").mkdir()
    lines = []
    summary = precompute_flow(paths, out, root=root, log=lines.append)
    assert summary == {"done": [str(paths[1])], "skipped": [str(paths[0]), str(paths[2])],
                       "failed": []}
    assert lines[0] == "[1/3] walk/a: complete already" and "walk/b: computed in" in lines[1]
    assert {a: state(a), c: state(c)} == before and temporaries(out) == []
    assert load_flow(b).shape == (2, 7, 32, 32)
    meta = json.loads((a / "flow.json").read_text())
    (a / "flow.json").write_text(json.dumps({**meta, "spec": {**meta["spec"], "bound": 10.0}}))
    (c / "flow.json").write_text("{not json")                        # corrupt: recomputed too
    summary = precompute_flow(paths, out, root=root)
    assert summary["done"] == [str(paths[0]), str(paths[2])]
    assert summary["skipped"] == [str(paths[1])]
    assert flow_store.read_metadata(a)["spec"]["bound"] == 20.0 and temporaries(out) == []
    smaller = FlowStoreSpec(size=(16, 16), image_format="png")      # another spec: all again
    assert precompute_flow(paths, out, root=root, spec=smaller)["done"] == [str(p) for p in paths]
    assert load_flow(a).shape == (2, 7, 16, 16)


KILLER = """
import os, runpy, signal, sys
import cv2
real, calls, kill_at = cv2.imwrite, [0], int(sys.argv[1])
def imwrite(*args, **kwargs):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
cv2.imwrite = imwrite
sys.argv = ["flow_store", *sys.argv[2:]]
runpy.run_module("lectures_lib.flow.store", run_name="__main__")
"""


@pytest.mark.slow
def test_a_killed_run_leaves_nothing_trusted_and_a_rerun_completes_it(tmp_path, capsys):
    root, out = tmp_path / "videos", tmp_path / "flow"
    paths = [translating_video(root / f"v{i}.avi", seed=i) for i in range(5)]
    kill_at = 2 * 14 + 5                                            # 14 images a video: in the 3rd
    run = subprocess.run([sys.executable, "-c", KILLER, str(kill_at), str(root), str(out)],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == -9, run.stderr                         # SIGKILL, mid-write
    assert "[2/5] v1: computed in" in run.stdout and "[3/5]" not in run.stdout
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["v0", "v1"]
    assert len(temporaries(out)) == 1 and len(list(temporaries(out)[0].iterdir())) == 4
    with pytest.raises(FileNotFoundError, match="flow.json is missing"):
        load_flow(out / "v2")
    assert flow_store.main([str(root), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[1/5] v0: complete already" in printed and "3 done, 2 skipped, 0 failed" in printed
    assert temporaries(out) == []
    for path in paths:
        stored = load_flow(flow_folder(path, out, root=root))
        assert (stored - direct_flow(path)).abs().mean() < FlowQuantiser(20).step / 2


def test_unreadable_videos_are_raised_or_skipped_never_zero_filled(videos, tmp_path, capsys):
    root, paths = videos
    broken = root / "walk" / "broken.avi"
    broken.write_bytes(b"not a video" * 100)
    single = video_io.write_video(root / "run" / "single.avi", np.zeros((1, 32, 32, 3), np.uint8),
                                  fps=25)
    out = tmp_path / "flow"
    with pytest.raises(ValueError, match=f"cannot open {broken}"):
        precompute_flow([paths[0], broken], out, root=root)
    with pytest.raises(ValueError, match=f"{single} has 1 decodable frame"):
        precompute_flow([single], out, root=root, on_error="raise")
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        precompute_flow([root / "missing.avi"], out, root=root)
    summary = precompute_flow([broken, *paths, single], out, root=root, on_error="skip")
    assert summary["done"] == [str(p) for p in paths[1:]] and summary["skipped"] == [str(paths[0])]
    assert [p for p, _ in summary["failed"]] == [str(broken), str(single)]
    assert all(p in why for p, why in summary["failed"])
    assert not (out / "walk" / "broken").exists() and not (out / "run" / "single").exists()
    assert temporaries(out) == []
    assert flow_store.main([str(root), str(out), "--on-error", "skip"]) == 1
    printed = capsys.readouterr().out
    assert "5 videos in" in printed and "0 done, 3 skipped, 2 failed" in printed
    assert f"failed: OpenCV cannot open {broken}" in printed
    with pytest.raises(ValueError, match="single.avi has 1 decodable frame"):
        flow_store.main([str(root), str(out)])                      # --on-error raise


def test_the_command_line_takes_every_option(videos, tmp_path, capsys):
    root, paths = videos
    out = tmp_path / "flow"
    with pytest.raises(SystemExit) as exit_info:
        flow_store.main(["--help"])
    assert exit_info.value.code == 0
    usage = " ".join(capsys.readouterr().out.split())
    for option in ("video_root", "out_dir", "--method", "--bound", "--size", "--format",
                   "--quality", "--on-error", "lucas_kanade", "default: 20.0", "rerun"):
        assert option in usage, option
    args = ["--method", "lucas_kanade", "--bound", "4", "--size", "24", "16", "--format", "jpg",
            "--quality", "90", "--on-error", "raise"]
    assert flow_store.main([str(root), str(out), *args]) == 0
    meta = flow_store.read_metadata(flow_folder(paths[2], out, root=root))
    assert meta["spec"] == {"method": "lucas_kanade", "bound": 4.0, "size": [24, 16],
                            "image_format": "jpg", "quality": 90}
    assert load_flow(flow_folder(paths[2], out, root=root)).shape == (2, 7, 24, 16)
    with pytest.raises(FileNotFoundError, match="no video folder"):
        flow_store.main([str(tmp_path / "nowhere"), str(out)])


def test_bad_arguments_say_what_was_expected(videos, tmp_path):
    root, paths = videos
    bad_specs = [({"method": "tvl1"}, "method must be one of .*'dis'.*got 'tvl1'"),
                 ({"bound": 0}, "bound must be a positive number"),
                 ({"size": (0, 4)}, r"size \(H, W\)\[0\] must be a positive integer"),
                 ({"size": (4,)}, "size .* must be 2 positive integers"),
                 ({"image_format": "jpeg"}, "image_format must be one of 'jpg', 'png'"),
                 ({"quality": 101}, "quality must be an integer in 1..100")]
    for kwargs, message in bad_specs:
        with pytest.raises(ValueError, match=message):
            FlowStoreSpec(**kwargs)
    out = tmp_path / "flow"
    with pytest.raises(ValueError, match="iterable of video paths"):
        precompute_flow(str(paths[0]), out, root=root)
    with pytest.raises(ValueError, match="expected a video inside root"):
        precompute_flow([paths[0]], out, root=root / "run")
    with pytest.raises(ValueError, match="one video per output folder.*walk/a"):
        precompute_flow([paths[0], paths[0].with_suffix(".mp4")], out, root=root)
    with pytest.raises(ValueError, match="on_error must be one of 'raise', 'skip'"):
        precompute_flow(paths, out, root=root, on_error="ignore")
    with pytest.raises(TypeError, match="spec must be a FlowStoreSpec"):
        precompute_flow(paths, out, root=root, spec={"bound": 20})
    with pytest.raises(TypeError, match="log.*'print'"):
        precompute_flow(paths, out, root=root, log="print")
    assert not out.exists()
    precompute_flow(paths[:1], out, root=root)
    folder = flow_folder(paths[0], out, root=root)
    with pytest.raises(TypeError, match="pairs must be a slice"):
        load_flow(folder, pairs=3)
    (folder / "v_00004.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="v_00004.jpg is missing or corrupt"):
        load_flow(folder)
