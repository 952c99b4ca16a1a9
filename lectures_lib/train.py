"""One command to train any of the book's one-clip models, on the mini dataset or real videos.

Why: a notebook is the place to learn a model; a long run on a real dataset wants a command that
can be started under ``torchrun``, killed and resumed. The command is a thin layer over the same
library a chapter uses: a :mod:`lectures_lib.book.zoo` model, :func:`lectures_lib.training.fit`
with the book's recipe, and :func:`lectures_lib.training.evaluation.evaluate` at the end::

    python -m lectures_lib.train --model "3D CNN" --data mini --epochs 5
    torchrun --standalone --nproc-per-node 2 -m lectures_lib.train --model "3D CNN" \\
        --checkpoint runs/3dcnn.pt --resume
    python -m lectures_lib.train --model "C3D (small)" --data ucf101 --root UCF-101 \\
        --split-dir ucfTrainTestlist --fold 1 --workers 8

``--help`` lists every option; rank 0 alone prints, shows progress and writes the checkpoint.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset

from .book import zoo
from .core.checks import check_choice, check_int, check_positive_int
from .core.video import ClipSpec
from .data import mini as data
from .data.decoding import WorkerBatches
from .training import distributed, evaluation
from .training import loop as training

CLIP_MODELS = tuple(e.name for e in zoo.ENTRIES if e.inputs == "clip")
"""The models the command trains: every zoo entry that takes one clip (not two-stream)."""


def parser() -> argparse.ArgumentParser:
    """The command's options: ``python -m lectures_lib.train --help`` prints them."""
    recipe = training.BOOK_RECIPE
    p = argparse.ArgumentParser(
        prog="python -m lectures_lib.train", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="The same command runs under torchrun (torchrun --nproc-per-node N -m "
               "lectures_lib.train ...): gloo on the CPU, NCCL on CUDA, --batch-size is global.")
    p.add_argument("--model", required=True, choices=CLIP_MODELS, metavar="NAME",
                   help="a model of the book's zoo, one of: " + "; ".join(CLIP_MODELS))
    p.add_argument("--data", choices=("mini", "folder", "ucf101", "hmdb51"), default="mini",
                   help="mini: the book's generated benchmark; folder: real videos in "
                        "ROOT/train/<class>/<video>, ROOT/test/... and, optionally, ROOT/val/...; "
                        "ucf101, hmdb51: ROOT's class folders with the official split files")
    p.add_argument("--root", type=Path, help="the dataset folder (real videos)")
    p.add_argument("--split-dir", type=Path,
                   help="the folder of official split files (ucf101: ucfTrainTestlist/)")
    p.add_argument("--fold", type=int, default=1, help="which official split (ucf101, hmdb51)")
    p.add_argument("--sizes", type=int, nargs=3, metavar=("TRAIN", "VAL", "TEST"),
                   default=tuple(data.STANDARD_SIZES.values()),
                   help="videos per split of the mini dataset")
    p.add_argument("--clip-len", type=int, default=zoo.CLIP[1],
                   help="frames per clip (real videos; the zoo's models take 16)")
    p.add_argument("--frame-size", type=int, nargs=2, default=zoo.CLIP[2:], metavar=("H", "W"),
                   help="resize frames to H x W (real videos)")
    p.add_argument("--test-clips", type=int, default=10,
                   help="clips per test video, averaged (real videos)")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="a video that cannot be decoded stops the run, naming it (raise), or is "
                        "skipped with a warning naming it (skip); never filled with zeros")
    p.add_argument("--epochs", type=int, default=recipe.epochs, help="passes over the train split")
    p.add_argument("--batch-size", type=int, default=recipe.batch_size,
                   help="clips per step, over all processes together")
    p.add_argument("--lr", type=float, default=recipe.lr, help="peak learning rate (AdamW)")
    p.add_argument("--seed", type=int, default=recipe.seed, help="seeds data order and training")
    p.add_argument("--device", default=None,
                   help="cpu, cuda or mps; None: CUDA when there is a GPU, else the CPU")
    p.add_argument("--workers", type=int, default=0,
                   help="processes (per training process) that decode videos in parallel, the "
                        "next batch while the model trains on this one (real videos)")
    p.add_argument("--checkpoint", type=Path, help="save a checkpoint here after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue from --checkpoint if it exists (else start afresh)")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast (CUDA only); None: on where the GPU supports bf16")
    return p


def _check_counts(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error naming the option when a size or count is not positive, even where
    the data leaves it unused (the mini dataset takes no --clip-len or --frame-size)."""
    counts = {"--sizes": args.sizes, "--fold": [args.fold], "--clip-len": [args.clip_len],
              "--frame-size": args.frame_size, "--test-clips": [args.test_clips]}
    for option, values in counts.items():
        if min(values) < 1:
            p.error(f"{option} must be positive, got {' '.join(map(str, values))}")
    if args.workers < 0:
        p.error(f"--workers must be 0 or more, got {args.workers}")


def _datasets(args: argparse.Namespace) -> tuple[Dataset, Dataset | None, Dataset]:
    """The train, validation (None where the data has none) and test splits."""
    if args.data == "mini":
        return tuple(data.MiniVideos(split, size, seed=args.seed, cache=True)
                     for split, size in zip(("train", "val", "test"), args.sizes))
    from .data import datasets  # real videos: needs OpenCV
    if args.root is None or (args.data != "folder" and args.split_dir is None):
        raise ValueError(f"--data {args.data} needs --root" +
                         (" and --split-dir" if args.data != "folder" else ""))
    spec = ClipSpec(clip_len=args.clip_len, size=tuple(args.frame_size))
    options = {"seed": args.seed, "on_error": args.on_error}
    tests = {"clips": spec.for_testing(args.test_clips), **options}
    if args.data == "folder":
        train = datasets.kinetics(args.root, "train", clips=spec, **options)
        val = (datasets.kinetics(args.root, "val", classes=train.classes, **tests)
               if (args.root / "val").is_dir() else None)
        test = datasets.kinetics(args.root, "test", classes=train.classes, **tests)
    else:
        build = getattr(datasets, args.data)
        train = build(args.root, args.split_dir, fold=args.fold, clips=spec, **options)
        val, test = None, build(args.root, args.split_dir, fold=args.fold, train=False, **tests)
    if not args.workers:
        return train, val, test
    return tuple(s and WorkerBatches(s, args.workers, worker_init_fn=datasets.decode_worker_init)
                 for s in (train, val, test))


def build_model(name: str, classes: int, *, seed: int = 0) -> nn.Module:
    """The zoo's model ``name``, prepared as its chapter prepares it, for ``classes`` classes.

    The zoo builds every model for 8 classes; for another number the last linear layer is
    replaced by a new one (initialised after ``torch.manual_seed(seed)``).

    Args:
        name: a zoo entry that takes one clip (:data:`CLIP_MODELS`).
        classes: the dataset's number of classes.
        seed: seeds the new last layer.
    """
    check_choice("name", name, CLIP_MODELS)
    check_positive_int(classes=classes)
    check_int(0, seed=seed)
    entry = zoo.entry(name)
    model = entry.build()
    if entry.prepare is not None:
        entry.prepare(model)
    if classes != zoo.NUM_CLASSES:
        name, last = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
        parent = model.get_submodule(name.rpartition(".")[0])
        torch.manual_seed(seed)
        setattr(parent, name.rpartition(".")[2], nn.Linear(last.in_features, classes))
    return model


def _check_clip_size(model: nn.Module, args: argparse.Namespace, device: torch.device) -> None:
    """Fail before training, naming the options, if ``model`` cannot take the clips asked for."""
    clip = (3, args.clip_len, *args.frame_size)
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *clip, device=device))
    except RuntimeError as err:
        raise ValueError(f"{args.model!r} cannot take clips of --clip-len {args.clip_len} and "
                         f"--frame-size {args.frame_size[0]} {args.frame_size[1]} "
                         f"(C, T, H, W = {clip}): {err}") from err


def main(argv: list[str] | None = None) -> evaluation.Evaluation | None:
    """Train and test as the options say; rank 0 returns the test evaluation, other ranks None.

    Args:
        argv: the options (default: the command line).
    """
    args = parser().parse_args(argv)
    if args.resume and args.checkpoint is None:
        parser().error("--resume needs --checkpoint, the file to resume from")
    _check_counts(parser(), args)
    try:
        device = distributed.setup(args.device)
    except ValueError as err:
        parser().error(f"--device {args.device}: {err}")
    try:
        recipe = training.BOOK_RECIPE.replace(epochs=args.epochs, batch_size=args.batch_size,
                                              lr=args.lr, seed=args.seed)
        train, val, test = _datasets(args)
        model = build_model(args.model, len(train.classes), seed=args.seed).to(device)
        if args.data != "mini":
            _check_clip_size(model, args, device)
        if distributed.is_main():
            print(f"{args.model}: {len(train)} training videos, {len(train.classes)} classes, "
                  f"{distributed.world_size()} process(es) on {device.type}, "
                  f"{sum(p.numel() for p in model.parameters())} parameters", flush=True)
        resume = args.resume and args.checkpoint is not None and args.checkpoint.is_file()
        run = training.RunOptions(checkpoint=args.checkpoint, resume=resume, amp=args.amp)
        training.fit(model, train, val, recipe=recipe, device=device, run=run)
        if not distributed.is_main():
            return None
        result = evaluation.evaluate(model, test, batch_size=2 * args.batch_size, device=device)
        clips = ("" if args.data == "mini" else ", 1 clip each" if args.test_clips == 1
                 else f", {args.test_clips} clips each")
        print(f"test accuracy ~{result.accuracy:.3f} on {len(test)} videos{clips}", flush=True)
        return result
    finally:
        distributed.teardown()


if __name__ == "__main__":
    main()
