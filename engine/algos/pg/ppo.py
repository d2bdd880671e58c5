"""PPO with the clipped surrogate (Schulman et al. 2017; rlpyt ``algos/pg/ppo.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.base import AgentInputs, BaseAgent
from engine.algos.base import UpdateStats
from engine.algos.pg.base import PolicyGradientAlgo
from engine.samplers.collections import BatchSpec, Samples
from engine.utils.buffer import buffer_to, flatten_leading_dims
from engine.utils.collections import namedarraytuple
from engine.utils.tensor import valid_mean

LossInputs = namedarraytuple(
    "LossInputs", ["agent_inputs", "action", "return_", "advantage", "valid", "old_dist_info"]
)


class PPO(PolicyGradientAlgo):
    """PPO-clip: ``epochs`` passes of ``minibatches`` shuffled minibatches over each batch.

    Parameters and defaults are rlpyt's. ``linear_lr_schedule`` anneals both the learning rate
    and ``ratio_clip`` linearly to 0 over the run's ``n_itr`` iterations. Recurrent agents
    train on whole ``[T]`` sequences, ``B / minibatches`` envs per minibatch.
    """

    def __init__(
        self,
        discount: float = 0.99,
        learning_rate: float = 0.001,
        value_loss_coeff: float = 1.0,
        entropy_loss_coeff: float = 0.01,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        clip_grad_norm: float = 1.0,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        gae_lambda: float = 1.0,
        minibatches: int = 4,
        epochs: int = 4,
        ratio_clip: float = 0.1,
        linear_lr_schedule: bool = True,
        normalize_advantage: bool = False,
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
        self.minibatches = minibatches
        self.epochs = epochs
        self.ratio_clip = ratio_clip
        self.linear_lr_schedule = linear_lr_schedule
        self.normalize_advantage = normalize_advantage

    def initialize(
        self,
        agent: BaseAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        super().initialize(agent, n_itr, batch_spec, mid_batch_reset, examples)
        split = batch_spec.B if agent.recurrent else batch_spec.size
        if split < self.minibatches:
            what = "batch_B (whole sequences)" if agent.recurrent else "batch_T * batch_B"
            raise ValueError(f"{self.minibatches} minibatches but {what} is only {split}")

    def optimize_agent(self, itr: int, samples: Samples) -> dict[str, float]:
        """One PPO update from a ``[T, B]`` batch; returns means over its gradient steps."""
        agent, distribution = self.agent, self.agent.distribution

        # Schedules are a function of itr alone (rlpyt steps a LambdaLR), so a resumed run
        # continues them exactly.
        frac = 1.0 - itr / self.n_itr if self.linear_lr_schedule else 1.0
        learning_rate, ratio_clip = self.learning_rate * frac, self.ratio_clip * frac
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate

        return_, advantage, valid = self.process_returns(samples)
        loss_inputs = LossInputs(
            agent_inputs=AgentInputs(
                samples.env.observation, samples.agent.prev_action, samples.env.prev_reward
            ),
            action=samples.agent.action,
            return_=return_,
            advantage=advantage,
            valid=valid,
            old_dist_info=samples.agent.agent_info.dist_info,
        )
        loss_inputs = buffer_to(loss_inputs, agent.device)

        T, B = samples.env.reward.shape
        if agent.recurrent:
            # Whole sequences: minibatches split the B envs only (rlpyt's rule).
            init_rnn_state, reset = buffer_to(self.rnn_inputs(samples), agent.device)
            n_samples = B
        else:
            n_samples = T * B
            flat_inputs = flatten_leading_dims(loss_inputs)  # every field [T * B, ...]
        minibatch_size = n_samples // self.minibatches
        stats = UpdateStats()
        for _ in range(self.epochs):
            # One minibatch is the whole batch, in any order: its loss is a mean.
            order = torch.randperm(n_samples, device=agent.device) if self.minibatches > 1 else None
            for start in range(0, minibatch_size * self.minibatches, minibatch_size):
                idxs = slice(None) if order is None else order[start : start + minibatch_size]
                if agent.recurrent:
                    mb = loss_inputs[:, idxs]  # every field [T, minibatch_size, ...]
                    mb_reset = None if reset is None else reset[:, idxs]
                    dist_info, value, _ = agent(*mb.agent_inputs, init_rnn_state[idxs], mb_reset)
                else:
                    mb = flat_inputs[idxs]  # every field [minibatch_size, ...]
                    dist_info, value = agent(*mb.agent_inputs)
                ratio = distribution.likelihood_ratio(mb.action, mb.old_dist_info, dist_info)
                surrogate = torch.min(
                    ratio * mb.advantage,
                    torch.clamp(ratio, 1.0 - ratio_clip, 1.0 + ratio_clip) * mb.advantage,
                )
                policy_loss = -valid_mean(surrogate, mb.valid)
                value_loss = valid_mean(0.5 * (value - mb.return_) ** 2, mb.valid)
                # Without a bonus the entropy is only a statistic: kept out of autograd, whose
                # backward through a zero-weighted term cost 4% of a CartPole PPO step.
                with torch.set_grad_enabled(self.entropy_loss_coeff != 0):
                    entropy = distribution.mean_entropy(dist_info, mb.valid)
                loss = (
                    policy_loss
                    + self.value_loss_coeff * value_loss
                    - self.entropy_loss_coeff * entropy
                )

                self.flat.zero_grad()
                loss.backward()
                grad_norm = self.flat.clip_grad_norm_(self.clip_grad_norm)
                self.optimizer.step()
                self.update_counter += 1

                with torch.no_grad():
                    step_stats = dict(
                        loss=loss,
                        policy_loss=policy_loss,
                        value_loss=value_loss,
                        entropy=entropy,
                        grad_norm=grad_norm,
                        clip_fraction=valid_mean(
                            ((ratio - 1).abs() > ratio_clip).float(), mb.valid
                        ),
                        approx_kl=valid_mean(
                            ratio - 1 - torch.log(ratio), mb.valid
                        ),  # k3 estimator
                    )
                stats.add(step_stats)

        opt_info = stats.means()
        opt_info.update(learning_rate=learning_rate, ratio_clip=ratio_clip)
        return opt_info
