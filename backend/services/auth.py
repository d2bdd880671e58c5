"""API tokens: create, list, revoke, and authenticate a request's bearer token.

A token is ``rlb_`` plus 43 random URL-safe characters (256 bits); only its SHA-256 is stored,
so a leaked database grants nothing. Scopes: ``read``; ``write``, which implies read; and
``admin``, which implies write and alone may manage tokens over the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.models import TOKEN_SCOPES, ApiToken, TokenScope, utcnow
from backend.services.errors import AuthenticationError, NotFoundError, ScopeError

TOKEN_PREFIX = "rlb_"
#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: What each scope grants: itself and the scopes before it.
SCOPE_RANK: dict[TokenScope, int] = {scope: rank for rank, scope in enumerate(TOKEN_SCOPES)}


def hash_secret(secret: str) -> str:
    """The hex SHA-256 of a token's secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, scope: TokenScope) -> tuple[ApiToken, str]:
    """Store a new token; returns it and its secret, which is shown only this once. Commits."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, scope=scope, token_hash=hash_secret(secret))
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token for good (revoking it again keeps the first time). Commits."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"token {token_id} not found")
    return token


def authenticate(session: Session, secret: str | None, scope: TokenScope) -> ApiToken:
    """The live token whose secret is ``secret``, if it grants ``scope``.

    AuthenticationError (401) for no, an unknown or a revoked token; ScopeError (403) for a
    token whose scope is below ``scope`` (a read token on a write, a write token on token
    management). Notes the use (at most once a minute per token). Commits.
    """
    if not secret:
        raise AuthenticationError("an API token is required: Authorization: Bearer rlb_...")
    digest = hash_secret(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup already matched the hash; the constant-time compare keeps timing out of it.
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at:
        raise AuthenticationError("invalid or revoked API token")
    if SCOPE_RANK[token.scope] < SCOPE_RANK[scope]:
        raise ScopeError(
            f"token {token.name!r} has scope {token.scope}; this request needs {scope}"
        )
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            or_(ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )
    session.commit()
    return token
