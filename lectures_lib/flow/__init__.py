"""Floor 3, optical flow: Lucas–Kanade and Horn–Schunck in PyTorch (:mod:`.estimators`, whose names
this package exports, so ``flow.lucas_kanade`` is chapter 5's estimator) on frames, warping,
pyramids, the end-point and the photometric error (:mod:`.ops`); OpenCV's Farneback and DIS and the
``.flo`` format (:mod:`.reference`); image pairs with exact flow (:mod:`.truth`); colour coding and
arrows (:mod:`.show`); the four methods named once for every table, command and explorer
(:mod:`.methods`); the flow of clips and datasets, stored as 8 bits (:mod:`.clips`); and a
dataset's flow precomputed to disk (:mod:`.store`, ``python -m lectures_lib.flow.store``).

Imports :mod:`lectures_lib.core` and :mod:`lectures_lib.data`.
"""

from .estimators import (
    coarse_to_fine,
    gaussian_window,
    horn_schunck,
    lucas_kanade,
    neighbour_average,
)
from .ops import (
    as_gray,
    check_flow,
    endpoint_error,
    gradients,
    gray_pair,
    inside,
    photometric_error,
    pyramid,
    resize_flow,
    warp,
)

__all__ = ["lucas_kanade", "horn_schunck", "coarse_to_fine", "gaussian_window",
           "neighbour_average", "as_gray", "gray_pair", "check_flow", "gradients", "warp",
           "inside", "pyramid", "resize_flow", "endpoint_error", "photometric_error"]
