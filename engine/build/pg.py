"""Agents and algorithms of the policy-gradient family, chosen from the spec and env spaces."""

from __future__ import annotations

import gymnasium

from engine.agents.base import BaseAgent
from engine.agents.pg.categorical import CategoricalPgAgent
from engine.algos.base import BaseAlgorithm
from engine.algos.pg.ppo import PPO
from engine.build.options import mlp_options
from engine.envs.base import EnvSpaces
from engine.models.pg.mlp import PgMlpModel
from engine.spec import ExperimentSpec

ALGOS: dict[str, type[BaseAlgorithm]] = {"PPO": PPO}


def build_agent_and_algo(
    spec: ExperimentSpec, env_spaces: EnvSpaces
) -> tuple[BaseAgent, BaseAlgorithm]:
    """The agent for the env's action space (and model options), and the algorithm."""
    model_kwargs = dict(
        **mlp_options(spec, hidden_sizes=(64, 64), nonlinearity="tanh"),
        normalize_observation=spec.model.normalize_observation,
    )
    if not isinstance(env_spaces.action, gymnasium.spaces.Discrete):
        raise NotImplementedError(
            f"no policy-gradient agent for {type(env_spaces.action).__name__} action spaces yet"
        )
    agent = CategoricalPgAgent(ModelCls=PgMlpModel, model_kwargs=model_kwargs)
    algo = ALGOS[spec.algo.name](**spec.algo.params.model_dump())
    return agent, algo
