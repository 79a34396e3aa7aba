"""Evidence features shared by the domain reranker and the extractive answerer.

How well a span of report text answers a question, from cheap signals a report reader uses:
IDF-weighted coverage of the question's content words (matched without diacritics and through
abbreviations), whether the span holds the kind of answer asked for (a number for "bao nhiêu",
a name for "ai", ...), and whether the period and province it speaks of are the ones asked.
Hand-written: no library scores Vietnamese report sentences this way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rag.query.analyze import QueryAnalysis
from rag.records import DocumentMetadata, Period
from rag.text.abbreviations import Abbreviations
from rag.text.entities import ORDINAL, ORDINAL_QUESTION_RE, SPOKEN_NHIEU, capitalised_names, spelled_unit
from rag.text.gazetteer import covers, describing_places
from rag.text.normalize import fold_diacritics, fold_spelling, is_syllable_shaped
from rag.text.periods import find_period_mentions, years_spanned
from rag.text.tokenize import fold_tokens, tokenize, tokenize_folded

# When the provinces were merged (Resolution 202/2025/QH15, in force from 1 July 2025).
MERGER_DATE = "2025-07-01"

_CONTINUATION_RE = re.compile(
    r"^(?:vượt|tăng|giảm|đạt|bằng|chiếm|so với|so|trong đó|gồm|là|với|cao hơn|thấp hơn|xếp|đứng|tương đương|"
    r"ước|lũy kế|\(|cấp độ|thuộc|tại)\b",
    re.IGNORECASE,
)


# What may follow "bao nhiêu" / "mấy" without being the unit counted.
_NOT_UNITS = frozenset(
    "so là lần trong và với của được đã so_với thì ? , . % phần điểm".split()
    # function words: "trả bao nhiêu để mua", "là bao nhiêu mới được", "bao nhiêu rồi"
    + "mới để khi nữa rồi vậy không chưa cho từ đến tới trên dưới hơn thế ạ nhỉ hả".split()
)
_ASKED_UNIT_RE = re.compile(rf"\b(?:bao nhiêu|bao nhieu|{SPOKEN_NHIEU}|mấy|may)\s+([^\W\d_]+)", re.IGNORECASE)


def asked_unit(question: str) -> str | None:
    """The counted noun of "bao nhiêu người" / "mấy xã" (first syllable, folded: no accents, the lone
    y as i), if any; a measure as its symbol however it is spelled ("héc-ta" → "ha", "đô la" → "usd");
    :data:`ORDINAL` when a rank is asked ("đứng thứ mấy cả nước")."""
    if ORDINAL_QUESTION_RE.search(question):
        return ORDINAL
    m = _ASKED_UNIT_RE.search(question)
    if not m:
        return None
    spelled = spelled_unit(question[m.start(1) :])
    if spelled is not None:  # "bao nhiêu héc-ta": the measure reports write "ha"
        return spelled
    word = m.group(1).lower()
    if word in _NOT_UNITS or fold_diacritics(word) in {fold_diacritics(w) for w in _NOT_UNITS}:
        return None
    if _loanword(word):  # "bao nhiêu server": the text counts "800 máy chủ"; any figure may answer
        return None
    return fold_spelling(word)


def _loanword(word: str) -> bool:
    """A word of another language ("server", "album", "website"): no Vietnamese syllable, and not a
    unit symbol ("km", "kg", "USD" are written as asked)."""
    has_vowel = any(c in "aeiouy" for c in fold_diacritics(word))
    return len(word) >= 4 and has_vowel and not is_syllable_shaped(word)


def continues_clause(clause: str) -> bool:
    """A clause that completes the previous one ("…, vượt 6,8% kế hoạch") rather than starting a fact."""
    return bool(_CONTINUATION_RE.match(clause.strip()))


def mentioned_years(text: str) -> set[int]:
    """Years a passage reports on. Comparisons ("so với năm 2019") are not; "cùng kỳ năm 2020"
    compares with last year, so the passage itself is of 2021."""
    years: set[int] = set()
    for m in re.finditer(r"(so với cùng kỳ|cùng kỳ|so với|so)?\s*(?:năm\s+)?((?:19|20)\d\d)\b", text, re.IGNORECASE):
        year, lead = int(m.group(2)), (m.group(1) or "").lower()
        if lead.endswith("cùng kỳ"):
            years.add(year + 1)
        elif not lead:
            years.add(year)
    return years | years_spanned(text)


_STATED_YEAR_RE = re.compile(
    r"(so với cùng kỳ|cùng kỳ|so với|so)?\s*\bnăm\s+((?:19|20)\d\d)(?:\s*[-–]\s*((?:19|20)\d\d))?\b",
    re.IGNORECASE,
)


_DATE_BEFORE_RE = re.compile(r"tháng\s+\d{1,2}\s*$", re.IGNORECASE)


def stated_years(sentence: str) -> set[int]:
    """Years a sentence states its fact for ("năm 2019 xếp hạng 49", "năm 2019 - 2020"); comparisons
    ("so với năm 2019") are not, and dates ("ngày 05/11/2019") name when, not what period."""
    years: set[int] = set()
    for m in _STATED_YEAR_RE.finditer(sentence):
        if _DATE_BEFORE_RE.search(sentence, max(0, m.start() - 20), m.start() + 1):
            continue  # "ngày 05 tháng 11 năm 2019" is a date
        lead = (m.group(1) or "").lower()
        if lead.endswith("cùng kỳ"):
            years.add(int(m.group(2)) + 1)
        elif not lead:
            years.update(int(y) for y in m.groups()[1:] if y)
    return years | years_spanned(sentence)


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
    if metadata.date:
        year, month = int(metadata.date[:4]), int(metadata.date[5:7])
        if any(p.kind == "month" and (p.year, p.value) == (year, month) for p in asked):
            return PeriodMatch(0.75, "document dated in the asked month")
    years = mentioned_years(passage)
    for mention in find_period_mentions(passage):
        if mention.period is not None and not mention.comparison and mention.period in asked:
            return PeriodMatch(0.75, "passage names the period")
    asked_years = {p.year for p in asked}
    if years & asked_years:
        return PeriodMatch(0.5, "passage names the year")
    if doc_period is not None or years:
        return PeriodMatch(-1.0, "another period")
    return PeriodMatch(0.0, "period unknown")


def province_match(analysis: QueryAnalysis, metadata: DocumentMetadata) -> float:
    """+1 the document is of the asked province, -1 of another one, 0 unknown.

    After the 2025 merger a province's report covers the provinces it absorbed: a 2026 report of
    Cà Mau answers for former Bạc Liêu (0.5), while a 2024 Cà Mau report does not.
    """
    if analysis.province is None or metadata.province is None:
        return 0.0
    if analysis.province == metadata.province:
        return 1.0
    if after_merger(metadata) and covers(metadata.province, analysis.province):
        return 0.5
    return -1.0


def after_merger(metadata: DocumentMetadata) -> bool:
    """Whether a report speaks of the provinces as merged: dated, or of a period ending, on or after
    1 July 2025 (Resolution 202/2025/QH15)."""
    if metadata.date:
        return metadata.date >= MERGER_DATE
    period = metadata.period
    if period is None:
        return False
    last_month = {"month": period.value, "quarter": (period.value or 0) * 3, "half": (period.value or 0) * 6,
                  "nine_months": 9, "year": 12}[period.kind] or 12
    return f"{period.year:04d}-{last_month:02d}" >= MERGER_DATE[:7]


# Words that set the context of a question (when, where) rather than its topic: the period and
# province features judge them, so they must not make an off-topic sentence look relevant.
_CONTEXT_WORDS = frozenset(tokenize_folded("năm tháng quý tỉnh ngày đầu cuối ông"))
_PERIOD_TOKEN_RE = re.compile(r"^\d{1,2}/\d{4}$|^(19|20)\d\d$")
# Polarity words are dropped as stopwords by question analysis, yet "chưa đạt" is not "đạt".
_POLARITY = ("chưa", "không")


class KeywordMatcher:
    """IDF-weighted share of a question's topic words that a span contains (accents ignored).

    Vietnamese words are mostly two syllables ("dân số", "ngân sách"), so besides single syllables
    the score counts the question's adjacent topic-syllable pairs found adjacent in the span:
    "dân ... số" scattered over a sentence is not "dân số". Words found only in the span's wider
    context (its passage) count half: a question may name the meeting in one place and the fact
    in another sentence of the same passage.
    """

    def __init__(self, analysis: QueryAnalysis, idf: Callable[[str], float], abbreviations: Abbreviations) -> None:
        self.abbreviations = abbreviations
        context = set(_CONTEXT_WORDS)
        if analysis.province:
            context.update(tokenize_folded(analysis.province.lower()))
        # "ở tỉnh có thị trấn Yên Minh": the place says which province's report, like its name would
        for start, end in describing_places(analysis.text):
            context.update(tokenize_folded(analysis.text[start:end].lower()))
        # a person named in a question that asks something else identifies the report ("tỉnh do ông
        # Nguyễn Văn Sơn làm Chủ tịch"); the answer guard checks the report names them
        if analysis.answer_type != "person":
            for _, name in capitalised_names(analysis.text):
                context.update(tokenize_folded(name.lower()))
        question_tokens = role_tokens(analysis.text)
        context.update(_filler_tokens(question_tokens))
        keywords: list[str] = []
        for word in analysis.keywords:
            keywords.extend(tokenize_folded(word))
        keywords += [p for p in (fold_diacritics(w) for w in _POLARITY) if p in question_tokens and analysis.has_diacritics]
        for period in analysis.periods:  # "tháng 8", "6 tháng đầu năm": the numbers belong to the period
            context.add({"half": "6", "nine_months": "9"}.get(period.kind, str(period.value or "")))
        self.keywords = [k for k in dict.fromkeys(keywords) if k not in context and not _PERIOD_TOKEN_RE.match(k)]
        meanings = _abbreviation_meanings(analysis.text, abbreviations)
        self.idf = {k: _meaning_idf(k, idf, meanings) for k in self.keywords}
        self.weights = {k: self.idf[k] * _focus(k, question_tokens) for k in self.keywords}
        self.total = sum(self.weights.values())
        wanted = set(self.keywords)
        pairs = [(a, b) for a, b in zip(question_tokens, question_tokens[1:], strict=False) if a in wanted and b in wanted]
        self.pairs = {p: self.weights[p[0]] + self.weights[p[1]] for p in dict.fromkeys(pairs)}
        self.pair_total = sum(self.pairs.values())

    def _features(self, text: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
        return _text_features(self.abbreviations, text)

    def coverage(self, text: str, context: str | None = None) -> float:
        """Mean of unigram and adjacent-pair coverage, in [0, 1]; ``context`` hits count half."""
        if not self.total:
            return 0.0
        present, adjacent = self._features(text)
        near, near_pairs = self._features(context) if context else (set(), set())

        def share(weights: dict, found: set, around: set) -> float:
            return sum(w if k in found else 0.5 * w if k in around else 0.0 for k, w in weights.items())

        unigram = share(self.weights, present, near) / self.total
        if not self.pair_total:
            return unigram
        return (unigram + share(self.pairs, adjacent, near_pairs) / self.pair_total) / 2

    def rarest_missing(self, text: str, context: str | None = None) -> float:
        """The IDF of the rarest question word found in neither ``text`` nor ``context``, over the
        IDF of the rarest question word: 1.0 when the most specific word is missing, 0.0 when none is.

        "nhập khẩu" asked and "xuất khẩu" written: the rare syllable "nhập" is missing, however
        similar the two sentences read to an embedder.
        """
        if not self.idf:
            return 0.0
        present, _ = self._features(text)
        near, _ = self._features(context) if context else (frozenset(), frozenset())
        missing = [w for k, w in self.idf.items() if k not in present and k not in near]
        top = max(self.idf.values())
        return max(missing, default=0.0) / top if top > 0 else 0.0

    def missing_mass(self, text: str, context: str | None = None) -> float:
        """The share of the question's word weight (IDF) found in neither ``text`` nor ``context``."""
        total = sum(self.idf.values())
        if not total:
            return 0.0
        present, _ = self._features(text)
        near, _ = self._features(context) if context else (frozenset(), frozenset())
        return sum(w for k, w in self.idf.items() if k not in present and k not in near) / total

    def matched(self, text: str) -> list[str]:
        present, _ = self._features(text)
        return [k for k in self.keywords if k in present]


# Question words, accent-free: the clause around them is what is asked; the rest identifies it.
_QUESTION_WORDS = frozenset({"nao", "bao", "nhieu", "may", "gi", "ai", "dau", "khi", "sao", "the"})
_SLOT_WORDS = frozenset({"nao", "gi"})


# Quantifiers and hedges that decorate a question without naming anything the answer says.
_FILLER_PHRASES = (("tong", "cong"), ("tat", "ca"), ("cu", "the"), ("chinh", "xac"), ("khoang",), ("hien", "nay"),
                   ("toan", "bo"), ("tong", "so"))


def _filler_tokens(tokens: list[str]) -> set[str]:
    """Tokens of filler phrases ("tổng cộng", "tất cả", "cụ thể") that occur nowhere else in the question."""
    filler: set[str] = set()
    for phrase in _FILLER_PHRASES:
        n = len(phrase)
        hits = [i for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n]) == phrase]
        if hits:
            inside = {i + j for i in hits for j in range(n)}
            filler.update(t for t in phrase if all(k in inside for k, tok in enumerate(tokens) if tok == t))
    return filler


def _focus(token: str, question_tokens: list[str]) -> float:
    """Weight by position: the noun just before "nào"/"gì" names the answer's kind ("doanh nghiệp
    *nào*" is answered by "FPT"), so it counts little; words near the question word count up to 2×."""
    anchors = [i for i, t in enumerate(question_tokens) if t in _QUESTION_WORDS]
    places = [i for i, t in enumerate(question_tokens) if t == token]
    if not anchors or not places:
        return 1.0
    for a in anchors:
        if question_tokens[a] in _SLOT_WORDS and any(a - 2 <= p < a for p in places):
            return 0.3
    distance = min(abs(a - p) for a in anchors for p in places)
    return 1.0 + math.exp(-(distance - 1) / 3.0)


def _abbreviation_meanings(question: str, abbreviations: Abbreviations) -> dict[str, list[str]]:
    """Folded tokens of each abbreviation written in the question → tokens of its expansions."""
    meanings: dict[str, list[str]] = {}
    for _, _, abbr in abbreviations.find_abbreviations(question):
        expansion = [t for e in abbreviations.expansions_of(abbr) for t in tokenize_folded(e.lower())]
        for token in tokenize_folded(abbr.lower()):
            meanings.setdefault(token, []).extend(expansion)
    return meanings


def _meaning_idf(token: str, idf: Callable[[str], float], meanings: dict[str, list[str]]) -> float:
    """An abbreviation weighs what its meaning weighs: "KT-XH" is as common as "kinh tế - xã hội"."""
    weight = idf(token)
    expansion = meanings.get(token)
    if expansion:
        weight = min(weight, sum(idf(t) for t in expansion) / len(expansion))
    return weight


def role_tokens(text: str) -> list[str]:
    """Accent-free tokens where a deputy's title stays distinct: "Phó Chủ tịch" is not "Chủ tịch".

    After "phó" (written with its accent) the next syllable is marked ("pho-chu"), so a question
    about the chairman does not match a sentence about a vice-chairman, and vice versa.
    """
    tokens = tokenize(text.lower())
    folded = fold_tokens(tokens)  # the form of the question's keywords (tokenize_folded)
    out: list[str] = []
    deputy = False
    for token, fold in zip(tokens, folded, strict=True):
        out.append(f"pho-{fold}" if deputy else fold)
        deputy = token == "phó"
    return out


# Each entry holds a span's token and pair sets (several KB): 50,000 entries grew a 12,000-article
# server past 2 GiB. 8,192 spans still cover the candidates of the last few dozen questions.
@lru_cache(maxsize=8_192)
def _text_features(abbreviations: Abbreviations, text: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Accent-free tokens and adjacent token pairs of a span, abbreviations applied both ways.

    Independent of the question, so cached across questions: passages come back again and again.
    """
    tokens = role_tokens(abbreviations.augment(text))
    return frozenset(tokens), frozenset(zip(tokens, tokens[1:], strict=False))


def proximity(matcher: KeywordMatcher, sentences: Iterable[str]) -> float:
    """Best coverage of any single sentence (query terms standing close together)."""
    return max((matcher.coverage(s) for s in sentences), default=0.0)
