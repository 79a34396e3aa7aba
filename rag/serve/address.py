"""Where the server of an index listens, and which settings it answers with.

One socket per index folder, in a folder only this user may enter (``$XDG_RUNTIME_DIR/baocao``,
else ``/tmp/baocao-<uid>``): another user can neither ask nor pose as the server. The settings
fingerprint lets a client with other answering settings (another ``--config``, another model)
answer in its own process instead of getting the server's answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import struct
from pathlib import Path
from typing import Any

from rag.config import Settings

SOCKET_SUFFIX = ".sock"
# the settings an answer depends on (chunking, ingest, OCR and the web page do not change one)
_ANSWER_SECTIONS = ("index", "embeddings", "retrieval", "rerank", "answer", "llm")


class UnsafeRuntimeDir(RuntimeError):
    """The socket folder exists but another user owns it or others may write in it."""


def runtime_dir() -> Path:
    """The private folder for sockets (not created here)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and Path(base).is_dir():
        return Path(base) / "baocao"
    return Path("/tmp") / f"baocao-{os.getuid()}"


def index_key(index_dir: Path) -> str:
    """The index folder as one absolute path, so `.baocao/index` and its absolute form are one index."""
    return str(Path(index_dir).expanduser().resolve())


def socket_path(index_dir: Path) -> Path:
    """The socket of the server of ``index_dir`` (a short name: Unix sockets allow about 100 bytes)."""
    digest = hashlib.sha256(index_key(index_dir).encode("utf-8")).hexdigest()[:20]
    return runtime_dir() / f"{digest}{SOCKET_SUFFIX}"


def check_private(folder: Path) -> None:
    """Refuse a socket folder that is not ours alone (:class:`UnsafeRuntimeDir`)."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise UnsafeRuntimeDir(
            f"thư mục {folder} không riêng của người dùng này (the socket folder is not private to this user)"
        )


def ensure_runtime_dir() -> Path:
    """The socket folder, created with mode 0700 when missing and checked either way."""
    folder = runtime_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(folder)
    return folder


def peer_uid(conn: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (None where the OS cannot say)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value.expanduser().resolve())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def settings_fingerprint(settings: Settings) -> str:
    """A digest of the settings an answer depends on, paths made absolute (secrets never leave it)."""
    data = {name: _plain(getattr(settings, name).model_dump()) for name in _ANSWER_SECTIONS}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
