"""`rlboard serve` with the embedded defaults (SQLite, filesystem broker, local worker),
driven by the example script a researcher would copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import processes_with_env, rlboard_env, running_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "submit_and_wait.py"


def test_submit_and_wait_example_against_embedded_server(tmp_path: Path) -> None:
    env = rlboard_env(tmp_path / "data")
    with running_server(env, worker=True, log_path=tmp_path / "serve.log") as url:
        result = subprocess.run(
            [sys.executable, str(EXAMPLE), "--api", url, "--seeds", "2", "--steps", "6000",
             "--timeout", "300"],
            capture_output=True, text=True, timeout=360,
        )
        assert processes_with_env("RLBOARD_DATA_DIR", env["RLBOARD_DATA_DIR"]), "serve should be up"
    # Leaving the context sent SIGINT, as Ctrl-C does: nothing rlboard started may survive it.
    assert not processes_with_env("RLBOARD_DATA_DIR", env["RLBOARD_DATA_DIR"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("succeeded, final return_mean") == 2, result.stdout
    assert (tmp_path / "data" / "rlboard.db").exists()
