"""Evidence features shared by the domain reranker and the extractive answerer.

How well a span of report text answers a question, from cheap signals a report reader uses:
IDF-weighted coverage of the question's content words (matched without diacritics and through
abbreviations), whether the span holds the kind of answer asked for (a number for "bao nhiêu",
a name for "ai", ...), and whether the period and province it speaks of are the ones asked.
Hand-written: no library scores Vietnamese report sentences this way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rag.ingest.metadata import find_periods
from rag.query.analyze import QueryAnalysis
from rag.records import AnswerType, DocumentMetadata, Period
from rag.text.abbreviations import Abbreviations
from rag.text.tokenize import tokenize_folded

_YEAR_RE = re.compile(r"^(19|20)\d\d$")
_NUMBER_RE = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)*(?:\s?%)?(?![\w/])")
_DATE_RE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b|\bngày\s+\d{1,2}(?:\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|/\d{1,2}(?:/\d{2,4})?)"
    r"|\btháng\s+\d{1,2}(?:/|\s+năm\s+)\d{4}",
    re.IGNORECASE,
)
_DOCREF_RE = re.compile(r"\b\d+/(?:\d{4}/)?[A-ZĐ][A-ZĐa-zđ]*(?:-[A-ZĐ][A-ZĐa-zđ]*)+\b")
_UPPER = "A-ZÀ-ỸĐ"
_NAME_WORD = rf"[{_UPPER}][a-zà-ỹđ]+"
_PERSON_RE = re.compile(
    rf"(?:(?:đồng chí|ông|bà|Chủ tịch|Phó Chủ tịch|Bí thư|Phó Bí thư|Giám đốc|Thủ tướng|Bộ trưởng)\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}})"
)
_PLACE_RE = re.compile(rf"\b(?:xã|huyện|tỉnh|thành phố|thị xã|phường|thị trấn|ấp|khóm|quận)\s+{_NAME_WORD}")
_CONTINUATION_RE = re.compile(
    r"^(?:vượt|tăng|giảm|đạt|bằng|chiếm|so với|so|trong đó|gồm|là|với|cao hơn|thấp hơn|xếp|đứng|tương đương|"
    r"ước|lũy kế|\(|cấp độ|thuộc|tại)\b",
    re.IGNORECASE,
)


def informative_numbers(text: str) -> list[str]:
    """Numbers that can answer "bao nhiêu": figures and percentages, not bare years."""
    return [m.group(0) for m in _NUMBER_RE.finditer(text) if not _YEAR_RE.match(m.group(0))]


def holds_answer_type(text: str, answer_type: AnswerType) -> bool:
    """Whether ``text`` contains something of the kind the question asks for."""
    if answer_type == "number":
        return bool(informative_numbers(text))
    if answer_type == "date":
        return bool(_DATE_RE.search(text))
    if answer_type == "docref":
        return bool(_DOCREF_RE.search(text))
    if answer_type == "person":
        return bool(_PERSON_RE.search(text))
    if answer_type == "place":
        return bool(_PLACE_RE.search(text))
    return True


def continues_clause(clause: str) -> bool:
    """A clause that completes the previous one ("…, vượt 6,8% kế hoạch") rather than starting a fact."""
    return bool(_CONTINUATION_RE.match(clause.strip()))


def mentioned_years(text: str) -> set[int]:
    """Years a passage speaks about; "cùng kỳ năm 2020" is a comparison and means the report is of 2021."""
    years: set[int] = set()
    for m in re.finditer(r"(cùng kỳ|so với|so)?\s*(?:năm\s+)?((?:19|20)\d\d)\b", text, re.IGNORECASE):
        year = int(m.group(2))
        years.add(year + 1 if m.group(1) and m.group(1).lower() == "cùng kỳ" else year)
    return years


@dataclass(frozen=True)
class PeriodMatch:
    """+1 the passage is of the asked period, -1 it is of another one, 0 unknown."""

    score: float
    reason: str


def period_match(analysis: QueryAnalysis, metadata: DocumentMetadata, passage: str) -> PeriodMatch:
    """Compare the periods a question asks about with the document's period, else the passage's years."""
    asked: tuple[Period, ...] = analysis.periods
    if not asked:
        return PeriodMatch(0.0, "no period asked")
    doc_period = metadata.period
    if doc_period is not None:
        if any(p == doc_period for p in asked):
            return PeriodMatch(1.0, "document period")
        if any(p.year == doc_period.year for p in asked):
            return PeriodMatch(0.5, "document year")
    years = mentioned_years(passage)
    for period in find_periods(passage):
        if any(p == period for p in asked):
            return PeriodMatch(0.75, "passage names the period")
    asked_years = {p.year for p in asked}
    if years & asked_years:
        return PeriodMatch(0.5, "passage names the year")
    if doc_period is not None or years:
        return PeriodMatch(-1.0, "another period")
    return PeriodMatch(0.0, "period unknown")


def province_match(analysis: QueryAnalysis, metadata: DocumentMetadata) -> float:
    if analysis.province is None or metadata.province is None:
        return 0.0
    return 1.0 if analysis.province == metadata.province else -1.0


class KeywordMatcher:
    """IDF-weighted share of a question's content words that a span contains (accents ignored).

    Vietnamese words are mostly two syllables ("dân số", "ngân sách"), so besides single syllables
    the score counts the question's adjacent content-syllable pairs found adjacent in the span:
    "dân ... số" scattered over a sentence is not "dân số".
    """

    def __init__(self, analysis: QueryAnalysis, idf: Callable[[str], float], abbreviations: Abbreviations) -> None:
        self.abbreviations = abbreviations
        keywords: list[str] = []
        for word in analysis.keywords:
            keywords.extend(tokenize_folded(word))
        self.keywords = list(dict.fromkeys(keywords))
        self.weights = {k: idf(k) for k in self.keywords}
        self.total = sum(self.weights.values())
        wanted = set(self.keywords)
        sequence = tokenize_folded(analysis.text)
        pairs = [(a, b) for a, b in zip(sequence, sequence[1:], strict=False) if a in wanted and b in wanted]
        self.pairs = {p: self.weights[p[0]] + self.weights[p[1]] for p in dict.fromkeys(pairs)}
        self.pair_total = sum(self.pairs.values())

    def _tokens(self, text: str) -> list[str]:
        return tokenize_folded(self.abbreviations.contract(self.abbreviations.expand(text)))

    def coverage(self, text: str) -> float:
        """Mean of unigram and adjacent-pair coverage, in [0, 1]."""
        if not self.total:
            return 0.0
        tokens = self._tokens(text)
        present = set(tokens)
        unigram = sum(w for k, w in self.weights.items() if k in present) / self.total
        if not self.pair_total:
            return unigram
        adjacent = set(zip(tokens, tokens[1:], strict=False))
        pair = sum(w for p, w in self.pairs.items() if p in adjacent) / self.pair_total
        return (unigram + pair) / 2

    def matched(self, text: str) -> list[str]:
        present = set(self._tokens(text))
        return [k for k in self.keywords if k in present]


def proximity(matcher: KeywordMatcher, sentences: Iterable[str]) -> float:
    """Best coverage of any single sentence (query terms standing close together)."""
    return max((matcher.coverage(s) for s in sentences), default=0.0)
