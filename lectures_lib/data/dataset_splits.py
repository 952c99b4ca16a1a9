"""The official split files of real video datasets, read into ``(relative path, label)`` lists.

Why: UCF-101, HMDB-51 and Kinetics each publish their train/test splits in their own format; a
reader is a small pure function over one format, so :class:`lectures_lib.data.datasets.VideoClips`
can turn any of them into clips. Every reader checks every line and that every video it names
exists, and its errors name the file and the line. Labels count from 0, in the order of the class
names it returns with them.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..core.checks import check_positive_int

__all__ = ["VIDEO_EXTENSIONS", "Samples", "ucf101_split", "hmdb51_split", "class_folders",
           "kinetics_csv"]

VIDEO_EXTENSIONS = (".avi", ".mp4", ".webm", ".mkv", ".mov", ".mpg", ".mpeg", ".m4v")
Samples = list[tuple[str, int]]


def _lines(path: Path) -> list[tuple[str, list[str]]]:
    """A split file's non-blank lines as ``(where, fields)``, ``where`` naming file and line."""
    if not path.is_file():
        raise FileNotFoundError(f"no split file at {path}")
    return [(f"{path} line {n}", line.split())
            for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]


def _video(root: Path, relative: str, where: str) -> str:
    if not (root / relative).is_file():
        raise FileNotFoundError(f"{where} names {relative}, but there is no file {root / relative}")
    return relative


def ucf101_split(root: str | Path, split_dir: str | Path, *, fold: int = 1,
                 train: bool = True) -> tuple[Samples, tuple[str, ...]]:
    """UCF-101's official training or test list: ``(relative path, label)`` pairs and the classes.

    ``classInd.txt`` numbers the classes from 1 (``1 ApplyEyeMakeup``); ``trainlist0N.txt`` lines
    read ``ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1``; ``testlist0N.txt`` lines carry no
    label, which comes from the class folder. Labels here count from 0.

    Args:
        root: the folder of class folders (``UCF-101/``).
        split_dir: the folder of split files (``ucfTrainTestlist/``).
        fold: which official split (the dataset has three).
        train: the training list; False gives the test list.
    """
    check_positive_int(fold=fold)
    root, split_dir = Path(root), Path(split_dir)
    ids: dict[str, int] = {}
    for where, fields in _lines(split_dir / "classInd.txt"):
        if len(fields) != 2 or fields[0] != str(len(ids) + 1):
            raise ValueError(f"{where}: expected '{len(ids) + 1} <class name>', "
                             f"got {' '.join(fields)!r}")
        ids[fields[1]] = len(ids)
    samples = []
    for where, fields in _lines(split_dir / f"{'train' if train else 'test'}list0{fold}.txt"):
        folder = fields[0].split("/")[0]
        if len(fields) != 1 + train or folder not in ids:
            raise ValueError(f"{where}: expected '<class>/<video>{' <class id>' if train else ''}' "
                             f"with a class of classInd.txt, got {' '.join(fields)!r}")
        if train and fields[1] != str(ids[folder] + 1):
            raise ValueError(f"{where}: {folder} is class {ids[folder] + 1} in classInd.txt, "
                             f"but the line says {fields[1]}")
        samples.append((_video(root, fields[0], where), ids[folder]))
    return samples, tuple(ids)


def hmdb51_split(root: str | Path, split_dir: str | Path, *, fold: int = 1,
                 train: bool = True) -> tuple[Samples, tuple[str, ...]]:
    """HMDB-51's official training or test list: ``(relative path, label)`` pairs and the classes.

    ``split_dir`` holds one ``<class>_test_split<fold>.txt`` per class, with lines
    ``<video>.avi <id>``: id 1 for training, 2 for testing, 0 for neither. Videos lie at
    ``root/<class>/<video>.avi``; the classes are the sorted class names of those files.

    Args:
        root: the folder of class folders.
        split_dir: the folder of split files (``testTrainMulti_7030_splits/``).
        fold: which official split (the dataset has three).
        train: the training videos (id 1); False gives the test videos (id 2).
    """
    check_positive_int(fold=fold)
    suffix = f"_test_split{fold}.txt"
    files = sorted(Path(split_dir).glob(f"*{suffix}"))
    if not files:
        raise FileNotFoundError(f"no HMDB-51 split files <class>{suffix} in {split_dir}")
    classes = tuple(f.name[:-len(suffix)] for f in files)
    samples = []
    for label, (name, path) in enumerate(zip(classes, files)):
        for where, fields in _lines(path):
            if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
                raise ValueError(f"{where}: expected '<video> <0, 1 or 2>', "
                                 f"got {' '.join(fields)!r}")
            if fields[1] == ("1" if train else "2"):
                samples.append((_video(Path(root), f"{name}/{fields[0]}", where), label))
    return samples, classes


def _labels(found: Sequence[str], classes: Sequence[str] | None, source: Path) -> dict[str, int]:
    """Class name to label: ``classes`` in order if given, else the sorted names ``found``."""
    classes = sorted(set(found)) if classes is None else list(classes)
    unknown = sorted(set(found) - set(classes))
    if unknown:
        raise ValueError(f"{source} has classes that are not in classes: {unknown[:5]}")
    return {name: label for label, name in enumerate(classes)}


def class_folders(root: str | Path, *, classes: Sequence[str] | None = None,
                  extensions: tuple[str, ...] = VIDEO_EXTENSIONS,
                  ) -> tuple[Samples, tuple[str, ...]]:
    """Videos laid out as ``root/<class>/<video>`` (a Kinetics split folder, any UCF-101-like one).

    Args:
        root: the folder of class folders.
        classes: class names in label order; None takes the sorted folder names. Give the training
            set's classes to a test folder that lacks some of them, so that labels agree.
        extensions: which files are videos.
    """
    if isinstance(extensions, str) or not extensions:
        raise ValueError(f"extensions must be a tuple such as ('.avi',), got {extensions!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no folder of class folders at {root}")
    folders = sorted(d.name for d in root.iterdir() if d.is_dir())
    ids = _labels(folders, classes, root)
    samples = [(f"{d}/{f.name}", ids[d]) for d in folders for f in sorted((root / d).iterdir())
               if f.suffix.lower() in extensions]
    if not samples:
        raise ValueError(f"{root} holds no videos ({', '.join(extensions)}) in class folders "
                         f"laid out as root/<class>/<video>")
    return samples, tuple(ids)


def kinetics_csv(root: str | Path, csv_path: str | Path, *, classes: Sequence[str] | None = None,
                 drop_missing: bool = False) -> tuple[Samples, tuple[str, ...]]:
    """Kinetics' annotation file: rows ``label,youtube_id,time_start,time_end,split``.

    A row's video is the file ``<youtube_id>_<time_start:06d>_<time_end:06d>.mp4`` anywhere under
    ``root`` (flat, as the CVDF archives unpack, or in class folders). The ``split`` column is not
    read: each official file holds one split.

    Args:
        root: the folder the split's videos lie under.
        csv_path: the split's annotation file (``train.csv``, ``val.csv``, ...).
        classes: class names in label order; None takes the sorted labels of the kept rows.
        drop_missing: leave out rows whose video is not there (many have left YouTube), with one
            warning that counts them; when False such a row raises ``FileNotFoundError``.
    """
    root, csv_path = Path(root), Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"no Kinetics annotation file at {csv_path}")
    found = {p.name: p.relative_to(root).as_posix() for p in root.rglob("*.mp4")}
    rows, missing = [], []
    with csv_path.open(newline="") as file:
        reader = csv.DictReader(file)
        if not {"label", "youtube_id", "time_start", "time_end"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{csv_path} must have the columns label,youtube_id,time_start,"
                             f"time_end; its first line is {reader.fieldnames}")
        for row in reader:
            where = f"{csv_path} line {reader.line_num}"
            try:
                start, end = int(row["time_start"]), int(row["time_end"])
            except (TypeError, ValueError):
                raise ValueError(f"{where}: time_start and time_end must be whole seconds, got "
                                 f"{row['time_start']!r} and {row['time_end']!r}") from None
            name = f"{row['youtube_id']}_{start:06d}_{end:06d}"
            if name + ".mp4" in found:
                rows.append((found[name + ".mp4"], row["label"]))
            elif not drop_missing:
                raise FileNotFoundError(f"{where} names {name}.mp4, but it is not under {root}")
            else:
                missing.append(name)
    if missing:
        warnings.warn(f"{csv_path}: left out {len(missing)} rows whose video is not under {root}, "
                      f"e.g. {missing[0]}.mp4", stacklevel=2)
    ids = _labels([label for _, label in rows], classes, csv_path)
    return [(path, ids[label]) for path, label in rows], tuple(ids)
