from __future__ import annotations

from rag.chunk.structure import parse_blocks, top_level

REPORT = """BÁO CÁO

I. KẾT QUẢ HOẠT ĐỘNG

1. Quản lý phát triển kinh tế - xã hội

1.1. Công tác triển khai

a) Phòng, chống hạn hán

- Ban hành Kế hoạch số 01/KH-UBND.
+ Chi tiết thêm.
* Một ý khác.

Đoạn văn thường.

II. PHƯƠNG HƯỚNG"""


def test_roman_arabic_decimal_and_letter_headings_get_their_levels():
    blocks = parse_blocks(REPORT)
    kinds = [(b.kind, b.level, REPORT[b.start : b.end][:12]) for b in blocks]
    assert kinds == [
        ("paragraph", 0, "BÁO CÁO"),
        ("heading", 1, "I. KẾT QUẢ H"),
        ("heading", 2, "1. Quản lý p"),
        ("heading", 3, "1.1. Công tá"),
        ("heading", 5, "a) Phòng, ch"),
        ("list", 0, "- Ban hành K"),
        ("list", 0, "+ Chi tiết t"),
        ("list", 0, "* Một ý khác"),
        ("paragraph", 0, "Đoạn văn thư"),
        ("heading", 1, "II. PHƯƠNG H"),
    ]
    assert top_level(blocks) == 1


def test_a_long_numbered_sentence_is_a_paragraph_not_a_heading():
    line = "1. Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch, tăng 10% so với cùng kỳ năm trước."
    assert parse_blocks(line)[0].kind == "paragraph"


def test_markdown_headings_are_recognised():
    blocks = parse_blocks("# Tiêu đề\n\n## Mục\n\nNội dung.")
    assert [(b.kind, b.level) for b in blocks] == [("heading", 1), ("heading", 2), ("paragraph", 0)]
