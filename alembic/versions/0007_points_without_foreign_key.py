"""``metric_points.run_id`` loses its foreign key: ingest checks the run once per batch instead.

The constraint's trigger checked ``runs`` for every inserted point, a third of the time of a
1 000-point batch on PostgreSQL. Ingest now reads the run in the same statement, holding a
``FOR KEY SHARE`` lock on its row (what the trigger took), and stores nothing for an unknown run;
retrying a run deletes its points explicitly, and runs are never deleted otherwise. The blocks
and summaries keep theirs (one check per series or per 64 points). SQLite copies the table
(batch mode) to drop the constraint. Downgrading restores it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "fk_metric_points_run_id_runs"


def upgrade() -> None:
    with op.batch_alter_table("metric_points") as batch:
        batch.drop_constraint(NAME, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("metric_points") as batch:
        batch.create_foreign_key(NAME, "runs", ["run_id"], ["id"], ondelete="CASCADE")
