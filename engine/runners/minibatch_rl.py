"""Synchronous sample-then-optimise runners (rlpyt ``runners/minibatch_rl.py``)."""

from __future__ import annotations

import copy
import math
import re
import time
import warnings
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.checkpoint import CHECKPOINT_VERSION, Checkpoint, Counters, save_checkpoint
from engine.logging.logger import Logger
from engine.runners.base import BaseRunner
from engine.samplers.base import BaseSampler
from engine.samplers.collections import TrajInfo
from engine.utils.seed import get_rng_state, set_rng_state, set_seed

# Rank r seeds its generators and envs from seed + r * RANK_SEED_STRIDE (envs b: + b), so no
# two ranks' envs share a seed while B stays below the stride.
RANK_SEED_STRIDE = 10_007

# TrajInfo fields whose logged names differ from their snake_case form.
_TRAJ_KEYS = {"Return": "return", "Length": "episode_length"}


def steps_cross(itr: int, batch_size: int, interval: int) -> bool:
    """Whether iteration ``itr`` of ``batch_size`` steps reaches a new multiple of ``interval``
    env steps."""
    return (itr + 1) * batch_size // interval > itr * batch_size // interval


def traj_stats(traj_infos: Iterable[TrajInfo], prefix: str = "") -> dict[str, float]:
    """``{prefix}{field}_mean`` of every TrajInfo field, plus std/min/max of the return.

    Empty when no trajectory completed, so rows never carry NaN.
    """
    records = [traj_info.fields() for traj_info in traj_infos]
    if not records:
        return {}
    row = {}
    for field in records[0]:
        key = prefix + _TRAJ_KEYS.get(field, re.sub(r"(?<!^)(?=[A-Z])", "_", field).lower())
        values = np.array([record[field] for record in records], dtype=np.float64)
        row[f"{key}_mean"] = values.mean()
        if field == "Return":
            row.update(
                {f"{key}_std": values.std(), f"{key}_min": values.min(), f"{key}_max": values.max()}
            )
    return row


class MinibatchRl(BaseRunner):
    """Alternates ``sampler.obtain_samples`` and ``algo.optimize_agent`` for ``n_itr`` iterations.

    ``n_itr = ceil(n_steps / (batch_T * batch_B))``. A row is logged at the cumulative env step
    count after the first iteration to reach each multiple of ``log_interval_steps``, and after
    the last: online performance over the last ``log_traj_window`` completed training
    trajectories, throughput, and the mean of the algorithm's diagnostics since the last row.

    With a ``checkpoint_dir``, the state after each iteration that reaches a multiple of
    ``checkpoint_interval_steps`` (default: ``log_interval_steps``), and after the last, goes
    to ``checkpoint_dir/checkpoint.pt`` (``engine.checkpoint``); ``train(checkpoint)`` continues
    from one. A copy is kept every ``checkpoint_keep_interval_steps``, if given.
    """

    def __init__(
        self,
        algo: BaseAlgorithm,
        agent: BaseAgent,
        sampler: BaseSampler,
        n_steps: int,
        seed: int,
        logger: Logger,
        log_interval_steps: int = 100_000,
        log_traj_window: int = 100,
        device: torch.device | str = "cpu",
        checkpoint_dir: str | Path | None = None,
        checkpoint_interval_steps: int | None = None,
        checkpoint_keep_interval_steps: int | None = None,
    ) -> None:
        self.algo = algo
        self.agent = agent
        self.sampler = sampler
        self.n_steps = int(n_steps)
        self.seed = seed
        self.logger = logger
        self.log_interval_steps = int(log_interval_steps)
        self.log_traj_window = log_traj_window
        self.device = torch.device(device)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.checkpoint_interval_steps = int(checkpoint_interval_steps or log_interval_steps)
        self.checkpoint_keep_interval_steps = checkpoint_keep_interval_steps

    # Data-parallel runners (SyncRl) run one replica of this loop per rank; a plain runner is
    # the only rank of its run.
    world_size: int = 1
    rank: int = 0

    @property
    def rank_seed(self) -> int:
        """The seed of this rank's generators and envs: ranks must not collect the same data."""
        return self.seed + RANK_SEED_STRIDE * self.rank

    def startup(self, checkpoint: Checkpoint | None = None) -> int:
        """Seed, build the sampler's envs and the agent's model, the optimiser; return n_itr.

        With a ``checkpoint``, then restore its state (see ``load_state_dict``).
        """
        set_seed(self.rank_seed)
        examples = self.sampler.initialize(
            self.agent,
            seed=self.rank_seed,
            bootstrap_value=self.algo.bootstrap_value,
            traj_info_kwargs=dict(discount=self.algo.discount),
        )
        self.agent.to_device(self.device)
        # Steps of one iteration over all ranks: logs and n_steps count the whole run's steps.
        self.itr_batch_size = self.sampler.batch_size * self.world_size
        self.n_itr = n_itr = math.ceil(self.n_steps / self.itr_batch_size)
        self.algo.initialize(
            self.agent, n_itr, self.sampler.batch_spec, self.sampler.mid_batch_reset, examples
        )
        self.init_diagnostics()
        if checkpoint is not None:
            self.load_state_dict(checkpoint)
        return n_itr

    def init_diagnostics(self) -> None:
        """An empty diagnostics window, counted from now (a checkpoint may then restore it)."""
        self._traj_infos: deque[TrajInfo] = deque(maxlen=self.log_traj_window)
        self._cum_completed_trajs = 0
        self._opt_infos: dict[str, list[float]] = {}
        self._last_log = (time.perf_counter(), 0, self.algo.update_counter)  # time, steps, updates

    def train(self, checkpoint: Checkpoint | None = None) -> dict[str, float]:
        """Run the experiment, or continue it after the iteration ``checkpoint`` was taken at.

        A run resumed with the same seed produces the values the uninterrupted run would have
        (serial sampler, classic-control environments; see ``engine.checkpoint``).
        """
        try:
            # Inside the try: a startup that fails (a sync rank dying while rank 0 evaluates step
            # 0) still gets shutdown, which stops what it had started and tells why it failed.
            n_itr = self.startup(checkpoint)
            start_itr = 0 if checkpoint is None else checkpoint["counters"]["itr"] + 1
            for itr in range(start_itr, n_itr):
                self.agent.sample_mode(itr)
                samples, traj_infos = self.sampler.obtain_samples(itr)
                self.agent.train_mode(itr)
                opt_info = self.algo.optimize_agent(itr, samples)
                self.store_diagnostics(traj_infos, opt_info)
                self.finish_iteration(itr)
        finally:
            self.shutdown()
        return self.summary()

    def finish_iteration(self, itr: int) -> None:
        """Log and checkpoint after iteration ``itr`` where due, and after the last."""
        last = itr == self.n_itr - 1
        if self.log_due(itr) or last:
            self.log_diagnostics(itr)
        if self.steps_cross(itr, self.checkpoint_interval_steps) or last:
            self.save_itr_snapshot(itr)

    def summary(self) -> dict[str, float]:
        """What ``train`` returns: steps, seconds and the last value of every logged key."""
        return {
            "steps": self.n_itr * self.itr_batch_size,
            "seconds": self.logger.wall_time,
            **self.logger.latest,
        }

    def log_due(self, itr: int) -> bool:
        """Whether iteration ``itr`` reaches a new multiple of ``log_interval_steps``."""
        return self.steps_cross(itr, self.log_interval_steps)

    def steps_cross(self, itr: int, interval: int) -> bool:
        """Whether iteration ``itr`` reaches a new multiple of ``interval`` env steps."""
        return steps_cross(itr, self.itr_batch_size, interval)

    def save_itr_snapshot(self, itr: int) -> None:
        """Write the checkpoint after iteration ``itr`` if the runner has a ``checkpoint_dir``
        (rlpyt's name).

        A part that cannot give its state (an environment or sampler without ``state_dict``)
        turns checkpoints off for the run, with a warning: training matters more than resume.
        """
        if self.checkpoint_dir is None:
            return
        try:
            checkpoint = self.state_dict(itr)
        except NotImplementedError as exc:
            warnings.warn(f"checkpoints are off for this run: {exc}", stacklevel=2)
            self.checkpoint_dir = None
            return
        keep = self.checkpoint_keep_interval_steps
        save_checkpoint(
            checkpoint, self.checkpoint_dir, keep=keep is not None and self.steps_cross(itr, keep)
        )

    def state_dict(self, itr: int) -> Checkpoint:
        """The checkpoint after iteration ``itr`` (format: ``engine.checkpoint``).

        Parts reference live tensors and arrays, as torch's state dicts do: save it at once.
        """
        _, last_log_steps, last_log_updates = self._last_log
        return Checkpoint(
            version=CHECKPOINT_VERSION,
            counters=Counters(
                itr=itr,
                cum_steps=(itr + 1) * self.itr_batch_size,
                cum_completed_trajs=self._cum_completed_trajs,
                cum_updates=self.algo.update_counter,
            ),
            run=dict(
                seed=self.seed,
                n_itr=self.n_itr,
                batch_size=self.itr_batch_size,
                traj_window=list(self._traj_infos),
                opt_infos=self._opt_infos,
                last_log=(last_log_steps, last_log_updates),
            ),
            agent=self.agent.state_dict(),
            # An exact resume needs the replay buffer too; algorithms without one ignore this.
            algo=self.algo.state_dict(include_replay=True),
            sampler=self.sampler_state_dict(),
            logger=self.logger.state_dict(),
            rng=get_rng_state(),
        )

    def load_state_dict(self, checkpoint: Checkpoint) -> None:
        """Restore a checkpoint of the same run (seed, length and batch size are checked)."""
        run = checkpoint["run"]
        expected = dict(seed=self.seed, n_itr=self.n_itr, batch_size=self.itr_batch_size)
        found = {key: run[key] for key in expected}
        if found != expected:
            raise ValueError(f"the checkpoint is of another run: {found}, expected {expected}")
        self.agent.load_state_dict(checkpoint["agent"])
        self.algo.load_state_dict(checkpoint["algo"])
        self.load_sampler_state_dict(checkpoint["sampler"])
        self.logger.load_state_dict(checkpoint["logger"])
        set_rng_state(checkpoint["rng"])
        self._traj_infos.extend(copy.deepcopy(run["traj_window"]))
        self._cum_completed_trajs = checkpoint["counters"]["cum_completed_trajs"]
        self._opt_infos = copy.deepcopy(run["opt_infos"])
        self._last_log = (time.perf_counter(), *run["last_log"])

    def sampler_state_dict(self) -> dict[str, Any]:
        """The sampler's part of a checkpoint (its envs and collectors)."""
        return self.sampler.state_dict()

    def load_sampler_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state)

    def shutdown(self) -> None:
        self.sampler.shutdown()
        self.logger.close()

    def store_diagnostics(self, traj_infos: list[TrajInfo], opt_info: dict[str, float]) -> None:
        self._traj_infos.extend(traj_infos)
        self._cum_completed_trajs += len(traj_infos)
        for key, value in opt_info.items():
            self._opt_infos.setdefault(key, []).append(value)

    def diagnostics(self, itr: int) -> dict[str, float]:
        """The row logged after iteration ``itr``."""
        cum_steps = (itr + 1) * self.itr_batch_size
        last_time, last_steps, last_updates = self._last_log
        elapsed = max(time.perf_counter() - last_time, 1e-9)
        row = traj_stats(self._traj_infos)
        row["episodes"] = self._cum_completed_trajs
        row["steps_per_second"] = (cum_steps - last_steps) / elapsed
        row["updates_per_second"] = (self.algo.update_counter - last_updates) / elapsed
        row.update({key: float(np.mean(values)) for key, values in self._opt_infos.items()})
        return row

    def log_diagnostics(self, itr: int) -> None:
        cum_steps = (itr + 1) * self.itr_batch_size
        self.logger.log(cum_steps, self.diagnostics(itr))
        self._opt_infos = {}
        # Taken after the row, so time spent in evaluation never counts as training time.
        self._last_log = (time.perf_counter(), cum_steps, self.algo.update_counter)


class MinibatchRlEval(MinibatchRl):
    """``MinibatchRl`` plus offline evaluation (``sampler.evaluate_agent``) at the start and at
    every log row, logged as ``eval_return_mean`` etc. and ``eval_episodes``."""

    def startup(self, checkpoint: Checkpoint | None = None) -> int:
        n_itr = super().startup(checkpoint)
        if checkpoint is None:  # a resumed run logged its step-0 evaluation before
            self.logger.log(0, self.evaluate(0))
            self._last_log = (time.perf_counter(), 0, self.algo.update_counter)
        return n_itr

    def diagnostics(self, itr: int) -> dict[str, float]:
        row = super().diagnostics(itr)
        row.update(self.evaluate(itr))
        return row

    def evaluate(self, itr: int) -> dict[str, float]:
        self.agent.eval_mode(itr)
        traj_infos = self.sampler.evaluate_agent(itr)
        return {**traj_stats(traj_infos, prefix="eval_"), "eval_episodes": len(traj_infos)}
