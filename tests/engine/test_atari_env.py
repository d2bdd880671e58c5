"""AtariEnv: preprocessing, no-op starts, lives, reward clipping, horizon, frames stored once."""

import numpy as np
import pytest

from engine.build import build_runner
from engine.envs import make
from engine.envs.atari import (
    AreaResize,
    AtariEnv,
    AtariEnvInfo,
    AtariTrajInfo,
    stack_frames,
)
from engine.spec import ExperimentSpec


def make_atari(game: str = "Breakout", seed: int = 0, **kwargs) -> AtariEnv:
    env = make(f"ALE/{game}-v5", **kwargs)
    env.seed(seed)
    return env


def test_factory_builds_preprocessed_stacks():
    env = make_atari()
    assert isinstance(env, AtariEnv)
    assert env.observation_space.shape == (4, 84, 84) and env.action_space.n == 4
    first = env.reset()
    assert first.shape == (4, 84, 84) and first.dtype == np.uint8
    assert not first[:3].any() and first[3].any()  # a new stack: older frames blank
    step = env.step(0)
    assert step.observation.shape == (4, 84, 84) and step.observation.dtype == np.uint8
    np.testing.assert_array_equal(step.observation[2], first[3])  # the stack shifted by one
    assert env.observation_space.contains(step.observation)
    assert set(step.env_info._fields) == {"timeout", "traj_done", "game_score"}
    assert env.horizon == 27_000 and env.fire_on_reset  # Breakout's action 1 is FIRE
    env.close()


def test_same_seed_same_frames():
    def trace(seed):
        env = make_atari(seed=seed)
        frames = [env.reset()]
        frames += [env.step(a % 4).observation for a in range(20)]
        return np.stack(frames)

    np.testing.assert_array_equal(trace(1), trace(1))


def test_noop_starts_vary_within_max_start_noops():
    env = make_atari("Pong", fire_on_reset=False)
    ale = env.env.unwrapped.ale
    starts = set()
    for seed in range(8):
        env.seed(seed)
        env.reset()
        starts.add(ale.getEpisodeFrameNumber())
    assert starts <= set(range(31)) and len(starts) > 2
    env = make_atari("Pong", fire_on_reset=False, max_start_noops=0)
    env.reset()
    assert env.env.unwrapped.ale.getEpisodeFrameNumber() == 0


def play_until(env, stop, max_steps=2000):
    rng = np.random.default_rng(0)
    steps = []
    for _ in range(max_steps):
        steps.append(env.step(rng.integers(env.action_space.n)))
        if stop(steps[-1]):
            return steps
    raise AssertionError("condition not reached")


def test_episodic_lives_done_on_life_loss_traj_done_at_game_over():
    env = make_atari()
    env.reset()
    ale = env.env.unwrapped.ale
    steps = play_until(env, lambda s: s.done)
    assert ale.lives() == 4
    assert not steps[-1].env_info.traj_done and not steps[-1].env_info.timeout
    steps = play_until(env, lambda s: s.env_info.traj_done)  # no reset in between
    assert ale.lives() == 0 and steps[-1].done
    assert sum(s.done for s in steps) == 4  # the other four lives

    env = make_atari(episodic_lives=False)
    env.reset()
    steps = play_until(env, lambda s: ale_lives(env) < 5)
    assert not steps[-1].done
    steps = play_until(env, lambda s: s.done)
    assert steps[-1].env_info.traj_done and ale_lives(env) == 0


def ale_lives(env):
    return env.env.unwrapped.ale.lives()


def test_rewards_are_clipped_and_game_score_is_kept():
    env = make_atari("SpaceInvaders")
    env.reset()
    steps = play_until(env, lambda s: s.env_info.game_score > 1)  # aliens are worth 5 to 30
    for s in steps:
        assert s.reward == np.sign(s.env_info.game_score)
    traj_info = AtariTrajInfo(discount=0.99)
    for s in steps:
        traj_info.step(None, 0, s.reward, s.done, s.env_info)
    assert traj_info.GameScore == sum(s.env_info.game_score for s in steps) > traj_info.Return

    env = make_atari("SpaceInvaders", clip_reward=False)
    env.reset()
    steps = play_until(env, lambda s: s.env_info.game_score > 1)
    assert steps[-1].reward == steps[-1].env_info.game_score > 1


def test_horizon_ends_the_trajectory_with_timeout():
    env = make_atari(horizon=25, episodic_lives=False)
    env.reset()
    steps = [env.step(0) for _ in range(25)]  # NOOP: Breakout never ends by itself
    assert [s.done for s in steps] == [False] * 24 + [True]
    assert steps[-1].env_info == AtariEnvInfo(timeout=True, traj_done=True, game_score=0.0)
    assert not any(s.env_info.timeout for s in steps[:-1])
    env.reset()
    assert not env.step(0).done  # the counter restarts


def test_stack_frames_rebuilds_observations_across_resets():
    """Store only each step's newest frame, as a frame buffer does, and rebuild the stacks."""
    env = make_atari(horizon=30)
    C, T = 4, 150
    observations, resets = [env.reset()], [True]
    rng = np.random.default_rng(1)
    for _ in range(T - 1):
        step = env.step(rng.integers(4))
        if step.env_info.traj_done:
            observations.append(env.reset())
        else:
            observations.append(step.observation)
        resets.append(bool(step.env_info.traj_done))
    observations = np.stack(observations)[:, None]  # [T, B=1, C, H, W]
    assert sum(resets) >= 4  # a few resets by the horizon, maybe by game over too
    # The C - 1 frames before the first step are garbage: a reset blanks them.
    garbage = np.full((C - 1, 1, 84, 84), 77, dtype=np.uint8)
    frames = np.concatenate([garbage, observations[:, :, -1]])
    reset = np.concatenate([np.zeros((C - 1, 1), bool), np.array(resets)[:, None]])
    rebuilt = stack_frames(frames, reset, num_img_obs=C)
    assert rebuilt.shape == (T, 1, C, 84, 84)
    np.testing.assert_array_equal(rebuilt, observations)


def test_stack_frames_blanks_only_frames_before_a_reset():
    frames = np.arange(1, 8, dtype=np.uint8).reshape(7, 1, 1, 1)  # frame i has value i + 1
    reset = np.zeros((7, 1), bool)
    reset[4] = True  # frame 4 is a reset observation
    stacks = stack_frames(frames, reset)[:, 0, :, 0, 0]  # [T=4, C]
    np.testing.assert_array_equal(
        stacks, [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 5, 6], [0, 5, 6, 7]]
    )


def test_runner_for_atari_evaluates_whole_games(tmp_path):
    spec = ExperimentSpec.model_validate(
        {
            "env": {"id": "ALE/Breakout-v5", "kwargs": {"horizon": 1000}},
            "algo": {"name": "PPO"},
            "sampler": {"batch_T": 4, "batch_B": 1, "eval_n_envs": 1},
            "runner": {"kind": "minibatch_eval", "n_steps": 4},
        }
    )
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    sampler = runner.sampler
    assert sampler.TrajInfoCls is AtariTrajInfo
    assert sampler.env_kwargs["horizon"] == 1000 and "episodic_lives" not in sampler.env_kwargs
    assert sampler.eval_env_kwargs == {
        "env_id": "ALE/Breakout-v5",
        "horizon": 1000,
        "episodic_lives": False,
    }


@pytest.mark.parametrize("kwarg", [{"repeat_action_probability": 0.0}, {}])
def test_sticky_actions_default_to_gymnasium_v5(kwarg):
    env = make_atari(**kwarg)
    expected = kwarg.get("repeat_action_probability", 0.25)
    assert env.env.spec.kwargs["repeat_action_probability"] == expected
    assert env.env.spec.kwargs["frameskip"] == 1


def test_area_resize_averages_the_covered_area():
    def overlap_weights(n_in, n_out):  # output pixel j covers [j, j + 1) * n_in / n_out
        span = n_in / n_out
        weights = np.zeros((n_out, n_in))
        for j in range(n_out):
            for i in range(n_in):
                weights[j, i] = max(0.0, min(i + 1, (j + 1) * span) - max(i, j * span)) / span
        return weights

    image = np.random.default_rng(0).integers(0, 256, (210, 160)).astype(np.uint8)
    expected = overlap_weights(210, 84) @ image @ overlap_weights(160, 84).T
    resized = AreaResize((210, 160), (84, 84))(image)
    assert resized.shape == (84, 84) and resized.dtype == np.uint8
    assert np.abs(resized - expected).max() <= 0.5 + 1e-3  # rounding only
    flat = AreaResize((210, 160), (84, 84))(np.full((210, 160), 200, np.uint8))
    assert (flat == 200).all()
