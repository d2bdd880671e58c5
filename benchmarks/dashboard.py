"""Dashboard benchmark: the curves request of a large experiment, and the time from navigation
to the first learning-curve chart drawn on its page, in Debian's chromium driven by playwright.

    .venv/bin/python -m benchmarks.dashboard [--seeds 10] [--points 100000] [--reps 9]
    .venv/bin/python -m benchmarks.dashboard --database-url URL   # e.g. an empty database
        postgresql+psycopg://postgres@127.0.0.1:5432/NAME made with createdb or CREATE DATABASE

Starts ``rlboard serve --no-worker`` on a free port with the embedded broker under a temporary
data dir (deleted afterwards) and SQLite there, or the database of ``--database-url`` (which
keeps the experiment), creates one experiment of ``--seeds`` seeds and feeds each run
``--points`` points of ``return_mean`` through ``POST /runs/{id}/metrics`` (batches of 5 000,
the API's cap). The curves request is timed as the page sends it (``max_points`` 500) and as
``benchmarks/api.py`` does (1 000). The runs stay queued (no worker), so the page also opens
its live event stream, as it does for a running experiment. Each repetition opens the page in
a fresh browser context (empty cache: the ~4.8 MB Plotly bundle is fetched and parsed every
time) and reads the performance mark ``rlboard:chart-drawn``, set when Plotly has drawn the
first traces, as milliseconds since navigation start. Needs ``frontend/dist``
(``make frontend``). Prints p50/p95; the target is <= 1000 ms. Never asserts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support import rlboard_env, running_server

BATCH = 5000
MARK = "rlboard:chart-drawn"
#: Points per seed line that the experiment page asks for (useExperimentLive's MAX_POINTS).
PAGE_MAX_POINTS = 500


def seed_experiment(url: str, seeds: int, points: int) -> tuple[int, float]:
    """One experiment with ``seeds`` runs of ``points`` return_mean points each; its id and the
    seconds the ingest took."""
    spec = {"name": f"bench-{seeds}x{points}", "env": {"id": "CartPole-v1"},
            "algo": {"name": "PPO"}, "runner": {"n_steps": points * 100},
            "seeds": list(range(seeds))}
    with httpx.Client(base_url=url, timeout=120) as client:
        created = client.post("/api/v1/experiments", json={"spec": spec})
        created.raise_for_status()
        experiment = created.json()
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for run in experiment["runs"]:
            steps = np.arange(1, points + 1) * 100
            values = 500 * (1 - np.exp(-steps / (points * 30))) + rng.normal(0, 20, points)
            wall = steps / 2000.0
            for lo in range(0, points, BATCH):
                batch = [{"key": "return_mean", "step": int(s), "value": float(v),
                          "wall_time": float(w)}
                         for s, v, w in zip(steps[lo:lo + BATCH], values[lo:lo + BATCH],
                                            wall[lo:lo + BATCH], strict=True)]
                client.post(f"/api/v1/runs/{run['id']}/metrics",
                            json={"points": batch}).raise_for_status()
        return experiment["id"], time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def time_curves(url: str, experiment_id: int, max_points: int, reps: int) -> list[float]:
    """Milliseconds of ``reps`` curves requests (after one warm-up), one connection."""
    with httpx.Client(base_url=url, timeout=120) as client:
        def request() -> float:
            start = time.perf_counter()
            client.get(f"/api/v1/experiments/{experiment_id}/curves",
                       params={"max_points": max_points}).raise_for_status()
            return (time.perf_counter() - start) * 1000

        request()
        return [request() for _ in range(reps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--database-url", help="default: a new SQLite file in the data dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rlboard-bench-") as tmp:
        data = Path(tmp) / "data"
        settings = {"database_url": args.database_url} if args.database_url else {}
        env = rlboard_env(data, **settings)  # default SQLite at data/rlboard.db
        with running_server(env, worker=False, log_path=Path(tmp) / "serve.log") as url:
            experiment_id, ingest_s = seed_experiment(url, args.seeds, args.points)
            total = args.seeds * args.points
            print(f"server {url}, database {args.database_url or f'SQLite under {data}'}")
            print(f"ingested {total:,} points ({args.seeds} seeds x {args.points:,}) in "
                  f"{ingest_s:.1f} s ({total / ingest_s:,.0f} points/s)")
            for max_points in (PAGE_MAX_POINTS, 1000):
                times = time_curves(url, experiment_id, max_points, args.reps)
                print(f"curves request, max_points {max_points}: p50 "
                      f"{statistics.median(times):.0f} ms, p95 {percentile(times, 95):.0f} ms "
                      f"over {len(times)} requests")

            timings = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS, headless=True)
                for rep in range(args.reps):
                    context = browser.new_context(viewport={"width": 1440, "height": 900})
                    page = context.new_page()
                    page.goto(f"{url}/experiments/{experiment_id}")
                    page.wait_for_selector('[data-testid="curve-chart"]:not([data-drawn="0"])',
                                           timeout=60_000)
                    ms = page.evaluate(
                        f"performance.getEntriesByName('{MARK}')[0].startTime")
                    lines = page.get_attribute('[data-testid="curve-chart"]', "data-seed-lines")
                    timings.append(ms)
                    print(f"  rep {rep + 1}: {ms:7.0f} ms to the first chart ({lines} seed lines)")
                    context.close()
                browser.close()
    print(f"navigation -> first chart drawn: p50 {statistics.median(timings):.0f} ms, "
          f"p95 {percentile(timings, 95):.0f} ms over {len(timings)} cold page loads "
          f"(target <= 1000 ms)")


if __name__ == "__main__":
    main()
