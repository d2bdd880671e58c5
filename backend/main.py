"""The FastAPI application: REST API under /api/v1, the dashboard at /, and the lost-run reaper."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import Scope

from backend.api.main import api_router, document_common_errors
from backend.api.middleware import BodyLimit, EntryPointPolicy, SecurityHeaders
from backend.api.ratelimit import RateLimiter
from backend.artifacts import artifact_store
from backend.db import create_db_engine, create_session_factory, is_transient
from backend.services.errors import (
    AuthenticationError,
    ConflictError,
    EnqueueError,
    InvalidInputError,
    NotFoundError,
    RateLimitError,
    ScopeError,
)
from backend.services.runs import recover_lost_runs
from backend.settings import Settings, get_settings

logger = logging.getLogger(__name__)

NO_FRONTEND_PAGE = """<!doctype html>
<html><head><title>rlboard</title></head><body>
<h1>rlboard</h1>
<p>The dashboard is not built. Run <code>make frontend</code>, then reload this page.</p>
<p>The API is up: <a href="/docs">/docs</a>.</p>
</body></html>
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment). The schema must be migrated
    already (``backend.db.upgrade_database``)."""
    settings = settings or get_settings()
    engine = create_db_engine(settings.effective_database_url, settings)
    session_factory = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Here, not earlier: uvicorn configures its loggers between create_app and startup.
        access_log = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, RedactAccessToken) for f in access_log.filters):
            access_log.addFilter(RedactAccessToken())
        reaper = asyncio.create_task(_reap_lost_runs(session_factory, settings))
        try:
            yield
        finally:
            reaper.cancel()
            with suppress(asyncio.CancelledError):
                await reaper
            engine.dispose()

    app = FastAPI(
        title="rlboard",
        version=version("rlboard"),
        lifespan=lifespan,
        # Operation ids are the route functions' names, for a readable generated client.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.artifact_store = artifact_store(settings)
    app.state.rate_limiter = RateLimiter()
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(NotFoundError, _error_response(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(EnqueueError, _error_response(status.HTTP_503_SERVICE_UNAVAILABLE))
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(ConflictError, _error_response(status.HTTP_409_CONFLICT))
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(
        AuthenticationError,
        _error_response(status.HTTP_401_UNAUTHORIZED, {"WWW-Authenticate": "Bearer"}),
    )
    app.add_exception_handler(ScopeError, _error_response(status.HTTP_403_FORBIDDEN))
    app.add_exception_handler(RateLimitError, _rate_limited)
    app.include_router(api_router)
    _document(app)
    _serve_frontend(app, settings.frontend_dir)
    # The last added runs first: headers go on every response, 413s and CORS answers included.
    app.add_middleware(EntryPointPolicy, allowed=settings.allow_entry_point_envs)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(SecurityHeaders)
    return app


def _document(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the errors the middleware and rate limit answer with."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_common_errors(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class RedactAccessToken(logging.Filter):
    """Blanks ``access_token=...`` (the events stream's token) in the paths of access log
    records, so that no token reaches a log file."""

    PATTERN = re.compile(r"(access_token=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PATTERN.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1***", record.msg)
        return True


async def _reap_lost_runs(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """Every ``reaper_interval_s``, resume (or, past ``max_recoveries``, fail) the runs whose
    worker stopped sending heartbeats."""

    def reap() -> None:
        with session_factory() as session:
            recover_lost_runs(session, settings)

    # Heartbeats cannot arrive while the API is down: after a (re)start, every worker gets a
    # whole heartbeat timeout to reach it again before any of its runs is judged lost.
    await asyncio.sleep(settings.heartbeat_timeout_s)
    while True:
        await asyncio.sleep(settings.reaper_interval_s)
        try:
            await asyncio.to_thread(reap)
        except Exception:  # a database hiccup must not end the loop for good
            logger.exception("could not check for lost runs")


def _error_response(
    status_code: int, headers: dict[str, str] | None = None
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """An exception handler answering ``{"detail": str(exc)}`` with ``status_code``."""

    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_code, headers=headers)

    return handler


async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
    """503 with Retry-After while the database is unreachable (restarting, failing over), so
    clients know to try again; any other database error stays a 500."""
    if not is_transient(exc):
        raise exc
    logger.warning("database unavailable: %s", str(exc.orig).strip())
    return JSONResponse({"detail": "the database is unavailable; try again shortly"},
                        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "2"})


async def _rate_limited(_request: Request, exc: RateLimitError) -> JSONResponse:
    """429 with Retry-After: the seconds until the token may write again."""
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                        headers={"Retry-After": str(exc.retry_after_s)})


async def _invalid_input(_request: Request, exc: InvalidInputError) -> JSONResponse:
    """A service's 422, in the shape of FastAPI's own (``detail``: errors with ``loc``)."""
    errors = _finite(jsonable_encoder(exc.errors))
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 body, except that NaN and infinities in it are written as strings.

    JSON has no such numbers, so echoing a rejected NaN back would otherwise fail with a 500;
    the client that sent it must still learn which field it was.
    """
    errors = _finite(jsonable_encoder(exc.errors()))
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float, however deeply nested, replaced by its name."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


class SinglePageApp(StaticFiles):
    """The dashboard's files; any other non-API path gets index.html (client-side routing)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_404_NOT_FOUND or path.split("/")[0] == "api":
                raise
            return await super().get_response("index.html", scope)


def _serve_frontend(app: FastAPI, frontend_dir: Path) -> None:
    """Mount the built dashboard at /, or a page saying how to build it."""
    if (frontend_dir / "index.html").is_file():
        app.mount("/", SinglePageApp(directory=frontend_dir), name="frontend")
        return

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def frontend_missing() -> str:
        return NO_FRONTEND_PAGE
