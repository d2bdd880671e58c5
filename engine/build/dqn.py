"""Agents and algorithms of the deep Q-learning family (DQN, CategoricalDQN)."""

from __future__ import annotations

import gymnasium

from engine.agents.dqn import CatDqnAgent, DqnAgent
from engine.algos.dqn import DQN, CategoricalDQN
from engine.algos.dqn.dqn import epsilon_itr_min_max
from engine.build.options import mlp_options
from engine.envs.base import EnvSpaces
from engine.envs.gym import is_atari
from engine.models.conv2d import DQN_CONV
from engine.models.dqn.dqn import DqnModel
from engine.spec import ExperimentSpec

# The agent's settings among the spec's algo params (the spec has no agent section); the
# rest goes to the algorithm.
AGENT_PARAMS = ("eps_init", "eps_final", "eps_eval", "n_atoms")


def build_agent_and_algo(spec: ExperimentSpec, env_spaces: EnvSpaces) -> tuple[DqnAgent, DQN]:
    """The agent and Q model for ``spec.algo.name`` on a ``Discrete`` action space, and the
    algorithm.

    Model: for ``uint8 [C, H, W]`` images (Atari) rlpyt's conv net ``DQN_CONV`` then fc 512,
    else an MLP of [64, 64] (rlpyt has no vector DQN model); relu; ``model.dueling`` splits
    the fc layers into value and advantage streams. Atari runs store frames once
    (``frame_buffer``). The epsilon schedule reaches the agent here, before any sampler copies
    it.
    """
    name = spec.algo.name
    if not isinstance(env_spaces.action, gymnasium.spaces.Discrete):
        raise TypeError(
            f"{name} needs a Discrete action space, got {type(env_spaces.action).__name__}; "
            "use SAC, TD3 or DDPG for continuous actions"
        )
    if spec.model.normalize_observation or spec.model.recurrent:
        raise ValueError(
            f"{name} models take hidden_sizes, nonlinearity and dueling (no "
            "normalize_observation or recurrent; R2D1 is the recurrent DQN)"
        )
    observation = env_spaces.observation
    image = (
        isinstance(observation, gymnasium.spaces.Box)
        and observation.dtype == "uint8"
        and len(observation.shape) == 3
    )
    model_kwargs = dict(
        **mlp_options(spec, hidden_sizes=(512,) if image else (64, 64), nonlinearity="relu"),
        dueling=spec.model.dueling,
        conv=DQN_CONV if image else None,
    )
    params = spec.algo.params.model_dump()
    agent_kwargs = {key: params.pop(key) for key in AGENT_PARAMS if key in params}
    eps_itr_min, eps_itr_max = epsilon_itr_min_max(
        params["min_steps_learn"], params["eps_steps"], spec.steps_per_iteration
    )
    agent_kwargs.update(eps_itr_min=eps_itr_min, eps_itr_max=eps_itr_max)
    frame_buffer = is_atari(spec.env.id)
    if name == "CategoricalDQN":
        agent = CatDqnAgent(
            ModelCls=DqnModel,
            model_kwargs=model_kwargs,
            V_min=params["V_min"],
            V_max=params["V_max"],
            **agent_kwargs,
        )
        return agent, CategoricalDQN(**params, frame_buffer=frame_buffer)
    agent = DqnAgent(ModelCls=DqnModel, model_kwargs=model_kwargs, **agent_kwargs)
    return agent, DQN(**params, frame_buffer=frame_buffer)
