"""Agents and algorithms of the policy-gradient family, chosen from the spec and env spaces.

The observation space picks the model's trunk (a 3-dim ``uint8`` Box is an image: rlpyt's
Atari conv net; anything else an MLP), the action space the distribution (Discrete:
categorical; 1-d Box: Gaussian), and ``spec.model.recurrent`` an LSTM after the trunk.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from engine.agents.pg.base import PgAgent
from engine.agents.pg.categorical import CategoricalPgAgent
from engine.agents.pg.gaussian import GaussianPgAgent
from engine.agents.pg.recurrent import RecurrentCategoricalPgAgent, RecurrentGaussianPgAgent
from engine.algos.base import BaseAlgorithm
from engine.algos.pg.a2c import A2C
from engine.algos.pg.ppo import PPO
from engine.build.options import mlp_options
from engine.envs.base import EnvSpaces
from engine.models.pg.conv import PgConvModel
from engine.models.pg.lstm import PgLstmModel
from engine.models.pg.mlp import GaussianPgMlpModel, PgMlpModel
from engine.spec import ExperimentSpec

ALGOS: dict[str, type[BaseAlgorithm]] = {"PPO": PPO, "A2C": A2C}


def is_image(space: gymnasium.Space) -> bool:
    """Whether observations are ``uint8 [C, H, W]`` images (stacked frames)."""
    return (
        isinstance(space, gymnasium.spaces.Box)
        and len(space.shape) == 3
        and space.dtype == np.uint8
    )


def build_agent_and_algo(
    spec: ExperimentSpec, env_spaces: EnvSpaces
) -> tuple[PgAgent, BaseAlgorithm]:
    """The agent for the env's spaces and the spec's model options, and the algorithm."""
    action = env_spaces.action
    if isinstance(action, gymnasium.spaces.Discrete):
        gaussian = False
    elif isinstance(action, gymnasium.spaces.Box) and len(action.shape) == 1:
        gaussian = True
    else:
        raise NotImplementedError(f"no policy-gradient agent for the action space {action}")
    image = is_image(env_spaces.observation)
    if image and spec.model.normalize_observation:
        raise ValueError("model.normalize_observation is for vector observations, not images")

    model_kwargs: dict[str, Any]
    if spec.model.recurrent:
        # rlpyt's LSTM models: [512] fc after the conv layers (AtariLstmModel), else an MLP of
        # [256, 256] tanh (MujocoLstmModel); LSTM of 256.
        defaults = ((512,), "relu") if image else ((256, 256), "tanh")
        model_kwargs = dict(
            **mlp_options(spec, hidden_sizes=defaults[0], nonlinearity=defaults[1]),
            image=image,
            lstm_size=spec.model.lstm_size or 256,
        )
        if not image:
            model_kwargs["normalize_observation"] = spec.model.normalize_observation
        ModelCls: type = PgLstmModel
        AgentCls: type[PgAgent] = (
            RecurrentGaussianPgAgent if gaussian else RecurrentCategoricalPgAgent
        )
    elif image:
        if gaussian:
            raise NotImplementedError("no policy-gradient conv model for continuous actions")
        model_kwargs = mlp_options(spec, hidden_sizes=(512,), nonlinearity="relu")
        ModelCls, AgentCls = PgConvModel, CategoricalPgAgent
    else:
        model_kwargs = dict(
            **mlp_options(spec, hidden_sizes=(64, 64), nonlinearity="tanh"),
            normalize_observation=spec.model.normalize_observation,
        )
        ModelCls = GaussianPgMlpModel if gaussian else PgMlpModel
        AgentCls = GaussianPgAgent if gaussian else CategoricalPgAgent
    agent = AgentCls(ModelCls=ModelCls, model_kwargs=model_kwargs)
    algo = ALGOS[spec.algo.name](**spec.algo.params.model_dump())
    return agent, algo
