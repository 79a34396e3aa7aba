"""One file's bytes → a described, normalised document and its chunks, under the sandbox's limits.

The parsing worker (rag/ingest/sandbox.py) loads the file. A file with scanned pages comes back
unfinished: its pages are read one by one by the OCR step (rag/ingest/scans.py), each under a
deadline of its own, and the worker then finishes the document (normalise, describe, chunk).
Every other file is loaded and finished in one call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from llama_index.core.schema import TextNode

from rag.chunk.chunker import chunk_document
from rag.config import Settings
from rag.ingest.encodings import EncodingProblem
from rag.ingest.loaded import LoadedText, LoadError
from rag.ingest.loaders import load_bytes
from rag.ingest.metadata import extract_metadata
from rag.ingest.sandbox import ParsePool
from rag.ingest.scans import read_scans
from rag.ingest.screening import unquotable_note
from rag.records import LoadedDocument, PageSpan
from rag.text.normalize import normalize_text

T = TypeVar("T")
Parsed = tuple[LoadedDocument, list[TextNode]]


@dataclass(frozen=True)
class SourceFile:
    """A file found under an ingested path, with the id it will have in the index.

    ``real_path`` is the path with links followed, as the manifest stores it: the file's identity
    (rag/ingest/identity.py), worked out once per ingest.
    """

    doc_id: str
    path: Path
    real_path: str = ""


def extract(source: SourceFile, data: bytes, settings: Settings) -> LoadedText:
    """The raw text (and pages) of one file; raises LoadError with a reason."""
    try:
        return load_bytes(data, source.path.suffix, settings.ingest.max_text_chars)
    except EncodingProblem as exc:
        raise LoadError(str(exc)) from exc


def normalized_pages(loaded: LoadedText) -> tuple[str, tuple[PageSpan, ...]]:
    """The normalised text of a paged file and where each page stands in it.

    Pages are normalised one by one and joined by a blank line: the result is in normal form as a
    whole (normalisation keeps no space at a page's ends), so the offsets hold. An empty page gets
    no span: there is nothing on it to cite.
    """
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for page in loaded.pages:
        body = normalize_text(page.text)
        if not body:
            continue
        if parts:
            offset += 2
        spans.append(PageSpan(page.number, offset, offset + len(body), page.ocr, page.confidence))
        parts.append(body)
        offset += len(body)
    return "\n\n".join(parts), tuple(spans)


def describe(
    source: SourceFile, loaded: LoadedText, content_hash: str, settings: Settings, notes: tuple[str, ...] = (),
) -> LoadedDocument:
    """Normalise and describe one loaded file; raises LoadError when it holds no text."""
    if loaded.pages:
        text, pages = normalized_pages(loaded)
    else:
        text, pages = normalize_text(loaded.text), ()
    if len(text) < settings.ingest.min_text_chars:
        if notes and not text:  # the scans could not be read: say why, not just "empty"
            raise LoadError("; ".join(notes))
        raise LoadError("tệp không có nội dung văn bản (no text content)")
    screened = unquotable_note(text)  # planted instructions and non-language: said at once, never quoted
    if screened:
        notes = (*notes, screened)
    return LoadedDocument(
        doc_id=source.doc_id,
        path=source.real_path or str(source.path.resolve()),
        text=text,
        content_hash=content_hash,
        format=loaded.format,
        encoding=loaded.encoding,
        metadata=extract_metadata(text, source.path.name),
        pages=pages,
        notes=notes,
    )


def load_document(source: SourceFile, data: bytes, settings: Settings) -> LoadedDocument:
    """Load, normalise and describe one file in this process (scanned pages are not read)."""
    return describe(source, extract(source, data, settings), hashlib.sha256(data).hexdigest(), settings)


def finish(source: SourceFile, loaded: LoadedText, content_hash: str, settings: Settings,
           notes: tuple[str, ...] = ()) -> Parsed:
    """Describe and chunk a loaded file (in the parsing worker)."""
    doc = describe(source, loaded, content_hash, settings, notes)
    return doc, chunk_document(doc, settings.chunking)


def load_and_chunk(source: SourceFile, data: bytes, settings: Settings) -> Parsed | LoadedText:
    """All the CPU work on one file, or the loaded file when scanned pages must be read first."""
    loaded = extract(source, data, settings)
    if loaded.scanned_pages:
        return loaded
    return finish(source, loaded, hashlib.sha256(data).hexdigest(), settings)


def _in_process(timeout_s: float, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """The un-isolated stand-in for ParsePool.submit_within: run ``fn`` when the result is asked for."""
    return lambda: fn(*args)


def start_parse(source: SourceFile, data: bytes, settings: Settings, pool: ParsePool | None) -> Callable[[], Parsed]:
    """Start parsing one file in ``pool``'s worker; the returned call waits for the result.

    Without isolation (or pool) the file is parsed in this process when the result is asked for
    (``ingest.isolate = false``: no limits; for debugging a parser).
    """
    isolated = settings.ingest.isolate and pool is not None
    submit = pool.submit_within if isolated else _in_process  # type: ignore[union-attr]
    timeout = settings.ingest.file_timeout_s
    first = submit(timeout, load_and_chunk, source, data, settings)

    def result() -> Parsed:
        out = first()
        if not isinstance(out, LoadedText):
            return out
        content_hash = hashlib.sha256(data).hexdigest()
        loaded, notes = read_scans(out, data, source.path.suffix, content_hash, settings, submit)
        return submit(timeout, finish, source, loaded, content_hash, settings, tuple(notes))()

    return result


def parse_file(source: SourceFile, data: bytes, settings: Settings) -> Parsed:
    """One file parsed in a worker of its own under the per-file limits (an ingest shares one
    worker through :func:`start_parse`)."""
    limits = settings.ingest
    if not limits.isolate:
        return start_parse(source, data, settings, None)()
    with ParsePool(limits.file_timeout_s, limits.file_memory_mb) as pool:
        return start_parse(source, data, settings, pool)()
