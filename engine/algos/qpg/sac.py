"""Soft actor-critic (Haarnoja et al. 2018, with automatic entropy tuning; rlpyt
``algos/qpg/sac.py``): twin Q, no value network, tanh-squashed Gaussian policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from engine.agents.qpg.sac import SacAgent
from engine.algos.base import UpdateStats
from engine.algos.qpg.base import QpgAlgo, frozen
from engine.distributions.gaussian import DistInfo, Gaussian
from engine.optim import FlatParameters, make_optimizer
from engine.samplers.collections import Samples
from engine.utils.buffer import buffer_to
from engine.utils.tensor import valid_mean


class SAC(QpgAlgo):
    """Parameters and defaults are rlpyt's; separate Adam optimisers for pi, Q1, Q2 and alpha.

    ``target_entropy``: ``"auto"`` is ``-(action dims)``. ``fixed_alpha``: a fixed entropy
    weight, no tuning. ``reparameterize=False`` uses the likelihood-ratio policy gradient with
    the batch mean as baseline (rlpyt raised NotImplementedError).
    """

    agent: SacAgent

    def __init__(
        self,
        discount: float = 0.99,
        batch_size: int = 256,
        min_steps_learn: int = 10_000,
        replay_size: int = 1_000_000,
        replay_ratio: float = 256,
        target_update_tau: float = 0.005,
        target_update_interval: int = 1,
        learning_rate: float = 3e-4,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        action_prior: str = "uniform",
        reward_scale: float = 1.0,
        target_entropy: str | float = "auto",
        fixed_alpha: float | None = None,
        reparameterize: bool = True,
        clip_grad_norm: float = 1e9,
        n_step_return: int = 1,
        bootstrap_timelimit: bool = True,
    ) -> None:
        if action_prior not in ("uniform", "gaussian"):
            raise ValueError(f"action_prior must be uniform or gaussian, got {action_prior!r}")
        self.discount = discount
        self.batch_size = batch_size
        self.min_steps_learn = min_steps_learn
        self.replay_size = replay_size
        self.replay_ratio = replay_ratio
        self.target_update_tau = target_update_tau
        self.target_update_interval = target_update_interval
        self.learning_rate = learning_rate
        self.OptimCls = OptimCls
        self.optim_kwargs = dict(optim_kwargs or {})
        self.initial_optim_state_dict = initial_optim_state_dict
        self.action_prior = action_prior
        self.reward_scale = reward_scale
        self.target_entropy = target_entropy
        self.fixed_alpha = fixed_alpha
        self.reparameterize = reparameterize
        self.clip_grad_norm = clip_grad_norm
        self.n_step_return = n_step_return
        self.bootstrap_timelimit = bootstrap_timelimit

    def optim_initialize(self) -> None:
        agent = self.agent
        device = agent.device

        def optimizer(params: Any) -> tuple[torch.optim.Optimizer, FlatParameters]:
            return make_optimizer(self.OptimCls, params, self.learning_rate, **self.optim_kwargs)

        self.pi_optimizer, self.pi_flat = optimizer(agent.pi_parameters())
        self.q1_optimizer, self.q1_flat = optimizer(agent.q1_parameters())
        self.q2_optimizer, self.q2_flat = optimizer(agent.q2_parameters())
        initial_log_alpha = 0.0 if self.fixed_alpha is None else math.log(self.fixed_alpha)
        self._log_alpha = torch.full((1,), initial_log_alpha, device=device)
        self.tune_alpha = self.fixed_alpha is None
        if self.tune_alpha:
            self._log_alpha.requires_grad_(True)
            self.alpha_optimizer, self.alpha_flat = optimizer([self._log_alpha])
        self._alpha = self._log_alpha.detach().exp()
        action_dims = int(np.prod(agent.env_spaces.action.shape))
        self._target_entropy = (
            -float(action_dims) if self.target_entropy == "auto" else float(self.target_entropy)
        )
        if self.action_prior == "gaussian":
            self.action_prior_distribution = Gaussian(dim=action_dims, std=1.0)
        if self.initial_optim_state_dict is not None:
            self.load_optim_state_dict(self.initial_optim_state_dict)

    def optimize_agent(self, itr: int, samples: Samples | None = None) -> dict[str, float]:
        """Store the ``[T, B]`` batch (if given), then ``updates_per_optimize`` SAC updates
        from the replay; returns the means over them (nothing before ``min_itr_learn``)."""
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
            alpha = self._alpha

            # Q target: soft value of the next state under the current policy, from the
            # smaller of the twin target Qs.
            with torch.no_grad():
                next_action, next_log_pi, _ = agent.pi(*batch.target_inputs)
                target_q1, target_q2 = agent.target_q(*batch.target_inputs, next_action)
                target_value = torch.min(target_q1, target_q2) - alpha * next_log_pi
                y = self.reward_scale * batch.return_ + (1 - batch.done_n) * disc * target_value
            q1, q2 = agent.q(*batch.agent_inputs, batch.action)
            q1_loss = 0.5 * valid_mean((y - q1) ** 2, valid)
            q2_loss = 0.5 * valid_mean((y - q2) ** 2, valid)

            # Policy: maximise the soft value min(Q1, Q2)(s, a~pi) - alpha log pi(a|s). The Qs
            # are frozen here, so pi's loss trains only pi (rlpyt: separate backward passes).
            new_action, log_pi, dist_info = agent.pi(
                *batch.agent_inputs, reparameterize=self.reparameterize
            )
            with frozen(agent.q1_model, agent.q2_model):
                new_q1, new_q2 = agent.q(*batch.agent_inputs, new_action)
            soft_loss = alpha * log_pi - torch.min(new_q1, new_q2) - self.prior_log_pi(new_action)
            if self.reparameterize:
                pi_loss = valid_mean(soft_loss, valid)
            else:  # score function: grad E[f] = E[(f - baseline) grad log pi]
                advantage = (soft_loss - valid_mean(soft_loss, valid)).detach()
                pi_loss = valid_mean(log_pi * advantage, valid)
            loss = pi_loss + q1_loss + q2_loss  # disjoint parameters: one backward pass
            # Entropy weight: raise alpha while the entropy -log pi is below its target.
            alpha_loss = None
            if self.tune_alpha:
                alpha_loss = -valid_mean(
                    self._log_alpha * (log_pi.detach() + self._target_entropy), valid
                )
                loss = loss + alpha_loss

            for flat in self.flats():
                flat.zero_grad()
            loss.backward()
            pi_grad_norm, q1_grad_norm, q2_grad_norm = (
                flat.clip_grad_norm_(self.clip_grad_norm)
                for flat in (self.pi_flat, self.q1_flat, self.q2_flat)
            )
            if self.tune_alpha:
                self.alpha_flat.reduce_grad()
            for optimizer in self.optimizers():
                optimizer.step()
            self._alpha = self._log_alpha.detach().exp()

            self.update_counter += 1
            if self.update_counter % self.target_update_interval == 0:
                agent.update_target(self.target_update_tau)

            with torch.no_grad():  # statistics: no autograd records
                step_stats = dict(
                    q1_loss=q1_loss,
                    q2_loss=q2_loss,
                    pi_loss=pi_loss,
                    q1_grad_norm=q1_grad_norm,
                    q2_grad_norm=q2_grad_norm,
                    pi_grad_norm=pi_grad_norm,
                    q1=q1.mean(),
                    q2=q2.mean(),
                    pi_mu=dist_info.mean.mean(),
                    pi_log_std=dist_info.log_std.mean(),
                    q_mean_diff=(q1 - q2).abs().mean(),
                    entropy=-log_pi.mean(),
                    alpha=alpha.squeeze(),
                )
            if alpha_loss is not None:
                step_stats["alpha_loss"] = alpha_loss
            stats.add(step_stats)
        return stats.means()

    def flats(self) -> list[FlatParameters]:
        """The flat parameters of pi, Q1, Q2 and (when tuned) alpha."""
        flats = [self.pi_flat, self.q1_flat, self.q2_flat]
        return flats + [self.alpha_flat] if self.tune_alpha else flats

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """pi's, Q1's, Q2's and (when tuned) alpha's optimiser."""
        optimizers = [self.pi_optimizer, self.q1_optimizer, self.q2_optimizer]
        return optimizers + [self.alpha_optimizer] if self.tune_alpha else optimizers

    def prior_log_pi(self, action: torch.Tensor) -> torch.Tensor | float:
        """``log p(action)`` ``[...]`` under the action prior (0 for uniform)."""
        if self.action_prior == "uniform":
            return 0.0
        return self.action_prior_distribution.log_likelihood(
            action, DistInfo(mean=torch.zeros_like(action))
        )

    def optim_state_dict(self) -> dict[str, Any]:
        state = dict(
            pi=self.pi_optimizer.state_dict(),
            q1=self.q1_optimizer.state_dict(),
            q2=self.q2_optimizer.state_dict(),
            log_alpha=self._log_alpha.detach().cpu().clone(),
        )
        if self.tune_alpha:
            state["alpha"] = self.alpha_optimizer.state_dict()
        return state

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.pi_optimizer.load_state_dict(state_dict["pi"])
        self.q1_optimizer.load_state_dict(state_dict["q1"])
        self.q2_optimizer.load_state_dict(state_dict["q2"])
        if self.tune_alpha:
            self.alpha_optimizer.load_state_dict(state_dict["alpha"])
        with torch.no_grad():
            self._log_alpha.copy_(state_dict["log_alpha"])
        self._alpha = self._log_alpha.detach().exp()
