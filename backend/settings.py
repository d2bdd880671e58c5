"""Every setting of the backend, read from ``RLBOARD_*`` environment variables."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Backend configuration; defaults give the embedded single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="RLBOARD_")

    data_dir: Path = Path("data")
    database_url: str | None = None
    # --- Database connections (PostgreSQL; SQLite uses one file and ignores them) ---
    # Per process: the API serves sync routes from up to 40 threads (anyio's default), so
    # pool + overflow = 40 never makes a request wait for a connection; idle ones above the
    # pool size are closed. Every API and worker process counts against the server's
    # ``max_connections`` (100 by default). A pooled connection is pinged before use, so one
    # dropped by a database restart is replaced instead of failing its request.
    db_pool_size: int = 10
    db_max_overflow: int = 30
    db_pool_timeout_s: float = 30
    # Reconnect after this long, before a proxy or firewall silently drops idle connections.
    db_pool_recycle_s: float = 1800
    # None selects the embedded broker (backend/broker.py keeps it under data_dir).
    broker_url: str | None = None
    api_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    # "on": every API request but /health needs ``Authorization: Bearer <token>``.
    auth: Literal["off", "on"] = "off"
    # The token clients (the CLI) send, and the one workers send with their metrics.
    token: str | None = None
    worker_token: str | None = None
    heartbeat_interval_s: float = 10
    # How often a worker reads its run's status, so a cancel reaches the engine within seconds.
    cancel_poll_interval_s: float = 1
    # A run's lease: a run whose worker sent no heartbeat for this long is lost; the reaper
    # (every ``reaper_interval_s``) resumes it on another worker from its last checkpoint, at
    # most ``max_recoveries`` times, then fails it.
    heartbeat_timeout_s: float = 60
    reaper_interval_s: float = 10
    max_recoveries: int = 3
    # Redis broker: a message not acknowledged for this long goes back to the queue; workers
    # renew the messages of their live runs every heartbeat, so only a dead worker's return.
    broker_visibility_timeout_s: float = 3600
    # Artifacts (checkpoints, logs, videos): None keeps them in ``data_dir/runs/<id>``, where
    # runs train (a shared volume for several machines); ``s3://bucket/prefix`` puts them in
    # any S3-compatible store (``s3_endpoint_url`` for MinIO; credentials from the usual AWS_*
    # variables), uploaded by the worker every ``artifact_sync_interval_s`` and at the end.
    artifact_url: str | None = None
    s3_endpoint_url: str | None = None
    artifact_sync_interval_s: float = 30
    frontend_dir: Path = REPO_ROOT / "frontend" / "dist"
    local_worker_concurrency: int = 2
    # Runs one POST may create (sweep variants x seeds).
    max_runs_per_experiment: int = 1000

    # --- Hostile input: rate limits, CORS, request limits (docs/ARCHITECTURE.md, "Security").
    # Writes per second a token may make with auth on, and the burst it may save up (a token
    # bucket per token, in this process); 0 turns the limit off. Metric ingest has its own,
    # larger bucket, so a dashboard or script never holds up a worker's points (nor the
    # reverse): each run's worker posts about once every 2 s, so one token shared by workers
    # training N runs at once needs N / 2 a second, and a burst to catch up after an outage.
    rate_limit_writes_per_s: float = 20
    rate_limit_writes_burst: int = 200
    rate_limit_ingest_per_s: float = 500
    rate_limit_ingest_burst: int = 5000
    # Origins (e.g. https://lab.example.org) whose pages may call the API from a browser, as
    # a JSON list; empty, the default: none (the dashboard is served by the API itself).
    cors_origins: list[str] = []
    # Environment ids ``module:Name`` make the API import ``module`` while validating a spec:
    # from requests they are refused unless this is on (the engine and CLI always take them;
    # the engine's own ``engine.envs.*`` modules are always allowed).
    allow_entry_point_envs: bool = False
    # Largest request body in bytes; a full metric batch (5 000 points) is about 0.5 MB.
    max_body_bytes: int = 4 * 1024 * 1024

    @property
    def effective_database_url(self) -> str:
        """The configured database, or a SQLite file under ``data_dir``."""
        return self.database_url or f"sqlite:///{self.data_dir}/rlboard.db"


@cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
