"""Reporting periods read from text and written back (rag/text/periods.py): the one recogniser."""

from __future__ import annotations

import re

import pytest

from rag.records import Period
from rag.text.periods import (
    QUARTER_NUMBER,
    find_period_mentions,
    find_periods,
    period_label,
    quarter_number,
    reported_period,
    roman_quarter,
    years_spanned,
)

# ---------------------------------------------------------------------------------------------
# find_periods: question-style strings (moved from tests/rag/ingest/test_metadata.py)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Thu ngân sách năm 2021 của Cà Mau", ["2021"]),
        ("tháng 8/2020", ["2020-08"]),
        ("tháng 8 năm 2020", ["2020-08"]),
        ("tháng 12/2019", ["2019-12"]),
        ("6 tháng đầu năm 2020", ["2020-H1"]),
        ("06 tháng cuối năm 2020", ["2020-H2"]),
        ("sáu tháng đầu năm 2019", ["2019-H1"]),
        ("quý III/2021", ["2021-Q3"]),
        ("quý III năm 2021", ["2021-Q3"]),
        ("Quý 1/2021", ["2021-Q1"]),
        ("quý IV-2020", ["2020-Q4"]),
        ("9 tháng năm 2022", ["2022-9M"]),
        ("9 tháng đầu năm 2022", ["2022-9M"]),
        ("năm 2021", ["2021"]),
        ("so sánh quý II/2021 với 6 tháng đầu năm 2020", ["2021-Q2", "2020-H1"]),
    ],
)
def test_find_periods(text: str, codes: list[str]) -> None:
    assert [p.code for p in find_periods(text)] == codes


@pytest.mark.parametrize(
    "text",
    [
        "ngày 03 tháng 9 năm 2020",  # a date, not a period
        "Công điện số 03/CĐ-UBND ngày 03/8/2020",
        "Kế hoạch 5 năm 2021 - 2025",  # a range
        "năm học 2020-2021",
        "8 tháng năm 2020",  # a running total, not one of the period kinds
        "phiên họp thường kỳ tháng 8",  # no year
        "tháng 13/2020",
        "Sáng 31.8",
    ],
)
def test_find_periods_ignores_non_periods(text: str) -> None:
    assert find_periods(text) == []


def test_find_periods_accepts_both_tone_styles() -> None:
    assert find_periods("Quý III/2021 của tỉnh Khánh Hoà") == [Period("quarter", 2021, 3)]


def test_mention_spans_index_the_text_given_in_either_tone_style():
    text = "Báo cáo Quý III/2021, so với cùng kỳ năm 2020 của tỉnh Khánh Hoà"
    mentions = [m for m in find_period_mentions(text) if m.period is not None]
    assert [text[m.start : m.end] for m in mentions] == ["Quý III/2021", "năm 2020"]
    assert [m.comparison for m in mentions] == [False, True]


# ---------------------------------------------------------------------------------------------
# Quarters' Roman numerals and period labels: one table, one writer


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_a_quarter_written_in_roman_numerals_reads_back_as_itself(quarter: int) -> None:
    numeral = roman_quarter(quarter)
    assert quarter_number(numeral) == quarter_number(numeral.lower()) == quarter
    assert find_periods(f"quý {numeral}/2021") == [Period("quarter", 2021, quarter)]


def test_quarter_numerals_are_written_as_reports_write_them():
    assert [roman_quarter(q) for q in (1, 2, 3, 4)] == ["I", "II", "III", "IV"]
    assert quarter_number("3") == 3


def test_the_quarter_number_pattern_takes_the_four_quarters_only():
    written = ["I", "II", "III", "IV", "iii", "1", "2", "3", "4"]
    assert all(re.fullmatch(QUARTER_NUMBER, w, re.IGNORECASE) for w in written)
    assert not any(re.fullmatch(QUARTER_NUMBER, w, re.IGNORECASE) for w in ["V", "IIII", "0", "5", "VI"])


@pytest.mark.parametrize(
    ("period", "plain", "roman"),
    [
        (Period("month", 2020, 8), "tháng 8 năm 2020", "tháng 8 năm 2020"),
        (Period("quarter", 2021, 3), "quý 3 năm 2021", "quý III năm 2021"),
        (Period("half", 2020, 1), "6 tháng đầu năm 2020", "6 tháng đầu năm 2020"),
        (Period("half", 2020, 2), "6 tháng cuối năm 2020", "6 tháng cuối năm 2020"),
        (Period("nine_months", 2022), "9 tháng năm 2022", "9 tháng năm 2022"),
        (Period("year", 2021), "năm 2021", "năm 2021"),
    ],
)
def test_period_label_writes_each_kind_and_records_use_it(period: Period, plain: str, roman: str) -> None:
    assert period_label(period) == plain == period.label
    assert period_label(period, roman=True) == roman


@pytest.mark.parametrize(
    "period",
    [
        Period("month", 2020, 8),
        Period("quarter", 2021, 3),
        Period("half", 2020, 2),
        Period("nine_months", 2022),
        Period("year", 2021),
    ],
)
def test_a_written_label_reads_back_as_the_same_period(period: Period) -> None:
    assert find_periods(period_label(period)) == [period]
    assert find_periods(period_label(period, roman=True)) == [period]


# ---------------------------------------------------------------------------------------------
# reported_period: a document's opening, segment by segment


def test_reported_period_takes_the_first_period_that_is_no_comparison():
    segments = ["Báo cáo kết quả", "Tăng 5% so với cùng kỳ năm 2020. Kết quả 6 tháng đầu năm 2021 như sau."]
    assert reported_period(segments) == Period("half", 2021, 1)


def test_reported_period_skips_dates():
    assert reported_period(["Chiều ngày 03 tháng 9 năm 2020, UBND họp về tình hình tháng 8 năm 2020."]) == (
        Period("month", 2020, 8)
    )


def test_reported_period_completes_a_yearless_month_from_the_issue_date_only():
    segments = ["Phiên họp thường kỳ tháng 12", "Kế hoạch năm 2021 được thông qua."]
    assert reported_period(segments, issue_date="2021-01-05") == Period("month", 2020, 12)
    assert reported_period(segments) is None  # "năm 2021" is not the month's year


def test_reported_period_completes_a_yearless_month_from_a_cumulative_count():
    assert reported_period(["Phiên họp tháng 8", "Kết quả 8 tháng năm 2021."]) == Period("month", 2021, 8)


def test_reported_period_completes_a_yearless_month_from_the_same_period_it_compares_with():
    segments = [
        "Sáng 31.8, UBND tỉnh tổ chức phiên họp thường kỳ tháng 8, phương hướng nhiệm vụ tháng 9.",
        "Diện tích gieo trồng tăng 0,4% so với cùng kỳ năm 2020; tăng 2% so với cùng kỳ năm 2019.",
    ]
    assert reported_period(segments) == Period("month", 2021, 8)  # the latest year compared with, plus one
    # a comparison with a whole year ("so với năm 2019") says nothing of the report's year
    assert reported_period(["Phiên họp thường kỳ tháng 8", "tăng 5% so với năm 2019"]) is None


def test_a_from_to_span_of_years_holds_every_year_between():
    assert years_spanned("là người giàu nhất thế giới từ 1995 tới 2014, ngoại trừ năm 2008") == set(range(1995, 2015))
    assert years_spanned("Từ năm 2016 đến năm 2020, tỉnh xây dựng 120 km đường") == set(range(2016, 2021))


def test_a_plan_period_or_a_date_range_spans_no_years():
    assert years_spanned("Kế hoạch phát triển kinh tế - xã hội giai đoạn 2021 - 2025") == set()
    assert years_spanned("từ ngày 01/8/2020 đến ngày 31/8/2020") == set()


def test_a_quarter_spelled_qui_is_a_quarter():
    assert find_periods("Báo cáo quí 3/2021") == [Period("quarter", 2021, 3)]
