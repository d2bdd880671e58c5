"""Fixtures for every test tier: the real services on this machine (PostgreSQL, Redis).

A service that cannot be reached skips the tests that need it, and the terminal summary says
so loudly; with ``CI=true`` it fails them instead, so CI never passes by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NoReturn

import psycopg
import pytest
import redis

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Databases 1..15 are handed out one per test; a key marks a database as taken, so that test
# sessions running side by side on this machine never share one.
REDIS_DATABASES = range(1, 16)
REDIS_CLAIM_KEY = "rlboard-tests:claimed"

_skipped_for_missing: Counter[str] = Counter()
_why_missing: dict[str, str] = {}


def _service_missing(service: str, reason: str) -> NoReturn:
    """Fail (under CI) or skip the current test because ``service`` is unreachable."""
    message = f"{service} is unreachable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service fails the test)", pytrace=False)
    _skipped_for_missing[service] += 1
    _why_missing[service] = reason
    pytest.skip(message)


@pytest.fixture(scope="session")
def service_missing() -> Callable[[str, str], NoReturn]:
    """``service_missing(service, reason)``: the tiers' way to report a service they lack."""
    return _service_missing


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        _service_missing("postgres", str(exc).strip())
    database = f"rlboard_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{database}"')
        try:
            yield POSTGRES_URL.format(database=database)
        finally:
            # FORCE ends connections a failed test may have left open.
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` for a database no other test uses; flushed afterwards."""
    for number in REDIS_DATABASES:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=3)
        try:
            # Expires, so a database taken by a killed test session is freed again.
            claimed = client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True, ex=3600)
        except redis.ConnectionError as exc:
            _service_missing("redis", str(exc))
        if claimed:
            break
        client.close()
    else:
        pytest.fail(f"every Redis database {REDIS_DATABASES} is in use by other test sessions")
    # A test session killed before its teardown may have left keys behind.
    stale = [key for key in client.scan_iter() if key != REDIS_CLAIM_KEY.encode()]
    if stale:
        client.delete(*stale)
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    finally:
        client.flushdb()
        client.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _skipped_for_missing:
        return
    terminalreporter.write_sep("!", "SERVICES MISSING: tests were SKIPPED", red=True, bold=True)
    for service, count in sorted(_skipped_for_missing.items()):
        reason = _why_missing[service].splitlines()[0]
        terminalreporter.write_line(
            f"  {service}: {count} test(s) skipped ({reason})", red=True, bold=True
        )
    terminalreporter.write_line(
        "  Start what is missing; with CI=true these tests fail instead of skipping.",
        red=True,
        bold=True,
    )
