from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.abbreviations import (
    Abbreviations,
    default_abbreviations,
    load_abbreviations,
    parse_abbreviations,
)


@pytest.fixture(scope="module")
def abbr() -> Abbreviations:
    return default_abbreviations()


def test_bundled_list_is_large_and_has_the_core_entries(abbr: Abbreviations):
    assert len(abbr) >= 60
    for key in ["UBND", "HĐND", "KT-XH", "NTM", "PCI", "PAR INDEX", "SIPAS", "GRDP", "NSNN", "XDCB",
                "CCHC", "NN&PTNT", "KH&ĐT", "TT&TT", "LĐ-TB&XH", "HTX", "KCN", "FDI", "ODA", "TTg"]:
        assert key in abbr, key
    assert abbr.expansions_of("UBND") == ("Ủy ban nhân dân",)


def test_expand_appends_expansions(abbr: Abbreviations):
    out = abbr.expand("Chủ tịch UBND tỉnh báo cáo tình hình KT-XH")
    assert out.startswith("Chủ tịch UBND tỉnh báo cáo tình hình KT-XH ")
    assert "Ủy ban nhân dân" in out
    assert "kinh tế - xã hội" in out


def test_contract_appends_abbreviations_in_either_tone_style(abbr: Abbreviations):
    assert "UBND" in abbr.contract("Ủy ban nhân dân tỉnh").split()
    assert "UBND" in abbr.contract("Uỷ ban nhân dân tỉnh").split()  # old tone-mark style
    assert "UBND" in abbr.contract("ỦY BAN NHÂN DÂN TỈNH").split()
    assert "KT-XH" in abbr.contract("tình hình kinh tế xã hội").split()
    assert "KT-XH" in abbr.contract("tình hình kinh tế - xã hội").split()


def test_longest_expansion_wins(abbr: Abbreviations):
    added = abbr.contraction_additions("Phó Chủ tịch tỉnh")
    assert "PCT" in added and "CT" not in added


def test_accent_free_text_both_ways(abbr: Abbreviations):
    assert abbr.contract("uy ban nhan dan tinh ca mau").endswith(" ubnd")
    assert "kinh te - xa hoi" in abbr.expand("tinh hinh kt-xh nam 2021")
    assert "hoi dong nhan dan" in abbr.expand("hdnd tinh")
    # accent-free text with capitals keeps the capitals of the expansion, without accents
    assert "Hoi dong nhan dan" in abbr.expand("Chu tich HDND tinh")


def test_short_abbreviations_are_case_sensitive(abbr: Abbreviations):
    # "tu", "ca", "tp" are everyday syllables, not Tỉnh ủy / Công an / thành phố
    assert abbr.expand("tu tuong ca nhan tp") == "tu tuong ca nhan tp"
    assert "Tỉnh ủy" in abbr.expand("Ban Thường vụ TU")
    assert "thành phố" in abbr.expand("TP. Cà Mau")


def test_lowercase_long_abbreviations_match(abbr: Abbreviations):
    assert "Ủy ban nhân dân" in abbr.expand("chủ tịch ubnd tỉnh")
    assert "nông thôn mới" in abbr.expand("xã đạt chuẩn ntm")


def test_document_numbers_are_not_expanded(abbr: Abbreviations):
    assert abbr.expand("Quyết định 1631/QĐ-UBND") == "Quyết định 1631/QĐ-UBND"


def test_nothing_is_added_twice_or_when_already_spelled_out(abbr: Abbreviations):
    assert abbr.augment("Ủy ban nhân dân (UBND) tỉnh") == "Ủy ban nhân dân (UBND) tỉnh"
    out = abbr.expand("UBND tỉnh và UBND huyện")
    assert out.count("Ủy ban nhân dân") == 1


def test_augment_does_both(abbr: Abbreviations):
    out = abbr.augment("Sở KH&ĐT và Sở Nông nghiệp và Phát triển nông thôn")
    assert "Kế hoạch và Đầu tư" in out and "NN&PTNT" in out


def test_text_without_abbreviations_is_unchanged(abbr: Abbreviations):
    for text in ["", "   ", "!!!", "😀", "Thu ngân sách đạt 5.851 tỷ đồng"]:
        assert abbr.augment(text) == text


def test_parse_skips_comments_and_bad_lines(caplog: pytest.LogCaptureFixture):
    lines = ["# comment", "", "ABC\tmột hai ba\tmột-hai-ba", "no tab here", "XYZ\t", "ABC\tmột hai ba"]
    parsed = parse_abbreviations(lines, "test.tsv")
    assert parsed == {"ABC": ["một hai ba", "một-hai-ba"]}
    assert "test.tsv:4" in caplog.text


def test_user_file_extends_the_bundled_list(tmp_path: Path):
    user = tmp_path / "mine.tsv"
    user.write_text("# mine\nSTTTT\tSở Thông tin và Truyền thông\nUBND\tUB nhân dân\n", encoding="utf-8")
    table = load_abbreviations(user)
    assert "Sở Thông tin và Truyền thông" in table.expand("Giám đốc STTTT")
    assert "STTTT" in table.contract("Sở Thông tin và Truyền thông").split()
    assert table.expansions_of("UBND") == ("Ủy ban nhân dân", "UB nhân dân")
    assert len(table) == len(default_abbreviations()) + 1


def test_missing_user_file_is_an_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="abbreviation file"):
        load_abbreviations(tmp_path / "nope.tsv")


def test_long_text_is_fast(abbr: Abbreviations):
    text = "Ủy ban nhân dân tỉnh và HĐND tỉnh về phát triển KT-XH, xây dựng NTM. " * 150
    start = time.perf_counter()
    abbr.augment(text)
    assert time.perf_counter() - start < 10.0  # catastrophic backtracking only, not a speed target


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_augment_never_fails_and_keeps_the_text(text: str):
    out = default_abbreviations().augment(text)
    assert out.startswith(text)
