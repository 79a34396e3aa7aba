from __future__ import annotations

from rag.answer.extractive import clause_spans


def _clauses(text: str) -> list[str]:
    return [text[s:e] for s, e in clause_spans(text, 0, len(text))]


def test_clauses_split_at_commas_colons_and_semicolons():
    text = "Kết quả: thu ngân sách đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch; kim ngạch đạt 1.112,5 triệu USD"
    assert _clauses(text) == [
        "Kết quả", "thu ngân sách đạt 5.851 tỷ đồng", "vượt 6,8% kế hoạch", "kim ngạch đạt 1.112,5 triệu USD",
    ]


def test_numbers_quotes_parentheses_and_compounds_are_not_cut():
    text = "phương châm “Đoàn kết, kỷ cương, hiệu quả” (kế hoạch 24,2%, điều chỉnh) về kinh tế - xã hội"
    assert _clauses(text) == [text]


def test_clause_offsets_are_exact_slices_inside_the_range():
    text = "xx Một, hai; ba yy"
    spans = clause_spans(text, 3, 15)
    assert [text[s:e] for s, e in spans] == ["Một", "hai", "ba"]
