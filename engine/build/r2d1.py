"""Agent and algorithm of R2D1, chosen from the spec and env spaces."""

from __future__ import annotations

from engine.agents.base import BaseAgent
from engine.agents.dqn.r2d1_agent import R2d1Agent
from engine.algos.base import BaseAlgorithm
from engine.algos.dqn.r2d1 import R2D1
from engine.build.options import mlp_options
from engine.envs.base import EnvSpaces
from engine.envs.gym import is_atari
from engine.models.conv2d import DQN_CONV
from engine.models.dqn.r2d1 import R2d1Model
from engine.spec import ExperimentSpec

AGENT_SETTINGS = ("eps_init", "eps_final", "eps_eval", "eps_steps")


def build_agent_and_algo(
    spec: ExperimentSpec, env_spaces: EnvSpaces
) -> tuple[BaseAgent, BaseAlgorithm]:
    """rlpyt's Atari R2D1 model (conv, fc 512, LSTM 512, head 512) for image observations;
    for vectors an MLP trunk and a smaller LSTM (64 units): the 512 units sized for Atari
    frames only slow down the small control tasks."""
    params = spec.algo.params
    image = len(getattr(env_spaces.observation, "shape", None) or ()) == 3
    lstm_size = spec.model.lstm_size or (512 if image else 64)
    model_kwargs = dict(
        **mlp_options(spec, hidden_sizes=(512,) if image else (64,), nonlinearity="relu"),
        lstm_size=lstm_size,
        head_sizes=[512] if image else [lstm_size],
        dueling=spec.model.dueling,
        conv=DQN_CONV if image else None,
        normalize_observation=spec.model.normalize_observation,
    )
    # The epsilon schedule goes to the agent's constructor, in iterations: parallel samplers'
    # workers hold copies of the agent made before the algorithm exists.
    itr_steps = spec.steps_per_iteration
    agent = R2d1Agent(
        ModelCls=R2d1Model,
        model_kwargs=model_kwargs,
        eps_init=params.eps_init,
        eps_final=params.eps_final,
        eps_eval=params.eps_eval,
        eps_itr_min=params.min_steps_learn // itr_steps,
        eps_itr_max=max(1, params.eps_steps // itr_steps),
    )
    algo_kwargs = params.model_dump(exclude={*AGENT_SETTINGS, "adam_eps"})
    algo = R2D1(
        **algo_kwargs,
        optim_kwargs=dict(eps=params.adam_eps),
        frame_buffer=is_atari(spec.env.id),
    )
    return agent, algo
