"""A folder of hostile and broken files (issue 7), built for real on disk by the ingest tests.

Every entry says what an ingest must do with its file: index it (and the stored text must hold a
given passage), or refuse it with one summary line whose reason holds a given phrase. The builders
are cheap: the big files are written in blocks or are sparse, the bombs are streamed.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.text.normalize import normalize_text
from tests.rag.ingest.fixtures_build import (
    REPORT_LINE,
    REPORT_TEXT,
    TCVN3_PASSAGE,
    TCVN3_PASSAGE_UNICODE,
    VNI_PASSAGE,
    cp1258_bytes,
    docx_bytes,
    encrypt_pdf,
    pdf_bytes,
    zip_bomb_bytes,
    zip_bytes,
)

MB = 1024 * 1024
# one line of the report, as a long single-line file repeats it
_REPORT_ONE_LINE = " ".join(REPORT_TEXT.split())
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass(frozen=True)
class Hostile:
    """One file of the corpus and the outcome an ingest owes it."""

    name: str  # the document id: path relative to the corpus folder
    refused: str | None = None  # a phrase the refusal reason must contain; None: must be indexed
    passage: str | None = None  # indexed: what stored_form(document text) must contain

    @property
    def indexed(self) -> bool:
        return self.refused is None


def stored_form(text: str) -> str:
    """Text as the index stores it (normalised), on one line: passages are compared this way."""
    return " ".join(normalize_text(text).split())


# --------------------------------------------------------------------------- byte builders


def docx_with_document(document_xml: str) -> bytes:
    """A real .docx package (from python-docx) with ``document_xml`` as word/document.xml."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    members = {i.filename: source.read(i) for i in source.infolist()}
    members["word/document.xml"] = document_xml.encode("utf-8")
    return zip_bytes(members)


def docx_with_body(body_xml: str, prolog: str = "") -> bytes:
    """A real .docx whose document body is ``body_xml`` (``prolog`` goes before the root)."""
    root = f'<w:document xmlns:w="{_W}"><w:body>{body_xml}</w:body></w:document>'
    return docx_with_document(f'<?xml version="1.0" encoding="UTF-8"?>{prolog}{root}')


def _paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream_pdf(line: bytes, megabytes: int, pages: int = 1) -> bytes:
    """A PDF of ``pages`` pages, each with its own compressed content stream of ``line`` repeated
    over ``megabytes`` MB (compressed on the fly: little memory, a few KB per page on disk)."""
    packer_input = line * (MB // len(line))
    streams = []
    for _ in range(pages):
        packer = zlib.compressobj(9)
        streams.append(b"".join(packer.compress(packer_input) for _ in range(megabytes)) + packer.flush())
    font = 3 + 2 * pages
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    for i, stream in enumerate(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
                       b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font))
        header = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
        objects.append(header + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return raw_pdf(objects)


def empty_pdf() -> bytes:
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def _write_repeated(path: Path, block: bytes, size: int) -> None:
    with path.open("wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)


def _many_members_zip(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"m/{i}", b"")
    return buffer.getvalue()


# --------------------------------------------------------------------------- the corpus

_RNG = random.Random(7)
_HTML_TEXT = "Ủy ban nhân dân tỉnh Cà Mau báo cáo thu ngân sách nhà nước đạt 5.851 tỷ đồng."
_REPORT = REPORT_TEXT.encode()
# "billion laughs": nine levels of ten-fold entity expansion
_LAUGHS = "<!DOCTYPE w:document [<!ENTITY l0 'lol'>" + "".join(
    f"<!ENTITY l{i} '{f'&l{i - 1};' * 10}'>" for i in range(1, 10)
) + "]>"
_Build = Callable[[], bytes]


def _refused(phrase: str, *pairs: tuple[str, _Build]) -> list[tuple[str, _Build, Hostile]]:
    return [(name, build, Hostile(name, refused=phrase)) for name, build in pairs]


def _indexed(name: str, build: _Build, passage: str = REPORT_TEXT) -> list[tuple[str, _Build, Hostile]]:
    return [(name, build, Hostile(name, passage=stored_form(passage)))]


_FILES = [
    *_refused(
        "no text content",
        ("rong.txt", lambda: b""),
        ("chi-bom.txt", lambda: b"\xef\xbb\xbf"),
        ("utf16-chi-bom.txt", lambda: b"\xff\xfe"),
        ("khoang-trang.md", lambda: b" \n\t\n   \r\n" * 50),
        ("qua-ngan.txt", lambda: "Xin chào.".encode()),
        ("chi-front-matter.md", lambda: b"---\ntitle: Bao cao thang 6\ndate: 2020-06-30\ntags: [a]\n---\n"),
        ("rong.html", lambda: b""),
        ("chi-script-style.html", lambda: "<html><head><style>p{color:red}</style><script>var a='Thu';"
         "</script></head><body><script>document.write('x')</script><noscript>Bật JavaScript</noscript>"
         "</body></html>".encode()),
        ("chi-menu.html", lambda: "<body><nav>Trang chủ · Giới thiệu</nav><footer>Bản quyền UBND</footer>"
         "</body>".encode()),
        ("docx-trong.docx", lambda: docx_with_body("")),
        ("[/yellow]markup[bold].txt", lambda: b""),  # rich markup in a name must not break the summary
    ),
    *_refused(
        "binary",
        ("rac-nhi-phan.txt", lambda: _RNG.randbytes(20_000)),
        ("anh-png.txt", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _RNG.randbytes(3000)),
        ("nen-gzip.md", lambda: gzip.compress(_REPORT * 20, mtime=0)),
        ("elf.html", lambda: b"\x7fELF\x02\x01\x01\x00" + _RNG.randbytes(5000)),
        ("nul-giua-van-ban.txt", lambda: _REPORT + b"\x00" * 3 + _REPORT),
        ("ky-tu-dieu-khien.txt", lambda: bytes(_RNG.choices(b"\x01\x02\x03\x0e\x0f abc", k=4000))),
        ("dòng\nmới trong tên.txt", lambda: b"\x00\x01" * 100),  # a newline in a name: still one line
    ),
    *_refused(
        "unrecognised encoding",
        ("utf8-hong-nhieu-cho.txt", lambda: (REPORT_LINE.encode()[:30] + b"\xff\xfe\xc3") * 20),
        ("trung-quoc-gb2312.txt", lambda: ("国务院关于印发政府工作报告的通知。" * 40).encode("gb2312")),
        ("tieng-phap-latin1.txt", lambda: "Voilà l'été où il était à Paris. ".encode("cp1252") * 20),
        ("tron-utf8-cp1258.txt", lambda: (_REPORT + b"\n" + cp1258_bytes(REPORT_TEXT)) * 3),  # mixed bytes
    ),
    *_refused("invalid utf-16", ("utf16-cut-cut.txt", lambda: REPORT_TEXT.encode("utf-16")[:-1])),
    *_refused("legacy", ("hai-phong-chu-cu.txt", lambda: (TCVN3_PASSAGE + "\n" + VNI_PASSAGE).encode())),
    *_refused("truncated", ("pdf-cat-cut.pdf", lambda: pdf_bytes([REPORT_LINE])[:1500])),
    *_refused("encrypted", ("pdf-mat-khau.pdf", lambda: encrypt_pdf(pdf_bytes([REPORT_LINE]), "bi-mat"))),
    *_refused(
        "no text layer",
        ("pdf-scan-khong-chu.pdf", lambda: pdf_bytes(["", ""])),
    ),
    *_refused(
        "damaged PDF",
        ("pdf-rac.pdf", lambda: b"%PDF-1.7\n" + _RNG.randbytes(4000) + b"\n%%EOF\n"),
        ("pdf-bom-nen.pdf", lambda: stream_pdf(b"0 0 m\n", 200)),  # pypdf stops inflating at 75 MB
    ),
    *_refused("no pages", ("pdf-khong-trang.pdf", empty_pdf)),
    *_refused("cyclic page references", ("pdf-cay-trang-vong.pdf", lambda: raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]))),
    # 60 KB that pypdf needs minutes for, every page under its parsing limits: only our time limit stops it
    *_refused("took too long", ("pdf-doc-rat-cham.pdf", lambda: stream_pdf(b"BT /F1 9 Tf (a)Tj ET\n", 4, 8))),
    *_refused(
        "not a PDF",
        ("html-gia-pdf.pdf", lambda: b"<html><body><p>" + _REPORT + b"</p></body></html>"),
        ("docx-gia-pdf.pdf", docx_bytes),
        ("rong.pdf", lambda: b""),
    ),
    *_refused(
        "not a zip",
        ("khong-phai-zip.docx", lambda: "Đây là văn bản thường, không phải Word.".encode()),
        ("rong.docx", lambda: b""),
        ("pdf-gia-docx.docx", lambda: pdf_bytes([REPORT_LINE])),
        ("zip-cat-cut.docx", lambda: docx_bytes()[:2000]),
    ),
    *_refused(
        "zip bomb",
        ("bom-zip-ti-le.docx", lambda: zip_bomb_bytes(8)),
        ("bom-zip-kich-thuoc.docx", lambda: zip_bomb_bytes(201)),
    ),
    *_refused("too many zip members", ("zip-qua-nhieu-thanh-phan.docx", lambda: _many_members_zip(10_001))),
    *_refused(
        "damaged .docx",
        ("thieu-document-xml.docx", lambda: zip_bytes({"[Content_Types].xml": b"<Types/>", "a.txt": b"hi"})),
        ("xml-hong.docx", lambda: docx_with_body("<w:p><w:r><w:t>Thu ngân sách</w:r>")),
        ("xml-long-sau.docx", lambda: docx_with_body("<w:p>" + "<w:r>" * 5000 + "</w:r>" * 5000 + "</w:p>")),
        ("xml-bom-thuc-the.docx", lambda: docx_with_body(_paragraph("&l9;"), prolog=_LAUGHS)),
    ),
    # legitimately indexable: the stored text must be right
    *_indexed("cp1258.txt", lambda: cp1258_bytes(REPORT_TEXT)),
    *_indexed("tcvn3.txt", lambda: TCVN3_PASSAGE.encode("cp1252"), TCVN3_PASSAGE_UNICODE),
    *_indexed("vni.txt", lambda: VNI_PASSAGE.encode("cp1252"), "Thu ngân sách nhà nước đạt 5.851 tỷ đồng"),
    *_indexed("utf16le-khong-bom.txt", lambda: REPORT_TEXT.encode("utf-16-le")),
    *_indexed("utf16be-khong-bom.md", lambda: REPORT_TEXT.encode("utf-16-be")),
    *_indexed("tron-unicode-tcvn3.txt", lambda: (REPORT_TEXT + "\n" + TCVN3_PASSAGE).encode(),
              TCVN3_PASSAGE_UNICODE),
    *_indexed("Báo cáo tháng 6 năm 2020 (bản chính).txt", lambda: _REPORT),
    *_indexed(unicodedata.normalize("NFD", "Kế hoạch phát triển tỉnh.md"), lambda: _REPORT),
    *_indexed("dòng-cuối-kiểu-mac.txt", lambda: REPORT_TEXT.replace("\n", "\r").encode()),
    *_indexed("html-the-loi.html", lambda: f"<p>{_HTML_TEXT}<div><<>></span></p></td><b><i>Hai</b>".encode(),
              _HTML_TEXT),
    *_indexed("html-long-sau.html", lambda: ("<div>" * 20_000 + _HTML_TEXT + "</div>" * 20_000).encode(),
              _HTML_TEXT),
    *_indexed("front-matter-va-noi-dung.md", lambda: b"---\ntitle: x\n---\n" + _REPORT),
    *_indexed("nhieu-doan-rong.docx", lambda: docx_with_body("<w:p/>" * 50_000 + _paragraph(REPORT_LINE)
                                                               + "<w:p/>" * 50_000), REPORT_LINE),
    *_indexed("pdf-mat-khau-rong.pdf", lambda: encrypt_pdf(pdf_bytes([REPORT_LINE]), ""), REPORT_LINE),
    *_indexed("dong-dai-30kb.txt", lambda: " ".join([_REPORT_ONE_LINE] * 90).encode()),
    *_indexed("thu-muc.txt/bao-cao-ben-trong.txt", lambda: _REPORT),  # a folder named like a file
]


def _write_special(folder: Path) -> list[Hostile]:
    """Entries that are not plain bytes: big files, links, a FIFO, devices, permissions."""
    with (folder / "qua-lon-thua.pdf").open("wb") as handle:
        handle.truncate(101 * MB)  # sparse: over the 100 MB default without using the disk
    _write_repeated(folder / "van-ban-50mb.txt", (REPORT_TEXT + "\n\n").encode() * 64, 50 * MB)
    _write_repeated(folder / "dong-dai-5mb.txt", (_REPORT_ONE_LINE + " ").encode() * 16, 5 * MB)
    os.mkfifo(folder / "hang-doi-fifo.txt")
    os.symlink("/dev/zero", folder / "thiet-bi-zero.txt")
    os.symlink("/dev/urandom", folder / "thiet-bi-urandom.md")
    os.symlink("/dev/null", folder / "thiet-bi-null.pdf")
    os.symlink("vong-b.txt", folder / "vong-a.txt")
    os.symlink("vong-a.txt", folder / "vong-b.txt")
    os.symlink("tu-tro.docx", folder / "tu-tro.docx")
    os.symlink("khong-ton-tai.txt", folder / "lien-ket-hong.txt")
    (folder / "thu-muc-vong").symlink_to(folder)  # a folder link back to the root: not followed
    unreadable = folder / "khong-co-quyen-doc.txt"
    unreadable.write_bytes(REPORT_TEXT.encode())
    unreadable.chmod(0)
    locked = folder / "thu-muc-khong-quyen"
    locked.mkdir()
    (locked / "bao-cao.txt").write_bytes(REPORT_TEXT.encode())
    locked.chmod(0)
    bad_name = os.fsencode(folder) + b"/ten-khong-utf8-\xff\xfe.txt"
    with open(bad_name, "wb") as handle:
        handle.write(REPORT_TEXT.encode())
    return [
        Hostile("qua-lon-thua.pdf", "file too large"),
        Hostile("van-ban-50mb.txt", "text too long"),
        Hostile("dong-dai-5mb.txt", "text too long"),
        Hostile("hang-doi-fifo.txt", "not a regular file"),
        # links to devices leave the folder: refused as such before anything opens them
        Hostile("thiet-bi-zero.txt", "outside the ingested folder"),
        Hostile("thiet-bi-urandom.md", "outside the ingested folder"),
        Hostile("thiet-bi-null.pdf", "outside the ingested folder"),
        Hostile("vong-a.txt", "symbolic link loop"),
        Hostile("vong-b.txt", "symbolic link loop"),
        Hostile("tu-tro.docx", "symbolic link loop"),
        Hostile("lien-ket-hong.txt", "broken symbolic link"),
        Hostile("khong-co-quyen-doc.txt", "Permission denied"),  # where permissions apply: not to root
        Hostile("thu-muc-khong-quyen", "Permission denied"),
        Hostile("ten-khong-utf8-\\xff\\xfe.txt", "not valid UTF-8"),  # as the summary shows it
    ]


def build_hostile_corpus(folder: Path) -> list[Hostile]:
    """Write every hostile file under ``folder`` (created) and return what ingest owes each one."""
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[Hostile] = []
    for name, build, entry in _FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build())
        entries.append(entry)
    return entries + _write_special(folder)
