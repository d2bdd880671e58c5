"""Agents and algorithms of the Q-value policy-gradient family (DDPG, TD3, SAC)."""

from __future__ import annotations

from engine.agents.qpg.base import QpgAgent, action_bound
from engine.agents.qpg.ddpg import DdpgAgent, Td3Agent
from engine.agents.qpg.sac import SacAgent
from engine.algos.qpg.base import QpgAlgo
from engine.algos.qpg.ddpg import DDPG, TD3
from engine.algos.qpg.sac import SAC
from engine.build.options import mlp_options
from engine.envs.base import EnvSpaces
from engine.models.qpg.mlp import MuMlpModel, PiMlpModel, QofMuMlpModel
from engine.spec import ExperimentSpec

# The agent's exploration settings among the spec's algo params (the spec has no agent
# section); everything else goes to the algorithm.
AGENT_PARAMS = ("action_std", "pretrain_std", "target_noise_std", "target_noise_clip")


def build_agent_and_algo(
    spec: ExperimentSpec, env_spaces: EnvSpaces
) -> tuple[QpgAgent, QpgAlgo]:
    """The agent and models for ``spec.algo.name`` on a ``Box`` action space, and the algorithm.

    Model defaults are rlpyt's: MLPs of [400, 300] (DDPG, TD3) or [256, 256] (SAC), relu.
    ``min_itr_learn`` reaches the agent here, before any sampler copies it.
    """
    name = spec.algo.name
    action_bound(env_spaces.action)  # a clear error for discrete or unbounded action spaces
    if spec.model.normalize_observation or spec.model.recurrent or spec.model.dueling:
        raise ValueError(
            f"{name} models take only hidden_sizes and nonlinearity (no normalize_observation, "
            "recurrent or dueling)"
        )
    params = spec.algo.params.model_dump()
    agent_kwargs = {key: params.pop(key) for key in AGENT_PARAMS if key in params}
    model_kwargs = mlp_options(
        spec, hidden_sizes=(256, 256) if name == "SAC" else (400, 300), nonlinearity="relu"
    )
    min_itr_learn = params["min_steps_learn"] // spec.steps_per_iteration
    if name == "SAC":
        agent = SacAgent(
            ModelCls=PiMlpModel,
            QModelCls=QofMuMlpModel,
            model_kwargs=model_kwargs,
            q_model_kwargs=model_kwargs,
            min_itr_learn=min_itr_learn,
            **agent_kwargs,
        )
        return agent, SAC(**params)
    AgentCls, AlgoCls = (Td3Agent, TD3) if name == "TD3" else (DdpgAgent, DDPG)
    agent = AgentCls(
        ModelCls=MuMlpModel,
        QModelCls=QofMuMlpModel,
        model_kwargs=model_kwargs,
        q_model_kwargs=model_kwargs,
        min_itr_learn=min_itr_learn,
        **agent_kwargs,
    )
    return agent, AlgoCls(**params)
