"""Builders of real test files (bytes) for the ingest tests: encodings, .docx, .pdf, .html, zips."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

REPORT_LINE = "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8%"
REPORT_TEXT = (
    "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI THÁNG 6 NĂM 2020\n\n"
    f"{REPORT_LINE} so với dự toán. Ủy ban nhân dân tỉnh Cà Mau chỉ đạo các sở, ngành "
    "thực hiện quyết định số 12/QĐ-UBND; người dân được hưởng lợi.\n\n"
    "Tổng mức bán lẻ hàng hoá và doanh thu dịch vụ tiêu dùng ước đạt 4.215 tỷ đồng, "
    "tăng 3,2% so với cùng kỳ năm trước."
)

# Reference samples copied from independent public sources (not produced by our tables):
# duydev/vietnamese-conversion tests/helpers/test-data.ts, and the brief's Cà Mau header.
TCVN3_SAMPLES = {
    "Uû ban nh©n d©n tØnh Cµ Mau": "Uỷ ban nhân dân tỉnh Cà Mau",
    "Xin chµo c¸c b¹n": "Xin chào các bạn",
    "T«i ®i häc": "Tôi đi học",
    "B¶o Th¾ng": "Bảo Thắng",
}
VNI_SAMPLES = {
    "UÛy ban nhaân daân": "Ủy ban nhân dân",
    "Xin chaøo caùc baïn": "Xin chào các bạn",
    "Toâi ñi hoïc": "Tôi đi học",
}
# a longer TCVN3 passage (typed with the ABC table) and the text it must become
TCVN3_PASSAGE = (
    "Uû ban nh©n d©n tØnh Cµ Mau\n"
    "B¸o c¸o t×nh h×nh kinh tÕ - x· héi th¸ng 6 n¨m 2020\n"
    "Thu ng©n s¸ch nhµ n\xadíc ®¹t 5.851 tû ®ång, v\xadît 6,8%. Xin chµo c¸c b¹n, t«i ®i häc."
)
TCVN3_PASSAGE_UNICODE = (
    "Uỷ ban nhân dân tỉnh Cà Mau\n"
    "Báo cáo tình hình kinh tế - xã hội tháng 6 năm 2020\n"
    "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8%. Xin chào các bạn, tôi đi học."
)
VNI_PASSAGE = (
    "UÛy ban nhaân daân tænh Caø Mau\n"
    "Baùo caùo tình hình kinh teá - xaõ hoäi thaùng 6 naêm 2020\n"
    "Thu ngaân saùch nhaø nöôùc ñaït 5.851 tyû ñoàng, vöôït 6,8%. Xin chaøo caùc baïn, toâi ñi hoïc."
)
VNI_PASSAGE_UNICODE = (
    "Ủy ban nhân dân tỉnh Cà Mau\n"
    "Báo cáo tình hình kinh tế - xã hội tháng 6 năm 2020\n"
    "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8%. Xin chào các bạn, tôi đi học."
)

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258_bytes(text: str) -> bytes:
    """Encode like Windows-1258 editors do: precomposed where the code page has it, else
    base letter (with circumflex/breve/horn) followed by a combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return bytes(out)


def docx_bytes(
    paragraphs: list[str] | None = None,
    table: list[list[str]] | None = None,
    heading: str | None = "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI",
    after: str | None = "Nơi nhận: UBND tỉnh.",
) -> bytes:
    """A real .docx: heading, paragraphs, an optional table, a closing paragraph."""
    import docx

    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    if paragraphs is None:
        paragraphs = [REPORT_LINE + " so với dự toán.", "Ủy ban nhân dân tỉnh Cà Mau."]
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if after:
        document.add_paragraph(after)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb_bytes(megabytes: int) -> bytes:
    """A zip whose word/document.xml inflates to ``megabytes`` MB of zeros (streamed, small RAM)."""
    buffer = io.BytesIO()
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def find_dejavu() -> Path:
    """DejaVuSans.ttf from the system or matplotlib; matplotlib, a test dependency, always has one."""
    candidates = [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    ]
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    except ImportError:
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise RuntimeError("DejaVuSans.ttf not found: matplotlib (a test dependency) ships one")


def pdf_bytes(pages: list[str]) -> bytes:
    """A real PDF with a text layer (fpdf2 + DejaVuSans, full Vietnamese coverage); "" = blank page."""
    import fpdf  # a test dependency (fpdf2)
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=str(find_dejavu()))
    pdf.set_font("DejaVu", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def scan_image(lines: list[str], dpi: int = 200, size_pt: int = 12) -> Any:
    """A clean "scan" of an A4 page holding ``lines`` (Pillow, DejaVuSans): what a flatbed scanner gives."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(find_dejavu()), round(size_pt * dpi / 72))
    y = round(1.2 * dpi)
    for line in lines:
        draw.text((round(0.9 * dpi), y), line, fill=0, font=font)
        y += round(size_pt * dpi / 72 * 1.8)
    return image


def scanned_pdf(pages: list[list[str]], dpi: int = 200) -> bytes:
    """An image-only PDF (no text layer), one scanned page per item of ``pages``."""
    images = [scan_image(lines, dpi) for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def mixed_pdf(text: str, scan_lines: list[str], dpi: int = 200) -> bytes:
    """A PDF whose first page has a text layer and whose second page is a scanned image."""
    import fpdf

    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=str(find_dejavu()))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, text)
    pdf.add_page()
    pdf.image(scan_image(scan_lines, dpi), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def png_bytes(lines: list[str], dpi: int = 200) -> bytes:
    buffer = io.BytesIO()
    scan_image(lines, dpi).save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


NEWS_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng thông tin</title>
<style>body { color: red; }</style><script>var menu = "Trang chủ";</script></head>
<body>
<header class="site-header"><a href="/">Cổng thông tin điện tử tỉnh</a></header>
<nav><ul><li>Trang chủ</li><li>Giới thiệu</li></ul></nav>
<div class="main-menu"><a>Tin tức</a> <a>Sự kiện</a></div>
<ol class="breadcrumb"><li>Trang chủ</li><li>Kinh tế</li></ol>
<div id="cookie-banner">Chúng tôi dùng cookie.</div>
<main>
<article>
<header class="entry-header"><h1>Kinh tế tháng 6 khởi sắc</h1></header>
<p>Thu ngân sách nhà nước đạt 5.851 tỷ đồng,
   vượt 6,8% &amp; tăng mạnh.</p>
<div>Dòng một<br>Dòng hai</div>
<ul><li>Công nghiệp tăng 5%</li><li>Nông nghiệp ổn định</li></ul>
<table><tr><th>Chỉ tiêu</th><th>Kết quả</th></tr>
<tr><td>Thu ngân sách</td><td><p>5.851 tỷ</p></td></tr></table>
<div class="social-share">Chia sẻ Facebook</div>
</article>
</main>
<aside class="sidebar">Tin liên quan</aside>
<form><input value="Tìm kiếm"></form>
<footer>Bản quyền thuộc UBND tỉnh</footer>
<noscript>Bật JavaScript</noscript>
<iframe src="x"></iframe>
</body></html>
"""

NEWS_PAGE_TEXT = (
    "Kinh tế tháng 6 khởi sắc\n\n"
    "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8% & tăng mạnh.\n\n"
    "Dòng một\nDòng hai\n\n"
    "Công nghiệp tăng 5%\nNông nghiệp ổn định\n\n"
    "Bảng: Kinh tế tháng 6 khởi sắc\nChỉ tiêu: Thu ngân sách · Kết quả: 5.851 tỷ"
)


def two_same_named_reports(tmp_path: Path) -> tuple[Path, Path]:
    """``a/bao-cao.txt`` and ``b/bao-cao.txt``: two different reports that share a file name."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "bao-cao.txt").write_text(
        "Báo cáo công tác lâm nghiệp năm 2022.\n\nNăm 2022, tỉnh trồng mới 1.234 ha rừng ngập mặn.\n", "utf-8")
    (tmp_path / "b" / "bao-cao.txt").write_text(
        "Báo cáo công tác giáo dục năm 2023.\n\nNăm 2023, tỉnh xây mới 56 phòng học kiên cố.\n", "utf-8")
    return tmp_path / "a", tmp_path / "b"
