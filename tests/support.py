"""Real processes for the integration and browser tiers: an API server and Celery workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")


# Worker settings that notice failures in seconds: heartbeats every 0.5 s, a lease of 4 s (the
# defaults are 10 s and 60 s); pass to ``rlboard_env``.
FAST_LEASE = dict(heartbeat_interval_s="0.5", heartbeat_timeout_s="4", reaper_interval_s="0.5",
                  cancel_poll_interval_s="0.5", broker_visibility_timeout_s="3")
LOG_INTERVAL = 1024


def ppo_spec(name: str, n_steps: int, seeds: list[int], **runner: object) -> dict:
    """A CartPole PPO experiment logging every ``LOG_INTERVAL`` steps (the integration tests'
    interval)."""
    return {
        "name": name,
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO"},
        "sampler": {"batch_T": 32, "batch_B": 8},
        "runner": {"n_steps": n_steps, "log_interval_steps": LOG_INTERVAL, **runner},
        "device": "cpu",
        "seeds": seeds,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.5,
             what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def rlboard_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a child rlboard process: RLBOARD_* settings over ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RLBOARD_")}
    env["RLBOARD_DATA_DIR"] = str(data_dir)
    env.update({f"RLBOARD_{k.upper()}": v for k, v in settings.items()})
    return env


def fast_env(data_dir: Path, database_url: str, broker_url: str, **settings: str) -> dict[str, str]:
    """``rlboard_env`` with ``FAST_LEASE``: a lost worker is noticed in seconds."""
    return rlboard_env(data_dir, database_url=database_url, broker_url=broker_url,
                       **FAST_LEASE, **settings)


def _stop_group(process: subprocess.Popen[bytes], sig: int, grace_s: float = 20) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def running_server(env: dict[str, str], *, worker: bool, log_path: Path,
                   port: int | None = None) -> Iterator[str]:
    """``rlboard serve`` on ``port`` (default a free one), with or without its local worker;
    yields its URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "RLBOARD_API_URL": url}
    command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command + ([] if worker else ["--no-worker"]), env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy() -> bool:
            assert process.poll() is None, f"rlboard serve exited: {log_path.read_text()[-3000:]}"
            try:
                return httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 60, what="rlboard serve to answer /health")
        yield url
    finally:
        # SIGINT is what Ctrl-C sends: the server must stop everything it started.
        _stop_group(process, signal.SIGINT)


@contextmanager
def running_worker(env: dict[str, str], *, queues: str, concurrency: int, name: str,
                   log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` process (``rlboard worker``) in a process group of its own."""
    command = [sys.executable, "-m", "backend.cli", "worker", "--queues", queues,
               "--concurrency", str(concurrency), "--name", name]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        _stop_group(process, signal.SIGTERM)


def _live_processes_whose(part: str, text: str) -> list[int]:
    """Pids of live (not zombie) processes whose /proc/PID/``part`` contains ``text``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            content = (entry / part).read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if text in content and state != "Z":
            pids.append(int(entry.name))
    return pids


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text``."""
    return _live_processes_whose("cmdline", text)


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of live processes started with the environment variable ``name=value``."""
    return _live_processes_whose("environ", f"{name}={value} ")
