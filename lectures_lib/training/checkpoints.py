"""Checkpoints to resume training from: written once, atomically, and read with ``weights_only``.

Why: a run on a real dataset is long and can be killed. After every epoch, :func:`save_checkpoint`
writes the model, optimiser, schedule, epoch, recipe, history and random states, as plain tensors
and numbers, so ``torch.load(..., weights_only=True)`` reads it without running any pickled code;
:func:`load_checkpoint` puts them back, and the resumed run continues exactly where the last epoch
ended. Only rank 0 writes (see :mod:`lectures_lib.training.distributed`), to a temporary file that
``os.replace`` renames, so a kill never leaves half a checkpoint that a later run would trust.
"""

from __future__ import annotations

import dataclasses
import os
import random
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from .distributed import is_main, world_size


def _rng_states() -> dict:
    version, state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "python": torch.tensor(state, dtype=torch.int64), "python_version": version,
            "numpy": torch.from_numpy(keys.astype(np.int64)), "numpy_pos": int(pos),
            "numpy_gauss": [int(has_gauss), float(cached)]}


def _set_rng_states(s: dict) -> None:
    random.setstate((s["python_version"], tuple(s["python"].tolist()), None))
    np.random.set_state(("MT19937", s["numpy"].numpy().astype(np.uint32), s["numpy_pos"],
                         int(s["numpy_gauss"][0]), s["numpy_gauss"][1]))
    torch.set_rng_state(s["torch"])
    if s["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def save_checkpoint(path: str | Path, *, model: nn.Module, optimiser: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, epoch: int, recipe: object,
                    history: list[dict]) -> None:
    """Write a checkpoint from rank 0 only, atomically (a temporary file, then ``os.replace``).

    Args:
        path: the checkpoint file; its folder is created.
        model: the model (unwrapped from DDP).
        optimiser, scheduler: their states are saved with it.
        epoch: the last finished epoch.
        recipe: a dataclass (the training recipe), saved as a dict and checked on resume.
        history: the per-epoch records so far.
    """
    if is_main():
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                 "scheduler": scheduler.state_dict(), "epoch": epoch, "history": history,
                 "recipe": dataclasses.asdict(recipe), "rng": _rng_states()}
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
    if world_size() > 1:
        dist.barrier()


def load_checkpoint(path: str | Path, *, model: nn.Module, optimiser: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, recipe: object
                    ) -> tuple[int, list[dict]]:
    """Restore a :func:`save_checkpoint` file in place (``weights_only=True``).

    Args:
        path: the checkpoint file.
        model, optimiser, scheduler: receive their saved states.
        recipe: must equal the saved recipe, or resuming would not continue the same run.

    Returns:
        the last finished epoch and the history so far.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint to resume from at {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["recipe"] != dataclasses.asdict(recipe):
        raise ValueError(f"the checkpoint {path} was trained with {state['recipe']}, "
                         f"not {dataclasses.asdict(recipe)}: resume with the same recipe")
    model.load_state_dict(state["model"])
    optimiser.load_state_dict(state["optimiser"])
    scheduler.load_state_dict(state["scheduler"])
    _set_rng_states(state["rng"])
    return state["epoch"], state["history"]
