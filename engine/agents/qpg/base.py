"""What the agents of the Q-value policy-gradient family share (DDPG, TD3, SAC)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
import torch
from torch import nn

from engine.agents.base import BaseAgent
from engine.envs.base import EnvSpaces
from engine.models.utils import set_training, update_target_model
from engine.utils.collections import namedarraytuple

# Off-policy learning needs nothing of the behaviour policy, so nothing is recorded per step.
AgentInfo = namedarraytuple("AgentInfo", [])


def action_bound(action_space: gymnasium.Space) -> float:
    """The bound ``high`` of a ``Box`` action space ``[-high, high]^A``, the same in every dim
    (the policies squash or clip to one scalar bound, as rlpyt's do)."""
    if not isinstance(action_space, gymnasium.spaces.Box):
        raise TypeError(
            "DDPG, TD3 and SAC need a continuous (Box) action space, got "
            f"{type(action_space).__name__}; use DQN or PPO for discrete actions"
        )
    high = np.asarray(action_space.high, dtype=np.float64)
    if not (np.all(np.isfinite(high)) and np.all(high > 0)):
        raise ValueError(f"the action space needs finite bounds, got high={high}")
    if not np.allclose(action_space.low, -high) or not np.allclose(high, high.flat[0]):
        raise ValueError(
            "the action space must be symmetric with one bound for every dim "
            f"([-h, h]^A), got low={action_space.low}, high={action_space.high}"
        )
    return float(high.flat[0])


class QpgAgent(BaseAgent):
    """Several plain ``nn.Module``s (``model`` is the policy, the one the CPU sampler's
    workers share), target copies of some, and an exploration schedule.

    Subclasses name their online models in ``model_names`` (``model`` first) and their
    ``(target, online)`` pairs in ``target_pairs``; the targets are built as copies of the
    online models. ``min_itr_learn``: the first iteration that trains (``min_steps_learn //
    (batch_T * batch_B)``); sampling uses pre-training exploration before it. It is a
    constructor argument, not set later by the algorithm, because parallel samplers pickle
    the agent before the algorithm is initialised.
    """

    model_names: ClassVar[tuple[str, ...]]
    target_pairs: ClassVar[tuple[tuple[str, str], ...]]

    def __init__(
        self,
        ModelCls: type[nn.Module],
        QModelCls: type[nn.Module],
        model_kwargs: Mapping[str, Any] | None = None,
        q_model_kwargs: Mapping[str, Any] | None = None,
        min_itr_learn: int = 0,
    ) -> None:
        super().__init__(ModelCls, model_kwargs)
        self.QModelCls = QModelCls
        self.q_model_kwargs = dict(q_model_kwargs or {})
        self.min_itr_learn = min_itr_learn

    def initialize(self, env_spaces: EnvSpaces) -> None:
        """Build the online models (``build_models``) and their targets, on CPU."""
        self.env_spaces = env_spaces
        self.action_high = action_bound(env_spaces.action)
        self.action_size = int(np.prod(env_spaces.action.shape))
        space_kwargs = dict(
            observation_shape=env_spaces.observation.shape, action_size=self.action_size
        )
        self.build_models(space_kwargs)
        for target, online in self.target_pairs:
            setattr(self, target, copy.deepcopy(getattr(self, online)))
            getattr(self, target).requires_grad_(False)

    def build_models(self, space_kwargs: dict[str, Any]) -> None:
        """Create every module of ``model_names``; ``space_kwargs`` holds ``observation_shape``
        and ``action_size``."""
        raise NotImplementedError

    def named_models(self) -> Iterator[tuple[str, nn.Module]]:
        """Every module, online and target, by attribute name."""
        for name in (*self.model_names, *(target for target, _ in self.target_pairs)):
            yield name, getattr(self, name)

    def to_device(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        for _, module in self.named_models():
            module.to(self.device)

    def parameters(self) -> Iterator[nn.Parameter]:
        """The online models' parameters (targets are never trained)."""
        for name in self.model_names:
            yield from getattr(self, name).parameters()

    def update_target(self, tau: float = 1.0) -> None:
        """Move each target towards its online model by ``tau`` (1: a hard copy)."""
        for target, online in self.target_pairs:
            update_target_model(getattr(self, target), getattr(self, online), tau)

    def train_mode(self, itr: int) -> None:
        set_training((module for _, module in self.named_models()), True)

    def sample_mode(self, itr: int) -> None:
        set_training((module for _, module in self.named_models()), False)

    def eval_mode(self, itr: int) -> None:
        set_training((module for _, module in self.named_models()), False)

    def state_dict(self) -> dict[str, Any]:
        return {name: module.state_dict() for name, module in self.named_models()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        for name, module in self.named_models():
            module.load_state_dict(state_dict[name])
