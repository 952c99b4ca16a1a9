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
import pickle
import random
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from ..core.checks import check_int, check_module
from .distributed import is_main, world_size


def _check_parts(model: nn.Module, optimiser: object, scheduler: object, recipe: object) -> None:
    check_module(model=model)
    if not isinstance(optimiser, torch.optim.Optimizer):
        raise TypeError(f"optimiser must be a torch.optim.Optimizer, "
                        f"got {type(optimiser).__name__}")
    if not isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler):
        raise TypeError(f"scheduler must be a torch LRScheduler, got {type(scheduler).__name__}")
    if not dataclasses.is_dataclass(recipe) or isinstance(recipe, type):
        raise TypeError(f"recipe must be a dataclass instance (a training.Recipe), got "
                        f"{type(recipe).__name__}")


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

    Raises:
        TypeError: ``model``, ``optimiser``, ``scheduler``, ``recipe`` or ``history`` is not what
            it says.
        ValueError: ``epoch`` is not an integer >= 0.
    """
    _check_parts(model, optimiser, scheduler, recipe)
    check_int(0, epoch=epoch)
    if not isinstance(history, list):
        raise TypeError(f"history must be a list of per-epoch records, got "
                         f"{type(history).__name__}")
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

    Raises:
        FileNotFoundError: no file at ``path``.
        TypeError: ``model``, ``optimiser``, ``scheduler`` or ``recipe`` is not what it says.
        ValueError: the file is not a checkpoint of :func:`save_checkpoint`, or was made with
            another recipe or for a model of other shapes.
    """
    _check_parts(model, optimiser, scheduler, recipe)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint to resume from at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint: "
                         f"{str(err).splitlines()[0]}") from err
    keys = {"model", "optimiser", "scheduler", "epoch", "history", "recipe", "rng"}
    if not isinstance(state, dict) or not keys <= set(state):
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint: it holds "
                         f"{sorted(state) if isinstance(state, dict) else type(state).__name__}")
    if state["recipe"] != dataclasses.asdict(recipe):
        raise ValueError(f"the checkpoint {path} was trained with {state['recipe']}, "
                         f"not {dataclasses.asdict(recipe)}: resume with the same recipe")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise ValueError(f"the checkpoint {path} holds another model's weights: "
                         f"{' '.join(str(err).split())}") from err
    optimiser.load_state_dict(state["optimiser"])
    scheduler.load_state_dict(state["scheduler"])
    _set_rng_states(state["rng"])
    return state["epoch"], state["history"]
