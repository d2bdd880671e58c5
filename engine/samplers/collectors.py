"""Collectors: the loops that step environments with the agent (rlpyt ``samplers/collectors.py``).

A training collector owns ``B`` environments and fills ``[T, B]`` samples; an eval collector
only gathers completed trajectories. Samplers decide where collectors run (here: in-process).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from engine.agents.base import AgentInputs, BaseAgent
from engine.envs.base import Env, null_value
from engine.samplers.collections import Samples, TrajInfo
from engine.utils.buffer import buffer_from_example, torchify_buffer


def reset_envs(envs: Sequence[Env]) -> np.ndarray:
    """Reset every env; return their first observations stacked: ``[B, ...]``."""
    observations = [env.reset() for env in envs]
    observation = buffer_from_example(observations[0], len(envs))
    for b, obs in enumerate(observations):
        observation[b] = obs
    return observation


class BaseCollector(ABC):
    """Steps ``len(envs)`` environments for ``batch_T`` steps per batch into ``samples_np``.

    ``mid_batch_reset``: whether an env is reset as soon as its trajectory ends, within the
    batch (algorithms that train on whole sequences need the other kind).
    """

    mid_batch_reset: ClassVar[bool]

    def __init__(
        self,
        envs: Sequence[Env],
        agent: BaseAgent,
        samples_np: Samples,
        batch_T: int,
        TrajInfoCls: Callable[[], TrajInfo],
    ) -> None:
        self.envs = envs
        self.agent = agent
        self.samples_np = samples_np
        self.batch_T = batch_T
        self.TrajInfoCls = TrajInfoCls

    def start_envs(
        self, max_decorrelation_steps: int, rng: np.random.Generator
    ) -> tuple[AgentInputs, list[TrajInfo]]:
        """Reset every env, then take 1..max_decorrelation_steps random actions in each.

        Without that, all B envs would sit at the same point of their episodes and every batch
        would be correlated across B. Returns the numpy agent inputs ``[B, ...]`` and each
        env's running trajectory record (episodes that end during decorrelation are dropped).
        """
        traj_infos = [self.TrajInfoCls() for _ in self.envs]
        observation = reset_envs(self.envs)
        prev_action = buffer_from_example(null_value(self.envs[0].action_space), len(self.envs))
        prev_reward = np.zeros(len(self.envs), dtype=np.float32)
        if max_decorrelation_steps > 0:
            for b, env in enumerate(self.envs):
                o = observation[b]
                for _ in range(1 + int(rng.random() * max_decorrelation_steps)):
                    a = env.action_space.sample()
                    next_o, r, d, env_info = env.step(a)
                    traj_infos[b].step(o, a, r, d, env_info)
                    if getattr(env_info, "traj_done", d):
                        traj_infos[b] = self.TrajInfoCls()
                        next_o = env.reset()
                    o = next_o
                observation[b], prev_action[b], prev_reward[b] = o, a, r
        return AgentInputs(observation, prev_action, prev_reward), traj_infos

    @abstractmethod
    def collect_batch(
        self, agent_inputs: AgentInputs, traj_infos: list[TrajInfo], itr: int
    ) -> tuple[AgentInputs, list[TrajInfo], list[TrajInfo]]:
        """Fill ``samples_np`` with ``[T, B]`` data starting from ``agent_inputs``.

        Returns the agent inputs to continue from, the running trajectory records and the
        trajectories completed during this batch.
        """


class ResetCollector(BaseCollector):
    """Resets an env the moment its trajectory ends, mid-batch (rlpyt ``CpuResetCollector``).

    ``prev_action``/``prev_reward`` carry across a reset, as in rlpyt: they are views of the
    action/reward arrays, and models that use them see ``done`` as well.
    """

    mid_batch_reset = True

    def collect_batch(
        self, agent_inputs: AgentInputs, traj_infos: list[TrajInfo], itr: int
    ) -> tuple[AgentInputs, list[TrajInfo], list[TrajInfo]]:
        agent_buf, env_buf = self.samples_np.agent, self.samples_np.env
        envs, agent = self.envs, self.agent
        completed_infos = []
        observation, action, reward = agent_inputs
        obs_pyt, act_pyt, rew_pyt = torchify_buffer(agent_inputs)
        agent_buf.prev_action[0] = action
        env_buf.prev_reward[0] = reward
        for t in range(self.batch_T):
            env_buf.observation[t] = observation
            act_pyt, agent_info = agent.step(obs_pyt, act_pyt, rew_pyt)
            action = act_pyt.numpy()
            done_t, env_info_t = env_buf.done[t], env_buf.env_info[t]
            for b, env in enumerate(envs):
                o, r, d, env_info = env.step(action[b])
                traj_infos[b].step(observation[b], action[b], r, d, env_info)
                if getattr(env_info, "traj_done", d):
                    completed_infos.append(traj_infos[b].terminate(o))
                    traj_infos[b] = self.TrajInfoCls()
                    o = env.reset()
                if d:
                    agent.reset_one(b)
                observation[b] = o
                reward[b] = r
                done_t[b] = d
                env_info_t[b] = env_info
            agent_buf.action[t] = action  # also prev_action[t + 1]
            env_buf.reward[t] = reward  # also prev_reward[t + 1]
            agent_buf.agent_info[t] = agent_info
        if agent_buf.bootstrap_value is not None:
            agent_buf.bootstrap_value[:] = agent.value(obs_pyt, act_pyt, rew_pyt)
        return AgentInputs(observation, action, reward), traj_infos, completed_infos


class SerialEvalCollector:
    """Runs the agent on its own envs until ``max_T`` steps or ``max_trajectories`` episodes.

    Records no samples; returns the completed trajectories. Stopping at ``max_trajectories``
    favours short episodes slightly (rlpyt's caveat), which the step budget bounds.
    """

    def __init__(
        self,
        envs: Sequence[Env],
        agent: BaseAgent,
        TrajInfoCls: Callable[[], TrajInfo],
        max_T: int,
        max_trajectories: int | None = None,
    ) -> None:
        self.envs = envs
        self.agent = agent
        self.TrajInfoCls = TrajInfoCls
        self.max_T = max_T
        self.max_trajectories = max_trajectories

    def collect_evaluation(self, itr: int) -> list[TrajInfo]:
        envs, agent = self.envs, self.agent
        traj_infos = [self.TrajInfoCls() for _ in envs]
        completed_infos: list[TrajInfo] = []
        observation = reset_envs(envs)
        action = buffer_from_example(null_value(envs[0].action_space), len(envs))
        reward = np.zeros(len(envs), dtype=np.float32)
        obs_pyt, act_pyt, rew_pyt = torchify_buffer((observation, action, reward))
        agent.reset()
        for _ in range(self.max_T):
            act_pyt, _ = agent.step(obs_pyt, act_pyt, rew_pyt)
            action = act_pyt.numpy()
            for b, env in enumerate(envs):
                o, r, d, env_info = env.step(action[b])
                traj_infos[b].step(observation[b], action[b], r, d, env_info)
                if getattr(env_info, "traj_done", d):
                    completed_infos.append(traj_infos[b].terminate(o))
                    traj_infos[b] = self.TrajInfoCls()
                    o = env.reset()
                if d:
                    agent.reset_one(b)
                observation[b] = o
                reward[b] = r
            if self.max_trajectories is not None and len(completed_infos) >= self.max_trajectories:
                break
        return completed_infos
