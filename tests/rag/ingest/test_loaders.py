from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from rag.ingest import loaders
from rag.ingest.loaders import LoadedText, LoadError, load_bytes, load_file
from tests.rag.ingest.fixtures_build import (
    NEWS_PAGE,
    NEWS_PAGE_TEXT,
    REPORT_LINE,
    REPORT_TEXT,
    TCVN3_PASSAGE,
    TCVN3_PASSAGE_UNICODE,
    VNI_PASSAGE,
    VNI_PASSAGE_UNICODE,
    cp1258_bytes,
    docx_bytes,
    encrypt_pdf,
    pdf_bytes,
    zip_bomb_bytes,
    zip_bytes,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- txt / md


def test_utf8_txt_round_trips_exactly(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "bao-cao.txt", REPORT_TEXT.encode("utf-8")))
    assert loaded == LoadedText(REPORT_TEXT, "txt", "utf-8")


def test_txt_windows_line_endings_become_newlines(tmp_path: Path) -> None:
    data = REPORT_TEXT.replace("\n", "\r\n").encode("utf-8-sig")
    loaded = load_file(write(tmp_path, "a.TXT", data))
    assert (loaded.text, loaded.encoding) == (REPORT_TEXT, "utf-8-sig")


def test_markdown_keeps_headings_as_text(tmp_path: Path) -> None:
    text = "# Báo cáo tháng 6\n\n## Thu ngân sách\n\n" + REPORT_LINE
    loaded = load_file(write(tmp_path, "note.md", text.encode("utf-8")))
    assert (loaded.text, loaded.format) == (text, "md")


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (cp1258_bytes(REPORT_TEXT), "cp1258", REPORT_TEXT),
        (TCVN3_PASSAGE.encode("cp1252"), "tcvn3", TCVN3_PASSAGE_UNICODE),
        (VNI_PASSAGE.encode("cp1252"), "vni", VNI_PASSAGE_UNICODE),
        (TCVN3_PASSAGE.encode("utf-8"), "utf-8+tcvn3", TCVN3_PASSAGE_UNICODE),
        (REPORT_TEXT.encode("utf-16-le"), "utf-16-le", REPORT_TEXT),
        (b"\xfe\xff" + REPORT_TEXT.encode("utf-16-be"), "utf-16", REPORT_TEXT),
    ],
    ids=["cp1258", "tcvn3", "vni", "utf8-tcvn3", "utf16le-nobom", "utf16be-bom"],
)
def test_txt_in_legacy_and_utf16_encodings_loads_as_unicode(
    tmp_path: Path, data: bytes, encoding: str, expected: str
) -> None:
    loaded = load_file(write(tmp_path, "legacy.txt", data))
    assert (loaded.text, loaded.encoding) == (expected, encoding)


def test_binary_junk_named_txt_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.txt", random.Random(1).randbytes(5000))
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert "binary" in info.value.reason


def test_empty_txt_loads_as_empty_text(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "empty.txt", b"")) == LoadedText("", "txt", "utf-8")


# --------------------------------------------------------------------------- docx


def test_docx_keeps_body_order_with_heading_paragraphs_and_table_rows(tmp_path: Path) -> None:
    data = docx_bytes(
        paragraphs=[REPORT_LINE + " so với dự toán.", "Ủy ban nhân dân tỉnh Cà Mau."],
        table=[["Chỉ tiêu", "Kết quả"], ["Thu ngân sách", "5.851 tỷ đồng"]],
    )
    loaded = load_file(write(tmp_path, "bao-cao.docx", data))
    assert loaded.text == (
        "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI\n\n"
        f"{REPORT_LINE} so với dự toán.\n\n"
        "Ủy ban nhân dân tỉnh Cà Mau.\n\n"
        "Chỉ tiêu: Thu ngân sách · Kết quả: 5.851 tỷ đồng\n\n"
        "Nơi nhận: UBND tỉnh."
    )
    assert (loaded.format, loaded.encoding) == ("docx", "docx")


def test_docx_merged_cells_appear_once(tmp_path: Path) -> None:
    import io

    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Tổng hợp"
    for col, value in enumerate(["a", "b", "c"]):
        table.cell(1, col).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    loaded = load_bytes(buffer.getvalue(), ".docx")
    assert loaded.text == "Tổng hợp\na | b | c"


def test_docx_typed_in_tcvn3_fonts_is_converted(tmp_path: Path) -> None:
    data = docx_bytes(paragraphs=TCVN3_PASSAGE.split("\n"), heading=None, after=None)
    loaded = load_file(write(tmp_path, "cu.docx", data))
    assert loaded.text == TCVN3_PASSAGE_UNICODE.replace("\n", "\n\n")
    assert loaded.encoding == "docx+tcvn3"


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a zip"):
        load_file(write(tmp_path, "fake.docx", b"This is plain text, not Word."))


def test_zip_without_word_document_is_refused_as_damaged(tmp_path: Path) -> None:
    path = write(tmp_path, "other.docx", zip_bytes({"hello.txt": b"hi"}))
    with pytest.raises(LoadError, match="damaged .docx"):
        load_file(path)


def test_docx_zip_bomb_by_ratio_is_refused_before_parsing(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="compression ratio"):
        load_file(write(tmp_path, "bomb.docx", zip_bomb_bytes(8)))


def test_docx_zip_bomb_by_size_is_refused_before_parsing(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="uncompressed size"):
        load_file(write(tmp_path, "bigbomb.docx", zip_bomb_bytes(201)))


# --------------------------------------------------------------------------- pdf


def test_pdf_vietnamese_text_round_trips_with_pages_separated(tmp_path: Path) -> None:
    page_two = "Trang hai: người dân được hưởng lợi."
    loaded = load_file(write(tmp_path, "bao-cao.pdf", pdf_bytes([REPORT_LINE + ".", page_two])))
    assert (loaded.text, loaded.format, loaded.encoding) == (f"{REPORT_LINE}.\n\n{page_two}", "pdf", "pdf")
    assert [(p.number, p.text, p.scanned) for p in loaded.pages] == [(1, f"{REPORT_LINE}.", False), (2, page_two, False)]


def test_pdf_encrypted_with_a_password_is_refused(tmp_path: Path) -> None:
    data = encrypt_pdf(pdf_bytes([REPORT_LINE]), user_password="bi-mat")
    with pytest.raises(LoadError, match="encrypted"):
        load_file(write(tmp_path, "secret.pdf", data))


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    data = encrypt_pdf(pdf_bytes([REPORT_LINE]), user_password="")
    assert load_file(write(tmp_path, "owner-only.pdf", data)).text == REPORT_LINE


def test_truncated_pdf_is_refused(tmp_path: Path) -> None:
    data = pdf_bytes([REPORT_LINE])
    with pytest.raises(LoadError, match="truncated"):
        load_file(write(tmp_path, "cut.pdf", data[: len(data) // 2]))


def test_pdf_with_broken_structure_is_refused_as_damaged(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n" + random.Random(3).randbytes(3000) + b"\n%%EOF\n"
    with pytest.raises(LoadError, match="damaged PDF"):
        load_file(write(tmp_path, "garbage.pdf", data))


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no text layer"):
        load_file(write(tmp_path, "scan.pdf", pdf_bytes([""])))


def test_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a PDF"):
        load_file(write(tmp_path, "word.pdf", docx_bytes()))


# --------------------------------------------------------------------------- html


def test_html_drops_menus_scripts_and_page_chrome_and_keeps_structure(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "tin.html", NEWS_PAGE.encode("utf-8")))
    assert loaded == LoadedText(NEWS_PAGE_TEXT, "html", "utf-8")


def test_html_meta_charset_windows_1258_is_honoured(tmp_path: Path) -> None:
    page = f'<html><head><meta charset="windows-1258"></head><body><p>{REPORT_LINE}</p></body></html>'
    loaded = load_file(write(tmp_path, "cu.htm", cp1258_bytes(page)))
    assert (loaded.text, loaded.encoding) == (REPORT_LINE, "cp1258")


def test_html_without_charset_is_detected(tmp_path: Path) -> None:
    page = f"<html><body><p>{REPORT_TEXT}</p></body></html>"
    loaded = load_file(write(tmp_path, "khong-charset.html", cp1258_bytes(page)))
    assert loaded.encoding == "cp1258"
    assert REPORT_LINE in loaded.text


def test_html_page_in_vntime_font_is_converted(tmp_path: Path) -> None:
    body = "".join(f"<p><font face='.VnTime'>{line}</font></p>" for line in TCVN3_PASSAGE.split("\n"))
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    page = f"<html><head>{meta}</head><body>{body}</body></html>"
    loaded = load_file(write(tmp_path, "vntime.html", page.encode("cp1252")))
    assert loaded.text == TCVN3_PASSAGE_UNICODE.replace("\n", "\n\n")
    assert loaded.encoding == "cp1252+tcvn3"


# --------------------------------------------------------------------------- dispatch and limits


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unsupported file type"):
        load_file(write(tmp_path, "bang.xlsx", b"PK\x03\x04"))


def test_file_over_max_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", REPORT_TEXT.encode("utf-8"))
    with pytest.raises(LoadError, match="file too large"):
        load_file(path, max_bytes=100)
    assert load_file(path, max_bytes=10_000).text == REPORT_TEXT


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read file"):
        load_file(tmp_path / "khong-co.txt")


@pytest.mark.parametrize("suffix", [".PDF", "pdf", ".pdf"])
def test_load_bytes_accepts_suffix_in_any_form(suffix: str) -> None:
    assert load_bytes(pdf_bytes([REPORT_LINE]), suffix).text == REPORT_LINE


def test_load_bytes_wraps_encoding_problems_in_load_error() -> None:
    with pytest.raises(LoadError, match="binary"):
        load_bytes(b"\x00\x01\x02" * 100, ".md")


# --------------------------------------------------------------------------- hostile files (issue 7)


def test_markdown_front_matter_is_metadata_not_text(tmp_path: Path) -> None:
    note = f"---\ntitle: Báo cáo\ntags:\n  - kt-xh\n---\n{REPORT_LINE}"
    assert load_file(write(tmp_path, "note.md", note.encode())).text == REPORT_LINE
    only = load_file(write(tmp_path, "only.md", b"---\ntitle: x\n---\n"))
    assert only.text == ""


def test_markdown_rule_that_is_not_front_matter_is_kept(tmp_path: Path) -> None:
    text = f"---\n{REPORT_LINE}\n---\nKết luận."
    assert load_file(write(tmp_path, "rule.md", text.encode())).text == text


def test_fifo_named_txt_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(LoadError, match="not a regular file: a FIFO"):
        load_file(tmp_path / "pipe.txt")


def test_device_behind_a_txt_link_is_refused_without_reading_it(tmp_path: Path) -> None:
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with pytest.raises(LoadError, match="not a regular file: a character device"):
        load_file(tmp_path / "zero.txt")


def test_plain_text_too_long_is_refused_and_before_decoding_when_its_size_proves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(LoadError, match="text too long"):
        load_bytes(REPORT_TEXT.encode(), ".txt", max_chars=100)
    decoded: list[int] = []
    decode = loaders._load_plain
    monkeypatch.setattr(loaders, "_load_plain", lambda data, fmt: decoded.append(len(data)) or decode(data, fmt))
    with pytest.raises(LoadError, match="text too long"):
        load_bytes(b"\x00garbage" * 1_000_000, ".md", max_chars=1_000_000)  # not even decodable
    assert decoded == []  # refused on its size alone, never decoded
    assert load_bytes(REPORT_TEXT.encode(), ".txt", max_chars=len(REPORT_TEXT)).text == REPORT_TEXT
    assert decoded == [len(REPORT_TEXT.encode())]
