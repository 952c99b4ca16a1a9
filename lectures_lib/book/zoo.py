"""Every model of the book, by name: one builder per model, as its chapter trains it.

Why it exists: the leaderboard (:mod:`lectures_lib.book.leaderboard`) trains and tests every model
the same way, and a table of builders keeps it from drifting from the chapters. Each builder seeds
torch before it builds, so a model starts from the same weights wherever it is built::

    ENTRIES: Entry(name, chapter, build, inputs, prepare)
        build()           -> an nn.Module for 8 classes, from seed 0
        inputs            "clip": (B, 3, 16, 32, 32) clips; "two-stream": an RGB stream and an
                          optical-flow stream, trained apart and averaged (chapter 6)
        prepare(model)    work before training, e.g. pretraining and inflating (chapter 9)

Reference: the models' papers, named in each model's docstring and in its chapter.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..core.blocks import frame_encoder, max_pool_classifier
from ..core.devices import seeded
from ..data import images
from ..models import c3d, fusion, inflate
from ..models import nonlocal_block as nlb
from ..models import slowfast as sf
from ..models import two_stream as ts
from ..models.temporal import attention as ta
from ..models.temporal import conv as tc
from ..models.temporal import recurrent as rc
from ..models.temporal import sequences as tm
from ..training import loop as training

NUM_CLASSES = 8
CLIP = (3, 16, 32, 32)
FLOW_FRAMES = slice(3, 14)
"""Chapter 6's 11 frames of each video: 10 optical-flow fields for the temporal stream."""
LUCAS_KANADE = {"window": 7, "levels": 2, "iterations": 1}
"""Chapter 6's Lucas-Kanade settings for the flow of 32 x 32 frames."""
FLOW_BOUND = 4.0
"""Chapter 6's flow storage: each component clipped to +-4 px and stored as 8 bits."""
PRETRAINING = {"images": 8192, "task": "shape", "init": "mean",
               "recipe": training.BOOK_RECIPE.replace(batch_size=64)}
"""Chapter 9's image task: the 2-D network's training images, their labels, the inflation."""
with torch.device("meta"):                                          # shapes only, no weights
    I3D_TIME = {name: (conv.kernel_size[0], conv.stride[0])
                for name, conv in fusion.CNN3D(NUM_CLASSES).named_modules()
                if isinstance(conv, nn.Conv3d)}
"""Chapter 9's (Kt, time stride) per conv of :func:`image_network`: read off chapter 2's 3D CNN,
``{"features.0.0": (3, 1), "features.1.0": (3, 2), "features.2.0": (3, 2)}``."""


@dataclass(frozen=True)
class Entry:
    """One model of the book: its name, its chapter, and how to build and prepare it.

    Attributes:
        name: as the leaderboard shows it.
        chapter: the notebook that introduces it, e.g. ``"ch02_fusion"``.
        build: a function of no arguments that returns the model, seeded.
        inputs: "clip" or "two-stream".
        prepare: None, or a function that readies a built model for training (in place).
    """

    name: str
    chapter: str
    build: Callable[[], nn.Module]
    inputs: str = "clip"
    prepare: Callable[[nn.Module], None] | None = None


def _sequence(head: Callable[[int], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        features = tm.FrameFeatures(width=16)
        return tm.SequenceModel(features, head(features.dim))
    return seeded(build)


def _two_stream() -> nn.Module:
    built = ts.two_stream_models(NUM_CLASSES, pairs=FLOW_FRAMES.stop - FLOW_FRAMES.start - 1)
    return nn.ModuleDict({"spatial": built["spatial stream"](),
                          "temporal": built["temporal stream"]()})


def image_network(num_classes: int) -> nn.Sequential:
    """Chapter 2's per-frame CNN as a 2-D network, ``(B, 3, H, W) -> (B, K)``; inflated with
    :data:`I3D_TIME` it has exactly the layers of :class:`lectures_lib.models.fusion.CNN3D`."""
    return nn.Sequential(OrderedDict(features=frame_encoder(3, 16),
                                     head=max_pool_classifier(32, num_classes)))


def pretrain_and_inflate(model: nn.Module) -> None:
    """Chapter 9's recipe, in place: train chapter 2's per-frame CNN on :data:`PRETRAINING`'s image
    task, and inflate its features into ``model`` (a :class:`lectures_lib.models.fusion.CNN3D`)."""
    config = PRETRAINING
    train = images.ObjectImages("train", config["images"], task=config["task"])
    torch.manual_seed(0)
    image_net = image_network(len(train.classes))
    training.fit(image_net, train, recipe=config["recipe"], verbose=False)
    features = {k: v for k, v in image_net.state_dict().items() if k.startswith("features.")}
    inflate.inflate_state_dict(features, model, init=config["init"], strict=False)


_CH2 = fusion.chapter2_models(NUM_CLASSES)
ENTRIES: tuple[Entry, ...] = (
    Entry("single frame", "ch02_fusion", _CH2["single frame"]),
    Entry("late fusion (avg)", "ch02_fusion", _CH2["late fusion (avg)"]),
    Entry("early fusion", "ch02_fusion", _CH2["early fusion"]),
    Entry("3D CNN", "ch02_fusion", _CH2["3D CNN"]),
    Entry("C3D (small)", "ch04_c3d", seeded(lambda: c3d.c3d_small(NUM_CLASSES))),
    Entry("two-stream (LK flow, averaged)", "ch06_two_stream", _two_stream, inputs="two-stream"),
    Entry("CNN + LSTM", "ch07_temporal_models", seeded(lambda: tm.cnn_lstm(NUM_CLASSES))),
    Entry("CNN + 1-D temporal conv", "ch07_temporal_models",
          _sequence(lambda d: tc.TemporalConvHead(d, NUM_CLASSES))),
    Entry("CNN + temporal attention", "ch07_temporal_models",
          _sequence(lambda d: ta.AttentionHead(d, NUM_CLASSES, positions="sinusoidal"))),
    Entry("recurrent conv net (GRU)", "ch07_temporal_models",
          seeded(lambda: rc.RecurrentConvNet(NUM_CLASSES))),
    Entry("3D CNN + non-local", "ch08_nonlocal", seeded(lambda: nlb.with_nonlocal(
        fusion.CNN3D(NUM_CLASSES), after=1, block=nlb.NonLocalBlock(32, subsample=True)))),
    Entry("I3D (inflated 3D CNN)", "ch09_i3d", seeded(lambda: fusion.CNN3D(NUM_CLASSES)),
          prepare=pretrain_and_inflate),
    Entry("SlowFast (tiny)", "ch10_slowfast", seeded(lambda: sf.slowfast_tiny(width=8))),
    Entry("Slow-only (tiny)", "ch10_slowfast",
          seeded(lambda: sf.slowfast_tiny(width=8, pathways=("slow",)))),
    Entry("Fast-only (tiny)", "ch10_slowfast",
          seeded(lambda: sf.slowfast_tiny(width=8, pathways=("fast",)))),
)
"""Every model of the book, in chapter order."""


def _tiny_slowfast(alpha: int, beta: float) -> Entry:
    return Entry(f"SlowFast (tiny) α={alpha}, β=1/{round(1 / beta)}", "ch10_slowfast",
                 seeded(lambda: sf.slowfast_tiny(width=8, alpha=alpha, beta=beta)))


SWEEP_ALPHAS, SWEEP_BETAS = (2, 4, 8), (1 / 2, 1 / 4, 1 / 8)
"""Chapter 10's grid: the frame-rate ratios alpha and the channel ratios beta it compares."""
SWEEP: tuple[Entry, ...] = tuple(_tiny_slowfast(a, b) for a in SWEEP_ALPHAS for b in SWEEP_BETAS)
"""Chapter 10's sweep: the tiny SlowFast at every alpha and beta of the grid."""


def entry(name: str) -> Entry:
    """The entry called ``name`` (in :data:`ENTRIES` or :data:`SWEEP`); an unknown name fails,
    listing the known ones."""
    for e in ENTRIES + SWEEP:
        if e.name == name:
            return e
    raise KeyError(f"no model {name!r} in the zoo; it has: "
                   f"{', '.join(e.name for e in ENTRIES + SWEEP)}")
