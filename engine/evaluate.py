"""``rlboard evaluate CHECKPOINT [--episodes N] [--video FILE] [--json FILE]``.

Plays N episodes with the agent of a checkpoint in eval mode (greedy or the algorithm's eval
exploration, as ``agent.eval_mode`` sets it) and prints each return. The run's ``spec.json``
beside the checkpoint says how to rebuild the environment and the agent. ``--video`` records
the first episode from ``render_mode="rgb_array"`` frames with imageio: MP4 when imageio's
ffmpeg plugin (``imageio_ffmpeg``) is installed, else an animated GIF (the file's suffix then
becomes ``.gif``). MuJoCo renders offscreen through EGL (``MUJOCO_GL=egl`` unless set; OSMesa
does not work on the reference machine).
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine.build import build_agent_and_algo  # noqa: E402
from engine.checkpoint import CHECKPOINT_VERSION  # noqa: E402
from engine.envs.base import null_value  # noqa: E402
from engine.envs.gym import is_atari, make  # noqa: E402
from engine.spec import load_spec  # noqa: E402
from engine.utils.buffer import numpify_buffer, torchify_buffer  # noqa: E402

DEFAULT_FPS = 30


def evaluate(
    checkpoint_path: str | Path, episodes: int = 5, video: str | Path | None = None,
    seed: int = 0, max_episode_steps: int = 100_000,
) -> tuple[list[float], Path | None]:
    """Returns of ``episodes`` episodes of the checkpoint's agent (env seeds ``seed + i``),
    and the video file of the first one if ``video`` was asked for (its suffix may change to
    ``.gif``, see the module docstring). Atari returns are game scores (unclipped, whole
    games)."""
    checkpoint_path = Path(checkpoint_path)
    spec = load_spec(checkpoint_path.parent / "spec.json")
    # weights_only=False: the checkpoint also pickles environments; it is the run's own file.
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    if checkpoint.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{checkpoint_path}: checkpoint version {checkpoint.get('version')}, "
                         f"this engine reads {CHECKPOINT_VERSION}")
    env_kwargs: dict[str, Any] = dict(spec.env.kwargs)
    atari = is_atari(spec.env.id)
    if atari:
        env_kwargs["episodic_lives"] = False
    if video is not None:
        env_kwargs["render_mode"] = "rgb_array"
    env = make(env_id=spec.env.id, **env_kwargs)
    agent, _ = build_agent_and_algo(spec, env.spaces)
    agent.initialize(env.spaces)
    agent.load_state_dict(checkpoint["agent"])
    agent.eval_mode(checkpoint["counters"]["itr"])

    returns: list[float] = []
    frames: list[np.ndarray] = []
    for episode in range(episodes):
        env.seed(seed + episode)
        observation = env.reset()
        agent.reset()
        prev_action = null_value(env.action_space)
        prev_reward = np.zeros((), dtype=np.float32)
        total, done, steps = 0.0, False, 0
        while not done and steps < max_episode_steps:
            if video is not None and episode == 0:
                frames.append(_render(env))
            inputs = torchify_buffer(_batch_of_one((observation, prev_action, prev_reward)))
            with torch.no_grad():
                step = agent.step(*inputs)
            action = numpify_buffer(step.action)[0]
            observation, reward, done, env_info = env.step(action)
            total += float(getattr(env_info, "game_score", reward) if atari else reward)
            prev_action, prev_reward = action, np.asarray(reward, dtype=np.float32)
            steps += 1
        returns.append(total)
    path = None if video is None else write_video(frames, Path(video), _fps(env))
    env.close()
    return returns, path


def _batch_of_one(value: Any) -> Any:
    """``value`` (arrays, possibly in namedarraytuples or tuples) with a leading dim of 1."""
    if isinstance(value, tuple):
        return type(value)(*(_batch_of_one(v) for v in value)) if hasattr(value, "_fields") \
            else tuple(_batch_of_one(v) for v in value)
    return np.asarray(value)[None]


def _gym_env(env: Any) -> Any:
    """The gymnasium environment inside an engine ``Env`` (GymEnvWrapper, AtariEnv)."""
    return env.env


def _render(env: Any) -> np.ndarray:
    return np.asarray(_gym_env(env).render(), dtype=np.uint8)


def _fps(env: Any) -> int:
    return int(_gym_env(env).metadata.get("render_fps") or DEFAULT_FPS)


def can_write_mp4() -> bool:
    """Whether imageio's ffmpeg plugin is installed (it ships its own ffmpeg binary)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def write_video(frames: Sequence[np.ndarray], path: Path, fps: int) -> Path:
    """Write ``frames`` ([H, W, 3] uint8) to ``path`` as MP4 if possible, else as a GIF next
    to it; returns the file written."""
    import imageio.v3 as iio

    if not frames:
        raise ValueError("no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".mp4" and can_write_mp4():
        iio.imwrite(path, np.stack(frames), fps=fps, codec="libx264", macro_block_size=1)
        return path
    path = path.with_suffix(".gif")
    iio.imwrite(path, np.stack(frames), duration=1000 / fps, loop=0)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rlboard evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path, help="a run's checkpoint.pt (spec.json beside)")
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="episode i uses env seed SEED + i")
    parser.add_argument("--video", type=Path, help="record the first episode (.mp4 or .gif)")
    parser.add_argument("--json", type=Path, help="also write {returns, video} to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    returns, video = evaluate(args.checkpoint, args.episodes, args.video, args.seed)
    for index, value in enumerate(returns):
        print(f"episode {index}: return {value:g}")
    print(f"mean return {np.mean(returns):g} over {len(returns)} episodes")
    if video is not None:
        print(f"video: {video}")
    if args.json is not None:
        args.json.write_text(json.dumps({"returns": returns,
                                         "video": None if video is None else str(video)}))
    return 0
