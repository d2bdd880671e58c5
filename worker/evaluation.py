"""Execution of one ``rlboard.evaluate`` task: play a run's checkpoint with
``python -m engine evaluate`` in a scratch folder and store the returns and the video."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from backend.artifacts import ArtifactStore
from backend.services import evaluations
from backend.settings import Settings

log = logging.getLogger(__name__)

#: An evaluation longer than this is stopped and failed.
EVALUATION_TIMEOUT_S = 3600
ERROR_TAIL_CHARS = 4000


def execute_evaluation(
    evaluation_id: int, worker_name: str, settings: Settings, sessions: sessionmaker[Session],
    store: ArtifactStore,
) -> None:
    with sessions() as session:
        evaluation = evaluations.claim_evaluation(session, evaluation_id, worker_name)
        if evaluation is None:
            log.info("evaluation %d is not queued (delivered twice?): dropped", evaluation_id)
            return
        run_id, episodes, video = evaluation.run_id, evaluation.episodes, evaluation.video
    returns, video_name, error = None, None, None
    with tempfile.TemporaryDirectory(prefix=f"rlboard-eval-{evaluation_id}-") as scratch:
        folder = Path(scratch)
        try:
            for name in ("checkpoint.pt", "spec.json"):
                if not store.fetch(run_id, name, folder / name):
                    raise FileNotFoundError(f"run {run_id} has no {name} in the artifact store")
            video_path = folder / f"eval-{evaluation_id}.mp4"
            command = [sys.executable, "-m", "engine", "evaluate", str(folder / "checkpoint.pt"),
                       "--episodes", str(episodes), "--json", str(folder / "result.json"),
                       *(["--video", str(video_path)] if video else [])]
            # Evaluations run on the CPU: they must not take a GPU a run holds.
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=EVALUATION_TIMEOUT_S,
                env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, stdin=subprocess.DEVNULL,
            )
            if result.returncode != 0:
                raise RuntimeError(f"engine evaluate exited with code {result.returncode}:\n"
                                   f"{(result.stdout + result.stderr)[-ERROR_TAIL_CHARS:]}")
            outcome = json.loads((folder / "result.json").read_text())
            returns = outcome["returns"]
            if outcome["video"]:
                written = Path(outcome["video"])
                store.put(run_id, written.name, written)
                video_name = written.name
        except Exception as exc:  # any failure is the evaluation's result, shown to the user
            log.warning("evaluation %d failed: %s", evaluation_id, exc)
            error = str(exc)
    with sessions() as session:
        evaluations.finish_evaluation(session, evaluation_id, returns, video_name, error)
