"""What a loader hands on: the raw text of a file, its pages when it has them, or why it failed.

Kept apart from the loaders so that every format's module (loaders.py, paged.py) and the OCR
step share one definition.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from rag.ingest.encodings import EncodingProblem, repair_legacy_text

logger = logging.getLogger(__name__)


class LoadError(Exception):
    """A file that cannot be turned into text; ``reason`` is meant for the person ingesting."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoadedPage:
    """One page of a paged file as extracted: its text layer, or a scan waiting for OCR."""

    number: int  # 1-based
    text: str  # raw text; "" for a page with no text layer
    scanned: bool = False  # an image with (next to) no text layer: its words are read by OCR
    ocr: bool = False  # ``text`` came from OCR
    confidence: float | None = None  # OCR's mean word confidence, 0-100

    def read_by_ocr(self, text: str, confidence: float) -> LoadedPage:
        return replace(self, text=text, ocr=True, confidence=confidence)


@dataclass(frozen=True)
class LoadedText:
    text: str  # raw text, paragraphs separated by "\n\n", line breaks inside kept as "\n"
    format: str  # "txt" | "md" | "docx" | "pdf" | "html" | "image"
    encoding: str  # e.g. "utf-8", "cp1258", "utf-8+tcvn3", "docx", "docx+tcvn3", "pdf", "pdf+ocr"
    pages: tuple[LoadedPage, ...] = ()  # a PDF's or an image's pages; ``text`` is their text joined

    @property
    def scanned_pages(self) -> list[LoadedPage]:
        """Pages still to be read by OCR."""
        return [p for p in self.pages if p.scanned and not p.ocr]

    def with_pages(self, pages: tuple[LoadedPage, ...]) -> LoadedText:
        """The same file with its pages replaced (after OCR), ``text`` joined again."""
        encoding = self.encoding
        if any(p.ocr for p in pages) and "ocr" not in encoding:
            encoding = f"{encoding}+ocr"
        return replace(self, text=join_pages(pages), encoding=encoding, pages=pages)


# a line break, then a lower-case letter that does not open a list item ("a) ", "b. "), or a number
# that does not number a heading ("2. ", "3) ") after a line that ends no sentence
_WRAPPED_LINE = re.compile(
    r"(?P<end>[^\s.!?…:;])?[ \t]*\n+[ \t]*(?=[^\W_])(?![^\W\d_][.)]\s)(?!\d+[.)](?:\s|$))"
)


def unwrap(text: str) -> str:
    """Lines wrapped by the page layout joined again: a line that starts with a lower-case letter
    continues the one before, and so does one that starts with a figure after a line that ends no
    sentence. A PDF's text layer and OCR give a paragraph as its printed lines, and a sentence cut
    at each line end is half a fact ("… chủ trì cuộc họp" / "về công tác …")."""

    def join(m: re.Match[str]) -> str:
        nxt = text[m.end()]
        if nxt.islower() or (nxt.isdigit() and m.group("end")):
            return f"{m.group('end') or ''} "
        return m.group(0)

    return _WRAPPED_LINE.sub(join, text)


def join_pages(pages: tuple[LoadedPage, ...] | list[LoadedPage]) -> str:
    """The text of a paged file: its non-empty pages, as paragraphs."""
    return "\n\n".join(p.text for p in pages if p.text.strip())


def repair(text: str, label: str) -> tuple[str, str]:
    """Convert legacy-font (TCVN3/VNI) text found inside an extracted document."""
    try:
        fixed, legacy = repair_legacy_text(text)
    except EncodingProblem as exc:
        raise LoadError(str(exc)) from exc
    return fixed, f"{label}+{legacy}" if legacy else label


def repair_strings(strings: list[str], label: str) -> tuple[dict[str, str], str]:
    """Legacy-font repair of many texts with one decision for the whole document.

    Each distinct text goes in once, on its own lines; the repair works line by line, so every
    text comes back at its place.
    """
    unique = list(dict.fromkeys(strings))
    joined = "\n".join(unique)
    fixed, encoding = repair(joined, label)
    lines = fixed.split("\n")
    if len(lines) != joined.count("\n") + 1:  # cannot happen with today's tables; never misplace text
        logger.warning("legacy-font repair changed the line count; text kept unrepaired")
        return {s: s for s in unique}, label
    out: dict[str, str] = {}
    start = 0
    for text in unique:
        count = text.count("\n") + 1
        out[text] = "\n".join(lines[start : start + count])
        start += count
    return out, encoding
