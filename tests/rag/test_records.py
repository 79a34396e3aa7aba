"""``SearchFilters``: provinces match as people type them, years on period or issue date."""

from __future__ import annotations

import unicodedata

import pytest

from rag.records import DocumentMetadata, Period, SearchFilters
from rag.text.provinces import canonical_province_name

CA_MAU = DocumentMetadata(province="Cà Mau", date="2021-12-20", period=Period("year", 2021))
HCM = DocumentMetadata(province="Hồ Chí Minh", date="2020-08-05")


@pytest.mark.parametrize("typed", ["Cà Mau", "ca mau", "Ca Mau", "CA MAU", "tỉnh Cà Mau", "tinh ca mau",
                                   "  cà   mau "])
def test_a_province_filter_matches_without_diacritics_case_or_title(typed: str):
    assert SearchFilters(province=typed).accepts("a.txt", CA_MAU)
    assert SearchFilters(province=unicodedata.normalize("NFD", typed)).accepts("a.txt", CA_MAU)


@pytest.mark.parametrize("typed", ["TP HCM", "tp.hcm", "TP. Hồ Chí Minh", "thanh pho ho chi minh",
                                   "Hồ Chí Minh"])
def test_a_city_filter_matches_its_aliases_and_titles(typed: str):
    assert SearchFilters(province=typed).accepts("b.txt", HCM)


def test_a_province_filter_rejects_other_provinces_and_documents_without_one():
    assert not SearchFilters(province="bac lieu").accepts("a.txt", CA_MAU)  # merged in 2025, still another
    assert not SearchFilters(province="ca mau").accepts("b.txt", HCM)
    assert not SearchFilters(province="ca mau").accepts("c.txt", DocumentMetadata())


def test_an_unknown_place_still_compares_without_diacritics_or_case():
    other = DocumentMetadata(province="Viêng Chăn")
    assert SearchFilters(province="vieng chan").accepts("d.txt", other)
    assert not SearchFilters(province="vieng").accepts("d.txt", other)


def test_the_province_name_of_a_filter_is_canonical_when_known():
    assert SearchFilters(province="ca mau").province_name == "Cà Mau"
    assert SearchFilters(province="tp hcm").province_name == "Hồ Chí Minh"
    assert SearchFilters(province=" Atlantis ").province_name == "Atlantis"
    assert SearchFilters().province_name is None


def test_canonical_province_name_reads_typed_spellings():
    assert canonical_province_name("thua thien hue") == "Thừa Thiên Huế"
    assert canonical_province_name("ba ria vung tau") == "Bà Rịa - Vũng Tàu"
    assert canonical_province_name("Thành phố Cần Thơ") == "Cần Thơ"
    assert canonical_province_name("thanh hoa") == "Thanh Hóa"  # not "thành phố" + "hoa"
    assert canonical_province_name("tỉnh") is None and canonical_province_name("Atlantis") is None


def test_a_year_filter_matches_the_period_year_or_the_issue_year():
    late = DocumentMetadata(date="2022-01-10", period=Period("year", 2021))
    assert SearchFilters(year=2021).accepts("a.txt", late)
    assert SearchFilters(year=2022).accepts("a.txt", late)
    assert not SearchFilters(year=2020).accepts("a.txt", late)
    assert not SearchFilters(year=2020).accepts("a.txt", DocumentMetadata())


def test_filters_combine_and_a_doc_filter_names_one_document():
    both = SearchFilters(province="ca mau", year=2021, doc="a.txt")
    assert both.active and both.accepts("a.txt", CA_MAU)
    assert not both.accepts("other.txt", CA_MAU)
    assert not SearchFilters(province="ca mau", year=2020).accepts("a.txt", CA_MAU)
    assert not SearchFilters().active and SearchFilters().accepts("x", DocumentMetadata())
