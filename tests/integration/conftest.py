"""Servers of one test alone, which it may stop and start at will: the shared PostgreSQL and
Redis on this machine must never stop (other test sessions use them)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.support import free_port, wait_for

#: ``restart(down_s)``: stop the server, wait ``down_s`` seconds, start it again.
Restart = Callable[[float], None]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, Restart]]:
    """A redis-server of this test alone, persisting to an append-only file as in production;
    yields its URL and ``restart``."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "yes", "--dir", str(tmp_path)]
    holder = {"process": subprocess.Popen(command, stdout=subprocess.DEVNULL)}

    def up() -> bool:
        try:
            return redis.Redis(port=port, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    wait_for(up, 10, what="redis-server to start")

    def restart(down_s: float) -> None:
        holder["process"].terminate()  # SIGTERM: redis writes its append-only file and exits
        holder["process"].wait(10)
        time.sleep(down_s)
        holder["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(up, 10, what="redis-server to restart")

    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        holder["process"].kill()
        holder["process"].wait()


def _postgres_binary(name: str) -> str | None:
    """``name`` (initdb, pg_ctl) from PATH or Debian's versioned folder, newest first."""
    return shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )


@pytest.fixture
def own_postgres(
    service_missing: Callable[[str, str], None],
) -> Iterator[tuple[str, Restart]]:
    """A PostgreSQL cluster of this test alone (initdb in a temporary folder, a free port, trust
    auth), with an empty database ``rlboard``; yields its SQLAlchemy URL and ``restart``,
    which stops the server the way ``systemctl restart`` does (``pg_ctl stop -m fast``: every
    connection is closed) and starts it again after ``down_s`` seconds."""
    initdb, pg_ctl = _postgres_binary("initdb"), _postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        service_missing("postgres", "initdb and pg_ctl are not installed")
    folder = Path(tempfile.mkdtemp(prefix="rlboard-pg-"))
    # PostgreSQL refuses to run as root: then the cluster belongs to the postgres user.
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl_run(*args: str) -> None:
        subprocess.run([*as_owner, pg_ctl, "-D", str(data), "-w", "-t", "60", *args],
                       check=True, stdout=subprocess.DEVNULL)

    try:
        subprocess.run([*as_owner, initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync"], check=True, stdout=subprocess.DEVNULL)
        pg_ctl_run("-o", options, "-l", str(folder / "server.log"), "start")
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                             autocommit=True) as admin:
            admin.execute("CREATE DATABASE rlboard")

        def restart(down_s: float) -> None:
            pg_ctl_run("-m", "fast", "stop")
            time.sleep(down_s)
            pg_ctl_run("-o", options, "-l", str(folder / "server.log"), "start")

        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/rlboard", restart
    finally:
        if (data / "postmaster.pid").exists():
            pg_ctl_run("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
