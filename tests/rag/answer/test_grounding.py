"""The grounding check: cited sentences survive only when their cited sources state their facts."""

from __future__ import annotations

import pytest

from rag.answer.grounding import check_grounding, extract_facts, numbers_equal, parse_number

SRC_BUDGET = (
    "Tổng thu ngân sách nhà nước trên địa bàn năm 2021 đạt 5.851 tỷ đồng, tăng 6,8% so với cùng kỳ; "
    "tỷ lệ hộ nghèo còn 1.112,5 hộ, đạt 74,4% kế hoạch."
)
SRC_DECISION = (
    "Thực hiện Quyết định số 1631/QĐ-UBND ngày 23 tháng 6 năm 2020 của UBND tỉnh và Nghị quyết 84/NQ-CP, "
    "hội nghị được tổ chức ngày 26/8/2020."
)


@pytest.mark.parametrize(
    ("a", "b"),
    [("5.851", "5851"), ("5.851", "5.851,0"), ("5851", "5.851,00"), ("6,8", "6,80"), ("1.112,5", "1112,5"),
     ("74,4%", "74,4"), ("1.234.567", "1234567")],
)
def test_numbers_equal_as_numbers(a: str, b: str) -> None:
    assert numbers_equal(a, b)
    assert numbers_equal(b, a)


@pytest.mark.parametrize(
    ("a", "b"), [("58,51", "5.851"), ("5,851", "5.851"), ("6,8", "68"), ("5.851", "5.852")]
)
def test_numbers_not_equal(a: str, b: str) -> None:
    assert not numbers_equal(a, b)


def test_parse_number_vietnamese_format() -> None:
    assert parse_number("5.851") == 5851
    assert str(parse_number("1.112,5")) == "1112.5"
    assert str(parse_number("6,8")) == "6.8"
    assert parse_number("abc") is None
    assert not numbers_equal("abc", "abc")


def test_extract_facts_numbers_dates_docrefs() -> None:
    text = (
        "Thu 5.851 tỷ đồng, tăng 6,8%, đạt 74,4% [1]; Quyết định 1631/QĐ-UBND ngày 23 tháng 6 năm 2020, "
        "Nghị quyết 84/NQ-CP, họp ngày 26/8/2020, chi 1.112,5 tỷ [2]."
    )
    assert extract_facts(text) == [
        "5.851", "6,8", "74,4", "1631/QĐ-UBND", "ngày 23 tháng 6 năm 2020", "84/NQ-CP", "26/8/2020",
        "1.112,5",
    ]


def test_extract_facts_ignores_markers_and_codes() -> None:
    assert extract_facts("Dịch COVID-19 và cúm H5N1 được kiểm soát [1][2] [3, 4].") == []


def test_grounded_sentence_kept_with_numbers_written_differently() -> None:
    result = check_grounding("Năm 2021 thu ngân sách đạt 5851 tỷ đồng [1].", {1: SRC_BUDGET})
    assert result.kept == ["Năm 2021 thu ngân sách đạt 5851 tỷ đồng [1]."]
    assert result.text == "Năm 2021 thu ngân sách đạt 5851 tỷ đồng [1]."
    assert result.cited == [1]
    assert result.dropped == []
    assert result.ok


def test_sentence_without_citation_dropped() -> None:
    result = check_grounding(
        "Thu ngân sách đạt 5.851 tỷ đồng [1]. Tăng 6,8% so với cùng kỳ.", {1: SRC_BUDGET}
    )
    assert result.kept == ["Thu ngân sách đạt 5.851 tỷ đồng [1]."]
    assert len(result.dropped) == 1
    assert result.dropped[0][0].startswith("Tăng 6,8%")
    assert "citation" in result.dropped[0][1]


def test_number_absent_from_cited_source_dropped_even_if_uncited_source_has_it() -> None:
    sources = {1: SRC_DECISION, 2: SRC_BUDGET}
    result = check_grounding("Thu ngân sách đạt 5.851 tỷ đồng [1].", sources)
    assert result.kept == []
    assert result.text == ""
    assert "5.851" in result.dropped[0][1]
    # the same sentence citing the source that states it is kept
    assert check_grounding("Thu ngân sách đạt 5.851 tỷ đồng [2].", sources).kept


def test_changed_or_rounded_number_dropped() -> None:
    for wrong in ("5.850", "58,51", "5,9 nghìn", "6,9%"):
        result = check_grounding(f"Chỉ tiêu đạt {wrong} [1].", {1: SRC_BUDGET})
        assert result.text == "", wrong


def test_markers_to_unknown_sources_removed() -> None:
    result = check_grounding("Thu ngân sách đạt 5.851 tỷ đồng [1][7]. Tăng 6,8% [9].", {1: SRC_BUDGET})
    assert result.text == "Thu ngân sách đạt 5.851 tỷ đồng [1]."
    assert result.cited == [1]
    assert result.dropped[0][0].startswith("Tăng 6,8%")
    assert "unknown" in result.dropped[0][1]


def test_marker_forms() -> None:
    sources = {1: SRC_BUDGET, 2: SRC_DECISION}
    for answer in (
        "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND [1, 2].",
        "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND [1][2].",
        "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND [1] [2].",
        "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND. [1; 2]",
        "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND.[1][2]",
    ):
        result = check_grounding(answer, sources)
        assert result.text == "Thu đạt 5.851 tỷ đồng theo Quyết định 1631/QĐ-UBND [1][2].", answer
        assert result.cited == [1, 2]


def test_dates_compared_as_dates() -> None:
    sources = {1: SRC_DECISION}
    assert check_grounding("Quyết định ban hành ngày 23/6/2020 [1].", sources).kept
    assert check_grounding("Hội nghị tổ chức ngày 26 tháng 8 năm 2020 [1].", sources).kept
    assert check_grounding("Hội nghị tổ chức tháng 8/2020 [1].", sources).kept
    assert not check_grounding("Hội nghị tổ chức ngày 27/8/2020 [1].", sources).kept
    assert not check_grounding("Quyết định ban hành ngày 23 tháng 6 năm 2021 [1].", sources).kept


def test_document_references_checked() -> None:
    sources = {1: SRC_DECISION}
    assert check_grounding("Căn cứ Quyết định số 1631/QĐ-UBND [1].", sources).kept
    assert check_grounding("Căn cứ Nghị quyết 84/nq-cp [1].", sources).kept  # case does not matter
    result = check_grounding("Căn cứ Quyết định số 1632/QĐ-UBND [1].", sources)
    assert not result.kept and "1632/QĐ-UBND" in result.dropped[0][1]
    assert not check_grounding("Căn cứ Nghị quyết 84/NQ-TW [1].", sources).kept


def test_all_dropped_gives_empty_text() -> None:
    result = check_grounding(
        "Thu ngân sách đạt 9.999 tỷ đồng [1]. Không có nguồn. Xem thêm [5].", {1: SRC_BUDGET}
    )
    assert result.text == ""
    assert result.kept == []
    assert result.cited == []
    assert len(result.dropped) == 3
    assert not result.ok


def test_not_found_reply_has_no_citation_and_is_dropped() -> None:
    result = check_grounding("Không tìm thấy thông tin này trong các tài liệu đã nạp.", {1: SRC_BUDGET})
    assert result.text == ""


def test_sentence_without_facts_but_cited_kept() -> None:
    result = check_grounding("Thu ngân sách tăng so với cùng kỳ [1].", {1: SRC_BUDGET})
    assert result.kept == ["Thu ngân sách tăng so với cùng kỳ [1]."]


def test_unicode_forms_normalised_before_comparing() -> None:
    # decomposed (NFD) answer text and old-style tone marks in the source
    import unicodedata

    answer = unicodedata.normalize("NFD", "Căn cứ Quyết định 1631/QĐ-UBND [1].")
    source = "Theo Quyết định số 1631/QĐ-UBND của Uỷ ban nhân dân tỉnh."
    assert check_grounding(answer, {1: source}).kept


def test_multiple_sentences_each_checked_against_own_citations() -> None:
    sources = {1: SRC_BUDGET, 2: SRC_DECISION}
    answer = "Thu ngân sách đạt 5.851 tỷ đồng [1]. Hội nghị họp ngày 26/8/2020 [2]. Tăng 6,8% [2]."
    result = check_grounding(answer, sources)
    assert result.kept == ["Thu ngân sách đạt 5.851 tỷ đồng [1].", "Hội nghị họp ngày 26/8/2020 [2]."]
    assert result.text == "Thu ngân sách đạt 5.851 tỷ đồng [1]. Hội nghị họp ngày 26/8/2020 [2]."
    assert result.cited == [1, 2]
    assert result.dropped == [("Tăng 6,8% [2].", "not in cited sources [2]: '6,8'")]


def test_only_markers_is_not_an_answer() -> None:
    assert check_grounding("[1]", {1: SRC_BUDGET}).text == ""
    assert check_grounding("", {1: SRC_BUDGET}).text == ""


@pytest.mark.parametrize(
    "number", ["1631/QĐ-UBND", "15/2020/NĐ-CP", "59/2020/QH14", "84/nq-cp", "12a/CĐ-UBND", "1631/QĐ–UBND"]
)
def test_grounding_reads_a_document_number_whole_as_the_question_analyser_does(number: str) -> None:
    from rag.query.analyze import doc_number_mentions

    assert extract_facts(f"Theo văn bản {number} [1].") == [number]
    read = [n for _, _, n in doc_number_mentions(f"Theo văn bản {number}")]
    assert read == [number.replace("–", "-").upper()]
