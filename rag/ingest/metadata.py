"""Document metadata (title, issue date, reporting period, province, kind) read from the text itself.

Hand-written rules, because no library parses Vietnamese administrative reports. They were
designed on the sample reports (formal "BÁO CÁO" reports with a "Cà Mau, ngày ..." line,
meeting news, a news page about a dispatch) and follow one principle: unknown stays ``None``.
Only the structural positions of a document are read — its header block, its heading and title,
its opening paragraphs — never dates or periods quoted deep in the body ("Kế hoạch số
01/KH-UBND ngày 02/01/2020" says nothing about when the report itself was written).

Matching is case-insensitive and tone-style-insensitive: the text and every pattern go through
:func:`rag.text.normalize.normalize_tone_marks`, which never changes a string's length, so
match offsets still point into the original text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath

from rag.records import DocKind, DocumentMetadata, Period
from rag.text.normalize import normalize_tone_marks
from rag.text.provinces import COMMON_WORD_NAMES, PERSON_NAMES, canonical_province, name_variants
from rag.text.sentences import sentence_spans, trim_span
from rag.text.table_rows import CAPTION_PREFIX, parse_record

__all__ = [
    "extract_metadata",
    "extract_title",
    "extract_issue_date",
    "extract_period",
    "extract_province",
    "classify_kind",
    "find_periods",
    "find_province",
]

_F = re.IGNORECASE


def _rx(pattern: str, flags: int = _F) -> re.Pattern[str]:
    """Compile a pattern written in either tone style against tone-normalised text."""
    return re.compile(normalize_tone_marks(pattern), flags)


def _fold(text: str) -> str:
    """Tone-normalised copy of ``text`` with the same length (offsets stay valid)."""
    folded = normalize_tone_marks(text)
    return folded if len(folded) == len(text) else text


# ---------------------------------------------------------------------------------------------
# Document layout: lines, paragraphs, header lines, the title.

_WORD_RE = re.compile(r"[^\W_]*[^\W\d_][^\W_]*")  # a token with at least one letter
_PARA_SPLIT_RE = re.compile(r"\n[ \t]*\n")
_TITLE_MAX = 120
_HEADLINE_MAX = 200
_OPENING_CHARS = 3000  # header block + heading + title of a formal document fit in here
_HEADER_LINES = 25
_CONTENT_PARAGRAPHS = 3  # the opening; nothing deeper is ever read

_HEADINGS: dict[str, DocKind] = {
    "báo cáo": "report",
    "kế hoạch": "plan",
    "quyết định": "decision",
    "công văn": "dispatch",
    "công điện": "dispatch",
    # formal documents of a type outside DocKind: their heading still gives the title
    "tờ trình": "other",
    "thông báo": "other",
    "chỉ thị": "other",
    "nghị quyết": "other",
    "chương trình": "other",
    "đề án": "other",
}
_HEADING_RE = _rx(r"^(" + "|".join(_HEADINGS) + r")(?![^\W_])\s*[:.]?\s*(.*)$")
_VV_RE = _rx(r"^(?:v/v|về việc)\s*[:.]?\s*(.+)$")
_DOC_NUMBER_RE = _rx(r"^số\s*:?\s*\d+[a-z]?\s*/\s*(?:\d{4}\s*/\s*)?([^\W\d_]+)")
_DOC_NUMBER_KINDS: dict[str, DocKind] = {
    "bc": "report",
    "kh": "plan",
    "qđ": "decision",
    "cđ": "dispatch",
    "ubnd": "dispatch",  # "Số: 7058/UBND-NNTN" is how a công văn is numbered
    "cv": "dispatch",
}

# "Cà Mau, ngày 23 tháng 6 năm 2020" — place, comma, date: the issue line of a formal document.
_PLACE_DATE_RE = _rx(
    r"(?<![^\W_])(?P<place>(?:[^\W\d_]++\.?[ \t]*+){1,6}),[ \t]*ngày[ \t]+(?P<d>\d{1,2})[ \t]*"
    r"(?:tháng[ \t]+(?P<m>\d{1,2})[ \t]+năm[ \t]+(?P<y>\d{4})"
    r"|[/.\-][ \t]*(?P<m2>\d{1,2})[ \t]*[/.\-][ \t]*(?P<y2>\d{4}))"
    r"(?!\d)"
)
# A line that is only a date (a web page's dateline): "20/09/2023 11:54:31 SA", "Thứ Hai, 20/9/2023".
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:SA|CH|AM|PM|GMT\s*[+\-]?\d*))?"
_DATELINE_RE = _rx(
    rf"^(?:(?:[^\W\d_]++\.?\s*+){{0,3}}[:,|\-–]?\s*)?(?:{_TIME}\s*[,|\-–]?\s*)?"
    r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})"
    rf"(?:\s*[,|\-–]?\s*{_TIME})?\s*$"
)
_ISO_RE = re.compile(r"(?<![\d/.\-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d\-])")
# The opening of meeting news: "Chiều ngày 03 tháng 9 năm 2020, ...", "Sáng 3/9/2020, ...".
_LEAD_TIME = (
    r"^(?:(?:vào|trong)\s+)?(?:(?:sáng|chiều|tối|trưa|đêm|hôm nay|hôm qua)\s+(?:nay\s+)?)?\(?(?:ngày\s+)?"
)
_LEAD_DATE_RE = _rx(
    _LEAD_TIME + r"(?P<d>\d{1,2})\s*(?:\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
    r"|[/.\-]\s*(?P<m2>\d{1,2})\s*[/.\-]\s*(?P<y2>\d{4}))(?!\d)"
)
# The same opening, with or without a year, stripped from a title ("Sáng 31.8, UBND ..." → "UBND ...").
_LEAD_CLAUSE_RE = _rx(
    _LEAD_TIME
    + r"\d{1,2}(?:\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?)"
    r"\)?\s*,\s*"
)
_JUNK_LINE_RE = _rx(
    r"^(?:share|chia sẻ|tags?|in bài|bản in|ảnh\s*:|nguồn\s*:|xem thêm|•|độc lập\s*[-–]\s*tự do|"
    r"cộng hòa xã hội chủ nghĩa)"
)
_CAPTION_RE = _rx(r"^(?:ảnh|video|clip)\s*(?:\d+\s*)?:")
_SENTENCE_END = ".!?…:;\"”’)»]"


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _is_upper_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


class _Doc:
    """A text with its tone-folded twin and the layout the extractors share."""

    def __init__(self, text: str) -> None:
        self.text = unicodedata.normalize("NFC", text)
        self.folded = _fold(self.text)

    def slice(self, span: _Span, folded: bool = False) -> str:
        return (self.folded if folded else self.text)[span.start : span.end]

    @cached_property
    def paragraphs(self) -> list[_Span]:
        spans = []
        pos = 0
        for m in [*_PARA_SPLIT_RE.finditer(self.text), None]:
            end = m.start() if m else len(self.text)
            trimmed = trim_span(self.text, pos, end)
            if trimmed:
                spans.append(_Span(*trimmed))
            pos = m.end() if m else len(self.text)
        return spans

    @cached_property
    def header_lines(self) -> list[_Span]:
        """The first non-empty lines, where a formal document keeps its header block."""
        lines = []
        pos = 0
        limit = min(len(self.text), _OPENING_CHARS)
        while pos < limit and len(lines) < _HEADER_LINES:
            nl = self.text.find("\n", pos)
            end = len(self.text) if nl < 0 else nl
            trimmed = trim_span(self.text, pos, end)
            if trimmed:
                lines.append(_Span(*trimmed))
            if nl < 0:
                break
            pos = nl + 1
        return lines

    def is_meta_line(self, span: _Span) -> bool:
        """Header furniture: dates, numbers, urgency marks, all-caps headers, share buttons."""
        line = self.slice(span, folded=True)
        if _is_upper_line(line) and len(_words(line)) <= 12:
            return True
        if _DATELINE_RE.match(line) or _ISO_RE.fullmatch(line.strip()) or _DOC_NUMBER_RE.match(line):
            return True
        m = _PLACE_DATE_RE.search(line[:120])
        if m and m.start() < 60:
            return True
        if _JUNK_LINE_RE.match(line):
            return True
        return not _words(line)

    def _first_line(self, para: _Span) -> _Span:
        nl = self.text.find("\n", para.start, para.end)
        return _Span(para.start, para.end if nl < 0 else nl)

    def is_meta_paragraph(self, para: _Span) -> bool:
        """True when every line of the paragraph is header furniture."""
        pos = para.start
        for line in self.text[para.start : para.end].split("\n"):
            span = _Span(pos, pos + len(line))
            pos = span.end + 1
            if line.strip() and not self.is_meta_line(span):
                return False
        return True

    @cached_property
    def heading(self) -> tuple[DocKind, str | None, int] | None:
        """``(kind, inline title, index into header_lines)`` of a "BÁO CÁO"-style heading line."""
        for i, span in enumerate(self.header_lines):
            line = self.slice(span, folded=True)
            m = _HEADING_RE.match(line)
            if not m:
                continue
            rest = m.group(2).strip()
            if rest and not _is_upper_line(line):
                continue  # "Kế hoạch số 01/KH-UBND ..." in running text is not a heading
            kind = _HEADINGS[m.group(1).lower()]
            inline = self.text[span.start + m.start(2) : span.end].strip() if rest else None
            return kind, inline, i
        return None

    @cached_property
    def title(self) -> tuple[str, str, _Span | None] | None:
        """``(title, source, paragraph it came from)``; source: heading | vv | headline | sentence."""
        heading = self.heading
        if heading is not None:
            _, inline, idx = heading
            if inline:
                return _clean(inline), "heading", self.header_lines[idx]
            after = self.header_lines[idx].end
            for para in self.paragraphs:
                if para.end <= after:
                    continue
                if para.start < after:  # heading and title share a paragraph
                    start = after
                    while start < para.end and self.text[start].isspace():
                        start += 1
                    para = _Span(start, para.end)
                if self.is_meta_line(self._first_line(para)):
                    continue
                return _title_from_paragraph(self.slice(para)), "heading", para
        for span in self.header_lines:
            m = _VV_RE.match(self.slice(span, folded=True))
            if m and len(m.group(1)) < 400:
                subject = _clean(self.text[span.start + m.start(1) : span.end])
                return subject[0].upper() + subject[1:], "vv", span
        for para in self.paragraphs:
            first_line = self._first_line(para)
            line = self.slice(first_line).strip()
            if self.is_meta_line(first_line) or _CAPTION_RE.match(line) or parse_record(line) is not None:
                continue
            if line.startswith(CAPTION_PREFIX):  # a table's caption, the only heading a data sheet has
                return _clean(line[len(CAPTION_PREFIX):]), "headline", first_line
            if (
                first_line.end == para.end
                and len(line) < _HEADLINE_MAX
                and line[-1] not in ".!?…;:,"
                and len(_words(line)) >= 2
            ):
                return _clean(line), "headline", para
            return _title_from_paragraph(self.slice(para)), "sentence", para
        return None

    @cached_property
    def content_paragraphs(self) -> list[_Span]:
        """Body paragraphs in order: not the title, not header furniture, not photo captions.

        Captions on news pages have no final punctuation; real paragraphs do (or are long).
        """
        title = self.title
        skip_until = 0
        if title is not None and title[1] in ("heading", "vv", "headline") and title[2] is not None:
            skip_until = title[2].end
        out = []
        for para in self.paragraphs:
            if para.end <= skip_until:
                continue
            text = self.slice(para, folded=True)
            if self.is_meta_paragraph(para):
                continue
            if _CAPTION_RE.match(text):
                continue
            if text[-1] not in _SENTENCE_END and len(text) < 200:
                continue
            out.append(para)
            if len(out) == _CONTENT_PARAGRAPHS:
                break
        return out


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _trim(text: str, limit: int = _TITLE_MAX) -> str:
    """Cut at a word boundary below ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    for m in _scan(_fold(text)):  # never cut "tháng 8 năm 2020" in two
        if m.start < cut < m.end and m.end <= limit + 30:
            cut = m.end
    return text[:cut].rstrip(" ,;:-–") + "…"


def _title_from_paragraph(paragraph: str) -> str:
    """A short paragraph is a title; a long one gives its first sentence, trimmed."""
    paragraph = _clean(paragraph)
    if len(paragraph) <= _HEADLINE_MAX and paragraph[-1] not in ".!?…":
        return paragraph
    spans = list(sentence_spans(paragraph))
    sentence = paragraph[spans[0][0] : spans[0][1]] if spans else paragraph
    m = _LEAD_CLAUSE_RE.match(_fold(sentence))
    if m and m.end() < len(sentence):
        sentence = sentence[m.end() :]
        sentence = sentence[0].upper() + sentence[1:]
    sentence = sentence.rstrip(" .;")
    return _trim(sentence)


# ---------------------------------------------------------------------------------------------
# Title


def extract_title(text: str) -> str | None:
    """The document's title: the line after its "BÁO CÁO"/"KẾ HOẠCH"/... heading, its "V/v" line,
    a short headline (news pages), or else its first sentence without the leading
    "Sáng 31.8," clause, trimmed to ~120 characters. ``None`` only for a text without words."""
    doc = _Doc(text)
    return _extract_title(doc)


def _extract_title(doc: _Doc) -> str | None:
    if not _words(doc.text):
        return None
    title = doc.title
    if title is not None:
        return title[0]
    return _trim(_clean(doc.text))


# ---------------------------------------------------------------------------------------------
# Issue date


def _valid_date(y: str | int, m: str | int, d: str | int) -> str | None:
    """ISO string for a real calendar date (31/2 is not one), else None."""
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    if not 1900 <= date.year <= 2100:
        return None
    return date.isoformat()


def extract_issue_date(text: str) -> str | None:
    """ISO date the document was issued, or None.

    In order of trust: the place-and-date line of a formal document ("Cà Mau, ngày 23 tháng 6
    năm 2020"); a web page's standalone dateline ("20/09/2023 11:54:31 SA") or an ISO date in
    the header lines; the date that opens meeting news ("Chiều ngày 03 tháng 9 năm 2020, ...").
    A date without a year ("Sáng 31.8", "Chiều ngày 12/01") or an impossible date gives None.
    """
    return _extract_issue_date(_Doc(text))


def _extract_issue_date(doc: _Doc) -> str | None:
    opening = doc.folded[:_OPENING_CHARS]
    for m in _PLACE_DATE_RE.finditer(opening):
        place = m.group("place").strip()
        if not place[:1].isupper():
            continue
        date = _valid_date(m.group("y") or m.group("y2"), m.group("m") or m.group("m2"), m.group("d"))
        if date:
            return date
    for span in doc.header_lines[:10]:
        line = doc.slice(span, folded=True)
        m = _DATELINE_RE.match(line)
        if m:
            date = _valid_date(m.group("y"), m.group("m"), m.group("d"))
            if date:
                return date
    for span in doc.header_lines[:10]:
        for m in _ISO_RE.finditer(doc.slice(span)):
            date = _valid_date(m.group("y"), m.group("m"), m.group("d"))
            if date:
                return date
    for para in doc.content_paragraphs[:2]:
        m = _LEAD_DATE_RE.match(doc.slice(para, folded=True))
        if m:
            date = _valid_date(m.group("y") or m.group("y2"), m.group("m") or m.group("m2"), m.group("d"))
            if date:
                return date
    return None


# ---------------------------------------------------------------------------------------------
# Periods

_YEAR = r"(?P<y>(?:19|20)\d\d)(?![\d/])"
_NUMBER_WORDS = {"ba": 3, "sáu": 6, "chín": 9, "mười hai": 12}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Each pattern yields one kind of mention; overlaps are resolved leftmost-longest.
_PERIOD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # dates are consumed so that "ngày 03 tháng 9 năm 2020" is never "tháng 9 năm 2020"
    ("date", _rx(r"(?<![\d.,/])\d{1,2}\s+tháng\s+\d{1,2}(?:\s*,?\s*năm\s+\d{4})?(?!\d)")),
    ("date", _rx(r"(?<![\d.,/])\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}(?!\d)")),
    ("date", _rx(r"(?<![\d.,/])\d{1,2}[/.]\d{1,2}(?![\d/.,]?\d)")),
    ("month", _rx(r"(?<![^\W_])tháng\s+(?P<m>\d{1,2})\s*(?:/|-|–|\.|,?\s*năm)\s*" + _YEAR)),
    (
        "quarter",
        _rx(r"(?<![^\W_])quý\s+(?P<q>iv|i{1,3}|[1-4])(?![^\W_])\s*(?:/|-|–|,?\s*năm)\s*" + _YEAR),
    ),
    ("half_word", _rx(r"(?<![^\W_])nửa\s+(?P<w>đầu|cuối)\s+năm\s+" + _YEAR)),
    (
        "span",
        _rx(
            r"(?:(?<![\d.,])(?P<n>\d{1,2})|(?<![^\W_])(?P<nw>ba|sáu|chín|mười hai))\s+tháng\s+"
            r"(?:(?P<w>đầu|cuối)\s+)?(?:năm\s*|/\s*)" + _YEAR
        ),
    ),
    ("year", _rx(r"(?<![^\W_])năm\s+" + _YEAR + r"(?!\s*[-–—]\s*\d{4})")),
    ("bare_month", _rx(r"(?<![^\W_])tháng\s+(?P<m>\d{1,2})(?![\d/.\-–]?\d)(?!\s*,?\s*năm\s*\d)")),
]
_COMPARISON_RE = _rx(r"(?<![^\W_])(?:cùng kỳ|so với|so)\s*$")


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    kind: str  # "period", "date", "bare_month", "span" (N months with N not 3/6/9/12)
    period: Period | None = None
    month: int | None = None  # bare_month: the month; span: N
    year: int | None = None  # span: the year
    comparison: bool = False  # "so với cùng kỳ năm 2020"


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
        q = g["q"].lower()
        return "period", Period("quarter", year, _ROMAN.get(q) or int(q)), None, None
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


def _scan(folded: str) -> list[_Mention]:
    """Every period-like mention in a tone-folded text, non-overlapping, in order."""
    found = []
    for priority, (kind, pattern) in enumerate(_PERIOD_PATTERNS):
        for m in pattern.finditer(folded):
            found.append((m.start(), -(m.end() - m.start()), priority, kind, m))
    found.sort(key=lambda f: f[:3])
    mentions: list[_Mention] = []
    last_end = -1
    for start, _, _, kind, m in found:
        if start < last_end:
            continue
        last_end = m.end()
        mkind, period, month, year = _mention(kind, m)
        comparison = bool(_COMPARISON_RE.search(folded[max(0, start - 30) : start]))
        mentions.append(_Mention(start, m.end(), mkind, period, month, year, comparison))
    return mentions


def find_period_mentions(text: str) -> list[_Mention]:
    """Every period-like mention of ``text`` with its span and whether it is a comparison
    ("so với cùng kỳ năm 2020"); spans index ``text`` (folding keeps lengths)."""
    return _scan(_fold(unicodedata.normalize("NFC", text)))


def find_periods(text: str) -> list[Period]:
    """All periods a text names, in order: "tháng 8/2020", "quý III/2021", "6 tháng đầu năm 2020",
    "9 tháng năm 2022", "năm 2021", ... Dates ("ngày 03 tháng 9 năm 2020"), year ranges
    ("2021 - 2025"), yearless months and other month counts ("8 tháng năm 2020") are not periods.
    Comparison mentions ("so với cùng kỳ năm 2020") are included; the caller decides."""
    return [m.period for m in _scan(_fold(unicodedata.normalize("NFC", text))) if m.period is not None]


def extract_period(text: str, issue_date: str | None = None) -> Period | None:
    """The period the document reports on, or None.

    Heuristic: read the title (when it comes from a heading or a headline), then the first two
    body paragraphs, in order, and take the first period mentioned there that is not a
    comparison ("so với cùng kỳ năm 2020"). Deeper mentions are ignored: a report's body cites
    many other periods. So "kiểm điểm công tác ... năm 2021 và triển khai nhiệm vụ năm 2022"
    gives 2021, and "Chiều ngày 03 tháng 9 năm 2020 ... tháng 8 năm 2020" gives 8/2020 (the
    date is skipped).

    A month without a year ("phiên họp thường kỳ tháng 8") is kept only when the year is
    fixed without guessing: the opening names the same month with a year, or a cumulative
    "8 tháng năm 2021", or the document's own issue date falls in that month or up to two
    months later (a Jan 2021 report on "tháng 12" → 12/2020). Otherwise None; a yearless
    month is never completed with a stray "năm 2021" from elsewhere.
    """
    doc = _Doc(text)
    if issue_date is None:
        issue_date = _extract_issue_date(doc)
    return _extract_period(doc, issue_date)


def _extract_period(doc: _Doc, issue_date: str | None) -> Period | None:
    segments: list[str] = []
    title = doc.title
    if title is not None and title[1] in ("heading", "vv", "headline"):
        segments.append(_fold(title[0]))
    segments += [doc.slice(p, folded=True) for p in doc.content_paragraphs[:2]]
    pending: int | None = None
    for segment in segments:
        for m in _scan(segment):
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
    return None


# ---------------------------------------------------------------------------------------------
# Province


def _name_pattern(spelling: str) -> str:
    pat = re.escape(normalize_tone_marks(spelling))
    pat = pat.replace(r"\ \-\ ", r"\s*[-–—]?\s*").replace(r"\-", r"\s*[-–—]\s*")
    return pat.replace(r"\ ", r"\s+").replace(r"\.", r"\.?\s*")


_VARIANTS = name_variants()
_NAME = "(?:" + "|".join(_name_pattern(s) for s, _ in _VARIANTS) + ")"
_END = r"(?![^\W_])"
_AUTHORITY = (
    r"(?:ủy ban nhân dân|ubnd|hội đồng nhân dân|hđnd|ủy ban mặt trận tổ quốc(?:\s+việt nam)?|"
    r"ủy ban mttq(?:vn)?|văn phòng ubnd|văn phòng ủy ban nhân dân)"
)
_PREFIXED_RE = re.compile(
    rf"(?<![^\W_])(?P<auth>{normalize_tone_marks(_AUTHORITY)}\s+)?"
    rf"(?P<pre>{normalize_tone_marks('tỉnh|thành phố|tp|thủ đô')})\.?\s*(?P<name>{_NAME}){_END}",
    _F,
)
_PLACE_NAME_RE = re.compile(
    rf"(?<![^\W_])(?:(?:{normalize_tone_marks('thành phố')}|tp)\.?\s*)?(?P<name>{_NAME}),\s*"
    + normalize_tone_marks("ngày")
    + r"\s+\d",
    _F,
)
_HEADLINE_NAME_RE = re.compile(
    rf"^(?:(?:{normalize_tone_marks('tỉnh|thành phố')}|tp)\.?\s*)?(?P<name>{_NAME})\s*(?::|[-–—]\s)", _F
)
_BARE_RE = re.compile(rf"(?<![^\W_])(?P<name>{_NAME}){_END}", _F)
_PERSON_BEFORE_RE = _rx(
    r"(?:chủ tịch|bác|tư tưởng|lăng|đoàn tncs|đường|di chúc|tấm gương|đạo đức|phong cách|"
    r"chủ nghĩa mác - lênin,?)\s*$"
)

_W_PLACE_DATE = 10
_W_HEADLINE = 8
_W_AUTHORITY = 3  # on top of the prefix weight
_W_TINH = 2
_W_CITY = 1
_W_BARE = 1
_DOC_THRESHOLD = 3


def _province_scores(doc: _Doc, bare: bool) -> tuple[dict[str, int], dict[str, int]]:
    scores: dict[str, int] = {}
    first: dict[str, int] = {}

    def add(name: str | None, weight: int, pos: int) -> None:
        if name is None:
            return
        scores[name] = scores.get(name, 0) + weight
        first[name] = min(first.get(name, pos), pos)

    text = doc.folded
    for m in _PLACE_NAME_RE.finditer(text, 0, _OPENING_CHARS):
        add(canonical_province(m.group("name")), _W_PLACE_DATE, m.start())
    title = doc.title
    if title is not None and title[1] == "headline":
        m = _HEADLINE_NAME_RE.match(_fold(title[0]))
        if m:
            add(canonical_province(m.group("name")), _W_HEADLINE, 0)
    covered: list[tuple[int, int]] = []
    for m in _PREFIXED_RE.finditer(text):
        weight = _W_TINH if m.group("pre").lower() == normalize_tone_marks("tỉnh") else _W_CITY
        if m.group("auth"):
            weight += _W_AUTHORITY
        add(canonical_province(m.group("name")), weight, m.start("name"))
        covered.append((m.start("name"), m.end("name")))
    if bare:
        taken = {s for s, _ in covered}
        for m in _BARE_RE.finditer(text):
            if m.start() in taken:
                continue
            canon = canonical_province(m.group("name"))
            if canon is None:
                continue
            raw = doc.text[m.start() : m.end()]
            if canon in COMMON_WORD_NAMES and not raw[:1].isupper():
                continue
            if canon in PERSON_NAMES and _PERSON_BEFORE_RE.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            add(canon, _W_BARE, m.start())
    return scores, first


def _best(scores: dict[str, int], first: dict[str, int], threshold: int) -> str | None:
    if not scores:
        return None
    best = max(scores, key=lambda n: (scores[n], -first[n]))
    return best if scores[best] >= threshold else None


def extract_province(text: str) -> str | None:
    """The province or centrally-run city the document is about, or None.

    Only subject-like mentions count, weighted: the "Cà Mau, ngày ..." line (10), a headline
    "Cà Mau: ..." (8), "UBND/HĐND tỉnh|thành phố X" (5), "tỉnh X" (2), "thành phố X" / "TP. X" /
    "thủ đô X" (1; "thành phố Cà Mau" is a city inside Cà Mau province, so it still points there).
    Bare names ("hỗ trợ Bình Dương") never count. The best score must reach 3, so one passing
    "Thành phố Hồ Chí Minh" or "tỉnh X" does not make a province; ties go to the earliest.
    """
    return _extract_province(_Doc(text))


def _extract_province(doc: _Doc) -> str | None:
    return _best(*_province_scores(doc, bare=False), threshold=_DOC_THRESHOLD)


def find_province(text: str) -> str | None:
    """The province a short text (a question) names, or None: like :func:`extract_province`,
    but bare names count too ("Thu ngân sách năm 2021 của Cà Mau") and one mention is enough.
    Names that are common words ("hòa bình") must be capitalised; bare "Hồ Chí Minh" after
    "Chủ tịch", "tư tưởng", ... is the person."""
    return _best(*_province_scores(_Doc(text), bare=True), threshold=1)


# ---------------------------------------------------------------------------------------------
# Kind

_MEETING_RE = _rx(
    r"(?<![^\W_])(?:phiên họp|hội nghị|cuộc họp|kỳ họp|buổi họp|họp trực tuyến|họp thường kỳ|họp báo|"
    r"hội thảo|tọa đàm|buổi làm việc)(?![^\W_])"
)
_DISPATCH_RE = _rx(
    r"(?<![^\W_])(?:công văn|công điện|(?:có|ký|ban hành|gửi)\s+văn bản(?:\s+chỉ đạo)?)(?![^\W_])"
)
_REPORT_RE = _rx(r"(?<![^\W_])báo cáo\s+(?:công tác|kết quả|tình hình|tóm tắt|tổng kết|sơ kết)(?![^\W_])")
_OPENING_KINDS: tuple[tuple[DocKind, re.Pattern[str]], ...] = (
    ("meeting", _MEETING_RE),
    ("dispatch", _DISPATCH_RE),
    ("report", _REPORT_RE),
)
_TITLE_KIND_RE = _rx(r"^(báo cáo|kế hoạch|quyết định|công văn|công điện)(?![^\W_])")
_MIN_WORDS_TO_JUDGE = 10


def classify_kind(text: str) -> DocKind:
    """What the document is, judged from its heading and opening, never from its body.

    A "BÁO CÁO" / "KẾ HOẠCH" / "QUYẾT ĐỊNH" / "CÔNG VĂN" heading (or the type code in its own
    "Số: 123/BC-UBND" line, or a "V/v" subject line) decides; a formal heading of a type outside
    DocKind ("TỜ TRÌNH", "THÔNG BÁO", "CHỈ THỊ", ...) gives "other". Otherwise a title starting
    with "Báo cáo ..." etc.; otherwise the headline and the first two sentences: a meeting word
    ("tổ chức Phiên họp", "Hội nghị") → meeting, "có công văn", "công điện" → dispatch,
    "báo cáo công tác/kết quả/tình hình" → report, whichever comes first. Any other text is
    news; "other" also when there is too little text (< 10 words) to judge.
    """
    return _classify_kind(_Doc(text))


def _classify_kind(doc: _Doc) -> DocKind:
    if len(_words(doc.text)) < _MIN_WORDS_TO_JUDGE:
        return "other"
    if doc.heading is not None:
        return doc.heading[0]
    for span in doc.header_lines[:12]:
        m = _DOC_NUMBER_RE.match(doc.slice(span, folded=True))
        if m and m.group(1).lower() in _DOC_NUMBER_KINDS:
            return _DOC_NUMBER_KINDS[m.group(1).lower()]
    title = doc.title
    if title is not None and title[1] == "vv":
        return "dispatch"
    if title is not None and title[1] in ("headline", "heading"):
        m = _TITLE_KIND_RE.match(_fold(title[0]))
        if m:
            return _HEADINGS[m.group(1).lower()]
    opening: list[str] = []
    if title is not None and title[1] == "headline":
        opening.append(_fold(title[0]))
    if doc.content_paragraphs:
        para = doc.slice(doc.content_paragraphs[0], folded=True)
        spans = list(sentence_spans(para))[:2]
        opening.append(para[spans[0][0] : spans[-1][1]] if spans else para)
        if not opening[-1]:
            opening.pop()
    if opening and title is not None and title[1] == "sentence":
        m = _TITLE_KIND_RE.match(opening[-1])
        if m:
            return _HEADINGS[m.group(1).lower()]
    for chunk in opening:
        hits = [
            (m.start(), kind)
            for kind, pattern in _OPENING_KINDS
            if (m := pattern.search(chunk))
        ]
        if hits:
            return min(hits)[1]
    return "news"


# ---------------------------------------------------------------------------------------------
# Everything


def extract_metadata(text: str, file_name: str | None = None) -> DocumentMetadata:
    """All metadata of one document; every field unknown to the text stays ``None``.

    ``file_name`` only supplies a title for a text without words (its stem); it is never used
    for the date, period or province, because names lie ("bao-cao-6-thang-2019.txt" holds a 2017
    report) and the text wins.
    """
    doc = _Doc(text)
    title = _extract_title(doc)
    if title is None and file_name:
        title = PurePath(file_name).stem or None
    date = _extract_issue_date(doc)
    return DocumentMetadata(
        title=title,
        date=date,
        period=_extract_period(doc, date),
        province=_extract_province(doc) or province_by_places(doc.text),
        kind=_classify_kind(doc),
    )


# A document that names no province is placed by its districts and towns ("huyện Năm Căn"), when
# at least this many unambiguous mentions agree and no other province has half as many.
_MIN_PLACE_MENTIONS = 2


def province_by_places(text: str) -> str | None:
    """The province whose districts and towns a text names (rag.text.gazetteer), or None."""
    from rag.text.gazetteer import provinces_by_places

    ranked = provinces_by_places(text).most_common(2)
    if not ranked or ranked[0][1] < _MIN_PLACE_MENTIONS:
        return None
    if len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]:
        return None
    return ranked[0][0]


# -- signature block ------------------------------------------------------------------------------
# Official documents end with "TM. <body>" / "KT. <title>" / "<TITLE>" lines and the signer's name.
_SIGN_TITLE_RE = re.compile(
    r"^(?:(?:TM|KT|TL|TUQ|Q)\.\s*)?(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỦ TƯỚNG|BÍ THƯ|TRƯỞNG BAN|"
    r"CHÁNH VĂN PHÒNG|ỦY BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN|UBND|HĐND)\b.*$"
)
_SIGN_NAME_RE = re.compile(r"^[A-ZÀ-ỸĐ][a-zà-ỹđ]+(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}$")


def find_signature(text: str, tail_chars: int = 1500) -> tuple[int, int, str] | None:
    """``(start, end, name)`` of the signature block at the end of a document, if it has one.

    The span runs from the first title line ("KT. CHỦ TỊCH") to the end of the signer's name,
    so a citation shows who signed and in what capacity.
    """
    base = max(0, len(text) - tail_chars)
    lines = []
    pos = base
    for line in text[base:].split("\n"):
        lines.append((pos, pos + len(line), line.strip()))
        pos += len(line) + 1
    for i in range(len(lines) - 1, -1, -1):
        start, end, line = lines[i]
        if not line:
            continue
        if not _SIGN_NAME_RE.match(line):
            return None  # the last non-empty line is not a name: no signature block
        titles = [ln for ln in lines[:i] if ln[2]]
        block_start = None
        for t_start, _, t_line in reversed(titles[-4:]):
            if _SIGN_TITLE_RE.match(t_line.upper()) and t_line.upper() == t_line:
                block_start = t_start
            else:
                break
        if block_start is None:
            return None
        return block_start, end, line
    return None
