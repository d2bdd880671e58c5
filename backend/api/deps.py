"""Dependencies of the routes: the app's settings, a database session per request, and the
bearer-token check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from backend.artifacts import ArtifactStore
from backend.services import auth
from backend.settings import Settings

#: Reads need the read scope; anything else (POST, PATCH, ...) needs write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def authorize(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """With ``RLBOARD_AUTH=on``, require a token with the scope the request's method needs."""
    if settings.auth == "off":
        return
    scope = "read" if request.method in READ_METHODS else "write"
    auth.authenticate(session, credentials.credentials if credentials else None, scope)


def authorize_events(
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
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
