"""Errors the services raise; the app turns them into HTTP responses (see backend.main)."""


class NotFoundError(LookupError):
    """An experiment or run that does not exist (HTTP 404)."""


class EnqueueError(RuntimeError):
    """Runs that were stored but could not be sent to the broker (HTTP 503)."""
