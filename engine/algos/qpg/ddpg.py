"""DDPG (Lillicrap et al. 2016) and TD3 (Fujimoto et al. 2018), rlpyt ``algos/qpg/ddpg.py`` and
``td3.py``: deterministic policy, Q learned from n-step targets of target networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.qpg.ddpg import DdpgAgent
from engine.algos.base import UpdateStats
from engine.algos.qpg.base import QpgAlgo, frozen
from engine.optim import make_optimizer
from engine.samplers.collections import Samples
from engine.utils.buffer import buffer_to
from engine.utils.tensor import valid_mean


class DDPG(QpgAlgo):
    """Parameters and defaults are rlpyt's; ``learning_rate`` is the policy's (mu's).

    Each update: one Q step towards ``y = return_n + discount^n (1 - done_n) Q'(s_n, mu'(s_n))``
    (clamped to ``+-q_target_clip``), summed over the agent's Q networks (one for DDPG, two for
    TD3, whose agent also takes the min over its twin targets and smooths the target action);
    every ``policy_update_interval`` updates a mu step up ``Q(s, mu(s))``; every
    ``target_update_interval`` updates a Polyak step of the targets.
    """

    agent: DdpgAgent

    def __init__(
        self,
        discount: float = 0.99,
        batch_size: int = 64,
        min_steps_learn: int = 10_000,
        replay_size: int = 1_000_000,
        replay_ratio: float = 64,
        target_update_tau: float = 0.01,
        target_update_interval: int = 1,
        policy_update_interval: int = 1,
        learning_rate: float = 1e-4,
        q_learning_rate: float = 1e-3,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        clip_grad_norm: float = 1e8,
        q_target_clip: float = 1e6,
        n_step_return: int = 1,
        bootstrap_timelimit: bool = True,
    ) -> None:
        self.discount = discount
        self.batch_size = batch_size
        self.min_steps_learn = min_steps_learn
        self.replay_size = replay_size
        self.replay_ratio = replay_ratio
        self.target_update_tau = target_update_tau
        self.target_update_interval = target_update_interval
        self.policy_update_interval = policy_update_interval
        self.learning_rate = learning_rate
        self.q_learning_rate = q_learning_rate
        self.OptimCls = OptimCls
        self.optim_kwargs = dict(optim_kwargs or {})
        self.initial_optim_state_dict = initial_optim_state_dict
        self.clip_grad_norm = clip_grad_norm
        self.q_target_clip = q_target_clip
        self.n_step_return = n_step_return
        self.bootstrap_timelimit = bootstrap_timelimit

    def optim_initialize(self) -> None:
        self.mu_optimizer, self.mu_flat = make_optimizer(
            self.OptimCls, self.agent.mu_parameters(), self.learning_rate, **self.optim_kwargs
        )
        self.q_optimizer, self.q_flat = make_optimizer(
            self.OptimCls, self.agent.q_parameters(), self.q_learning_rate, **self.optim_kwargs
        )
        if self.initial_optim_state_dict is not None:
            self.load_optim_state_dict(self.initial_optim_state_dict)

    def optimize_agent(self, itr: int, samples: Samples | None = None) -> dict[str, float]:
        """Store the ``[T, B]`` batch (if given), then ``updates_per_optimize`` updates from the
        replay; returns the means over them (nothing before ``min_itr_learn``)."""
        if samples is not None:
            self.append_samples(samples)
        if itr < self.min_itr_learn:
            return {}
        agent = self.agent
        disc = self.discount**self.n_step_return
        stats = UpdateStats()
        for _ in range(self.updates_per_optimize):
            batch = buffer_to(self.replay_buffer.sample_batch(self.batch_size), agent.device)
            valid = self.valid(batch)  # [batch_size] or None

            with torch.no_grad():
                target_q = agent.target_q_at_mu(*batch.target_inputs)
                y = batch.return_ + (1 - batch.done_n) * disc * target_q
                y = y.clamp(-self.q_target_clip, self.q_target_clip)
            qs = agent.q(*batch.agent_inputs, batch.action)
            q_loss = sum(valid_mean(0.5 * (y - q) ** 2, valid) for q in qs)
            self.q_flat.zero_grad()
            q_loss.backward()
            q_grad_norm = self.q_flat.clip_grad_norm_(self.clip_grad_norm)
            self.q_optimizer.step()
            self.update_counter += 1
            step_stats = dict(q_loss=q_loss, q_grad_norm=q_grad_norm, q_mean=qs[0].mean())

            if self.update_counter % self.policy_update_interval == 0:
                with frozen(*agent.q_models()):  # mu's gradient only, through Q
                    mu_loss = -valid_mean(agent.q_at_mu(*batch.agent_inputs), valid)
                self.mu_flat.zero_grad()
                mu_loss.backward()
                mu_grad_norm = self.mu_flat.clip_grad_norm_(self.clip_grad_norm)
                self.mu_optimizer.step()
                step_stats.update(mu_loss=mu_loss, mu_grad_norm=mu_grad_norm)

            if self.update_counter % self.target_update_interval == 0:
                agent.update_target(self.target_update_tau)
            stats.add(step_stats)
        return stats.means()

    def optim_state_dict(self) -> dict[str, Any]:
        return dict(mu=self.mu_optimizer.state_dict(), q=self.q_optimizer.state_dict())

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.mu_optimizer.load_state_dict(state_dict["mu"])
        self.q_optimizer.load_state_dict(state_dict["q"])


class TD3(DDPG):
    """DDPG with twin Q, target policy smoothing (in ``Td3Agent``) and delayed policy and
    target updates, rlpyt's defaults. rlpyt's TD3 ignored its ``mu_learning_rate`` (the
    inherited optimiser read DDPG's ``learning_rate``, 1e-4); here it is the policy's rate."""

    def __init__(
        self,
        batch_size: int = 100,
        replay_ratio: float = 100,
        target_update_tau: float = 0.005,
        target_update_interval: int = 2,
        policy_update_interval: int = 2,
        mu_learning_rate: float = 1e-3,
        q_learning_rate: float = 1e-3,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            batch_size=batch_size,
            replay_ratio=replay_ratio,
            target_update_tau=target_update_tau,
            target_update_interval=target_update_interval,
            policy_update_interval=policy_update_interval,
            learning_rate=mu_learning_rate,
            q_learning_rate=q_learning_rate,
            **kwargs,
        )
