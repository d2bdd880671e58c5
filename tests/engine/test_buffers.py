"""Buffers, leading dims and the samples buffer layout."""

from collections import namedtuple

import numpy as np
import pytest
import torch

from engine.agents.pg.categorical import CategoricalPgAgent
from engine.envs.gym import make
from engine.models.pg.mlp import PgMlpModel
from engine.samplers.buffer import build_samples_buffer
from engine.samplers.collections import BatchSpec
from engine.utils.buffer import buffer_from_example, buffer_to, numpify_buffer, torchify_buffer
from engine.utils.collections import is_namedarraytuple
from engine.utils.tensor import infer_leading_dims, restore_leading_dims, valid_mean

Info = namedtuple("Info", ["timeout", "score", "nested"])
Nested = namedtuple("Nested", ["vec", "none"])


def example():
    return Info(
        timeout=False, score=np.float32(1.5), nested=Nested(vec=np.zeros(3, np.uint8), none=None)
    )


def test_buffer_from_example_shapes_and_dtypes():
    buf = buffer_from_example(example(), (5, 2))
    assert is_namedarraytuple(buf) and is_namedarraytuple(buf.nested)
    assert buf.timeout.shape == (5, 2) and buf.timeout.dtype == np.bool_
    assert buf.score.shape == (5, 2) and buf.score.dtype == np.float32
    assert buf.nested.vec.shape == (5, 2, 3) and buf.nested.vec.dtype == np.uint8
    assert buf.nested.none is None
    assert buffer_from_example(np.zeros(4, np.int64), 7).shape == (7, 4)
    assert buffer_from_example(None, 3) is None
    with pytest.raises(TypeError):
        buffer_from_example(object(), 3)


def test_torchify_and_numpify_share_memory():
    buf = buffer_from_example(example(), (5, 2))
    pyt = torchify_buffer(buf)
    assert isinstance(pyt.score, torch.Tensor) and pyt.nested.none is None
    pyt.score[1, 1] = 3.0
    assert buf.score[1, 1] == 3.0
    back = numpify_buffer(pyt)
    back.nested.vec[0, 0, 0] = 9
    assert buf.nested.vec[0, 0, 0] == 9
    moved = buffer_to(pyt, "cpu")
    assert moved.score.data_ptr() == pyt.score.data_ptr()


@pytest.mark.parametrize(
    "shape, expected",
    [((3, 7, 4), (2, 3, 7)), ((7, 4), (1, 1, 7)), ((4,), (0, 1, 1))],
)
def test_infer_and_restore_leading_dims(shape, expected):
    x = torch.randn(shape)
    lead_dim, T, B, data_shape = infer_leading_dims(x, 1)
    assert (lead_dim, T, B) == expected and data_shape == (4,)
    flat = x.reshape(T * B, 4)
    total, same = restore_leading_dims((flat.sum(-1), flat), lead_dim, T, B)
    assert total.shape == shape[:-1] and torch.equal(same, x)
    assert restore_leading_dims(flat, lead_dim, T, B).shape == shape


def test_infer_leading_dims_rejects_too_many_dims():
    with pytest.raises(ValueError):
        infer_leading_dims(torch.zeros(2, 3, 4, 5), 1)


def test_valid_mean():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert valid_mean(x) == 2.5
    assert valid_mean(x, torch.tensor([1.0, 0.0, 1.0, 0.0])) == 2.0


def test_samples_buffer_layout_and_prev_action_aliasing():
    env = make("CartPole-v1")
    agent = CategoricalPgAgent(PgMlpModel, dict(hidden_sizes=[8]))
    agent.initialize(env.spaces)
    samples_pyt, samples_np, examples = build_samples_buffer(
        agent, env, BatchSpec(T=5, B=3), bootstrap_value=True
    )
    env_np, agent_np = samples_np.env, samples_np.agent
    assert env_np.observation.shape == (5, 3, 4) and env_np.observation.dtype == np.float32
    assert env_np.reward.dtype == np.float32 and env_np.done.dtype == np.bool_
    assert env_np.env_info.timeout.shape == (5, 3) and env_np.env_info.traj_done.shape == (5, 3)
    assert agent_np.action.shape == (5, 3) and agent_np.action.dtype == np.int64
    assert agent_np.agent_info.dist_info.logits.shape == (5, 3, 2)
    assert agent_np.agent_info.value.shape == (5, 3)
    assert agent_np.bootstrap_value.shape == (3,)

    agent_np.action[2] = [1, 0, 1]
    np.testing.assert_array_equal(agent_np.prev_action[3], [1, 0, 1])
    env_np.reward[4] = 2.5
    np.testing.assert_array_equal(env_np.prev_reward[4], 0.0)
    env_np.reward[3] = 1.0
    np.testing.assert_array_equal(env_np.prev_reward[4], 1.0)
    # The torch view sees every write.
    assert samples_pyt.agent.prev_action[3].tolist() == [1, 0, 1]
    assert samples_pyt.env.reward[4, 0].item() == 2.5
    env.close()


def test_the_buffers_example_step_leaves_no_trace_in_the_agent():
    """The example step that sizes the buffers neither counts its observation in the running
    observation statistics nor draws an unseeded reset (either made a seed's run depend on the
    process: R2D1's learning run differed with PYTHONHASHSEED)."""
    examples = []
    for _ in range(2):
        env = make("CartPole-v1")
        agent = CategoricalPgAgent(PgMlpModel, dict(hidden_sizes=[8], normalize_observation=True))
        agent.initialize(env.spaces)
        agent.model.train()  # as in an optimiser step, where the statistics do update
        _, _, example = build_samples_buffer(agent, env, BatchSpec(T=2, B=1))
        assert agent.model.obs_rms.count.item() == 0
        assert agent.model.training
        examples.append(example["observation"])
        env.close()
    np.testing.assert_array_equal(examples[0], examples[1])
