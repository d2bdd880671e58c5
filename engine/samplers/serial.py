"""Sampler that steps every environment in the calling process (rlpyt ``samplers/serial``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from engine.agents.base import BaseAgent
from engine.envs.base import Env
from engine.samplers.base import EVAL_SEED_OFFSET, BaseSampler
from engine.samplers.buffer import build_samples_buffer
from engine.samplers.collections import Samples, TrajInfo
from engine.samplers.collectors import ResetCollector, SerialEvalCollector


class SerialSampler(BaseSampler):
    """All ``batch_B`` environments and the agent in one process: simple, debuggable, and the
    fastest choice for cheap environments and small models."""

    def __init__(self, *args: Any, CollectorCls: type = ResetCollector, **kwargs: Any) -> None:
        super().__init__(*args, CollectorCls=CollectorCls, **kwargs)

    def initialize(
        self,
        agent: BaseAgent,
        seed: int,
        bootstrap_value: bool = False,
        traj_info_kwargs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        B = self.batch_spec.B
        envs = [self.EnvCls(**self.env_kwargs) for _ in range(B)]
        agent.initialize(envs[0].spaces)
        self.samples_pyt, self.samples_np, examples = build_samples_buffer(
            agent, envs[0], self.batch_spec, bootstrap_value
        )
        for b, env in enumerate(envs):
            env.seed(seed + b)
        TrajInfoCls = partial(self.TrajInfoCls, **(traj_info_kwargs or {}))
        self.collector = self.CollectorCls(
            envs, agent, self.samples_np, self.batch_spec.T, TrajInfoCls
        )
        self._agent_inputs, self._traj_infos = self.collector.start_envs(
            self.max_decorrelation_steps, np.random.default_rng(seed)
        )
        self.envs = envs
        self.eval_envs: list[Env] = []
        if self.eval_n_envs > 0:
            self.eval_envs = [self.EnvCls(**self.eval_env_kwargs) for _ in range(self.eval_n_envs)]
            for j, env in enumerate(self.eval_envs):
                env.seed(seed + EVAL_SEED_OFFSET + j)
            self.eval_collector = SerialEvalCollector(
                self.eval_envs,
                agent,
                TrajInfoCls,
                max_T=max(1, self.eval_max_steps // self.eval_n_envs),
                max_trajectories=self.eval_max_trajectories,
            )
        return examples

    def obtain_samples(self, itr: int) -> tuple[Samples, list[TrajInfo]]:
        self._agent_inputs, self._traj_infos, completed_infos = self.collector.collect_batch(
            self._agent_inputs, self._traj_infos, itr
        )
        return self.samples_pyt, completed_infos

    def evaluate_agent(self, itr: int) -> list[TrajInfo]:
        if not self.eval_envs:
            raise RuntimeError("evaluate_agent needs eval_n_envs >= 1")
        return self.eval_collector.collect_evaluation(itr)

    def shutdown(self) -> None:
        for env in self.envs + self.eval_envs:
            env.close()
