"""Shared machinery of on-policy policy-gradient algorithms (rlpyt ``algos/pg/base.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.algos.utils import discount_return, generalized_advantage_estimation
from engine.samplers.collections import BatchSpec, Samples


class PolicyGradientAlgo(BaseAlgorithm):
    """Binds agent and optimiser, and turns a batch into returns and advantages.

    Subclasses set ``discount``, ``gae_lambda``, ``normalize_advantage``, ``learning_rate``,
    ``OptimCls``, ``optim_kwargs`` and ``initial_optim_state_dict`` in their constructor.
    """

    bootstrap_value: ClassVar[bool] = True
    gae_lambda: float
    normalize_advantage: bool
    learning_rate: float
    OptimCls: type[torch.optim.Optimizer]
    optim_kwargs: dict[str, Any]
    initial_optim_state_dict: Mapping[str, Any] | None

    def initialize(
        self,
        agent: BaseAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        if agent.recurrent or not mid_batch_reset:
            raise NotImplementedError("recurrent agents and wait-reset sampling come later")
        self.agent = agent
        self.n_itr = n_itr
        self.batch_spec = batch_spec
        self.mid_batch_reset = mid_batch_reset
        self.optimizer = self.OptimCls(
            agent.parameters(), lr=self.learning_rate, **self.optim_kwargs
        )
        if self.initial_optim_state_dict is not None:
            self.optimizer.load_state_dict(self.initial_optim_state_dict)

    def process_returns(
        self, samples: Samples
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(return_, advantage, valid)``, each ``[T, B]``; ``valid`` is None when all are.

        Time-limited steps are invalid and bootstrapped (see ``engine.algos.utils``).
        """
        reward, done = samples.env.reward, samples.env.done
        value, bootstrap_value = samples.agent.agent_info.value, samples.agent.bootstrap_value
        timeout = getattr(samples.env.env_info, "timeout", None)
        if self.gae_lambda == 1:  # GAE(1) is the discounted return, computed more cheaply.
            return_ = discount_return(reward, done, bootstrap_value, self.discount, timeout, value)
            advantage = return_ - value
        else:
            advantage, return_ = generalized_advantage_estimation(
                reward, value, done, bootstrap_value, self.discount, self.gae_lambda, timeout
            )
        valid = None if timeout is None else 1 - timeout.to(reward.dtype)
        if self.normalize_advantage:
            valid_advantage = advantage if valid is None else advantage[valid > 0]
            advantage = (advantage - valid_advantage.mean()) / valid_advantage.std().clamp(min=1e-6)
        return return_, advantage, valid

    def optim_state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)
