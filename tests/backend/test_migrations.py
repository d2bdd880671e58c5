"""The hand-written migrations: they match the models and run up and down on both databases."""

from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from backend.db import alembic_config, create_db_engine, upgrade_database
from backend.models import Base

TABLES = {"experiments", "runs", "metric_points", "metric_series", "metric_blocks"}


def test_migrations_match_the_models_and_run_down_and_up(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade_database(database_url)
        with engine.connect() as connection:
            assert TABLES <= set(inspect(connection).get_table_names())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

        command.downgrade(alembic_config(database_url), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}

        upgrade_database(database_url)
        with engine.connect() as connection:
            assert TABLES <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_0002_keeps_existing_runs_and_gives_them_a_spec_and_an_attempt(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0001")
    engine = create_db_engine(database_url)
    spec = {"name": "old", "seeds": [0, 1]}
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO experiments (id, name, spec, env_id, algo, tags, notes, "
                     "created_at) VALUES (1, 'old', :spec, 'CartPole-v1', 'PPO', '[]', '', "
                     "CURRENT_TIMESTAMP)"),
                {"spec": json.dumps(spec)},
            )
            connection.execute(
                text("INSERT INTO runs (id, experiment_id, seed, status, queue, task_id, worker,"
                     " steps_done, steps_total, created_at, error) VALUES (7, 1, 1, 'failed',"
                     " 'cpu', 't7', 'w@h', 10, 100, CURRENT_TIMESTAMP, 'boom')")
            )
            connection.execute(
                text("INSERT INTO metric_points VALUES (7, 'loss', 10, 1.5, 0.1)")
            )

        upgrade_database(database_url)
        with engine.connect() as connection:
            run_spec, variant = connection.execute(
                text("SELECT spec, variant FROM runs WHERE id = 7")
            ).one()
            run_spec = json.loads(run_spec) if isinstance(run_spec, str) else run_spec
            assert (run_spec, variant) == ({"name": "old", "seeds": [1]}, None)
            attempt = connection.execute(
                text("SELECT number, kind, status, task_id, worker, error FROM run_attempts "
                     "WHERE run_id = 7")
            ).one()
            assert tuple(attempt) == (1, "fresh", "failed", "t7", "w@h", "boom")

        command.downgrade(config, "0001")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT seed, error FROM runs")).one() == (1, "boom")
            assert connection.execute(text("SELECT value FROM metric_points")).scalar() == 1.5
            assert "run_attempts" not in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_0003_backfills_the_blocks_of_stored_points(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0002")
    engine = create_db_engine(database_url)
    # 150 points: blocks of 64, 64 and 22; values with ties, so ties go to the earliest step.
    steps = list(range(10, 1510, 10))
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

        upgrade_database(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT block, count, first_step, first_value, last_step, last_value, "
                     "min_step, min_value, max_step, max_value FROM metric_blocks ORDER BY block")
            ).all()
            expected = []
            for block, start in enumerate(range(0, 150, 64)):
                s, v = steps[start : start + 64], values[start : start + 64]
                low, high = v.index(min(v)), v.index(max(v))
                expected.append((block, len(s), s[0], v[0], s[-1], v[-1], s[low], v[low],
                                 s[high], v[high]))
            assert [tuple(row) for row in rows] == expected
            if connection.dialect.name == "postgresql":
                arrays = connection.execute(
                    text("SELECT step_array, value_array FROM metric_blocks WHERE block = 2")
                ).one()
                assert tuple(arrays) == (steps[128:], values[128:])

        command.downgrade(config, "0002")
        with engine.connect() as connection:
            assert "metric_blocks" not in inspect(connection).get_table_names()
            assert connection.execute(text("SELECT count(*) FROM metric_points")).scalar() == 150
    finally:
        engine.dispose()
