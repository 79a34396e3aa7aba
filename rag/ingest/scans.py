"""The OCR step: the scanned pages of a loaded file read by Tesseract, one page at a time.

Each page runs in the parsing sandbox under its own deadline (``ocr.page_timeout_s``), so a
20-page scan is not held to one file's deadline, and a page that hangs costs that page only. A
finished page is cached by the file's hash (rag/ingest/ocr.py's ``OcrCache``): a re-ingest, a
rebuilt index or a second index of the same archive never reads a page twice. What went wrong or
reads poorly comes back as notes for the ingest summary; no page is dropped without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.ingest.loaded import LoadedPage, LoadedText, LoadError, unwrap

logger = logging.getLogger(__name__)

# submit(timeout_s, fn, *args) → a call that waits for fn's result (raises LoadError on failure)
Submit = Callable[..., Callable[[], Any]]
# rendering a 300-dpi page and starting Tesseract, on top of Tesseract's own deadline
_PAGE_DEADLINE_MARGIN_S = 30.0


def ocr_cache_dir(settings: Settings) -> Path:
    """Where read pages are kept: ``ocr.cache_dir``, else ``ocr/`` in the embedding cache folder."""
    return Path(settings.ocr.cache_dir or Path(settings.embeddings.cache_dir) / "ocr")


def read_page(data: bytes, suffix: str, index: int, dpi: int, lang: str, timeout_s: float) -> Any:
    """OCR of page ``index`` (0-based) of a PDF or an image file; runs in the parsing worker."""
    from rag.ingest.ocr import OcrUnavailable, image_frame, ocr_image, ocr_pdf_page

    try:
        if suffix.lower() == ".pdf":
            return ocr_pdf_page(data, index, dpi=dpi, lang=lang, timeout_s=timeout_s)
        try:
            frame = image_frame(data, index)
        except (ValueError, IndexError) as exc:
            raise LoadError(f"không mở được ảnh (cannot open the image: {exc})") from exc
        return ocr_image(frame, lang=lang, timeout_s=timeout_s)
    except OcrUnavailable as exc:
        raise LoadError(exc.reason) from exc
    except TimeoutError as exc:
        raise LoadError(f"OCR quá {timeout_s:g} giây (page took too long; raise ocr.page_timeout_s)") from exc


def _page_list(pages: list[LoadedPage]) -> str:
    numbers = ", ".join(str(p.number) for p in pages[:10])
    return numbers + (f" … ({len(pages)})" if len(pages) > 10 else "")


def read_scans(
    loaded: LoadedText, data: bytes, suffix: str, content_hash: str, settings: Settings, submit: Submit,
) -> tuple[LoadedText, list[str]]:
    """``loaded`` with its scanned pages read, and the notes the ingest summary shows for it."""
    scanned = loaded.scanned_pages
    if not scanned:
        return loaded, []
    kind = "ảnh" if loaded.format == "image" else f"trang ảnh quét {_page_list(scanned)}"
    ocr = settings.ocr
    if not ocr.enabled:
        return loaded, [f"{kind}: chưa đọc (OCR is off: ocr.enabled = false)"]
    from rag.ingest.ocr import OcrCache, tesseract_problem

    problem = tesseract_problem(ocr.lang)
    if problem:
        return loaded, [f"{kind}: chưa đọc được — {problem}"]
    cache = OcrCache(ocr_cache_dir(settings))
    notes: list[str] = []
    read: dict[int, LoadedPage] = {}
    for page in scanned:
        index = page.number - 1
        result = cache.get(content_hash, index, ocr.dpi, ocr.lang)
        if result is None:
            try:
                result = submit(ocr.page_timeout_s + _PAGE_DEADLINE_MARGIN_S, read_page, data, suffix, index,
                                ocr.dpi, ocr.lang, ocr.page_timeout_s)()
            except LoadError as exc:
                notes.append(f"trang {page.number}: không đọc được ({exc.reason})")
                continue
            cache.put(content_hash, index, ocr.dpi, result, ocr.lang)
        if not result.text.strip():
            notes.append(f"trang {page.number}: OCR không thấy chữ nào (no text found on the scanned page)")
        elif result.confidence < ocr.min_confidence:
            notes.append(
                f"trang {page.number}: OCR đọc kém, độ tin cậy {result.confidence:.0f}/100 "
                f"(low OCR confidence; check this page against the original)"
            )
        read[page.number] = page.read_by_ocr(unwrap(result.text), result.confidence)
    pages = tuple(read.get(p.number, p) for p in loaded.pages)
    logger.info("OCR read %d of %d scanned pages", len(read), len(scanned))
    return loaded.with_pages(pages), notes
