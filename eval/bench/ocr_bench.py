"""OCR of scanned reports: pages per second, memory, the re-ingest cost, and how many words come back.

``python -m eval.bench.ocr_bench --pages 20 --ingest --out bench-ocr.json`` builds its own scanned PDF
(Pillow-rendered Vietnamese report pages at 200 dpi, saved as an image-only PDF; the text is
deterministic and full of figures, see :func:`build_scanned_pdf`), then, with ``rag.ingest.ocr``
directly:

* reads every page at 300 dpi (``ocr_pdf_page``): wall seconds and pages/s;
* keeps the pages in an empty :class:`~rag.ingest.ocr.OcrCache` and times getting all of them
  back (what a re-ingest of an unchanged scan costs);
* counts the rendered words that came back exactly (NFC, as a multiset per page): word accuracy;
* memory: this process's peak RSS while reading (its high-water mark is reset once the PDF is
  built, where Linux allows); ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` as asked, which on
  Linux also counts the memory a child shared with this process when it was forked (so it is at
  least this process's size then); and Tesseract's own peak (``VmHWM`` of each child, sampled
  from /proc while it runs), which is the figure to size a worker by.

With ``--ingest`` the same scan also goes through the whole ingest, twice: into a fresh index
(OCR in the parsing sandbox), then into another fresh index with the OCR cache kept (no page is
read again; the ratio of the two is the re-ingest cost).

Figures drift with the machine's load; the report records the machine (``eval.bench.measure``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import random
import re
import resource
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from eval.bench.measure import machine
from rag.proc_status import proc_status_kib

logger = logging.getLogger(__name__)

A4_IN = (8.27, 11.69)
OCR_DPI = 300
FONT_PT = 13  # Vietnamese administrative reports are set in 13-14 pt Times New Roman
_FONT_FILES = ("DejaVuSerif.ttf", "DejaVuSans.ttf")
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)

_PROVINCES = ("Cà Mau", "Bạc Liêu", "Sóc Trăng", "Hậu Giang", "Kiên Giang", "Đồng Tháp", "An Giang")
_SECTORS = ("nông nghiệp", "thủy sản", "công nghiệp", "xây dựng", "thương mại", "dịch vụ", "du lịch")
_TEMPLATES = (
    "Tổng thu ngân sách nhà nước trên địa bàn ước đạt {money} tỷ đồng, bằng {pct}% dự toán.",
    "Giá trị sản xuất ngành {sector} tăng {pct}% so với cùng kỳ năm {year}.",
    "Tổng vốn đầu tư công đã giải ngân {money} tỷ đồng, đạt {pct}% kế hoạch vốn được giao.",
    "Toàn tỉnh {province} có {count} hộ nghèo, giảm {small} hộ so với đầu năm.",
    "Ủy ban nhân dân tỉnh đã ban hành {small} quyết định và {count} văn bản chỉ đạo, điều hành.",
    "Kim ngạch xuất khẩu đạt {money} triệu USD, tăng {pct}% so với năm {year}.",
    "Số doanh nghiệp thành lập mới là {small} doanh nghiệp với tổng vốn đăng ký {money} tỷ đồng.",
    "Chủ tịch UBND huyện chỉ đạo các phòng, ban rà soát {count} hồ sơ đất đai tồn đọng.",
    "Diện tích gieo trồng lúa đạt {count} ha, năng suất bình quân {pct} tạ/ha.",
    "Ngày {day}/{month}/{year}, Hội đồng nhân dân tỉnh thông qua Nghị quyết số {small}/NQ-HĐND.",
)
_HEADINGS = (
    "I. TÌNH HÌNH KINH TẾ - XÃ HỘI",
    "II. THU, CHI NGÂN SÁCH NHÀ NƯỚC",
    "III. ĐẦU TƯ PHÁT TRIỂN",
    "IV. VĂN HÓA - XÃ HỘI",
    "V. NHIỆM VỤ, GIẢI PHÁP NĂM TỚI",
)


def _font_path() -> Path:
    """A TrueType font with every Vietnamese glyph: DejaVu, from matplotlib or from Debian."""
    dirs: list[Path] = []
    try:
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    dirs += [Path(d) for d in _FONT_DIRS]
    for name in _FONT_FILES:
        for folder in dirs:
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError("no DejaVu font (pip install matplotlib, or apt-get install fonts-dejavu-core)")


def _vn_number(value: float, decimals: int = 0) -> str:
    """Vietnamese style: "." between thousands, "," before decimals (3.275,6)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _sentence(rng: random.Random) -> str:
    return rng.choice(_TEMPLATES).format(
        money=_vn_number(rng.uniform(10, 9999), 1),
        pct=_vn_number(rng.uniform(50, 150), 1),
        count=_vn_number(rng.randint(1000, 99999)),
        small=rng.randint(2, 199),
        year=rng.randint(2015, 2024),
        day=rng.randint(1, 28),
        month=rng.randint(1, 12),
        sector=rng.choice(_SECTORS),
        province=rng.choice(_PROVINCES),
    )


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def page_lines(number: int, dpi: int = 200) -> list[str]:
    """The lines printed on page ``number`` (1-based), the same on every run and machine."""
    rng = random.Random(f"baocao-ocr-bench-{number}")
    font = ImageFont.truetype(str(_font_path()), round(FONT_PT * dpi / 72))
    text_width = round((A4_IN[0] - 2.0) * dpi)  # 1-inch margins
    lines = [f"BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI TỈNH {rng.choice(_PROVINCES).upper()}"]
    lines.append(_HEADINGS[(number - 1) % len(_HEADINGS)])
    room = _lines_per_page(dpi) - 1  # the last line is the page number
    while len(lines) < room:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 3)))
        lines += _wrap(paragraph, font, text_width)
    return lines[:room] + [f"Trang {number}"]


def _line_step(dpi: int) -> int:
    return round(FONT_PT * 1.5 * dpi / 72)  # one-and-a-half line spacing


def _lines_per_page(dpi: int) -> int:
    return (round(A4_IN[1] * dpi) - 2 * dpi) // _line_step(dpi)  # 1-inch margins


def render_page(lines: list[str], dpi: int = 200) -> Image.Image:
    """An A4 page at ``dpi`` with ``lines`` in black on white, as a flatbed scan would give it."""
    width, height = round(A4_IN[0] * dpi), round(A4_IN[1] * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(_font_path()), round(FONT_PT * dpi / 72))
    step = _line_step(dpi)
    y = dpi  # top margin
    for line in lines:
        if y + step > height:
            raise ValueError("more lines than the page holds")
        draw.text((dpi, y), line, font=font, fill=0)
        y += step
    return image


# fixed dates, so the same pages give the same bytes (and the same OCR cache key)
_EPOCH = time.gmtime(1_704_067_200)  # 2024-01-01


def build_scanned_pdf(pages: int, dpi: int = 200) -> bytes:
    """An image-only PDF of ``pages`` A4 report pages rendered at ``dpi``: no text layer, so every
    page must be read by OCR. Deterministic to the byte; the text of page n is :func:`page_lines` (n)."""
    if pages < 1:
        raise ValueError("pages must be at least 1")
    import pypdfium2 as pdfium

    # one page image at a time (Pillow's save_all would hold them all), joined by PDFium
    joined = pdfium.PdfDocument.new()
    try:
        for number in range(1, pages + 1):
            single = io.BytesIO()
            render_page(page_lines(number, dpi), dpi).save(
                single, "PDF", resolution=float(dpi), creationDate=_EPOCH, modDate=_EPOCH
            )
            source = pdfium.PdfDocument(single.getvalue())
            try:
                joined.import_pages(source)
            finally:
                source.close()
        out = io.BytesIO()
        joined.save(out)
    finally:
        joined.close()
    # PDFium writes a random file /ID; a fixed one of the same length keeps the bytes reproducible
    fixed = hashlib.md5(f"baocao-ocr-bench-{pages}-{dpi}".encode()).hexdigest().upper().encode()
    return re.sub(rb"/ID\s*\[\s*<[0-9A-Fa-f]{32}>\s*<[0-9A-Fa-f]{32}>\s*\]",
                  b"/ID[<" + fixed + b"><" + fixed + b">]", out.getvalue(), count=1)


def word_matches(expected: str, read: str) -> tuple[int, int]:
    """(rendered words that came back exactly, rendered words), compared as NFC multisets."""
    want = Counter(unicodedata.normalize("NFC", expected).split())
    got = Counter(unicodedata.normalize("NFC", read).split())
    return sum((want & got).values()), sum(want.values())


class ChildPeakSampler:
    """The highest ``VmHWM`` of this process's ``tesseract`` children, polled from /proc.

    ``VmHWM`` is a high-water mark of the child's own memory since its ``exec``, so a poll near the
    end of its life sees its peak; ``getrusage`` would also count what it shared with this process.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="child-rss", daemon=True)

    def __enter__(self) -> ChildPeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _children(self) -> list[str]:
        pids: list[str] = []
        try:
            for tid in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{tid}/children") as handle:
                    pids += handle.read().split()
        except OSError:
            pass
        return pids

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status", "rb") as handle:
                        status = handle.read()
                except OSError:
                    continue  # the child ended between the listing and the read
                fields = dict(line.split(b":", 1) for line in status.splitlines() if b":" in line)
                # between fork and exec a child is still a copy of this process: only Tesseract counts
                if fields.get(b"Name", b"").strip() != b"tesseract" or b"VmHWM" not in fields:
                    continue
                try:
                    self.peak_kib = max(self.peak_kib, int(fields[b"VmHWM"].split()[0]))
                except (ValueError, IndexError):
                    continue


def _reset_peak_rss() -> bool:
    """Start this process's ``VmHWM`` afresh (Linux 4.0+: "5" to ``/proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _mib(kib: float) -> float:
    return round(kib / 1024, 1)


def run(pages: int, scan_dpi: int = 200, ocr_dpi: int = OCR_DPI) -> dict[str, Any]:
    """Build the scan, read it, cache it, read it back from the cache; the figures as a dict."""
    from rag.ingest import ocr

    problem = ocr.tesseract_problem()
    if problem:
        raise SystemExit(problem)
    version = ocr.tesseract_version()
    build_start = time.perf_counter()
    data = build_scanned_pdf(pages, scan_dpi)
    build_s = time.perf_counter() - build_start
    if ocr.pdf_page_count(data) != pages:
        raise AssertionError(f"the built PDF has {ocr.pdf_page_count(data)} pages, not {pages}")
    before_kib = proc_status_kib("VmRSS")
    peak_reset = _reset_peak_rss()  # the pages built above are gone: measure what reading needs
    # untimed, as a server would have it: the first read imports pytesseract (and pandas, 0.3 s)
    ocr.ocr_image(Image.new("L", (400, 200), 255))

    results: list[ocr.OcrPage] = []
    matched = total = 0
    with ChildPeakSampler() as sampler:
        start = time.perf_counter()
        for index in range(pages):
            results.append(ocr.ocr_pdf_page(data, index, dpi=ocr_dpi))
        ocr_s = time.perf_counter() - start
    for number, page in enumerate(results, start=1):
        hit, count = word_matches("\n".join(page_lines(number, scan_dpi)), page.text)
        matched += hit
        total += count

    content_hash = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory(prefix="ocr-bench-cache-") as folder:
        cache = ocr.OcrCache(Path(folder))
        for index, page in enumerate(results):
            cache.put(content_hash, index, ocr_dpi, page)
        start = time.perf_counter()
        again = [cache.get(content_hash, index, ocr_dpi) for index in range(pages)]
        cache_s = time.perf_counter() - start
    if again != results:
        raise AssertionError("the cache did not give back the pages it was given")

    self_kib = proc_status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "pages": pages,
        "ocr_seconds": round(ocr_s, 2),
        "pages_per_s": round(pages / ocr_s, 3),
        "seconds_per_page": round(ocr_s / pages, 2),
        "cache_seconds": round(cache_s, 4),
        "peak_rss_mib": _mib(self_kib),
        "peak_rss_scope": "reading and cache" if peak_reset else "whole run (building the PDF included)",
        "rss_before_ocr_mib": _mib(before_kib) if before_kib is not None else None,
        "children_peak_rss_mib": _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
        "tesseract_peak_rss_mib": _mib(sampler.peak_kib),
        "word_accuracy": round(matched / total, 4) if total else None,
        "words": total,
        "words_exact": matched,
        "mean_confidence": round(sum(p.confidence for p in results) / pages, 1),
        "min_confidence": min(p.confidence for p in results),
        "tesseract": version,
        "lang": ocr.OCR_LANG,
        "dpi": ocr_dpi,
        "scan_dpi": scan_dpi,
        "pdf_bytes": len(data),
        "build_seconds": round(build_s, 2),
        "machine": machine(),
    }


def run_ingest(pages: int, scan_dpi: int = 200, ocr_dpi: int = OCR_DPI) -> dict[str, Any]:
    """The same kind of scan through the whole ingest (parsing sandbox, one deadline per page, OCR
    cache, embedding, Chroma): the first ingest, and a second one into a fresh index that finds
    every page in the OCR cache (what rebuilding an index or re-ingesting a touched file costs)."""
    from embeddings import get_embedder
    from rag.config import Settings
    from rag.ingest.pipeline import Ingestor

    data = build_scanned_pdf(pages, scan_dpi)
    with tempfile.TemporaryDirectory(prefix="ocr-bench-ingest-") as tmp:
        work = Path(tmp)
        (work / "docs").mkdir()
        (work / "docs" / "scan.pdf").write_bytes(data)
        base = Settings(ocr={"cache_dir": work / "ocr-cache", "dpi": ocr_dpi},
                        embeddings={"cache_dir": work / "embed-cache"})
        embedder = get_embedder(base.embeddings)
        embedder.embed_passages(["khởi động"])  # the model loads before anything is timed
        runs = []
        for name in ("first", "cached"):
            settings = base.model_copy(update={"index": base.index.model_copy(update={"dir": work / f"index-{name}"})})
            start = time.perf_counter()
            report = Ingestor(settings, embedder=embedder).run([work / "docs"], progress=False)
            seconds = time.perf_counter() - start
            if report.failed or report.indexed != ["scan.pdf"]:
                raise AssertionError(f"the scan was not indexed: {[str(p) for p in report.failed]}")
            runs.append((seconds, report))
    (first_s, first), (cached_s, _) = runs
    return {
        "ingest_seconds": round(first_s, 2),
        "ingest_pages_per_s": round(pages / first_s, 3),
        "ingest_chunks": first.chunks,
        "ingest_notes": [str(n) for n in first.notes],
        "reingest_cached_seconds": round(cached_s, 2),
        "reingest_ratio": round(cached_s / first_s, 4),
        # forked parsing workers and their Tesseract children; on Linux a fork counts the memory it
        # shared with this process (the embedding model), so this bounds the worker from above
        "ingest_children_peak_rss_mib": _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench.ocr_bench",
        description="OCR speed, memory, cache and word accuracy on a generated scanned PDF.",
    )
    parser.add_argument("--pages", type=int, default=20, help="pages of the generated scan (default 20)")
    parser.add_argument("--scan-dpi", type=int, default=200, help="resolution of the scan (default 200)")
    parser.add_argument("--dpi", type=int, default=OCR_DPI, help="OCR rendering resolution (default 300)")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write (default: stdout only)")
    parser.add_argument("--ingest", action="store_true",
                        help="also ingest the scan end to end, then again into a fresh index (OCR cache)")
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(args.pages, args.scan_dpi, args.dpi)
    if args.ingest:
        result["ingest"] = run_ingest(args.pages, args.scan_dpi, args.dpi)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
