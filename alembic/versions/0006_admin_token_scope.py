"""The ``admin`` token scope: managing tokens over the API needs it.

``api_tokens.scope`` (a String(8)) gets a CHECK allowing ``admin`` too. SQLite cannot alter a
CHECK, so batch mode copies the table (see 0002). Downgrading makes admin tokens write tokens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


#: 0002 named the CHECK through the models' naming convention, which prefixed it once more;
#: this migration gives it the models' name and downgrading restores 0002's.
NAME_0002 = "ck_api_tokens_ck_api_tokens_scope"
NAME = "ck_api_tokens_scope"


def _scope_check(drop: str, create: str, scopes: str) -> None:
    """Replace the CHECK ``drop`` on ``api_tokens.scope`` by ``create`` allowing ``scopes``."""
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f(drop), type_="check")
        batch.create_check_constraint(op.f(create), sa.text(f"scope IN ({scopes})"))


def upgrade() -> None:
    _scope_check(NAME_0002, NAME, "'read', 'write', 'admin'")


def downgrade() -> None:
    op.execute("UPDATE api_tokens SET scope = 'write' WHERE scope = 'admin'")
    _scope_check(NAME, NAME_0002, "'read', 'write'")
