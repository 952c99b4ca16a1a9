"""A dataset's optical flow, computed once to disk as 8-bit images, resumable after a kill.

Why: the two-stream paper computed the flow of every video once, before training, and kept it as
JPEG images, rescaled to 8 bits; here with :class:`~lectures_lib.flow.clips.FlowQuantiser`'s codes::

    <root>/<class>/<name>.avi --read_video--> (T, H, W, 3) --flow--> (2, T-1, H, W) px
      --FlowQuantiser(bound)--> codes --> <out_dir>/<class>/<name>/{u,v}_{00001..<T-1>}.jpg
                                          <out_dir>/<class>/<name>/flow.json     (written last)

``u_00001`` is the flow from frame 1 to frame 2; ``flow.json`` holds the :class:`FlowStoreSpec`,
the codes' step in pixels and the sizes. A video is written into a hidden sibling
``.<name>.tmp-<pid>`` and renamed into place (``os.replace``) only when complete, so an output
folder exists only whole; a later run skips a video whose ``flow.json`` has the same spec,
recomputes any other, and deletes what a killed run left. One run per output folder at a time.

Reference:
    Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
    Videos" (NeurIPS, arXiv 1406.2199); the 20 px bound: Wang et al., 2016, arXiv 1608.00859.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..core.checks import check_choice, check_positive, check_shape
from ..core.video import frames_to_clip
from ..costs.timing import stopwatch
from ..data.dataset_splits import VIDEO_EXTENSIONS
from ..data.video_io import opencv, read_video
from .clips import FlowQuantiser, clip_flows
from .methods import METHODS

MARKER = "flow.json"
_CHUNK = 32                     # frame pairs per call of the flow method: bounded memory


@dataclass(frozen=True)
class FlowStoreSpec:
    """How flow is computed and stored; a stored video is reused only if its spec matches.

    Args:
        method: ``"dis"``, ``"farneback"`` (OpenCV), ``"lucas_kanade"`` or ``"horn_schunck"``
            (the book's own), each with its defaults.
        bound: flow is clipped to ``[-bound, bound]`` pixels (of the resized frames) and stored in
            steps of ``bound / 127``.
        size: resize frames to ``(H, W)`` before the flow (the file's size when None).
        image_format: ``"jpg"`` (JPEG, as the paper; lossy) or ``"png"`` (the codes exactly).
        quality: JPEG quality, 1..100 (recorded but unused for png).
    """

    method: str = "dis"
    bound: float = 20.0
    size: tuple[int, int] | None = None
    image_format: str = "jpg"
    quality: int = 95

    def __post_init__(self) -> None:
        check_choice("method", self.method, tuple(METHODS))
        check_choice("image_format", self.image_format, ("jpg", "png"))
        check_positive(bound=self.bound)
        if self.size is not None:
            check_shape("size (H, W)", self.size, rank=2)
            object.__setattr__(self, "size", tuple(self.size))       # a list from JSON or argv
        if isinstance(self.quality, bool) or self.quality not in range(1, 101):
            raise ValueError(f"quality must be an integer in 1..100, got {self.quality!r}")


def flow_folder(path: str | os.PathLike, out_dir: str | os.PathLike, *,
                root: str | os.PathLike) -> Path:
    """A video's output folder: its path under ``root``, without suffix, under ``out_dir``.

    Args:
        path: the video file, inside ``root``.
        out_dir: the output folder of the dataset.
        root: the dataset's video folder.
    """
    video, top = Path(os.path.abspath(path)), Path(os.path.abspath(root))
    if not video.is_relative_to(top) or video == top:
        raise ValueError(f"expected a video inside root {str(root)!r}, got {str(path)!r}")
    return Path(out_dir, video.relative_to(top).with_suffix(""))


def read_metadata(folder: str | os.PathLike) -> dict:
    """A video's ``flow.json`` (see the module docstring); raises if the folder is not complete."""
    if not Path(folder, MARKER).is_file():
        raise FileNotFoundError(f"no complete stored flow at {str(folder)!r}: {MARKER} is "
                                "missing (run precompute_flow on the video again)")
    return json.loads(Path(folder, MARKER).read_text())


def load_flow(folder: str | os.PathLike, *, pairs: slice = slice(None)) -> torch.Tensor:
    """A video's stored flow back in pixels, decoded with the bound its ``flow.json`` records.

    Args:
        folder: the video's output folder (see :func:`flow_folder`).
        pairs: which frame pairs to read, e.g. ``slice(4, 20)`` for a clip (all by default).

    Shape:
        ``(2, L, H, W)`` float32 (u, v): the layout of :func:`~lectures_lib.flow.clips.clip_flows`.
    """
    if not isinstance(pairs, slice):
        raise TypeError(f"pairs must be a slice, got {type(pairs).__name__}")
    meta, cv2 = read_metadata(folder), opencv()
    spec, H, W = FlowStoreSpec(**meta["spec"]), meta["height"], meta["width"]
    codes = np.zeros((2, len(range(meta["pairs"])[pairs]), H, W), np.uint8)
    for i, t in enumerate(range(meta["pairs"])[pairs]):
        for c, component in enumerate("uv"):
            file = Path(folder, f"{component}_{t + 1:05d}.{spec.image_format}")
            image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if image is None or image.shape != (H, W):
                raise ValueError(f"{file} is missing or corrupt: expected a {H} x {W} image")
            codes[c, i] = image
    return FlowQuantiser(spec.bound).decode(torch.from_numpy(codes))


def _store(path: str | os.PathLike, folder: Path, rel: str, spec: FlowStoreSpec) -> None:
    """Compute one video, write its images then ``flow.json`` aside, and move them into place."""
    cv2 = opencv()
    frames, fps = read_video(path, size=spec.size)
    if len(frames) < 2:
        raise ValueError(f"{path} has 1 decodable frame; flow needs at least two")
    clip = frames_to_clip(frames)[None]                              # (1, 3, T, H, W)
    estimate = METHODS[spec.method].estimate
    flows = [clip_flows(clip[:, :, s:s + _CHUNK + 1], estimate)[0]     # (2, <=32, H, W) each
             for s in range(0, clip.shape[2] - 1, _CHUNK)]
    codes = FlowQuantiser(spec.bound).encode(torch.cat(flows, dim=1))  # (2, T-1, H, W) uint8
    _, L, H, W = codes.shape
    meta = {"video": rel, "spec": asdict(spec), "step": FlowQuantiser(spec.bound).step,
            "codes": "flow = (code - 127) * step, clipped to +-bound", "pairs": L,
            "height": H, "width": W, "fps": fps, "lectures_lib": __version__}
    options = [cv2.IMWRITE_JPEG_QUALITY, spec.quality] if spec.image_format == "jpg" else []
    temp, old = (folder.with_name(f".{folder.name}.tmp-{os.getpid()}{end}") for end in ("", "-old"))
    try:
        temp.mkdir(parents=True)
        for t, pair in enumerate(codes.permute(1, 0, 2, 3).numpy()):  # (2, L, H, W) -> (L, 2, H, W)
            for component, image in zip("uv", pair):
                file = temp / f"{component}_{t + 1:05d}.{spec.image_format}"
                if not cv2.imwrite(str(file), image, options):
                    raise OSError(f"OpenCV could not write {file}")
        (temp / MARKER).write_text(json.dumps(meta, indent=1))
        if folder.exists():                                          # stale: set it aside first
            os.replace(folder, old)
        os.replace(temp, folder)
    finally:
        for leftover in (temp, old):
            shutil.rmtree(leftover, ignore_errors=True)


def precompute_flow(paths: Iterable[str | os.PathLike], out_dir: str | os.PathLike, *,
                    root: str | os.PathLike, spec: FlowStoreSpec = FlowStoreSpec(),
                    on_error: str = "raise",
                    log: Callable[[str], None] | None = None) -> dict[str, list]:
    """Compute and store the flow of every video once; skip those already stored with ``spec``.

    Why: flow costs more than the network that reads it; a rerun continues where an interrupted
    run stopped. Returns ``{"done": paths, "skipped": paths, "failed": (path, why) pairs}``.

    Args:
        paths: the video files, all inside ``root``.
        out_dir: where the flow goes, one folder per video (see :func:`flow_folder`).
        root: the dataset's video folder; output names are the videos' paths relative to it.
        spec: method, bound, size and image format (see :class:`FlowStoreSpec`).
        on_error: for an unreadable, empty or too small video: ``"raise"`` an error naming it,
            or ``"skip"`` it and list it in ``failed``. Never zero-filled.
        log: called with one progress line per video (e.g. ``print``); silent when None.
    """
    if isinstance(paths, (str, os.PathLike)) or not isinstance(paths, Iterable):
        raise ValueError(f"paths must be an iterable of video paths, got {paths!r:.80}")
    if not isinstance(spec, FlowStoreSpec):
        raise TypeError(f"spec must be a FlowStoreSpec, got {type(spec).__name__}")
    check_choice("on_error", on_error, ("raise", "skip"))
    if log is not None and not callable(log):
        raise TypeError(f"log must be a function of one line (e.g. print) or None, got {log!r:.80}")
    paths = list(paths)
    folders = [flow_folder(p, out_dir, root=root) for p in paths]
    if len(set(folders)) < len(folders):
        twice = sorted({str(f) for f in folders if folders.count(f) > 1})
        raise ValueError(f"expected one video per output folder, got several for {twice}")
    summary = {"done": [], "skipped": [], "failed": []}
    for i, (path, folder) in enumerate(zip(paths, folders)):
        rel = folder.relative_to(out_dir).as_posix()
        for leftover in folder.parent.glob(f".{glob.escape(folder.name)}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)              # a killed run's temporaries
        try:
            complete = FlowStoreSpec(**read_metadata(folder)["spec"]) == spec
        except (OSError, ValueError, TypeError, KeyError):            # missing, corrupt, foreign
            complete = False
        if complete:
            summary["skipped"].append(str(path))
            status = "complete already"
        else:
            try:
                with stopwatch() as watch:
                    _store(path, folder, rel, spec)
                summary["done"].append(str(path))
                status = f"computed in {watch.seconds:.2f} s"
            except (ValueError, FileNotFoundError) as err:          # unreadable, empty, too small
                why = str(err) if str(path) in str(err) else f"{path}: {err}"
                if on_error == "raise":
                    raise type(err)(why) from err
                summary["failed"].append((str(path), why))
                status = f"FAILED, skipped: {why}"
        if log is not None:
            log(f"[{i + 1}/{len(paths)}] {rel}: {status}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """The command line (see ``--help``); returns 1 when a video failed, else 0."""
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.flow.store",
                                     description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = parser.add_argument
    add("video_root", help="folder of videos, searched recursively (hidden names skipped)")
    add("out_dir", help="output folder, <out_dir>/<video path under video_root, no suffix>/; "
        "rerun the same command to continue an interrupted run")
    add("--method", default=FlowStoreSpec.method, choices=tuple(METHODS), help="flow method")
    add("--bound", type=float, default=FlowStoreSpec.bound,
        help="clip the flow to [-bound, bound] px; it is stored in steps of bound/127")
    add("--size", type=int, nargs=2, metavar=("H", "W"), help="resize frames to H x W first")
    add("--format", dest="image_format", default=FlowStoreSpec.image_format,
        choices=("jpg", "png"), help="JPEG as the paper (lossy) or PNG (lossless codes)")
    add("--quality", type=int, default=FlowStoreSpec.quality, help="JPEG quality, 1..100")
    add("--on-error", default="raise", choices=("raise", "skip"),
        help="an unreadable video: stop with an error naming it, or skip it and list it")
    args = vars(parser.parse_args(argv))
    spec = FlowStoreSpec(**{f.name: args[f.name] for f in fields(FlowStoreSpec)})
    root = Path(args["video_root"])
    if not root.is_dir():
        raise FileNotFoundError(f"no video folder at {str(root)!r}")
    videos = sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS
                    and p.is_file() and not any(s[0] == "." for s in p.relative_to(root).parts))
    print(f"{len(videos)} videos in {args['video_root']} -> {args['out_dir']}", flush=True)
    summary = precompute_flow(videos, args["out_dir"], root=args["video_root"], spec=spec,
                              on_error=args["on_error"], log=lambda line: print(line, flush=True))
    print("\n".join([", ".join(f"{len(v)} {k}" for k, v in summary.items()),
                     *(f"failed: {why}" for _, why in summary["failed"])]), flush=True)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
