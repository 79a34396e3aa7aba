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
# how far an open bracket is looked for, back and ahead: asides are short
_ASIDE_REACH = 300


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


def _inside_brackets(text: str, pos: int, end: int) -> bool:
    """True when a "(" or "[" opened since ``pos`` is still open at ``end`` and closes later on the
    same line: "Trần Hưng Đạo (chữ Hán: 陳興道; ? - 1300), còn được gọi …" is one sentence, and the
    ";" of an aside is no item's end. Looked for within :data:`_ASIDE_REACH` characters either way,
    so that a stray bracket never joins a whole page."""
    before = text[max(pos, end - _ASIDE_REACH) : end]
    if before.count("(") + before.count("[") <= before.count(")") + before.count("]"):
        return False
    after = text[end : end + _ASIDE_REACH]
    line = after.split("\n", 1)[0]
    return ")" in line or "]" in line


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield ``(s, e)`` spans of sentences inside ``text[start:end]``, trimmed of whitespace.

    Newlines always end a sentence (report lines are paragraphs, headings or list items); a
    boundary inside brackets that close on the same line does not.
    """
    end = len(text) if end is None else end
    pos = start
    for m in _BOUNDARY_RE.finditer(text, start, end):
        punct = m.group(0)
        if punct != "\n" and (
            _is_false_boundary(text, m.end(), punct) or _inside_brackets(text, pos, m.end())
        ):
            continue
        cut = m.end() if punct != "\n" else m.start()
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
