"""The OCR engine (rag/ingest/ocr.py) with the real Tesseract, on pages these tests render.

Tesseract and its Vietnamese data are required (the Makefile installs them): every test that
reads a page fails, never skips, where they are missing, and the first test says what to install.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import struct
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont

from rag.ingest import ocr
from rag.ingest.ocr import OcrCache, OcrPage, OcrUnavailable, OcrWord

pytestmark = pytest.mark.slow  # Tesseract reads A4 pages at 300 dpi

DPI = 300
A4 = (round(8.27 * DPI), round(11.69 * DPI))
TITLE = "BÁO CÁO KINH TẾ - XÃ HỘI NĂM 2023"
LINES = [
    "Thu ngân sách đạt 3.275,6 tỷ đồng, bằng 104,2% dự toán.",
    "Chủ tịch UBND huyện chỉ đạo các phòng, ban.",
    "Tổng vốn đầu tư công năm 2023 là 1.148 tỷ đồng.",
]
FIGURES = ["3.275,6", "104,2%", "1.148", "2023"]
SECOND_PAGE = ["Ủy ban nhân dân tỉnh Cà Mau", "Kim ngạch xuất khẩu đạt 1.205,7 triệu USD."]
HASH = "ab" + "0" * 62


def _font_file() -> Path:
    try:
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"
        if bundled.is_file():
            return bundled
    except ImportError:
        pass
    return Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(pt: float, dpi: int = DPI) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_file()), round(pt * dpi / 72))


def render(
    lines: list[str], size: tuple[int, int] = A4, pt: float = 12, gap_after_first: int = 0
) -> Image.Image:
    """Black text on white, 1-inch margins, 1.6 line spacing (at 300 dpi)."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = _font(pt)
    margin = min(DPI, size[1] // 8)
    y = margin
    for i, line in enumerate(lines):
        draw.text((margin, y), line, font=font, fill=0)
        y += round(pt * 1.6 * DPI / 72) + (gap_after_first if i == 0 else 0)
    return image


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def assert_lines_read(expected: list[str], page: OcrPage, max_edits: int = 1) -> None:
    read = [line for line in nfc(page.text).split("\n") if line]
    for line in expected:
        best = min(read, key=lambda r: distance(nfc(line), r))
        assert distance(nfc(line), best) <= max_edits, (line, page.text)


@pytest.fixture(scope="module")
def clean_page() -> Image.Image:
    return render([TITLE, *LINES], gap_after_first=120)


@pytest.fixture(scope="module")
def clean_result(clean_page: Image.Image) -> OcrPage:
    return ocr.ocr_image(clean_page, dpi=DPI)


@pytest.fixture(scope="module")
def scanned_pdf(clean_page: Image.Image) -> bytes:
    """Two pages of images only (no text layer), as a scanner writes them."""
    buf = io.BytesIO()
    clean_page.save(buf, "PDF", resolution=float(DPI), save_all=True, append_images=[render(SECOND_PAGE)])
    return buf.getvalue()


# --------------------------------------------------------------------------- Tesseract itself


def test_tesseract_and_vietnamese_are_installed() -> None:
    assert ocr.tesseract_problem() is None, ocr.tesseract_problem()
    assert ocr.tesseract_problem("vie") is None
    assert ocr.tesseract_version()[0].isdigit()
    assert ocr.tesseract_version().count(".") >= 1


def test_a_missing_language_names_its_package() -> None:
    reason = ocr.tesseract_problem("xxx")
    assert reason is not None and "sudo apt-get install tesseract-ocr-xxx" in reason
    assert "\n" not in reason and reason.index("(") > 0  # Vietnamese, then English in parentheses
    both = ocr.tesseract_problem("vie+xxx")
    assert both is not None and "tesseract-ocr-xxx" in both and "tesseract-ocr-vie" not in both
    with pytest.raises(OcrUnavailable) as caught:
        ocr.ocr_image(Image.new("L", (200, 100), 255), lang="xxx")
    assert "sudo apt-get install tesseract-ocr-xxx" in caught.value.reason


def test_a_missing_tesseract_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    reason = ocr.tesseract_problem()
    assert reason == (
        "chưa cài Tesseract OCR (Tesseract is not installed: "
        "sudo apt-get install tesseract-ocr tesseract-ocr-vie)"
    )
    with pytest.raises(OcrUnavailable) as caught:
        ocr.ocr_image(Image.new("L", (200, 100), 255))
    assert caught.value.reason == reason and str(caught.value) == reason
    with pytest.raises(OcrUnavailable):
        ocr.tesseract_version()


def test_tesseract_runs_single_threaded_without_touching_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OMP_THREAD_LIMIT=1 for the child only (4 OpenMP threads on 2 cores took 8x longer), and
    not in os.environ, where it would also throttle torch."""
    seen: list[dict[str, str]] = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(dict(kwargs.get("env") or os.environ))
        return real_popen(*args, **kwargs)

    before = os.environ.get("OMP_THREAD_LIMIT")
    monkeypatch.setattr(subprocess, "Popen", spy)
    ocr.ocr_image(render(["Chủ tịch UBND huyện"], size=(1200, 300), pt=10))
    assert seen and all(env.get("OMP_THREAD_LIMIT") == "1" for env in seen)
    assert os.environ.get("OMP_THREAD_LIMIT") == before
    assert seen[-1].get("PATH") == os.environ.get("PATH")  # the rest of the environment is passed on


def test_importing_starts_nothing() -> None:
    """No process at import, and pytesseract (which imports pandas, 52 MiB) only for a page read."""
    script = (
        "import sys\n"
        "started = []\n"
        "sys.addaudithook(lambda ev, args: started.append(args) if ev == 'subprocess.Popen' else None)\n"
        "import rag.ingest.ocr as ocr\n"
        "ocr.OcrCache('unused')\n"
        "assert not started, started\n"
        "assert 'pytesseract' not in sys.modules and 'pandas' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[3])


# --------------------------------------------------------------------------- reading pages


def test_a_clean_page_reads_every_word_and_figure(clean_result: OcrPage) -> None:
    page = clean_result
    assert_lines_read([TITLE, *LINES], page)
    words = {nfc(w.text) for w in page.words}
    for figure in FIGURES:  # figures exactly, never "almost"
        assert figure in words, (figure, page.text)
    bare = {w.rstrip(".,") for w in words}
    for word in ("ngân", "sách", "đạt", "tỷ", "đồng", "Chủ", "tịch", "UBND", "huyện", "đầu", "tư"):
        assert word in bare, (word, page.text)
    assert page.confidence > 85
    assert (page.width, page.height, page.dpi) == (A4[0], A4[1], DPI)


def test_text_layout_lines_and_paragraphs(clean_result: OcrPage) -> None:
    text = clean_result.text
    assert text == text.strip() and "  " not in text and "\n\n\n" not in text
    assert all(line == line.strip() for line in text.split("\n"))
    paragraphs = text.split("\n\n")
    assert len(paragraphs) >= 2 and distance(nfc(paragraphs[0]), nfc(TITLE)) <= 1  # the title stands alone
    assert nfc(text) == text


def test_words_have_boxes_inside_the_page_and_confidences(clean_result: OcrPage) -> None:
    page = clean_result
    assert all(isinstance(w, OcrWord) and w.text and w.text == w.text.strip() for w in page.words)
    assert all(0 <= w.confidence <= 100 for w in page.words)
    assert all(0 <= w.left and w.left + w.width <= page.width for w in page.words)
    assert all(0 <= w.top and w.top + w.height <= page.height for w in page.words)
    assert page.confidence == round(sum(w.confidence for w in page.words) / len(page.words), 1)
    figure = next(w for w in page.words if w.text == "3.275,6")
    # DejaVu at 12 pt, 300 dpi: digits about 36 px high, on the first body line under the title
    assert 25 <= figure.height <= 60 and DPI + 120 < figure.top < DPI + 400


def test_noise_reads_with_low_confidence() -> None:
    rng = random.Random(7)
    noise = Image.frombytes("L", (800, 600), rng.randbytes(800 * 600))
    page = ocr.ocr_image(noise)
    assert not page.words or page.confidence < 50, (page.confidence, page.text)


def test_a_blank_page_has_no_words() -> None:
    page = ocr.ocr_image(Image.new("L", (1240, 1754), 255))
    assert page.words == () and page.text == "" and page.confidence == 0.0


def test_a_tiny_timeout_raises_timeouterror(clean_page: Image.Image) -> None:
    with pytest.raises(TimeoutError):
        ocr.ocr_image(clean_page, timeout_s=0.001)


def test_a_low_resolution_image_is_enlarged_and_read() -> None:
    """A 100-dpi photo of a page (827 px wide) is read at about 300 dpi."""
    small = render([TITLE, *LINES]).resize((A4[0] // 3, A4[1] // 3), Image.Resampling.LANCZOS)
    page = ocr.ocr_image(small)
    assert page.width == A4[0] // 3 * 3 and page.dpi >= 290
    words = {nfc(w.text) for w in page.words}
    assert "3.275,6" in words and "1.148" in words, page.text


# --------------------------------------------------------------------------- PDF pages


def test_pdf_pages_are_rendered_at_the_asked_resolution(scanned_pdf: bytes) -> None:
    assert ocr.pdf_page_count(scanned_pdf) == 2
    for dpi in (72, 100, 150):
        image = ocr.render_pdf_page(scanned_pdf, 0, dpi=dpi)
        assert image.mode == "L"
        assert abs(image.width - 8.27 * dpi) <= 2 and abs(image.height - 11.69 * dpi) <= 2
        assert image.info["dpi"] == (dpi, dpi)
    with pytest.raises(IndexError):
        ocr.render_pdf_page(scanned_pdf, 2)
    with pytest.raises(ValueError):
        ocr.pdf_page_count(b"%PDF-1.4 not really")


def test_a_scanned_pdf_page_is_read_at_300_dpi(scanned_pdf: bytes) -> None:
    page = ocr.ocr_pdf_page(scanned_pdf, 1, dpi=300)
    assert page.dpi == 300 and abs(page.width - 2481) <= 2 and abs(page.height - 3507) <= 2
    assert_lines_read(SECOND_PAGE, page)
    assert "1.205,7" in {nfc(w.text) for w in page.words}
    assert page.confidence > 85


def test_an_oversized_pdf_page_is_rendered_smaller(
    monkeypatch: pytest.MonkeyPatch, scanned_pdf: bytes
) -> None:
    monkeypatch.setattr(ocr, "MAX_RENDER_PIXELS", 1_000_000)
    image = ocr.render_pdf_page(scanned_pdf, 0, dpi=300)
    assert image.width * image.height <= 1_010_000
    assert image.info["dpi"][0] < 300 and abs(image.width - 8.27 * image.info["dpi"][0]) <= 3


# --------------------------------------------------------------------------- image files


def _strip(text: str) -> Image.Image:
    return render([text], size=(1400, 260), pt=9)


def test_a_multipage_tiff_gives_its_pages() -> None:
    first, second = _strip("Thu ngân sách đạt 3.275,6 tỷ đồng"), _strip("Chủ tịch UBND huyện")
    buf = io.BytesIO()
    first.save(buf, "TIFF", save_all=True, append_images=[second], compression="tiff_lzw")
    data = buf.getvalue()
    frames = ocr.image_frames(data)
    assert len(frames) == 2 and all(f.mode == "L" for f in frames)
    assert ocr.image_frame_count(data) == 2
    assert ocr.image_frame(data, 1).tobytes() == second.tobytes()
    with pytest.raises(IndexError):
        ocr.image_frame(data, 2)
    pages = ocr.ocr_image_file(data)
    assert len(pages) == 2
    assert "3.275,6" in {nfc(w.text) for w in pages[0].words}, pages[0].text
    assert_lines_read(["Chủ tịch UBND huyện"], pages[1])


def test_exif_orientation_is_applied() -> None:
    """A photo stored sideways with EXIF orientation 6 ("rotate 90° clockwise to view")."""
    upright = render(["Chủ tịch UBND huyện"], size=(1400, 300), pt=10).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    (frame,) = ocr.image_frames(buf.getvalue())
    assert frame.size == upright.size and frame.mode == "L"
    (page,) = ocr.ocr_image_file(buf.getvalue())
    assert_lines_read(["Chủ tịch UBND huyện"], page)


def test_transparency_is_white_paper_and_16_bit_scans_are_stretched() -> None:
    text = Image.new("RGBA", (300, 100), (0, 0, 0, 0))  # black, fully transparent
    ImageDraw.Draw(text).rectangle((10, 10, 50, 50), fill=(0, 0, 0, 255))
    buf = io.BytesIO()
    text.save(buf, "PNG")
    (frame,) = ocr.image_frames(buf.getvalue())
    assert frame.mode == "L" and frame.getpixel((200, 80)) == 255 and frame.getpixel((20, 20)) == 0

    deep = Image.new("I;16", (64, 64), 60000)
    deep.paste(2000, (0, 0, 32, 64))
    buf = io.BytesIO()
    deep.save(buf, "TIFF")
    (frame,) = ocr.image_frames(buf.getvalue())
    assert frame.getpixel((10, 10)) == 0 and frame.getpixel((50, 10)) == 255


def test_unreadable_and_oversized_images_raise_valueerror(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="not an image"):
        ocr.image_frames(b"this is not an image")
    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, "PNG")
    with pytest.raises(ValueError, match="not an image"):
        ocr.image_frames(buf.getvalue()[:120])  # truncated
    monkeypatch.setattr(ocr, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ValueError, match="too large"):
        ocr.image_frames(buf.getvalue())
    with pytest.raises(ValueError, match="too large"):
        ocr.image_frame_count(buf.getvalue())


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    """A PNG whose header declares 40,000 x 40,000 pixels (1.6 gigapixels) in 70 bytes."""
    buf = io.BytesIO()
    Image.new("1", (1, 1), 1).save(buf, "PNG")
    png = bytearray(buf.getvalue())
    assert png[12:16] == b"IHDR"
    png[16:24] = struct.pack(">II", 40_000, 40_000)
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    with pytest.raises(ValueError, match="too large"):
        ocr.image_frames(bytes(png))
    with pytest.raises(ValueError, match="too large"):
        ocr.image_frame_count(bytes(png))


# --------------------------------------------------------------------------- the cache


def test_the_cache_round_trips_a_page(tmp_path: Path, clean_result: OcrPage) -> None:
    cache = OcrCache(tmp_path)
    assert cache.get(HASH, 0, 300) is None
    cache.put(HASH, 0, 300, clean_result)
    assert cache.get(HASH, 0, 300) == clean_result
    assert cache.get(HASH, 0, 300, "vie") == clean_result
    # every part of the key matters
    assert cache.get(HASH, 1, 300) is None
    assert cache.get(HASH, 0, 200) is None
    assert cache.get(HASH, 0, 300, "vie+eng") is None
    assert cache.get("cd" + HASH[2:], 0, 300) is None
    version = ocr.tesseract_version()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [tmp_path / "ab" / f"{HASH}-p0-300-vie-{version}.json"]  # no temporary file left
    assert OcrPage.from_json(json.loads(files[0].read_text("utf-8"))) == clean_result
    assert OcrPage.from_json(json.loads(json.dumps(clean_result.to_json()))) == clean_result


@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"[]", b'{"text": "x"}', json.dumps({"text": 1, "confidence": 0, "words": [],
                                                          "width": 1, "height": 1, "dpi": 1}).encode(),
     b"\xff\xfe\x00garbage"],
)
def test_a_corrupt_cache_file_is_a_miss(
    tmp_path: Path, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    cache = OcrCache(tmp_path)
    path = cache.path(HASH, 3, 300)
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    with caplog.at_level(logging.DEBUG, logger="rag.ingest.ocr"):
        assert cache.get(HASH, 3, 300) is None
    assert any("damaged" in r.getMessage() for r in caplog.records)
    page = OcrPage("x", 90.0, (OcrWord("x", 1, 2, 3, 4, 90.0),), 10, 20, 300)
    cache.put(HASH, 3, 300, page)  # a new read replaces it
    assert cache.get(HASH, 3, 300) == page


def test_a_cache_that_cannot_be_written_only_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = OcrCache(blocker)
    page = OcrPage("", 0.0, (), 1, 1, 300)
    with caplog.at_level(logging.WARNING, logger="rag.ingest.ocr"):
        cache.put(HASH, 0, 300, page)
    assert any("cannot write" in r.getMessage() for r in caplog.records)
    assert cache.get(HASH, 0, 300) is None
    with pytest.raises(ValueError):
        cache.put("../../etc", 0, 300, page)


# --------------------------------------------------------------------------- assembling the text


def test_words_lines_and_paragraphs_from_tesseract_rows() -> None:
    """Rows as pytesseract's image_to_data gives them: levels 1-4 (conf -1) are structure."""
    rows = [
        # level, block, par, line, word, conf, text
        (1, 0, 0, 0, 0, -1, ""),
        (2, 1, 0, 0, 0, -1, ""),
        (5, 1, 1, 1, 1, 96, "Thu"),
        (5, 1, 1, 1, 2, 91, "ngân  "),
        (5, 1, 1, 2, 1, 90, "sa\u0301ch"),  # decomposed: comes back NFC
        (5, 1, 1, 2, 2, 95, " "),  # empty: not a word
        (5, 1, 2, 1, 1, 80, "đạt"),
        (4, 2, 1, 1, 0, -1, ""),
        (5, 2, 1, 1, 1, 88, "3.275,6"),
    ]
    data: dict[str, list[object]] = {k: [] for k in (
        "level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
        "height", "conf", "text")}
    for i, (level, block, par, line, word, conf, text) in enumerate(rows):
        for key, value in zip(
            data, (level, 1, block, par, line, word, 10 * i, 20 * i, 30, 40, conf, text), strict=True
        ):
            data[key].append(value)
    page = ocr._page_from_data(data, 1000, 2000, 300)
    assert page.text == "Thu ngân\nsách\n\nđạt\n\n3.275,6"
    assert [w.text for w in page.words] == ["Thu", "ngân", "sách", "đạt", "3.275,6"]
    assert page.confidence == round((96 + 91 + 90 + 80 + 88) / 5, 1) == 89.0
    assert page.words[0] == OcrWord("Thu", 20, 40, 30, 40, 96.0)
    assert (page.width, page.height, page.dpi) == (1000, 2000, 300)
    empty = ocr._page_from_data({}, 5, 5, 300)
    assert empty.text == "" and empty.confidence == 0.0 and empty.words == ()
