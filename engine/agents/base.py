"""The agent role: owns the model, turns observations into actions (rlpyt ``agents/base.py``).

Samplers call ``step`` (no gradients, CPU outputs for the numpy env side); algorithms call the
agent itself on training batches (with gradients, outputs on the agent's device). Both take
``(observation, prev_action, prev_reward)`` so that recurrent and feed-forward agents share
one calling convention.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from engine.envs.base import EnvSpaces
from engine.models.utils import set_training
from engine.utils.collections import namedarraytuple

AgentInputs = namedarraytuple("AgentInputs", ["observation", "prev_action", "prev_reward"])
AgentStep = namedarraytuple("AgentStep", ["action", "agent_info"])


class BaseAgent(ABC):
    """Base class of every agent.

    The model is built in ``initialize`` once the environment's spaces are known:
    ``ModelCls(**make_env_to_model_kwargs(env_spaces), **model_kwargs)``.
    """

    recurrent: ClassVar[bool] = False

    def __init__(
        self,
        ModelCls: type[nn.Module],
        model_kwargs: Mapping[str, Any] | None = None,
        initial_model_state_dict: Mapping[str, Any] | None = None,
    ) -> None:
        self.ModelCls = ModelCls
        self.model_kwargs = dict(model_kwargs or {})
        self.initial_model_state_dict = initial_model_state_dict
        self.model: nn.Module
        self.env_spaces: EnvSpaces
        self.device = torch.device("cpu")

    def initialize(self, env_spaces: EnvSpaces) -> None:
        """Build the model (on CPU) for ``env_spaces``."""
        self.env_spaces = env_spaces
        self.model = self.ModelCls(**self.make_env_to_model_kwargs(env_spaces), **self.model_kwargs)
        if self.initial_model_state_dict is not None:
            self.model.load_state_dict(self.initial_model_state_dict)

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        """Model constructor arguments that follow from the spaces (input size, action count)."""
        return {}

    def to_device(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.model.to(self.device)

    @abstractmethod
    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> Any:
        """Training forward pass, with gradients, on ``[T, B, ...]`` inputs; outputs on device."""

    @abstractmethod
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """Choose actions for ``[B, ...]`` inputs without gradients; ``AgentStep`` on CPU."""

    def reset(self) -> None:
        """Forget per-episode state of all envs (recurrent agents clear their RNN state)."""

    def reset_one(self, idx: int) -> None:
        """Forget per-episode state of env ``idx`` after its episode ended."""

    def parameters(self) -> Iterator[nn.Parameter]:
        return self.model.parameters()

    def train_mode(self, itr: int) -> None:
        """Before optimisation; ``itr`` drives schedules in subclasses (e.g. epsilon-greedy)."""
        set_training([self.model], True)

    def sample_mode(self, itr: int) -> None:
        """Before collecting training samples."""
        set_training([self.model], False)

    def eval_mode(self, itr: int) -> None:
        """Before offline evaluation."""
        set_training([self.model], False)

    def state_dict(self) -> dict[str, Any]:
        return self.model.state_dict()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state_dict)
