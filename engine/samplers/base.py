"""The sampler role: where and how environments are stepped (rlpyt ``samplers/base.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from engine.agents.base import BaseAgent
from engine.envs.base import Env
from engine.samplers.collections import BatchSpec, Samples, TrajInfo
from engine.samplers.collectors import BaseCollector, ResetCollector

# Eval env j gets seed + EVAL_SEED_OFFSET + j, far from the training envs' seed + b, so training
# and evaluation never replay the same episode starts.
EVAL_SEED_OFFSET = 1_000_003


class BaseSampler(ABC):
    """Produces ``[batch_T, batch_B]`` training batches and evaluation trajectories.

    ``EnvCls(**env_kwargs)`` builds one environment (``eval_env_kwargs`` for evaluation
    environments, defaulting to ``env_kwargs``). ``CollectorCls`` is the env side of training
    (``ResetCollector`` or ``WaitResetCollector``), whichever process runs it. Env ``b`` is
    seeded with ``seed + b`` and takes ``decorrelation_steps(B, max_decorrelation_steps,
    seed)[b]`` random steps at start in every sampler. ``eval_max_steps`` is the step budget of
    one evaluation over all ``eval_n_envs`` environments.
    """

    def __init__(
        self,
        EnvCls: Callable[..., Env],
        env_kwargs: Mapping[str, Any],
        batch_T: int,
        batch_B: int,
        CollectorCls: type[BaseCollector] = ResetCollector,
        max_decorrelation_steps: int = 100,
        TrajInfoCls: type[TrajInfo] = TrajInfo,
        eval_n_envs: int = 0,
        eval_env_kwargs: Mapping[str, Any] | None = None,
        eval_max_steps: int | None = None,
        eval_max_trajectories: int | None = None,
    ) -> None:
        if eval_n_envs > 0 and eval_max_steps is None:
            raise ValueError("eval_n_envs > 0 needs eval_max_steps")
        self.EnvCls = EnvCls
        self.env_kwargs = dict(env_kwargs)
        self.batch_spec = BatchSpec(batch_T, batch_B)
        self.CollectorCls = CollectorCls
        self.mid_batch_reset = CollectorCls.mid_batch_reset
        self.max_decorrelation_steps = max_decorrelation_steps
        self.TrajInfoCls = TrajInfoCls
        self.eval_n_envs = eval_n_envs
        self.eval_env_kwargs = dict(env_kwargs if eval_env_kwargs is None else eval_env_kwargs)
        self.eval_max_steps = eval_max_steps
        self.eval_max_trajectories = eval_max_trajectories

    @abstractmethod
    def initialize(
        self,
        agent: BaseAgent,
        seed: int,
        bootstrap_value: bool = False,
        traj_info_kwargs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build envs, initialize ``agent`` for their spaces, allocate buffers; return examples.

        ``bootstrap_value``: also record ``agent.value`` of the observation after each batch.
        ``traj_info_kwargs`` are passed to every ``TrajInfoCls`` (e.g. the discount).
        """

    @abstractmethod
    def obtain_samples(self, itr: int) -> tuple[Samples, list[TrajInfo]]:
        """Collect one batch: torch samples ``[T, B]`` and the trajectories completed in it.

        The samples live in a buffer that the next call overwrites.
        """

    @abstractmethod
    def evaluate_agent(self, itr: int) -> list[TrajInfo]:
        """Run offline evaluation; return its completed trajectories."""

    def state_dict(self) -> dict[str, Any]:
        """Environment and collector state, for checkpoints (see ``SerialSampler``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be checkpointed yet")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned into an initialized sampler."""
        raise NotImplementedError(f"{type(self).__name__} cannot be checkpointed yet")

    def shutdown(self) -> None:
        """Close environments and stop workers."""

    @property
    def batch_size(self) -> int:
        return self.batch_spec.size

    @property
    def eval_max_T(self) -> int:
        """Steps of one evaluation per eval env: the ``eval_max_steps`` budget shared out."""
        return max(1, self.eval_max_steps // self.eval_n_envs)

    def traj_info_factory(
        self, traj_info_kwargs: Mapping[str, Any] | None
    ) -> Callable[[], TrajInfo]:
        """``TrajInfoCls`` with the runner's arguments bound (picklable, for workers)."""
        return partial(self.TrajInfoCls, **(traj_info_kwargs or {}))
