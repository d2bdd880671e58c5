"""DQN with rlpyt's options: double, dueling (a model option), prioritized replay, n-step
returns, Huber loss (Mnih et al. 2015; rlpyt ``algos/dqn/dqn.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from engine.agents.dqn.dqn_agent import DqnAgent
from engine.algos.base import BaseAlgorithm, UpdateStats
from engine.optim import make_optimizer
from engine.replays import (
    PrioritizedReplayBuffer,
    PrioritizedReplayFrameBuffer,
    UniformReplayBuffer,
    UniformReplayFrameBuffer,
)
from engine.samplers.collections import BatchSpec, Samples
from engine.utils.collections import namedarraytuple
from engine.utils.distributed import world_size
from engine.utils.tensor import valid_mean

#: (prioritized_replay, frame_buffer) -> replay class.
REPLAYS: dict[tuple[bool, bool], type] = {
    (False, False): UniformReplayBuffer,
    (False, True): UniformReplayFrameBuffer,
    (True, False): PrioritizedReplayBuffer,
    (True, True): PrioritizedReplayFrameBuffer,
}


def epsilon_itr_min_max(min_steps_learn: int, eps_steps: int, batch_size: int) -> tuple[int, int]:
    """The agent's epsilon schedule in iterations (rlpyt's ``set_epsilon_itr_min_max``): from
    the first learning iteration to ``eps_steps`` env steps, for a sampler of ``batch_size``
    steps per iteration (the decay lasts at least one iteration). The builder gives these to
    the agent's constructor."""
    itr_min = int(min_steps_learn // batch_size)
    return itr_min, max(itr_min + 1, int(eps_steps // batch_size))


class DQN(BaseAlgorithm):
    """Q-learning from replay: each iteration appends the sampler's batch to the replay, then
    (from ``min_itr_learn`` on) makes ``updates_per_optimize = max(1, round(replay_ratio *
    batch_T * batch_B / batch_size))`` updates, each a minibatch of ``batch_size`` n-step
    transitions. The target network is updated every ``target_update_interval`` updates with
    weight ``target_update_tau``.

    Parameters and defaults are rlpyt's (``eps_steps`` is given to the agent through
    ``epsilon_itr_min_max``), plus ``bootstrap_timelimit`` (rlpyt's QPG option; its DQN treats a
    time-limit cut as the end of the game): leave out of the loss every transition whose n-step
    window a time limit cuts, and ``frame_buffer``: store each Atari frame once.

    The prioritized-replay ``beta`` anneals linearly from ``pri_beta_init`` at ``min_itr_learn``
    to ``pri_beta_final`` at ``pri_beta_steps`` env steps, as a function of the iteration, so
    a resumed run continues it (rlpyt's schedules were not in its snapshots).
    """

    bootstrap_value: ClassVar[bool] = False

    def __init__(
        self,
        discount: float = 0.99,
        batch_size: int = 32,
        min_steps_learn: int = 50_000,
        delta_clip: float | None = 1.0,
        replay_size: int = 1_000_000,
        replay_ratio: float = 8,
        target_update_tau: float = 1.0,
        target_update_interval: int = 312,
        n_step_return: int = 1,
        learning_rate: float = 2.5e-4,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        clip_grad_norm: float = 10.0,
        eps_steps: int = 1_000_000,
        double_dqn: bool = False,
        prioritized_replay: bool = False,
        pri_alpha: float = 0.6,
        pri_beta_init: float = 0.4,
        pri_beta_final: float = 1.0,
        pri_beta_steps: int = 50_000_000,
        default_priority: float | None = None,
        bootstrap_timelimit: bool = True,
        frame_buffer: bool = False,
    ) -> None:
        self.discount = discount
        self.batch_size = batch_size
        self.min_steps_learn = min_steps_learn
        self.delta_clip = delta_clip
        self.replay_size = replay_size
        self.replay_ratio = replay_ratio
        self.target_update_tau = target_update_tau
        self.target_update_interval = target_update_interval
        self.n_step_return = n_step_return
        self.learning_rate = learning_rate
        self.OptimCls = OptimCls
        # rlpyt: Adam's eps 0.01 / batch_size (the DQN-paper RMSProp's scale).
        self.optim_kwargs = dict(optim_kwargs or {"eps": 0.01 / batch_size})
        self.initial_optim_state_dict = initial_optim_state_dict
        self.clip_grad_norm = clip_grad_norm
        self.eps_steps = eps_steps
        self.double_dqn = double_dqn
        self.prioritized_replay = prioritized_replay
        self.pri_alpha = pri_alpha
        self.pri_beta_init = pri_beta_init
        self.pri_beta_final = pri_beta_final
        self.pri_beta_steps = pri_beta_steps
        # rlpyt: the largest Huber gradient, so that new samples rank with the worst errors.
        self.default_priority = default_priority or delta_clip or 1.0
        self.bootstrap_timelimit = bootstrap_timelimit
        self.frame_buffer = frame_buffer

    def initialize(
        self,
        agent: DqnAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        if agent.recurrent or not mid_batch_reset:
            # rlpyt's DQN loss raises NotImplementedError without mid-batch resets too.
            raise NotImplementedError(
                f"{type(self).__name__} trains feed-forward agents on mid-batch-reset samples"
            )
        self.agent = agent
        self.n_itr = n_itr
        sampler_bs = batch_spec.size
        self.updates_per_optimize = max(1, round(self.replay_ratio * sampler_bs / self.batch_size))
        # Step-based schedules count the steps of every rank of a sync run (one iteration).
        itr_bs = sampler_bs * world_size()
        eps_itr = epsilon_itr_min_max(self.min_steps_learn, self.eps_steps, itr_bs)
        if (agent.eps_itr_min, agent.eps_itr_max) != eps_itr:
            raise ValueError(
                f"the agent's epsilon schedule (itr {agent.eps_itr_min} to {agent.eps_itr_max}) "
                f"is not the algorithm's {eps_itr}: build the agent with epsilon_itr_min_max"
            )
        self.optimizer, self.flat = make_optimizer(
            self.OptimCls, agent.parameters(), self.learning_rate, **self.optim_kwargs
        )
        if self.initial_optim_state_dict is not None:
            self.optimizer.load_state_dict(self.initial_optim_state_dict)
        self.initialize_replay_buffer(examples, batch_spec)
        # Learning also waits until the replay holds a valid transition: more rows than the
        # window around the cursor that is never sampled.
        replay = self.replay_buffer
        first_itr = math.ceil((replay.off_backward + replay.off_forward + 1) / batch_spec.T) - 1
        self.min_itr_learn = max(self.min_steps_learn // itr_bs, first_itr)
        self.pri_beta_itr = max(self.min_itr_learn + 1, self.pri_beta_steps // itr_bs)

    def initialize_replay_buffer(self, examples: Mapping[str, Any], batch_spec: BatchSpec) -> None:
        env_info_fields = getattr(examples["env_info"], "_fields", ())
        fields = ["observation", "action", "reward", "done"]
        if self.bootstrap_timelimit and "timeout" in env_info_fields:
            fields.append("timeout")
        if self.frame_buffer and "traj_done" in env_info_fields:
            fields.append("traj_done")  # frames are blanked at game over, not at a lost life
        self.SamplesToBuffer = namedarraytuple("DqnSamplesToBuffer", fields)
        example = self._to_buffer(
            examples["observation"],
            examples["action"],
            examples["reward"],
            examples["done"],
            examples["env_info"],
        )
        replay_kwargs: dict[str, Any] = dict(
            example=example,
            size=self.replay_size,
            B=batch_spec.B,
            discount=self.discount,
            n_step_return=self.n_step_return,
            share_memory=self.async_,
        )
        if self.prioritized_replay:
            replay_kwargs.update(
                alpha=self.pri_alpha,
                beta=self.pri_beta_init,
                default_priority=self.default_priority,
            )
        self.replay_buffer = REPLAYS[(self.prioritized_replay, self.frame_buffer)](**replay_kwargs)

    def samples_to_buffer(self, samples: Samples) -> Any:
        """What the replay keeps of a ``[T, B]`` batch."""
        return self._to_buffer(
            samples.env.observation,
            samples.agent.action,
            samples.env.reward,
            samples.env.done,
            samples.env.env_info,
        )

    def _to_buffer(
        self, observation: Any, action: Any, reward: Any, done: Any, env_info: Any
    ) -> Any:
        values = dict(
            observation=observation,
            action=action,
            reward=reward,
            done=done,
            timeout=getattr(env_info, "timeout", None),
            traj_done=getattr(env_info, "traj_done", None),
        )
        return self.SamplesToBuffer(*(values[f] for f in self.SamplesToBuffer._fields))

    def pri_beta(self, itr: int) -> float:
        """Importance-sampling exponent at iteration ``itr`` (linear, then constant)."""
        progress = min(
            1.0, max(0, itr - self.min_itr_learn) / (self.pri_beta_itr - self.min_itr_learn)
        )
        return progress * self.pri_beta_final + (1 - progress) * self.pri_beta_init

    def append_samples(self, samples: Samples) -> None:
        self.replay_buffer.append_samples(self.samples_to_buffer(samples))

    def optimize_agent(self, itr: int, samples: Samples | None = None) -> dict[str, float]:
        """Append the batch (if given) to the replay; from ``min_itr_learn`` on, make
        ``updates_per_optimize`` updates. Returns means over them (empty before learning)."""
        if samples is not None:
            self.append_samples(samples)
        if itr < self.min_itr_learn:
            return {}
        if self.prioritized_replay:
            self.replay_buffer.set_beta(self.pri_beta(itr))
        stats = UpdateStats()
        for _ in range(self.updates_per_optimize):
            samples_from_replay = self.replay_buffer.sample_batch(self.batch_size)
            loss, priorities, step_stats = self.loss(samples_from_replay)
            self.flat.zero_grad()
            loss.backward()
            grad_norm = self.flat.clip_grad_norm_(self.clip_grad_norm)
            self.optimizer.step()
            if self.prioritized_replay:
                self.replay_buffer.update_batch_priorities(priorities.cpu())
            self.update_counter += 1
            if self.update_counter % self.target_update_interval == 0:
                self.agent.update_target(self.target_update_tau)
            stats.add(dict(loss=loss, grad_norm=grad_norm, **step_stats))
        opt_info = stats.means()
        if self.prioritized_replay:
            opt_info["pri_beta"] = self.replay_buffer.beta
        return opt_info

    def loss(self, samples: Any) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """TD loss of a replayed minibatch ``[batch_size]``: ``(loss, priorities, stats)``.

        ``y = return_ + (1 - done_n) discount^n Q_target(s_{t+n}, a*)``, with ``a*`` the argmax
        of the target net, or of the online net under ``double_dqn``. Huber loss with
        ``delta_clip`` (None: squared error), weighted by ``is_weights`` under prioritized
        replay; transitions cut by a time limit (``timeout_n``) are masked out. Priorities: the
        ``|delta|``, clipped at ``delta_clip`` (0 for masked transitions: never replayed).
        """
        agent = self.agent
        device = agent.device
        action = samples.action.to(device)
        return_, done_n = samples.return_.to(device), samples.done_n.to(device)
        if self.double_dqn:  # one forward pass of the online net for both inputs
            both = [torch.cat(pair) for pair in zip(samples.agent_inputs, samples.target_inputs)]
            qs, next_qs = agent(*both).split(len(action))
            next_a = next_qs.detach().argmax(dim=-1)
        else:
            qs = agent(*samples.agent_inputs)
        q = qs.gather(-1, action.unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            target_qs = agent.target(*samples.target_inputs)
            if not self.double_dqn:
                next_a = target_qs.argmax(dim=-1)
            target_q = target_qs.gather(-1, next_a.unsqueeze(-1)).squeeze(-1)
            y = return_ + (1 - done_n) * (self.discount**self.n_step_return) * target_q
        if self.delta_clip is None:
            losses = 0.5 * (y - q) ** 2
        else:
            losses = torch.nn.functional.huber_loss(q, y, reduction="none", delta=self.delta_clip)
        if self.prioritized_replay:
            losses = losses * samples.is_weights.to(device)
        valid = 1 - samples.timeout_n.to(device) if "timeout_n" in samples._fields else None
        loss = valid_mean(losses, valid)
        with torch.no_grad():  # priorities and statistics: nothing for backward to walk
            abs_delta = (y - q).abs()
            priorities = abs_delta
            if self.delta_clip is not None:
                priorities = priorities.clamp(max=self.delta_clip)
            if valid is not None:
                priorities = priorities * valid
            stats = dict(td_abs_error=valid_mean(abs_delta, valid), q_mean=valid_mean(q, valid))
        return loss, priorities, stats

    def optim_state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def state_dict(self, include_replay: bool = False) -> dict[str, Any]:
        """Optimiser, update counter and, with ``include_replay``, the replay buffer (its
        contents, cursor and priorities) for an exact resume."""
        state = super().state_dict()
        if include_replay:
            state["replay"] = self.replay_buffer.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        if "replay" in state:
            self.replay_buffer.load_state_dict(state["replay"])
