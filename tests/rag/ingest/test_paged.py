"""PDF pages and image files as the paged loader reads them (real PDFs built with fpdf2/Pillow)."""

from __future__ import annotations

import io

import pytest

from rag.ingest.loaders import LoadError, load_bytes
from tests.rag.ingest.fixtures_build import mixed_pdf, png_bytes, scanned_pdf
from tests.rag.ingest.test_table_grids import _pdf, _ruled_table, _tcvn3


def test_a_pdf_table_is_stored_as_records_with_its_caption_on_its_page():
    loaded = load_bytes(_pdf(_ruled_table), ".pdf")
    [page] = loaded.pages
    assert page.number == 1 and not page.scanned
    above, table = page.text.split("\n\n")
    assert above == "Bảng 1. Kết quả thu chi ngân sách 6 tháng"  # the caption line stays text of the report
    assert table.split("\n") == [
        "Bảng: Bảng 1. Kết quả thu chi ngân sách 6 tháng",
        "Chỉ tiêu: Thu ngân sách trên địa bàn · Năm 2023 - Kế hoạch: 186.000 · Năm 2023 - Thực hiện: 97.212",
        "Chỉ tiêu: Chi ngân sách địa phương · Năm 2023 - Kế hoạch: 250.500 · Năm 2023 - Thực hiện: 120.004,5",
    ]
    assert "Chỉ tiêu: Thu ngân sách trên địa bàn · " in loaded.text


def test_a_pdf_table_typed_in_tcvn3_is_converted_before_its_records_are_written():
    def table(pdf) -> None:  # noqa: ANN001
        pdf.multi_cell(0, 8, _tcvn3("kết quả thu chi ngân sách của tỉnh trong sáu tháng đầu năm được giao."))
        from fpdf.fonts import FontFace

        with pdf.table(col_widths=(60, 30, 30), headings_style=FontFace(emphasis=None)) as grid:
            for values in (["chỉ tiêu", "kế hoạch", "thực hiện"], ["thu ngân sách", "186.000", "97.212"],
                           ["chi thường xuyên", "250.500", "120.004"], ["chi đầu tư", "50.000", "21.300"]):
                row = grid.row()
                for value in values:
                    row.cell(_tcvn3(value))

    loaded = load_bytes(_pdf(table), ".pdf")
    assert loaded.encoding == "pdf+tcvn3"
    assert "chỉ tiêu: thu ngân sách · kế hoạch: 186.000 · thực hiện: 97.212" in loaded.text
    assert "ngân sách của tỉnh" in loaded.text


def test_a_scanned_page_is_marked_for_ocr_and_a_text_page_is_not():
    loaded = load_bytes(mixed_pdf("Trang một của báo cáo có lớp văn bản đầy đủ.", ["Trang hai là ảnh quét."]), ".pdf")
    assert [(p.number, p.scanned, bool(p.text)) for p in loaded.pages] == [(1, False, True), (2, True, False)]
    assert [p.number for p in loaded.scanned_pages] == [2]


def test_an_image_file_is_one_page_waiting_for_ocr():
    loaded = load_bytes(png_bytes(["Lịch tiếp công dân"]), ".png")
    assert (loaded.format, loaded.text, [p.scanned for p in loaded.pages]) == ("image", "", [True])


def test_a_multi_frame_tiff_is_one_page_per_frame():
    from PIL import Image

    frames = [Image.new("L", (400, 300), 255) for _ in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    assert [p.number for p in load_bytes(buffer.getvalue(), ".tif").pages] == [1, 2, 3]


def test_a_file_that_is_no_image_is_refused_by_name_of_the_problem():
    with pytest.raises(LoadError, match="cannot open the image"):
        load_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ".png")


def test_an_image_only_pdf_has_every_page_marked():
    loaded = load_bytes(scanned_pdf([["Một"], ["Hai"]]), ".pdf")
    assert [(p.number, p.scanned) for p in loaded.pages] == [(1, True), (2, True)]


def test_a_pdf_with_trailing_bytes_after_its_end_marker_is_read():
    from tests.rag.ingest.fixtures_build import pdf_bytes

    line = "Tổng thu ngân sách năm 2021 đạt 5.851 tỷ đồng."
    loaded = load_bytes(pdf_bytes([line]) + b"\x00" * 20_000, ".pdf")
    assert "5.851 tỷ đồng" in loaded.text


def test_a_pdf_cut_before_its_end_marker_is_refused_as_truncated():
    from tests.rag.ingest.fixtures_build import pdf_bytes

    with pytest.raises(LoadError, match="truncated"):
        load_bytes(pdf_bytes(["Tổng thu ngân sách năm 2021 đạt 5.851 tỷ đồng."])[:1500], ".pdf")
