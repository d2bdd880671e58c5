"""Advantage actor-critic, synchronous (Mnih et al. 2016; rlpyt ``algos/pg/a2c.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.base import AgentInputs
from engine.algos.pg.base import PolicyGradientAlgo
from engine.samplers.collections import Samples
from engine.utils.buffer import buffer_to
from engine.utils.tensor import valid_mean


class A2C(PolicyGradientAlgo):
    """One gradient step per sampled ``[T, B]`` batch on the policy-gradient loss with a
    value baseline and an entropy bonus. Parameters and defaults are rlpyt's, plus
    ``linear_lr_schedule`` (off by default, as rlpyt's A2C has none): the learning rate
    annealed linearly to 0 over the run, as PPO's. Recurrent agents train on the batch's whole
    sequences.
    """

    def __init__(
        self,
        discount: float = 0.99,
        learning_rate: float = 0.001,
        value_loss_coeff: float = 0.5,
        entropy_loss_coeff: float = 0.01,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        clip_grad_norm: float = 1.0,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        gae_lambda: float = 1.0,
        normalize_advantage: bool = False,
        linear_lr_schedule: bool = False,
    ) -> None:
        self.discount = discount
        self.learning_rate = learning_rate
        self.value_loss_coeff = value_loss_coeff
        self.entropy_loss_coeff = entropy_loss_coeff
        self.OptimCls = OptimCls
        self.optim_kwargs = dict(optim_kwargs or {})
        self.clip_grad_norm = clip_grad_norm
        self.initial_optim_state_dict = initial_optim_state_dict
        self.gae_lambda = gae_lambda
        self.normalize_advantage = normalize_advantage
        self.linear_lr_schedule = linear_lr_schedule

    def optimize_agent(self, itr: int, samples: Samples) -> dict[str, float]:
        """One A2C update from a ``[T, B]`` batch; returns its losses and diagnostics."""
        agent, distribution = self.agent, self.agent.distribution
        frac = 1.0 - itr / self.n_itr if self.linear_lr_schedule else 1.0
        learning_rate = self.learning_rate * frac
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate

        return_, advantage, valid = self.process_returns(samples)
        agent_inputs = AgentInputs(
            samples.env.observation, samples.agent.prev_action, samples.env.prev_reward
        )
        action, return_, advantage, valid = buffer_to(
            (samples.agent.action, return_, advantage, valid), agent.device
        )

        if agent.recurrent:
            dist_info, value, _ = agent(*agent_inputs, *self.rnn_inputs(samples))
        else:
            dist_info, value = agent(*agent_inputs)
        log_likelihood = distribution.log_likelihood(action, dist_info)
        policy_loss = -valid_mean(log_likelihood * advantage, valid)
        value_loss = valid_mean(0.5 * (value - return_) ** 2, valid)
        # Without a bonus the entropy is only a statistic: kept out of autograd, whose
        # backward through a zero-weighted term cost 4% of a CartPole PPO step.
        with torch.set_grad_enabled(self.entropy_loss_coeff != 0):
            entropy = distribution.mean_entropy(dist_info, valid)
        loss = policy_loss + self.value_loss_coeff * value_loss - self.entropy_loss_coeff * entropy

        self.flat.zero_grad()
        loss.backward()
        grad_norm = self.flat.clip_grad_norm_(self.clip_grad_norm)
        self.optimizer.step()
        self.update_counter += 1

        return dict(
            loss=loss.item(),
            policy_loss=policy_loss.item(),
            value_loss=value_loss.item(),
            entropy=entropy.item(),
            grad_norm=grad_norm.item(),
            learning_rate=learning_rate,
        )
