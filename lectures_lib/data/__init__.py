"""Floor 2, the videos: the mini dataset (:mod:`.mini`, whose main names this package exports, so
``data.standard_splits()`` is the book's benchmark), what its videos are (:mod:`.synthetic`) and
how they are drawn (:mod:`.drawing`); chapter 3's events (:mod:`.events`) and chapter 9's images
(:mod:`.images`); video files (:mod:`.video_io`), real datasets (:mod:`.datasets`,
:mod:`.dataset_splits`) and the mini dataset written as one (:mod:`.mini_folders`); going through a
dataset in batches (:mod:`.batching`) and decoding in worker processes (:mod:`.decoding`).

Imports only :mod:`lectures_lib.core`.
"""

from .mini import (
    MOTION_CLASSES,
    ORDER_CLASSES,
    STANDARD_SIZES,
    MiniVideoConfig,
    MiniVideos,
    standard_splits,
)

__all__ = ["MOTION_CLASSES", "ORDER_CLASSES", "MiniVideoConfig", "MiniVideos", "STANDARD_SIZES",
           "standard_splits"]
