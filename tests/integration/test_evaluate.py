"""``rlboard evaluate``: returns and a playable video of a checkpoint, from the command line
(CartPole and MuJoCo) and through the API on a worker (the video becomes an artifact)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import imageio.v3 as iio
import yaml
from PIL import Image, ImageSequence

from backend.client import RlboardClient
from tests.support import rlboard_env, running_server, wait_for

RLBOARD = [sys.executable, "-m", "backend.cli"]


def train(tmp_path: Path, spec: dict) -> Path:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "run"
    subprocess.run([*RLBOARD, "train", str(spec_path), "--out", str(out)], check=True,
                   capture_output=True, timeout=600)
    return out / "checkpoint.pt"


def evaluate(checkpoint: Path, episodes: int, video: Path) -> tuple[dict, str]:
    result_path = checkpoint.parent / "result.json"
    result = subprocess.run(
        [*RLBOARD, "evaluate", str(checkpoint), "--episodes", str(episodes),
         "--video", str(video), "--json", str(result_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result_path.read_text()), result.stdout


def steps_shown(path: Path, fps: int) -> int:
    """How many environment steps the video shows (at ``fps``, the env's render_fps).

    A GIF shows a frame that repeats the previous one by lengthening it (Pillow merges
    them), so its length is counted in time rather than in frames.
    """
    frames = iio.imread(path, index=None)
    assert frames.ndim == 4 and frames.shape[-1] in (3, 4) and frames.std() > 0
    if path.suffix != ".gif":
        return len(frames)
    with Image.open(path) as gif:
        total_ms = sum(frame.info["duration"] for frame in ImageSequence.Iterator(gif))
    return round(total_ms * fps / 1000)


def test_evaluate_a_cartpole_checkpoint_prints_returns_and_writes_a_video(
    tmp_path: Path,
) -> None:
    checkpoint = train(tmp_path, {
        "name": "eval-cartpole", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
        "sampler": {"batch_T": 32, "batch_B": 8},
        "runner": {"n_steps": 4096, "log_interval_steps": 2048}, "device": "cpu",
    })
    result, stdout = evaluate(checkpoint, 3, tmp_path / "cartpole.mp4")
    returns = result["returns"]
    assert len(returns) == 3 and all(r >= 8 for r in returns)
    assert f"episode 2: return {returns[2]:g}" in stdout
    video = Path(result["video"])
    assert video.suffix in (".mp4", ".gif") and video.exists()
    # One frame per step before it, and CartPole pays 1 a step: frames == the first return.
    assert steps_shown(video, fps=50) == returns[0]


def test_evaluate_a_mujoco_checkpoint_renders_offscreen(tmp_path: Path) -> None:
    checkpoint = train(tmp_path, {
        "name": "eval-cheetah",
        # Short episodes and small frames keep the test fast; the rendering path is the same.
        "env": {"id": "HalfCheetah-v5",
                "kwargs": {"max_episode_steps": 40, "width": 64, "height": 48}},
        "algo": {"name": "PPO", "params": {"minibatches": 4, "epochs": 2}},
        "sampler": {"batch_T": 256, "batch_B": 1},
        "runner": {"n_steps": 512, "log_interval_steps": 512}, "device": "cpu",
    })
    result, _ = evaluate(checkpoint, 2, tmp_path / "cheetah.mp4")
    assert len(result["returns"]) == 2 and result["returns"][0] != result["returns"][1]
    video = Path(result["video"])
    assert steps_shown(video, fps=20) == 40
    assert iio.imread(video, index=0).shape[:2] == (48, 64)


def test_the_api_evaluates_a_runs_checkpoint_on_a_worker_and_keeps_the_video(
    tmp_path: Path,
) -> None:
    env = rlboard_env(tmp_path / "data")  # the embedded setup: SQLite, its broker, a worker
    spec = {"name": "eval-api", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
            "sampler": {"batch_T": 32, "batch_B": 8},
            "runner": {"n_steps": 2048, "log_interval_steps": 1024}, "device": "cpu"}
    with running_server(env, worker=True, log_path=tmp_path / "serve.log") as api, \
            RlboardClient(api) as client:
        run_id = client.create_experiment(spec).runs[0].id
        wait_for(lambda: client.get_run(run_id).status == "succeeded", 300, interval_s=1,
                 what="the run to succeed")
        response = httpx.post(f"{api}/api/v1/runs/{run_id}/evaluations",
                              json={"episodes": 2, "video": True}, timeout=30)
        assert response.status_code == 202, response.text
        evaluation_id = response.json()["id"]

        def finished() -> dict | None:
            [row] = httpx.get(f"{api}/api/v1/runs/{run_id}/evaluations", timeout=10).json()
            return row if row["status"] in ("succeeded", "failed") else None

        evaluation = wait_for(finished, 300, interval_s=1, what="the evaluation to finish")
        assert evaluation["status"] == "succeeded", evaluation["error"]
        assert len(evaluation["returns"]) == 2
        name = evaluation["video_name"]
        assert name in (f"eval-{evaluation_id}.gif", f"eval-{evaluation_id}.mp4")
        listed = httpx.get(f"{api}/api/v1/runs/{run_id}/artifacts", timeout=10).json()
        assert {"log.txt", "checkpoint.pt", name} <= {a["name"] for a in listed}
        video = httpx.get(f"{api}/api/v1/runs/{run_id}/artifacts/{name}", timeout=30)
        assert video.status_code == 200
        (tmp_path / name).write_bytes(video.content)
        assert steps_shown(tmp_path / name, fps=50) == evaluation["returns"][0]
        log = httpx.get(f"{api}/api/v1/runs/{run_id}/logs", timeout=10).json()
        assert log["size"] > 0 and log["next_offset"] == log["size"]
