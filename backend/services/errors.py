"""Errors the services raise; the app turns them into HTTP responses (see backend.main)."""

from __future__ import annotations

from typing import Any


class NotFoundError(LookupError):
    """An experiment or run that does not exist (HTTP 404)."""


class EnqueueError(RuntimeError):
    """Runs that were stored but could not be sent to the broker (HTTP 503)."""


class ConflictError(RuntimeError):
    """A transition the resource's current state does not allow (HTTP 409)."""


class InvalidInputError(ValueError):
    """Input that passed the schema but not a check needing stored data (HTTP 422).

    ``errors`` has FastAPI's shape (``loc``, ``msg``, ``type``), so clients read every 422 alike.
    """

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors

    @classmethod
    def at(cls, loc: tuple[str | int, ...], msg: str) -> InvalidInputError:
        """One error at ``loc``."""
        return cls([{"loc": list(loc), "msg": msg, "type": "value_error"}])


class AuthenticationError(PermissionError):
    """No token, or one that is unknown or revoked (HTTP 401)."""


class ScopeError(PermissionError):
    """A valid token without the scope the request needs (HTTP 403)."""


class RateLimitError(RuntimeError):
    """A token over its rate limit (HTTP 429 with Retry-After: ``retry_after_s``)."""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s
