"""Atari 2600 games (``ALE/*-v5``) with the standard DQN preprocessing (rlpyt ``envs/atari``).

Differences from rlpyt's ``AtariEnv``, all towards today's common protocol (Machado et al.
2018, gymnasium's ``AtariPreprocessing``): frames are 84x84 (rlpyt: 104x80 crops), sticky
actions stay at gymnasium v5's ``repeat_action_probability=0.25`` (rlpyt: 0), and FIRE on reset
is on by default for games whose second action is FIRE (rlpyt: off). The stored-once frame
layout that replay buffers need is ``stack_frames`` at the end of this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ale_py
import gymnasium
import numpy as np

from engine.envs.base import Env, EnvStep
from engine.samplers.collections import TrajInfo
from engine.utils.collections import namedarraytuple

# game_score: the unclipped reward of the step; traj_done: game over (``done`` may also mean a
# lost life); timeout: the horizon, not the game, ended the trajectory.
AtariEnvInfo = namedarraytuple("AtariEnvInfo", ["timeout", "traj_done", "game_score"])

NOOP, FIRE = 0, 1
FRAME_SHAPE = (84, 84)


class AtariTrajInfo(TrajInfo):
    """Adds ``GameScore``, the game's unclipped score over the whole game (all lives)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.GameScore = 0.0

    def step(self, observation: Any, action: Any, reward: float, done: bool, env_info: Any) -> None:
        super().step(observation, action, reward, done, env_info)
        self.GameScore += float(env_info.game_score)


class AreaResize:
    """Shrink ``[H, W]`` images to ``out_shape`` by area averaging: each output pixel is the
    mean of the input area it covers, partial pixels pro rata (OpenCV's ``INTER_AREA``).

    Computed from prefix sums, one axis at a time, in float32: no BLAS call, whose threads
    fight over the cores with the sampler's other work.
    """

    def __init__(self, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> None:
        self._axes = [self._edges(n_in, n_out) for n_in, n_out in zip(in_shape, out_shape)]

    @staticmethod
    def _edges(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Output pixel j covers input span ``[edge_j, edge_j+1)``; an edge is an input index
        plus a fraction of that pixel."""
        edges = np.linspace(0.0, n_in, n_out + 1)
        index = np.minimum(edges.astype(np.int64), n_in - 1)
        return index, (edges - index).astype(np.float32)[:, None], n_out / n_in

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """``[H, W]`` -> ``[*out_shape]`` uint8."""
        x = image.astype(np.float32)
        for index, fraction, scale in self._axes:  # rows, then columns (transposed twice)
            before = np.cumsum(x, axis=0) - x  # sum of the rows before each row
            at_edges = before[index] + fraction * x[index]
            x = ((at_edges[1:] - at_edges[:-1]) * scale).T
        return np.rint(x).astype(np.uint8)


class AtariEnv(Env):
    """One ALE game, stepped ``frame_skip`` frames per action, observed as ``[num_img_obs, 84,
    84]`` uint8 grayscale stacks, oldest frame first.

    * The ALE env is made with ``frameskip=1`` and ``obs_type="grayscale"``; this class skips
      frames, max-pools the last two (sprites flicker between frames) and area-resizes to 84x84
      in numpy. Not with OpenCV even where it is installed: its rounding differs slightly, and a
      spec should see the same frames on every worker.
    * ``reset`` takes 0..``max_start_noops`` NOOP frames, then FIRE if ``fire_on_reset``
      (``None``: when the game's action 1 is FIRE, e.g. Breakout), and starts a new stack whose
      older frames are zero.
    * ``episodic_lives`` (training): a lost life is ``done`` but not ``traj_done``; the game goes
      on without a reset, so the collector keeps stepping it. Evaluate with ``False``.
    * ``clip_reward``: the reward is the sign of the step's score; ``env_info.game_score`` keeps
      the score itself.
    * ``horizon`` agent steps (27 000 = 108 000 frames, 30 minutes of play) end a trajectory with
      ``timeout``; so does ALE's own frame limit (``max_num_frames_per_episode``).
    * ``kwargs`` go to ``gymnasium.make`` (e.g. ``full_action_space``, ``mode``).
    * ``state_dict`` / ``load_state_dict`` save and restore the game mid-episode exactly: the
      emulator with its RNG (sticky actions), the frames and counters of this class, and every
      generator; restored into an env built with the same arguments, it steps identically.
    """

    def __init__(
        self,
        env_id: str = "ALE/Pong-v5",
        frame_skip: int = 4,
        num_img_obs: int = 4,
        clip_reward: bool = True,
        episodic_lives: bool = True,
        fire_on_reset: bool | None = None,
        max_start_noops: int = 30,
        # gymnasium v5's default (sticky actions), not rlpyt's 0: the protocol results are
        # compared under today.
        repeat_action_probability: float = 0.25,
        horizon: int = 27_000,
        **kwargs: Any,
    ) -> None:
        self.env = gymnasium.make(
            env_id,
            frameskip=1,
            obs_type="grayscale",
            repeat_action_probability=repeat_action_probability,
            **kwargs,
        )
        self._ale = self.env.unwrapped.ale
        if fire_on_reset is None:
            meanings = self.env.unwrapped.get_action_meanings()
            fire_on_reset = len(meanings) > FIRE and meanings[FIRE] == "FIRE"
        self.frame_skip = frame_skip
        self.num_img_obs = num_img_obs
        self.clip_reward = clip_reward
        self.episodic_lives = episodic_lives
        self.fire_on_reset = fire_on_reset
        self.max_start_noops = max_start_noops
        self._horizon = horizon
        self.action_space = self.env.action_space
        self.observation_space = gymnasium.spaces.Box(
            0, 255, (num_img_obs, *FRAME_SHAPE), dtype=np.uint8
        )
        height, width = self.env.observation_space.shape
        self._resize = AreaResize((height, width), FRAME_SHAPE)
        self._raw_frames = np.zeros((2, height, width), dtype=np.uint8)  # the last two frames
        self._n_frames = 0
        self._stack = np.zeros(self.observation_space.shape, dtype=np.uint8)
        self._rng = np.random.default_rng()
        self._pending_seed: int | None = None
        self._lives = 0
        self._step_counter = 0

    def _record_frame(self, frame: np.ndarray) -> None:
        self._raw_frames[self._n_frames % 2] = frame
        self._n_frames += 1

    def _act(self, action: int) -> tuple[float, bool, bool]:
        """``action`` for ``frame_skip`` frames; ``(score, terminated, truncated)``."""
        score, terminated, truncated = 0.0, False, False
        for _ in range(self.frame_skip):
            frame, reward, terminated, truncated, _ = self.env.step(action)
            self._record_frame(frame)
            score += float(reward)
            if terminated or truncated:
                break
        return score, terminated, truncated

    def _push_frame(self) -> np.ndarray:
        """Max-pool the last two frames, resize, append to the stack; return a copy of it."""
        self._stack[:-1] = self._stack[1:]
        self._stack[-1] = self._resize(np.maximum(self._raw_frames[0], self._raw_frames[1]))
        return self._stack.copy()

    def reset(self) -> np.ndarray:
        frame, _ = self.env.reset(seed=self._pending_seed)
        self._pending_seed = None
        self._raw_frames[:] = frame
        for _ in range(self._rng.integers(0, self.max_start_noops + 1)):
            frame, _, terminated, truncated, _ = self.env.step(NOOP)
            if terminated or truncated:
                frame, _ = self.env.reset()
            self._record_frame(frame)
        if self.fire_on_reset:
            self._act(FIRE)
        self._lives = self._ale.lives()
        self._step_counter = 0
        self._stack[:] = 0
        return self._push_frame()

    def step(self, action: Any) -> EnvStep:
        game_score, terminated, truncated = self._act(int(action))
        self._step_counter += 1
        lives = self._ale.lives()
        lost_life = lives < self._lives
        self._lives = lives
        timeout = (truncated or self._step_counter >= self._horizon) and not terminated
        game_over = terminated or timeout
        if lost_life and self.fire_on_reset and not game_over:
            self._act(FIRE)  # the game waits for FIRE after a lost life, as after a reset
        reward = float(np.sign(game_score)) if self.clip_reward else game_score
        done = game_over or (self.episodic_lives and lost_life)
        return EnvStep(
            self._push_frame(), reward, done, AtariEnvInfo(timeout, game_over, game_score)
        )

    def seed(self, seed: int) -> None:
        self._pending_seed = seed
        self._rng = np.random.default_rng(seed)
        self.action_space.seed(seed)

    def state_dict(self) -> dict[str, Any]:
        """The emulator (``cloneState(include_rng=True)``, serialised to bytes), the frames and
        counters of this class and the generators' states: picklable copies, no live objects."""
        unwrapped = self.env.unwrapped
        return {
            "ale": self._ale.cloneState(include_rng=True).serialize(),
            "has_reset": _has_reset(self.env),
            "raw_frames": self._raw_frames.copy(),
            "n_frames": self._n_frames,
            "stack": self._stack.copy(),
            "lives": self._lives,
            "step_counter": self._step_counter,
            "pending_seed": self._pending_seed,
            "rng": self._rng.bit_generator.state,
            "env_np_random": unwrapped.np_random.bit_generator.state,
            "env_np_random_seed": getattr(unwrapped, "_np_random_seed", None),
            "action_space_rng": self.action_space.np_random.bit_generator.state,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned, into an env built with the same arguments."""
        if self._raw_frames.shape != state["raw_frames"].shape or (
            self._stack.shape != state["stack"].shape
        ):
            raise ValueError("the state comes from an AtariEnv built with other arguments")
        self._ale.restoreState(ale_py.ALEState(state["ale"]))
        _set_has_reset(self.env, state["has_reset"])
        self._raw_frames[:] = state["raw_frames"]
        self._n_frames = int(state["n_frames"])
        self._stack[:] = state["stack"]
        self._lives = int(state["lives"])
        self._step_counter = int(state["step_counter"])
        self._pending_seed = state["pending_seed"]
        self._rng.bit_generator.state = state["rng"]
        unwrapped = self.env.unwrapped
        unwrapped.np_random.bit_generator.state = state["env_np_random"]
        if hasattr(unwrapped, "_np_random_seed"):
            unwrapped._np_random_seed = state["env_np_random_seed"]
        self.action_space.np_random.bit_generator.state = state["action_space_rng"]

    @property
    def horizon(self) -> int:
        return self._horizon

    def close(self) -> None:
        self.env.close()


def _wrapper(env: gymnasium.Env, cls: type) -> gymnasium.Wrapper | None:
    """The wrapper of type ``cls`` around ``env`` (``gymnasium.make`` adds a few), if any."""
    while isinstance(env, gymnasium.Wrapper):
        if isinstance(env, cls):
            return env
        env = env.env
    return None


def _has_reset(env: gymnasium.Env) -> bool:
    """Whether ``env`` was reset (``OrderEnforcing`` refuses ``step`` before ``reset``)."""
    wrapper = _wrapper(env, gymnasium.wrappers.OrderEnforcing)
    return True if wrapper is None else bool(wrapper.has_reset)


def _set_has_reset(env: gymnasium.Env, has_reset: bool) -> None:
    """Mark ``env``, restored from a state, as reset or not. A reset env also skips
    ``PassiveEnvChecker``'s first-call checks: the original env ran them, and they expect the
    reset's data before the first step."""
    order = _wrapper(env, gymnasium.wrappers.OrderEnforcing)
    if order is not None:
        order._has_reset = has_reset
    checker = _wrapper(env, gymnasium.wrappers.PassiveEnvChecker)
    if checker is not None and has_reset:
        checker.checked_reset = checker.checked_step = checker.checked_data_reuse = True
        checker._previous_data = None


def stack_frames(frames: np.ndarray, reset: np.ndarray, num_img_obs: int = 4) -> np.ndarray:
    """Rebuild frame stacks from frames stored once per step (rlpyt ``FrameBufferMixin``).

    A frame buffer stores only ``observation[-1]``, the newest frame of each step's
    observation, so ``[T + C - 1, B, H, W]`` frames hold ``T`` steps plus the ``C - 1 =
    num_img_obs - 1`` frames before the first. ``reset [T + C - 1, B]`` is True where a frame
    starts an episode (``reset[i + 1] = env_info.traj_done[i]``: the observation after a
    trajectory's end is a reset). Returns ``[T, B, C, H, W]`` stacks, oldest frame first, with
    frames from before a reset zeroed, exactly as ``AtariEnv`` starts its stacks.
    """
    T = frames.shape[0] - num_img_obs + 1
    stacks = np.stack([frames[k : k + T] for k in range(num_img_obs)], axis=2)
    reset_later = np.zeros(stacks.shape[:2], dtype=bool)  # [T, B]: a reset after slot k
    for k in range(num_img_obs - 2, -1, -1):
        reset_later |= reset[k + 1 : k + 1 + T]
        stacks[:, :, k][reset_later] = 0
    return stacks
