"""Records that cross module boundaries, defined once and imported everywhere."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from rag.text.provinces import canonical_province_name, folded_words

if TYPE_CHECKING:  # llama-index is imported by the stages that make nodes, not by every reader of a record
    from llama_index.core.schema import BaseNode

DocKind = Literal["report", "meeting", "dispatch", "plan", "decision", "news", "other"]
PeriodKind = Literal["month", "quarter", "half", "nine_months", "year"]


@dataclass(frozen=True)
class Period:
    """The reporting period a document covers (or a question names).

    ``code`` is a flat, sortable string usable as Chroma metadata:
    ``2020-08`` (month), ``2020-Q3`` (quarter), ``2020-H1`` / ``2020-H2`` (six months),
    ``2020-9M`` (nine months), ``2020`` (year).
    """

    kind: PeriodKind
    year: int
    value: int | None = None  # month 1-12, quarter 1-4, half 1-2; None for year / nine months

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.value:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.value}"
        if self.kind == "half":
            return f"{self.year}-H{self.value}"
        if self.kind == "nine_months":
            return f"{self.year}-9M"
        return str(self.year)

    @property
    def label(self) -> str:
        """Vietnamese label, as a report would write it (rag.text.periods.period_label)."""
        # imported here: rag.text.periods reads text into Periods, so it imports this module
        from rag.text.periods import period_label

        return period_label(self)

    @classmethod
    def from_code(cls, code: str) -> Period:
        year_s, _, rest = code.partition("-")
        year = int(year_s)
        if not rest:
            return cls("year", year)
        if rest == "9M":
            return cls("nine_months", year)
        if rest[0] == "Q":
            return cls("quarter", year, int(rest[1:]))
        if rest[0] == "H":
            return cls("half", year, int(rest[1:]))
        return cls("month", year, int(rest))


@dataclass(frozen=True)
class DocumentMetadata:
    """What we know about a document from its own text. ``None`` means unknown, never a guess."""

    title: str | None = None
    date: str | None = None  # ISO date of issue, "2020-06-23"
    period: Period | None = None
    province: str | None = None
    kind: DocKind | None = None

    def to_flat(self) -> dict[str, str | int]:
        """Flat key/values for Chroma metadata and node metadata (no None values allowed there)."""
        flat: dict[str, str | int] = {}
        if self.title:
            flat["title"] = self.title
        if self.date:
            flat["date"] = self.date
            flat["year"] = int(self.date[:4])
        if self.period:
            flat["period"] = self.period.code
            flat["period_label"] = self.period.label
            flat["period_year"] = self.period.year
        if self.province:
            flat["province"] = self.province
        if self.kind:
            flat["kind"] = self.kind
        return flat

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = self.period.code if self.period else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentMetadata:
        period = data.get("period")
        return cls(
            title=data.get("title"),
            date=data.get("date"),
            period=Period.from_code(period) if period else None,
            province=data.get("province"),
            kind=data.get("kind"),
        )


@dataclass(frozen=True)
class PageSpan:
    """One page of a paged source (a PDF, a scan, an image): ``document_text[start:end]``.

    ``ocr`` marks text read from the page image by Tesseract, with its mean word ``confidence``
    (0-100); a page whose text layer was read has neither.
    """

    number: int  # 1-based, as printed on the paper original
    start: int
    end: int
    ocr: bool = False
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"page": self.number, "start": self.start, "end": self.end, "ocr": self.ocr,
                "confidence": self.confidence}


def page_at(pages: Sequence[PageSpan], offset: int) -> PageSpan | None:
    """The page holding ``offset`` of its document's text (None for a document without pages)."""
    starts = [p.start for p in pages]
    i = bisect_right(starts, offset) - 1
    return pages[i] if 0 <= i < len(pages) else None


@dataclass(frozen=True)
class LoadedDocument:
    """A source file after loading and normalisation; ``text`` is what every offset points into."""

    doc_id: str  # path relative to the folder that was ingested, with "/" separators
    path: str  # absolute path of the source file
    text: str  # normalised text (NFC, one tone-mark style, folded whitespace)
    content_hash: str  # sha256 of the raw file bytes
    format: str  # "txt", "md", "docx", "pdf", "html", "image"
    encoding: str  # how the bytes were decoded ("utf-8", "cp1258", "tcvn3", "pdf+ocr", ...)
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    pages: tuple[PageSpan, ...] = ()  # in order; empty for a source without pages
    notes: tuple[str, ...] = ()  # what the ingest summary should say of it (a page OCR read poorly)


def visible(text: str) -> str:
    """``text`` on one line, control characters (a newline in a file name) written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be indexed, with a reason a person can act on."""

    file: str
    reason: str

    def __str__(self) -> str:
        """One line, whatever the file name holds."""
        return f"{visible(self.file)}: {visible(self.reason)}"


@dataclass(frozen=True)
class ChunkRef:
    """Where a stored chunk is: ``document_text[start:end]`` of ``doc_id``, under ``section``,
    starting on ``page`` (a PDF or scan; else None).

    Built from the stored chunk (``rag.index.store.StoredChunk.ref``); a llama-index node carries
    it through retrieval, rerank and answer, and :func:`chunk_ref` reads it back, so no stage
    reads offsets out of node metadata by key.
    """

    chunk_id: str
    doc_id: str
    start: int
    end: int
    section: str = ""
    page: int | None = None

    @property
    def location(self) -> tuple[str, int, int]:
        """``(doc_id, start, end)``: what evaluation compares with gold evidence spans."""
        return (self.doc_id, self.start, self.end)


def _offset(typed: int | None, copied: object) -> int:
    if typed is not None:
        return int(typed)
    return int(copied) if isinstance(copied, int) else 0


def chunk_ref(node: BaseNode) -> ChunkRef:
    """The :class:`ChunkRef` a llama-index node carries; the one reader of a node's offsets.

    Offsets are the node's typed ``start_char_idx``/``end_char_idx`` (our chunker and
    ``chunk_node`` also copy them into metadata, read when the typed ones are missing). A node that
    llama-index's own splitter could not place in its document (the evaluation baseline) has
    neither and reads as the empty span at 0, which matches no evidence, as evaluation always
    counted it. A node without ``doc_id`` is no chunk of a document: ``ValueError``.
    """
    meta = node.metadata
    doc_id = meta.get("doc_id")
    if doc_id is None:
        raise ValueError(f"node {node.node_id} has no doc_id: it is not a chunk of a stored document")
    page = meta.get("page")
    return ChunkRef(
        chunk_id=node.node_id,
        doc_id=str(doc_id),
        start=_offset(node.start_char_idx, meta.get("start")),
        end=_offset(node.end_char_idx, meta.get("end")),
        section=str(meta.get("section") or ""),
        page=int(page) if page is not None else None,
    )


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk: ``text == document_text[start:end]``.

    Flat rather than holding a :class:`ChunkRef`: ``baocao serve`` sends it as its fields
    (``rag.serve.wire``); :meth:`from_ref` builds it from one.
    """

    chunk_id: str
    doc: str
    title: str | None
    section: str
    start: int
    end: int
    score: float
    text: str
    page: int | None = None  # the page of a PDF or scan the chunk starts on

    @classmethod
    def from_ref(cls, ref: ChunkRef, title: str | None, score: float, text: str) -> SearchHit:
        """The hit on the chunk at ``ref`` (``text``: its exact slice)."""
        return cls(ref.chunk_id, ref.doc_id, title, ref.section, ref.start, ref.end, score, text, ref.page)

    def to_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc, "title": self.title, "section": self.section, "start": self.start,
            "end": self.end, "score": round(self.score, 6), "text": self.text, "page": self.page,
        }


AnswerType = Literal["number", "person", "date", "docref", "place", "phrase", "yesno", "unknown"]
# The shape of an answer: one fact, every item of a list, yes/no with its deciding figure, or a summary.
QuestionForm = Literal["fact", "list", "yesno", "summary"]


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: ``quote == document_text[start:end]``, always."""

    n: int
    doc: str
    title: str | None
    section: str
    start: int
    end: int
    quote: str
    chunk_id: str | None = None
    period: str | None = None  # period label of the document, for display
    page: int | None = None  # the page of the paper original the quote starts on (PDF, scan, image)
    ocr: bool = False  # the quote was read from a page image by OCR

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n, "doc": self.doc, "title": self.title, "section": self.section,
            "start": self.start, "end": self.end, "quote": self.quote, "page": self.page,
            "ocr": self.ocr,
        }


@dataclass(frozen=True)
class Answer:
    """What the assistant returns for one question."""

    text: str
    citations: list[Citation]
    found: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    suggestions: list[SearchHit] = field(default_factory=list)  # closest passages when not found
    mode: str = "extractive"
    question: str = ""  # the question as understood (after follow-up condensing)
    confidence: float | None = None  # the fitted reader's P(the documents answer); None for an LLM
    reason: str = ""  # why the reports were judged not to answer (a refusal only)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "found": self.found,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "suggestions": [s.to_json() for s in self.suggestions],
            "mode": self.mode,
            "question": self.question,
        }


@lru_cache(maxsize=4096)
def _province_key(name: str) -> str:
    """Comparison key: the folded canonical name when known, else the folded spelling itself."""
    return "".join(folded_words(canonical_province_name(name) or name))


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search to documents of a province, a year, or one document.

    The province matches with or without diacritics, in any case, and with or without "tỉnh" /
    "thành phố" ("ca mau" accepts a Cà Mau report), through the canonical names of
    rag/text/provinces.py.
    """

    province: str | None = None
    year: int | None = None
    doc: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.province, self.year, self.doc))

    @property
    def province_name(self) -> str | None:
        """The canonical name of the province filter ("ca mau" → "Cà Mau"), or the text as typed."""
        if self.province is None:
            return None
        return canonical_province_name(self.province) or self.province.strip()

    def accepts_province(self, metadata: DocumentMetadata) -> bool:
        if self.province is None:
            return True
        if metadata.province is None:
            return False
        return _province_key(metadata.province) == _province_key(self.province)

    def accepts_year(self, metadata: DocumentMetadata) -> bool:
        if self.year is None:
            return True
        return self.year in document_years(metadata)

    def accepts(self, doc_id: str, metadata: DocumentMetadata) -> bool:
        if self.doc is not None and doc_id != self.doc:
            return False
        return self.accepts_province(metadata) and self.accepts_year(metadata)


def document_years(metadata: DocumentMetadata) -> set[int]:
    """The years a year filter matches a document on: its period's year and its issue year."""
    years = set()
    if metadata.period:
        years.add(metadata.period.year)
    if metadata.date:
        years.add(int(metadata.date[:4]))
    return years
