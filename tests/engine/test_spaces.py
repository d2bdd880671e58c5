"""The space adapter: every supported space type, namedarraytuple observations, module:Name ids."""

import gymnasium
import numpy as np
import pytest
import torch

from engine.agents.pg.categorical import CategoricalPgAgent
from engine.envs import make, null_value
from engine.envs.spaces import Composite
from engine.models.observation import flatten_observation, observation_size
from engine.models.pg.mlp import PgMlpModel
from engine.samplers.serial import SerialSampler
from engine.spec import EnvSpec
from engine.utils.buffer import buffer_from_example, torchify_buffer
from engine.utils.collections import is_namedarraytuple

TINY = "tests.engine.tiny_envs:TinySpaces-v0"


def leaves(value):
    if is_namedarraytuple(value):
        for v in value:
            yield from leaves(v)
    else:
        yield value


@pytest.mark.parametrize(
    ("observation", "shape", "dtype"),
    [
        ("discrete", (), np.int64),
        ("box64", (3,), np.float32),
        ("box_uint8", (2, 4), np.uint8),
        ("multi_discrete", (2,), np.int64),
        ("multi_binary", (6,), np.int8),
    ],
)
def test_leaf_observation_spaces(observation, shape, dtype):
    env = make(TINY, observation=observation)
    env.seed(0)
    assert env.observation_space.shape == shape and env.observation_space.dtype == dtype
    for obs in (env.reset(), env.step(env.action_space.sample()).observation):
        assert isinstance(obs, np.ndarray) and obs.shape == shape and obs.dtype == dtype
        assert env.observation_space.contains(obs)
    assert null_value(env.observation_space).shape == shape


def test_dict_observations_are_namedarraytuples_with_sorted_sanitized_fields():
    env = make(TINY, observation="dict")
    space = env.observation_space
    assert isinstance(space, Composite)
    assert space.NamedArrayTupleCls._fields == ("ale_lives", "inner", "position")  # "ale.lives"
    assert space.shape == ((), ((3,), (1,)), (2,))
    obs = env.reset()
    assert is_namedarraytuple(obs) and obs._fields == ("ale_lives", "inner", "position")
    assert obs.inner._fields == ("f0", "f1")
    assert obs.position.dtype == np.float32  # float64 in the gymnasium space
    assert obs.ale_lives.shape == () and obs.inner.f0.dtype == np.int8
    assert space.contains(obs) and space.contains(env.step(0).observation)

    buffer = buffer_from_example(obs, (5, 2))  # how samplers allocate [T, B] observations
    buffer[3, 1] = obs
    assert buffer.position.shape == (5, 2, 2) and buffer.inner.f1.shape == (5, 2, 1)
    np.testing.assert_array_equal(buffer[3, 1].position, obs.position)
    blank = null_value(space)
    assert all(np.all(v == 0) for v in leaves(blank))


def test_tuple_observations_have_positional_fields():
    env = make(TINY, observation="tuple")
    obs = env.reset()
    assert obs._fields == ("f0", "f1")
    assert obs.f0.dtype == np.int64 and obs.f1.shape == (2, 2) and obs.f1.dtype == np.float32
    assert observation_size(env.observation_space.shape) == 1 + 4


def test_composite_samples_repeat_under_a_seed():
    space = make(TINY, observation="dict").observation_space

    def draw(seed):
        space.seed(seed)
        return np.concatenate([np.ravel(v) for v in leaves(space.sample())])

    np.testing.assert_array_equal(draw(1), draw(1))
    assert space.contains(space.sample())


def test_box_actions_are_clipped_to_bounds_and_composite_actions_reverted():
    env = make(TINY, action="box64")
    env.reset()
    env.step(np.array([3.0, -0.5, -7.0], dtype=np.float32))
    last = env.env.unwrapped.last_action
    assert last.dtype == np.float64
    np.testing.assert_array_equal(last, [1.0, -0.5, -1.0])

    env = make(TINY, action="dict")
    env.reset()
    env.step(env.action_space.sample())
    last = env.env.unwrapped.last_action
    assert set(last) == {"position", "ale.lives", "inner"}
    assert isinstance(last["inner"], tuple) and len(last["inner"]) == 2
    assert gymnasium.spaces.Dict(env.env.action_space.spaces).contains(last)


@pytest.mark.parametrize("action", ["multi_discrete", "multi_binary"])
def test_multi_actions_pass_through(action):
    env = make(TINY, action=action)
    env.reset()
    a = env.action_space.sample()
    env.step(a)
    np.testing.assert_array_equal(env.env.unwrapped.last_action, a)
    assert null_value(env.action_space).shape == a.shape


def test_module_name_ids_validate_and_make():
    assert EnvSpec(id=TINY).id == TINY
    with pytest.raises(ValueError, match="cannot import"):
        EnvSpec(id="tests.engine.no_such_module:TinySpaces-v0")
    with pytest.raises(ValueError, match="unknown environment"):
        EnvSpec(id="tests.engine.tiny_envs:Missing-v0")
    env = make(TINY, length=2)
    env.reset()
    assert [env.step(0).done for _ in range(2)] == [False, True]


def test_models_flatten_composite_observations():
    env = make(TINY, observation="dict")
    obs = torchify_buffer(buffer_from_example(env.reset(), (4, 3)))
    shape = env.observation_space.shape
    x, lead_dim, T, B = flatten_observation(obs, shape)
    assert x.shape == (12, 1 + 3 + 1 + 2) and x.dtype == torch.float32
    assert (lead_dim, T, B) == (2, 4, 3)
    model = PgMlpModel(shape, action_size=5, hidden_sizes=[8])
    logits, value = model(obs, None, None)
    assert logits.shape == (4, 3, 5) and value.shape == (4, 3)


def test_sampler_collects_dict_observations():
    sampler = SerialSampler(
        EnvCls=make,
        env_kwargs=dict(env_id=TINY, observation="dict"),
        batch_T=6,
        batch_B=2,
        max_decorrelation_steps=2,
    )
    agent = CategoricalPgAgent(PgMlpModel, dict(hidden_sizes=[8]))
    sampler.initialize(agent, seed=0)
    samples, traj_infos = sampler.obtain_samples(0)
    observation = samples.env.observation
    assert observation.position.shape == (6, 2, 2) and observation.ale_lives.shape == (6, 2)
    assert observation.inner.f0.shape == (6, 2, 3)
    assert samples.env.done.sum() >= 2 and all(t.Length == 3 for t in traj_infos)
    sampler.shutdown()
