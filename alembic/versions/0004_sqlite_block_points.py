"""SQLite keeps each metric block's points too, as bytes, so long curves never read the points.

On SQLite ``metric_blocks.step_array`` and ``value_array`` become BLOBs holding the block's
steps and values as little-endian int64 and float64 (``np.frombuffer``), filled here from the
stored points. A series whose blocks overlap (points sent out of order) is read from its
points anyway and keeps nulls. PostgreSQL already has the arrays: nothing changes there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # SQLite cannot change a column's type in place: batch mode copies the table (whose
    # arrays are all null since 0003).
    with op.batch_alter_table("metric_blocks") as batch:
        for column in ("step_array", "value_array"):
            batch.alter_column(column, type_=sa.LargeBinary(), existing_type=sa.JSON())
    _fill_points()


def _fill_points() -> None:
    """Every block's points, from the points of its series in step order: when the blocks do
    not overlap, block ``i`` holds the next ``count_i`` of them."""
    connection = op.get_bind()
    blocks = connection.execute(
        sa.text(
            "SELECT run_id, key, block, count, first_step, last_step FROM metric_blocks "
            "ORDER BY run_id, key, block"
        )
    ).all()
    for (run_id, key), group in groupby(blocks, key=itemgetter(0, 1)):
        _, _, numbers, counts, firsts, lasts = zip(*group, strict=True)
        if any(first <= last for first, last in zip(firsts[1:], lasts[:-1], strict=True)):
            continue
        points = connection.execute(
            sa.text(
                "SELECT step, value FROM metric_points WHERE run_id = :run_id AND key = :key "
                "ORDER BY step"
            ),
            {"run_id": run_id, "key": key},
        ).all()
        if len(points) != sum(counts):
            continue
        steps = np.array([step for step, _ in points], dtype="<i8")
        values = np.array([value for _, value in points], dtype="<f8")
        stops = np.cumsum(counts)
        connection.execute(
            sa.text(
                "UPDATE metric_blocks SET step_array = :steps, value_array = :values "
                "WHERE run_id = :run_id AND key = :key AND block = :block"
            ),
            [
                {
                    "run_id": run_id, "key": key, "block": number,
                    "steps": steps[stop - count : stop].tobytes(),
                    "values": values[stop - count : stop].tobytes(),
                }
                for number, count, stop in zip(numbers, counts, stops.tolist(), strict=True)
            ],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("UPDATE metric_blocks SET step_array = NULL, value_array = NULL")
    with op.batch_alter_table("metric_blocks") as batch:
        for column in ("step_array", "value_array"):
            batch.alter_column(column, type_=sa.JSON(), existing_type=sa.LargeBinary())
