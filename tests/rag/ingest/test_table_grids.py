"""Table grids read out of .docx, HTML and PDF files (real files built by the tests), and the tables they load as."""

from __future__ import annotations

import io

from rag.ingest.encodings import TCVN3_TABLE
from rag.ingest.loaders import load_bytes
from rag.ingest.table_grids import docx_table_rows, html_table_rows, pdf_page_tables
from rag.ingest.tables import table_records
from tests.rag.ingest.fixtures_build import find_dejavu

# --------------------------------------------------------------------------- .docx


def _save(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _mark_header(row: object) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # type: ignore[attr-defined]


def _budget_docx(unit_row: bool = True, caption: str | None = "Bảng 1. Kết quả thu chi ngân sách"):
    """A report table as Word writes it: unit row, "Năm 2023" merged over two columns,
    "Chỉ tiêu" merged down two header rows, both header rows marked to repeat."""
    import docx

    document = docx.Document()
    document.add_paragraph("Tình hình thu chi ngân sách 6 tháng đầu năm như sau.")
    if caption:
        document.add_paragraph(caption)
    table = document.add_table(rows=5 if unit_row else 4, cols=4)
    first = 1 if unit_row else 0
    if unit_row:
        table.cell(0, 0).merge(table.cell(0, 3)).text = "Đơn vị tính: triệu đồng"
    table.cell(first, 0).merge(table.cell(first + 1, 0)).text = "Chỉ tiêu"
    table.cell(first, 1).merge(table.cell(first, 2)).text = "Năm 2023"
    table.cell(first, 3).merge(table.cell(first + 1, 3)).text = "Ghi chú"
    table.cell(first + 1, 1).text = "Kế hoạch"
    table.cell(first + 1, 2).text = "Thực hiện"
    for r, values in enumerate([["Thu ngân sách", "186.000", "97.212", ""],
                                ["Chi ngân sách", "250.500", "120.004,5", "đạt 48%"]], start=first + 2):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for row in table.rows[: first + 2]:
        _mark_header(row)
    document.add_paragraph("Nơi nhận: UBND tỉnh.")
    return document, table


BUDGET_RECORDS = (
    "Chỉ tiêu: Thu ngân sách · Đơn vị tính: triệu đồng · Năm 2023 - Kế hoạch: 186.000 · "
    "Năm 2023 - Thực hiện: 97.212\n"
    "Chỉ tiêu: Chi ngân sách · Đơn vị tính: triệu đồng · Năm 2023 - Kế hoạch: 250.500 · "
    "Năm 2023 - Thực hiện: 120.004,5 · Ghi chú: đạt 48%"
)


def test_docx_grid_repeats_merged_cells_and_counts_marked_header_rows() -> None:
    import docx

    document, _ = _budget_docx()
    table = docx.Document(io.BytesIO(_save(document))).tables[0]
    rows, header_rows = docx_table_rows(table)
    assert rows[:3] == [
        ["Đơn vị tính: triệu đồng"] * 4,
        ["Chỉ tiêu", "Năm 2023", "Năm 2023", "Ghi chú"],
        ["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Ghi chú"],
    ]
    assert header_rows == 3


def test_docx_rows_starting_late_and_nested_tables_keep_their_grid_positions() -> None:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for c, value in enumerate(["Chỉ tiêu", "Kế hoạch", "Thực hiện"]):
        table.cell(0, c).text = value
    row = table.rows[1]._tr
    row.remove(row.tc_lst[0])  # the row starts in the second grid column
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    row.get_or_add_trPr().insert(0, before)
    cell = table.rows[1].cells[0]  # grid column 2
    cell.text = "90,5"
    inner = cell.add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "quý I"
    inner.cell(0, 1).text = "quý II"
    reopened = docx.Document(io.BytesIO(_save(document))).tables[0]
    rows, header_rows = docx_table_rows(reopened)
    assert rows == [["Chỉ tiêu", "Kế hoạch", "Thực hiện"], ["", "90,5 quý I | quý II", ""]]
    assert header_rows is None


def test_docx_malformed_merge_properties_do_not_lose_the_table() -> None:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for r, values in enumerate([["Chỉ tiêu", "Kết quả"], ["Thu ngân sách", "5.851"]]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    properties = table.rows[0]._tr.tc_lst[0].get_or_add_tcPr()
    span = OxmlElement("w:gridSpan")
    span.set(qn("w:val"), "abc")  # not a number
    properties.append(span)
    properties.append(OxmlElement("w:vMerge"))  # "continue" in the first row: nothing above
    assert load_bytes(_save(document), ".docx").text == "Chỉ tiêu: Thu ngân sách · Kết quả: 5.851"


def test_docx_table_loads_as_a_caption_line_and_records_and_the_caption_stays_a_paragraph() -> None:
    document, _ = _budget_docx()
    loaded = load_bytes(_save(document), ".docx")
    assert loaded.text == (
        "Tình hình thu chi ngân sách 6 tháng đầu năm như sau.\n\n"
        "Bảng 1. Kết quả thu chi ngân sách\n\n"
        f"Bảng: Bảng 1. Kết quả thu chi ngân sách\n{BUDGET_RECORDS}\n\n"
        "Nơi nhận: UBND tỉnh."
    )


def test_docx_caption_styled_caption_below_the_table_is_used() -> None:
    document, table = _budget_docx(caption=None)
    below = document.add_paragraph("Biểu 3: Thu chi ngân sách", style="Caption")
    table._tbl.addnext(below._p)
    text = load_bytes(_save(document), ".docx").text
    assert f"Bảng: Biểu 3: Thu chi ngân sách\n{BUDGET_RECORDS}\n\nBiểu 3: Thu chi ngân sách" in text


def test_docx_paragraph_ending_a_sentence_is_not_taken_as_caption() -> None:
    document, _ = _budget_docx(caption=None)
    text = load_bytes(_save(document), ".docx").text
    assert f"như sau.\n\n{BUDGET_RECORDS}\n\n" in text


def test_docx_unit_paragraph_between_caption_and_table_reaches_the_records() -> None:
    document, _ = _budget_docx(unit_row=False, caption="Bảng 1. Kết quả thu chi ngân sách")
    caption = document.paragraphs[1]
    caption.insert_paragraph_before("Bảng 1. Kết quả thu chi ngân sách")
    caption.text = "Đơn vị tính: triệu đồng"
    text = load_bytes(_save(document), ".docx").text
    assert f"Bảng: Bảng 1. Kết quả thu chi ngân sách\n{BUDGET_RECORDS}" in text


def test_docx_layout_table_keeps_todays_pipe_rows() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "ỦY BAN NHÂN DÂN TỈNH CÀ MAU"
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert load_bytes(_save(document), ".docx").text == (
        "ỦY BAN NHÂN DÂN TỈNH CÀ MAU | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    )


def _tcvn3(text: str) -> str:
    """Lower-case Vietnamese typed with a TCVN3 (ABC) font, as python-docx reads it back."""
    reverse = {unicode: legacy for legacy, unicode in TCVN3_TABLE.items()}
    return "".join(reverse.get(ch, ch) for ch in text)


def test_docx_table_typed_in_tcvn3_is_converted_before_it_is_labelled() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(_tcvn3("thu ngân sách nhà nước đạt kết quả tốt, vượt dự toán được giao."))
    table = document.add_table(rows=3, cols=3)
    for r, values in enumerate([["chỉ tiêu", "kế hoạch", "thực hiện"],
                                ["thu ngân sách", "186.000", "97.212"],
                                ["chi thường xuyên", "250.500", "120.004"]]):
        for c, value in enumerate(values):
            table.cell(r, c).text = _tcvn3(value)
    loaded = load_bytes(_save(document), ".docx")
    assert loaded.encoding == "docx+tcvn3"
    assert loaded.text.split("\n\n")[1] == (
        "chỉ tiêu: thu ngân sách · kế hoạch: 186.000 · thực hiện: 97.212\n"
        "chỉ tiêu: chi thường xuyên · kế hoạch: 250.500 · thực hiện: 120.004"
    )


# --------------------------------------------------------------------------- HTML

SPANNED_TABLE = """
<table>
<caption>Kết quả thu chi ngân sách</caption>
<thead>
<tr><th rowspan="2">TT</th><th rowspan="2">Chỉ tiêu</th><th colspan="2">Năm 2023</th></tr>
<tr><th>Kế hoạch</th><th>Thực hiện</th></tr>
</thead>
<tbody>
<tr><td colspan="4">Đơn vị tính: triệu đồng</td></tr>
<tr><td>1</td><td>Thu <b>ngân</b> sách</td><td>186.000</td><td>97.212</td></tr>
<tr><td rowspan="2">2</td><td>Chi ngân sách</td><td>250.500</td><td>120.004</td></tr>
<tr><td>Chi đầu tư</td><td>50.000</td><td>-</td></tr>
</tbody>
</table>
"""


def _table_node(html: str) -> object:
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(html).css_first("table")


def test_html_grid_expands_rowspan_and_colspan_and_counts_header_rows() -> None:
    rows, header_rows = html_table_rows(_table_node(SPANNED_TABLE))
    assert rows == [
        ["TT", "Chỉ tiêu", "Năm 2023", "Năm 2023"],
        ["TT", "Chỉ tiêu", "Kế hoạch", "Thực hiện"],
        ["Đơn vị tính: triệu đồng"] * 4,
        ["1", "Thu ngân sách", "186.000", "97.212"],
        ["2", "Chi ngân sách", "250.500", "120.004"],
        ["2", "Chi đầu tư", "50.000", "-"],
    ]
    assert header_rows == 2


def test_html_leading_all_th_rows_count_as_header_without_thead() -> None:
    html = "<table><tr><th>Chỉ tiêu</th><th>Kết quả</th></tr><tr><th>Thu</th><td>5.851</td></tr></table>"
    assert html_table_rows(_table_node(html)) == ([["Chỉ tiêu", "Kết quả"], ["Thu", "5.851"]], 1)


def test_html_silly_spans_are_clamped() -> None:
    html = ('<table><tr><td>a</td><td colspan="99999999">x</td></tr>'
            '<tr><td rowspan="99999999">b</td><td>y</td></tr><tr><td>z</td></tr></table>')
    rows, _ = html_table_rows(_table_node(html))
    assert [len(row) for row in rows] == [1000, 2, 2]
    assert rows[1:] == [["b", "y"], ["b", "z"]]


def test_html_nested_table_text_is_flattened_into_its_cell() -> None:
    html = ("<table><tr><th>Chỉ tiêu</th><th>Ghi chú</th></tr><tr><td>Thu</td>"
            "<td><table><tr><td>quý I</td><td>quý II</td></tr></table></td></tr></table>")
    rows, _ = html_table_rows(_table_node(html))
    assert rows == [["Chỉ tiêu", "Ghi chú"], ["Thu", "quý I quý II"]]


def test_html_table_loads_as_caption_line_and_records_in_page_order() -> None:
    page = (f"<html><body><h2>Thu chi ngân sách</h2><p>Trước bảng.</p>{SPANNED_TABLE}"
            "<p>Sau bảng.</p></body></html>")
    loaded = load_bytes(page.encode("utf-8"), ".html")
    unit = " · Đơn vị tính: triệu đồng"
    assert loaded.text == (
        "Thu chi ngân sách\n\nTrước bảng.\n\n"
        "Bảng: Kết quả thu chi ngân sách\n"
        f"Chỉ tiêu: Thu ngân sách{unit} · Năm 2023 - Kế hoạch: 186.000 · Năm 2023 - Thực hiện: 97.212\n"
        f"Chỉ tiêu: Chi ngân sách{unit} · Năm 2023 - Kế hoạch: 250.500 · Năm 2023 - Thực hiện: 120.004\n"
        f"Chỉ tiêu: Chi đầu tư{unit} · Năm 2023 - Kế hoạch: 50.000 · Năm 2023 - Thực hiện: -\n\n"
        "Sau bảng."
    )


def test_html_table_without_caption_takes_the_nearest_heading_before_it() -> None:
    page = ("<h1>Báo cáo</h1><h3>2. Sản xuất nông nghiệp</h3><p>Kết quả như sau:</p><table>"
            "<tr><th>Cây trồng</th><th>Sản lượng</th></tr><tr><td>Lúa</td><td>12.300</td></tr></table>")
    text = load_bytes(page.encode("utf-8"), ".html").text
    assert text.endswith("Bảng: 2. Sản xuất nông nghiệp\nCây trồng: Lúa · Sản lượng: 12.300")


def test_html_layout_table_keeps_todays_rows() -> None:
    page = "<table><tr><td>Trang chủ</td><td>Liên hệ</td></tr></table><p>Nội dung.</p>"
    assert load_bytes(page.encode("utf-8"), ".html").text == "Trang chủ | Liên hệ\n\nNội dung."


# --------------------------------------------------------------------------- PDF


def _pdf(draw) -> bytes:  # noqa: ANN001 - a callback on an FPDF page
    import fpdf

    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=str(find_dejavu()))
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    draw(pdf)
    return bytes(pdf.output())


def _ruled_table(pdf) -> None:  # noqa: ANN001
    from fpdf.fonts import FontFace

    pdf.multi_cell(0, 8, "Bảng 1. Kết quả thu chi ngân sách 6 tháng")
    with pdf.table(col_widths=(12, 60, 30, 30), headings_style=FontFace(emphasis=None),
                   num_heading_rows=2) as table:
        row = table.row()
        row.cell("TT", rowspan=2)
        row.cell("Chỉ tiêu", rowspan=2)
        row.cell("Năm 2023", colspan=2)
        row = table.row()
        row.cell("Kế hoạch")
        row.cell("Thực hiện")
        for values in (["1", "Thu ngân sách trên địa bàn", "186.000", "97.212"],
                       ["2", "Chi ngân sách địa phương", "250.500", "120.004,5"]):
            row = table.row()
            for value in values:
                row.cell(value)


def _tables(data: bytes) -> list:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return pdf_page_tables(pdf.pages[0])


def test_pdf_ruled_table_merged_header_cells_take_the_text_of_the_cell_covering_them() -> None:
    [(bbox, rows)] = _tables(_pdf(_ruled_table))
    assert rows == [
        ["TT", "Chỉ tiêu", "Năm 2023", "Năm 2023"],
        ["TT", "Chỉ tiêu", "Kế hoạch", "Thực hiện"],
        ["1", "Thu ngân sách trên địa bàn", "186.000", "97.212"],
        ["2", "Chi ngân sách địa phương", "250.500", "120.004,5"],
    ]
    assert bbox[1] > 40  # below the caption line
    assert table_records(rows).records[1] == (
        "Chỉ tiêu: Chi ngân sách địa phương · Năm 2023 - Kế hoạch: 250.500 · Năm 2023 - Thực hiện: 120.004,5"
    )


def _aligned_table(pdf) -> None:  # noqa: ANN001
    pdf.multi_cell(0, 6, "Tình hình thực hiện các chỉ tiêu chủ yếu trong 6 tháng đầu năm như sau, theo "
                         "báo cáo của các sở, ngành và địa phương trong tỉnh.")
    rows = [["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"],
            ["Thu ngân sách", "186.000", "97.212", "52,3"],
            ["Chi ngân sách", "250.500", "120.004", "47,9"],
            ["Vốn đầu tư", "12.500", "6.100,5", "48,8"]]
    for index, row in enumerate(rows):
        for x, cell in zip((15, 80, 120, 160), row, strict=True):
            pdf.text(x, 40 + 7 * index, cell)


def test_pdf_unruled_table_is_read_by_text_alignment_without_cutting_labels() -> None:
    [(bbox, rows)] = _tables(_pdf(_aligned_table))
    assert rows == [["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"],
                    ["Thu ngân sách", "186.000", "97.212", "52,3"],
                    ["Chi ngân sách", "250.500", "120.004", "47,9"],
                    ["Vốn đầu tư", "12.500", "6.100,5", "48,8"]]
    assert bbox[1] > 100  # the prose line above stays out of the table


def test_pdf_prose_page_has_no_table() -> None:
    text = "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8% so với dự toán. " * 30
    assert _tables(_pdf(lambda pdf: pdf.multi_cell(0, 6, text))) == []


def _titled_aligned_table(pdf) -> None:  # noqa: ANN001
    pdf.multi_cell(0, 7, "PHÒNG VĂN HÓA VÀ THÔNG TIN HUYỆN VĨNH THẠNH TỈNH SÓC TRĂNG")  # crosses the columns
    rows = [["Chỉ tiêu", "Tháng 5/2024", "So cùng kỳ (%)"], ["Lượt khách du lịch", "12.450", "tăng 17,3"],
            ["Doanh thu du lịch (tỷ đồng)", "9,8", "tăng 21,6"], ["Số cơ sở lưu trú", "37", "tăng 5,7"]]
    for index, row in enumerate(rows):
        for x, cell in zip((15, 95, 145), row, strict=True):
            pdf.text(x, 40 + 7 * index, cell)


def test_pdf_unruled_table_keeps_its_columns_under_a_title_line_that_crosses_them() -> None:
    [(bbox, rows)] = _tables(_pdf(_titled_aligned_table))
    assert rows == [["Chỉ tiêu", "Tháng 5/2024", "So cùng kỳ (%)"], ["Lượt khách du lịch", "12.450", "tăng 17,3"],
                    ["Doanh thu du lịch (tỷ đồng)", "9,8", "tăng 21,6"], ["Số cơ sở lưu trú", "37", "tăng 5,7"]]
    assert bbox[1] > 90  # the title stays text above the table
