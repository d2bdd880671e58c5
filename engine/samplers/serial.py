"""Sampler that steps every environment in the calling process (rlpyt ``samplers/serial``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from engine.agents.base import BaseAgent
from engine.envs.base import Env
from engine.samplers.base import EVAL_SEED_OFFSET, BaseSampler
from engine.samplers.buffer import build_samples_buffer, build_step_buffer
from engine.samplers.collections import Samples, TrajInfo
from engine.samplers.collectors import (
    ActionServer,
    BaseCollector,
    EvalCollector,
    collect_batch,
    collect_evaluation,
    decorrelation_steps,
)


def collector_state(
    collector: BaseCollector, envs: Sequence[Env], eval_envs: Sequence[Env]
) -> dict[str, Any]:
    """The checkpoint state of one process's envs and training collector."""
    return {
        "envs": [env.state_dict() for env in envs],
        "eval_envs": [env.state_dict() for env in eval_envs],
        **collector.state_dict(),
    }


def load_collector_state(
    collector: BaseCollector,
    envs: Sequence[Env],
    eval_envs: Sequence[Env],
    state: Mapping[str, Any],
) -> None:
    """Restore what ``collector_state`` returned."""
    for env, env_state in zip(
        [*envs, *eval_envs], [*state["envs"], *state["eval_envs"]], strict=True
    ):
        env.load_state_dict(env_state)
    # Copies: the collector writes into its state, which must not alias the checkpoint.
    collector.load_state_dict(copy.deepcopy(dict(state)))


class SerialSampler(BaseSampler):
    """All ``batch_B`` environments and the agent in one process: simple, debuggable, and the
    fastest choice for cheap environments and small models."""

    # Empty until ``initialize`` builds them: ``shutdown`` also follows a failed startup.
    envs: Sequence[Env] = ()
    eval_envs: Sequence[Env] = ()

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
        TrajInfoCls = self.traj_info_factory(traj_info_kwargs)
        step_np = build_step_buffer(examples, B)
        self.collector = self.CollectorCls(envs, step_np, self.samples_np.env, TrajInfoCls)
        self.server = ActionServer(agent, step_np, self.samples_np.agent, self.mid_batch_reset)
        self.collector.start_envs(decorrelation_steps(B, self.max_decorrelation_steps, seed))
        self.envs = envs
        self.eval_envs = []
        if self.eval_n_envs > 0:
            self.eval_envs = [self.EnvCls(**self.eval_env_kwargs) for _ in range(self.eval_n_envs)]
            for j, env in enumerate(self.eval_envs):
                env.seed(seed + EVAL_SEED_OFFSET + j)
            eval_step_np = build_step_buffer(examples, self.eval_n_envs)
            self.eval_collector = EvalCollector(
                self.eval_envs, eval_step_np, TrajInfoCls, self.eval_max_trajectories
            )
            self.eval_server = ActionServer(agent, eval_step_np)
        return examples

    def obtain_samples(self, itr: int) -> tuple[Samples, list[TrajInfo]]:
        return self.samples_pyt, collect_batch(self.collector, self.server)

    def evaluate_agent(self, itr: int) -> list[TrajInfo]:
        if not self.eval_envs:
            raise RuntimeError("evaluate_agent needs eval_n_envs >= 1")
        return collect_evaluation(self.eval_collector, self.eval_server, self.eval_max_T)

    def state_dict(self) -> dict[str, Any]:
        """Environments (training and eval) and the collector's place: the step buffer the
        next batch starts from and each env's running trajectory record. Like torch's, the
        result references live objects: serialise it before sampling again."""
        return collector_state(self.collector, self.envs, self.eval_envs)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned into an initialized sampler of the same shape."""
        load_collector_state(self.collector, self.envs, self.eval_envs, state)

    def shutdown(self) -> None:
        for env in [*self.envs, *self.eval_envs]:
            env.close()
