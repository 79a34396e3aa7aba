"""The index folder: manifest (truth), Chroma (dense vectors) and BM25 (derived), kept in agreement.

Write order for one document: vectors into Chroma, then the manifest transaction, then old
vectors out of Chroma. A crash at any point leaves Chroma with extra ids at worst; readers only
trust ids the manifest lists (and query past the extra ones, so none costs a result), and
:meth:`IndexStore.reconcile` (run at the start of every ingest) deletes orphans and re-adds vectors
the manifest expects but Chroma lacks. A write that fails (disk full, ...) takes its vectors back
out when it can, and none starts with less than ``errors.MIN_FREE_BYTES`` free.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode

from rag.chunk.chunker import contextual_text
from rag.config import Settings
from rag.index.bm25_store import BM25Index
from rag.index.chroma_store import LOCAL_CLIENTS, ChromaStore, chroma_path, make_client, snapshot_client
from rag.index.errors import (
    one_line,
    probe_folder,
    read_only_reason,
    require_free_space,
    write_failure_reason,
)
from rag.index.faults import fault_point
from rag.index.manifest import ChunkRow, DocumentRow, Manifest
from rag.records import ChunkRef, DocumentMetadata, LoadedDocument, PageSpan, SearchFilters, page_at

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.sqlite"
BM25_DIR = "bm25"


CHROMA_FILE = "chroma.sqlite3"

# What SQLite (Python's and Chroma's) says of a file that is not a sound database.
_DAMAGE = ("malformed", "file is not a database", "not a database", "database corrupt", "no such table")


class IndexNotReady(RuntimeError):
    """The index cannot be used as asked (missing, built with another model, ...)."""


class IndexDamaged(IndexNotReady):
    """A file of the index cannot be read: one line naming it and the command that repairs it."""

    def __init__(self, index_dir: Path, file: Path, detail: str = "") -> None:
        self.index_dir, self.file = index_dir, file
        super().__init__(
            f"Chỉ mục hỏng: không đọc được {file}" + (f" ({detail})" if detail else "")
            + f"; chạy `baocao check --index {index_dir}` để sửa (damaged index file; that command repairs it)"
        )


class DenseUnavailable(IndexNotReady):
    """The vectors cannot be opened here; searches run on BM25 alone (the message says why)."""


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says a database file is damaged, not merely unwritable."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        text = str(current).lower()
        if isinstance(current, IndexDamaged) or any(f in text for f in _DAMAGE):
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index knows it: where it is (``ref``), its exact text and its document's row."""

    ref: ChunkRef
    idx: int
    text: str
    document: DocumentRow

    @property
    def chunk_id(self) -> str:
        return self.ref.chunk_id

    @property
    def doc_id(self) -> str:
        return self.ref.doc_id

    @property
    def start(self) -> int:
        return self.ref.start

    @property
    def end(self) -> int:
        return self.ref.end

    @property
    def section(self) -> str:
        return self.ref.section

    @property
    def page(self) -> int | None:
        """The page of a PDF or scan the chunk starts on."""
        return self.ref.page

    @property
    def contextual_text(self) -> str:
        return contextual_text(self.document.metadata.title, self.section, self.text)


def chunk_node(chunk: StoredChunk) -> TextNode:
    """The llama-index node of a stored chunk (the same shape the chunker produced)."""
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata={
            **chunk.document.metadata.to_flat(),
            "doc_id": chunk.doc_id,
            "section": chunk.section,
            "chunk_index": chunk.idx,
            "start": chunk.start,
            "end": chunk.end,
            **({"page": chunk.page} if chunk.page is not None else {}),
        },
    )


@dataclass
class DocumentWrite:
    """One document to store: its text and metadata, its chunks and their vectors, its file's stat,
    and the spans and vectors of its chunks' sentences (the reader's semantic evidence)."""

    doc: LoadedDocument
    nodes: Sequence[TextNode]
    vectors: np.ndarray
    size: int
    mtime_ns: int
    sentences: Sequence[tuple[int, int]] = ()
    sentence_vectors: np.ndarray | None = None


class IndexStore:
    """Open an index folder for reading or writing."""

    def __init__(self, index_dir: Path, settings: Settings, model_id: str | None = None, create: bool = False):
        self.dir = Path(index_dir)
        self.settings = settings
        manifest_path = self.dir / MANIFEST_FILE
        if not manifest_path.exists() and not create:
            raise IndexNotReady(
                f"không có chỉ mục tại {self.dir} (no index here); run `baocao ingest PATH --index {self.dir}` first"
            )
        if create:
            self.dir.mkdir(parents=True, exist_ok=True)
        # Why a reader cannot write here (read-only, full disk), asked without writing: its
        # manifest is read-only anyway, and Chroma, which cannot open such a folder, is copied.
        self.unwritable = None if create else read_only_reason(
            self.dir, (manifest_path, chroma_path(self.dir), chroma_path(self.dir) / CHROMA_FILE))
        try:
            self.manifest = Manifest(manifest_path, read_only=not create)
            stored_model = self.manifest.get_meta("embedding_model")
            self.manifest.generation  # noqa: B018 - a damaged meta table is told here, not mid-answer
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise IndexDamaged(self.dir, manifest_path, one_line(exc)) from exc
            raise
        if model_id and stored_model and stored_model != model_id and self.manifest.count_chunks():
            logger.warning("index %s was embedded with %s; now using %s (vectors will be re-made)",
                           self.dir, stored_model, model_id)
        self.model_id = model_id or stored_model
        if self.model_id is None:
            raise IndexNotReady(f"index {self.dir} has no embedding model recorded; ingest documents first")
        if create and model_id:
            self.manifest.set_meta("embedding_model", model_id)
        self._chroma: ChromaStore | None = None
        self._bm25: BM25Index | None = None
        self._chunks: dict[str, StoredChunk] | None = None
        self._chunks_generation = -1
        self._documents: dict[str, DocumentRow] | None = None
        self._documents_generation = -1
        self._warned: set[str] = set()
        self._reader = not create  # a writer (ingest, check) repairs what a reader warns of


    def _warn_once(self, key: str, message: str) -> None:
        if not self._reader:
            logger.info("%s", message)
        elif key not in self._warned:
            self._warned.add(key)
            logger.warning("%s", message)

    def _for_writing(self) -> None:
        """A store opened for reading writes only when asked to (a delete from the web page)."""
        self.manifest.writable()

    # -- parts --------------------------------------------------------------------------------
    @property
    def chroma(self) -> ChromaStore:
        """The vector collection, as complete as the manifest: a local folder another process has
        written to since this process last looked is reopened (see ``LocalClients``)."""
        if self.settings.index.chroma_url:
            if self._chroma is None:
                self._chroma = self._open_chroma(lambda: make_client(self.dir, self.settings.index))
            return self._chroma
        if self.unwritable is not None:
            if self._chroma is None:
                self._chroma = self._snapshot_chroma(self.unwritable)
            return self._chroma
        client = self._open_chroma(lambda: make_client(self.dir, self.settings.index, self.manifest.generation),
                                   reuse=self._chroma)
        if client is not None:
            self._chroma = client
        return self._chroma  # type: ignore[return-value]

    def _open_chroma(self, client: Callable[[], object], reuse: ChromaStore | None = None) -> ChromaStore | None:
        """The collection on ``client()`` (None: ``reuse`` is on that client already); a damaged
        Chroma file is named, and one that cannot be written is searched through a copy."""
        try:
            opened = client()
            if reuse is not None and reuse.client is opened:
                return None
            store = ChromaStore(opened, self.model_id or "", lambda: self.chunks().keys())
        except Exception as exc:
            if self.settings.index.chroma_url:
                raise
            if is_damage(exc):
                raise IndexDamaged(self.dir, chroma_path(self.dir) / CHROMA_FILE, one_line(exc)) from exc
            reason = write_failure_reason(exc)
            if reason is None:
                raise
            self.unwritable = reason
            return self._snapshot_chroma(reason)
        self._check_vectors(store)
        return store

    def _snapshot_chroma(self, reason: str) -> ChromaStore:
        """Chroma opens only folders it can write: on a read-only or full disk, search a copy."""
        folder = chroma_path(self.dir)
        logger.info("index %s cannot be written (%s): searching a copy of %s", self.dir, reason, folder)
        try:
            store = ChromaStore(snapshot_client(folder), self.model_id or "", lambda: self.chunks().keys())
        except Exception as exc:
            if is_damage(exc):
                raise IndexDamaged(self.dir, folder / CHROMA_FILE, one_line(exc)) from exc
            raise DenseUnavailable(
                f"Không mở được vector của chỉ mục {self.dir} ({reason}; bản sao tạm cũng không được: "
                f"{one_line(exc, 160)}): chỉ tìm theo từ khoá BM25 (dense search is off; answers use BM25 only)"
            ) from exc
        self._check_vectors(store)
        return store

    def _check_vectors(self, chroma: ChromaStore) -> None:
        """Warn when Chroma holds fewer vectors than the manifest has chunks (its file was lost)."""
        expected, present = self.manifest.count_chunks(), chroma.count()
        if present < expected:
            self._warn_once("chroma", (
                f"Chroma thiếu vector của {expected - present}/{expected} đoạn "
                f"({chroma_path(self.dir) / CHROMA_FILE}): tìm theo nghĩa sẽ sót kết quả; chạy "
                f"`baocao check --index {self.dir}` hoặc nạp lại để dựng lại (Chroma lacks vectors: dense "
                "search misses those passages until they are rebuilt)"))

    def _synced(self, chroma: ChromaStore) -> None:
        """This process's commits (made under the index lock, through ``chroma``) need no reopening."""
        if not self.settings.index.chroma_url:
            LOCAL_CLIENTS.synced(chroma_path(self.dir), chroma.client, self.manifest.generation)

    def documents(self) -> list[DocumentRow]:
        """Every document row, read now (paths and times included, which change without a new generation)."""
        return self.manifest.documents()

    def documents_by_id(self) -> dict[str, DocumentRow]:
        """Every document row by id, cached until the manifest changes.

        The reranker and the answerer look up the metadata of each candidate on every question;
        reading and decoding 12,000 rows per lookup cost 200 ms a question.
        """
        generation = self.manifest.generation  # read first: a commit after it only makes the cache stale
        if self._documents is None or generation != self._documents_generation:
            self._documents = {d.doc_id: d for d in self.manifest.documents()}
            self._documents_generation = generation
        return self._documents

    def document_metadata(self, doc_id: str) -> DocumentMetadata:
        """The metadata of ``doc_id`` (empty when the document is gone)."""
        row = self.documents_by_id().get(doc_id)
        return row.metadata if row is not None else DocumentMetadata()

    def document_text(self, doc_id: str) -> str | None:
        return self.manifest.document_text(doc_id)

    def pages(self, doc_id: str) -> tuple[PageSpan, ...]:
        """Where each page of a PDF or a scan stands in its text (none for other documents)."""
        return self.manifest.pages(doc_id)

    def loaded_document(self, row: DocumentRow) -> LoadedDocument:
        """A stored document as the loader made it (text and metadata), to chunk again without its file."""
        text = self.manifest.document_text(row.doc_id)
        if text is None:
            raise KeyError(f"{row.doc_id} is not in the index {self.dir}")
        return LoadedDocument(
            row.doc_id, row.path, text, row.content_hash, row.format, row.encoding, row.metadata,
            pages=self.manifest.pages(row.doc_id),
        )

    def sentence_vectors(self, doc_id: str, start: int, end: int) -> dict[tuple[int, int], np.ndarray]:
        """Vectors stored at ingest for the sentences of ``doc_id`` within ``[start, end)``."""
        return self.manifest.sentence_vectors(doc_id, start, end)

    def allowed_docs(self, filters: SearchFilters | None) -> set[str] | None:
        """The documents a filtered search may return (None = no restriction)."""
        if filters is None or not filters.active:
            return None
        return {d.doc_id for d in self.documents_by_id().values() if filters.accepts(d.doc_id, d.metadata)}

    def chunks(self) -> dict[str, StoredChunk]:
        """All committed chunks by id (cached until the manifest changes)."""
        generation = self.manifest.generation
        if self._chunks is None or generation != self._chunks_generation:
            docs = self.documents_by_id()
            pages = self.manifest.all_pages()
            texts: dict[str, str] = {}
            chunks: dict[str, StoredChunk] = {}
            for row in self.manifest.chunks():
                if row.doc_id not in docs:  # committed by another writer between the two reads:
                    continue  # its generation is newer, so the next call reads it whole
                text = texts.get(row.doc_id)
                if text is None:
                    text = texts[row.doc_id] = self.manifest.document_text(row.doc_id) or ""
                page = page_at(pages.get(row.doc_id, ()), row.start)
                ref = ChunkRef(row.chunk_id, row.doc_id, row.start, row.end, row.section,
                               page.number if page else None)
                chunks[row.chunk_id] = StoredChunk(ref, row.idx, text[row.start : row.end], docs[row.doc_id])
            self._chunks, self._chunks_generation = chunks, generation
        return self._chunks

    def bm25(self) -> BM25Index:
        """The BM25 index for the current manifest generation (rebuilt in memory if stale)."""
        generation = self.manifest.generation
        if self._bm25 is not None and self._bm25.generation == generation:
            return self._bm25
        loaded = BM25Index.load(self.dir / BM25_DIR)
        if loaded is not None and loaded.generation == generation and not self._bm25_mismatch(loaded):
            self._bm25 = loaded
        else:
            self._bm25 = self._build_bm25(generation)
        return self._bm25

    def bm25_mismatch(self, saved: BM25Index) -> str | None:
        """How a saved BM25 index of the current generation disagrees with the manifest, or None.

        Row ``i`` of the saved models is the ``i``-th chunk in the manifest's order (doc_id, idx),
        the order :meth:`_build_bm25` reads them in, so ``ids.json`` must list exactly that: the
        same ids in another order score every row against the wrong chunk (wrong passages cited).
        """
        chunks = self.chunks()
        if saved.ids == list(chunks):
            return None
        same = len(set(saved.ids) & chunks.keys())
        if same == len(chunks) == len(saved.ids):
            return "cùng các đoạn nhưng sai thứ tự (same chunks in another order)"
        return f"{same}/{len(chunks)} đoạn khớp manifest (ids differ)"

    def _bm25_mismatch(self, saved: BM25Index) -> bool:
        """Whether a saved BM25 index of the current generation lists other chunks than the manifest,
        or lists them in another order (its files were changed or mixed up): warned once, and
        rebuilt in memory by the caller."""
        detail = self.bm25_mismatch(saved)
        if detail is None:
            return False
        self._warn_once("bm25", (
            f"BM25 không khớp manifest ({self.dir / BM25_DIR / f'gen-{saved.generation:08d}' / 'ids.json'}: "
            f"{detail}): dựng lại trong bộ nhớ; chạy `baocao check --index {self.dir}` hoặc nạp lại để sửa "
            "tệp (the saved BM25 index does not list the manifest's chunks in their order)"))
        return True

    def _build_bm25(self, generation: int) -> BM25Index:
        chunks = list(self.chunks().values())
        return BM25Index.build([c.chunk_id for c in chunks], [c.contextual_text for c in chunks], generation)

    # -- writes -------------------------------------------------------------------------------
    def write_documents(self, writes: Sequence[DocumentWrite]) -> None:
        """Store several documents: their vectors into Chroma in one call, then one manifest
        transaction per document, then their stale vectors out.

        Chroma pays about 30 ms a call whatever its size, so a batch is written at once. A
        failure leaves the documents committed before it, and takes the vectors of the rest out.
        """
        if not writes:
            return
        self._for_writing()
        nodes = [n for w in writes for n in w.nodes]
        written = [n.node_id for n in nodes]
        stale: list[str] = []
        require_free_space(self.dir)
        chroma = self.chroma
        try:
            if nodes:
                chroma.add(written, np.concatenate([w.vectors for w in writes if len(w.nodes)]),
                           [w.doc.doc_id for w in writes for _ in w.nodes])
            for write in writes:
                fault_point("chroma_upserted")  # this document's vectors are in Chroma, its rows not yet
                doc = write.doc
                rows = [
                    ChunkRow(n.node_id, doc.doc_id, n.metadata["chunk_index"], n.start_char_idx or 0,
                             n.end_char_idx or 0, n.metadata.get("section", ""))
                    for n in write.nodes
                ]
                old_ids = self.manifest.commit_document(
                    doc_id=doc.doc_id, path=doc.path, content_hash=doc.content_hash, size=write.size,
                    mtime_ns=write.mtime_ns, format=doc.format, encoding=doc.encoding, text=doc.text,
                    metadata=doc.metadata, chunks=rows, sentences=write.sentences,
                    sentence_vectors=write.sentence_vectors, pages=doc.pages,
                )
                fault_point("manifest_committed")
                stale += sorted(set(old_ids) - {r.chunk_id for r in rows})
        except Exception:
            self._synced(chroma)
            self._drop_uncommitted(written + stale)
            raise
        self._synced(chroma)
        if stale:
            chroma.delete(stale)

    def _drop_uncommitted(self, chunk_ids: list[str]) -> None:
        """After a failed write, take its vectors out of Chroma again (those the manifest lacks).

        Best effort, and only where the folder can still be written: after a write failed for a
        full disk or a file size limit, Chroma's delete can hang for ever. The next ingest's
        reconcile removes what is left, and readers skip vectors the manifest does not list.
        """
        reason = probe_folder(self.dir)
        if reason is not None:
            logger.info("left the vectors of a failed write in Chroma (%s); the next ingest removes them", reason)
            return
        try:
            orphans = sorted(set(chunk_ids) - self.manifest.chunk_ids())
            if orphans:
                self.chroma.delete(orphans)
        except Exception as exc:  # noqa: BLE001 - the original error is the one to report
            logger.info("could not remove the vectors of a failed write (%s); the next ingest will", exc)

    def remove_document(self, doc_id: str) -> None:
        """Drop a document's manifest rows, then its vectors (a crash between leaves orphans that the
        next ingest's reconcile removes)."""
        self._for_writing()
        chroma = self.chroma
        old_ids = self.manifest.delete_document(doc_id)
        self._synced(chroma)
        fault_point("prune_manifest_deleted")
        if old_ids:
            chroma.delete(old_ids)

    def reconcile(self, embed: Callable[[list[str]], np.ndarray]) -> dict[str, int]:
        """Make Chroma hold exactly the manifest's chunks: drop orphans, re-add what is missing."""
        self._for_writing()
        expected = self.chunks()
        chroma = self.chroma
        present = chroma.all_ids()
        orphans = sorted(present - expected.keys())
        missing = [expected[cid] for cid in sorted(expected.keys() - present)]
        if orphans:
            logger.info("removing %d orphan vectors left by an interrupted ingest", len(orphans))
            chroma.delete(orphans)
            fault_point("reconcile_orphans_deleted")
        if missing:
            logger.info("re-adding %d vectors missing from Chroma", len(missing))
            vectors = embed([c.contextual_text for c in missing])
            chroma.add([c.chunk_id for c in missing], vectors, [c.doc_id for c in missing])
            # readers in other processes reopen their vector view only when the generation moves
            self.manifest.mark_changed()
            self._synced(chroma)
        return {"orphans_removed": len(orphans), "vectors_restored": len(missing)}

    def save_bm25(self) -> None:
        """Persist a BM25 index matching the manifest (after an ingest changed it)."""
        generation = self.manifest.generation
        if BM25Index.saved_generation(self.dir / BM25_DIR) == generation:
            saved = BM25Index.load(self.dir / BM25_DIR)
            if saved is not None and saved.generation == generation and not self._bm25_mismatch(saved):
                return
            logger.info("rewriting the BM25 index of generation %d: its files did not match the manifest",
                        generation)
        if self._bm25 is None or self._bm25.generation != generation or self._bm25_mismatch(self._bm25):
            self._bm25 = self._build_bm25(generation)
        self._bm25.save(self.dir / BM25_DIR)

    def close(self) -> None:
        self.manifest.close()
