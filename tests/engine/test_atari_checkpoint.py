"""AtariEnv checkpoints: a restored env steps exactly as the original, and Atari runs save them."""

import pickle
import warnings

import numpy as np
import pytest

from engine.checkpoint import CHECKPOINT_NAME, load_checkpoint
from engine.cli import main
from engine.envs import make
from tests.engine.test_train_cli import write_spec


def play(env, actions):
    """Step ``actions``, resetting after a game's end as the collector does."""
    trace = []
    for action in actions:
        step = env.step(action)
        trace.append((step.observation, step.reward, step.done, tuple(step.env_info)))
        if step.env_info.traj_done:
            trace.append((env.reset(), None, None, None))
    return trace


def assert_same_trace(trace, expected):
    assert len(trace) == len(expected)
    for (obs, *rest), (expected_obs, *expected_rest) in zip(trace, expected, strict=True):
        np.testing.assert_array_equal(obs, expected_obs)
        assert rest == expected_rest


@pytest.mark.parametrize(
    "game, kwargs",
    [
        # sticky actions (0.25), a short horizon: resets (no-op starts) after the restore
        ("Pong", {"horizon": 40}),
        # FIRE on reset and after each lost life, episodic lives
        ("Breakout", {"horizon": 150}),
    ],
)
def test_restored_env_steps_identically(game, kwargs):
    env = make(f"ALE/{game}-v5", **kwargs)
    env.seed(3)
    env.reset()
    rng = np.random.default_rng(0)
    play(env, rng.integers(env.action_space.n, size=57))
    state = pickle.loads(pickle.dumps(env.state_dict()))  # torch.save pickles checkpoints
    actions = rng.integers(env.action_space.n, size=120)
    expected = play(env, actions)
    samples = [env.action_space.sample() for _ in range(5)]
    assert any(step[1] is None for step in expected)  # a reset happened after the restore

    fresh = make(f"ALE/{game}-v5", **kwargs)  # never seeded nor reset
    fresh.load_state_dict(state)
    assert_same_trace(play(fresh, actions), expected)
    assert [fresh.action_space.sample() for _ in range(5)] == samples
    env.close()
    fresh.close()


def test_state_of_a_seeded_env_not_yet_reset():
    env = make("ALE/Pong-v5")
    env.seed(5)
    fresh = make("ALE/Pong-v5")
    fresh.load_state_dict(pickle.loads(pickle.dumps(env.state_dict())))
    np.testing.assert_array_equal(fresh.reset(), env.reset())
    assert_same_trace(play(fresh, [2, 3] * 10), play(env, [2, 3] * 10))


def test_state_is_a_copy():
    env = make("ALE/Pong-v5")
    env.seed(0)
    env.reset()
    state = env.state_dict()
    stack = state["stack"].copy()
    play(env, [2] * 10)
    np.testing.assert_array_equal(state["stack"], stack)


def test_atari_run_writes_a_checkpoint(tmp_path):
    spec = write_spec(
        tmp_path / "spec.yaml",
        env={"id": "ALE/Pong-v5"},
        model={},
        sampler={"kind": "serial", "batch_T": 32, "batch_B": 2},
        runner={
            "kind": "minibatch",
            "n_steps": 512,
            "log_interval_steps": 256,
            "checkpoint_interval_steps": 256,
        },
    )
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="checkpoints are off")
        assert main(["train", str(spec), "--out", str(out)]) == 0
    assert (out / CHECKPOINT_NAME).exists()
    checkpoint = load_checkpoint(out)
    assert checkpoint["counters"]["cum_steps"] == 512
    assert len(checkpoint["sampler"]["envs"]) == 2
