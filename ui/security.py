"""Who may use the page: password parsing and the rule that only loopback may go without one.

The page can read every indexed report and change the index, so serving it beyond this machine
without a password is refused unless the operator says ``--insecure`` explicitly.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from pathlib import Path

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
