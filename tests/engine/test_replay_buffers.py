"""Replay buffers against brute force: n-step returns (termination, time limits, ring wrap),
sum-tree proportions and its invalid window, prioritized batches, frame stacks, resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.replays import (
    PrioritizedReplayBuffer,
    PrioritizedReplayFrameBuffer,
    SumTree,
    UniformReplayBuffer,
    UniformReplayFrameBuffer,
)
from engine.utils.collections import namedarraytuple

ToBuffer = namedarraytuple("ToBufferTest", ["observation", "action", "reward", "done", "timeout"])
ToBufferNoTl = namedarraytuple("ToBufferTestNoTl", ["observation", "action", "reward", "done"])
EXAMPLE = ToBuffer(np.zeros(2, np.float32), np.int64(0), np.float32(0), False, False)


def make_history(n_steps: int, B: int, seed: int = 0) -> ToBuffer:
    """``[n_steps, B]`` transitions: observation = (global step, column), random dones of which
    some are time-limit cuts."""
    rng = np.random.default_rng(seed)
    step = np.arange(n_steps, dtype=np.float32)[:, None].repeat(B, 1)
    column = np.arange(B, dtype=np.float32)[None].repeat(n_steps, 0)
    done = rng.random((n_steps, B)) < 0.15
    timeout = done & (rng.random((n_steps, B)) < 0.5)
    return ToBuffer(
        observation=np.stack([step, column], -1),
        action=rng.integers(1, 5, (n_steps, B)),
        reward=rng.normal(size=(n_steps, B)).astype(np.float32),
        done=done,
        timeout=timeout,
    )


def valid_rows(buf) -> np.ndarray:
    t, b, f = buf.t, buf.off_backward, buf.off_forward
    if buf._buffer_full:
        return (t + f + np.arange(buf.T - b - f)) % buf.T
    return np.arange(f, t - b)


def expected_n_step(h: ToBuffer, g: int, col: int, n: int, discount: float):
    """Brute-force (return_, done_n, timeout_n) of global step ``g`` in column ``col``."""
    ret, done_n, timeout_n = 0.0, False, False
    for k in range(n):
        ret += discount**k * h.reward[g + k, col]
        if h.done[g + k, col]:
            done_n, timeout_n = True, bool(h.timeout[g + k, col])
            break
    return ret, done_n, timeout_n


@pytest.mark.parametrize("n_step", [1, 3])
def test_n_step_returns_match_brute_force_across_the_ring_wrap(n_step):
    B, size, T_batch, discount = 2, 14, 3, 0.9  # ring T = 7: batches of 3 wrap mid-batch
    h = make_history(60, B)
    buf = UniformReplayBuffer(example=EXAMPLE, size=size, B=B, discount=discount,
                              n_step_return=n_step)
    assert buf.T == 7
    checked = 0
    for start in range(0, 60, T_batch):
        buf.append_samples(h[start : start + T_batch])
        written = start + T_batch
        rows = valid_rows(buf)
        if len(rows) == 0:
            continue
        T_idxs = np.repeat(rows, B)
        B_idxs = np.tile(np.arange(B), len(rows))
        batch = buf.extract_batch(T_idxs, B_idxs)
        g = batch.agent_inputs.observation[:, 0].numpy().astype(int)  # global step of each row
        assert np.all(g % buf.T == T_idxs) and np.all(g < written)
        assert np.all(g + n_step < written)  # the target has arrived
        for i, (gi, col) in enumerate(zip(g, B_idxs, strict=True)):
            ret, done_n, timeout_n = expected_n_step(h, gi, col, n_step, discount)
            assert batch.return_[i].item() == pytest.approx(ret, abs=1e-5)
            assert batch.done_n[i].item() == done_n
            assert batch.timeout_n[i].item() == timeout_n
            assert batch.done[i].item() == h.done[gi, col]
            assert batch.action[i].item() == h.action[gi, col]
            assert batch.target_inputs.observation[i, 0].item() == gi + n_step
            new_episode = gi == 0 or h.done[gi - 1, col]
            expected_prev = 0 if new_episode else h.action[gi - 1, col]
            assert batch.agent_inputs.prev_action[i].item() == expected_prev
            checked += 1
    assert buf._buffer_full and checked > 100
    assert batch.timeout_n.dtype == torch.float32 and batch.done_n.dtype == torch.float32


def test_n_step_return_by_hand():
    # One column, discount 0.5, n = 3: rewards 1, 2, 4, 8, 16; done at step 2 (a termination).
    ex = ToBufferNoTl(np.float32(0), np.int64(0), np.float32(0), False)
    buf = UniformReplayBuffer(example=ex, size=10, B=1, discount=0.5, n_step_return=3)
    reward = np.array([[1], [2], [4], [8], [16]], np.float32)
    done = np.array([[0], [0], [1], [0], [0]], bool)
    buf.append_samples(ToBufferNoTl(np.arange(5, dtype=np.float32)[:, None],
                                    np.zeros((5, 1), np.int64), reward, done))
    # step 0: 1 + .5*2 + .25*4 = 3 (done at 2 inside the window); step 1: 2 + .5*4 = 4 (cut)
    np.testing.assert_allclose(buf.samples_return_[:2, 0], [3.0, 4.0])
    np.testing.assert_array_equal(buf.samples_done_n[:2, 0], [True, True])
    batch = buf.extract_batch(np.array([1]), np.array([0]))
    assert "timeout_n" not in batch._fields  # no timeout stored: not time-limit aware


def test_sample_batch_only_draws_valid_rows():
    B = 3
    h = make_history(40, B)
    buf = UniformReplayBuffer(example=EXAMPLE, size=30, B=B, discount=0.99, n_step_return=2)
    with pytest.raises(ValueError):
        buf.sample_batch(4)  # empty
    for start in range(0, 40, 4):
        buf.append_samples(h[start : start + 4])
        if start >= 8:
            batch = buf.sample_batch(256)
            rows = batch.agent_inputs.observation[:, 0].numpy().astype(int) % buf.T
            assert set(rows) <= set(valid_rows(buf))


def chi_square(observed: np.ndarray, expected: np.ndarray) -> float:
    return float(((observed - expected) ** 2 / expected).sum())


def test_sum_tree_samples_in_proportion_and_zeroes_the_invalid_window():
    np.random.seed(0)
    T, B, b, f = 10, 3, 2, 1
    tree = SumTree(T, B, off_backward=b, off_forward=f, default_value=1.0)
    for step in range(7):  # advance by 3 rows at a time, wrapping the ring twice
        tree.advance(3)
        t = tree.t
        window = np.arange(t - b, t + f) % T
        assert np.all(tree.priorities[window] == 0)
        assert tree.tree[0] == pytest.approx(tree.priorities.sum())
        if step >= 4:  # wrapped: everything outside the window is on
            outside = np.setdiff1d(np.arange(T), window)
            assert np.all(tree.priorities[outside] == 1.0)
    # Distinct priorities: sample everything, then give entry (t, b) priority 1 + t * B + b.
    (T_idxs, B_idxs), _ = tree.sample(5000)
    tree.update_batch_priorities(1.0 + T_idxs * B + B_idxs)
    assert tree.tree[0] == pytest.approx(tree.priorities.sum())
    p = tree.priorities.ravel()
    (T_idxs, B_idxs), priorities = tree.sample(200_000)
    np.testing.assert_array_equal(priorities, p[T_idxs * B + B_idxs])
    counts = np.bincount(T_idxs * B + B_idxs, minlength=T * B)
    assert np.all(counts[p == 0] == 0)
    on = p > 0
    expected = p[on] / p[on].sum() * len(T_idxs)
    df = on.sum() - 1  # chi-square statistic: mean df, std sqrt(2 df); allow 5 std
    assert chi_square(counts[on], expected) < df + 5 * np.sqrt(2 * df)
    # A proportion that is clearly wrong is rejected by the same check (the check has power).
    uniform = np.full(on.sum(), len(T_idxs) / on.sum())
    assert chi_square(counts[on], uniform) > df + 5 * np.sqrt(2 * df)


def test_sum_tree_before_wrap_never_turns_on_unwritten_or_early_rows():
    tree = SumTree(8, 2, off_backward=3, off_forward=2, default_value=0.5)
    tree.advance(2)  # rows 0, 1 written; none valid yet (targets missing)
    assert tree.tree[0] == 0
    tree.advance(4)  # rows 0..5 written: valid rows [f=2, t-b=3)
    np.testing.assert_array_equal(tree.priorities[:, 0], [0, 0, 0.5, 0, 0, 0, 0, 0])


def test_prioritized_replay_weights_and_priority_updates():
    np.random.seed(1)
    B = 2
    h = make_history(40, B)
    buf = PrioritizedReplayBuffer(example=EXAMPLE, size=40, B=B, discount=0.99, n_step_return=1,
                                  alpha=0.5, beta=1.0, default_priority=4.0)
    buf.append_samples(h[:20])
    tree = buf.priority_tree
    assert np.allclose(tree.priorities[1:19], 2.0)  # default 4 ** alpha
    batch = buf.sample_batch(64)
    assert torch.allclose(batch.is_weights, torch.ones(64))  # equal priorities
    assert "timeout_n" in batch._fields
    # New priorities (raised to alpha) land on the sampled entries; weights follow them.
    T_idxs, B_idxs = np.divmod(tree.prev_tree_idxs - tree.low_idx, B)
    new = 1.0 + T_idxs + 10 * B_idxs
    buf.update_batch_priorities(torch.from_numpy(new))
    np.testing.assert_allclose(tree.priorities[T_idxs, B_idxs], new**0.5)
    batch = buf.sample_batch(256)
    T_idxs, B_idxs = np.divmod(tree.prev_tree_idxs - tree.low_idx, B)
    p = tree.priorities[T_idxs, B_idxs]
    assert len(np.unique(p)) > 3
    expected = (1 / (p + 1e-5)) / (1 / (p + 1e-5)).max()  # beta = 1
    np.testing.assert_allclose(batch.is_weights.numpy(), expected, rtol=1e-5)
    rows = batch.agent_inputs.observation[:, 0].numpy().astype(int) % buf.T
    np.testing.assert_array_equal(rows, T_idxs)


class FakeAtari:
    """AtariEnv's stack logic: a reset zeroes the stack, each step pushes a new frame; ``done``
    on a lost life (the stack goes on), ``traj_done`` at game over (the next step resets)."""

    def __init__(self, rng: np.random.Generator, C: int = 4) -> None:
        self.rng, self.stack, self.counter = rng, np.zeros((C, 2, 3), np.uint8), 0

    def push(self) -> np.ndarray:
        self.counter += 1
        self.stack[:-1] = self.stack[1:]
        self.stack[-1] = self.counter % 251 + 1  # never 0, so blanks are visible
        return self.stack.copy()

    def reset(self) -> np.ndarray:
        self.stack[:] = 0
        return self.push()


FrameToBuffer = namedarraytuple("FrameToBufferTest",
                                ["observation", "action", "reward", "done", "traj_done"])


def atari_history(n_steps: int, B: int, seed: int = 0) -> FrameToBuffer:
    rng = np.random.default_rng(seed)
    envs = [FakeAtari(rng) for _ in range(B)]
    obs = np.stack([e.reset() for e in envs])
    for e in envs:  # start mid-episode, as a decorrelated sampler does
        for _ in range(int(rng.integers(0, 5))):
            e.push()
    obs = np.stack([e.stack.copy() for e in envs])
    out = {k: [] for k in FrameToBuffer._fields}
    for _ in range(n_steps):
        done = rng.random(B) < 0.12
        traj_done = done & (rng.random(B) < 0.5)
        out["observation"].append(obs)
        out["action"].append(rng.integers(0, 6, B))
        out["reward"].append(rng.normal(size=B).astype(np.float32))
        out["done"].append(done)
        out["traj_done"].append(traj_done)
        obs = np.stack([e.reset() if td else e.push() for e, td in zip(envs, traj_done)])
    return FrameToBuffer(*(np.stack(out[k]) for k in FrameToBuffer._fields))


@pytest.mark.parametrize("Cls", [UniformReplayFrameBuffer, PrioritizedReplayFrameBuffer])
def test_frame_buffer_rebuilds_the_env_stacks(Cls):
    B, n = 3, 2
    h = atari_history(90, B)
    example = h[0, 0]
    buf = Cls(example=example, size=3 * 17, B=B, discount=0.9, n_step_return=n)
    assert buf.samples_frames.shape == (17 + 3, B, 2, 3) and buf.off_forward == 3
    checked = 0
    for start in range(0, 90, 5):
        buf.append_samples(h[start : start + 5])
        rows = valid_rows(buf)
        if len(rows) == 0:
            continue
        g_of_row = {}
        for g in range(start + 5):
            g_of_row[g % buf.T] = g
        T_idxs = np.repeat(rows, B)
        B_idxs = np.tile(np.arange(B), len(rows))
        batch = buf.extract_batch(T_idxs, B_idxs)
        g = np.array([g_of_row[r] for r in T_idxs])
        np.testing.assert_array_equal(
            batch.agent_inputs.observation.numpy(), h.observation[g, B_idxs]
        )
        np.testing.assert_array_equal(
            batch.target_inputs.observation.numpy(), h.observation[g + n, B_idxs]
        )
        checked += len(g)
    assert buf._buffer_full and checked > 500
    # Blanks were exercised: some stacks start with zero frames after a game over, and a lost
    # life alone (done without traj_done) kept its older frames.
    assert (h.observation[:, :, 0] == 0).any()
    assert (h.done & ~h.traj_done).any()
    batch = buf.sample_batch(16)
    assert batch.agent_inputs.observation.dtype == torch.uint8


@pytest.mark.parametrize("Cls", [PrioritizedReplayBuffer, PrioritizedReplayFrameBuffer])
def test_state_dict_resumes_exactly(Cls):
    if Cls is PrioritizedReplayFrameBuffer:
        h = atari_history(50, 2)
        example = h[0, 0]
    else:
        h = make_history(50, 2)
        example = EXAMPLE
    kwargs = dict(example=example, size=40, B=2, discount=0.9, n_step_return=3)
    a = Cls(**kwargs)
    a.append_samples(h[:15])
    a.append_samples(h[15:30])
    a.sample_batch(8)
    a.update_batch_priorities(np.arange(8, dtype=np.float64) + 1)
    b = Cls(**kwargs)
    b.load_state_dict(a.state_dict())
    for buf in (a, b):
        buf.append_samples(h[30:40])
        buf.append_samples(h[40:50])
    np.random.seed(3)
    batch_a = a.sample_batch(32)
    np.random.seed(3)
    batch_b = b.sample_batch(32)
    for x, y in zip(batch_a.agent_inputs, batch_b.agent_inputs):
        assert torch.equal(x, y)
    assert torch.equal(batch_a.return_, batch_b.return_)
    assert torch.equal(batch_a.is_weights, batch_b.is_weights)
