"""Allocation of the ``[T, B]`` samples buffer (rlpyt ``samplers/buffer.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.agents.base import AgentInputs, BaseAgent
from engine.envs.base import Env
from engine.samplers.collections import AgentSamples, BatchSpec, EnvSamples, Samples, StepBuffer
from engine.utils.buffer import buffer_from_example, torchify_buffer


def get_example_outputs(agent: BaseAgent, env: Env) -> dict[str, Any]:
    """One env step and one agent step, whose outputs fix every buffer's shape and dtype.

    The env is left mid-episode: seed and reset it before sampling. The example step leaves
    no trace in the agent: its model steps in eval mode, so statistics that update in training
    mode (observation normalisation) do not count this observation.
    """
    env.seed(0)  # unseeded, gymnasium would draw OS entropy and the example would vary by run
    env.reset()
    action = np.asarray(env.action_space.sample())
    observation, reward, done, env_info = env.step(action)
    reward = np.asarray(reward, dtype=np.float32)  # the float dtype of the models
    agent.reset()
    training = agent.model.training
    agent.model.eval()
    try:
        agent_action, agent_info = agent.step(
            *torchify_buffer(AgentInputs(observation, action, reward))
        )
    finally:
        agent.model.train(training)
    agent.reset()
    return dict(
        observation=observation,
        reward=reward,
        done=done,
        env_info=env_info,
        action=agent_action,
        agent_info=agent_info,
    )


def build_samples_buffer(
    agent: BaseAgent,
    env: Env,
    batch_spec: BatchSpec,
    bootstrap_value: bool = False,
    share_memory: bool = False,
) -> tuple[Samples, Samples, dict[str, Any]]:
    """Allocate the samples buffer; return ``(samples_pyt, samples_np, examples)``.

    ``samples_pyt`` and ``samples_np`` are torch and numpy views of the same memory (shared
    memory with ``share_memory``). ``prev_action`` and ``prev_reward`` are views into one
    ``[T + 1, B]`` array each, shifted by one step from ``action`` and ``reward``: writing
    ``action[t]`` fills ``prev_action[t + 1]``.
    """
    examples = get_example_outputs(agent, env)
    T, B = batch_spec

    def alloc(example: Any, leading_dims: int | tuple[int, ...]) -> Any:
        return buffer_from_example(example, leading_dims, share_memory)

    all_action = alloc(examples["action"], (T + 1, B))
    all_reward = alloc(examples["reward"], (T + 1, B))
    agent_buffer = AgentSamples(
        action=all_action[1:],
        prev_action=all_action[:-1],
        agent_info=alloc(examples["agent_info"], (T, B)),
        bootstrap_value=alloc(examples["agent_info"].value, B) if bootstrap_value else None,
    )
    env_buffer = EnvSamples(
        observation=alloc(examples["observation"], (T, B)),
        reward=all_reward[1:],
        prev_reward=all_reward[:-1],
        done=alloc(examples["done"], (T, B)),
        env_info=alloc(examples["env_info"], (T, B)),
    )
    samples_np = Samples(agent=agent_buffer, env=env_buffer)
    return torchify_buffer(samples_np), samples_np, examples


def build_step_buffer(
    examples: dict[str, Any], B: int, share_memory: bool = False
) -> StepBuffer:
    """The numpy ``StepBuffer`` ``[B, ...]`` the env and agent sides exchange each step."""
    return StepBuffer(
        *(
            buffer_from_example(examples[field], B, share_memory)
            for field in ("observation", "action", "reward", "done")
        )
    )


def slice_samples(samples: Samples, envs: slice) -> Samples:
    """Views of the ``envs`` columns of a samples buffer (``[T, envs]``, bootstrap ``[envs]``)."""
    agent = samples.agent
    bootstrap_value = agent.bootstrap_value
    return Samples(
        agent=AgentSamples(
            action=agent.action[:, envs],
            prev_action=agent.prev_action[:, envs],
            agent_info=agent.agent_info[:, envs],
            bootstrap_value=None if bootstrap_value is None else bootstrap_value[envs],
        ),
        env=samples.env[:, envs],
    )
