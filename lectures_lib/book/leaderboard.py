"""The book's leaderboard: every model, trained and tested the same way, in one table.

Why it exists: each chapter trains its own models; a reader finishing the book wants them side by
side. Training all of them takes minutes, more than a chapter may, so a script runs them once and
stores the results in ``leaderboard.json`` beside this module; chapter 11 reads the file, and a
test checks that it is up to date with the code::

    python -m lectures_lib.book.leaderboard             # train every model of the zoo (~6 min)
    python -m lectures_lib.book.leaderboard --only "3D CNN"   # re-run some, keep the others
    python -m lectures_lib.book.leaderboard --sweep     # chapter 10's alpha, beta grid (~3 min)

For every model: test accuracy on the motion-only mini benchmark and on the same task with
appearance bias 0.75, parameters, multiply-adds per clip, training time, and inference clips/s.
Each result carries a *fingerprint* of what produced it (the model's layers and initial weights,
the recipe, the data); :func:`stale` names the results whose fingerprint the code no longer gives.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import platform
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from .. import flow
from ..core.checks import check_choice
from ..core.devices import as_device, seed_everything
from ..costs import calculators, timing
from ..data import mini as data
from ..flow import clips as flow_clips
from ..models import two_stream
from ..training import evaluation
from ..training import loop as training
from . import zoo

RECIPE = training.BOOK_RECIPE
CONFIGS = {"motion": data.MiniVideoConfig(),
           "biased": data.MiniVideoConfig(appearance_bias=0.75)}
"""The two benchmarks: motion only (the standard one), and with the scene giving the class away
in 75% of the videos (chapter 6's setting)."""
FILE = "leaderboard.json"


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, torch.Tensor):
            h.update(part.detach().cpu().contiguous().numpy().tobytes())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()[:16]


@functools.cache
def _first_videos() -> tuple[torch.Tensor, ...]:
    """The first two training videos of each benchmark at their 8-bit levels (drawn once), so
    that a CPU whose float arithmetic differs in the last bit still agrees."""
    return tuple(data.MiniVideos("train", 2, config).batch([0, 1])[0].mul(255).round().byte()
                 for config in CONFIGS.values())


def fingerprint(e: zoo.Entry, recipe: training.Recipe = RECIPE) -> str:
    """A short hash of what produces ``e``'s results: its layers, initial weights, preparation,
    the recipe, and the first videos of each benchmark."""
    if not isinstance(e, zoo.Entry) or not isinstance(recipe, training.Recipe):
        raise TypeError(f"expected a zoo.Entry and a training.Recipe, got {type(e).__name__} and "
                        f"{type(recipe).__name__}")
    model = e.build()
    state = model.state_dict()
    extra = (zoo.PRETRAINING, zoo.I3D_TIME) if e.prepare else ()
    if e.inputs == "two-stream":
        extra = (zoo.FLOW_FRAMES, zoo.LUCAS_KANADE)
    return _digest(e.name, e.inputs, repr(model), *state.keys(), *state.values(),
                   dataclasses.asdict(recipe), data.STANDARD_SIZES, CONFIGS, *extra,
                   *_first_videos())


def _clips_per_s(model: nn.Module, x, device: torch.device) -> float:
    model.eval()
    with torch.no_grad():
        seconds = timing.median_seconds(lambda: model(x), repeats=5, device=device)
    return len(x[0] if isinstance(x, tuple) else x) / seconds


def _train_clip_model(e: zoo.Entry, splits: dict, device: torch.device) -> dict:
    model = e.build()
    if e.prepare is not None:
        e.prepare(model)
    history = training.fit(model, splits["train"], splits["val"], recipe=RECIPE, device=device,
                           verbose=False)
    x = splits["test"].batch(list(range(64)))[0].to(device)
    return {"accuracy": evaluation.evaluate(model, splits["test"], device=device).accuracy,
            "train_seconds": sum(history["seconds"]),
            "clips_per_s": _clips_per_s(model, x, device),
            "params": calculators.count_params(model),
            "macs": calculators.count_macs(model, (1, *zoo.CLIP))}


def _train_two_stream(e: zoo.Entry, splits: dict, device: torch.device) -> dict:
    """Chapter 6: the spatial stream on RGB, the temporal one on stored Lucas-Kanade flow, their
    probabilities averaged. MACs and clips/s count the two networks, not computing the flow."""
    streams = e.build()
    with timing.stopwatch(device) as watch:
        flows = {name: flow_clips.dataset_flows(split, flow.lucas_kanade, frames=zoo.FLOW_FRAMES,
                                                bound=zoo.FLOW_BOUND, batch_size=128,
                                                **zoo.LUCAS_KANADE)
                 for name, split in splits.items()}
    seconds = watch.seconds
    inputs = {"spatial": splits, "temporal": flows}
    probs = []
    for name, model in streams.items():
        history = training.fit(model, inputs[name]["train"], inputs[name]["val"], recipe=RECIPE,
                               device=device, verbose=False)
        seconds += sum(history["seconds"])
        probs.append(evaluation.predict(model, inputs[name]["test"], device=device)[0])
    labels = splits["test"].labels
    rgb, flow_x = (inputs[n]["test"].batch(list(range(64)))[0].to(device) for n in inputs)
    per_clip = sum(64 / _clips_per_s(m, x, device) for m, x in
                   ((streams["spatial"], rgb), (streams["temporal"], flow_x)))
    flow_shape = (1, *flow_x.shape[1:])
    return {"accuracy": evaluation.score(two_stream.average_fusion(*probs), labels).accuracy,
            "train_seconds": seconds, "clips_per_s": 64 / per_clip,
            "params": calculators.count_params(streams),
            "macs": calculators.count_macs(streams["spatial"], (1, *zoo.CLIP))
            + calculators.count_macs(streams["temporal"], flow_shape)}


def run(entries: tuple[zoo.Entry, ...] = zoo.ENTRIES, *, benches: tuple[str, ...] = ("motion",
        "biased"), device: torch.device | str = "cpu", verbose: bool = True) -> dict[str, dict]:
    """Train and test ``entries`` on the benchmarks with the book's recipe.

    Args:
        entries: the models (default: every model of :mod:`lectures_lib.book.zoo`).
        benches: which of :data:`CONFIGS` to train and test on ("motion" comes first).
        device: where to train and time.
        verbose: print one line per model and benchmark.

    Returns:
        ``{name: {"chapter", "fingerprint", "motion", "biased", "params", "macs",
        "train_seconds", "clips_per_s"}}``, the last two from the motion-only run.
    """
    if not isinstance(entries, (tuple, list)) or not entries \
            or not all(isinstance(e, zoo.Entry) for e in entries):
        raise ValueError(f"entries must be a non-empty tuple of zoo entries, got {entries!r:.80}")
    if not isinstance(benches, (tuple, list)) or not benches:
        raise ValueError(f"benches must be a non-empty tuple of names in {tuple(CONFIGS)}, got "
                         f"{benches!r}")
    for bench in benches:
        check_choice("bench", bench, tuple(CONFIGS))
    device = as_device(device)
    results = {}
    for bench in benches:
        splits = data.standard_splits(CONFIGS[bench])
        for e in entries:
            seed_everything(RECIPE.seed)
            train = _train_two_stream if e.inputs == "two-stream" else _train_clip_model
            measured = train(e, splits, device)
            row = results.setdefault(e.name, {"chapter": e.chapter,
                                              "fingerprint": fingerprint(e)})
            row[bench] = measured.pop("accuracy")
            if bench == "motion":
                row.update(measured)
            if verbose:
                print(f"{bench:6} {e.name:32} accuracy {row[bench]:.3f}", flush=True)
    return results


def _path(path: str | Path | None) -> Path:
    return Path(path) if path is not None else Path(str(resources.files(__package__) / FILE))


def load(path: str | Path | None = None) -> dict:
    """The stored leaderboard: ``{"machine": {...}, "results": {name: {...}}, "sweep": {...}}``
    ("sweep": chapter 10's alpha, beta grid, motion-only)."""
    return json.loads(_path(path).read_text(encoding="utf-8"))


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


SECTIONS = {"results": zoo.ENTRIES, "sweep": zoo.SWEEP}


def write(results: dict[str, dict], path: str | Path | None = None, *, device: str = "cpu",
          section: str = "results") -> None:
    """Store ``results`` in ``section`` with the machine that measured them, merged into any
    stored results, in the zoo's order."""
    check_choice("section", section, tuple(SECTIONS))
    known = [e.name for e in SECTIONS[section]]
    if not isinstance(results, Mapping) or set(results) - set(known):
        unknown = sorted(set(results) - set(known)) if isinstance(results, Mapping) else results
        raise ValueError(f"results must map the {section} section's model names ({known}) to "
                         f"their rows, got {unknown!r:.80}")
    target = _path(path)
    board = load(target) if target.exists() else {}
    board["machine"] = {"cpu": _cpu_name(), "device": device,
                        "threads": torch.get_num_threads(),
                        "torch": torch.__version__.split("+")[0],
                        "python": platform.python_version()}
    rows = {**board.get(section, {}), **results}
    board[section] = {e.name: rows[e.name] for e in SECTIONS[section] if e.name in rows}
    target.write_text(json.dumps(board, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stale(stored: dict | None = None) -> list[str]:
    """Names of the zoo's models (and sweep) whose stored result is missing or was made by other
    code."""
    board = stored or load()
    return [e.name for section, entries in SECTIONS.items() for e in entries
            if e.name not in board.get(section, {})
            or board[section][e.name]["fingerprint"] != fingerprint(e)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.book.leaderboard",
                                     description="Train every model of the book on the mini "
                                     "benchmarks and store the results for chapter 11.")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="re-run only these models")
    parser.add_argument("--out", help=f"where to write (default: {FILE} in the package)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--sweep", action="store_true",
                        help="train chapter 10's alpha, beta grid of the tiny SlowFast instead "
                        "(motion-only benchmark)")
    args = parser.parse_args(argv)
    check_choice("device", args.device, ("cpu", "cuda"))
    if args.sweep:
        write(run(zoo.SWEEP, benches=("motion",), device=args.device), args.out,
              device=args.device, section="sweep")
        return
    entries = tuple(zoo.entry(n) for n in args.only) if args.only else zoo.ENTRIES
    write(run(entries, device=args.device), args.out, device=args.device)


if __name__ == "__main__":
    main()
