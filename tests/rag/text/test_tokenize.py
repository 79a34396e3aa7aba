from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.text.tokenize import tokenize, tokenize_folded


def test_vietnamese_numbers_stay_whole():
    assert tokenize("đạt 5.851 tỷ đồng, vượt 6,8%; 1.112,5 triệu USD; 74,4%") == [
        "đạt", "5.851", "tỷ", "đồng", "vượt", "6,8", "1.112,5", "triệu", "usd", "74,4",
    ]


def test_one_letter_syllables_are_kept():
    assert tokenize("ở y tế") == ["ở", "y", "tế"]


def test_document_numbers_and_dates_are_single_tokens():
    assert tokenize("Quyết định số 1631/QĐ-UBND ngày 26/8/2020, tháng 8/2020") == [
        "quyết", "định", "số", "1631/qđ-ubnd", "ngày", "26/8/2020", "tháng", "8/2020",
    ]


def test_folded_tokens_match_questions_typed_without_accents():
    typed = tokenize_folded("thu ngan sach dat 5.851 ty dong")
    assert tokenize_folded("Thu ngân sách đạt 5.851 tỷ đồng") == typed


def test_folded_tokens_meet_either_spelling_of_the_lone_i_after_a_consonant():
    assert tokenize_folded("Tỷ lệ hộ nghèo; kỹ thuật; Hoa Kỳ; quý III") == tokenize_folded(
        "ti le ho ngheo; ki thuat; Hoa Ki; qui III"
    )
    assert tokenize_folded("y tế, thủy sản, ngày") == ["y", "te", "thuy", "san", "ngay"]


def test_folded_tokens_write_a_number_without_its_thousands_dots():
    assert tokenize_folded("hơn 250.000 phiên; 1.112,5 tỷ; 31.8; 2020") == tokenize_folded(
        "hơn 250000 phiên; 1112,5 tỷ; 31.8; 2020"
    )
    assert "31.8" in tokenize_folded("31.8")  # a decimal point is no thousands dot


@given(
    st.integers(min_value=1, max_value=999),
    st.lists(st.integers(min_value=0, max_value=999), max_size=3),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
)
def test_any_vietnamese_formatted_number_is_one_token(head: int, groups: list[int], decimals: int | None):
    number = str(head) + "".join(f".{g:03d}" for g in groups) + (f",{decimals}" if decimals is not None else "")
    assert tokenize(f"đạt {number} tỷ") == ["đạt", number, "tỷ"]
