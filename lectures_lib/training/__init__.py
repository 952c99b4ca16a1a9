"""Floor 3, training and testing: the book's recipe and ``fit`` (:mod:`.loop`, whose names this
package exports, so ``training.fit`` is the loop every chapter uses), predictions, multi-clip
averaging and accuracy (:mod:`.evaluation`), data-parallel training under ``torchrun``
(:mod:`.distributed`) and checkpoints to resume from (:mod:`.checkpoints`).

Imports :mod:`lectures_lib.core` and :mod:`lectures_lib.data`.
"""

from ..core.protocols import EpochDataset, OwnLoss
from .loop import BOOK_RECIPE, History, Recipe, RunOptions, fit

__all__ = ["BOOK_RECIPE", "EpochDataset", "History", "OwnLoss", "Recipe", "RunOptions", "fit"]
