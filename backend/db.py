"""Database engines, sessions and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds a SQLite writer waits for the lock instead of failing with "database is locked":
# the API, the reaper and local workers write to the same file.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# retry_transient: 5 tries, waiting 0.5, 1, 2 and 4 s between them, so a write survives a
# database restart of about 7 s before its caller sees the error.
RETRY_ATTEMPTS = 5
RETRY_FIRST_DELAY_S = 0.5


def create_db_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for ``url``; a SQLite file gets its folder, WAL mode and a busy timeout.

    A PostgreSQL pool is sized by ``settings`` (``db_pool_*``; SQLAlchemy's defaults without,
    enough for migrations and one-off commands) and pings a connection before lending it, so
    connections a database restart closed are replaced rather than failing requests.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        pool: dict[str, Any] = {}
        if settings is not None:
            pool = {
                "pool_size": settings.db_pool_size,
                "max_overflow": settings.db_max_overflow,
                "pool_timeout": settings.db_pool_timeout_s,
                "pool_recycle": settings.db_pool_recycle_s,
            }
        return create_engine(url, pool_pre_ping=True, **pool)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``."""
    return sessionmaker(engine)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error that trying again may cure: the connection was lost
    (server restart, failover, a killed backend), the server refused a connection (still
    starting up), or SQLite's lock stayed busy past its timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite raises OperationalError for bad SQL too; only a busy lock is worth a wait.
        return "database is locked" in str(exc.orig)
    return isinstance(exc, OperationalError)


def retry_transient(session: Session, operation: Callable[[], T], what: str) -> T:
    """``operation()`` (which uses ``session`` and commits), tried again after a rollback when
    it fails with a transient error (:func:`is_transient`), at most ``RETRY_ATTEMPTS`` tries.

    Only for idempotent operations: a connection lost during COMMIT leaves unknown whether
    the transaction was applied, so trying again must be harmless if it was.
    """
    delay = RETRY_FIRST_DELAY_S
    for attempt in range(1, RETRY_ATTEMPTS):
        try:
            return operation()
        except DBAPIError as exc:
            session.rollback()  # the session is unusable until rolled back
            if not is_transient(exc):
                raise
            log.warning("%s: transient database error, try %d of %d in %.1f s: %s", what,
                        attempt + 1, RETRY_ATTEMPTS, delay, str(exc.orig).strip())
        time.sleep(delay)
        delay *= 2
    return operation()  # the last try: its error is the caller's


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the repository's migrations, aimed at ``url``."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    # Passed as an attribute, not an ini option, so a '%' in a password needs no escaping.
    config.attributes["database_url"] = url
    return config


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    command.upgrade(alembic_config(url), "head")
