"""Block summaries and points kept on write: equal to blocks recomputed from the points
whatever the batching (re-sent and overlapping batches included), used for long curves, and
skipped for a series sent out of order. Both databases keep the same points per block
(PostgreSQL as arrays, SQLite as bytes)."""

from __future__ import annotations

import numpy as np
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db import alembic_config, create_db_engine, upgrade_database
from backend.models import BLOCK_SIZE, MetricBlock
from backend.services import curves as curves_service
from backend.services import metrics
from tests.backend.factories import create_experiment
from tests.backend.test_curves_api import curves
from tests.backend.test_curves_downsampled import irregular_series


def post(client: TestClient, run_id: int, key: str, steps: np.ndarray, values: np.ndarray) -> None:
    batch = [
        {"key": key, "step": int(step), "value": float(value), "wall_time": 0.0}
        for step, value in zip(steps, values, strict=True)
    ]
    response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
    assert response.status_code == 200, response.text


def expected_blocks(steps: np.ndarray, values: np.ndarray) -> list[tuple]:
    """Blocks of BLOCK_SIZE consecutive points, computed from the whole series."""
    blocks = []
    for block, start in enumerate(range(0, len(steps), BLOCK_SIZE)):
        s, v = steps[start : start + BLOCK_SIZE], values[start : start + BLOCK_SIZE]
        low, high = int(np.argmin(v)), int(np.argmax(v))  # ties: the earliest step
        blocks.append((
            block, len(s), s[0], v[0], s[-1], v[-1], s[low], v[low], s[high], v[high],
        ))
    return blocks


def points_of(steps: list[int] | bytes, values: list[float] | bytes) -> tuple[list, list]:
    """A block's points as lists: PostgreSQL's arrays, or SQLite's little-endian bytes."""
    if isinstance(steps, bytes) and isinstance(values, bytes):
        return np.frombuffer(steps, "<i8").tolist(), np.frombuffer(values, "<f8").tolist()
    return steps, values


def stored_blocks(session: Session, run_id: int, key: str) -> list[tuple]:
    rows = session.execute(
        select(MetricBlock).where(MetricBlock.run_id == run_id, MetricBlock.key == key)
        .order_by(MetricBlock.block)
    ).scalars()
    return [
        (b.block, b.count, b.first_step, b.first_value, b.last_step, b.last_value,
         b.min_step, b.min_value, b.max_step, b.max_value, *points_of(b.step_array, b.value_array))
        for b in rows
    ]


def test_blocks_equal_the_blocks_of_the_stored_points(client: TestClient, session: Session) -> None:
    rng = np.random.default_rng(4)
    run_id = create_experiment(client, seeds=[0])["runs"][0]["id"]
    steps, values = irregular_series(rng, 0, 1000)
    other_steps, other_values = steps[:300], -values[:300]
    # Batches of odd sizes, one re-sent whole, one overlapping the previous, two keys mixed.
    cuts = [0, 1, 50, 64, 200, 333, 700, 701, 1000]
    for start, stop in zip(cuts, cuts[1:], strict=False):
        post(client, run_id, "return_mean", steps[start:stop], values[start:stop])
        if stop == 333:
            post(client, run_id, "return_mean", steps[start:stop], values[start:stop])
        if stop == 700:
            post(client, run_id, "return_mean", steps[650:720], values[650:720])
    for start in range(0, 300, 97):
        post(client, run_id, "loss", other_steps[start : start + 97], other_values[start : start + 97])

    for key, (s, v) in {"return_mean": (steps, values), "loss": (other_steps, other_values)}.items():
        stored = stored_blocks(session, run_id, key)
        assert [row[:10] for row in stored] == expected_blocks(s, v)
        for row, start in zip(stored, range(0, len(s), BLOCK_SIZE), strict=True):
            arrays = (s[start : start + BLOCK_SIZE].tolist(), v[start : start + BLOCK_SIZE].tolist())
            assert row[10:] == arrays


def test_long_curves_come_from_the_blocks_with_an_exact_aggregate(
    client: TestClient, session: Session
) -> None:
    rng = np.random.default_rng(5)
    experiment = create_experiment(client, seeds=[0, 1, 2])
    run_ids = [run["id"] for run in experiment["runs"]]
    stored = {run_id: irregular_series(rng, 100 * i, 6000) for i, run_id in enumerate(run_ids)}
    for run_id, (steps, values) in stored.items():
        for start in range(0, len(steps), 1000):
            post(client, run_id, "return_mean", steps[start : start + 1000], values[start : start + 1000])
    max_points = 160
    assert metrics.uses_blocks(6000, max_points)
    assert set(metrics.load_blocks(session, run_ids, "return_mean")) == set(run_ids)

    body = curves(client, experiment["id"], max_points=max_points, agg="iqm")
    loaded = metrics.load_series(session, run_ids, "return_mean")
    grid = curves_service.common_grid([s.steps for s in loaded.values()], "step", max_points)
    on_grid = curves_service.align(list(loaded.values()), "step", grid)
    assert body["aggregate"] == curves_service.aggregate_curve(grid, on_grid, "iqm", "ci").model_dump()

    edges = np.linspace(grid[0], grid[-1], metrics.display_buckets(max_points) + 1)
    for run in body["runs"]:
        steps, values = stored[run["run_id"]]
        assert 0.9 * max_points <= len(run["steps"]) <= max_points
        assert (run["steps"][0], run["steps"][-1]) == (steps[0], steps[-1])
        by_step = dict(zip(steps.tolist(), values.tolist(), strict=True))
        assert all(by_step[s] == v for s, v in zip(run["steps"], run["values"], strict=True))
        # Every display bucket (edges moved to the nearest block boundary) shows its lowest
        # and highest point: so every point lies within the drawn values of its bucket.
        block_firsts = np.append(steps[::BLOCK_SIZE], np.iinfo(np.int64).max)
        bounds = block_firsts[np.searchsorted(block_firsts, edges[1:-1])]
        drawn = np.searchsorted(bounds, run["steps"], side="right")
        point = np.searchsorted(bounds, steps, side="right")
        for bucket in np.unique(point):
            inside = values[point == bucket]
            shown = np.array(run["values"])[drawn == bucket]
            assert (shown.min(), shown.max()) == (inside.min(), inside.max())


def test_a_series_sent_out_of_order_is_read_from_its_points(
    client: TestClient, session: Session
) -> None:
    rng = np.random.default_rng(6)
    run_id = create_experiment(client, seeds=[0])["runs"][0]["id"]
    steps, values = irregular_series(rng, 0, 3000)
    post(client, run_id, "return_mean", steps[1500:], values[1500:])
    post(client, run_id, "return_mean", steps[:1500], values[:1500])  # before the stored ones
    assert metrics.load_blocks(session, [run_id], "return_mean") == {}
    # Block 23 held the last 28 points of the first batch and takes the first 36 of the
    # second: its points are merged by step. Every point is in exactly one block.
    stored = stored_blocks(session, run_id, "return_mean")
    by_step = dict(zip(steps.tolist(), values.tolist(), strict=True))
    for row in stored:
        block_steps, block_values = row[10:]
        assert block_steps == sorted(block_steps) and len(block_steps) == row[1]
        assert block_values == [by_step[step] for step in block_steps]
        assert (block_steps[0], block_steps[-1]) == (row[2], row[4])
    assert stored[23][10][:36] == steps[:36].tolist()
    assert sorted(step for row in stored for step in row[10]) == steps.tolist()

    history = client.get(
        f"/api/v1/runs/{run_id}/metrics", params={"key": "return_mean", "max_points": 50}
    ).json()
    assert metrics.uses_blocks(3000, 50)
    assert (history["steps"][0], history["steps"][-1]) == (steps[0], steps[-1])
    assert (min(history["values"]), max(history["values"])) == (-1e6, 1e6)


def test_0004_gives_sqlite_blocks_their_points(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0002")
    engine = create_db_engine(database_url)
    steps = list(range(10, 1510, 10))  # blocks of 64, 64 and 22
    values = [float((i * 7) % 13) for i in range(150)]
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO experiments (id, name, spec, env_id, algo, tags, notes, "
                     "created_at) VALUES (1, 'old', '{}', 'CartPole-v1', 'PPO', '[]', '', "
                     "CURRENT_TIMESTAMP)")
            )
            connection.execute(
                text("INSERT INTO runs (id, experiment_id, seed, status, queue, steps_done,"
                     " steps_total, created_at, spec) VALUES (7, 1, 0, 'running', 'cpu', 0, 100,"
                     " CURRENT_TIMESTAMP, '{}')")
            )
            connection.execute(
                text("INSERT INTO metric_points VALUES (7, 'loss', :step, :value, 0.0)"),
                [{"step": step, "value": value} for step, value in zip(steps, values, strict=True)],
            )

        # 0003 makes the blocks from the points (on SQLite without their points), 0004 adds them.
        upgrade_database(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT block, count, step_array, value_array FROM metric_blocks "
                     "ORDER BY block")
            ).all()
        assert [(block, count) for block, count, _, _ in rows] == [(0, 64), (1, 64), (2, 22)]
        for block, _, block_steps, block_values in rows:
            start = block * BLOCK_SIZE
            assert points_of(block_steps, block_values) == (
                steps[start : start + BLOCK_SIZE], values[start : start + BLOCK_SIZE]
            )

        command.downgrade(config, "0003")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM metric_blocks")).scalar() == 3
        upgrade_database(database_url)
    finally:
        engine.dispose()
