"""Paged sources: a PDF's pages (text layer, tables, scanned images) and an image file's frames.

Each page is kept with its number, so a citation can name the page of the paper original. A page
whose text layer is (next to) empty but which holds an image is a scan: it is handed on marked
``scanned`` for the OCR step (rag/ingest/scans.py), which runs each page in the parsing sandbox
under its own deadline. Nothing here runs Tesseract, and no page is dropped: a page that cannot be
read at all is left empty and said so in the ingest summary.

Text layers are read with pypdf (fast); tables with pdfplumber, which finds their cells (pypdf
gives a table as loose words), only on pages whose text looks tabular.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from pypdf import PasswordType, PdfReader

from rag.ingest.loaded import LoadedPage, LoadedText, LoadError, join_pages, repair_strings, unwrap
from rag.text.table_rows import reads_as_caption

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# A page with less text than this and an image is a scan (a stamp or page number may be text).
_SCAN_MAX_TEXT_CHARS = 40
# A line that holds at least two figures ("4.120 3.275,6"): a page with three of them may hold a table.
_FIGURES_LINE = re.compile(r"\d[\d.,]*\D+\d[\d.,]*")


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- pdf


def _open_pdf(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception as exc:  # unsupported algorithm or missing crypto dependency
            raise LoadError(f"PDF được mã hoá (encrypted; cannot decrypt: {exc})") from exc
        if not unlocked:
            raise LoadError("PDF được mã hoá (encrypted; a password is needed to read it)")
    return reader


def _has_image(page: Any) -> bool:
    """Whether the page draws an image (directly or in a form XObject one level down)."""
    try:
        resources = page.get("/Resources")
        objects = resources.get_object().get("/XObject") if resources is not None else None
        if objects is None:
            return False
        for ref in objects.get_object().values():
            xobject = ref.get_object()
            subtype = xobject.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form":
                inner = xobject.get("/Resources")
                inner_objects = inner.get_object().get("/XObject") if inner is not None else None
                if inner_objects is not None and any(
                    r.get_object().get("/Subtype") == "/Image" for r in inner_objects.get_object().values()
                ):
                    return True
    except Exception:  # a malformed resource dictionary: treat as no image
        logger.debug("cannot inspect page resources", exc_info=True)
    return False


def _pdf_pages(reader: PdfReader) -> list[LoadedPage]:
    """Every page, in order: its text layer, or marked as a scan; a page that fails stays, empty."""
    pages: list[LoadedPage] = []
    failures = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = _unix_newlines(page.extract_text() or "").strip()
        except Exception as exc:  # one bad content stream should not lose the whole report
            failures += 1
            logger.warning("PDF page %d: text layer unreadable: %s: %s", number, type(exc).__name__, exc)
            text = ""
        scanned = len(text) < _SCAN_MAX_TEXT_CHARS and _has_image(page)
        pages.append(LoadedPage(number, "" if scanned else text, scanned=scanned))
    if not pages:
        raise LoadError("PDF không có trang nào (PDF has no pages)")
    if failures == len(pages):
        raise LoadError("tệp PDF bị hỏng (damaged PDF: no page could be read)")
    return pages


def _looks_tabular(text: str) -> bool:
    return sum(1 for line in text.split("\n") if _FIGURES_LINE.search(line)) >= 3


# One part of a page: plain text, or a table's (rows, caption) read by pdfplumber
Part = str | tuple[list[list[str]], str | None]


def _page_parts(data: bytes, pages: list[LoadedPage]) -> list[list[Part]]:
    """Each page as parts: its text layer, or, on a page whose text looks tabular, the text around
    its tables and the tables as grids (pdfplumber); records are written after the legacy-font
    repair, which must see the cells, not our labels and separators."""
    parts: list[list[Part]] = [[unwrap(p.text)] for p in pages]
    wanted = [i for i, p in enumerate(pages) if not p.scanned and _looks_tabular(p.text)]
    if not wanted:
        return parts
    import pdfplumber

    from rag.ingest.table_grids import pdf_page_tables

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for i in wanted:
                page = pdf.pages[i]
                tables = sorted(pdf_page_tables(page), key=lambda t: t[0][1])
                if not tables:
                    continue
                page_parts: list[Part] = []
                top = 0.0
                for (_, y0, _, y1), rows in tables:
                    above = _text_between(page, top, y0)
                    page_parts += [above, (rows, _caption(above))]
                    top = y1
                page_parts.append(_text_between(page, top, float(page.height)))
                parts[i] = page_parts
    except Exception as exc:  # pdfplumber failing on one file keeps pypdf's text, which is still right
        logger.warning("PDF tables not read (%s: %s); keeping the plain text", type(exc).__name__, exc)
        return [[unwrap(p.text)] for p in pages]
    return parts


def _strings(part: Part) -> list[str]:
    if isinstance(part, str):
        return [part]
    rows, caption = part
    return [c for row in rows for c in row] + ([caption] if caption else [])


def _written(part: Part, fixed: dict[str, str]) -> str:
    """A part as stored text: repaired, a table as its block of records."""
    from rag.ingest.tables import table_block, table_records

    if isinstance(part, str):
        return fixed[part]
    rows, caption = part
    return table_block(table_records([[fixed[c] for c in row] for row in rows], fixed[caption] if caption else None))


def _text_between(page: Any, top: float, bottom: float) -> str:
    """The text of the band between two tables: characters wholly inside it (``within_bbox``; a
    ``crop`` keeps those touching the edge, which repeated a table's last row)."""
    if bottom - top < 1:
        return ""
    band = page.within_bbox((0, max(0.0, top), float(page.width), min(float(page.height), bottom)), strict=False)
    return unwrap(_unix_newlines(band.extract_text() or "").strip())


def _caption(above: str) -> str | None:
    """The line just above a table when it reads as its title: short, not the end of a sentence."""
    line = above.rsplit("\n", 1)[-1].strip() if above else ""
    return line if reads_as_caption(line) else None


def load_pdf(data: bytes) -> LoadedText:
    """A PDF's pages: text layers (tables as records), and scanned pages marked for OCR."""
    if b"%PDF-" not in data[:1024]:
        raise LoadError("không phải tệp PDF (not a PDF: no %PDF header)")
    if b"%%EOF" not in data:  # anywhere: a valid file may carry trailing bytes after it (viewers read it)
        raise LoadError("tệp PDF bị cắt cụt (truncated PDF: no %%EOF marker at the end)")
    try:
        pages = _pdf_pages(_open_pdf(data))
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many types for malformed files
        raise LoadError(f"tệp PDF bị hỏng (damaged PDF: {type(exc).__name__}: {exc})") from exc
    if not any(p.text or p.scanned for p in pages):
        raise LoadError("PDF không có chữ: không có lớp văn bản, cũng không có ảnh quét (no text layer and no image)")
    parts = _page_parts(data, pages)
    fixed, encoding = repair_strings([s for page in parts for part in page for s in _strings(part)], "pdf")
    texts = ["\n\n".join(t for t in (_written(part, fixed).strip() for part in page) if t) for page in parts]
    pages = [LoadedPage(p.number, text, p.scanned) for p, text in zip(pages, texts, strict=True)]
    return LoadedText(join_pages(pages), "pdf", encoding, tuple(pages))


# --------------------------------------------------------------------------- images


def load_image(data: bytes) -> LoadedText:
    """An image file (a photographed or scanned page): each frame a page for OCR."""
    from rag.ingest.ocr import image_frame_count

    try:
        frames = image_frame_count(data)
    except ValueError as exc:
        raise LoadError(f"không mở được ảnh (cannot open the image: {exc})") from exc
    pages = tuple(LoadedPage(n, "", scanned=True) for n in range(1, frames + 1))
    return LoadedText("", "image", "image", pages)
