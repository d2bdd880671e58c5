"""MuJoCo (HalfCheetah-v5): Box actions through the adapter and the sampler path."""

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.agents.base import AgentStep, BaseAgent
from engine.envs import make
from engine.samplers.serial import SerialSampler
from engine.utils.collections import namedarraytuple

RandomInfo = namedarraytuple("RandomInfo", ["unused"])


class RandomAgent(BaseAgent):
    """Uniform random Box actions, partly outside the bounds; a stand-in for the Gaussian agent
    (not built yet)."""

    def __init__(self, model_kwargs: Mapping[str, Any] | None = None) -> None:
        super().__init__(ModelCls=nn.Identity, model_kwargs=model_kwargs)

    def __call__(self, observation, prev_action, prev_reward):
        raise NotImplementedError

    def step(self, observation, prev_action, prev_reward) -> AgentStep:
        lead_shape = observation.shape[:-1]  # [B] or () (one observation of shape [17])
        action = torch.empty(*lead_shape, *self.env_spaces.action.shape).uniform_(-1.5, 1.5)
        return AgentStep(action=action, agent_info=RandomInfo(unused=torch.zeros(lead_shape)))


def test_halfcheetah_spaces_and_clipped_actions():
    env = make("HalfCheetah-v5")
    assert env.observation_space.shape == (17,) and env.observation_space.dtype == np.float32
    assert env.action_space.shape == (6,) and env.action_space.dtype == np.float32
    env.seed(0)
    assert env.reset().dtype == np.float32
    step = env.step(np.array([3.0, -3.0, 0.5, 0.0, 1.0, -1.0], dtype=np.float32))
    assert step.observation.shape == (17,) and step.observation.dtype == np.float32
    np.testing.assert_allclose(env.env.unwrapped.data.ctrl, [1.0, -1.0, 0.5, 0.0, 1.0, -1.0])
    assert env.horizon == 1000
    env.close()


def test_halfcheetah_steps_with_random_actions_through_the_sampler():
    sampler = SerialSampler(
        EnvCls=make,
        env_kwargs=dict(env_id="HalfCheetah-v5", max_episode_steps=20),
        batch_T=16,
        batch_B=2,
        max_decorrelation_steps=5,
    )
    sampler.initialize(RandomAgent(), seed=0)
    for itr in range(3):
        samples, traj_infos = sampler.obtain_samples(itr)
    assert samples.env.observation.shape == (16, 2, 17)
    assert samples.agent.action.shape == (16, 2, 6)
    assert samples.env.observation.dtype == torch.float32
    # Time-limit ends: done with timeout, and the trajectories the sampler completed.
    assert torch.equal(samples.env.done, samples.env.env_info.timeout)
    assert samples.env.done.any()
    assert traj_infos and all(t.Length == 20 for t in traj_infos)
    sampler.shutdown()


def _rollout(env: Any, actions: list[np.ndarray]) -> list[np.ndarray]:
    """Observations after each action, resetting (and recording the reset) at episode ends."""
    observations = []
    for action in actions:
        step = env.step(action)
        observations.append(step.observation)
        if step.done:
            observations.append(env.reset())
    return observations


def test_a_restored_mujoco_env_steps_exactly_as_the_original():
    # Hopper falls within the rollout, so the restored env's reset RNG is exercised as well.
    for env_id in ("HalfCheetah-v5", "Hopper-v5"):
        env = make(env_id)
        env.seed(3)
        env.reset()
        actions = [env.action_space.sample() for _ in range(80)]
        _rollout(env, actions[:20])
        state = env.state_dict()
        expected = _rollout(env, actions[20:])

        restored = make(env_id)
        restored.load_state_dict(state)
        observed = _rollout(restored, actions[20:])

        assert len(observed) == len(expected) >= 60
        for got, want in zip(observed, expected, strict=True):
            np.testing.assert_array_equal(got, want)
