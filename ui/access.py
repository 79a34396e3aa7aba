"""What the web page serves to whom: every route behind the login, and no file outside Gradio's own.

Gradio's login check guards only some routes (``/config``, ``/file=``, ``/upload``, ``/queue/join``
…); others answer without it (``/gradio_api/heartbeat/…``, ``/gradio_api/cancel``,
``/gradio_api/stream/…``, ``/openapi.json``, ``/manifest.json`` …). :class:`LoginGate`
sits in front of all of them and lets a request without a valid session cookie reach only the
login page and the static files it is drawn with, so a route a later Gradio adds is closed too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

# The login page (its config says only "auth_required") and the form it posts to; and the
# startup call Gradio's launch() makes to itself without a cookie (it starts the queue once and
# answers true/false).
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/"), ("HEAD", "/"), ("POST", "/login"), ("POST", "/login/"),
     ("GET", "/gradio_api/startup-events")}
)
# What the login page is drawn with (all it loads in a browser): Gradio's own JS/CSS/fonts, which
# ship in every Gradio install, and the theme's CSS variables. None holds a report or an answer.
PUBLIC_ASSETS: frozenset[str] = frozenset({"/theme.css"})
PUBLIC_ASSET_PREFIXES: tuple[str, ...] = ("/assets/", "/static/")


def is_public(method: str, path: str) -> bool:
    """Whether a request needs no login: the login page itself, or a static file it loads."""
    if (method, path) in PUBLIC_ROUTES:
        return True
    if method not in ("GET", "HEAD"):
        return False
    return path in PUBLIC_ASSETS or path.startswith(PUBLIC_ASSET_PREFIXES)


def logged_in(connection: HTTPConnection, gradio_app: Any) -> bool:
    """Whether the request carries a session cookie that Gradio's ``/login`` handed out."""
    tokens = getattr(gradio_app, "tokens", None)
    cookie_id = getattr(gradio_app, "cookie_id", None)
    if not isinstance(tokens, dict) or not cookie_id:
        return False  # not Gradio's app: fail closed
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        token = connection.cookies.get(name)
        if token and token in tokens:
            return True
    return False


class LoginGate:
    """ASGI middleware: without a login, only :func:`is_public` requests reach Gradio (else 401).

    Install it only when a password is set; Gradio's ``/login`` stays the one place that checks it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        logger.info("refused %s %s: not logged in", scope.get("method", "WS"), scope["path"])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = JSONResponse({"detail": "Not authenticated: log in at /"}, status_code=401)
        await response(scope, receive, send)

    @staticmethod
    def _allowed(scope: Scope) -> bool:
        if is_public(scope.get("method", "GET"), scope["path"]):
            return True
        return logged_in(HTTPConnection(scope), scope.get("app"))


def private_paths(paths: Iterable[Path]) -> list[str]:
    """Folders Gradio must never serve (``blocked_paths``): the index and the upload folder.

    Gradio serves only its own upload cache anyway; this keeps it so if that cache is ever set
    to a folder that holds them.
    """
    return [str(Path(p).expanduser().resolve()) for p in paths]
