from __future__ import annotations

import numpy as np

from rag.answer.candidates import Candidate
from rag.answer.extractive import Scored, _asked_kind_first, _completed, _strip, enumeration
from rag.answer.features import FEATURES
from rag.records import DocumentMetadata
from rag.text.sentences import sentence_spans

LIST_TEXT = (
    "Phiên họp khai mạc lúc 8 giờ.\n"
    "UBND tỉnh cho ý kiến vào 3 tờ trình về:\n"
    "Quy chế làm việc;\n"
    "Đề án vị trí việc làm;\n"
    "Kế hoạch đầu tư công.\n"
    "Phiên họp kết thúc lúc 17 giờ."
)
LEAD_IN, FIRST, SECOND, LAST = 1, 2, 3, 4  # indices of the sentences of LIST_TEXT


def _candidates(text: str, doc_id: str = "a.txt") -> list[Candidate]:
    """One candidate per sentence of ``text``, as the reader gathers them."""
    return [
        Candidate(doc_id, s, e, "c1", 0, 1.0, DocumentMetadata(), "", text[s:e], text, i, None)
        for i, (s, e) in enumerate(sentence_spans(text, 0, len(text)))
    ]


def test_the_list_text_splits_into_one_sentence_per_item():
    assert [c.text for c in _candidates(LIST_TEXT)] == [
        "Phiên họp khai mạc lúc 8 giờ.", "UBND tỉnh cho ý kiến vào 3 tờ trình về:", "Quy chế làm việc;",
        "Đề án vị trí việc làm;", "Kế hoạch đầu tư công.", "Phiên họp kết thúc lúc 17 giờ.",
    ]


# --- enumeration ---------------------------------------------------------------------------------


def test_from_the_lead_in_the_enumeration_runs_forward_over_every_item():
    assert enumeration(_candidates(LIST_TEXT), LEAD_IN) == [FIRST, SECOND, LAST]


def test_from_the_last_item_the_enumeration_runs_back_to_the_lead_in():
    assert enumeration(_candidates(LIST_TEXT), LAST) == [LEAD_IN, FIRST, SECOND]


def test_from_a_middle_item_the_enumeration_runs_both_ways():
    assert enumeration(_candidates(LIST_TEXT), SECOND) == [LEAD_IN, FIRST, LAST]
    assert enumeration(_candidates(LIST_TEXT), FIRST) == [LEAD_IN, SECOND, LAST]


def test_sentences_ended_by_a_full_stop_are_outside_the_enumeration():
    cands = _candidates(LIST_TEXT)
    assert enumeration(cands, 0) == []
    assert enumeration(cands, 5) == []
    assert 0 not in enumeration(cands, LAST) and 5 not in enumeration(cands, LEAD_IN)


def test_sentences_of_another_document_never_join():
    # the other document has the same spans: only the doc_id keeps the lists apart
    cands = _candidates(LIST_TEXT, "a.txt") + _candidates(LIST_TEXT, "b.txt")
    assert enumeration(cands, LEAD_IN) == [FIRST, SECOND, LAST]
    offset = len(_candidates(LIST_TEXT))
    assert enumeration(cands, offset + SECOND) == [offset + LEAD_IN, offset + FIRST, offset + LAST]


def test_candidates_out_of_reading_order_are_read_in_order():
    cands = list(reversed(_candidates(LIST_TEXT)))
    lead_in = next(i for i, c in enumerate(cands) if c.position == LEAD_IN)
    texts = [cands[i].text for i in enumeration(cands, lead_in)]
    assert texts == ["Quy chế làm việc;", "Đề án vị trí việc làm;", "Kế hoạch đầu tư công."]


def test_a_sentence_missing_between_items_breaks_the_enumeration():
    cands = [c for c in _candidates(LIST_TEXT) if c.position != SECOND]  # not among the top passages
    at_last = next(i for i, c in enumerate(cands) if c.position == LAST)
    assert [cands[i].position for i in enumeration(cands, at_last)] == []


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
