"""Alembic environment: runs the migrations against the rlboard database.

The URL comes from ``backend.db.upgrade_database`` (``config.attributes["database_url"]``)
or, on the ``alembic`` command line, from the settings (``RLBOARD_DATABASE_URL``, else the
SQLite file under ``RLBOARD_DATA_DIR``).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from backend.db import create_db_engine
from backend.models import Base
from backend.settings import get_settings

config = context.config
database_url = config.attributes.get("database_url")
if database_url is None:
    # Command-line use: log like the alembic tool. Called from the app, leave its logging alone.
    database_url = get_settings().effective_database_url
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)

# SQLite alters tables by copying them; batch mode lets later migrations do that.
options = {"target_metadata": Base.metadata, "render_as_batch": True}

if context.is_offline_mode():
    context.configure(url=database_url, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
