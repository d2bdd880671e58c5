"""The typed client and the CLI built on it, against a real `rlboard serve` with auth on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backend.client import ApiError, RlboardClient
from tests.backend.factories import ppo_spec
from tests.support import rlboard_env, running_server


def rlboard(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_tokens_client_and_cli_end_to_end(tmp_path: Path) -> None:
    env = rlboard_env(tmp_path / "data", auth="on")
    created = rlboard(env, "token", "create", "me", "--scope", "write")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split()[-1]
    assert secret.startswith("rlb_")
    reader = rlboard(env, "token", "create", "viewer").stdout.split()[-1]

    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api:
        with RlboardClient(api) as anonymous, pytest.raises(ApiError) as denied:
            anonymous.list_experiments()
        assert denied.value.status_code == 401
        with RlboardClient(api, token=reader) as viewer, pytest.raises(ApiError) as forbidden:
            viewer.create_experiment(ppo_spec())
        assert forbidden.value.status_code == 403

        with RlboardClient(api, token=secret) as client:
            assert client.health().status == "ok"
            assert "PPO" in [a.name for a in client.catalog().algorithms]
            experiment = client.create_experiment(ppo_spec(seeds=[0]), tags=["a"],
                                                  sweep={"sampler.batch_B": [4, 8]})
            assert [run.variant for run in experiment.runs] == [
                {"sampler.batch_B": 4}, {"sampler.batch_B": 8}
            ]
            run_id = experiment.runs[0].id
            stored = client.ingest_metrics(
                run_id, [{"key": "loss", "step": 1, "value": 2.0, "wall_time": 0.1}]
            )
            assert stored.stored == 1
            assert client.run_metrics(run_id, "loss").values == [2.0]
            assert client.curves(experiment.id, "loss").key == "loss"
            assert client.update_experiment(experiment.id, notes="n").notes == "n"
            assert client.list_experiments(tag="a").total == 1
            clone = client.clone_experiment(experiment.id, {"seeds": [3]}, name="copy")
            assert [run.seed for run in clone.runs] == [3, 3]
            assert client.cancel_run(run_id).status == "cancelled"
            assert client.resume_run(run_id).attempts[-1].kind == "resume"
            assert client.cancel_experiment(experiment.id).status_counts["cancelled"] == 2
            assert client.retry_run(run_id).attempts[-1].kind == "retry"
            with pytest.raises(ApiError) as conflict:
                client.resume_run(run_id)
            assert conflict.value.status_code == 409

        cli_env = {**env, "RLBOARD_API_URL": api, "RLBOARD_TOKEN": secret}
        spec_file = tmp_path / "spec.yaml"
        spec_file.write_text(yaml.safe_dump(ppo_spec(name="from-cli", seeds=[0, 1])))
        submitted = rlboard(cli_env, "submit", str(spec_file), "--tag", "cli",
                            "--sweep", "algo.params.learning_rate=0.001,0.0003")
        assert submitted.returncode == 0, submitted.stderr
        assert "from-cli: 4 runs" in submitted.stdout
        assert '{"algo.params.learning_rate": 0.0003}' in submitted.stdout
        experiment_id = submitted.stdout.split()[1]

        listed = rlboard(cli_env, "list", "--q", "from-cli")
        assert "4 queued  [cli]" in listed.stdout and "1 of 1 experiments" in listed.stdout
        assert rlboard(cli_env, "status", experiment_id).stdout.count(": queued") == 4
        assert rlboard(cli_env, "cancel", experiment_id).stdout.count(": cancelled") == 4
        status = rlboard(cli_env, "status", "--run", "1")
        assert "attempt 3 (retry): queued" in status.stdout
        report_file = tmp_path / "report.html"
        reported = rlboard(cli_env, "report", "1", experiment_id, "--key", "loss",
                           "--out", str(report_file))
        assert reported.returncode == 0, reported.stderr
        assert "<html" in report_file.read_text()
        bad = rlboard(cli_env, "submit", str(spec_file), "--sweep", "algo.params.lr=1")
        assert bad.returncode != 0 and "unknown spec path" in bad.stderr

        revoked = rlboard(env, "token", "revoke", "1")
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert "401" in rlboard(cli_env, "list").stderr
        assert "revoked" in rlboard(env, "token", "list").stdout
