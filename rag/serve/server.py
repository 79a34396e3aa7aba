"""The resident side of `baocao serve`: the assistant opened once, questions over a Unix socket.

Each connection carries one question (a JSON line) and gets one reply; connections are served on
threads (``Assistant.ask`` is thread-safe, and its model lock puts questions first). The index may
change under the server: documents another process ingests are seen at the next question, as in the
web page; an index folder deleted and made again is reopened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.serve import wire
from rag.serve.address import ensure_runtime_dir, peer_uid, settings_fingerprint, socket_path

logger = logging.getLogger(__name__)

#: a question used to load every part (engines, BM25, chunks, the reader) before the first client
WARM_UP_QUESTION = "Thu ngân sách nhà nước năm 2021 đạt bao nhiêu?"


class AlreadyServing(RuntimeError):
    """Another live server answers for this index."""


class AnswerService:
    """Answers requests with one assistant; reopens it when the index folder was replaced."""

    def __init__(self, settings: Settings, open_assistant: Callable[[], Any]) -> None:
        self.settings = settings
        self.fingerprint = settings_fingerprint(settings)
        self._open = open_assistant
        self._lock = threading.Lock()
        self.assistant = open_assistant()
        self._manifest_fd = self._hold_manifest()

    def _manifest_path(self) -> Path:
        from rag.index.store import MANIFEST_FILE

        return Path(self.settings.index.dir) / MANIFEST_FILE

    def _hold_manifest(self) -> int | None:
        """An open descriptor of the manifest: while it is open, a new file cannot take its inode."""
        try:
            return os.open(self._manifest_path(), os.O_RDONLY)
        except OSError:
            return None

    def _replaced(self) -> bool:
        """Whether the manifest the assistant opened is no longer the index folder's."""
        if self._manifest_fd is None:
            return False
        held = os.fstat(self._manifest_fd)
        try:
            now = self._manifest_path().stat()
        except OSError:
            return False  # gone and not made again: the assistant says so at the next question
        return (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino)

    def _current(self) -> Any:
        """The assistant of the index folder as it is now."""
        if not self._replaced():
            return self.assistant
        with self._lock:
            if self._replaced():
                logger.info("index %s was replaced; reopening it", self.settings.index.dir)
                self.assistant = self._open()
                if self._manifest_fd is not None:
                    os.close(self._manifest_fd)
                self._manifest_fd = self._hold_manifest()
            return self.assistant

    def warm_up(self) -> None:
        """Load everything a question needs now, so the first client waits for nothing."""
        self.assistant.ask(WARM_UP_QUESTION)

    def reply(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("v") != wire.VERSION:
            return {
                "ok": False,
                "why": "version",
                "message": f"phiên bản {message.get('v')!r} (unknown version)",
            }
        if message.get("fingerprint") != self.fingerprint:
            return {"ok": False, "why": "settings", "message": "cấu hình khác (other settings)"}
        question, history = message.get("question"), message.get("history") or []
        answer_mode = message.get("answer_mode")
        if not isinstance(question, str) or not isinstance(history, list):
            raise wire.WireError(
                "question phải là chuỗi, history là danh sách (question: str, history: list)"
            )
        answer = self._current().ask(question, history=history, filters=wire.filters_of(message),
                                     answer_mode=answer_mode)
        return {"ok": True, "answer": wire.answer_to_json(answer)}


class _Handler(socketserver.StreamRequestHandler):
    server: AnswerServer

    def handle(self) -> None:
        uid = peer_uid(self.connection)
        if uid is not None and uid != os.getuid():
            logger.warning("refused a client of user %s", uid)
            return
        try:
            reply = self.server.service.reply(wire.decode(self.rfile.readline(wire.MAX_LINE_BYTES + 1)))
        except Exception as exc:  # one bad question must not stop the server; the client answers itself
            logger.exception("request failed")
            reply = {"ok": False, "why": "error", "message": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(OSError):  # a client that gave up
            self.wfile.write(wire.encode(reply))


class AnswerServer(socketserver.ThreadingUnixStreamServer):
    """The listening socket of one index; removes its socket file when closed."""

    daemon_threads = True

    def __init__(self, path: Path, service: AnswerService) -> None:
        self.path = path
        self.service = service
        old = os.umask(0o177)  # the socket file: read and write for this user only
        try:
            super().__init__(str(path), _Handler)
        finally:
            os.umask(old)
        self._inode = path.stat().st_ino

    def server_close(self) -> None:
        super().server_close()
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self._inode:  # not a socket a later server put there
                self.path.unlink()


def _alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def bind(service: AnswerService) -> AnswerServer:
    """Listen on the index's socket; a stale socket file (its server died) is replaced."""
    ensure_runtime_dir()
    path = socket_path(service.settings.index.dir)
    if path.exists() or path.is_symlink():
        if _alive(path):
            raise AlreadyServing(
                f"Đã có một tiến trình `baocao serve` cho chỉ mục {service.settings.index.dir} "
                f"(already serving this index at {path})"
            )
        path.unlink()
    return AnswerServer(path, service)


def run(server: AnswerServer) -> None:
    """Serve until Ctrl-C or SIGTERM, then remove the socket."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
