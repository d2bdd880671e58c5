"""Shared machinery of on-policy policy-gradient algorithms (rlpyt ``algos/pg/base.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.algos.utils import discount_return, generalized_advantage_estimation
from engine.models.pg.lstm import RnnState
from engine.optim import make_optimizer
from engine.samplers.collections import BatchSpec, Samples


def valid_from_done(done: torch.Tensor) -> torch.Tensor:
    """``[T, B]`` mask: 1 up to and including each env's first ``done`` in the batch, 0 after
    it (rlpyt ``valid_from_done``, for batches sampled without mid-batch resets)."""
    done = done.to(torch.float32)
    valid = torch.ones_like(done)
    valid[1:] = 1 - torch.clamp(torch.cumsum(done[:-1], dim=0), max=1)
    return valid


class PolicyGradientAlgo(BaseAlgorithm):
    """Binds agent and optimiser, and turns a batch into returns and advantages.

    Recurrent agents train on the batch's whole sequences from the state the sampler had
    (``rnn_inputs``), with either collector: mid-batch resets zero the state inside the
    sequence; without them, steps after an env's first ``done`` are masked out.

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
        self.agent = agent
        self.n_itr = n_itr
        self.batch_spec = batch_spec
        self.mid_batch_reset = mid_batch_reset
        self.optimizer, self.flat = make_optimizer(
            self.OptimCls, agent.parameters(), self.learning_rate, **self.optim_kwargs
        )
        if self.initial_optim_state_dict is not None:
            self.optimizer.load_state_dict(self.initial_optim_state_dict)

    def process_returns(
        self, samples: Samples
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(return_, advantage, valid)``, each ``[T, B]``; ``valid`` is None when all are.

        Time-limited steps are invalid and bootstrapped (see ``engine.algos.utils``); without
        mid-batch resets, so are the blank steps after an env's first ``done``.
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
        if not self.mid_batch_reset:  # after an env's done, the batch holds only blanks
            valid_seq = valid_from_done(done).to(reward.dtype)
            valid = valid_seq if valid is None else valid * valid_seq
        if self.normalize_advantage:
            valid_advantage = advantage if valid is None else advantage[valid > 0]
            advantage = (advantage - valid_advantage.mean()) / valid_advantage.std().clamp(min=1e-6)
        return return_, advantage, valid

    def rnn_inputs(self, samples: Samples) -> tuple[RnnState, torch.Tensor | None]:
        """What a recurrent agent needs to replay the batch's sequences: ``init_rnn_state``
        ``[B, H]``, the state the sampler started the batch from, and ``reset`` ``[T, B]``,
        where an episode began inside the batch (the previous step was ``done``; the sampler
        zeroed the agent's state there too). Without mid-batch resets nothing valid follows a
        ``done``, so ``reset`` is None and each sequence runs in one piece."""
        init_rnn_state = samples.agent.agent_info.prev_rnn_state[0]
        if not self.mid_batch_reset:
            return init_rnn_state, None
        done = samples.env.done.bool()
        reset = torch.zeros_like(done)
        reset[1:] = done[:-1]
        return init_rnn_state, reset

    def optim_state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)
