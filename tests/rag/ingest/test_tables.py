from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.ingest.tables import TableText, table_block, table_records
from rag.text.table_rows import parse_record

HEADER = ["TT", "Chỉ tiêu", "ĐVT", "Kế hoạch 2023", "Thực hiện 6 tháng", "Tỷ lệ (%)"]
BUDGET_ROW = ["2", "Thu ngân sách trên địa bàn", "triệu đồng", "186.000", "97.212", "52,3"]
BUDGET_RECORD = (
    "Chỉ tiêu: Thu ngân sách trên địa bàn · ĐVT: triệu đồng · Kế hoạch 2023: 186.000 · "
    "Thực hiện 6 tháng: 97.212 · Tỷ lệ (%): 52,3"
)
# a parent header over two columns, already repeated into both (what the extractors hand over)
MERGED_HEADER = [
    ["Chỉ tiêu", "Năm 2023", "Năm 2023", "Ghi chú"],
    ["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Ghi chú"],
]


# --------------------------------------------------------------------------- table_records


def test_each_value_is_labelled_by_its_column_header_and_the_ordinal_column_is_dropped() -> None:
    table = table_records([HEADER, BUDGET_ROW])
    assert table == TableText(None, [BUDGET_RECORD])


def test_merged_header_cells_are_repeated_into_each_column_label() -> None:
    table = table_records([*MERGED_HEADER, ["Thu ngân sách", "4.120", "3.275,6", "-"]])
    assert table.records == [
        "Chỉ tiêu: Thu ngân sách · Năm 2023 - Kế hoạch: 4.120 · Năm 2023 - Thực hiện: 3.275,6 · Ghi chú: -"
    ]


def test_header_texts_are_kept_as_written_and_records_read_back_as_pairs() -> None:
    record = table_records([HEADER, BUDGET_ROW]).records[0]
    assert parse_record(record) == [
        ("Chỉ tiêu", "Thu ngân sách trên địa bàn"),
        ("ĐVT", "triệu đồng"),
        ("Kế hoạch 2023", "186.000"),
        ("Thực hiện 6 tháng", "97.212"),
        ("Tỷ lệ (%)", "52,3"),
    ]


def test_group_rows_are_lines_of_their_own_and_are_not_prefixed_to_later_records() -> None:
    rows = [
        HEADER,
        ["I", "KINH TẾ", "", "", "", ""],
        ["1", "Tổng sản phẩm", "tỷ đồng", "4.120", "3.275,6", "79,5"],
        ["II. XÃ HỘI"] * 6,  # a merged full-width row
        BUDGET_ROW,
    ]
    assert table_records(rows).records == [
        "I. KINH TẾ",
        "Chỉ tiêu: Tổng sản phẩm · ĐVT: tỷ đồng · Kế hoạch 2023: 4.120 · Thực hiện 6 tháng: 3.275,6 · "
        "Tỷ lệ (%): 79,5",
        "II. XÃ HỘI",
        BUDGET_RECORD,
    ]


def test_unit_row_above_the_header_becomes_the_second_pair_of_every_record() -> None:
    rows = [["Đơn vị tính: triệu đồng"] * 3, ["Chỉ tiêu", "Kế hoạch", "Thực hiện"],
            ["Thu ngân sách", "186.000", "97.212"], ["Chi ngân sách", "250.500", "120.004"]]
    assert table_records(rows).records == [
        "Chỉ tiêu: Thu ngân sách · Đơn vị tính: triệu đồng · Kế hoạch: 186.000 · Thực hiện: 97.212",
        "Chỉ tiêu: Chi ngân sách · Đơn vị tính: triệu đồng · Kế hoạch: 250.500 · Thực hiện: 120.004",
    ]


def test_unit_in_the_caption_is_applied_and_a_unit_only_caption_line_is_dropped() -> None:
    rows = [["Chỉ tiêu", "Kế hoạch"], ["Thu ngân sách", "186.000"]]
    table = table_records(rows, caption="Bảng 2. Thu ngân sách\nĐVT: tỷ đồng")
    assert table == TableText("Bảng 2. Thu ngân sách", ["Chỉ tiêu: Thu ngân sách · Đơn vị tính: tỷ đồng · "
                                                         "Kế hoạch: 186.000"])


def test_a_unit_column_wins_over_a_unit_written_once() -> None:
    table = table_records([["ĐVT: tỷ đồng"] * 6, HEADER, BUDGET_ROW])
    assert table.records == [BUDGET_RECORD]


def test_a_unit_row_inside_the_table_applies_to_the_rows_below_it() -> None:
    rows = [["Chỉ tiêu", "Năm 2022", "Năm 2023"], ["Dân số", "1.234", "1.250"],
            ["(Đơn vị tính: %)", "", ""], ["Tỷ lệ hộ nghèo", "3,1", "2,4"]]
    assert table_records(rows).records == [
        "Chỉ tiêu: Dân số · Năm 2022: 1.234 · Năm 2023: 1.250",
        "Chỉ tiêu: Tỷ lệ hộ nghèo · Đơn vị tính: % · Năm 2022: 3,1 · Năm 2023: 2,4",
    ]


def test_a_value_repeated_by_a_horizontal_merge_is_written_once_under_one_label() -> None:
    rows = [["Chỉ tiêu", "Năm 2023", "Năm 2023", "Ghi chú"], ["Thu ngân sách", "4.120", "4.120", "đạt"]]
    assert table_records(rows).records == ["Chỉ tiêu: Thu ngân sách · Năm 2023: 4.120 · Ghi chú: đạt"]


def test_a_repeated_value_under_two_different_labels_is_kept_twice() -> None:
    rows = [*MERGED_HEADER, ["Thu ngân sách", "4.120", "4.120", ""]]
    assert table_records(rows).records == [
        "Chỉ tiêu: Thu ngân sách · Năm 2023 - Kế hoạch: 4.120 · Năm 2023 - Thực hiện: 4.120"
    ]


def test_dash_values_are_kept_and_empty_cells_are_skipped() -> None:
    rows = [["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Ghi chú"], ["Vốn ODA", "-", "12,5", ""]]
    assert table_records(rows).records == ["Chỉ tiêu: Vốn ODA · Kế hoạch: - · Thực hiện: 12,5"]


def test_an_unlabelled_numbering_column_is_dropped() -> None:
    rows = [["", "Chỉ tiêu", "Kết quả"], ["a", "Lúa", "12.300"], ["b", "Ngô", "4.100"]]
    assert table_records(rows).records == [
        "Chỉ tiêu: Lúa · Kết quả: 12.300", "Chỉ tiêu: Ngô · Kết quả: 4.100"
    ]


def test_the_column_numbering_row_under_the_header_is_not_a_record() -> None:
    rows = [["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ"], ["A", "(1)", "(2)", "(3)=(2)/(1)"],
            ["Thu ngân sách", "100", "90", "90,0"]]
    assert table_records(rows).records == [
        "Chỉ tiêu: Thu ngân sách · Kế hoạch: 100 · Thực hiện: 90 · Tỷ lệ: 90,0"
    ]


def test_year_headers_are_header_text_not_figures() -> None:
    rows = [["Chỉ tiêu", "2022", "2023"], ["Dân số (nghìn người)", "1.234", "1.250"]]
    assert table_records(rows).records == ["Chỉ tiêu: Dân số (nghìn người) · 2022: 1.234 · 2023: 1.250"]


def test_a_table_without_figures_takes_its_first_row_as_the_header() -> None:
    rows = [["Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn"], ["Rà soát quy hoạch", "Sở Xây dựng", "Quý III"],
            ["Báo cáo tổng kết", "Văn phòng UBND", "Tháng 12"]]
    assert table_records(rows).records == [
        "Nhiệm vụ: Rà soát quy hoạch · Cơ quan chủ trì: Sở Xây dựng · Thời hạn: Quý III",
        "Nhiệm vụ: Báo cáo tổng kết · Cơ quan chủ trì: Văn phòng UBND · Thời hạn: Tháng 12",
    ]


def test_header_rows_marked_by_the_file_are_trusted() -> None:
    rows = [["Chỉ tiêu", "Kết quả"], ["Ghi chú", "Nguồn"], ["Thu ngân sách", "Sở Tài chính"]]
    assert table_records(rows, header_rows=1).records == [
        "Chỉ tiêu: Ghi chú · Kết quả: Nguồn", "Chỉ tiêu: Thu ngân sách · Kết quả: Sở Tài chính"
    ]


def test_whitespace_and_line_breaks_in_cells_are_folded() -> None:
    rows = [["Chỉ\ntiêu", "Kế  hoạch\n2023"], ["Thu ngân\r\nsách", " 186.000 "]]
    assert table_records(rows).records == ["Chỉ tiêu: Thu ngân sách · Kế hoạch 2023: 186.000"]


@pytest.mark.parametrize(
    "rows",
    [
        [["Chỉ tiêu", "Kế hoạch", "Thực hiện"]],  # a single row
        [["Thu ngân sách"], ["186.000"]],  # a single column
        [["Ông Nguyễn Văn A " * 8, "Bà Trần Thị B " * 8], ["Đã chỉ đạo các sở " * 8, "Đã thực hiện " * 10]],
        [["1", "4.120"], ["2", "3.275,6"]],  # figures from the first row: no header
    ],
    ids=["one-row", "one-column", "paragraph-cells", "no-header"],
)
def test_tables_that_are_not_tables_of_records_fall_back_to_pipe_lines(rows: list[list[str]]) -> None:
    expected = [" | ".join(c for c in row if c) for row in rows]
    assert table_records(rows).records == [" ".join(line.split()) for line in expected]


def test_a_page_layout_table_keeps_all_its_text_instead_of_making_it_a_header() -> None:
    article = "Sáng ngày 15/6, Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác 6 tháng đầu năm " * 3
    rows = [["Cổng thông tin", "Cổng thông tin"], ["Trang chủ Tin tức", article], ["Bản quyền", "Bản quyền"]]
    assert table_records(rows).records == ["Cổng thông tin", f"Trang chủ Tin tức | {' '.join(article.split())}",
                                           "Bản quyền"]


def test_table_block_puts_the_caption_line_first() -> None:
    table = table_records([HEADER, BUDGET_ROW], caption="Bảng 1. Thu chi ngân sách")
    assert table_block(table) == f"Bảng: Bảng 1. Thu chi ngân sách\n{BUDGET_RECORD}"


_cell = st.one_of(
    st.sampled_from(["", "-", "4.120", "3.275,6", "TT", "Chỉ tiêu", "Năm 2023", "I", "Đơn vị tính: tỷ đồng"]),
    st.text(alphabet="ab ,.\n\t·:1", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=6), st.integers(0, 6))
def test_records_never_hold_a_line_break_and_are_never_empty(rows: list[list[str]], header: int) -> None:
    for header_rows in (None, header):
        table = table_records(rows, caption="Bảng\n1", header_rows=header_rows)
        assert all(r and "\n" not in r and "\r" not in r for r in table.records)
        assert table.caption is None or "\n" not in table.caption


def test_a_numbered_group_row_merged_across_the_table_ends_the_header() -> None:
    rows = [["STT", "Chỉ tiêu", "Năm 2024", "Năm 2024"], ["STT", "Chỉ tiêu", "Kế hoạch", "Thực hiện quý I"],
            ["I", "KINH TẾ", "KINH TẾ", "KINH TẾ"], ["1", "Thu ngân sách", "412,5", "118,3"]]
    assert table_records(rows).records == [
        "I. KINH TẾ",
        "Chỉ tiêu: Thu ngân sách · Năm 2024 - Kế hoạch: 412,5 · Năm 2024 - Thực hiện quý I: 118,3",
    ]
