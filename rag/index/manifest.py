"""The manifest: the SQLite record of what is indexed, and the index's source of truth.

A document and its chunks are written in one SQLite transaction, after its vectors are in
Chroma. Chroma and BM25 may therefore hold *more* than the manifest after a crash (orphans, a
stale BM25 file), never less; readers trust only ids the manifest lists, and the next ingest
removes the orphans. The ``generation`` counter changes with every committed change, so derived
state (the BM25 index) knows when it is stale.

Sentence vectors (the reader's semantic evidence) are rows of the same transaction as their
document: a sentence is ``(doc_id, start, end)`` and its vector is stored as float16 bytes. So are
the pages of a PDF or a scan (their spans of the text, and whether OCR read them), which give a
citation its page number.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np

from rag.index.faults import fault_point
from rag.records import DocumentMetadata, PageSpan

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    section TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, idx);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (doc_id, start, end)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    ocr INTEGER NOT NULL,
    confidence REAL,
    PRIMARY KEY (doc_id, number)
) WITHOUT ROWID;
"""

# Stored sentence vectors: float16 halves the size (384 dims: 768 bytes) and moves a cosine
# similarity by less than 1e-3, far below what separates two candidate sentences.
SENTENCE_VECTOR_DTYPE = np.float16


@dataclass(frozen=True)
class DocumentRow:
    doc_id: str
    path: str
    content_hash: str
    size: int
    mtime_ns: int
    format: str
    encoding: str
    metadata: DocumentMetadata
    n_chunks: int
    indexed_at: float
    # "cli" (``baocao ingest``), "web" (the page without login) or "web:<user>"; None: not recorded
    uploaded_by: str | None = None


@dataclass(frozen=True)
class ChunkRow:
    chunk_id: str
    doc_id: str
    idx: int
    start: int
    end: int
    section: str


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes: ``mode=ro``, or ``immutable=1`` where SQLite cannot even make
    the ``-shm``/``-wal`` files a WAL reader needs (a read-only folder, a full disk).

    Immutable skips the WAL: what a writer committed there without a checkpoint is not seen (the
    file as of its last checkpoint is read, consistent), which only a crashed writer leaves behind.
    """
    uri = f"file:{quote(str(path))}"
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as exc:  # "unable to open database file", "disk I/O error"
        db.close()
        logger.info("reading %s as immutable (%s)", path, exc)
    db = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        logger.warning("%s: %s giữ thay đổi chưa gộp; đọc bản trước đó (uncheckpointed changes in the "
                       "WAL are not read on this read-only or full disk)", path, wal.name)
    return db


def _add_uploader_column(db: sqlite3.Connection) -> None:
    """Migration: who added each document (``uploaded_by``), NULL for documents indexed before."""
    if "uploaded_by" not in {r[1] for r in db.execute("PRAGMA table_info(documents)")}:
        db.execute("ALTER TABLE documents ADD COLUMN uploaded_by TEXT")


class Manifest:
    """Thin typed access to ``manifest.sqlite`` in the index folder."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        # a reader works on a read-only or full disk, and writes nothing
        self._db = connect_read_only(path) if read_only else self._connect_writer()
        self._db.execute("PRAGMA foreign_keys=ON")

    def _connect_writer(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        _add_uploader_column(db)
        db.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?), ('generation', '0')",
            (str(SCHEMA_VERSION),),
        )
        db.commit()
        return db

    def writable(self) -> None:
        """Reopen a reader's manifest for writing (the web page deletes through its reader).

        The read-only connection is left to the threads still reading on it, not closed.
        """
        if self.read_only:
            self._db = self._connect_writer()
            self._db.execute("PRAGMA foreign_keys=ON")
            self.read_only = False

    def close(self) -> None:
        self._db.close()

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def mark_changed(self) -> None:
        """A new generation without a change of rows: the vectors changed (readers reload derived state)."""
        with self._db:
            self._bump()

    def _bump(self) -> None:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    # -- writes -------------------------------------------------------------------------------
    def commit_document(
        self,
        *,
        doc_id: str,
        path: str,
        content_hash: str,
        size: int,
        mtime_ns: int,
        format: str,
        encoding: str,
        text: str,
        metadata: DocumentMetadata,
        chunks: list[ChunkRow],
        sentences: Sequence[tuple[int, int]] = (),
        sentence_vectors: np.ndarray | None = None,
        pages: Sequence[PageSpan] = (),
    ) -> list[str]:
        """Replace ``doc_id``, its chunks, sentence vectors and pages atomically; return its old chunk ids."""
        with self._db:
            old = [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))]
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO documents(doc_id, path, content_hash, size, mtime_ns, format, encoding, "
                "text, metadata, indexed_at, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT uploaded_by FROM documents WHERE doc_id = ?))",  # re-cut or re-read: same uploader
                (
                    doc_id, path, content_hash, size, mtime_ns, format, encoding, text,
                    json.dumps(metadata.to_json(), ensure_ascii=False), time.time(), doc_id,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                [(c.chunk_id, c.doc_id, c.idx, c.start, c.end, c.section) for c in chunks],
            )
            self._db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
            if sentence_vectors is not None and len(sentences):
                vectors = np.asarray(sentence_vectors, dtype=SENTENCE_VECTOR_DTYPE)
                self._db.executemany(
                    "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?)",
                    [(doc_id, s, e, vectors[i].tobytes()) for i, (s, e) in enumerate(sentences)],
                )
            self._db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
            self._db.executemany(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                [(doc_id, p.number, p.start, p.end, int(p.ocr), p.confidence) for p in pages],
            )
            self._bump()
            fault_point("manifest_commit_open")
        return old

    def touch_document(self, doc_id: str, path: str, size: int, mtime_ns: int) -> None:
        """Record a new path/mtime for a file whose content did not change (no generation bump)."""
        with self._db:
            self._db.execute(
                "UPDATE documents SET path = ?, size = ?, mtime_ns = ? WHERE doc_id = ?",
                (path, size, mtime_ns, doc_id),
            )

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove a document; return its chunk ids so the vector store can drop them too."""
        with self._db:
            old = [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))]
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._bump()
            fault_point("manifest_delete_open")
        return old

    # -- reads --------------------------------------------------------------------------------
    def _doc_row(self, r: tuple) -> DocumentRow:
        return DocumentRow(
            doc_id=r[0], path=r[1], content_hash=r[2], size=r[3], mtime_ns=r[4], format=r[5],
            encoding=r[6], metadata=DocumentMetadata.from_json(json.loads(r[7])), n_chunks=r[8],
            indexed_at=r[9], uploaded_by=r[10],
        )

    _DOC_COLUMNS = (
        "d.doc_id, d.path, d.content_hash, d.size, d.mtime_ns, d.format, d.encoding, d.metadata, "
        "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id), d.indexed_at"
    )

    @property
    def _doc_columns(self) -> str:
        """:attr:`_DOC_COLUMNS` and the uploader, NULL in an index from before uploaders were kept
        opened read-only (a writer adds the column)."""
        names = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}
        return self._DOC_COLUMNS + (", d.uploaded_by" if "uploaded_by" in names else ", NULL")

    def set_uploaded_by(self, doc_ids: Sequence[str], uploaded_by: str) -> None:
        """Record who added ``doc_ids`` (after they are committed; a re-cut keeps the uploader)."""
        with self._db:
            self._db.executemany("UPDATE documents SET uploaded_by = ? WHERE doc_id = ?",
                                 [(uploaded_by, d) for d in doc_ids])

    def documents(self) -> list[DocumentRow]:
        rows = self._db.execute(f"SELECT {self._doc_columns} FROM documents d ORDER BY d.doc_id")
        return [self._doc_row(r) for r in rows]

    def document(self, doc_id: str) -> DocumentRow | None:
        r = self._db.execute(f"SELECT {self._doc_columns} FROM documents d WHERE d.doc_id = ?", (doc_id,))
        row = r.fetchone()
        return self._doc_row(row) if row else None

    def document_text(self, doc_id: str) -> str | None:
        row = self._db.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def all_pages(self) -> dict[str, tuple[PageSpan, ...]]:
        """The pages of every document that has them, by document id (one read for the chunk cache)."""
        out: dict[str, list[PageSpan]] = {}
        try:
            rows = self._db.execute("SELECT doc_id, number, start, end, ocr, confidence FROM pages ORDER BY doc_id, number")
            for d, n, s, e, o, c in rows:
                out.setdefault(d, []).append(PageSpan(n, s, e, bool(o), c))
        except sqlite3.OperationalError:  # an index written before pages were kept, opened read-only
            return {}
        return {d: tuple(pages) for d, pages in out.items()}

    def pages(self, doc_id: str) -> tuple[PageSpan, ...]:
        """The pages of ``doc_id`` in order (none for a document without pages, or an index written
        before pages were kept and opened read-only, so without the table)."""
        try:
            rows = self._db.execute(
                "SELECT number, start, end, ocr, confidence FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)
            ).fetchall()
        except sqlite3.OperationalError:
            return ()
        return tuple(PageSpan(n, s, e, bool(o), c) for n, s, e, o, c in rows)

    def chunks(self) -> Iterator[ChunkRow]:
        """All chunks, grouped by document, in reading order."""
        for r in self._db.execute("SELECT chunk_id, doc_id, idx, start, end, section FROM chunks ORDER BY doc_id, idx"):
            yield ChunkRow(*r)

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunks")}

    def sentence_vectors(self, doc_id: str, start: int, end: int) -> dict[tuple[int, int], np.ndarray]:
        """Stored vectors of the sentences of ``doc_id`` inside ``[start, end)``, by span.

        Empty for an index written before sentence vectors existed (the table is missing in a
        manifest opened read-only); the reader then embeds what it needs.
        """
        try:
            rows = self._db.execute(
                "SELECT start, end, vector FROM sentences WHERE doc_id = ? AND start >= ? AND end <= ?",
                (doc_id, start, end),
            ).fetchall()
        except sqlite3.OperationalError:
            return {}
        return {(s, e): np.frombuffer(v, dtype=SENTENCE_VECTOR_DTYPE).astype(np.float32) for s, e, v in rows}

    def count_sentences(self) -> int:
        try:
            return int(self._db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    def count_chunks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
