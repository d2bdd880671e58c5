"""The checkpoint format: what a run saves so that ``--resume`` continues it exactly.

One file, ``checkpoint.pt`` in the run directory, holds the state after the last completed
iteration; it is replaced atomically (written to a temporary file, then renamed), so a run
killed at any moment leaves either the previous or the new checkpoint, never a torn one.
Optionally a copy is kept at a coarser interval as ``checkpoints/checkpoint_<step>.pt``
(rlpyt's ``last+gap`` snapshot mode).

A serial run resumed from a checkpoint with the same spec and seed produces the same values as
the uninterrupted run: besides parameters and optimiser state, the checkpoint holds every
random number generator, each environment's state mid-episode (exact where the environment
can give it: ``GymEnvWrapper.state_dict``), the sampler's pending observations and partial
trajectory records, and the runner's diagnostics window. Schedules
(learning rate, ratio clip; later epsilon and beta) are functions of ``counters["itr"]``, so
restoring the counters restores them (rlpyt forgot its epsilon schedule: issues #66, #101).

``CHECKPOINT_VERSION`` changes whenever a field changes meaning; a checkpoint of another
version is refused rather than half-loaded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, TypedDict

import torch

CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"
KEPT_DIR = "checkpoints"


class Counters(TypedDict):
    """Progress of the run when the checkpoint was taken."""

    itr: int  # last completed iteration; a resumed run starts at itr + 1
    cum_steps: int  # environment steps so far: (itr + 1) * batch size
    cum_completed_trajs: int  # training episodes completed
    cum_updates: int  # gradient steps (algo.update_counter)


class Checkpoint(TypedDict):
    """Everything in ``checkpoint.pt``; each part comes from its owner's ``state_dict``."""

    version: int
    counters: Counters
    run: dict[str, Any]  # runner: seed, n_itr, batch size (checked on load), diagnostics window
    agent: dict[str, Any]  # model parameters and buffers (observation-normalisation statistics)
    algo: dict[str, Any]  # optimiser state, update counter; the replay buffer when it has one
    sampler: dict[str, Any]  # env states, pending agent inputs, partial trajectory records
    logger: dict[str, Any]  # wall time and last values, so the curve continues
    rng: dict[str, Any]  # python, numpy and torch (CPU and CUDA) global generators


def save_checkpoint(checkpoint: Checkpoint, run_dir: str | Path, keep: bool = False) -> Path:
    """Write ``run_dir/checkpoint.pt`` atomically; with ``keep``, also copy it to
    ``run_dir/checkpoints/checkpoint_<cum_steps>.pt``. Returns the checkpoint's path."""
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT_NAME
    tmp = path.with_name(f".{CHECKPOINT_NAME}.tmp")
    torch.save(checkpoint, tmp)
    os.replace(tmp, path)
    if keep:
        kept = run_dir / KEPT_DIR / f"checkpoint_{checkpoint['counters']['cum_steps']}.pt"
        kept.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, kept)
    return path


def load_checkpoint(run_dir: str | Path) -> Checkpoint | None:
    """The checkpoint in ``run_dir``, or None when there is none; refuses another version."""
    path = Path(run_dir) / CHECKPOINT_NAME
    if not path.exists():
        return None
    # weights_only=False: the checkpoint holds pickled environments and numpy arrays, and it is
    # the run's own file, written by this engine into its run directory.
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    version = checkpoint.get("version")
    if version != CHECKPOINT_VERSION:
        raise ValueError(
            f"{path} has checkpoint version {version}; this engine reads {CHECKPOINT_VERSION}"
        )
    return checkpoint


def remove_checkpoints(run_dir: str | Path) -> None:
    """Delete a previous run's checkpoints from ``run_dir`` (a fresh run starts over)."""
    run_dir = Path(run_dir)
    (run_dir / CHECKPOINT_NAME).unlink(missing_ok=True)
    shutil.rmtree(run_dir / KEPT_DIR, ignore_errors=True)
