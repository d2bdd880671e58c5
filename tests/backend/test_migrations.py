"""The hand-written migrations: they match the models and run up and down on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backend.db import alembic_config, create_db_engine, upgrade_database
from backend.models import Base

TABLES = {"experiments", "runs", "metric_points", "metric_series"}


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
