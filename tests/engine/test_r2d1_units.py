"""R2D1 pieces: value rescaling, sequence replay alignment and returns, frame sequences,
sequence priorities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.algos.dqn.r2d1 import R2D1, inverse_value_rescale, value_rescale
from engine.envs.atari import stack_frames
from engine.models.dqn.r2d1 import RnnState
from engine.replays.sequence import (
    PrioritizedSequenceReplayBuffer,
    PrioritizedSequenceReplayFrameBuffer,
    UniformSequenceReplayBuffer,
    UniformSequenceReplayFrameBuffer,
)
from engine.utils.collections import namedarraytuple

ToBuffer = namedarraytuple(
    "ToBuffer", ["observation", "action", "reward", "done", "timeout", "prev_rnn_state"]
)
B, H, INTERVAL, DISCOUNT, N_STEP, SEQ_T = 3, 2, 4, 0.5, 3, 6


def test_value_rescale_round_trip() -> None:
    x = torch.cat([torch.linspace(-1e4, 1e4, 10_001), torch.linspace(-2, 2, 4_001)]).double()
    for eps in (1e-3, 1e-2):
        assert torch.allclose(inverse_value_rescale(value_rescale(x, eps), eps), x, rtol=1e-9,
                              atol=1e-9)
        z = value_rescale(x, eps)
        assert torch.allclose(value_rescale(inverse_value_rescale(z, eps), eps), z, rtol=1e-9,
                              atol=1e-9)
    # h squashes: h(99) = sqrt(100) - 1 + eps * 99
    assert value_rescale(torch.tensor(99.0), 1e-3).item() == pytest.approx(9 + 0.099)


def _episodes(n_steps: int) -> dict[str, np.ndarray]:
    """A stream of ``[n_steps, B]`` steps: step ``k`` of column ``b`` has the id ``k + 1000 b``
    as observation, reward and RNN state; episodes end every 7 steps (the one ending at
    k % 11 == 10 by a time limit)."""
    k = np.arange(n_steps)[:, None] + 1000 * np.arange(B)[None]
    done = (k % 7 == 6) | (k % 11 == 10)
    return dict(
        ids=k,
        observation=k.astype(np.float32)[..., None].repeat(2, -1),
        action=k.astype(np.int64),
        reward=k.astype(np.float32),
        done=done,
        timeout=(k % 11 == 10) & ~(k % 7 == 6),
        h=k.astype(np.float32)[..., None].repeat(H, -1),
    )


def _batch(stream: dict[str, np.ndarray], start: int, T: int) -> ToBuffer:
    s = {key: value[start : start + T] for key, value in stream.items()}
    return ToBuffer(
        s["observation"], s["action"], s["reward"], s["done"], s["timeout"],
        RnnState(h=s["h"], c=-s["h"]),
    )


def _expected_returns(stream: dict[str, np.ndarray], ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """n-step return, done_n and timeout_n of the steps ``ids`` (column ``id // 1000``)."""
    t, b = ids % 1000, ids // 1000
    return_, done_n, timeout_n = np.zeros(ids.shape), np.zeros(ids.shape, bool), np.zeros(
        ids.shape, bool
    )
    alive = np.ones(ids.shape, bool)
    for j in range(N_STEP):
        return_ += alive * DISCOUNT**j * stream["reward"][t + j, b]
        timeout_n |= alive & stream["timeout"][t + j, b]
        done_n |= alive & stream["done"][t + j, b]
        alive &= ~stream["done"][t + j, b]
    return return_, done_n, timeout_n


def _example() -> ToBuffer:
    return ToBuffer(
        np.zeros(2, np.float32), np.int64(0), np.float32(0), False, False,
        RnnState(np.zeros(H, np.float32), np.zeros(H, np.float32)),
    )


@pytest.mark.parametrize("prioritized", [False, True])
@pytest.mark.parametrize("sampler_T", [4, 3])  # aligned with the RNN-state interval, and not
def test_sequence_replay_alignment_and_returns(prioritized: bool, sampler_T: int) -> None:
    np.random.seed(0)
    Cls = PrioritizedSequenceReplayBuffer if prioritized else UniformSequenceReplayBuffer
    kwargs = dict(input_priorities=True, input_priority_shift=1) if prioritized else {}
    buffer = Cls(
        example=_example(), size=B * 30, B=B, rnn_state_interval=INTERVAL, batch_T=SEQ_T,
        discount=DISCOUNT, n_step_return=N_STEP, **kwargs,
    )
    assert buffer.T == 32  # rounded up to a multiple of the interval
    stream = _episodes(600)
    seen_starts = set()
    for itr in range(120):  # wraps the ring about 11 times
        batch = _batch(stream, itr * sampler_T, sampler_T)
        if prioritized:
            buffer.append_samples(batch, np.ones(B))
        else:
            buffer.append_samples(batch)
        newest = (itr + 1) * sampler_T - 1
        if newest + 1 < SEQ_T + N_STEP + 3 * INTERVAL:  # see PrioritizedSequenceReplay
            continue
        s = buffer.sample_batch(16)
        ids = s.all_observation[..., 0].numpy().astype(np.int64)  # [SEQ_T + N_STEP, 16]
        assert s.all_observation.shape == (SEQ_T + N_STEP, 16, 2)
        # Consecutive steps of one column, all written, none older than the ring holds.
        assert (np.diff(ids, axis=0) == 1).all()
        assert (ids[-1] % 1000 <= newest).all()
        assert (ids[0] % 1000 >= newest + 1 - buffer.T + 1).all()  # its prev_action is kept
        # Sequences start where a state is stored, and get that state.
        assert (ids[0] % INTERVAL == 0).all()
        seen_starts.update((ids[0] % 1000).tolist())
        np.testing.assert_array_equal(s.init_rnn_state.h.numpy(), ids[0][:, None].repeat(H, 1))
        np.testing.assert_array_equal(s.init_rnn_state.c.numpy(), -ids[0][:, None].repeat(H, 1))
        # Previous actions and rewards are the steps before.
        np.testing.assert_array_equal(s.all_action.numpy(), ids - 1)
        np.testing.assert_array_equal(s.all_reward.numpy(), ids - 1)
        return_, done_n, timeout_n = _expected_returns(stream, ids[:SEQ_T])
        np.testing.assert_allclose(s.return_.numpy(), return_, rtol=1e-6)
        np.testing.assert_array_equal(s.done_n.numpy(), done_n)
        np.testing.assert_array_equal(s.timeout_n.numpy(), timeout_n)
        np.testing.assert_array_equal(s.done.numpy(), stream["done"][ids[:SEQ_T] % 1000,
                                                                     ids[:SEQ_T] // 1000])
        if prioritized:
            assert s.is_weights.shape == (16,)
            buffer.update_batch_priorities(np.random.rand(16) + 0.1)
    assert len(seen_starts) > 30  # sampling covers the ring, not a few starts


def test_prioritized_sequence_input_priorities_go_to_the_shifted_slot() -> None:
    """With input priorities, the sequence that starts ``shift`` slots before a batch gets that
    batch's priority (to the power alpha), and sampling follows it."""
    np.random.seed(0)
    buffer = PrioritizedSequenceReplayBuffer(
        example=_example(), size=B * 400, B=B, rnn_state_interval=INTERVAL, batch_T=SEQ_T,
        discount=DISCOUNT, n_step_return=N_STEP, alpha=0.5, input_priorities=True,
        input_priority_shift=1,
    )
    stream = _episodes(200)
    for itr in range(40):
        # Column 2 of batch 20 (rows 80..83) alone is "surprising".
        priorities = np.full(B, 1e-6)
        if itr == 20:
            priorities[2] = 100.0
        buffer.append_samples(_batch(stream, itr * INTERVAL, INTERVAL), priorities)
    tree = buffer.priority_tree
    assert tree.priorities[19, 2] == pytest.approx(10.0)  # 100 ** 0.5, slot 20 - 1
    s = buffer.sample_batch(200)
    starts = s.all_observation[0, :, 0].numpy().astype(np.int64)
    assert (starts == 1000 * 2 + 19 * INTERVAL).mean() > 0.95


@pytest.mark.parametrize("prioritized", [False, True])
def test_frame_sequence_replay_rebuilds_stacks(prioritized: bool) -> None:
    """Frame buffers store one frame a step; replayed stacks equal the env's, zeroed before a
    reset, across the ring wrap."""
    np.random.seed(1)
    C, n_steps, T = 4, 240, 5
    frames = np.random.randint(1, 255, size=(n_steps, B, 3, 3), dtype=np.uint8)
    done = np.random.rand(n_steps, B) < 0.08
    reset = np.zeros((n_steps + C - 1, B), bool)
    reset[C:] = done[:-1]  # frame j + C - 1 is step j's newest; reset after a done
    padded = np.concatenate([np.zeros((C - 1, B, 3, 3), np.uint8), frames])
    stacks = stack_frames(padded, reset, C)  # [n_steps, B, C, 3, 3], the env's observations
    Example = namedarraytuple("FrameToBuffer", ["observation", "action", "reward", "done",
                                                "prev_rnn_state"])
    example = Example(stacks[0, 0], np.int64(0), np.float32(0), False,
                      RnnState(np.zeros(H, np.float32), np.zeros(H, np.float32)))
    Cls = PrioritizedSequenceReplayFrameBuffer if prioritized else UniformSequenceReplayFrameBuffer
    buffer = Cls(example=example, size=B * 40, B=B, rnn_state_interval=INTERVAL, batch_T=SEQ_T,
                 discount=DISCOUNT, n_step_return=N_STEP)
    step_ids = np.arange(n_steps)[:, None] + 1000 * np.arange(B)[None]  # column in the id
    for start in range(0, n_steps, T):
        sl = slice(start, start + T)
        buffer.append_samples(Example(
            stacks[sl], step_ids[sl], step_ids[sl].astype(np.float32), done[sl],
            RnnState(np.zeros((T, B, H), np.float32), np.zeros((T, B, H), np.float32)),
        ))
        if start < 40:
            continue
        s = buffer.sample_batch(8)
        ids = s.all_action.numpy() + 1  # the previous steps' ids, plus one
        replayed = s.all_observation.numpy()
        np.testing.assert_array_equal(replayed, stacks[ids % 1000, ids // 1000])
        assert (replayed[:, :, :-1] == 0).any()  # some stacks were blanked


def test_eta_mixed_priorities_by_hand() -> None:
    algo = R2D1(pri_eta=0.9)
    td = torch.tensor([[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]])
    valid = torch.tensor([[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]])  # column 0 ended at step 1
    # column 0: max 3, mean 2; column 1: max 4, mean 2
    np.testing.assert_allclose(algo.mix_priorities(td, valid).numpy(), [2.9, 3.8], rtol=1e-6)


def test_input_priorities_from_recorded_q_by_hand() -> None:
    """n-step TD errors of the sampler's Q values: ``y_t = h(r_t + g r_{t+1} + g^2
    h^-1(max_a Q_{t+2}))`` against ``Q_t(a_t)``, for the steps whose ``Q_{t+2}`` is in the
    batch, mixed with eta; a done ends a column's valid steps."""
    from engine.agents.dqn.r2d1_agent import AgentInfo
    from engine.samplers.collections import AgentSamples, EnvSamples, Samples

    EnvInfo = namedarraytuple("EnvInfo", ["timeout", "traj_done"])
    algo = R2D1(discount=0.5, n_step_return=2, pri_eta=0.9, value_scale_eps=1e-3)
    q = torch.tensor([[[0.0, 1.0], [2.0, 0.5]], [[1.5, 3.0], [1.0, 0.0]],
                      [[0.2, 0.4], [0.0, 2.5]], [[4.0, 1.0], [1.0, 1.0]]])  # [T=4, B=2, A=2]
    action = torch.tensor([[1, 0], [0, 0], [1, 1], [0, 0]])
    reward = torch.tensor([[1.0, 0.0], [2.0, 1.0], [3.0, 1.0], [4.0, 1.0]])
    done = torch.tensor([[False, False], [False, True], [False, False], [False, False]])
    samples = Samples(
        agent=AgentSamples(action, None, AgentInfo(q, None), None),
        env=EnvSamples(None, reward, None, done, EnvInfo(done & False, done)),
    )

    def h(x: float) -> float:
        return value_rescale(torch.tensor(x, dtype=torch.float64), 1e-3).item()

    def h_inv(x: float) -> float:
        return inverse_value_rescale(torch.tensor(x, dtype=torch.float64), 1e-3).item()

    # Column 0: steps 0 and 1, bootstrapped from max Q at steps 2 and 3.
    d00 = abs(1.0 - h(1 + 0.5 * 2 + 0.25 * h_inv(0.4)))
    d01 = abs(1.5 - h(2 + 0.5 * 3 + 0.25 * h_inv(4.0)))
    # Column 1: step 0 sees the done at step 1 (no bootstrap); step 1 is the done itself.
    d10 = abs(2.0 - h(0 + 0.5 * 1))
    d11 = abs(1.0 - h(1.0))
    expected = [0.9 * max(d00, d01) + 0.1 * (d00 + d01) / 2,
                0.9 * max(d10, d11) + 0.1 * (d10 + d11) / 2]
    np.testing.assert_allclose(algo.compute_input_priorities(samples), expected, rtol=1e-4)


def test_agent_keeps_an_lstm_state_per_env_and_mode() -> None:
    """Stepping envs 0-1 and 2-3 separately (the alternating sampler's groups) equals stepping
    all four at once; ``reset_one`` zeroes one env's state; evaluation has its own states."""
    import gymnasium

    from engine.agents.dqn.r2d1_agent import R2d1Agent
    from engine.envs.base import EnvSpaces
    from engine.models.dqn.r2d1 import R2d1Model

    torch.manual_seed(0)
    spaces = EnvSpaces(gymnasium.spaces.Box(-1, 1, (3,)), gymnasium.spaces.Discrete(2))
    agent = R2d1Agent(R2d1Model, dict(hidden_sizes=[8], lstm_size=4, head_sizes=[4]))
    agent.initialize(spaces)
    agent.sample_mode(0)
    obs, action, reward = torch.randn(5, 4, 3), torch.randint(2, (5, 4)), torch.randn(5, 4)
    together, split = [], []
    for t in range(5):
        together.append(agent.step(obs[t], action[t], reward[t]).agent_info)
    agent.reset()
    for t in range(5):
        first = agent.step(obs[t, :2], action[t, :2], reward[t, :2]).agent_info
        second = agent.step(obs[t, 2:], action[t, 2:], reward[t, 2:], env_start=2).agent_info
        split.append([first, second])
    for t in range(5):
        for field in ("h", "c"):
            whole = getattr(together[t].prev_rnn_state, field)
            halves = torch.cat([getattr(half.prev_rnn_state, field) for half in split[t]])
            torch.testing.assert_close(halves, whole)
        torch.testing.assert_close(torch.cat([half.q for half in split[t]]), together[t].q)
    assert together[-1].prev_rnn_state.h.abs().min() > 0

    agent.reset_one(1)
    info = agent.step(obs[0], action[0], reward[0]).agent_info
    assert (info.prev_rnn_state.h[1] == 0).all() and (info.prev_rnn_state.h[0] != 0).all()

    sample_state = agent.state_dict()["rnn_state"]["sample"].h.clone()
    agent.eval_mode(1)
    agent.reset()
    assert (agent.step(obs[0], action[0], reward[0]).agent_info.prev_rnn_state.h == 0).all()
    agent.sample_mode(2)
    torch.testing.assert_close(agent.state_dict()["rnn_state"]["sample"].h, sample_state)
