"""Text from page images: scanned PDF pages and photographed or scanned pages, read by Tesseract.

Self-contained: the loaders decide which pages need reading and run each in the parsing sandbox;
this module only turns one page image into an :class:`OcrPage` (text, mean word confidence,
word boxes) and keeps finished pages in an :class:`OcrCache`, so a re-ingest never reads a
page twice.

Choices, measured with Tesseract 5.3.0 on Pillow-rendered Vietnamese pages (the page generator of
``eval/bench/ocr_bench.py``, some blurred, noised and saved as JPEG):

* PDF pages are rendered by PDFium in grayscale, at 300 dpi by default, the resolution
  Tesseract's documentation asks for ("ImproveQuality": at least 300 dpi, an x-height of 20 px or
  more). On the bench's 200-dpi scans of 13 pt print, reading them at 200 dpi found the same
  words in 60 % of the time; 300 is kept for smaller print than the bench has.
* Images often carry no trustworthy resolution (phones and screenshots write 72 or 96 dpi), so
  only a stated 150-1200 dpi that makes paper of a plausible size is believed. Otherwise the
  resolution is estimated as the one at which the image would just fit an A4 page (portrait or
  landscape): a strip of text or a receipt is not taken for a blurry whole page. Below
  200 dpi the image is enlarged (LANCZOS) to about 300 dpi, at most 4 times and 40 megapixels.
  Measured on noisy JPEG pages: at 100-120 dpi enlarging read up to 5 points more words of 7-9 pt
  print (7 pt at 100 dpi: 78 % → 83 %); at 150 dpi it changed nothing (±0.4) and doubled the time.
  The threshold stays at 200 all the same: in a photo the page rarely fills the frame, so the
  estimate is too high, and a messaging app's 1280-1600 px copy of a page is the common case.
  Tesseract is told ``--dpi`` only when the resolution is known (a rendered PDF page, or image
  metadata that describes a plausible paper size); otherwise it estimates the resolution from
  the size of the text, which is better than a guess from the page size.
* Page segmentation stays Tesseract's default (``--psm 3``, automatic layout): on the bench's
  pages ``--psm 4`` and ``--psm 6`` read the same words, and on a two-column page they join each
  line of the left column to the line beside it in the right one.
* Tesseract runs with ``OMP_THREAD_LIMIT=1``. Its LSTM asks OpenMP for 4 threads; on a 2-core
  machine they spin against each other and a full page took 16.5 s instead of 1.9 s. One thread
  per page costs 4 % wall time where two cores are idle, and the caller can read pages in
  parallel processes instead. The limit is set for the Tesseract child only: setting it in this
  process would also throttle torch's OpenMP.

Nothing here starts a process or loads a model at import time.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import unicodedata
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

OCR_LANG = "vie"

# An image (one frame) larger than this is refused: a decompression bomb, not a page. An A0 poster
# scanned at 300 dpi is 139 megapixels.
MAX_IMAGE_PIXELS = 200_000_000
# All frames of one image file together (a 100-page TIFF scanned at 300 dpi is 870 megapixels).
MAX_TOTAL_PIXELS = 1_000_000_000
MAX_FRAMES = 2_000
# A PDF page rendered larger than this is rendered at a lower resolution instead (A1 at 300 dpi
# is 70 megapixels; anything bigger is a drawing or a poster, and Tesseract's time grows with area).
MAX_RENDER_PIXELS = 70_000_000

# Resolution handling of images (see the module docstring).
A4_IN = (8.27, 11.69)
MIN_DPI = 200  # below this, small print is too few pixels high for Tesseract
TARGET_DPI = 300
MAX_UPSCALE = 4.0
MAX_UPSCALED_PIXELS = 40_000_000
# Image metadata is believed only when it describes paper of a plausible size: a 3000-px phone
# photo "at 72 dpi" would be a 42-inch page.
_PLAUSIBLE_DPI = (150, 1200)  # 72 and 96 are what screens and cameras write when they know nothing
_PLAUSIBLE_SHORT_SIDE_IN = (0.2, 24.0)  # a scanned line of text .. A1

# Image formats a page may come in. Pillow's other formats are not pages, and EPS would start
# Ghostscript.
_IMAGE_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP", "JPEG2000", "PPM")

# The environment of every Tesseract child (see the module docstring).
_CHILD_ENV_OVERRIDES = {"OMP_THREAD_LIMIT": "1"}
_PROBE_TIMEOUT_S = 30.0
# PDFium is not thread-safe; pypdfium2 leaves locking to its callers.
_PDFIUM_LOCK = threading.Lock()

_NOT_INSTALLED = (
    "chưa cài Tesseract OCR (Tesseract is not installed: "
    "sudo apt-get install tesseract-ocr tesseract-ocr-vie)"
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OcrWord:
    text: str
    left: int  # pixel box in the image that was read
    top: int
    width: int
    height: int
    confidence: float  # Tesseract's word confidence, 0..100


@dataclass(frozen=True)
class OcrPage:
    # lines joined with "\n", Tesseract's paragraphs (block, paragraph) with "\n\n"; whitespace folded
    text: str
    confidence: float  # mean word confidence rounded to 0.1; 0.0 when no word was read
    words: tuple[OcrWord, ...]
    width: int  # size in pixels of the image that was read (after any enlargement)
    height: int
    dpi: int  # its resolution: the rendering's, the image's metadata, or estimated from the page size

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; words as compact ``[text, left, top, width, height, confidence]`` rows."""
        return {
            "text": self.text,
            "confidence": self.confidence,
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "words": [[w.text, w.left, w.top, w.width, w.height, w.confidence] for w in self.words],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OcrPage:
        """The page :meth:`to_json` wrote; raises ValueError, KeyError or TypeError on anything else."""
        words = []
        for row in data["words"]:
            text, left, top, width, height, confidence = row
            if not isinstance(text, str):
                raise TypeError(f"word text is {type(text).__name__}, not str")
            words.append(OcrWord(text, int(left), int(top), int(width), int(height), float(confidence)))
        text = data["text"]
        if not isinstance(text, str):
            raise TypeError(f"page text is {type(text).__name__}, not str")
        return cls(
            text=text,
            confidence=float(data["confidence"]),
            words=tuple(words),
            width=int(data["width"]),
            height=int(data["height"]),
            dpi=int(data["dpi"]),
        )


class OcrUnavailable(Exception):
    """Tesseract or its language data is missing; ``reason`` says what to install (Vietnamese,
    then English in parentheses, one line)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- Tesseract itself


class _ChildEnv(Mapping[str, str]):
    """This process's environment as it is now, with the Tesseract child's overrides on top."""

    def __getitem__(self, key: str) -> str:
        if key in _CHILD_ENV_OVERRIDES:
            return _CHILD_ENV_OVERRIDES[key]
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from _CHILD_ENV_OVERRIDES
        yield from (k for k in os.environ if k not in _CHILD_ENV_OVERRIDES)

    def __len__(self) -> int:
        return len(set(os.environ) | set(_CHILD_ENV_OVERRIDES))


def _pytesseract() -> ModuleType:
    """pytesseract, imported on the first page read, and set to start Tesseract with
    :data:`_CHILD_ENV_OVERRIDES`.

    Imported late because it imports pandas where pandas is installed (52 MiB, 0.3 s), which
    only the process that reads pages should pay. It passes its module global ``environ``
    (``os.environ``) to every child and has no per-call environment; a live overlay keeps later
    changes to ``os.environ`` visible.
    """
    import pytesseract

    module = pytesseract.pytesseract
    if not isinstance(getattr(module, "environ", None), _ChildEnv):
        module.environ = _ChildEnv()
    return pytesseract


def _tesseract_cmd() -> str:
    """The program to run: pytesseract's ``tesseract_cmd`` where someone imported and set it."""
    module = sys.modules.get("pytesseract.pytesseract")
    return str(getattr(module, "tesseract_cmd", "tesseract")) if module else "tesseract"


def _language_packages(langs: list[str]) -> str:
    # Debian names the packs tesseract-ocr-<lang>, "_" written "-" (chi_sim → tesseract-ocr-chi-sim)
    return " ".join(f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in langs)


def _language_reason(langs: list[str]) -> str:
    names = ", ".join(f"'{lang}'" for lang in langs)
    install = f"sudo apt-get install {_language_packages(langs)}"
    if langs == ["vie"]:
        vi = "chưa cài gói tiếng Việt cho Tesseract"
    else:
        vi = f"chưa cài gói ngôn ngữ {names} cho Tesseract"
    s = "s" if len(langs) > 1 else ""
    return f"{vi} (Tesseract language{s} {names} not installed: {install})"


def _probe(*args: str) -> subprocess.CompletedProcess[str]:
    """``tesseract ARGS`` with the child environment; OSError when there is no such program."""
    return subprocess.run(
        [_tesseract_cmd(), *args],
        capture_output=True,
        text=True,
        env=dict(_ChildEnv()),
        timeout=_PROBE_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@functools.lru_cache(maxsize=None)
def _problem(cmd: str, lang: str) -> str | None:
    try:
        result = _probe("--list-langs")
    except OSError:
        return _NOT_INSTALLED
    except subprocess.TimeoutExpired:
        return f"Tesseract không trả lời (Tesseract did not answer --list-langs in {_PROBE_TIMEOUT_S:g} s)"
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[:200]
        return f"Tesseract không chạy được (Tesseract failed: {detail or f'exit status {result.returncode}'})"
    # tesseract 4 and 5 print the list on stdout after a "List of available languages ..." line
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    available = {line.strip() for line in lines if line.strip() and not line.startswith("List of")}
    missing = [part for part in lang.split("+") if part and part not in available]
    if not lang.strip("+") or missing:
        return _language_reason(missing or [lang])
    return None


def tesseract_problem(lang: str = OCR_LANG) -> str | None:
    """None when ``tesseract`` runs and has ``lang`` ("vie", "vie+eng"), else the reason, to show
    the person ingesting once instead of failing every scanned page. Cached per process."""
    return _problem(_tesseract_cmd(), lang)


@functools.lru_cache(maxsize=None)
def _version(cmd: str) -> str:
    try:
        result = _probe("--version")
    except OSError as exc:
        raise OcrUnavailable(_NOT_INSTALLED) from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailable(
            f"Tesseract không trả lời (Tesseract did not answer --version in {_PROBE_TIMEOUT_S:g} s)"
        ) from exc
    match = re.search(r"tesseract\s+v?(\d+(?:\.\d+)*[0-9A-Za-z.\-_]*)", result.stdout + result.stderr)
    if not match:
        raise OcrUnavailable(f"Tesseract không rõ phiên bản (cannot read the version of '{cmd}')")
    return match.group(1)


def tesseract_version() -> str:
    """Tesseract's version, e.g. "5.3.0": part of the cache key, since another version reads differently."""
    return _version(_tesseract_cmd())


# --------------------------------------------------------------------------- page images


def pdf_page_count(data: bytes) -> int:
    """Number of pages of a PDF; ValueError when PDFium cannot open it."""
    with _PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ValueError(f"PDFium cannot open the PDF: {exc}") from exc


def render_pdf_page(data: bytes, index: int, dpi: int = 300) -> Image.Image:
    """Page ``index`` (0-based) of a PDF as a grayscale ("L") image at ``dpi``.

    A page so large that it would exceed :data:`MAX_RENDER_PIXELS` is rendered at the highest
    resolution that fits; ``image.info["dpi"]`` holds the resolution used. IndexError for a page
    the PDF does not have, ValueError for a PDF PDFium cannot open or render.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, not {dpi}")
    with _PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            if not 0 <= index < len(pdf):
                raise IndexError(f"page index {index} out of range: the PDF has {len(pdf)} pages")
            page = pdf[index]
            try:
                width_pt, height_pt = page.get_size()
                scale = dpi / 72.0
                area = width_pt * height_pt * scale * scale
                if area > MAX_RENDER_PIXELS:
                    scale *= (MAX_RENDER_PIXELS / area) ** 0.5
                    logger.debug("page %d is %.0fx%.0f pt: rendered at %.0f dpi", index, width_pt,
                                 height_pt, scale * 72)
                try:
                    bitmap = page.render(scale=scale, grayscale=True)
                except pdfium.PdfiumError as exc:
                    raise ValueError(f"PDFium cannot render page {index}: {exc}") from exc
                try:
                    # to_pil() shares the bitmap's buffer; a copy outlives the bitmap closed below
                    image = bitmap.to_pil().convert("L").copy()
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
    used = round(scale * 72)
    image.info["dpi"] = (used, used)
    return image


class _Refused(ValueError):
    """An image this module will not decode (too large, too many frames)."""


class _NoSuchFrame(IndexError):
    pass


def _frames(data: bytes, only: int | None = None) -> tuple[int, list[Image.Image]]:
    """(number of frames, the decoded frames: all, or only frame ``only``, or none when ``only`` is -1)."""
    try:
        # Pillow warns from 89 megapixels and refuses from 179: this module's own limit applies instead
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS) as image:
                # an MPO (a JPEG from many phones, opened by the JPEG plugin) holds the photo, then previews
                count = 1 if image.format == "MPO" else int(getattr(image, "n_frames", 1))
                if count > MAX_FRAMES:
                    raise _Refused(f"too many frames: {count} (at most {MAX_FRAMES})")
                if only is not None and only >= count:
                    raise _NoSuchFrame(f"frame index {only} out of range: the image has {count} frames")
                frames: list[Image.Image] = []
                total = 0
                for i in range(count):  # every frame's size is checked, only the wanted ones decoded
                    image.seek(i)
                    width, height = image.size
                    if width * height > MAX_IMAGE_PIXELS:
                        raise _Refused(
                            f"image too large: {width}x{height} pixels "
                            f"(at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels; a decompression bomb?)"
                        )
                    total += width * height
                    if only is None and total > MAX_TOTAL_PIXELS:  # all frames held at once
                        raise _Refused(
                            f"frames too large together: over {MAX_TOTAL_PIXELS // 1_000_000} megapixels"
                        )
                    if only is None or i == only:
                        frames.append(_grayscale(ImageOps.exif_transpose(image)))
                return count, frames
    except (_Refused, _NoSuchFrame, MemoryError):
        raise
    except Image.DecompressionBombError as exc:
        raise ValueError(f"image too large (a decompression bomb?): {exc}") from exc
    except Exception as exc:  # Pillow's plugins raise many types on damaged files
        raise ValueError(f"not an image Pillow can read ({type(exc).__name__}: {exc})") from exc


def _grayscale(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grayscale; transparency becomes white paper, 16-bit and float scans are
    stretched to 0..255 (Pillow's own conversion clips them to white)."""
    info = dict(image.info)
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        as_int = image.convert("F") if image.mode == "F" else image.convert("I")
        low, high = as_int.getextrema()
        scale = 255.0 / ((high - low) or 1)
        gray = as_int.point(lambda v: v * scale - low * scale).convert("L")
    elif image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        gray = Image.alpha_composite(paper, rgba).convert("L")
    elif image.mode == "L":
        gray = image.copy()
    else:
        try:
            gray = image.convert("L")
        except ValueError:  # modes with no direct conversion (LAB, HSV)
            gray = image.convert("RGB").convert("L")
    gray.info.update({k: v for k, v in info.items() if k == "dpi"})
    return gray


def image_frames(data: bytes) -> list[Image.Image]:
    """The pages of an image file (several for a multi-page TIFF), upright (EXIF orientation
    applied) and grayscale ("L"). ValueError, with the reason, for a file Pillow cannot read or an
    image too large to be a page (over :data:`MAX_IMAGE_PIXELS`)."""
    return _frames(data)[1]


def image_frame(data: bytes, index: int) -> Image.Image:
    """Frame ``index`` (0-based) of :func:`image_frames` alone: one page of a long TIFF without
    decoding the others. IndexError for a frame the file does not have."""
    if index < 0:
        raise IndexError(f"frame index {index} out of range")
    return _frames(data, only=index)[1][0]


def image_frame_count(data: bytes) -> int:
    """How many pages :func:`image_frames` would give, without decoding their pixels."""
    return _frames(data, only=-1)[0]


def _metadata_dpi(image: Image.Image) -> int | None:
    """The resolution the image file states, when it describes paper of a plausible size."""
    try:
        x, y = image.info["dpi"]
        dpi = float(min(x, y))
    except (KeyError, TypeError, ValueError):
        return None
    if not _PLAUSIBLE_DPI[0] <= dpi <= _PLAUSIBLE_DPI[1]:
        return None
    short_in = min(image.size) / dpi
    if not _PLAUSIBLE_SHORT_SIDE_IN[0] <= short_in <= _PLAUSIBLE_SHORT_SIDE_IN[1]:
        return None
    return round(dpi)


def _fit_a4_dpi(width: int, height: int) -> int:
    """The resolution at which a ``width`` x ``height`` image just fits an A4 page, either way up:
    the lowest the image's resolution can be if it shows at most one page."""
    short, long = sorted((width, height))
    return max(1, round(max(short / A4_IN[0], long / A4_IN[1])))


def _prepared(image: Image.Image, dpi: int | None) -> tuple[Image.Image, int, bool]:
    """(the grayscale image Tesseract reads, its resolution, whether that resolution is known)."""
    known = dpi if dpi and dpi > 0 else _metadata_dpi(image)
    # a copy even when already grayscale: pytesseract sets .format on the image it is given
    gray = image.copy() if image.mode == "L" else _grayscale(image)
    resolution = known or _fit_a4_dpi(*gray.size)
    if resolution < MIN_DPI:
        factor = min(TARGET_DPI / resolution, MAX_UPSCALE)
        pixels = gray.width * gray.height
        factor = min(factor, (MAX_UPSCALED_PIXELS / pixels) ** 0.5) if pixels else 1.0
        if factor > 1.05:
            size = (round(gray.width * factor), round(gray.height * factor))
            logger.debug("image %dx%d at ~%d dpi enlarged to %dx%d", *gray.size, resolution, *size)
            gray = gray.resize(size, Image.Resampling.LANCZOS)
            resolution = round(resolution * factor)
    return gray, resolution, known is not None


# --------------------------------------------------------------------------- reading


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _page_from_data(data: Mapping[str, list[Any]], width: int, height: int, dpi: int) -> OcrPage:
    """The words, text and mean confidence of pytesseract's ``image_to_data`` dict."""
    words: list[OcrWord] = []
    paragraphs: dict[tuple[int, int, int], dict[int, list[str]]] = {}
    texts = data.get("text", [])
    for i, raw in enumerate(texts):
        text = _fold(str(raw))
        try:
            conf = float(data["conf"][i])
            level = int(data["level"][i])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if level != 5 or conf < 0 or not text:
            continue
        words.append(
            OcrWord(text, int(data["left"][i]), int(data["top"][i]), int(data["width"][i]),
                    int(data["height"][i]), conf)
        )
        paragraph = (int(data["page_num"][i]), int(data["block_num"][i]), int(data["par_num"][i]))
        paragraphs.setdefault(paragraph, {}).setdefault(int(data["line_num"][i]), []).append(text)
    page_text = "\n\n".join(
        "\n".join(" ".join(line) for line in lines.values()) for lines in paragraphs.values()
    )
    confidence = round(sum(w.confidence for w in words) / len(words), 1) if words else 0.0
    return OcrPage(page_text, confidence, tuple(words), width, height, dpi)


def ocr_image(
    image: Image.Image, *, lang: str = OCR_LANG, timeout_s: float = 60.0, dpi: int | None = None
) -> OcrPage:
    """The text Tesseract reads on one page image.

    ``dpi``: the image's resolution when the caller knows it (a rendered PDF page); otherwise the
    image's metadata, if plausible, or an estimate from its size (see the module docstring).
    Raises :class:`OcrUnavailable` when Tesseract or the language is missing, and the built-in
    TimeoutError when the page takes longer than ``timeout_s`` (Tesseract is killed). Other
    Tesseract failures raise ``pytesseract.TesseractError`` (a RuntimeError).
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, not {timeout_s}")
    gray, resolution, known = _prepared(image, dpi)
    config = "--psm 3" + (f" --dpi {resolution}" if known else "")
    # pytesseract writes the image to a temporary file in its .format: PGM takes 2 ms for an A4
    # page at 300 dpi where PNG's compression takes 100 ms (5 % of the page's OCR time)
    gray.format = "PPM"
    pytesseract = _pytesseract()
    try:
        data = pytesseract.image_to_data(
            gray, lang=lang, config=config, output_type=pytesseract.Output.DICT, timeout=timeout_s
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable(_NOT_INSTALLED) from exc
    except pytesseract.TesseractError as exc:
        if "Failed loading language" in str(exc.message):
            raise OcrUnavailable(_language_reason([lang])) from exc
        raise
    except RuntimeError as exc:
        if str(exc) == "Tesseract process timeout":
            raise TimeoutError(f"Tesseract took longer than {timeout_s:g} s on a page") from exc
        raise
    except SystemExit as exc:  # pytesseract exits on a version string it cannot parse
        raise OcrUnavailable(f"Tesseract không dùng được (unusable Tesseract: {exc})") from exc
    page = _page_from_data(data, gray.width, gray.height, resolution)
    logger.debug("OCR read %d words at %d dpi, confidence %.1f", len(page.words), resolution,
                 page.confidence)
    return page


def ocr_pdf_page(
    data: bytes, index: int, *, dpi: int = 300, lang: str = OCR_LANG, timeout_s: float = 60.0
) -> OcrPage:
    """Page ``index`` (0-based) of a PDF rendered at ``dpi`` and read by :func:`ocr_image`."""
    image = render_pdf_page(data, index, dpi)
    return ocr_image(image, lang=lang, timeout_s=timeout_s, dpi=int(image.info["dpi"][0]))


def ocr_image_file(data: bytes, *, lang: str = OCR_LANG, timeout_s: float = 60.0) -> list[OcrPage]:
    """Every page of an image file read by :func:`ocr_image` (``timeout_s`` applies to each page)."""
    return [ocr_image(frame, lang=lang, timeout_s=timeout_s) for frame in image_frames(data)]


# --------------------------------------------------------------------------- cache

_HEX = re.compile(r"[0-9a-fA-F]{2,128}")
_KEY_PART = re.compile(r"[0-9A-Za-z_+.\-]+")


class OcrCache:
    """Finished pages on disk, keyed by (sha256 of the file, page index, dpi, lang, Tesseract version),
    so a re-ingest never reads a page twice and a new Tesseract reads everything afresh.

    One JSON file per page, ``<folder>/<2 hex>/<hash>-p<page>-<dpi>-<lang>-<version>.json``,
    written to a temporary file and renamed (readers never see half a page). A file that cannot
    be read or parsed is a miss; a page that cannot be written is logged and dropped: the cache
    only ever saves work.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, content_hash: str, page: int, dpi: int, lang: str = OCR_LANG) -> Path:
        """Where the page is kept (raises OcrUnavailable when Tesseract's version cannot be read)."""
        if not _HEX.fullmatch(content_hash):
            raise ValueError(f"content_hash must be hexadecimal, not {content_hash!r}")
        if not _KEY_PART.fullmatch(lang):
            raise ValueError(f"unexpected language {lang!r}")
        version = re.sub(r"[^0-9A-Za-z_.\-]", "_", tesseract_version())
        name = f"{content_hash.lower()}-p{int(page)}-{int(dpi)}-{lang}-{version}.json"
        return self.folder / content_hash[:2].lower() / name

    def get(self, content_hash: str, page: int, dpi: int, lang: str = OCR_LANG) -> OcrPage | None:
        """The cached page, or None (not cached, unreadable, or no Tesseract to name the version)."""
        try:
            path = self.path(content_hash, page, dpi, lang)
        except OcrUnavailable as exc:
            logger.debug("OCR cache not consulted: %s", exc.reason)
            return None
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.debug("OCR cache file %s unreadable: %s", path, exc)
            return None
        try:
            return OcrPage.from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            logger.debug("OCR cache file %s damaged, read again: %s: %s", path, type(exc).__name__, exc)
            return None

    def put(
        self, content_hash: str, page: int, dpi: int, page_result: OcrPage, lang: str = OCR_LANG
    ) -> None:
        """Keep ``page_result``; a failed write is logged (warning) and otherwise ignored."""
        path = self.path(content_hash, page, dpi, lang)
        body = json.dumps(page_result.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tmp_name: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # no fsync: after a crash a page is at worst an empty or missing file, i.e. a miss
            with tempfile.NamedTemporaryFile(
                "wb", dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp", delete=False
            ) as handle:
                tmp_name = handle.name
                handle.write(body)
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            logger.warning("OCR cache: cannot write %s: %s", path, exc)
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
