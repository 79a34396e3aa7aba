"""The scanned page behind a citation, with the cited words boxed, for the document view.

A citation of OCR text is only as good as the reading: the person checking it should see the
paper. Tesseract's word boxes are kept in the OCR cache (rag/ingest/ocr.py), so the page is
rendered again (in the parsing sandbox: the file is untrusted) at screen resolution, and the
words of the quote are boxed. Nothing is read by OCR here: a page missing from the cache simply
has no picture.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from pathlib import Path

from rag.config import Settings
from rag.ingest.loaded import LoadError
from rag.ingest.ocr import OcrCache, OcrPage, OcrWord, image_frame, render_pdf_page
from rag.ingest.sandbox import run_bounded
from rag.ingest.scans import ocr_cache_dir
from rag.text.normalize import fold_diacritics, normalize_text

logger = logging.getLogger(__name__)

DISPLAY_WIDTH = 900  # pixels: a page fits the document panel and its words stay legible
_RENDER_TIMEOUT_S = 30.0
_RENDER_MEMORY_MB = 1024


def _token(text: str) -> str:
    return fold_diacritics(normalize_text(text)).lower().strip(".,;:!?()[]\"'“”«»")


def cited_words(page: OcrPage, quote: str) -> list[OcrWord]:
    """The words of ``page`` that spell ``quote``: the run of words equal to its tokens, else the
    window holding most of them in order (OCR text is the words joined, so a run exists unless
    the page was read again differently)."""
    wanted = [t for t in (_token(w) for w in quote.split()) if t]
    words = [w for w in page.words if _token(w.text)]
    tokens = [_token(w.text) for w in words]
    if not wanted or not words:
        return []
    best, best_at = 0, 0
    for i in range(len(tokens)):
        hits = sum(1 for k, t in enumerate(wanted) if i + k < len(tokens) and tokens[i + k] == t)
        if hits > best:
            best, best_at = hits, i
            if hits == len(wanted):
                break
    if best < max(1, len(wanted) // 2):
        return []
    return words[best_at : best_at + len(wanted)]


def _render(data: bytes, suffix: str, index: int) -> bytes:
    """The page as PNG bytes at :data:`DISPLAY_WIDTH` (runs in the sandbox)."""
    if suffix == ".pdf":
        image = render_pdf_page(data, index, dpi=110)
    else:
        image = image_frame(data, index)
    scale = DISPLAY_WIDTH / image.width
    image = image.resize((DISPLAY_WIDTH, max(1, round(image.height * scale))))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def page_image_data_uri(settings: Settings, path: str, content_hash: str, page: int, quote: str) -> str | None:
    """A data: URI of page ``page`` (1-based) of the file with the quote's words boxed, or None
    when the page was not read by OCR, is gone from the cache, or cannot be rendered."""
    from PIL import Image, ImageDraw

    ocr = settings.ocr
    try:
        read = OcrCache(ocr_cache_dir(settings)).get(content_hash, page - 1, ocr.dpi, ocr.lang)
    except ValueError:
        return None
    if read is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != content_hash:  # the file changed since it was read
        return None
    try:
        png = run_bounded(_render, data, Path(path).suffix.lower(), page - 1, timeout_s=_RENDER_TIMEOUT_S,
                          memory_mb=_RENDER_MEMORY_MB)
    except LoadError as exc:
        logger.info("page %d of %s not shown: %s", page, path, exc.reason)
        return None
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / read.width if read.width else 1.0
    draw = ImageDraw.Draw(image)
    for word in cited_words(read, quote):
        box = [word.left * scale - 2, word.top * scale - 2, (word.left + word.width) * scale + 2,
               (word.top + word.height) * scale + 2]
        draw.rectangle(box, outline=(245, 159, 0), width=3)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
