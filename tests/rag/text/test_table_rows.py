from __future__ import annotations

from rag.text.table_rows import (
    format_record,
    is_plan_label,
    label_unit,
    parse_record,
    reads_as_caption,
    row_unit,
)

ROW = [("Chỉ tiêu", "Thu ngân sách"), ("ĐVT", "tỷ đồng"), ("Kế hoạch 2023", "4.120"), ("Thực hiện 9 tháng", "3.275,6")]


def test_a_record_reads_back_the_pairs_it_was_written_from():
    line = format_record(ROW)
    assert line == "Chỉ tiêu: Thu ngân sách · ĐVT: tỷ đồng · Kế hoạch 2023: 4.120 · Thực hiện 9 tháng: 3.275,6"
    assert parse_record(line) == ROW


def test_empty_values_are_left_out_of_a_record():
    assert format_record([("Chỉ tiêu", "Số ca sinh"), ("Ghi chú", ""), ("Quý III", "612")]) == (
        "Chỉ tiêu: Số ca sinh · Quý III: 612"
    )


def test_prose_is_not_a_record():
    assert parse_record("Thu ngân sách đạt 5.851 tỷ đồng.") is None
    assert parse_record("Giá · tăng mạnh · giảm") is None
    assert parse_record("Chỉ tiêu: Thu ngân sách") is None  # one pair is a sentence with a colon


def test_the_unit_comes_from_a_unit_column_or_the_row_label():
    assert row_unit(ROW) == "tỷ đồng"
    assert row_unit([("Chỉ tiêu", "Sản lượng khóm (tấn)"), ("Quý III", "58.300")]) == "tấn"
    assert row_unit([("Chỉ tiêu", "Số ca sinh"), ("Quý III", "612")]) is None
    assert label_unit("Tỷ lệ (%)") == "%"


def test_plan_columns_are_told_from_the_row_label_and_results():
    assert is_plan_label("Kế hoạch năm 2023") and is_plan_label("KH 2023") and is_plan_label("Dự toán")
    assert not is_plan_label("Chỉ tiêu") and not is_plan_label("Thực hiện 6 tháng")
    assert not is_plan_label("So với kế hoạch (%)")


def test_a_heading_or_lead_in_reads_as_a_caption_and_prose_does_not():
    assert reads_as_caption("2. Thu ngân sách") and reads_as_caption("II. KẾT QUẢ") and reads_as_caption("như sau:")
    assert not reads_as_caption("Kinh tế tiếp tục phục hồi. Các chỉ tiêu chủ yếu như sau:")
    assert not reads_as_caption("Thu ngân sách đạt kết quả tốt.")


def test_a_row_label_under_an_empty_corner_cell_reads_back_with_an_empty_label():
    pairs = [("", "Xã Tân Long"), ("Số trẻ được tiêm đủ", "287"), ("Tỷ lệ (%)", "96,2")]
    assert parse_record(format_record(pairs)) == pairs
    assert parse_record("Xã Tân Long · Số trẻ: 287") is None  # two parts: too little to tell from prose
