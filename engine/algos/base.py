"""The algorithm role: turns sampled batches into parameter updates (rlpyt ``algos/base.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from engine.agents.base import BaseAgent
from engine.samplers.collections import BatchSpec, Samples


class BaseAlgorithm(ABC):
    """Base class of every RL algorithm.

    ``bootstrap_value``: the sampler must record ``agent.value`` of the observation after each
    batch (on-policy algorithms that bootstrap returns). ``discount`` also sets the discount of
    the logged ``DiscountedReturn``. ``update_counter`` counts gradient steps.
    """

    bootstrap_value: ClassVar[bool] = False
    discount: float = 1.0
    update_counter: int = 0
    #: Allocate the replay buffer in shared memory: the asynchronous runner sets this before
    #: ``initialize``, so that its memory-copier processes can append to the replay.
    async_: bool = False

    @abstractmethod
    def initialize(
        self,
        agent: BaseAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        """Bind the agent and build optimisers; ``n_itr`` sampler iterations make up the run."""

    @abstractmethod
    def optimize_agent(self, itr: int, samples: Samples) -> dict[str, float]:
        """Update the agent from one ``[T, B]`` batch; return diagnostics (snake_case keys)."""

    def append_samples(self, samples: Samples) -> None:
        """Store a ``[T, B]`` sampler batch in the replay buffer (off-policy algorithms; in an
        asynchronous run the memory copiers call this, and ``optimize_agent`` gets no batch)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no replay buffer")

    @abstractmethod
    def optim_state_dict(self) -> dict[str, Any]:
        """Optimiser state, for checkpoints."""

    @abstractmethod
    def load_optim_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``optim_state_dict`` returned."""

    def state_dict(self, include_replay: bool = False) -> dict[str, Any]:
        """The algorithm's part of a checkpoint: optimiser state and update counter.

        Schedules are functions of the iteration, which the runner's counters restore.
        ``include_replay``: algorithms with a replay buffer add it here (none exists yet).
        """
        return {"optimizer": self.optim_state_dict(), "update_counter": self.update_counter}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned, after ``initialize``."""
        self.load_optim_state_dict(state["optimizer"])
        self.update_counter = state["update_counter"]


class UpdateStats:
    """An ``optimize_agent`` call's per-update diagnostics: ``add`` a dict of 0-d tensors after
    each update, take ``means`` (the ``opt_info`` floats) at the end.

    The values stay tensors until then, and the means of keys logged at every update come out in
    one conversion. SAC makes one update per call with thirteen keys, and a ``.item()`` per key
    took longer than computing the statistics.
    """

    def __init__(self) -> None:
        self.values: dict[str, list[torch.Tensor]] = {}

    def add(self, stats: Mapping[str, torch.Tensor]) -> None:
        for key, value in stats.items():
            self.values.setdefault(key, []).append(value.detach())

    def means(self) -> dict[str, float]:
        """Each key's mean over the updates that logged it (empty if none did)."""
        keys = list(self.values)
        series = [torch.stack(self.values[key]) for key in keys]
        if not series:
            return {}
        if len({values.shape for values in series}) == 1:  # every key at every update
            means = torch.stack(series).reshape(len(series), -1).mean(dim=1)
            return dict(zip(keys, means.tolist(), strict=True))
        # Some keys only at some updates (TD3's delayed policy updates).
        return {key: values.mean().item() for key, values in zip(keys, series, strict=True)}
