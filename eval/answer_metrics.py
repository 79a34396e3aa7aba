"""Answer and citation metrics: facts compared as a reader compares them.

Numbers are compared as numbers in Vietnamese format ("5.851" == "5851" == "5.851,0";
"58,51" is another number); words after NFC, tone-mark and whitespace normalisation, case-folded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.compose import LEAD_SEPARATOR
from rag.answer.grounding import parse_number
from rag.records import Citation
from rag.text.entities import NUMBER
from rag.text.normalize import normalize_query

_NUMBER_RE = re.compile(NUMBER)  # every digit run, as written; no boundaries: a metric reads all
_WORD_RE = re.compile(r"[^\W\d_]+")


def _numbers(text: str) -> list:
    out = []
    for m in _NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None:
            out.append(value)
    return out


def fact_in(fact: str, text: str) -> bool:
    """Whether ``text`` states ``fact``: all its numbers (as numbers) and all its words."""
    fact_n = normalize_query(fact).lower()
    text_n = normalize_query(text).lower()
    numbers = _numbers(fact_n)
    if numbers:
        available = _numbers(text_n)
        for value in numbers:
            if value not in available:
                return False
            available.remove(value)
    words = _WORD_RE.findall(fact_n)
    if not words:
        return True
    text_words = _WORD_RE.findall(text_n)
    joined = " " + " ".join(text_words) + " "
    return f" {' '.join(words)} " in joined


def lead_of(answer: str) -> str | None:
    """The item an answer leads with ("5.851 tỷ đồng" of "5.851 tỷ đồng — Thu ngân sách … [1]."),
    or None when it quotes without one."""
    head, separator, _ = answer.split(" [", 1)[0].partition(LEAD_SEPARATOR)
    return head.strip() if separator else None


def lead_right(answer: str, facts: Sequence[str]) -> bool | None:
    """Whether the lead states a gold fact: a quote that holds the fact can still lead with the
    wrong figure ("3.463 công văn" for "bao nhiêu văn bản quy phạm pháp luật"). None: no lead."""
    lead = lead_of(answer)
    return None if lead is None or not facts else any(fact_in(f, lead) for f in facts)


def facts_found(facts: Sequence[str], text: str) -> list[bool]:
    return [fact_in(f, text) for f in facts]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 after normalisation."""
    pred = _WORD_RE.findall(normalize_query(prediction).lower()) + [m.group(0) for m in _NUMBER_RE.finditer(prediction)]
    ref = _WORD_RE.findall(normalize_query(reference).lower()) + [m.group(0) for m in _NUMBER_RE.finditer(reference)]
    if not pred or not ref:
        return 0.0
    common = 0
    pool = list(ref)
    for tok in pred:
        if tok in pool:
            pool.remove(tok)
            common += 1
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def citation_correct(citation: Citation, evidence: Sequence[tuple[str, int, int]], facts: Sequence[str]) -> bool:
    """A citation is right when its span overlaps an evidence quote or contains a gold fact."""
    if any(citation.doc == d and citation.start < e and s < citation.end for d, s, e in evidence):
        return True
    return any(fact_in(f, citation.quote) for f in facts)


_MARKER_RE = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")


def numbers_supported(answer: str, quotes: Sequence[str]) -> tuple[int, int]:
    """(numbers of the answer that its cited quotes state, numbers in the answer); markers ignored."""
    numbers = _numbers(normalize_query(_MARKER_RE.sub(" ", answer)))
    available = _numbers(normalize_query(" ".join(quotes)))
    return sum(1 for n in numbers if n in available), len(numbers)
