"""Persistent embedding cache: unchanged chunks are never embedded twice.

Why SQLite: one file, no server, safe for several readers and one writer at a time across
processes (WAL mode), and ``INSERT OR REPLACE`` makes concurrent writers of the same text
harmless because the value is the same.

A row is keyed by ``(model_id, sha256(kind + NUL + text))``: the model id names the vector
space, ``kind`` ("query"/"passage") stands for the prefix the backend applies, and the text is
the exact chunk text. Vectors are stored as little-endian float32 blobs.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CACHE_FILENAME = "embeddings.sqlite3"
_SQL_CHUNK = 500  # stay well below SQLite's host-parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    key      BLOB NOT NULL,
    vector   BLOB NOT NULL,
    PRIMARY KEY (model_id, key)
) WITHOUT ROWID
"""


def cache_key(kind: str, text: str) -> bytes:
    """sha256 digest of the kind (query/passage, i.e. the prefix applied) and the exact text."""
    return hashlib.sha256(kind.encode("utf-8") + b"\x00" + text.encode("utf-8")).digest()


def default_cache_path(cache_dir: str | Path) -> Path:
    """Where the cache file lives inside ``settings.cache_dir``."""
    return Path(cache_dir).expanduser() / CACHE_FILENAME


class EmbeddingCache:
    """SQLite-backed map ``(model_id, kind, text) -> float32 vector``; thread-safe."""

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0) -> None:
        self._path = Path(path).expanduser()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(self._path), timeout=timeout_s, check_same_thread=False
        )
        try:
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("embedding cache %s: WAL not available (journal_mode=%s)", self._path, mode)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except sqlite3.Error:
            self._conn.close()
            self._conn = None
            raise

    @classmethod
    def in_dir(cls, cache_dir: str | Path) -> EmbeddingCache:
        """Open (creating if needed) the cache file in ``cache_dir``."""
        return cls(default_cache_path(cache_dir))

    @property
    def path(self) -> Path:
        return self._path

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"embedding cache {self._path} is closed")
        return self._conn

    def get_many(self, model_id: str, kind: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        """Cached vectors in the order of ``texts``; ``None`` where a text is not cached."""
        keys = [cache_key(kind, t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            conn = self._connection()
            for start in range(0, len(unique), _SQL_CHUNK):
                part = unique[start : start + _SQL_CHUNK]
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    f"SELECT key, vector FROM embeddings WHERE model_id = ? AND key IN ({marks})",
                    [model_id, *part],
                ).fetchall()
                for key, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return [found.get(k) for k in keys]

    def put_many(self, model_id: str, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors (one row per text) and commit, so work done so far survives a crash."""
        vecs = np.asarray(vectors, dtype="<f4")
        if vecs.ndim != 2 or vecs.shape[0] != len(texts):
            raise ValueError(f"expected {len(texts)} vectors, got array of shape {vecs.shape}")
        rows = [(model_id, cache_key(kind, t), vecs[i].tobytes()) for i, t in enumerate(texts)]
        with self._lock:
            conn = self._connection()
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model_id, key, vector) VALUES (?, ?, ?)", rows
                )

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors, for one model or all."""
        with self._lock:
            conn = self._connection()
            if model_id is None:
                return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            return int(
                conn.execute("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)).fetchone()[0]
            )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
