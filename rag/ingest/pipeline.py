"""The ingest transaction: files → loaded, normalised documents → chunks → vectors → index.

Unchanged files are skipped by size and mtime (and by content hash when those changed), so
re-ingesting an archive costs a ``stat`` per file. Chunks of several documents are embedded in
one batch for throughput, then each document is committed on its own, so an interruption loses
at most the current batch, and the next run picks up where this one stopped.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode
from tqdm import tqdm

from embeddings.base import Embedder
from rag.chunk.chunker import chunk_document, chunk_sentences, chunking_signature, embedding_text
from rag.config import Settings
from rag.index.errors import IndexWriteError, one_line, write_failure_reason
from rag.index.faults import fault_point
from rag.index.lock import IndexLock
from rag.index.manifest import DocumentRow
from rag.index.store import DocumentWrite, IndexStore
from rag.ingest.identity import Identities, NameClash, assign_ids, resolved
from rag.ingest.loaders import LoadError, read_regular_file
from rag.ingest.parse import Parsed, SourceFile, start_parse
from rag.ingest.progress import ChunkProgress
from rag.ingest.sandbox import ParsePool
from rag.ingest.uploader import COMMAND_LINE
from rag.records import FileProblem, LoadedDocument

logger = logging.getLogger(__name__)

# Embed when this many chunks are waiting (several small documents share one model call).
_EMBED_BATCH_CHUNKS = 256
# manifest meta key: the chunking signature every stored document was cut with
CHUNKING_META = "chunking"
# manifest meta key: the version of the text extraction every stored document was read with.
# 2: tables as records with their headers, PDF pages kept, scans and images read by OCR.
# 3: a month report without its year dated by the same period it compares with ("so với cùng kỳ năm
#    2020": 2021; rag/text/periods.reported_period), so every stored document's metadata is read again.
EXTRACTION_META = "extraction"
EXTRACTION_VERSION = "3"


@dataclass
class IngestReport:
    """What an ingest did, for the CLI summary and for benchmarks."""

    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[FileProblem] = field(default_factory=list)
    notes: list[FileProblem] = field(default_factory=list)  # indexed, with something to check (a page OCR read poorly)
    removed: list[str] = field(default_factory=list)
    replaced: list[NameClash] = field(default_factory=list)  # documents replaced by a same-named file
    kept_apart: list[NameClash] = field(default_factory=list)  # same-named files kept under a longer id
    rechunked: list[str] = field(default_factory=list)  # stored documents re-cut after a chunking change
    ignored: list[FileProblem] = field(default_factory=list)  # files of a type baocao does not read
    chunks: int = 0
    words: int = 0
    chunks_embedded: int = 0
    chunks_from_cache: int = 0
    sentences_embedded: int = 0  # the reader's sentence vectors (docs/reading.md)
    sentences_from_cache: int = 0
    repaired: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


def discover(
    paths: Iterable[Path], extensions: Sequence[str], follow_outside_links: bool = False
) -> tuple[list[SourceFile], list[FileProblem], list[FileProblem]]:
    """Files to ingest under ``paths`` (folders recurse, links are not followed into loops), the
    files that cannot be taken, and those of a type baocao does not read: each is named, so the
    summary accounts for every file.

    A file is proposed the id of its path relative to the folder that was given, or its file name
    when a file was given directly; :func:`rag.ingest.identity.assign_ids` settles the ids against
    the index. A file reached twice (a folder and a sub-folder of it) is taken once. A link in a
    folder to a file outside it is refused unless ``follow_outside_links`` (a planted link would
    index any file the ingest can read: /etc/hostname); hidden names (".x") are listed as ignored.
    """
    found: dict[str, SourceFile] = {}  # by resolved path
    problems: list[FileProblem] = []
    ignored: list[FileProblem] = []
    exts = {e.lower() for e in extensions}
    for root in paths:
        root = Path(root)
        real_root = None
        if root.is_dir():
            candidates = list(_walk(root, problems, ignored))
            real_root = resolved(root)  # the walk enters no linked folder: below, only a file can be a link
        elif os.path.lexists(root):  # a file, or a FIFO or a dangling link the next checks refuse
            candidates = [(root.name, root)]
        else:
            problems.append(FileProblem(str(root), "không tồn tại (no such file or folder)"))
            continue
        for doc_id, path in candidates:
            if path.suffix.lower() not in exts:
                kind = path.suffix or "(không đuôi / no extension)"
                reason = f"định dạng không hỗ trợ {kind} (unsupported file type)"
                ignored.append(FileProblem(_readable_name(doc_id), reason))
                continue
            reason = _unopenable(doc_id, path)
            if not reason and real_root and not follow_outside_links and path.is_symlink():
                reason = _outside(real_root, path)
            if reason:
                problems.append(FileProblem(_readable_name(doc_id), reason))
                continue
            real = os.path.join(real_root, doc_id) if real_root and not path.is_symlink() else resolved(path)
            found.setdefault(real, SourceFile(doc_id, path, real))
    return list(found.values()), problems, ignored


def _readable_name(name: str) -> str:
    """A file name as a person can read it: bytes that are not UTF-8 written as ``\\xff``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _outside(real_root: str, link: Path) -> str | None:
    """Why a link found in a folder is not followed: it leads out of the folder."""
    if os.path.commonpath([real_root, resolved(link)]) == real_root:
        return None
    return ("liên kết trỏ ra ngoài thư mục được nạp (symbolic link to a file outside the ingested folder; "
            "set ingest.follow_outside_links = true to allow)")


def _walk(root: Path, problems: list[FileProblem], ignored: list[FileProblem]) -> Iterator[tuple[str, Path]]:
    """(document id, path) of the files under ``root``; a folder that cannot be listed is a problem,
    a hidden file or folder (".x") is ignored with a line in the summary."""

    def unlistable(exc: OSError) -> None:
        folder = Path(exc.filename or root)
        name = folder.relative_to(root).as_posix() if folder != root else str(root)
        reason = f"không đọc được thư mục (cannot list folder: {exc.strerror or exc})"
        problems.append(FileProblem(_readable_name(name), reason))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable, followlinks=False):
        for name in sorted(n for n in (*dirnames, *filenames) if n.startswith(".")):
            hidden = (Path(dirpath) / name).relative_to(root).as_posix()
            kind = "thư mục ẩn (hidden folder" if name in dirnames else "tệp ẩn (hidden file"
            ignored.append(FileProblem(_readable_name(hidden), f"{kind}: name starts with '.')"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                full = Path(dirpath) / name
                yield full.relative_to(root).as_posix(), full


def _unopenable(doc_id: str, path: Path) -> str | None:
    """Why a found file cannot be taken at all: a name that is not UTF-8, a dangling or looping link."""
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        return "tên tệp không phải UTF-8 (file name is not valid UTF-8; rename the file)"
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "liên kết vòng (symbolic link loop)"
        return "liên kết hỏng (broken symbolic link)"
    return None


# Files parsed while earlier ones are embedded: about one embedding batch of documents, bounded in bytes.
_PARSE_AHEAD_FILES = 128
_PARSE_AHEAD_BYTES = 64 * 1024 * 1024


@dataclass
class _Pending:
    doc: LoadedDocument
    nodes: list[TextNode]
    size: int
    mtime_ns: int


class Ingestor:
    """Runs ingests into one index folder with one embedder."""

    _chunk_progress: ChunkProgress | None = None  # the bar over the chunks of the running ingest
    _uploaded_by: str = COMMAND_LINE  # who the running ingest's documents are recorded as added by

    def __init__(self, settings: Settings, index_dir: Path | None = None, embedder: Embedder | None = None) -> None:
        from embeddings import get_embedder

        self.settings = settings
        self.index_dir = Path(index_dir or settings.index.dir)
        self.embedder = embedder or get_embedder(settings.embeddings)

    def _embed(
        self, texts: list[str], report: IngestReport, progress: bool, sentences: bool = False,
        on_texts: Callable[[list[str]], None] | None = None,
    ) -> np.ndarray:
        """Vectors for ``texts`` in one embedder call (it batches, shortest texts first, and
        stores each batch in the cache as it is computed); counted as chunks or as sentences."""
        before = self.embedder.stats
        vectors = self.embedder.embed_passages(texts, progress=progress, on_batch=lambda: fault_point("embedding"),
                                               on_texts=on_texts)
        after = self.embedder.stats
        if sentences:
            report.sentences_from_cache += after.cached - before.cached
            report.sentences_embedded += after.computed - before.computed
        else:
            report.chunks_from_cache += after.cached - before.cached
            report.chunks_embedded += after.computed - before.computed
        return vectors

    def run(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: bool = True,
        on_file: Callable[[str, str], None] | None = None,
        replace: bool = False,
        uploaded_by: str = COMMAND_LINE,
    ) -> IngestReport:
        """Ingest ``paths``; ``on_file(doc_id, outcome)`` is called as each file is settled.

        ``uploaded_by`` is recorded with each document it indexes (the documents tab shows it).

        A file whose name an existing document of another (still present) file has is kept beside
        it under a longer id, or with ``replace`` takes its place (``report.kept_apart`` and
        ``report.replaced`` name each one; see rag/ingest/identity.py).
        """
        started = time.perf_counter()
        report = IngestReport()
        self._uploaded_by = uploaded_by
        sources, problems, report.ignored = discover(paths, self.settings.ingest.extensions,
                                                     self.settings.ingest.follow_outside_links)
        report.failed.extend(problems)
        self._chunk_progress = ChunkProgress(enabled=progress)
        try:
            with IndexLock(self.index_dir, self.settings.index.lock_timeout_s):
                fault_point("after_lock")
                self._write(sources, report, prune, progress, on_file, replace)
        except Exception as exc:
            reason = write_failure_reason(exc, self.index_dir)
            if reason is None:
                raise
            # Documents committed before the failure stay; the failed one was rolled back.
            raise IndexWriteError(self.index_dir, reason, one_line(exc)) from exc
        finally:
            self._chunk_progress.close()
        report.seconds = time.perf_counter() - started
        return report

    def _write(
        self,
        sources: list[SourceFile],
        report: IngestReport,
        prune: bool,
        progress: bool,
        on_file: Callable[[str, str], None] | None,
        replace: bool = False,
    ) -> None:
        store = IndexStore(self.index_dir, self.settings, self.embedder.model_id, create=True)
        try:
            t = time.perf_counter()
            store.reconcile(lambda texts: self._embed(texts, report, progress=False))
            report.add_time("reconcile", time.perf_counter() - t)
            reread = store.manifest.get_meta(EXTRACTION_META) != EXTRACTION_VERSION
            stored = store.documents()
            identities = assign_ids(sources, stored, replace)
            sources = identities.sources
            self._ingest_files(store, sources, report, progress, on_file, reread, identities, stored)
            if prune:
                self._prune(store, sources, report, on_file)
            # every stored document read again (or tried: a file that now fails keeps its old text
            # and its line in the summary, and does not make every later ingest read all again)
            if reread and {d.doc_id for d in store.documents()} <= {*report.indexed, *(p.file for p in report.failed)}:
                store.manifest.set_meta(EXTRACTION_META, EXTRACTION_VERSION)
            self._rechunk_stale(store, report)
            t = time.perf_counter()
            store.save_bm25()
            report.add_time("bm25", time.perf_counter() - t)
        finally:
            store.close()

    def _ingest_files(
        self,
        store: IndexStore,
        sources: list[SourceFile],
        report: IngestReport,
        progress: bool,
        on_file: Callable[[str, str], None] | None,
        reread: bool = False,
        identities: Identities | None = None,
        stored: Sequence[DocumentRow] | None = None,
    ) -> None:
        """Parse, embed and store the new and changed files; with ``reread``, every file (the
        stored text was extracted by older loaders: tables without headers, scans unread).

        A name clash (``identities``) is reported once its file is stored: a file that fails
        replaces nothing."""
        known = {} if reread else {d.doc_id: d for d in (store.documents() if stored is None else stored)}
        max_bytes = int(self.settings.ingest.max_file_mb * 1024 * 1024)
        pending: list[_Pending] = []
        bar = tqdm(sources, desc="Đang nạp tài liệu", unit="tệp", disable=not progress)

        replacing = identities.replacing if identities else {}
        kept_apart = identities.kept_apart if identities else {}

        def settle(doc_id: str, outcome: str) -> None:
            if outcome in ("indexed", "unchanged"):
                if doc_id in replacing:
                    for retired in replacing[doc_id].previous_ids:  # the file's own longer id, now redundant
                        store.remove_document(retired)
                    report.replaced.append(replacing[doc_id])
                if doc_id in kept_apart:
                    report.kept_apart.append(kept_apart[doc_id])
            if on_file is not None:
                on_file(doc_id, outcome)

        limits = self.settings.ingest
        ahead: deque[tuple[SourceFile, os.stat_result, int, Callable[[], Parsed]]] = deque()

        def take_parsed() -> None:
            """Wait for the oldest file in flight and queue its chunks for embedding."""
            nonlocal pending
            source, stat, _, result = ahead.popleft()
            t = time.perf_counter()
            try:
                doc, nodes = result()
            except LoadError as exc:
                report.failed.append(FileProblem(source.doc_id, exc.reason))
                settle(source.doc_id, f"failed: {exc.reason}")
                return
            finally:
                report.add_time("load+chunk", time.perf_counter() - t)
            if any(legacy in doc.encoding for legacy in ("tcvn3", "vni")):
                report.repaired[source.doc_id] = 1
            report.notes.extend(FileProblem(source.doc_id, note) for note in doc.notes)
            pending.append(_Pending(doc, nodes, stat.st_size, stat.st_mtime_ns))
            fault_point("file_loaded")
            if sum(len(p.nodes) for p in pending) >= _EMBED_BATCH_CHUNKS:
                self._flush(store, pending, report, settle)
                pending = []

        with ParsePool(limits.file_timeout_s, limits.file_memory_mb) as pool:
            for source in bar:
                t = time.perf_counter()
                try:
                    stat = source.path.stat()
                    row = known.get(source.doc_id)
                    # size and time vouch for the file the document was read from, not for another one
                    same_file = row is not None and row.path == (source.real_path or resolved(source.path))
                    if row and same_file and row.size == stat.st_size and row.mtime_ns == stat.st_mtime_ns:
                        report.unchanged.append(source.doc_id)
                        settle(source.doc_id, "unchanged")
                        continue
                    data = read_regular_file(source.path, max_bytes)
                    if row and row.content_hash == hashlib.sha256(data).hexdigest():
                        store.manifest.touch_document(source.doc_id, str(source.path.resolve()), stat.st_size,
                                                      stat.st_mtime_ns)
                        report.unchanged.append(source.doc_id)
                        settle(source.doc_id, "unchanged")
                        continue
                    ahead.append((source, stat, len(data), start_parse(source, data, self.settings, pool)))
                except LoadError as exc:
                    report.failed.append(FileProblem(source.doc_id, exc.reason))
                    settle(source.doc_id, f"failed: {exc.reason}")
                    continue
                except OSError as exc:
                    reason = f"không đọc được tệp ({exc.strerror or exc})"
                    report.failed.append(FileProblem(source.doc_id, reason))
                    settle(source.doc_id, f"failed: {reason}")
                    continue
                finally:
                    report.add_time("load+chunk", time.perf_counter() - t)
                while len(ahead) > _PARSE_AHEAD_FILES or sum(a[2] for a in ahead) > _PARSE_AHEAD_BYTES:
                    take_parsed()
            while ahead:
                take_parsed()
        if pending:
            self._flush(store, pending, report, settle)

    def _rechunk_stale(self, store: IndexStore, report: IngestReport) -> None:
        """Re-cut, from their stored text, the documents chunked with other settings or an older chunker.

        Why: an unchanged file is skipped by its size and time, so a change of ``[chunking]`` (or of
        the chunker) would otherwise reach only the files edited since. Chunks whose embedded text
        is unchanged take their vectors from the embedding cache. The signature is recorded only
        when every stored document is done, so an interrupted run is finished by the next one.
        """
        signature = chunking_signature(self.settings.chunking)
        if store.manifest.get_meta(CHUNKING_META) == signature:
            return
        done = set(report.indexed)
        stale = [row for row in store.documents() if row.doc_id not in done]
        if stale:
            logger.info("re-chunking %d stored documents (chunking is now %s)", len(stale), signature)

        pending: list[_Pending] = []
        for row in stale:
            t = time.perf_counter()
            doc = store.loaded_document(row)
            pending.append(_Pending(doc, chunk_document(doc, self.settings.chunking), row.size, row.mtime_ns))
            report.add_time("load+chunk", time.perf_counter() - t)
            if sum(len(p.nodes) for p in pending) >= _EMBED_BATCH_CHUNKS:
                self._flush(store, pending, report, outcome="rechunked")
                pending = []
        if pending:
            self._flush(store, pending, report, outcome="rechunked")
        store.manifest.set_meta(CHUNKING_META, signature)

    def _flush(
        self,
        store: IndexStore,
        pending: list[_Pending],
        report: IngestReport,
        settle: Callable[[str, str], None] | None = None,
        outcome: str = "indexed",
    ) -> None:
        """Embed and store ``pending``; ``settle`` hears of each document it was asked about."""
        texts = [embedding_text(n) for p in pending for n in p.nodes]
        sentences = [chunk_sentences(p.doc.text, p.nodes) for p in pending]
        sentence_texts = [p.doc.text[s:e] for p, spans in zip(pending, sentences, strict=True) for s, e in spans]
        bar = self._chunk_progress
        step = bar.batch(len(texts), [*texts, *sentence_texts]) if bar is not None else None
        t = time.perf_counter()
        vectors = self._embed(texts, report, progress=False, on_texts=step)
        report.add_time("embed", time.perf_counter() - t)
        t = time.perf_counter()
        sentence_vectors = self._embed(sentence_texts, report, progress=False, sentences=True, on_texts=step)
        report.add_time("embed_sentences", time.perf_counter() - t)
        t = time.perf_counter()
        writes, offset, sent_offset = [], 0, 0
        for p, spans in zip(pending, sentences, strict=True):
            writes.append(DocumentWrite(
                p.doc, p.nodes, vectors[offset : offset + len(p.nodes)], p.size, p.mtime_ns,
                sentences=spans, sentence_vectors=sentence_vectors[sent_offset : sent_offset + len(spans)],
            ))
            offset += len(p.nodes)
            sent_offset += len(spans)
        store.write_documents(writes)
        if outcome != "rechunked":
            store.manifest.set_uploaded_by([p.doc.doc_id for p in pending], self._uploaded_by)
        for p in pending:
            if outcome == "rechunked":
                report.rechunked.append(p.doc.doc_id)
            else:
                report.indexed.append(p.doc.doc_id)
                report.chunks += len(p.nodes)
                report.words += len(p.doc.text.split())
            if settle is not None:
                settle(p.doc.doc_id, outcome)
        report.add_time("store", time.perf_counter() - t)

    def _prune(
        self,
        store: IndexStore,
        sources: list[SourceFile],
        report: IngestReport,
        on_file: Callable[[str, str], None] | None,
    ) -> None:
        seen = {s.doc_id for s in sources}
        for row in store.documents():
            if row.doc_id not in seen and not Path(row.path).exists():
                store.remove_document(row.doc_id)
                report.removed.append(row.doc_id)
                if on_file:
                    on_file(row.doc_id, "removed")
