"""Soak test against PostgreSQL: concurrent metric writers (as workers report) plus dashboard
readers against a real ``rlboard serve --no-worker`` process for a fixed time. Prints the
errors (target 0), the points lost (target 0: points in the database afterwards against
points acknowledged) and the p50/p95/p99 latencies of writes and of each read.

    .venv/bin/python -m benchmarks.soak                         # 50 writers, 5 minutes
    .venv/bin/python -m benchmarks.soak --duration 30 --writers 10

Each writer owns one run and sends ``--batch`` points (10 keys, consecutive steps) every
``--interval`` seconds over its own keep-alive connection; a failed batch counts as an error
and is sent again (ingest is idempotent), as the worker's reporter does. Runs are grouped in
experiments of ``--seeds`` seeds. Each reader loops over the experiment list, an experiment's
curves (the seed aggregate with its bootstrap band), one run's series and an experiment's keys;
one more client follows an experiment's event stream (SSE) throughout. Load generator, API and
database share this machine, so the latencies include their contention.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import psycopg

from benchmarks.api import fresh_database, free_port, server

KEYS = [f"metric_{i}" for i in range(10)]


@dataclass
class Tally:
    """What the clients saw: latencies (seconds) and error messages per request kind."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    points_acknowledged: int = 0
    events: int = 0

    async def request(self, kind: str, send: Callable[[], Awaitable[httpx.Response]]) -> bool:
        """Make one request (``send()``), recording its latency, or its failure."""
        start = time.perf_counter()
        try:
            response = await send()
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self.errors[kind].append(f"{type(exc).__name__}: {exc}"[:200])
            return False
        self.latencies[kind].append(time.perf_counter() - start)
        return True


async def write(base_url: str, run_id: int, args: argparse.Namespace, stop: asyncio.Event,
                tally: Tally) -> None:
    """One worker's reporter: a batch every ``args.interval`` s, each resent until stored."""
    steps_per_batch = max(1, args.batch // len(KEYS))
    step = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await asyncio.sleep(random.uniform(0, args.interval))  # spread the writers out
        while not stop.is_set():
            started = time.monotonic()
            points = [{"key": key, "step": s, "value": random.gauss(s / 1000, 1), "wall_time": s}
                      for s in range(step, step + steps_per_batch) for key in KEYS]
            while not await tally.request("write (POST metrics)", lambda batch=points: http.post(
                    f"/api/v1/runs/{run_id}/metrics", json={"points": batch})):
                await asyncio.sleep(0.5)
            tally.points_acknowledged += len(points)
            step += steps_per_batch
            await asyncio.sleep(max(0.0, args.interval - (time.monotonic() - started)))


async def read(base_url: str, experiments: dict[int, list[int]], stop: asyncio.Event,
               tally: Tally) -> None:
    """One dashboard user: the list, then one experiment's curves, a run's series, its keys."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        while not stop.is_set():
            experiment_id = random.choice(list(experiments))
            run_id = random.choice(experiments[experiment_id])
            key = random.choice(KEYS)
            reads = {
                "read: experiment list": ("/api/v1/experiments", {}),
                "read: curves (seed aggregate)": (f"/api/v1/experiments/{experiment_id}/curves",
                                                  {"key": key, "max_points": 1000}),
                "read: run series": (f"/api/v1/runs/{run_id}/metrics",
                                     {"key": key, "max_points": 1000}),
                "read: experiment keys": (f"/api/v1/experiments/{experiment_id}/keys", {}),
            }
            for kind, (path, params) in reads.items():
                await tally.request(kind, lambda p=path, q=params: http.get(p, params=q))
            await asyncio.sleep(0.2)


async def follow_events(base_url: str, experiment_id: int, stop: asyncio.Event,
                        tally: Tally) -> None:
    """The experiment page's event stream, reconnecting (an error) if it breaks."""
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60, read=30)) as http:
        while not stop.is_set():
            try:
                async with http.stream("GET", "/api/v1/events",
                                       params={"experiment_id": experiment_id}) as response:
                    response.raise_for_status()
                    async for line in response.aiter_lines():
                        tally.events += line.startswith("event:")
                        if stop.is_set():
                            return
            except httpx.HTTPError as exc:
                tally.errors["events (SSE)"].append(f"{type(exc).__name__}: {exc}"[:200])
                await asyncio.sleep(1)


async def soak(base_url: str, experiments: dict[int, list[int]], args: argparse.Namespace,
               tally: Tally) -> float:
    """Run every client for ``args.duration`` seconds; returns the seconds it really took."""
    stop = asyncio.Event()
    run_ids = [run_id for runs in experiments.values() for run_id in runs]
    tasks = [asyncio.create_task(write(base_url, run_id, args, stop, tally)) for run_id in run_ids]
    tasks += [asyncio.create_task(read(base_url, experiments, stop, tally))
              for _ in range(args.readers)]
    tasks.append(asyncio.create_task(
        follow_events(base_url, next(iter(experiments)), stop, tally)))
    start = time.monotonic()
    await asyncio.sleep(args.duration)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    return time.monotonic() - start


def create_experiments(base_url: str, writers: int, seeds: int) -> dict[int, list[int]]:
    """Experiments of up to ``seeds`` runs each, ``writers`` runs in all: id -> run ids."""
    experiments: dict[int, list[int]] = {}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for first in range(0, writers, seeds):
            spec = {"name": f"soak-{first // seeds}", "env": {"id": "CartPole-v1"},
                    "algo": {"name": "PPO"}, "seeds": list(range(min(seeds, writers - first)))}
            response = http.post("/api/v1/experiments", json={"spec": spec})
            response.raise_for_status()
            experiments[response.json()["id"]] = [run["id"] for run in response.json()["runs"]]
    return experiments


def stored_points(database_url: str) -> tuple[int, int]:
    """Rows in ``metric_points``, and the sum of the series' counts (both must be all sent)."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as db:
        points = db.execute("SELECT count(*) FROM metric_points").fetchone()[0]
        counted = db.execute("SELECT coalesce(sum(count), 0) FROM metric_series").fetchone()[0]
    return points, counted


def report(tally: Tally, args: argparse.Namespace, seconds: float, stored: tuple[int, int]) -> int:
    """Print the table; returns the exit status (1 if anything was lost or failed)."""
    points, counted = stored
    lost = tally.points_acknowledged - points
    errors = sum(len(found) for found in tally.errors.values())
    rows = [
        ("writers, readers, SSE clients", f"{args.writers}, {args.readers}, 1", ""),
        ("duration", f"{seconds:.0f} s", ""),
        ("points acknowledged", f"{tally.points_acknowledged:,}",
         f"{tally.points_acknowledged / seconds:,.0f} points/s"),
        ("errors", f"{errors}", "target 0"),
        ("points lost (acknowledged - stored)", f"{lost}", "target 0"),
        ("series counts - stored points", f"{counted - points}", "target 0"),
        ("SSE events received", f"{tally.events:,}", ""),
    ]
    for kind, times in sorted(tally.latencies.items()):
        p50, p95, p99 = np.percentile(times, [50, 95, 99]) * 1e3
        rows.append((f"{kind} ({len(times):,})", f"p95 {p95:.0f} ms",
                     f"p50 {p50:.0f} ms, p99 {p99:.0f} ms"))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for kind, found in tally.errors.items():
        print(f"{kind}: {len(found)} errors, e.g. {found[0]}", file=sys.stderr)
    return 1 if errors or lost or counted != points else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds (default 300)")
    parser.add_argument("--writers", type=int, default=50, help="concurrent writers, one run each")
    parser.add_argument("--readers", type=int, default=5, help="concurrent dashboard readers")
    parser.add_argument("--batch", type=int, default=100, help="points per write")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between writes")
    parser.add_argument("--seeds", type=int, default=5, help="runs per experiment")
    args = parser.parse_args()

    tally = Tally()
    data_dir = Path(tempfile.mkdtemp(prefix="rlboard-soak-"))
    with fresh_database("rlboard_soak") as database_url:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "backend.cli", "serve", "--no-worker", "--port", str(port)]
        env = {"RLBOARD_DATABASE_URL": database_url, "RLBOARD_DATA_DIR": str(data_dir),
               "RLBOARD_AUTH": "off"}
        with server(command, env, f"{base_url}/api/v1/health"):
            experiments = create_experiments(base_url, args.writers, args.seeds)
            seconds = asyncio.run(soak(base_url, experiments, args, tally))
        status = report(tally, args, seconds, stored_points(database_url))
    shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
