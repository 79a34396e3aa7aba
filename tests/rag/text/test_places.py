"""Which province a text is about (rag/text/places.py): one recogniser for documents and questions."""

from __future__ import annotations

import pytest

from rag.text.places import document_province, find_province, province_by_places

# ---------------------------------------------------------------------------------------------
# find_province: questions (moved from tests/rag/ingest/test_metadata.py)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu ngân sách năm 2021 của Cà Mau", "Cà Mau"),
        ("TP. Hồ Chí Minh thu ngân sách bao nhiêu?", "Hồ Chí Minh"),
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh"),
        ("TP.HCM năm 2021", "Hồ Chí Minh"),
        ("tỉnh Khánh Hoà năm 2020", "Khánh Hòa"),
        ("xuất khẩu của Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Hậu Giang năm 2020", "Hậu Giang"),
        ("Hòa Bình năm 2020", "Hòa Bình"),
        ("sản xuất lúa ven sông Hậu", None),
        ("hòa bình và phát triển", None),  # the common word, not the province
        ("học tập tư tưởng Hồ Chí Minh", None),  # the person
        ("thu ngân sách cả nước năm 2021", None),
    ],
)
def test_find_province(text: str, expected: str | None) -> None:
    assert find_province(text) == expected


def test_find_province_weighs_a_titled_name_over_a_bare_one():
    assert find_province("Bạc Liêu so sánh thu ngân sách với tỉnh Cà Mau?") == "Cà Mau"  # "tỉnh" weighs 2
    assert find_province("Bạc Liêu so sánh thu ngân sách với Cà Mau?") == "Bạc Liêu"  # a tie: the first


# ---------------------------------------------------------------------------------------------
# document_province: subject-like mentions only


def test_document_province_counts_the_issue_line_and_authorities_not_bare_names():
    text = "Cà Mau, ngày 23 tháng 6 năm 2020\n\nUBND tỉnh Cà Mau báo cáo; hỗ trợ Bình Dương và Bình Dương."
    assert document_province(text) == "Cà Mau"
    assert document_province("Hội nghị hỗ trợ Bình Dương và Bình Dương chống dịch.") is None


def test_document_province_weighs_a_headline_given_by_the_layout():
    text = "Bạc Liêu: hội nghị tổng kết năm 2022 có đại biểu tỉnh Cà Mau."
    assert document_province(text) is None  # one "tỉnh Cà Mau" (2) is below the threshold
    assert document_province(text, headline="Bạc Liêu: hội nghị tổng kết năm 2022") == "Bạc Liêu"


# ---------------------------------------------------------------------------------------------
# province_by_places: districts and towns


def test_province_by_places_needs_two_agreeing_mentions():
    assert province_by_places("Mưa lớn ở huyện Năm Căn và huyện Đầm Dơi gây ngập.") == "Cà Mau"
    assert province_by_places("Mưa lớn ở huyện Năm Căn.") is None
