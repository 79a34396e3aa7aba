"""Reporting periods as Vietnamese reports write them: read ("quý III/2021") and written back.

One recogniser for every stage, so that a question's "quý III/2021" is a document's ``2021-Q3``:
the ingest reads a document's period from its opening (:func:`reported_period`), the question
analyser and the reranker read the periods a question or a passage names
(:func:`find_period_mentions`). Hand-written rules: no offline library parses Vietnamese
reporting periods. Patterns are tone-style-insensitive (:func:`rag.text.normalize.tone_form`)
and case-insensitive; spans index the text given.

The quarters' Roman numerals and the words a period is written with (:func:`period_label`) live
here too, once, for the readers and the writers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rag.records import Period
from rag.text.normalize import tone_form, tone_regex

__all__ = [
    "QUARTER_NUMBER",
    "Mention",
    "find_period_mentions",
    "find_periods",
    "period_label",
    "quarter_number",
    "reported_period",
    "roman_quarter",
    "years_spanned",
]

# ---------------------------------------------------------------------------------------------
# Quarters in Roman numerals ("quý III"), both ways

_ROMAN_QUARTERS: tuple[str, ...] = ("I", "II", "III", "IV")
_QUARTER_OF_ROMAN: dict[str, int] = {r.lower(): n for n, r in enumerate(_ROMAN_QUARTERS, 1)}
# How a quarter's number is written after "quý": "III", "iii", "3" (match with re.IGNORECASE).
QUARTER_NUMBER = r"(?:iv|i{1,3}|[1-4])"


def quarter_number(written: str) -> int:
    """The quarter a numeral names: "III" → 3, "iv" → 4, "2" → 2."""
    return _QUARTER_OF_ROMAN.get(written.lower()) or int(written)


def roman_quarter(quarter: int) -> str:
    """The Roman numeral reports write a quarter with: 3 → "III"."""
    return _ROMAN_QUARTERS[quarter - 1]


def period_label(period: Period, *, roman: bool = False) -> str:
    """The words a report writes a period with: "tháng 8 năm 2020", "6 tháng đầu năm 2020",
    "quý 3 năm 2021", or with ``roman`` "quý III năm 2021" (how reports head their quarters)."""
    if period.kind == "month":
        return f"tháng {period.value} năm {period.year}"
    if period.kind == "quarter":
        value = roman_quarter(period.value) if roman and period.value in (1, 2, 3, 4) else period.value
        return f"quý {value} năm {period.year}"
    if period.kind == "half":
        return f"6 tháng {'đầu' if period.value == 1 else 'cuối'} năm {period.year}"
    if period.kind == "nine_months":
        return f"9 tháng năm {period.year}"
    return f"năm {period.year}"


# ---------------------------------------------------------------------------------------------
# Mentions

_YEAR = r"(?P<y>(?:19|20)\d\d)(?![\d/])"
_NUMBER_WORDS = {"ba": 3, "sáu": 6, "chín": 9, "mười hai": 12}

# Each pattern yields one kind of mention; overlaps are resolved leftmost-longest.
_PERIOD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # dates are consumed so that "ngày 03 tháng 9 năm 2020" is never "tháng 9 năm 2020"
    ("date", tone_regex(r"(?<![\d.,/])\d{1,2}\s+tháng\s+\d{1,2}(?:\s*,?\s*năm\s+\d{4})?(?!\d)")),
    ("date", tone_regex(r"(?<![\d.,/])\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}(?!\d)")),
    ("date", tone_regex(r"(?<![\d.,/])\d{1,2}[/.]\d{1,2}(?![\d/.,]?\d)")),
    ("month", tone_regex(r"(?<![^\W_])tháng\s+(?P<m>\d{1,2})\s*(?:/|-|–|\.|,?\s*năm)\s*" + _YEAR)),
    (
        "quarter",
        tone_regex(
            rf"(?<![^\W_])qu(?:ý|í)\s+(?P<q>{QUARTER_NUMBER})(?![^\W_])\s*(?:/|-|–|,?\s*năm)\s*" + _YEAR
        ),
    ),
    ("half_word", tone_regex(r"(?<![^\W_])nửa\s+(?P<w>đầu|cuối)\s+năm\s+" + _YEAR)),
    (
        "span",
        tone_regex(
            r"(?:(?<![\d.,])(?P<n>\d{1,2})|(?<![^\W_])(?P<nw>ba|sáu|chín|mười hai))\s+tháng\s+"
            r"(?:(?P<w>đầu|cuối)\s+)?(?:năm\s*|/\s*)" + _YEAR
        ),
    ),
    ("year", tone_regex(r"(?<![^\W_])năm\s+" + _YEAR + r"(?!\s*[-–—]\s*\d{4})")),
    ("bare_month", tone_regex(r"(?<![^\W_])tháng\s+(?P<m>\d{1,2})(?![\d/.\-–]?\d)(?!\s*,?\s*năm\s*\d)")),
]
_COMPARISON_RE = tone_regex(r"(?<![^\W_])(?:cùng k(?:ỳ|ì)|so với|so)\s*$")
_SAME_PERIOD_RE = tone_regex(r"(?<![^\W_])cùng k(?:ỳ|ì)\s*$")


@dataclass(frozen=True)
class Mention:
    """One period-like phrase of a text, with its span (into the text given)."""

    start: int
    end: int
    kind: str  # "period", "date", "bare_month", "span" (N months with N not 3/6/9/12)
    period: Period | None = None
    month: int | None = None  # bare_month: the month; span: N
    year: int | None = None  # span: the year
    comparison: bool = False  # "so với cùng kỳ năm 2020"
    same_period: bool = False  # "cùng kỳ năm 2020": the report's period, a year before


def _mention(kind: str, m: re.Match[str]) -> tuple[str, Period | None, int | None, int | None]:
    """Turn one regex match into (mention kind, period, month-or-N, year)."""
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else None
    if kind == "date":
        return "date", None, None, None
    if kind == "month":
        month = int(g["m"])
        if not 1 <= month <= 12:
            return "date", None, None, None
        return "period", Period("month", year, month), None, None
    if kind == "quarter":
        return "period", Period("quarter", year, quarter_number(g["q"])), None, None
    if kind == "half_word":
        return "period", Period("half", year, 1 if g["w"].lower() == "đầu" else 2), None, None
    if kind == "span":
        n = int(g["n"]) if g.get("n") else _NUMBER_WORDS[g["nw"].lower()]
        last = (g.get("w") or "").lower() == "cuối"
        if n == 6:
            return "period", Period("half", year, 2 if last else 1), None, None
        if n == 9 and not last:
            return "period", Period("nine_months", year), None, None
        if n == 3:
            return "period", Period("quarter", year, 4 if last else 1), None, None
        if n == 12 and not last:
            return "period", Period("year", year), None, None
        return "span", None, n, year
    if kind == "year":
        return "period", Period("year", year), None, None
    month = int(g["m"])  # bare_month
    return ("bare_month", None, month, None) if 1 <= month <= 12 else ("date", None, None, None)


def _scan(form: str) -> list[Mention]:
    """Every period-like mention in a :func:`tone_form` text, non-overlapping, in order."""
    found = []
    for priority, (kind, pattern) in enumerate(_PERIOD_PATTERNS):
        for m in pattern.finditer(form):
            found.append((m.start(), -(m.end() - m.start()), priority, kind, m))
    found.sort(key=lambda f: f[:3])
    mentions: list[Mention] = []
    last_end = -1
    for start, _, _, kind, m in found:
        if start < last_end:
            continue
        last_end = m.end()
        mkind, period, month, year = _mention(kind, m)
        before = form[max(0, start - 30) : start]
        comparison = bool(_COMPARISON_RE.search(before))
        same = bool(_SAME_PERIOD_RE.search(before))
        mentions.append(Mention(start, m.end(), mkind, period, month, year, comparison, same))
    return mentions


def find_period_mentions(text: str) -> list[Mention]:
    """Every period-like mention of ``text`` with its span and whether it is a comparison
    ("so với cùng kỳ năm 2020"); spans index ``text`` (given in NFC; folding keeps lengths)."""
    return _scan(tone_form(unicodedata.normalize("NFC", text)))


# "từ 1995 tới 2014", "từ năm 2016 đến năm 2020": a fact that held over the years between
_SPAN_RE = re.compile(
    r"\btừ\s+(?:năm\s+)?((?:19|20)\d\d)\s+(?:đến|tới)\s+(?:năm\s+)?((?:19|20)\d\d)\b", re.IGNORECASE
)


def years_spanned(text: str) -> set[int]:
    """The years inside "từ X đến Y" spans ("là người giàu nhất thế giới từ 1995 tới 2014" holds for
    2000). A plan's period ("giai đoạn 2021 - 2025") is no span: its targets are no year's figures."""
    years: set[int] = set()
    for m in _SPAN_RE.finditer(unicodedata.normalize("NFC", text)):
        first, last = int(m.group(1)), int(m.group(2))
        if first < last:
            years.update(range(first, last + 1))
    return years


def find_periods(text: str) -> list[Period]:
    """All periods a text names, in order: "tháng 8/2020", "quý III/2021", "6 tháng đầu năm 2020",
    "9 tháng năm 2022", "năm 2021", ... Dates ("ngày 03 tháng 9 năm 2020"), year ranges
    ("2021 - 2025"), yearless months and other month counts ("8 tháng năm 2020") are not periods.
    Comparison mentions ("so với cùng kỳ năm 2020") are included; the caller decides."""
    return [m.period for m in find_period_mentions(text) if m.period is not None]


def reported_period(segments: Sequence[str], issue_date: str | None = None) -> Period | None:
    """The period a document reports on, read from its opening ``segments`` in order (its title,
    then its first body paragraphs: the caller finds them), or None.

    The first period mentioned that is not a comparison ("so với cùng kỳ năm 2020") wins; dates
    are skipped. A month without a year ("phiên họp thường kỳ tháng 8") is kept only when the year
    is fixed without guessing: the segments name the same month with a year, or a cumulative
    "8 tháng năm 2021", or the document's own ``issue_date`` (ISO) falls in that month or up to
    two months later (a Jan 2021 report on "tháng 12" → 12/2020), or else the segments compare
    with the same period of a year ("tăng 0,4% so với cùng kỳ năm 2020": the report's year is the
    next, 2021; the latest such year when several). A yearless month is never completed with a
    stray "năm 2021" from elsewhere.
    """
    pending: int | None = None
    year_before: int | None = None
    for segment in segments:
        for m in find_period_mentions(segment):
            if m.same_period and m.period is not None and m.period.kind == "year":
                year_before = max(year_before or 0, m.period.year)
            if m.comparison or m.kind == "date":
                continue
            if m.kind == "bare_month":
                pending = pending or m.month
                continue
            if m.kind == "span":
                if pending is not None and m.month == pending and m.year is not None:
                    return Period("month", m.year, pending)
                continue
            assert m.period is not None
            if pending is None:
                return m.period
            if m.period.kind == "month" and m.period.value == pending:
                return m.period
    if pending is not None and issue_date:
        year, month = int(issue_date[:4]), int(issue_date[5:7])
        if 0 <= month - pending <= 2:
            return Period("month", year, pending)
        if 0 <= month + 12 - pending <= 2:
            return Period("month", year - 1, pending)
    if pending is not None and year_before is not None:
        return Period("month", year_before + 1, pending)
    return None
