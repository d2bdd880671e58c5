"""Allocation of the ``[T, B]`` samples buffer (rlpyt ``samplers/buffer.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.agents.base import AgentInputs, BaseAgent
from engine.envs.base import Env
from engine.samplers.collections import AgentSamples, BatchSpec, EnvSamples, Samples
from engine.utils.buffer import buffer_from_example, torchify_buffer


def get_example_outputs(agent: BaseAgent, env: Env) -> dict[str, Any]:
    """One env step and one agent step, whose outputs fix every buffer's shape and dtype.

    The env is left mid-episode: seed and reset it before sampling.
    """
    env.reset()
    action = np.asarray(env.action_space.sample())
    observation, reward, done, env_info = env.step(action)
    reward = np.asarray(reward, dtype=np.float32)  # the float dtype of the models
    agent.reset()
    agent_action, agent_info = agent.step(
        *torchify_buffer(AgentInputs(observation, action, reward))
    )
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
    agent: BaseAgent, env: Env, batch_spec: BatchSpec, bootstrap_value: bool = False
) -> tuple[Samples, Samples, dict[str, Any]]:
    """Allocate the samples buffer; return ``(samples_pyt, samples_np, examples)``.

    ``samples_pyt`` and ``samples_np`` are torch and numpy views of the same memory.
    ``prev_action`` and ``prev_reward`` are views into one ``[T + 1, B]`` array each, shifted by
    one step from ``action`` and ``reward``: writing ``action[t]`` fills ``prev_action[t + 1]``.
    """
    examples = get_example_outputs(agent, env)
    T, B = batch_spec
    all_action = buffer_from_example(examples["action"], (T + 1, B))
    all_reward = buffer_from_example(examples["reward"], (T + 1, B))
    agent_buffer = AgentSamples(
        action=all_action[1:],
        prev_action=all_action[:-1],
        agent_info=buffer_from_example(examples["agent_info"], (T, B)),
        bootstrap_value=(
            buffer_from_example(examples["agent_info"].value, B) if bootstrap_value else None
        ),
    )
    env_buffer = EnvSamples(
        observation=buffer_from_example(examples["observation"], (T, B)),
        reward=all_reward[1:],
        prev_reward=all_reward[:-1],
        done=buffer_from_example(examples["done"], (T, B)),
        env_info=buffer_from_example(examples["env_info"], (T, B)),
    )
    samples_np = Samples(agent=agent_buffer, env=env_buffer)
    return torchify_buffer(samples_np), samples_np, examples
