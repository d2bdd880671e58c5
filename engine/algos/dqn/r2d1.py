"""R2D1: recurrent replay DQN, R2D2 without the distributed actors (Kapturowski et al. 2019;
rlpyt ``algos/dqn/r2d1.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from engine.agents.base import AgentInputs, BaseAgent
from engine.algos.base import BaseAlgorithm, UpdateStats
from engine.optim import make_optimizer
from engine.replays.n_step import discount_return_n_step
from engine.replays.sequence import (
    PrioritizedSequenceReplayBuffer,
    PrioritizedSequenceReplayFrameBuffer,
    UniformSequenceReplayBuffer,
    UniformSequenceReplayFrameBuffer,
)
from engine.samplers.collections import BatchSpec, Samples
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple
from engine.utils.distributed import world_size
from engine.utils.tensor import valid_mean

#: (prioritized_replay, frame_buffer) -> replay class.
REPLAYS: dict[tuple[bool, bool], type] = {
    (False, False): UniformSequenceReplayBuffer,
    (False, True): UniformSequenceReplayFrameBuffer,
    (True, False): PrioritizedSequenceReplayBuffer,
    (True, True): PrioritizedSequenceReplayFrameBuffer,
}


def value_rescale(x: torch.Tensor, eps: float) -> torch.Tensor:
    """R2D2's ``h(x) = sign(x) (sqrt(|x| + 1) - 1) + eps x``: squashes returns of any scale, so
    unclipped rewards can be learnt."""
    return torch.sign(x) * (torch.sqrt(x.abs() + 1) - 1) + eps * x


def inverse_value_rescale(z: torch.Tensor, eps: float) -> torch.Tensor:
    """The exact inverse of ``value_rescale``."""
    root = (torch.sqrt(1 + 4 * eps * (z.abs() + 1 + eps)) - 1) / (2 * eps)
    return torch.sign(z) * (root**2 - 1)


def valid_from_done(done: torch.Tensor) -> torch.Tensor:
    """``[T, B]`` float mask: 1 up to and including the first done of each column, then 0."""
    valid = torch.ones_like(done, dtype=torch.float32)
    valid[1:] = 1 - done[:-1].float().cumsum(0).clamp(max=1)
    return valid


class R2D1(BaseAlgorithm):
    """Recurrent DQN on replayed sequences: double DQN, n-step returns, prioritized sequence
    replay, value rescaling, an LSTM burn-in of ``warmup_T`` steps from the stored state.

    Each replayed sequence is ``warmup_T + batch_T + n_step_return`` steps from a stored RNN
    state (every ``store_rnn_state_interval`` steps). The first ``warmup_T`` only warm up the
    online and target LSTMs; the loss covers the next ``batch_T`` steps, and stops at the first
    done in a sequence. Priorities of sequences are ``pri_eta * max|delta| + (1 - pri_eta) *
    mean|delta|`` over their valid steps; ``input_priorities``: new sequences get that from
    the Q values the sampler recorded, instead of a default that would let them wait
    unseen at a replay ratio near 1.

    Parameters and defaults are rlpyt's (``eps_*`` settings belong to the agent), plus:
    ``bootstrap_timelimit`` (rlpyt's QPG option; its R2D1 has none): leave out of the loss
    every step whose n-step window is cut by a time limit, whose target would treat the cut
    as the end of the game; ``frame_buffer``: store each Atari frame once.

    Fixed from rlpyt: input priorities use ``discount ** n_step_return`` and the Q value ``n``
    steps later (rlpyt: no discount, ``n - 1`` steps later) and get ``pri_alpha`` like every
    other priority; an episode end on the last warmup step also zeroes the RNN state.
    """

    bootstrap_value: ClassVar[bool] = False

    def __init__(
        self,
        discount: float = 0.997,
        batch_T: int = 80,
        batch_B: int = 64,
        warmup_T: int = 40,
        store_rnn_state_interval: int = 40,
        min_steps_learn: int = int(1e5),
        delta_clip: float | None = None,
        replay_size: int = int(1e6),
        replay_ratio: float = 1,
        target_update_interval: int = 2500,
        n_step_return: int = 5,
        learning_rate: float = 1e-4,
        OptimCls: type[torch.optim.Optimizer] = torch.optim.Adam,
        optim_kwargs: Mapping[str, Any] | None = None,
        initial_optim_state_dict: Mapping[str, Any] | None = None,
        clip_grad_norm: float = 80.0,
        double_dqn: bool = True,
        prioritized_replay: bool = True,
        pri_alpha: float = 0.6,
        pri_beta_init: float = 0.9,
        pri_beta_final: float = 0.9,
        pri_beta_steps: int = int(50e6),
        pri_eta: float = 0.9,
        default_priority: float | None = None,
        input_priorities: bool = True,
        input_priority_shift: int | None = None,
        value_scale_eps: float = 1e-3,
        bootstrap_timelimit: bool = True,
        frame_buffer: bool = False,
    ) -> None:
        self.discount = discount
        self.batch_T = batch_T
        self.batch_B = batch_B
        self.warmup_T = warmup_T
        self.store_rnn_state_interval = store_rnn_state_interval
        self.min_steps_learn = int(min_steps_learn)
        self.delta_clip = delta_clip
        self.replay_size = int(replay_size)
        self.replay_ratio = replay_ratio
        self.target_update_interval = target_update_interval
        self.n_step_return = n_step_return
        self.learning_rate = learning_rate
        self.OptimCls = OptimCls
        self.optim_kwargs = dict(eps=1e-3) if optim_kwargs is None else dict(optim_kwargs)
        self.initial_optim_state_dict = initial_optim_state_dict
        self.clip_grad_norm = clip_grad_norm
        self.double_dqn = double_dqn
        self.prioritized_replay = prioritized_replay
        self.pri_alpha = pri_alpha
        self.pri_beta_init = pri_beta_init
        self.pri_beta_final = pri_beta_final
        self.pri_beta_steps = int(pri_beta_steps)
        self.pri_eta = pri_eta
        self.default_priority = default_priority or delta_clip or 1.0
        self.input_priorities = input_priorities and prioritized_replay
        if input_priority_shift is None:
            input_priority_shift = warmup_T // max(1, store_rnn_state_interval)
        self.input_priority_shift = input_priority_shift
        self.value_scale_eps = value_scale_eps
        self.bootstrap_timelimit = bootstrap_timelimit
        self.frame_buffer = frame_buffer
        self.update_counter = 0

    def initialize(
        self,
        agent: BaseAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        if not agent.recurrent:
            raise TypeError("R2D1 needs a recurrent agent")
        self.agent = agent
        self.n_itr = n_itr
        self.mid_batch_reset = mid_batch_reset
        self.optimizer, self.flat = make_optimizer(
            self.OptimCls, agent.parameters(), self.learning_rate, **self.optim_kwargs
        )
        if self.initial_optim_state_dict is not None:
            self.optimizer.load_state_dict(self.initial_optim_state_dict)
        sampler_bs = batch_spec.size
        train_bs = (self.batch_T + self.warmup_T) * self.batch_B
        self.updates_per_optimize = max(1, round(self.replay_ratio * sampler_bs / train_bs))
        # Learning also waits until the replay can hand out a whole sequence (see
        # PrioritizedSequenceReplay: at most 3 state intervals after the first full one).
        sequence = self.warmup_T + self.batch_T + self.n_step_return
        first_itr = math.ceil((sequence + 3 * self.store_rnn_state_interval) / batch_spec.T)
        itr_bs = sampler_bs * world_size()  # steps of one iteration over every rank
        self.min_itr_learn = max(self.min_steps_learn // itr_bs, first_itr)
        self.pri_beta_itr = max(1, self.pri_beta_steps // itr_bs)
        self.initialize_replay_buffer(examples, batch_spec)

    def initialize_replay_buffer(self, examples: Mapping[str, Any], batch_spec: BatchSpec) -> None:
        env_info = examples["env_info"]
        fields = ["observation", "action", "reward", "done"]
        if self.bootstrap_timelimit and "timeout" in getattr(env_info, "_fields", ()):
            fields.append("timeout")
        if self.frame_buffer and "traj_done" in getattr(env_info, "_fields", ()):
            fields.append("traj_done")  # frames are blanked at game over, not at a lost life
        fields.append("prev_rnn_state")
        self.SamplesToBuffer = namedarraytuple("R2d1SamplesToBuffer", fields)
        example = self._to_buffer(
            examples["observation"],
            examples["action"],
            examples["reward"],
            examples["done"],
            env_info,
            examples["agent_info"],
        )
        replay_kwargs: dict[str, Any] = dict(
            example=example,
            size=self.replay_size,
            B=batch_spec.B,
            discount=self.discount,
            n_step_return=self.n_step_return,
            rnn_state_interval=self.store_rnn_state_interval,
            batch_T=self.warmup_T + self.batch_T,
            share_memory=self.async_,
        )
        ReplayCls: type = REPLAYS[(self.prioritized_replay, self.frame_buffer)]
        if self.prioritized_replay:
            replay_kwargs.update(
                alpha=self.pri_alpha,
                beta=self.pri_beta_init,
                default_priority=self.default_priority,
                input_priorities=self.input_priorities,
                input_priority_shift=self.input_priority_shift,
            )
        self.replay_buffer = ReplayCls(**replay_kwargs)

    def samples_to_buffer(self, samples: Samples) -> Any:
        """What the replay keeps of a ``[T, B]`` batch."""
        return self._to_buffer(
            samples.env.observation,
            samples.agent.action,
            samples.env.reward,
            samples.env.done,
            samples.env.env_info,
            samples.agent.agent_info,
        )

    def _to_buffer(
        self,
        observation: Any,
        action: Any,
        reward: Any,
        done: Any,
        env_info: Any,
        agent_info: Any,
    ) -> Any:
        values = dict(
            observation=observation,
            action=action,
            reward=reward,
            done=done,
            timeout=getattr(env_info, "timeout", None),
            traj_done=getattr(env_info, "traj_done", None),
            prev_rnn_state=agent_info.prev_rnn_state,
        )
        return self.SamplesToBuffer(*(values[f] for f in self.SamplesToBuffer._fields))

    def append_samples(self, samples: Samples) -> None:
        to_buffer = self.samples_to_buffer(samples)
        if self.prioritized_replay:
            priorities = self.compute_input_priorities(samples) if self.input_priorities else None
            self.replay_buffer.append_samples(to_buffer, priorities)
        else:
            self.replay_buffer.append_samples(to_buffer)

    def optimize_agent(self, itr: int, samples: Samples | None = None) -> dict[str, float]:
        """Append the batch (if given) to the replay; from ``min_itr_learn`` on,
        ``updates_per_optimize`` updates on replayed sequences. Returns means over the updates
        (empty before)."""
        if samples is not None:
            self.append_samples(samples)
        if itr < self.min_itr_learn:
            return {}
        if self.prioritized_replay:
            progress = min(1.0, itr / self.pri_beta_itr)
            beta = progress * self.pri_beta_final + (1 - progress) * self.pri_beta_init
            self.replay_buffer.set_beta(beta)
        stats = UpdateStats()
        for _ in range(self.updates_per_optimize):
            batch = self.replay_buffer.sample_batch(self.batch_B)
            loss, td_abs_errors, priorities = self.loss(batch)
            self.flat.zero_grad()
            loss.backward()
            grad_norm = self.flat.clip_grad_norm_(self.clip_grad_norm)
            self.optimizer.step()
            if self.prioritized_replay:
                self.replay_buffer.update_batch_priorities(priorities.cpu())
            self.update_counter += 1
            if self.update_counter % self.target_update_interval == 0:
                self.agent.update_target()
            step_stats = dict(
                loss=loss.detach(),
                grad_norm=grad_norm,
                td_abs_err=td_abs_errors.mean(),
                priority=priorities.mean(),
            )
            stats.add(step_stats)
        opt_info = stats.means()
        if self.prioritized_replay:
            opt_info["pri_beta"] = self.replay_buffer.beta
        return opt_info

    def loss(self, samples: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(loss, td_abs_errors [batch_T, B], priorities [B])`` of replayed sequences
        (``SamplesFromReplay``, ``[warmup_T + batch_T + n_step_return, B]`` inputs).

        Online and target LSTMs start from the stored state and warm up on the first
        ``warmup_T`` steps without gradients; both then run from that step, the target on
        ``n_step_return`` more steps for its ``Q(s_{t+n})``. Targets and Q values live in the
        rescaled space: ``y = h(R^n + gamma^n h^-1(Q_target(s_{t+n}, a*)))``.
        """
        agent, device = self.agent, self.agent.device
        wT, bT, n = self.warmup_T, self.batch_T, self.n_step_return
        observation, prev_action, prev_reward = buffer_to(
            (samples.all_observation, samples.all_action, samples.all_reward), device
        )
        init_rnn_state = buffer_to(samples.init_rnn_state, device)
        action = samples.all_action[wT + 1 : wT + 1 + bT].to(device)  # taken at each step
        return_, done_n = buffer_to((samples.return_[wT:], samples.done_n[wT:]), device)
        done = samples.done.to(device)
        if wT > 0:
            warmup_inputs = AgentInputs(observation[:wT], prev_action[:wT], prev_reward[:wT])
            with torch.no_grad():
                _, target_rnn_state = agent.target(*warmup_inputs, init_rnn_state)
                _, init_rnn_state = agent(*warmup_inputs, init_rnn_state)
            # An episode that ended in the warmup: the training steps start (roughly, with
            # mid-batch resets) a new one, from a zero state, as the sampler's agent did.
            ended = done[:wT].any(dim=0)
            init_rnn_state[ended] = 0
            target_rnn_state[ended] = 0
        else:
            target_rnn_state = init_rnn_state
        agent_slice, target_slice = slice(wT, wT + bT), slice(wT, None)

        qs, _ = agent(
            observation[agent_slice], prev_action[agent_slice], prev_reward[agent_slice],
            init_rnn_state,
        )  # [bT, B, A]
        q = qs.gather(-1, action.long().unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            target_inputs = AgentInputs(
                observation[target_slice], prev_action[target_slice], prev_reward[target_slice]
            )
            target_qs, _ = agent.target(*target_inputs, target_rnn_state)  # [bT + n, B, A]
            if self.double_dqn:
                next_qs, _ = agent(*target_inputs, init_rnn_state)
                next_a = next_qs.argmax(dim=-1, keepdim=True)
                target_q = target_qs.gather(-1, next_a).squeeze(-1)
            else:
                target_q = target_qs.max(dim=-1).values
            target_q = target_q[n:]  # Q(s_{t+n}) for each training step t
            eps = self.value_scale_eps
            y = value_rescale(
                return_
                + (1 - done_n.float()) * self.discount**n * inverse_value_rescale(target_q, eps),
                eps,
            )
        delta = y - q
        abs_delta = delta.abs()
        losses = 0.5 * delta**2
        if self.delta_clip is not None:  # Huber
            clip = self.delta_clip
            losses = torch.where(abs_delta <= clip, losses, clip * (abs_delta - clip / 2))
        if self.prioritized_replay:
            losses = losses * samples.is_weights.to(device).unsqueeze(0)
        valid = valid_from_done(done[wT:])
        if samples.timeout_n is not None:
            valid = valid * (1 - samples.timeout_n[wT:].to(device).float())
        loss = valid_mean(losses, valid)

        td_abs_errors = abs_delta.detach()
        if self.delta_clip is not None:
            td_abs_errors = td_abs_errors.clamp(max=self.delta_clip)
        priorities = self.mix_priorities(td_abs_errors, valid)
        return loss, td_abs_errors * valid, priorities

    def mix_priorities(self, td_abs_errors: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Sequence priorities ``[B]`` from ``|delta| [T, B]``: ``pri_eta * max + (1 - pri_eta)
        * mean`` over each column's valid steps."""
        max_d = (td_abs_errors * valid).max(dim=0).values
        mean_d = (td_abs_errors * valid).sum(dim=0) / valid.sum(dim=0).clamp(min=1)
        return self.pri_eta * max_d + (1 - self.pri_eta) * mean_d

    @torch.no_grad()
    def compute_input_priorities(self, samples: Samples) -> np.ndarray | None:
        """Priorities ``[B]`` of a new ``[T, B]`` batch from the Q values the sampler recorded:
        n-step TD errors of the online network at sampling time, for the ``T - n`` steps
        whose ``Q(s_{t+n})`` is in the batch, mixed as in the loss. None if ``T <= n``."""
        n, eps = self.n_step_return, self.value_scale_eps
        reward, done = samples.env.reward, samples.env.done
        T = reward.shape[0]
        if T <= n:
            return None
        q = samples.agent.agent_info.q.float()  # [T, B, A]
        timeout = getattr(samples.env.env_info, "timeout", None)
        if not self.bootstrap_timelimit:
            timeout = None
        return_, done_n, timeout_n = discount_return_n_step(
            reward[: T - 1].numpy(),
            done[: T - 1].numpy(),
            n,
            self.discount,
            None if timeout is None else timeout[: T - 1].numpy(),
        )
        return_, done_n = torch.from_numpy(return_), torch.from_numpy(done_n).float()
        q_at_a = q[: T - n].gather(-1, samples.agent.action[: T - n].long().unsqueeze(-1))
        target_q = inverse_value_rescale(q[n:].max(dim=-1).values, eps)
        y = value_rescale(return_ + (1 - done_n) * self.discount**n * target_q, eps)
        td_abs_errors = (y - q_at_a.squeeze(-1)).abs()
        if self.delta_clip is not None:
            td_abs_errors = td_abs_errors.clamp(max=self.delta_clip)
        valid = valid_from_done(done[: T - n])
        if timeout_n is not None:
            valid = valid * (1 - torch.from_numpy(timeout_n).float())
        return self.mix_priorities(td_abs_errors, valid).numpy()

    def optim_state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def state_dict(self, include_replay: bool = False) -> dict[str, Any]:
        state = super().state_dict(include_replay)
        if include_replay:
            state["replay"] = self.replay_buffer.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        if "replay" in state:
            self.replay_buffer.load_state_dict(state["replay"])
