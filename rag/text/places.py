"""Which province a text is about, read from how it names provinces and their districts.

One recogniser for documents (the ingest, :func:`document_province`) and questions (the question
analyser, :func:`find_province`), so both name a province the same way ("TP.HCM" and "Thành phố
Hồ Chí Minh" are "Hồ Chí Minh"). Hand-written, weighted rules: no offline library tells which
province a Vietnamese report is about. The names themselves are data (rag.text.provinces,
rag.text.gazetteer); matching is tone-style-insensitive and case-insensitive.
"""

from __future__ import annotations

import re
import unicodedata

from rag.text.gazetteer import provinces_by_places
from rag.text.normalize import normalize_tone_marks, tone_form, tone_regex
from rag.text.provinces import COMMON_WORD_NAMES, PERSON_NAMES, canonical_province, name_variants

__all__ = ["document_province", "find_province", "province_by_places"]

_F = re.IGNORECASE


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
# "Cà Mau, ngày 23 tháng 6 năm 2020": the issue line of a formal document, in its header block.
_PLACE_NAME_RE = re.compile(
    rf"(?<![^\W_])(?:(?:{normalize_tone_marks('thành phố')}|tp)\.?\s*)?(?P<name>{_NAME}),\s*"
    + normalize_tone_marks("ngày")
    + r"\s+\d",
    _F,
)
_HEADER_CHARS = 3000  # a formal document's header block fits in here
_HEADLINE_NAME_RE = re.compile(
    rf"^(?:(?:{normalize_tone_marks('tỉnh|thành phố')}|tp)\.?\s*)?(?P<name>{_NAME})\s*(?::|[-–—]\s)", _F
)
_BARE_RE = re.compile(rf"(?<![^\W_])(?P<name>{_NAME}){_END}", _F)
_PERSON_BEFORE_RE = tone_regex(
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


def _province_scores(text: str, headline: str | None, bare: bool) -> tuple[dict[str, int], dict[str, int]]:
    """Each named province's weight, and where it is first named."""
    scores: dict[str, int] = {}
    first: dict[str, int] = {}

    def add(name: str | None, weight: int, pos: int) -> None:
        if name is None:
            return
        scores[name] = scores.get(name, 0) + weight
        first[name] = min(first.get(name, pos), pos)

    text = unicodedata.normalize("NFC", text)
    form = tone_form(text)
    for m in _PLACE_NAME_RE.finditer(form, 0, _HEADER_CHARS):
        add(canonical_province(m.group("name")), _W_PLACE_DATE, m.start())
    if headline is not None:
        m = _HEADLINE_NAME_RE.match(tone_form(headline))
        if m:
            add(canonical_province(m.group("name")), _W_HEADLINE, 0)
    covered: list[tuple[int, int]] = []
    for m in _PREFIXED_RE.finditer(form):
        weight = _W_TINH if m.group("pre").lower() == normalize_tone_marks("tỉnh") else _W_CITY
        if m.group("auth"):
            weight += _W_AUTHORITY
        add(canonical_province(m.group("name")), weight, m.start("name"))
        covered.append((m.start("name"), m.end("name")))
    if bare:
        taken = {s for s, _ in covered}
        for m in _BARE_RE.finditer(form):
            if m.start() in taken:
                continue
            canon = canonical_province(m.group("name"))
            if canon is None:
                continue
            raw = text[m.start() : m.end()]
            if canon in COMMON_WORD_NAMES and not raw[:1].isupper():
                continue
            if canon in PERSON_NAMES and _PERSON_BEFORE_RE.search(form[max(0, m.start() - 40) : m.start()]):
                continue
            add(canon, _W_BARE, m.start())
    return scores, first


def _best(scores: dict[str, int], first: dict[str, int], threshold: int) -> str | None:
    if not scores:
        return None
    best = max(scores, key=lambda n: (scores[n], -first[n]))
    return best if scores[best] >= threshold else None


def document_province(text: str, headline: str | None = None) -> str | None:
    """The province or centrally-run city a document is about, or None.

    Only subject-like mentions count, weighted: the "Cà Mau, ngày ..." line (10), a ``headline``
    (a news page's, found by the caller) opening "Cà Mau: ..." (8), "UBND/HĐND tỉnh|thành phố X"
    (5), "tỉnh X" (2), "thành phố X" / "TP. X" / "thủ đô X" (1; "thành phố Cà Mau" is a city
    inside Cà Mau province, so it still points there). Bare names ("hỗ trợ Bình Dương") never
    count. The best score must reach 3, so one passing "Thành phố Hồ Chí Minh" or "tỉnh X" does
    not make a province; ties go to the earliest.
    """
    return _best(*_province_scores(text, headline, bare=False), threshold=_DOC_THRESHOLD)


def find_province(text: str) -> str | None:
    """The province a short text (a question) names, or None: like :func:`document_province`,
    but bare names count too ("Thu ngân sách năm 2021 của Cà Mau") and one mention is enough.
    Names that are common words ("hòa bình") must be capitalised; bare "Hồ Chí Minh" after
    "Chủ tịch", "tư tưởng", ... is the person."""
    return _best(*_province_scores(text, None, bare=True), threshold=1)


# A document that names no province is placed by its districts and towns ("huyện Năm Căn"), when
# at least this many unambiguous mentions agree and no other province has half as many.
_MIN_PLACE_MENTIONS = 2


def province_by_places(text: str) -> str | None:
    """The province whose districts and towns a text names (rag.text.gazetteer), or None."""
    ranked = provinces_by_places(text).most_common(2)
    if not ranked or ranked[0][1] < _MIN_PLACE_MENTIONS:
        return None
    if len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]:
        return None
    return ranked[0][0]
