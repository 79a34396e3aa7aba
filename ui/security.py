"""Who may use the page, and what a browser may do with it.

The page can read every indexed report and change the index, so serving it beyond this machine
without a password is refused unless the operator says ``--insecure`` explicitly.
:class:`SecurityHeaders` tells the browser never to frame the page (clickjacking), never to guess
a file's type, never to send the page's address elsewhere, and to run only the page's own scripts.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

AUTH_ENV = "BAOCAO_UI_AUTH"

Credentials = list[tuple[str, str]]


class AuthError(ValueError):
    """The auth setting cannot be understood."""


class InsecureBind(RuntimeError):
    """A non-loopback address was asked for without a password."""


def _pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    user = user.strip()
    if not sep or not user or not password:
        raise AuthError(f"{where}: cần dạng 'tên:mật khẩu' (expected 'user:password')")
    return user, password


def parse_auth(value: str | None, env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from ``value`` (or ``$BAOCAO_UI_AUTH`` when None); None means no password.

    ``value`` is ``user:password`` or ``@FILE`` (a file with one ``user:password`` a line;
    blank lines and ``#`` comments are skipped). The password may itself contain ``:``.
    """
    env = os.environ if env is None else env
    if value is None:
        value = env.get(AUTH_ENV) or None
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise AuthError("auth: giá trị rỗng (empty value)")
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AuthError(f"không đọc được tệp mật khẩu {path} (cannot read the auth file): {exc}") from exc
        pairs = [
            _pair(line.strip(), f"{path}:{i}")
            for i, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if not pairs:
            raise AuthError(f"{path}: không có dòng 'tên:mật khẩu' nào (no user:password line)")
        return pairs
    return [_pair(value, "auth")]


def is_loopback(host: str) -> bool:
    """True only for addresses that other machines cannot reach (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere: treat it as reachable


def check_bind(host: str, auth: Credentials | None, insecure: bool = False) -> None:
    """Refuse to listen beyond loopback without a password, unless ``insecure`` is set."""
    if is_loopback(host) or auth:
        return
    if insecure:
        logger.warning("serving on %s WITHOUT a password (--insecure): anyone who can reach it can read "
                       "and change the index", host)
        return
    raise InsecureBind(
        f"Từ chối mở giao diện trên {host} khi chưa đặt mật khẩu: ai truy cập được địa chỉ này cũng đọc và "
        f"sửa được chỉ mục. Dùng --auth 'tên:mật khẩu' (hoặc --auth @tệp, hoặc biến môi trường {AUTH_ENV}), "
        "hoặc --insecure nếu thật sự muốn.\n"
        f"(Refusing to serve on {host} without a password; pass --auth user:password, --auth @FILE, "
        f"set {AUTH_ENV}, or --insecure to override.)"
    )


# Gradio draws the page with inline scripts and styles, runs the page's ``js=`` snippets through
# ``new Function`` (hence 'unsafe-eval'), shows page images as data: URIs and talks to its own
# server over fetch/SSE/websocket. Nothing may load from another origin, and no one may frame it.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "connect-src 'self' ws: wss:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'self'",
))
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a document id in the address stays on this machine
}


class SecurityHeaders:
    """ASGI middleware: every HTTP answer (pages, API, files, errors, the login page) carries
    :data:`SECURITY_HEADERS`, replacing any the app set itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = dict(SECURITY_HEADERS if headers is None else headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = raw = list(message.get("headers", ()))
                headers = MutableHeaders(raw=raw)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
