"""ASGI middleware against hostile input: security headers, the request body limit, and the
policy on ``module:Name`` environment ids. Plain ASGI (not BaseHTTPMiddleware), so that the
streamed responses (events, exports, artifacts) pass through untouched."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.spec import entry_point_envs_allowed


def _policy(*directives: str) -> str:
    return "; ".join(directives)


#: The dashboard (Vite's build: scripts and styles from files only). Plotly sets inline styles
#: and draws PNG exports through data: and blob: images; nothing is framed, posted or loaded
#: from elsewhere.
DASHBOARD_CSP = _policy(
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
#: JSON, event streams and downloads: nothing in them may run or load anything.
API_CSP = _policy("default-src 'none'", "frame-ancestors 'none'")
#: FastAPI's /docs (Swagger UI) and /redoc pages load their scripts from jsDelivr and start
#: them with an inline script.
DOCS_CSP = _policy(
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "font-src 'self' https://fonts.gstatic.com",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
#: On every response.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(path: str) -> str:
    """The CSP of the response to ``path``."""
    if path.startswith("/api/") or path == "/openapi.json":
        return API_CSP
    return DOCS_CSP if path in DOCS_PATHS else DASHBOARD_CSP


class SecurityHeaders:
    """Puts ``COMMON_HEADERS`` and the path's Content-Security-Policy on every HTTP response
    (a header the route set itself is kept)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = content_security_policy(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in {**COMMON_HEADERS, "Content-Security-Policy": csp}.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for a request body over ``max_bytes``: at once from Content-Length, else as soon as
    the bytes received pass it (chunked bodies), before the app has parsed any of it."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # An HTTPException, because FastAPI turns any other error while it reads the
                # body into a 400.
                raise self._error()
            return message

        await self.app(scope, limited_receive, send)

    def _error(self) -> HTTPException:
        return HTTPException(413, f"request body larger than {self.max_bytes} bytes "
                                  "(max_body_bytes)")

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = self._error()
        await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)


class EntryPointPolicy:
    """Validates every request's specs with ``module:Name`` environment ids allowed or not
    (``RLBOARD_ALLOW_ENTRY_POINT_ENVS``): such an id imports its module in this process."""

    def __init__(self, app: ASGIApp, allowed: bool):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A context variable: it reaches the request's validation, in this task and in the
        # thread pool (anyio copies the context), and nothing outside the request.
        token = entry_point_envs_allowed.set(self.allowed)
        try:
            await self.app(scope, receive, send)
        finally:
            entry_point_envs_allowed.reset(token)
