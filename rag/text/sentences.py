"""Sentence boundaries in Vietnamese report text, as character spans.

Hand-written because we need offsets into the stored text (underthesea's ``sent_tokenize``
returns rewritten strings) and report-specific exceptions: abbreviations with a dot
("TP. Hồ Chí Minh", "Th.S", "v.v."), numbers ("5.851", "74,4%"), dates ("31.8", "26/8/2020")
and document numbers ("84/NQ-CP") must never end a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Abbreviations that end with a dot but do not end a sentence (compared lower-cased).
ABBREVIATIONS = frozenset(
    {
        "tp", "tx", "tt", "q", "p", "h", "x", "ths", "ts", "pgs", "gs", "bs", "ks", "cn", "ncs", "lg",
        "th.s", "pgs.ts", "gs.ts", "v.v", "vv", "st", "tr", "đ", "sđt", "đt", "ông", "bà", "no", "mr",
        "mrs", "dr", "vd", "v/v", "k/g", "c/o",
    }
)

# A candidate boundary: terminal punctuation (with closing quotes/brackets), then whitespace.
_BOUNDARY_RE = re.compile(r"[.!?…;]+[\"'”’»)\]]*(?=\s)|\n")
_WORD_BEFORE_RE = re.compile(r"([^\s(\[\"“]+)$")
_NEXT_CHAR_RE = re.compile(r"\s*(\S)")
# how far back a boundary looks for the word before its dot: abbreviations are short, and
# searching from the start of the text made a long single-line document quadratic
_WORD_WINDOW = 64


def _is_false_boundary(text: str, end: int, punct: str) -> bool:
    """True when the dot at ``text[end - 1]`` belongs to an abbreviation or an initial."""
    if not punct.startswith("."):
        return False
    stop = end - len(punct)
    before = _WORD_BEFORE_RE.search(text, max(0, stop - _WORD_WINDOW), stop)
    if before is None:
        return False
    word = before.group(1).lower()
    if word in ABBREVIATIONS:
        return True
    # single capital initial, e.g. "N. V. An"
    if len(word) == 1 and word.isalpha():
        return True
    # the next non-space character is lower-case or a digit that continues the sentence
    nxt = _NEXT_CHAR_RE.match(text, end)
    if nxt and (nxt.group(1).islower()):
        return True
    return False


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield ``(s, e)`` spans of sentences inside ``text[start:end]``, trimmed of whitespace.

    Newlines always end a sentence (report lines are paragraphs, headings or list items).
    """
    end = len(text) if end is None else end
    pos = start
    for m in _BOUNDARY_RE.finditer(text, start, end):
        if m.group(0) != "\n" and _is_false_boundary(text, m.end(), m.group(0)):
            continue
        cut = m.end() if m.group(0) != "\n" else m.start()
        span = trim_span(text, pos, cut)
        if span:
            yield span
        pos = m.end()
    span = trim_span(text, pos, end)
    if span:
        yield span


def trim_span(text: str, s: int, e: int) -> tuple[int, int] | None:
    """``(s, e)`` without surrounding whitespace, or None when nothing is left."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if s < e else None


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (convenience for callers that need no offsets)."""
    return [text[s:e] for s, e in sentence_spans(text)]
