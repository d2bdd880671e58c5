"""Block summaries of the metric series (``metric_blocks``), backfilled from the stored points.

Block ``n`` of a series holds its points ranked ``64 n`` to ``64 n + 63`` by step, with their
count, first, last, lowest and highest point (ties to the earliest step), and on PostgreSQL
the points' steps and values as arrays. Only CREATE TABLE and INSERT: nothing is copied.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BLOCK_SIZE = 64  # backend.models.BLOCK_SIZE when this migration was written


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"

    def array(item: sa.types.TypeEngine) -> sa.types.TypeEngine:
        return postgresql.ARRAY(item) if postgres else sa.JSON()

    op.create_table(
        "metric_blocks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"{end}_{part}", type_, nullable=False)
            for end in ("first", "last", "min", "max")
            for part, type_ in (("step", sa.BigInteger()), ("value", sa.Double()))
        ),
        sa.Column("step_array", array(sa.BigInteger()), nullable=True),
        sa.Column("value_array", array(sa.Double()), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "key", "block", name="pk_metric_blocks"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_metric_blocks_run_id_runs", ondelete="CASCADE"
        ),
    )
    # Window functions exist on both databases (SQLite 3.25+). Each point gets its block, then
    # per block the first, last, lowest and highest point by the orderings ingest uses.
    arrays = (
        ", array_agg(step ORDER BY step), array_agg(value ORDER BY step)" if postgres else ""
    )
    op.execute(
        f"""
        INSERT INTO metric_blocks (run_id, key, block, count, first_step, first_value,
            last_step, last_value, min_step, min_value, max_step, max_value
            {", step_array, value_array" if postgres else ""})
        SELECT run_id, key, block, count(*), min(step), min(first_value), max(step),
               min(last_value), min(min_step), min(min_value), min(max_step), min(max_value)
               {arrays}
        FROM (
            SELECT run_id, key, block, step, value,
                first_value(value) OVER (PARTITION BY run_id, key, block ORDER BY step)
                    AS first_value,
                first_value(value) OVER (PARTITION BY run_id, key, block ORDER BY step DESC)
                    AS last_value,
                first_value(step) OVER (PARTITION BY run_id, key, block ORDER BY value, step)
                    AS min_step,
                first_value(value) OVER (PARTITION BY run_id, key, block ORDER BY value, step)
                    AS min_value,
                first_value(step) OVER (
                    PARTITION BY run_id, key, block ORDER BY value DESC, step) AS max_step,
                first_value(value) OVER (
                    PARTITION BY run_id, key, block ORDER BY value DESC, step) AS max_value
            FROM (
                SELECT run_id, key, step, value,
                    (row_number() OVER (PARTITION BY run_id, key ORDER BY step) - 1)
                        / {BLOCK_SIZE} AS block
                FROM metric_points
            ) AS ranked
        ) AS points
        GROUP BY run_id, key, block
        """
    )


def downgrade() -> None:
    op.drop_table("metric_blocks")
