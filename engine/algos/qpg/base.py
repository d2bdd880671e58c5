"""What the Q-value policy-gradient algorithms share: the replay buffer and its use (rlpyt
``algos/qpg``: each algorithm's ``initialize_replay_buffer`` and ``samples_to_buffer``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from engine.agents.qpg.base import QpgAgent
from engine.algos.base import BaseAlgorithm
from engine.replays.non_sequence.uniform import UniformReplayBuffer
from engine.samplers.collections import BatchSpec, Samples
from engine.utils.collections import namedarraytuple
from engine.utils.distributed import world_size

SamplesToBuffer = namedarraytuple("SamplesToBuffer", ["observation", "action", "reward", "done"])
# With bootstrap_timelimit the buffer also stores timeouts and masks the samples whose n-step
# window a time limit cuts.
SamplesToBufferTl = namedarraytuple("SamplesToBufferTl", [*SamplesToBuffer._fields, "timeout"])


class QpgAlgo(BaseAlgorithm):
    """Binds the agent, allocates a uniform n-step replay, sets the update schedule.

    Each iteration appends the sampler's ``[T, B]`` batch to the replay; from iteration
    ``min_itr_learn = min_steps_learn // (T * B)`` on, it then makes ``updates_per_optimize =
    max(1, round(replay_ratio * T * B / batch_size))`` gradient updates. Subclasses set the
    attributes read here in their constructor and build their optimisers in
    ``optim_initialize``.
    """

    agent: QpgAgent
    batch_size: int
    min_steps_learn: int
    replay_size: int
    replay_ratio: float
    n_step_return: int
    bootstrap_timelimit: bool

    def initialize(
        self,
        agent: QpgAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        if agent.recurrent or not mid_batch_reset:
            raise NotImplementedError(
                f"{type(self).__name__} trains feed-forward agents on mid-batch-reset samples"
            )
        self.agent = agent
        self.n_itr = n_itr
        self.batch_spec = batch_spec
        sampler_bs = batch_spec.size
        self.updates_per_optimize = max(1, round(self.replay_ratio * sampler_bs / self.batch_size))
        # min_steps_learn counts the steps of every rank of a sync run (one iteration).
        self.min_itr_learn = self.min_steps_learn // (sampler_bs * world_size())
        if agent.min_itr_learn != self.min_itr_learn:
            # The agent's exploration switches at its own min_itr_learn (given at construction,
            # as parallel samplers copy the agent before this point); both must agree.
            raise ValueError(
                f"agent.min_itr_learn is {agent.min_itr_learn}, but min_steps_learn "
                f"{self.min_steps_learn} // iteration size {sampler_bs * world_size()} is "
                f"{self.min_itr_learn}"
            )
        example = SamplesToBuffer(
            observation=examples["observation"],
            action=examples["action"],
            reward=examples["reward"],
            done=examples["done"],
        )
        if self.bootstrap_timelimit:
            example = SamplesToBufferTl(*example, timeout=examples["env_info"].timeout)
        self.replay_buffer = UniformReplayBuffer(
            example,
            size=self.replay_size,
            B=batch_spec.B,
            discount=self.discount,
            n_step_return=self.n_step_return,
            share_memory=self.async_,
        )
        self.optim_initialize()

    def optim_initialize(self) -> None:
        """Build the optimisers over the agent's parameters."""
        raise NotImplementedError

    def samples_to_buffer(self, samples: Samples) -> Any:
        """The fields of a sampler batch that the replay stores, ``[T, B]``."""
        to_buffer = SamplesToBuffer(
            observation=samples.env.observation,
            action=samples.agent.action,
            reward=samples.env.reward,
            done=samples.env.done,
        )
        if self.bootstrap_timelimit:
            return SamplesToBufferTl(*to_buffer, timeout=samples.env.env_info.timeout)
        return to_buffer

    def append_samples(self, samples: Samples) -> None:
        self.replay_buffer.append_samples(self.samples_to_buffer(samples))

    def valid(self, samples_from_replay: Any) -> torch.Tensor | None:
        """Loss mask ``[batch_size]``: 0 where a time limit cuts the n-step window (None: all)."""
        return 1 - samples_from_replay.timeout_n if self.bootstrap_timelimit else None

    def state_dict(self, include_replay: bool = False) -> dict[str, Any]:
        state = super().state_dict()
        if include_replay:
            state["replay"] = self.replay_buffer.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore optimisers and counters, and the replay if the checkpoint holds it."""
        super().load_state_dict(state)
        if "replay" in state:
            self.replay_buffer.load_state_dict(state["replay"])


@contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Forward passes inside compute no gradients for the modules' parameters (inputs still
    get theirs), so that one backward pass can train a policy through a critic without
    touching the critic."""
    params = [p for module in modules for p in module.parameters()]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
