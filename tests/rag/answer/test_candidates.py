"""Candidate sentences: enumerations, and items read with the lead-in they complete (no index: the
candidates are built from a text the way the reader gathers them)."""

from __future__ import annotations

import numpy as np

from rag.answer.candidates import (
    Candidate,
    _with_antecedents,
    _with_lead_ins,
    antecedent,
    enumeration,
    lead_in,
)
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


# --- items read with their lead-in -----------------------------------------------------------

RULE_TEXT = (
    "Người nào khai thác cát mà không có giấy phép thì bị phạt tiền từ 10 triệu đồng đến 20 triệu đồng.\n"
    "Người nào khai thác cát thuộc một trong các trường hợp sau đây thì bị phạt tiền từ 50 triệu đồng"
    " đến 100 triệu đồng: khai thác trong hành lang bảo vệ bờ sông;\n"
    "dùng phương tiện không đăng ký;\n"
    "khai thác vào ban đêm.\n"
    "Tái phạm thì bị tước giấy phép."
)
OPENER, NIGHT = 1, 3  # the sentence holding the lead-in, and the last item


def test_an_item_in_lower_case_is_a_clause_of_the_sentence_its_lead_in_opens():
    cands = _candidates(RULE_TEXT)
    assert cands[NIGHT].text == "khai thác vào ban đêm."
    assert lead_in(cands, NIGHT) == OPENER
    assert lead_in(cands, NIGHT - 1) == OPENER


def test_a_capitalised_item_the_lead_in_itself_and_a_plain_sentence_need_no_lead_in():
    assert lead_in(_candidates(LIST_TEXT), LAST) is None  # "Kế hoạch đầu tư công." is a sentence of its own
    assert lead_in(_candidates(RULE_TEXT), OPENER) is None
    assert lead_in(_candidates(RULE_TEXT), 0) is None


def test_an_item_stating_a_figure_of_its_own_is_a_fact_by_itself():
    report = (
        "Tuy nhiên, tình hình sản xuất kinh doanh ở một số lĩnh vực vẫn còn khó khăn:\n"
        "- sản lượng công nghiệp giảm 17,7% so tháng trước;\n"
        "- kim ngạch xuất khẩu đạt thấp so với kế hoạch (48,4%)."
    )
    cands = _candidates(report)
    assert cands[2].text.endswith("(48,4%).")
    assert lead_in(cands, 1) is None and lead_in(cands, 2) is None


def test_an_item_is_read_with_the_lead_in_up_to_its_colon_and_the_joined_vector():
    cands = [
        Candidate(c.doc_id, c.start, c.end, c.chunk_id, 0, 1.0, c.meta, "", c.text, c.context, c.position,
                  np.eye(4, dtype=np.float32)[min(i, 3)])
        for i, c in enumerate(_candidates(RULE_TEXT))
    ]
    read = _with_lead_ins(cands)
    assert read[NIGHT].read == (
        "Người nào khai thác cát thuộc một trong các trường hợp sau đây thì bị phạt tiền từ 50 triệu đồng"
        " đến 100 triệu đồng: khai thác vào ban đêm."
    )
    assert read[NIGHT].text == "khai thác vào ban đêm."  # the quote stays the item as written
    assert np.allclose(read[NIGHT].vector, np.array([0, 1, 0, 1]) / np.sqrt(2))
    assert read[0].read == read[0].text and read[0].reading == ""


# --- antecedent ----------------------------------------------------------------------------------

POINTING_TEXT = (
    "Sourigna Vongsa là vị vua cuối cùng của vương quốc Lan Xang. "
    "Thời gian trị vì của ông được coi là thời hoàng kim của Lào. "
    "Ông sinh vào khoảng 1608 tại Luang Phrabang. "
    "Đây là một đời vua dài."
)


def test_a_sentence_pointing_back_has_the_sentence_before_it_as_antecedent():
    cands = _candidates(POINTING_TEXT)
    assert antecedent(cands, 1) == 0


def test_a_pointer_before_a_pointer_passes_the_antecedent_on_within_reach():
    cands = _candidates(POINTING_TEXT)
    assert antecedent(cands, 2) == 0  # "Ông sinh …" ← "… của ông …" ← "Sourigna Vongsa …"
    assert antecedent(cands, 3) is None  # three pointers back: beyond reach


def test_a_sentence_naming_its_subject_or_opening_its_passage_has_no_antecedent():
    cands = _candidates(POINTING_TEXT)
    assert antecedent(cands, 0) is None
    other = _candidates("Đây là viên chức cao cấp nhất.")
    assert antecedent(other, 0) is None


def test_the_antecedent_is_sought_in_the_same_passage_only():
    cands = _candidates(POINTING_TEXT)
    moved = [cands[0]] + [Candidate(**{**c.__dict__, "chunk_id": "c2"}) for c in cands[1:]]
    assert antecedent(moved, 1) is None


def test_a_sentence_pointing_back_is_read_with_its_antecedent_and_the_joined_vector():
    cands = [
        Candidate(c.doc_id, c.start, c.end, c.chunk_id, 0, 1.0, c.meta, "", c.text, c.context, c.position,
                  np.eye(4, dtype=np.float32)[i])
        for i, c in enumerate(_candidates(POINTING_TEXT))
    ]
    read = _with_antecedents(cands)
    assert read[2].read == (
        "Sourigna Vongsa là vị vua cuối cùng của vương quốc Lan Xang."
        " Ông sinh vào khoảng 1608 tại Luang Phrabang."
    )
    assert read[2].text == "Ông sinh vào khoảng 1608 tại Luang Phrabang."  # the quote stays as written
    assert np.allclose(read[2].vector, np.array([1, 0, 1, 0]) / np.sqrt(2))
    assert read[0].reading == "" and read[3].reading == ""  # names its subject; points beyond reach


def test_a_connective_that_joins_two_events_is_no_pointer():
    cands = _candidates("Đảng Lao động thắng cử năm 1997. Sau đó Anh đã ký Thỏa thuận về Chính sách xã hội.")
    assert antecedent(cands, 1) is None
