"""The near-miss guard: a sentence answers only if it names what the question names.

An embedder finds "kim ngạch xuất khẩu" close to "kim ngạch nhập khẩu", and the PCI sentence
close to a SIPAS question. Semantic evidence is what makes paraphrases work, so a separate check
keeps it honest: the named things of the question, an index or programme written as an acronym
("SIPAS", "PAR INDEX"), an organisation ("Sở Y tế"), a person, a document number, must stand
in the cited sentence, its section heading or its document's title. Words a reader may
paraphrase ("hàng hóa bán ra nước ngoài" for exports) are left to the fitted model's
``rare_missing`` and ``missing_mass`` features (trained on near misses). Hand-written: these are the rules of how reports name things.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.candidates import Candidate
from rag.query.analyze import QueryAnalysis
from rag.text.abbreviations import Abbreviations
from rag.text.entities import NAME_WORD, PLACE_LEVEL, TITLE_OPENERS, UPPER, capitalised_names, refers_back
from rag.text.normalize import fold_spelling

_WORD_RE = re.compile(r"[^\W_]+")
# An acronym: two or more capitals (digits allowed after the first letter), e.g. SIPAS, PCI, PAPI,
# its parts maybe joined by "&" ("KH&ĐT", "NN&PTNT": one body, not two acronyms).
_ACRONYM_RE = re.compile(
    rf"(?<![\w&-])[{UPPER}][{UPPER}0-9]{{1,9}}(?:&[{UPPER}][{UPPER}0-9]{{0,9}})*(?:\s+INDEX)?(?![\w&-])"
)
_ORG_RE = re.compile(
    r"\b(?:Sở|Bộ|Cục|Chi cục|Ban|Trung tâm|Văn phòng|Thanh tra|Kho bạc|Ngân hàng)\s+"
    rf"((?:[{UPPER}][^\s,.;:?!]*)(?:\s+(?:và\s+)?[^\s,.;:?!]+){{0,4}})"
)
# Words that end an organisation's name in a question ("Sở Y tế tỉnh Cà Mau", "Sở Y tế có …").
_NAME_STOPS = frozenset(
    "tỉnh thành huyện năm tháng quý là có đã được nào gì ai bao mấy đạt trong của ở tại về cho khi thì do"
    .split()
)


# a capitalised word right before "Sở"/"Ban"/...
_WORD_BEFORE_RE = re.compile(rf"\b({NAME_WORD})\s+$")
# the level word before a place name (rag/text/entities.py), or the "TP." of "TP. Hồ Chí Minh"
_PLACE_LEVEL_BEFORE_RE = re.compile(rf"\b({PLACE_LEVEL}|TP\.?)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class NamedTerm:
    """Something the question names that an answer must name too."""

    text: str  # as written in the question
    words: tuple[str, ...]  # its accent-free, lower-case words, all of which must be present
    spelled_out: tuple[tuple[str, ...], ...] = ()  # or all words of one of these (an acronym's expansions)
    # a person's name may identify the report anywhere in it, not the fact; a document number
    # is the report's own when its header states it
    document_wide: bool = False
    place_level: str | None = None  # "huyện" of "huyện Tân Phước": a place, named after its level word


# An acronym in more than this share of the passages names the issuing body or a standing
# programme ("UBND", "KT-XH"), which the answer sentence need not repeat; a rarer one ("SIPAS")
# names the very thing asked.
COMMON_SHARE = 0.2


def named_terms(
    analysis: QueryAnalysis,
    abbreviations: Abbreviations,
    share: Callable[[str], float] | None = None,
) -> list[NamedTerm]:
    """Acronyms (unless common in the index), organisation and person names, document numbers.

    ``share(token)`` is the share of the index's passages holding an accent-free token; an
    acronym the abbreviation table knows may also be present as one of its expansions.
    """
    text = analysis.text
    terms: list[NamedTerm] = []
    for m in _ACRONYM_RE.finditer(text):
        token = m.group(0)
        folded = fold_spelling(token).lower()
        words = tuple(_WORD_RE.findall(folded))  # "KH&ĐT": "kh", "dt", as text is read
        if _is_roman(token) or (share is not None and max(share(w) for w in words) > COMMON_SHARE):
            continue
        expansions = tuple(
            tuple(_WORD_RE.findall(fold_spelling(e).lower())) for e in abbreviations.expansions_of(token)
        )
        terms.append(NamedTerm(token, words, expansions))
    for m in _ORG_RE.finditer(text):
        before = _WORD_BEFORE_RE.search(text, max(0, m.start() - 20), m.start())
        if before and before.group(1) not in TITLE_OPENERS:
            continue  # "Tây Ban Nha": a syllable of a name, not a committee ("Trưởng Ban Dân vận" is one)
        words = _without_province(_organisation_name(m.group(1).split()), analysis.province)
        if words and " ".join(words) not in {t.text for t in terms}:  # "Sở GTVT": the acronym is the term
            name = " ".join(words)
            spelled_out = tuple(  # "Sở GTVT": the report may write "Sở Giao thông vận tải"
                tuple(_WORD_RE.findall(fold_spelling(e).lower())) for e in abbreviations.expansions_of(name)
            )
            terms.append(NamedTerm(name, tuple(_WORD_RE.findall(fold_spelling(name).lower())), spelled_out))
    province_words = set(fold_spelling(analysis.province or "").lower().split())
    for start, name in capitalised_names(text):
        folded = tuple(fold_spelling(name).lower().split())
        if set(folded) <= province_words or _inside(start, terms, text):
            continue
        level = _PLACE_LEVEL_BEFORE_RE.search(text, max(0, start - 12), start)
        terms.append(NamedTerm(name, folded, document_wide=True,
                               place_level=level.group(1).lower() if level else None))
    for number in analysis.doc_numbers:
        terms.append(NamedTerm(number, (fold_spelling(number).lower(),), document_wide=True))
    return terms


def missing_terms(candidate: Candidate, terms: list[NamedTerm], document: str = "") -> list[str]:
    """The named terms absent from the candidate's sentence as read (with its lead-in or the sentence
    it points to), heading and document title (a person's name: absent from the whole
    ``document``, where "tỉnh do ông X làm Chủ tịch" finds the report)."""
    if not terms:
        return []
    before = _pointed_to(candidate)
    near = _phrases(f"{before}\n{candidate.read}\n{candidate.section}\n{candidate.meta.title or ''}")
    missing = []
    for term in terms:
        if _is_number(term):  # a document number: stated near the fact, or the report's own number
            present = _holds(near, term) or _own_number(document, term)
        else:
            present = _holds(near, term) or (term.document_wide and bool(document) and _holds(_phrases(document), term))
        if not present and not (term.place_level and not _names_a_place(document, term.place_level)):
            missing.append(term.text)
    return missing


def _pointed_to(candidate: Candidate) -> str:
    """The passage before a sentence that points back ("Đây là động cơ 5 xy-lanh" after "Công ty
    Energiprojekt AB …"): what it is about is named there. "" for any other sentence."""
    if not refers_back(candidate.text):
        return ""
    at = candidate.context.find(candidate.text)
    return candidate.context[:at] if at > 0 else ""


def _is_number(term: NamedTerm) -> bool:
    return len(term.words) == 1 and "/" in term.words[0]


# how far into a report its own "Số: 214/QĐ-UBND" line may stand (the header block)
_OWN_NUMBER_CHARS = 600


def _own_number(document: str, term: NamedTerm) -> bool:
    """Whether ``document`` is the document numbered ``term``: a header line starts "Số: 214/QĐ-UBND".
    Every sentence of a decision answers for it; a report that only cites the number does not."""
    head = fold_spelling(document[:_OWN_NUMBER_CHARS]).lower()
    return re.search(rf"(?m)^\s*so\s*:?\s*{re.escape(term.words[0])}(?![\w])", head) is not None


def _names_a_place(document: str, level: str) -> bool:
    """Whether a report names a place of that level ("huyện Cái Bè"). One that names none, like a
    notice that says only "Chủ tịch UBND huyện", cannot contradict the district a question names;
    the place filters and the metadata check a report whose place is known."""
    return re.search(rf"(?i:\b{re.escape(level)})\s+[{UPPER}]", document) is not None


def _holds(folded: tuple[str, str], term: NamedTerm) -> bool:
    """Whether a text (as :func:`_phrases` gives it) names ``term``."""
    where, phrases = folded
    if len(term.words) == 1 and "/" in term.words[0]:  # a document number, whole: 142/… is not 1142/…
        return re.search(rf"(?<![\w/]){re.escape(term.words[0])}(?![\w])", where) is not None
    # the words in a row: "PAR INDEX" is not "chỉ số ... hành chính" scattered
    return any(f" {' '.join(option)} " in phrases for option in (term.words, *term.spelled_out))


def _organisation_name(words: list[str]) -> list[str]:
    """The name after "Sở"/"Bộ"/...: capitalised words, each with at most one small syllable after it
    (Vietnamese words are one or two syllables: "Tài chính", "Y tế", "Kế hoạch và Đầu tư"), so the
    verb that follows ("Sở Tài chính đề xuất") is not taken for part of the name."""
    out: list[str] = []
    small = 0
    for word in words:
        if word.lower() in _NAME_STOPS:
            break
        if word[:1].isupper():
            small = 0
        elif word == "và" and out:
            small = -1  # "và" joins the next capitalised word
        else:
            small += 1
            if small > 1:
                break
        out.append(word)
    while out and (out[-1] == "và" or not out[-1][:1].isupper() and len(out) > 1 and out[-2] == "và"):
        out.pop()
    return out


def _without_province(words: list[str], province: str | None) -> list[str]:
    """An organisation's name up to the province written after it: "Sở GTVT Hà Giang" is the
    department of transport of Hà Giang, which a report of Hà Giang names "Sở Giao thông vận tải"."""
    place = fold_spelling(province or "").lower().split()
    folded = [fold_spelling(w).lower() for w in words]
    for i in range(1, len(words) - len(place) + 1):
        if place and folded[i : i + len(place)] == place:
            return words[:i]
    return words


@lru_cache(maxsize=16)  # a report's text is folded once for all the candidates it holds
def _phrases(text: str) -> tuple[str, str]:
    """``text`` accent-free and lower-case, and its words joined by single spaces (padded)."""
    folded = fold_spelling(text).lower()
    return folded, " " + " ".join(_WORD_RE.findall(folded)) + " "


def _is_roman(token: str) -> bool:
    return bool(re.fullmatch(r"[IVXLC]+", token))


def _inside(pos: int, terms: list[NamedTerm], text: str) -> bool:
    """Whether a capitalised run starts inside an organisation name already taken."""
    return any(t.text in text and text.find(t.text) <= pos < text.find(t.text) + len(t.text) for t in terms)
