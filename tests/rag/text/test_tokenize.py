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
    assert tokenize_folded("Thu ngân sách đạt 5.851 tỷ đồng") == tokenize("thu ngan sach dat 5.851 ty dong")


@given(
    st.integers(min_value=1, max_value=999),
    st.lists(st.integers(min_value=0, max_value=999), max_size=3),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
)
def test_any_vietnamese_formatted_number_is_one_token(head: int, groups: list[int], decimals: int | None):
    number = str(head) + "".join(f".{g:03d}" for g in groups) + (f",{decimals}" if decimals is not None else "")
    assert tokenize(f"đạt {number} tỷ") == ["đạt", number, "tỷ"]
