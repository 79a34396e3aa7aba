"""Filters that explain themselves: what each one excluded, and why nothing is left."""

from __future__ import annotations

import dataclasses

import pytest

from rag.answer.refusal import NOT_FOUND, is_refusal
from rag.records import DocumentMetadata, Period, SearchFilters
from rag.retrieve.filters import FilterReport, describe_filters, explain_filters, not_found_note

DOCS = {
    "001_cm_2021.txt": DocumentMetadata(province="Cà Mau", date="2021-12-20", period=Period("year", 2021)),
    "002_cm_2020.txt": DocumentMetadata(province="Cà Mau", date="2020-08-30",
                                        period=Period("month", 2020, 8)),
    "003_cm_2019.txt": DocumentMetadata(province="Cà Mau", date="2019-11-05"),
    "004_hcm_2021.txt": DocumentMetadata(province="Hồ Chí Minh", date="2021-03-01"),
    "005_unknown.txt": DocumentMetadata(),
}


def test_no_active_filter_allows_every_document_and_says_nothing():
    for filters in (None, SearchFilters()):
        report = explain_filters(filters, DOCS)
        assert report.allowed == frozenset(DOCS) and report.total == 5
        assert not report.active and not report.empty
        assert report.notes == () and report.message is None
        assert describe_filters(filters) == "" and not_found_note(filters, report) == ""


def test_a_year_filter_says_how_many_documents_it_excluded():
    report = explain_filters(SearchFilters(year=2020), DOCS)
    assert report.allowed == {"002_cm_2020.txt"} and not report.empty
    assert dict(report.excluded) == {"year": 4}
    assert report.notes == (
        "Bộ lọc năm 2020 loại 4 trong 5 tài liệu (year filter 2020 excluded 4 of 5 documents).",)
    assert report.message is None


def test_an_unknown_document_is_named_as_missing_with_similar_names():
    report = explain_filters(SearchFilters(doc="nope.txt"), DOCS)
    assert report.empty and report.allowed == frozenset()
    assert report.message == "Không có tài liệu nào tên nope.txt (no such document: nope.txt)."
    typo = explain_filters(SearchFilters(doc="001_cm_2021"), DOCS)
    assert typo.message is not None and "no such document: 001_cm_2021" in typo.message
    assert "001_cm_2021.txt" in typo.message


def test_a_province_no_document_has_lists_the_provinces_the_index_has():
    report = explain_filters(SearchFilters(province="bac lieu"), DOCS)
    assert report.empty
    assert report.message == (
        "Không có tài liệu nào của tỉnh Bạc Liêu (no document from Bạc Liêu). "
        "Các tỉnh, thành phố có trong chỉ mục: Cà Mau, Hồ Chí Minh "
        "(provinces in the index: Cà Mau, Hồ Chí Minh)."
    )


def test_a_province_typed_without_diacritics_keeps_its_documents():
    report = explain_filters(SearchFilters(province="ca mau"), DOCS)
    assert report.allowed == {"001_cm_2021.txt", "002_cm_2020.txt", "003_cm_2019.txt"}
    assert report.notes == (
        "Bộ lọc tỉnh Cà Mau loại 2 trong 5 tài liệu (province filter Cà Mau excluded 2 of 5 documents).",)


def test_a_year_no_document_has_lists_the_years_of_the_index():
    report = explain_filters(SearchFilters(province="ca mau", year=2030), DOCS)
    assert report.empty and dict(report.excluded) == {"province": 2, "year": 5}
    assert report.message == (
        "Không có tài liệu nào của năm 2030 (no document from 2030). "
        "Các năm có trong chỉ mục: 2019, 2020, 2021 (years in the index: 2019, 2020, 2021)."
    )
    assert report.notes[0].startswith("Bộ lọc tỉnh Cà Mau loại 2 trong 5 tài liệu")


def test_filters_that_each_leave_documents_but_none_together_name_every_filter():
    report = explain_filters(SearchFilters(province="TP HCM", year=2020), DOCS)
    assert report.empty
    assert report.message is not None
    assert "Bộ lọc thành phố Hồ Chí Minh loại 4 trong 5 tài liệu" in report.message
    assert "Bộ lọc năm 2020 loại 4 trong 5 tài liệu" in report.message
    assert report.message.endswith("(together the filters leave no document).")


def test_a_filter_that_excludes_nothing_says_so():
    report = explain_filters(SearchFilters(doc="001_cm_2021.txt", year=2021), DOCS)
    assert report.allowed == {"001_cm_2021.txt"}
    assert report.notes == (
        "Bộ lọc năm 2021 loại 3 trong 5 tài liệu (year filter 2021 excluded 3 of 5 documents).",
        "Bộ lọc tài liệu 001_cm_2021.txt loại 4 trong 5 tài liệu "
        "(document filter 001_cm_2021.txt excluded 4 of 5 documents).",
    )
    none = explain_filters(SearchFilters(year=2021), {"001_cm_2021.txt": DOCS["001_cm_2021.txt"]})
    assert none.notes == (
        "Bộ lọc năm 2021 không loại tài liệu nào (year filter 2021 excluded none of 1 documents).",)


def test_an_empty_index_says_it_holds_no_documents():
    report = explain_filters(SearchFilters(year=2020), {})
    assert report.empty and report.message == "Chỉ mục chưa có tài liệu nào (the index holds no documents)."


def test_the_report_agrees_with_accepts():
    for filters in (SearchFilters(province="ca mau"), SearchFilters(year=2021),
                    SearchFilters(doc="005_unknown.txt"), SearchFilters(province="hcm", year=2021)):
        expected = {d for d, meta in DOCS.items() if filters.accepts(d, meta)}
        assert explain_filters(filters, DOCS).allowed == expected


def test_describe_filters_names_each_active_filter():
    assert describe_filters(SearchFilters(province="ca mau", year=2020, doc="a.txt")) == (
        "Bộ lọc: tỉnh Cà Mau, năm 2020, tài liệu a.txt (filters: province Cà Mau, year 2020, document a.txt)")


def test_the_not_found_note_names_the_filters_and_keeps_the_refusal_a_refusal():
    filters = SearchFilters(year=2020)
    report = explain_filters(filters, DOCS)
    note = not_found_note(filters, report)
    assert note.startswith("Chỉ tìm trong 1/5 tài liệu thỏa bộ lọc: năm 2020;")
    assert "(searched only the 1 of 5 documents matching the filters: year 2020;" in note
    assert is_refusal(f"{NOT_FOUND} {note}")
    assert "trong các tài liệu thỏa bộ lọc: tỉnh Cà Mau" in not_found_note(SearchFilters(province="ca mau"))


def test_the_report_is_a_frozen_record():
    report = explain_filters(SearchFilters(year=2020), DOCS)
    assert isinstance(report, FilterReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.total = 0  # type: ignore[misc]
