"""The scanned page behind a citation: rendered in the sandbox, the cited words boxed (real
Tesseract, real PDFium; the scan is rendered by the test)."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image

from rag.config import Settings
from rag.ingest.parse import SourceFile, parse_file
from tests.rag.ingest.fixtures_build import scanned_pdf
from ui.page_image import cited_words, page_image_data_uri

LINES = ["Thu ngân sách đạt 97.212 triệu đồng.", "Chủ tịch Võ Thanh Tùng ký ban hành."]


def _ingested(tmp_path: Path) -> tuple[Settings, Path, str]:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf([LINES]))
    settings = Settings(index={"dir": tmp_path / "index"}, ocr={"cache_dir": tmp_path / "ocr"})
    parse_file(SourceFile(path.name, path), path.read_bytes(), settings)  # reads the page into the cache
    return settings, path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_cited_page_is_drawn_with_boxes_around_the_quoted_words(tmp_path: Path):
    settings, path, digest = _ingested(tmp_path)
    uri = page_image_data_uri(settings, str(path), digest, 1, "Chủ tịch Võ Thanh Tùng")
    assert uri is not None and uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")
    assert image.width == 900
    boxed = int((np.asarray(image) == (245, 159, 0)).all(axis=2).sum())
    assert boxed > 100  # the box outlines are drawn


def test_the_quote_finds_its_own_run_of_words():
    from rag.ingest.ocr import OcrPage, OcrWord

    words = tuple(OcrWord(t, i * 10, 0, 8, 8, 95.0) for i, t in enumerate("Thu ngân sách đạt 97.212 triệu đồng.".split()))
    page = OcrPage("…", 95.0, words, 100, 10, 300)
    assert [w.text for w in cited_words(page, "đạt 97.212 triệu")] == ["đạt", "97.212", "triệu"]
    assert cited_words(page, "không có ở đây") == []


def test_a_page_not_in_the_cache_or_a_changed_file_has_no_picture(tmp_path: Path):
    settings, path, digest = _ingested(tmp_path)
    assert page_image_data_uri(settings, str(path), digest, 2, "x") is None  # no page 2 was read
    path.write_bytes(path.read_bytes() + b"\n")  # the file changed since it was read
    assert page_image_data_uri(settings, str(path), digest, 1, "Thu ngân sách") is None
