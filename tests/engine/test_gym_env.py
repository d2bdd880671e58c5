"""GymEnvWrapper: gymnasium's terminated/truncated, dtypes, seeding, spaces."""

import gymnasium
import numpy as np
import pytest
from gymnasium.wrappers import TimeLimit

from engine.envs import EnvInfo, GymEnvWrapper, make, null_value


class ScriptedEnv(gymnasium.Env):
    """Terminates at step ``terminate_at``; float64 observations counting the steps."""

    observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (2,), np.float64)
    action_space = gymnasium.spaces.Discrete(3)

    def __init__(self, terminate_at: int = 1000) -> None:
        self.terminate_at = terminate_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0, self.np_random.random()]), {"some": "info"}

    def step(self, action):
        self.t += 1
        return np.array([self.t, 0.0]), 1.0, self.t >= self.terminate_at, False, {"lives": 3}


def run_episode(env: GymEnvWrapper) -> list:
    env.reset()
    steps = []
    while not steps or not steps[-1].done:
        steps.append(env.step(np.int64(0)))
    return steps


def test_terminated_is_done_without_timeout():
    steps = run_episode(GymEnvWrapper(TimeLimit(ScriptedEnv(terminate_at=3), max_episode_steps=10)))
    assert len(steps) == 3
    assert [s.done for s in steps] == [False, False, True]
    assert steps[-1].env_info == EnvInfo(timeout=False, traj_done=True)
    assert steps[0].env_info == EnvInfo(timeout=False, traj_done=False)


def test_truncated_is_done_with_timeout():
    steps = run_episode(GymEnvWrapper(TimeLimit(ScriptedEnv(), max_episode_steps=4)))
    assert len(steps) == 4 and steps[-1].done
    assert steps[-1].env_info == EnvInfo(timeout=True, traj_done=True)


def test_terminated_and_truncated_together_is_no_timeout():
    steps = run_episode(GymEnvWrapper(TimeLimit(ScriptedEnv(terminate_at=4), max_episode_steps=4)))
    assert steps[-1].done and steps[-1].env_info.timeout is False


def test_env_info_fields_are_fixed_and_numeric():
    env = GymEnvWrapper(TimeLimit(ScriptedEnv(terminate_at=2), max_episode_steps=10))
    fields = {s.env_info._fields for s in run_episode(env) + run_episode(env)}
    assert fields == {("timeout", "traj_done")}


def test_float64_observations_become_float32():
    env = GymEnvWrapper(ScriptedEnv())
    assert env.observation_space.dtype == np.float32
    assert env.reset().dtype == np.float32
    assert env.step(0).observation.dtype == np.float32
    assert env.observation_space.contains(env.step(0).observation)


def test_seed_makes_resets_and_action_samples_repeat():
    def trace(seed):
        env = make("CartPole-v1")
        env.seed(seed)
        first = env.reset()
        actions = [int(env.action_space.sample()) for _ in range(5)]
        steps = [env.step(a).observation for a in actions]
        return first, actions, np.stack(steps)

    a, b, c = trace(3), trace(3), trace(4)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.array_equal(a[0], c[0])


def test_make_cartpole_spaces_and_horizon():
    env = make("CartPole-v1")
    assert env.spaces.action.n == 2 and env.spaces.observation.shape == (4,)
    assert env.horizon == 500
    assert null_value(env.action_space) == 0
    assert null_value(env.observation_space).shape == (4,)
    env.close()


def test_unsupported_space_is_rejected():
    class TextEnv(ScriptedEnv):
        observation_space = gymnasium.spaces.Text(8)

    with pytest.raises(NotImplementedError, match="Observation: Text spaces"):
        GymEnvWrapper(TextEnv())
