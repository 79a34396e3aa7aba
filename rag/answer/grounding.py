"""The grounding check for generated answers: keep only cited sentences whose facts the sources state.

A generative model may invent or round numbers, move a date, or cite the wrong source. Reports are
read for their figures, so every sentence of a generated answer must cite a numbered source
(``[1]``, ``[1][2]``, ``[1, 2]``) and every number, date and document reference in it must appear in
one of the sources *that sentence* cites. Sentences that fail are dropped, with a reason; markers to
unknown sources are removed. If nothing survives the caller falls back to the extractive answer.

Numbers are compared as numbers in Vietnamese format ("." groups thousands, "," marks decimals):
"5.851" == "5851" == "5.851,0", but "58,51" != "5.851". Dates are compared as dates, whatever the
written form ("26/8/2020" == "ngày 26 tháng 8 năm 2020"). Document references ("1631/QĐ-UBND") are
compared without case or diacritics.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from rag.text.entities import ANY_NUMBER_RE, DOC_NUMBER_RE, NUMBER
from rag.text.normalize import fold_diacritics, normalize_query, normalize_text
from rag.text.sentences import sentence_spans

logger = logging.getLogger(__name__)

FactKind = Literal["number", "date", "docref"]

# A citation marker group: [1]  [1, 2]  [1;2]  [ 3 ]
MARKER_RE = re.compile(r"\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]")
# A run of marker groups, possibly separated by spaces: "[1][2]", "[1] [2]"
_MARKER_RUN_RE = re.compile(rf"{MARKER_RE.pattern}(?:\s*{MARKER_RE.pattern})*")
# Markers placed after the sentence's final punctuation ("đồng. [1]", "đồng.[1]"): moved before it,
# so that the sentence splitter keeps them with their sentence.
_TRAILING_MARKERS_RE = re.compile(rf"([.!?…;:]+)[ \t]*({_MARKER_RUN_RE.pattern})")

# Document references (1631/QĐ-UBND, 84/NQ-CP, 15/2020/NĐ-CP, 59/2020/QH14, 12/CT-TTg) are
# rag.text.entities.DOC_NUMBER_RE; numbers, every one written, ANY_NUMBER_RE there.
_DATE_WORDS_RE = re.compile(
    r"(?<!\w)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:năm\s+|/\s*)(\d{4})(?!\d)", re.IGNORECASE
)
_DATE_NUM_RE = re.compile(r"(?<![\d.,/\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?![\d/])")
_MONTH_YEAR_WORDS_RE = re.compile(r"(?<!\w)tháng\s+(\d{1,2})\s*(?:năm\s+|/\s*)(\d{4})(?!\d)", re.IGNORECASE)
_MONTH_YEAR_RE = re.compile(r"(?<![\d.,/])(\d{1,2})/(\d{4})(?![\d/])")
_DAY_MONTH_RE = re.compile(r"(?<![\d.,/])(\d{1,2})/(\d{1,2})(?![\d/])")
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class GroundingResult:
    """What survived the check. ``text`` is empty when nothing did."""

    text: str  # the kept sentences, joined, with their [n] markers
    kept: list[str]
    dropped: list[tuple[str, str]]  # (sentence, reason)
    cited: list[int]  # source numbers still cited, ascending

    @property
    def ok(self) -> bool:
        return bool(self.text)


@dataclass(frozen=True)
class _Fact:
    kind: FactKind
    text: str
    start: int
    end: int
    value: object  # Decimal | (day, month, year) with None for missing parts | folded str


def parse_number(text: str) -> Decimal | None:
    """A number written in Vietnamese format as a Decimal; None if it is not one.

    "." groups thousands when every group after the first has three digits ("5.851", "1.234.567"),
    otherwise it is read as a decimal point ("6.8"). "," is the decimal mark ("6,8", "1.112,5").
    Several "," with three-digit groups are thousands (English "1,234,567"). With both marks, the
    last one is the decimal mark.
    """
    s = text.strip().rstrip("%").strip()
    if not s or not re.fullmatch(NUMBER, s):
        return None
    try:
        if "." in s and "," in s:
            dec = "," if s.rfind(",") > s.rfind(".") else "."
            thou = "." if dec == "," else ","
            s = s.replace(thou, "").replace(dec, ".")
        elif "." in s:
            groups = s.split(".")
            if len(groups) > 2 or all(len(g) == 3 for g in groups[1:]):
                if not all(len(g) == 3 for g in groups[1:]):
                    return None  # "1.2.3" is not a number
                s = "".join(groups)
        elif "," in s:
            groups = s.split(",")
            if len(groups) > 2:
                if not all(len(g) == 3 for g in groups[1:]):
                    return None
                s = "".join(groups)
            else:
                s = s.replace(",", ".")
        return Decimal(s)
    except InvalidOperation:
        return None


def numbers_equal(a: str, b: str) -> bool:
    """True when two numbers written in Vietnamese format have the same value ("5.851" == "5851,0")."""
    x, y = parse_number(a), parse_number(b)
    return x is not None and y is not None and x == y


def _valid_date(d: int | None, m: int | None, y: int | None) -> bool:
    return (d is None or 1 <= d <= 31) and (m is None or 1 <= m <= 12) and (y is None or 1900 <= y <= 2100)


def _fold_ref(ref: str) -> str:
    return fold_diacritics(ref).upper()


def _facts(text: str) -> list[_Fact]:
    """Every number, date and document reference in ``text``, in order, without overlaps."""
    found: list[_Fact] = []
    taken = [False] * len(text)

    def free(s: int, e: int) -> bool:
        return not any(taken[s:e])

    def add(kind: FactKind, m: re.Match[str], value: object, group: int = 0) -> None:
        s, e = m.span(group)
        found.append(_Fact(kind, m.group(group), s, e, value))
        for i in range(s, e):
            taken[i] = True

    for m in DOC_NUMBER_RE.finditer(text):
        if free(*m.span()):
            add("docref", m, _fold_ref(m.group(0)))
    for m in _DATE_WORDS_RE.finditer(text):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if free(*m.span()) and _valid_date(d, mo, y):
            add("date", m, (d, mo, y))
    for m in _DATE_NUM_RE.finditer(text):
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if free(*m.span()) and _valid_date(d, mo, y):
            add("date", m, (d, mo, y))
    for m in _MONTH_YEAR_WORDS_RE.finditer(text):
        mo, y = int(m.group(1)), int(m.group(2))
        if free(*m.span()) and _valid_date(None, mo, y):
            add("date", m, (None, mo, y))
    for m in _MONTH_YEAR_RE.finditer(text):
        mo, y = int(m.group(1)), int(m.group(2))
        if free(*m.span()) and _valid_date(None, mo, y):
            add("date", m, (None, mo, y))
    for m in _DAY_MONTH_RE.finditer(text):
        d, mo = int(m.group(1)), int(m.group(2))
        if free(*m.span()) and _valid_date(d, mo, None):
            add("date", m, (d, mo, None))
    for m in ANY_NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None and free(*m.span()):
            add("number", m, value)
    found.sort(key=lambda f: f.start)
    return found


def strip_markers(text: str) -> str:
    """``text`` without citation markers (their digits are not facts)."""
    return re.sub(r"[ \t]+([.,;:!?…])", r"\1", MARKER_RE.sub("", text)).strip()


def extract_facts(text: str) -> list[str]:
    """Numbers ("74,4%" → "74,4"), dates and document references in ``text``, in order of appearance.

    Citation markers ("[1]") are not facts and are ignored.
    """
    return [f.text for f in _facts(normalize_query(strip_markers(text)))]


@dataclass
class _SourceFacts:
    """What one source states, indexed for comparison."""

    numbers: set[Decimal]
    dates: set[tuple[int | None, int | None, int | None]]
    refs: set[str]

    @classmethod
    def of(cls, text: str) -> _SourceFacts:
        numbers: set[Decimal] = set()
        dates: set[tuple[int | None, int | None, int | None]] = set()
        refs: set[str] = set()
        for f in _facts(normalize_query(text)):
            if f.kind == "number":
                numbers.add(f.value)  # type: ignore[arg-type]
            elif f.kind == "date":
                d, m, y = f.value  # type: ignore[misc]
                dates.add((d, m, y))
                # a date also states its parts: "26/8/2020" grounds "tháng 8/2020", "26/8", "năm 2020"
                dates.update({(None, m, y), (d, m, None)})
                numbers.update(Decimal(x) for x in (d, m, y) if x is not None)
            else:
                refs.add(f.value)  # type: ignore[arg-type]
                numbers.update(Decimal(x) for x in _DIGITS_RE.findall(f.text))
        return cls(numbers, dates, refs)

    def states(self, fact: _Fact) -> bool:
        if fact.kind == "number":
            return fact.value in self.numbers
        if fact.kind == "docref":
            return fact.value in self.refs
        d, m, y = fact.value  # type: ignore[misc]
        if (d, m, y) in self.dates:
            return True
        # "ngày 26/8" in a report whose year is written elsewhere in the same passage
        return d is not None and y is not None and (d, m, None) in self.dates and Decimal(y) in self.numbers


def _marker_ids(marker: str) -> list[int]:
    return [int(x) for x in _DIGITS_RE.findall(marker)]


def _split(answer: str) -> list[str]:
    """Answer sentences; a piece that is only markers joins the sentence before it."""
    # "[1; 2]" → "[1][2]" first: the splitter would cut at the ";"
    text = MARKER_RE.sub(lambda m: "".join(f"[{i}]" for i in _marker_ids(m.group(0))), normalize_text(answer))
    text = _TRAILING_MARKERS_RE.sub(lambda m: f" {m.group(2)}{m.group(1)}", text)
    pieces: list[str] = []
    for s, e in sentence_spans(text):
        piece = text[s:e].strip()
        if pieces and not MARKER_RE.sub("", piece).strip(" .,;:!?…\t"):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


def _rewrite_markers(sentence: str, known: Iterable[int]) -> tuple[str, list[int], list[int]]:
    """The sentence with markers rewritten as "[1][2]" (known sources only); (text, cited, unknown)."""
    known_set = set(known)
    cited: list[int] = []
    unknown: list[int] = []

    def repl(m: re.Match[str]) -> str:
        ids = _marker_ids(m.group(0))
        good = [i for i in ids if i in known_set]
        unknown.extend(i for i in ids if i not in known_set)
        for i in good:
            if i not in cited:
                cited.append(i)
        return "".join(f"[{i}]" for i in dict.fromkeys(good))

    out = MARKER_RE.sub(repl, sentence)
    out = re.sub(r"\](\s+)\[", "][", out)  # "[1] [2]" → "[1][2]"
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"[ \t]+([.,;:!?…])", r"\1", out).strip()
    return out, cited, unknown


def check_grounding(answer: str, sources: Mapping[int, str]) -> GroundingResult:
    """Keep the sentences of ``answer`` that cite known sources stating all of their facts.

    ``sources`` maps the number used in markers to the source text the model was shown (include the
    title/section label if the model saw it). Each sentence is checked against the union of the
    sources it cites, never against sources it does not cite.
    """
    index = {n: _SourceFacts.of(text) for n, text in sources.items()}
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    cited_all: set[int] = set()
    for raw in _split(answer):
        sentence, cited, unknown = _rewrite_markers(raw, index)
        if unknown:
            logger.debug("removed markers to unknown sources %s", unknown)
        if not cited:
            reason = (
                f"cites only unknown sources {sorted(set(unknown))}" if unknown else "no citation to a source"
            )
            dropped.append((raw, reason))
            continue
        if not strip_markers(sentence).strip(" .,;:!?…"):
            dropped.append((raw, "no text besides citation markers"))
            continue
        facts = _facts(normalize_query(strip_markers(sentence)))
        missing = [f.text for f in facts if not any(index[n].states(f) for n in cited)]
        if missing:
            refs = "".join(f"[{n}]" for n in cited)
            dropped.append((raw, f"not in cited sources {refs}: {', '.join(repr(x) for x in missing)}"))
            continue
        kept.append(sentence)
        cited_all.update(cited)
    for sentence, reason in dropped:
        logger.info("grounding dropped %r: %s", sentence, reason)
    return GroundingResult(text=" ".join(kept), kept=kept, dropped=dropped, cited=sorted(cited_all))
