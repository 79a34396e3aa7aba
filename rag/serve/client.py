"""The `baocao ask` side: hand the question to the index's server when one runs, else say so (None).

Light on purpose: only the standard library and the records are imported, so a served question
costs the CLI's own start and a round trip. Any trouble (no server, a server with other settings,
a dead or failing one) returns None and the caller answers in its own process: a server can make
an answer faster, never different or missing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, Sequence

from rag.config import AnswerMode, Settings
from rag.records import Answer, SearchFilters
from rag.serve import wire
from rag.serve.address import UnsafeRuntimeDir, check_private, peer_uid, settings_fingerprint, socket_path

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 1.0


def _read_line(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= wire.MAX_LINE_BYTES:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


def ask_served(
    settings: Settings,
    question: str,
    history: Sequence[Mapping[str, str]] = (),
    filters: SearchFilters | None = None,
    answer_mode: AnswerMode | None = None,
) -> Answer | None:
    """The server's answer, or None when this process should answer itself (the reason is logged)."""
    path = socket_path(settings.index.dir)
    if not path.exists():
        return None
    try:
        check_private(path.parent)
    except (UnsafeRuntimeDir, OSError) as exc:
        logger.warning("not asking the server: %s", exc)
        return None
    # the answer may come from an LLM: wait as long as that may take, plus the retrieval
    read_timeout = settings.llm.timeout_s + 60
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT_S)
            conn.connect(str(path))
            uid = peer_uid(conn)
            if uid is not None and uid != os.getuid():
                logger.warning("not asking the server at %s: it runs as user %s", path, uid)
                return None
            conn.settimeout(read_timeout)
            conn.sendall(
                wire.encode(wire.request(settings_fingerprint(settings), question, history, filters, answer_mode))
            )
            reply = wire.decode(_read_line(conn))
    except (OSError, wire.WireError) as exc:
        logger.info("no answer from the server at %s (%s); answering here", path, exc)
        return None
    if not reply.get("ok"):
        logger.info(
            "the server at %s did not answer (%s: %s); answering here",
            path,
            reply.get("why"),
            reply.get("message"),
        )
        return None
    try:
        answer = wire.answer_from_json(reply.get("answer") or {})
    except wire.WireError as exc:
        logger.info("%s; answering here", exc)
        return None
    logger.info("answered by the server at %s", path)
    return answer
