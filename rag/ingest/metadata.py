"""Document metadata (title, issue date, reporting period, province, kind) read from the text itself.

This module reads a document's layout: its header block, its heading and title, its opening
paragraphs, never dates or periods quoted deep in the body ("Kế hoạch số 01/KH-UBND ngày
02/01/2020" says nothing about when the report itself was written). What a phrase *is* (a
period, a province, a document number) is decided by the recognisers every stage shares, in
rag.text (periods, places, entities); this module only decides where to look.

Hand-written rules, because no library parses Vietnamese administrative reports. They were
designed on the sample reports (formal "BÁO CÁO" reports with a "Cà Mau, ngày ..." line,
meeting news, a news page about a dispatch) and follow one principle: unknown stays ``None``.

Matching is case-insensitive and tone-style-insensitive: patterns run on
:func:`rag.text.normalize.tone_form`, which never changes a string's length, so match offsets
still point into the original text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath

from rag.records import DocKind, DocumentMetadata, Period
from rag.text.entities import DOC_NUMBER_RE
from rag.text.normalize import tone_form, tone_regex
from rag.text.periods import find_period_mentions, reported_period
from rag.text.places import document_province, province_by_places
from rag.text.sentences import sentence_spans, trim_span
from rag.text.table_rows import CAPTION_PREFIX, parse_record

__all__ = [
    "extract_metadata",
    "extract_title",
    "extract_issue_date",
    "extract_period",
    "extract_province",
    "classify_kind",
]

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
_HEADING_RE = tone_regex(r"^(" + "|".join(_HEADINGS) + r")(?![^\W_])\s*[:.]?\s*(.*)$")
_VV_RE = tone_regex(r"^(?:v/v|về việc)\s*[:.]?\s*(.+)$")
# "Số: 123/BC-UBND": a formal document's number line (rag.text.entities.DOC_NUMBER_RE, with spaces
# around its slashes allowed: "Số: 29 /BC-UBND"); the first part of its code tells the kind.
_NUMBER_LINE_RE = tone_regex(r"^số\s*:?\s*(?=\d)")
_SPACED_SLASH_RE = re.compile(r"\s*/\s*")
_CODE_HEAD_RE = re.compile(r"[^\W\d_]+")
_DOC_NUMBER_KINDS: dict[str, DocKind] = {
    "bc": "report",
    "kh": "plan",
    "qđ": "decision",
    "cđ": "dispatch",
    "ubnd": "dispatch",  # "Số: 7058/UBND-NNTN" is how a công văn is numbered
    "cv": "dispatch",
}

# "Cà Mau, ngày 23 tháng 6 năm 2020" — place, comma, date: the issue line of a formal document.
_PLACE_DATE_RE = tone_regex(
    r"(?<![^\W_])(?P<place>(?:[^\W\d_]++\.?[ \t]*+){1,6}),[ \t]*ngày[ \t]+(?P<d>\d{1,2})[ \t]*"
    r"(?:tháng[ \t]+(?P<m>\d{1,2})[ \t]+năm[ \t]+(?P<y>\d{4})"
    r"|[/.\-][ \t]*(?P<m2>\d{1,2})[ \t]*[/.\-][ \t]*(?P<y2>\d{4}))"
    r"(?!\d)"
)
# A line that is only a date (a web page's dateline): "20/09/2023 11:54:31 SA", "Thứ Hai, 20/9/2023".
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:SA|CH|AM|PM|GMT\s*[+\-]?\d*))?"
_DATELINE_RE = tone_regex(
    rf"^(?:(?:[^\W\d_]++\.?\s*+){{0,3}}[:,|\-–]?\s*)?(?:{_TIME}\s*[,|\-–]?\s*)?"
    r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})"
    rf"(?:\s*[,|\-–]?\s*{_TIME})?\s*$"
)
_ISO_RE = re.compile(r"(?<![\d/.\-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d\-])")
# The opening of meeting news: "Chiều ngày 03 tháng 9 năm 2020, ...", "Sáng 3/9/2020, ...".
_LEAD_TIME = (
    r"^(?:(?:vào|trong)\s+)?(?:(?:sáng|chiều|tối|trưa|đêm|hôm nay|hôm qua)\s+(?:nay\s+)?)?\(?(?:ngày\s+)?"
)
_LEAD_DATE_RE = tone_regex(
    _LEAD_TIME + r"(?P<d>\d{1,2})\s*(?:\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
    r"|[/.\-]\s*(?P<m2>\d{1,2})\s*[/.\-]\s*(?P<y2>\d{4}))(?!\d)"
)
# The same opening, with or without a year, stripped from a title ("Sáng 31.8, UBND ..." → "UBND ...").
_LEAD_CLAUSE_RE = tone_regex(
    _LEAD_TIME
    + r"\d{1,2}(?:\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?)"
    r"\)?\s*,\s*"
)
_JUNK_LINE_RE = tone_regex(
    r"^(?:share|chia sẻ|tags?|in bài|bản in|ảnh\s*:|nguồn\s*:|xem thêm|•|độc lập\s*[-–]\s*tự do|"
    r"cộng hòa xã hội chủ nghĩa)"
)
_CAPTION_RE = tone_regex(r"^(?:ảnh|video|clip)\s*(?:\d+\s*)?:")
_SENTENCE_END = ".!?…:;\"”’)»]"


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _number_line_code(line: str) -> str | None:
    """The first part of the code ("bc") of a "Số: 123/BC-UBND" line, lower-case; else None."""
    m = _NUMBER_LINE_RE.match(line)
    number = DOC_NUMBER_RE.match(_SPACED_SLASH_RE.sub("/", line[m.end() :])) if m else None
    if number is None:
        return None
    head = _CODE_HEAD_RE.match(number.group().rsplit("/", 1)[1])
    return head.group().lower() if head else None


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
        self.folded = tone_form(self.text)

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
        if _DATELINE_RE.match(line) or _ISO_RE.fullmatch(line.strip()) or _number_line_code(line) is not None:
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
    for m in find_period_mentions(text):  # never cut "tháng 8 năm 2020" in two
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
    m = _LEAD_CLAUSE_RE.match(tone_form(sentence))
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
# Period


def extract_period(text: str, issue_date: str | None = None) -> Period | None:
    """The period the document reports on, or None.

    The recogniser is :func:`rag.text.periods.reported_period`; what it reads is layout: the
    title (when it comes from a heading, a "V/v" line or a headline), then the first two body
    paragraphs, in order. Deeper mentions are ignored: a report's body cites many other periods.
    So "kiểm điểm công tác ... năm 2021 và triển khai nhiệm vụ năm 2022" gives 2021, and "Chiều
    ngày 03 tháng 9 năm 2020 ... tháng 8 năm 2020" gives 8/2020 (the date is skipped). A month
    without a year is completed only from the opening itself, the document's issue date, or the
    same period of a year the opening compares with ("so với cùng kỳ năm 2020": 2021).
    """
    doc = _Doc(text)
    if issue_date is None:
        issue_date = _extract_issue_date(doc)
    return _extract_period(doc, issue_date)


def _extract_period(doc: _Doc, issue_date: str | None) -> Period | None:
    segments: list[str] = []
    title = doc.title
    if title is not None and title[1] in ("heading", "vv", "headline"):
        segments.append(title[0])
    segments += [doc.slice(p) for p in doc.content_paragraphs[:2]]
    return reported_period(segments, issue_date)


# ---------------------------------------------------------------------------------------------
# Province


def extract_province(text: str) -> str | None:
    """The province or centrally-run city the document is about, or None.

    The recogniser is :func:`rag.text.places.document_province` (weighted subject-like mentions:
    the "Cà Mau, ngày ..." line, "UBND tỉnh X", ...); the layout adds a news page's headline
    ("Cà Mau: ..."), which weighs like a title.
    """
    return _extract_province(_Doc(text))


def _extract_province(doc: _Doc) -> str | None:
    title = doc.title
    headline = title[0] if title is not None and title[1] == "headline" else None
    return document_province(doc.text, headline)


# ---------------------------------------------------------------------------------------------
# Kind

_MEETING_RE = tone_regex(
    r"(?<![^\W_])(?:phiên họp|hội nghị|cuộc họp|kỳ họp|buổi họp|họp trực tuyến|họp thường kỳ|họp báo|"
    r"hội thảo|tọa đàm|buổi làm việc)(?![^\W_])"
)
_DISPATCH_RE = tone_regex(
    r"(?<![^\W_])(?:công văn|công điện|(?:có|ký|ban hành|gửi)\s+văn bản(?:\s+chỉ đạo)?)(?![^\W_])"
)
_REPORT_RE = tone_regex(
    r"(?<![^\W_])báo cáo\s+(?:công tác|kết quả|tình hình|tóm tắt|tổng kết|sơ kết)(?![^\W_])"
)
_OPENING_KINDS: tuple[tuple[DocKind, re.Pattern[str]], ...] = (
    ("meeting", _MEETING_RE),
    ("dispatch", _DISPATCH_RE),
    ("report", _REPORT_RE),
)
_TITLE_KIND_RE = tone_regex(r"^(báo cáo|kế hoạch|quyết định|công văn|công điện)(?![^\W_])")
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
        code = _number_line_code(doc.slice(span, folded=True))
        if code in _DOC_NUMBER_KINDS:
            return _DOC_NUMBER_KINDS[code]
    title = doc.title
    if title is not None and title[1] == "vv":
        return "dispatch"
    if title is not None and title[1] in ("headline", "heading"):
        m = _TITLE_KIND_RE.match(tone_form(title[0]))
        if m:
            return _HEADINGS[m.group(1).lower()]
    opening: list[str] = []
    if title is not None and title[1] == "headline":
        opening.append(tone_form(title[0]))
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
