"""Synchronous sample-then-optimise runners (rlpyt ``runners/minibatch_rl.py``)."""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Iterable

import numpy as np
import torch

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.logging.logger import Logger
from engine.runners.base import BaseRunner
from engine.samplers.base import BaseSampler
from engine.samplers.collections import TrajInfo
from engine.utils.seed import set_seed

# TrajInfo fields whose logged names differ from their snake_case form.
_TRAJ_KEYS = {"Return": "return", "Length": "episode_length"}


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

    def startup(self) -> int:
        """Seed, build the sampler's envs and the agent's model, the optimiser; return n_itr."""
        set_seed(self.seed)
        examples = self.sampler.initialize(
            self.agent,
            seed=self.seed,
            bootstrap_value=self.algo.bootstrap_value,
            traj_info_kwargs=dict(discount=self.algo.discount),
        )
        self.agent.to_device(self.device)
        self.itr_batch_size = self.sampler.batch_size
        n_itr = math.ceil(self.n_steps / self.itr_batch_size)
        self.algo.initialize(
            self.agent, n_itr, self.sampler.batch_spec, self.sampler.mid_batch_reset, examples
        )
        self._traj_infos: deque[TrajInfo] = deque(maxlen=self.log_traj_window)
        self._cum_completed_trajs = 0
        self._opt_infos: dict[str, list[float]] = {}
        self._last_log = (time.perf_counter(), 0, self.algo.update_counter)  # time, steps, updates
        return n_itr

    def train(self) -> dict[str, float]:
        n_itr = self.startup()
        try:
            for itr in range(n_itr):
                self.agent.sample_mode(itr)
                samples, traj_infos = self.sampler.obtain_samples(itr)
                self.agent.train_mode(itr)
                opt_info = self.algo.optimize_agent(itr, samples)
                self.store_diagnostics(traj_infos, opt_info)
                if self.log_due(itr) or itr == n_itr - 1:
                    self.log_diagnostics(itr)
        finally:
            self.shutdown()
        return {
            "steps": n_itr * self.itr_batch_size,
            "seconds": self.logger.wall_time,
            **self.logger.latest,
        }

    def log_due(self, itr: int) -> bool:
        """Whether iteration ``itr`` reaches a new multiple of ``log_interval_steps``."""
        interval, batch = self.log_interval_steps, self.itr_batch_size
        return (itr + 1) * batch // interval > itr * batch // interval

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

    def startup(self) -> int:
        n_itr = super().startup()
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
