"""Dependencies of the routes: the app's settings, a database session per request, and the
bearer-token check with its rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from backend.api.ratelimit import RateLimiter
from backend.artifacts import ArtifactStore
from backend.models import TokenScope
from backend.services import auth
from backend.settings import Settings

#: Reads need the read scope; anything else (POST, PATCH, ...) needs write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The route whose writes draw on the ingest bucket (workers' metric batches) instead of the
#: writes bucket, so that no other client's writes can hold up a worker's points.
INGEST_ROUTE = "ingest_metrics"


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``)."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request, closed (and rolled back if uncommitted) afterwards."""
    with request.app.state.session_factory() as session:
        yield session


def get_artifact_store(request: Request) -> ArtifactStore:
    """The app's artifact store (``backend.artifacts.artifact_store``)."""
    return request.app.state.artifact_store


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifact_store)]

# auto_error off: a missing header is our 401 with our message, not FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="An API token (rlb_...) when RLBOARD_AUTH=on.")


CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def authorize(
    request: Request, settings: SettingsDep, session: SessionDep, credentials: CredentialsDep
) -> None:
    """With ``RLBOARD_AUTH=on``, require a token with the scope the request's method needs,
    and count a write against the token's rate limit."""
    scope: TokenScope = "read" if request.method in READ_METHODS else "write"
    _authorize(request, settings, session, credentials, scope)


def authorize_admin(
    request: Request, settings: SettingsDep, session: SessionDep, credentials: CredentialsDep
) -> None:
    """:func:`authorize` for token management: every method needs the admin scope."""
    _authorize(request, settings, session, credentials, "admin")


def _authorize(
    request: Request,
    settings: Settings,
    session: Session,
    credentials: HTTPAuthorizationCredentials | None,
    scope: TokenScope,
) -> None:
    """Authenticate for ``scope``; a write also takes a permit of the token's bucket."""
    if settings.auth == "off":
        return
    token = auth.authenticate(session, credentials.credentials if credentials else None, scope)
    if request.method in READ_METHODS:
        return
    limiter: RateLimiter = request.app.state.rate_limiter
    route = request.scope.get("route")
    if getattr(route, "name", None) == INGEST_ROUTE:
        limiter.take("ingest", token.id, settings.rate_limit_ingest_per_s,
                     settings.rate_limit_ingest_burst, "metric batches")
    else:
        limiter.take("writes", token.id, settings.rate_limit_writes_per_s,
                     settings.rate_limit_writes_burst, "writes")


def authorize_events(
    settings: SettingsDep,
    session: SessionDep,
    credentials: CredentialsDep,
    access_token: Annotated[
        str | None,
        Query(
            description="The API token, for clients that cannot send a header (a browser's "
            "EventSource); read scope suffices. Only the events stream takes it; it is "
            "redacted from the access log."
        ),
    ] = None,
) -> None:
    """:func:`authorize` for the events stream, which also takes the token as ``access_token``
    in the query: EventSource cannot set an Authorization header."""
    if settings.auth == "off":
        return
    auth.authenticate(session, credentials.credentials if credentials else access_token, "read")
