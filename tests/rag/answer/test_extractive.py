from __future__ import annotations

import numpy as np

from rag.answer.extractive import Scored, _asked_kind_first, _completed, _strip
from rag.answer.features import FEATURES
from tests.rag.answer.test_candidates import _candidates

# --- _completed ----------------------------------------------------------------------------------


def test_a_sentence_cut_at_a_semicolon_runs_on_into_a_completing_clause():
    text = "Chỉ số PCI năm 2019 đạt 64,1 điểm; tăng 04 bậc và tăng 2,4 điểm so với năm 2018. Câu khác."
    first = _candidates(text)[0]
    assert first.text == "Chỉ số PCI năm 2019 đạt 64,1 điểm;"
    assert text[first.start : _completed(text, first)] == (
        "Chỉ số PCI năm 2019 đạt 64,1 điểm; tăng 04 bậc và tăng 2,4 điểm so với năm 2018."
    )


def test_a_next_clause_stating_another_fact_does_not_join():
    text = "Thu ngân sách đạt 5.851 tỷ đồng; kim ngạch xuất khẩu đạt 1.112 triệu USD. Câu khác."
    first = _candidates(text)[0]
    assert _completed(text, first) == first.end


def test_a_sentence_ended_by_a_full_stop_is_complete():
    text = "Thu ngân sách đạt 5.851 tỷ đồng. Tăng 17,7% so với năm 2020."
    first = _candidates(text)[0]
    assert _completed(text, first) == first.end


def test_a_completing_clause_keeps_a_figure_with_a_thousands_separator():
    text = "Thu ngân sách đạt 5.851 tỷ đồng; tăng 1.200 tỷ đồng so với năm 2020. Câu khác."
    first = _candidates(text)[0]
    assert text[first.start : _completed(text, first)] == (
        "Thu ngân sách đạt 5.851 tỷ đồng; tăng 1.200 tỷ đồng so với năm 2020."
    )


# --- _strip --------------------------------------------------------------------------------------


def _stripped(text: str) -> str:
    start, end = _strip(text, 0, len(text))
    return text[start:end]


def test_a_leading_dash_bullet_and_a_trailing_semicolon_go():
    assert _stripped("- Thu ngân sách đạt 5.851 tỷ đồng;") == "Thu ngân sách đạt 5.851 tỷ đồng"


def test_other_bullets_and_surrounding_space_go():
    assert _stripped("  + Kim ngạch xuất khẩu tăng;  ") == "Kim ngạch xuất khẩu tăng"
    assert _stripped("a) Quy chế làm việc;") == "Quy chế làm việc"
    assert _stripped("1. Kết quả đạt được:") == "Kết quả đạt được"


def test_a_figure_at_the_start_is_not_a_bullet():
    assert _stripped("5.851 tỷ đồng là tổng thu ngân sách.") == "5.851 tỷ đồng là tổng thu ngân sách."
    assert _stripped("12,5% hộ dân dùng nước sạch.") == "12,5% hộ dân dùng nước sạch."


def test_strip_works_inside_a_larger_text():
    text = "Mở đầu.\n- Đề án việc làm;\nKết thúc."
    start = text.index("-")
    end = text.index("\nKết")
    s, e = _strip(text, start, end)
    assert text[s:e] == "Đề án việc làm"


def _fake_scored(probabilities: list[float], holds_asked_kind: list[bool]) -> Scored:
    """A fake reader result (no model, no passages): probabilities and the type columns only."""
    rows = np.zeros((len(probabilities), len(FEATURES)), dtype=np.float32)
    for i, held in enumerate(holds_asked_kind):
        rows[i, FEATURES.index("type_held")] = float(held)
        rows[i, FEATURES.index("type_missing")] = float(not held)
    return Scored([], rows, np.array(probabilities), None)  # type: ignore[arg-type]


def test_a_nearly_as_likely_sentence_holding_the_asked_kind_answers_before_one_without():
    scored = _fake_scored([0.64, 0.50, 0.16], [False, True, True])
    assert _asked_kind_first(scored, [0, 1, 2]) == [1, 0, 2]


def test_a_much_less_likely_sentence_holding_the_asked_kind_does_not_overtake():
    scored = _fake_scored([0.64, 0.20], [False, True])
    assert _asked_kind_first(scored, [0, 1]) == [0, 1]


def test_the_best_sentence_holding_the_asked_kind_keeps_its_place():
    scored = _fake_scored([0.64, 0.60], [True, True])
    assert _asked_kind_first(scored, [0, 1]) == [0, 1]
