"""API benchmark against PostgreSQL: metric ingest (rlboard and MLflow's tracking server as the
peer), the curves query, and the experiments list. Prints a table; never asserts timings.

    .venv/bin/python -m benchmarks.api            # needs PostgreSQL on 127.0.0.1:5432
    pip install -e '.[bench]'                      # mlflow, for the peer (skipped without it)

Each server gets a fresh database, dropped afterwards; both run as real subprocesses
(``rlboard serve --no-worker`` and ``mlflow server``) on free ports, driven over HTTP with one
keep-alive connection each, batches of 1 000 points (MLflow's log-batch limit); ingest also
over ``--writers`` connections at once, as several workers send.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import psycopg

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BATCH = 1000
REPO_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (its SQLAlchemy URL), dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield DATABASE_URL.format(name=name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(command: list[str], env: dict[str, str], health_url: str) -> Iterator[None]:
    """Run ``command`` until the block ends, once ``health_url`` answers 200."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                log.seek(0)
                sys.exit(f"{command[0]} exited:\n{log.read().decode()[-3000:]}")
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"{command} did not become healthy")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        process.wait(30)


def make_points(n_runs: int, n_points: int) -> np.ndarray:
    """Noisy rising returns ``[n_runs, n_points]`` (one row per seed, step = 1000 x index)."""
    rng = np.random.default_rng(0)
    trend = np.linspace(0, 500, n_points)
    return trend + rng.normal(0, 20, size=(n_runs, n_points))


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def send_batches(base_url: str, runs: list[list[tuple[str, dict]]], writers: int) -> float:
    """Seconds to POST every run's ``(path, body)`` requests, in order, over ``writers``
    keep-alive connections at once, each sending whole runs (as each run's worker does)."""

    def send(share: list[list[tuple[str, dict]]]) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            for requests in share:
                for path, body in requests:
                    http.post(path, json=body).raise_for_status()

    start = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(send, [runs[w::writers] for w in range(writers)]))
    return time.perf_counter() - start


def ingest_rlboard(
    base_url: str, run_ids: list[int], values: np.ndarray, points: range, writers: int
) -> float:
    """Seconds to send ``values[:, points]`` as ``return_mean``, BATCH points a request."""
    requests = [
        [(f"/api/v1/runs/{run_id}/metrics", {"points": [
            {"key": "return_mean", "step": 1000 * i, "value": float(values[row, i]),
             "wall_time": i * 0.01}
            for i in range(first, min(first + BATCH, points.stop))
        ]}) for first in range(points.start, points.stop, BATCH)]
        for row, run_id in enumerate(run_ids)
    ]
    return send_batches(base_url, requests, writers)


def ingest_mlflow(base_url: str, values: np.ndarray, n_points: int, writers: int) -> float:
    """Seconds for MLflow to take the same points through runs/log-batch."""
    with httpx.Client(base_url=base_url, timeout=120) as http:
        experiment = http.post("/api/2.0/mlflow/experiments/create", json={"name": "bench"})
        experiment.raise_for_status()
        experiment_id = experiment.json()["experiment_id"]
        run_ids = []
        for seed in range(values.shape[0]):
            response = http.post(
                "/api/2.0/mlflow/runs/create",
                json={"experiment_id": experiment_id, "run_name": f"seed-{seed}", "start_time": 0},
            )
            response.raise_for_status()
            run_ids.append(response.json()["run"]["info"]["run_id"])
    requests = [
        [("/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "return_mean", "value": float(values[row, i]), "timestamp": i * 10,
             "step": 1000 * i}
            for i in range(first, min(first + BATCH, n_points))
        ]}) for first in range(0, n_points, BATCH)]
        for row, run_id in enumerate(run_ids)
    ]
    return send_batches(base_url, requests, writers)


def fill_experiments(database_url: str, template_id: int, total: int) -> None:
    """Clone experiment ``template_id`` and its runs until ``total`` experiments exist, in SQL
    (10 000 POSTs would take minutes and measure nothing of the list)."""
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        def columns(table: str, skip: set[str]) -> str:
            rows = connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
            ).fetchall()
            return ", ".join(name for (name,) in rows if name not in skip)

        experiment_columns = columns("experiments", {"id"})
        connection.execute(
            f"INSERT INTO experiments ({experiment_columns}) SELECT {experiment_columns} "
            f"FROM experiments, generate_series(2, %s) WHERE id = %s",
            (total, template_id),
        )
        run_columns = columns("runs", {"id", "experiment_id"})
        connection.execute(
            f"INSERT INTO runs (experiment_id, {run_columns}) "
            f"SELECT e.id, {', '.join('r.' + c for c in run_columns.split(', '))} "
            f"FROM experiments e JOIN (SELECT * FROM runs WHERE experiment_id = %s LIMIT 3) r ON true "
            f"WHERE e.id <> %s",
            (template_id, template_id),
        )
        connection.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--points", type=int, default=100_000, help="points per seed")
    parser.add_argument(
        "--mlflow-points", type=int, default=5_000, help="points per seed sent to MLflow (slow)"
    )
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument(
        "--writers", type=int, default=4, help="concurrent connections of the second ingest"
    )
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    values = make_points(args.seeds, args.points)
    rows: list[tuple[str, str, str, str]] = []
    data_dir = Path(tempfile.mkdtemp(prefix="rlboard-bench-"))

    with fresh_database("rlboard_bench") as rlboard_url, fresh_database("mlflow_bench") as mlflow_url:
        rlboard_port, mlflow_port = free_port(), free_port()
        rlboard = server(
            [sys.executable, "-m", "backend.cli", "serve", "--no-worker", "--port", str(rlboard_port)],
            {"RLBOARD_DATABASE_URL": rlboard_url, "RLBOARD_DATA_DIR": str(data_dir), "RLBOARD_AUTH": "off"},
            f"http://127.0.0.1:{rlboard_port}/api/v1/health",
        )
        mlflow_bin = shutil.which("mlflow") or str(Path(sys.executable).parent / "mlflow")
        have_mlflow = Path(mlflow_bin).exists()
        mlflow = server(
            [mlflow_bin, "server", "--backend-store-uri", mlflow_url, "--host", "127.0.0.1",
             "--port", str(mlflow_port), "--workers", "1",
             "--default-artifact-root", str(data_dir / "mlflow-artifacts")],
            {},
            f"http://127.0.0.1:{mlflow_port}/health",
        )
        with rlboard, httpx.Client(base_url=f"http://127.0.0.1:{rlboard_port}", timeout=120) as http:
            spec = {
                "name": "bench", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
                "runner": {"n_steps": 1000 * args.points}, "seeds": list(range(args.seeds)),
            }
            experiment = http.post("/api/v1/experiments", json={"spec": spec})
            experiment.raise_for_status()
            experiment_id = experiment.json()["id"]
            run_ids = [run["id"] for run in experiment.json()["runs"]]

            # The first half of each series from one writer, the second from --writers at once.
            half = args.points // 2
            rates = {}
            for writers, points in ((1, range(half)), (args.writers, range(half, args.points))):
                seconds = ingest_rlboard(
                    f"http://127.0.0.1:{rlboard_port}", run_ids, values, points, writers
                )
                rates[writers] = args.seeds * len(points) / seconds
                rows.append((f"ingest, batches of 1000, {writers} writer(s)",
                             f"{rates[writers]:,.0f} points/s", "", "target >= 50 000"))

            def curves() -> None:
                http.get(
                    f"/api/v1/experiments/{experiment_id}/curves",
                    params={"key": "return_mean", "max_points": 1000},
                ).raise_for_status()

            times = timed(curves, args.repeats)
            rows.append((
                f"curves {args.seeds} seeds x {args.points:,} points -> 1000",
                f"p50 {statistics.median(times) * 1e3:.0f} ms",
                f"p95 {np.percentile(times, 95) * 1e3:.0f} ms",
                "target p95 <= 150 ms",
            ))

            fill_experiments(rlboard_url, experiment_id, args.experiments)
            for label, params in (("first page", {}), ("page at offset 9000", {"offset": 9000})):
                times = timed(lambda p=params: http.get("/api/v1/experiments", params=p).raise_for_status(), args.repeats)
                rows.append((
                    f"list {args.experiments:,} experiments, {label} (50)",
                    f"p50 {statistics.median(times) * 1e3:.0f} ms",
                    f"p95 {np.percentile(times, 95) * 1e3:.0f} ms",
                    "target p95 <= 50 ms",
                ))

        if not have_mlflow:
            rows.append(("MLflow log-batch", "skipped: mlflow is not installed", "", ""))
        else:
            with mlflow:
                n_points = min(args.mlflow_points, args.points)
                seconds = ingest_mlflow(
                    f"http://127.0.0.1:{mlflow_port}", values, n_points, args.writers
                )
                mlflow_rate = args.seeds * n_points / seconds
                rows.append((
                    f"MLflow log-batch, batches of 1000, {args.writers} writer(s)",
                    f"{mlflow_rate:,.0f} points/s",
                    f"rlboard / MLflow = {rates[args.writers] / mlflow_rate:.1f}x",
                    f"{args.seeds} x {n_points:,} of the same points",
                ))
    shutil.rmtree(data_dir, ignore_errors=True)

    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
