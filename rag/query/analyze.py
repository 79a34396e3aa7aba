"""What a question asks: its period, province, document numbers, keywords and answer type.

Hand-written rules (no offline library analyses Vietnamese questions). Questions are often
typed without diacritics, so every rule also matches the accent-free form, except where that
form is an everyday word of its own (see ``_ACCENT_ONLY`` and the folded stopwords).

Periods and provinces are read by :mod:`rag.text.periods` and :mod:`rag.text.places` (the same
parsers as documents, so a question's "quý III/2021" is the documents' ``2021-Q3``). For
accent-free questions the few period words are given back their accents first ("nam 2021" →
"năm 2021", same length).

Answer type rules, matched on whole word tokens of the question (lower-cased; a token without
diacritics also matches the accent-free form of a rule word, so "ai" never matches "ái"/"tai"):

1. Strong question phrases; the longest match wins, ties go in the order
   docref > date > place > person > number:

   * docref: "văn bản nào", "quyết định nào", "nghị quyết nào", "kế hoạch nào", "công văn
     nào", "thông tư nào", "nghị định nào", "chỉ thị nào", "số hiệu", "ký hiệu", "quyết định số mấy"...
   * date: "khi nào", "bao giờ", "lúc nào", "ngày nào", "năm nào", "tháng nào", "quý nào",
     "thời gian nào", "thời điểm nào", "ngày mấy", "mấy giờ", "hôm nào"
   * place: "ở đâu", "tại đâu", "nơi nào", "nơi đâu", "chỗ nào", "đâu là", "huyện nào", "xã nào",
     "tỉnh nào", "thành phố nào", "địa phương nào", "địa bàn nào", "khu vực nào", "vùng nào", ...
   * person: "ai", "người nào", "đồng chí nào", "ông nào", "bà nào", "vị nào", "lãnh đạo nào",
     "họ tên"
   * number: "bao nhiêu", "mấy" (accented only: "may" is also "máy"), "bao nhiêu phần trăm",
     "bao lâu", and the rank phrases of rag.text.entities.RANK_PHRASES ("thứ mấy", "hạng mấy",
     "thứ bao nhiêu", ..., also after "xếp")
2. yesno: "có/đã/được/phải/là ... không|chưa" with "không"/"chưa" the last word (particles
   like "ạ", "nhỉ" aside), or "phải không", "đúng không", "hay không", "hay chưa",
   "đúng hay sai", "có phải", "có đúng" anywhere.
3. Weak number words: "tỷ lệ"/"tỉ lệ", "phần trăm", "số lượng", "tổng số", and "may" typed
   without accents → number. They come after yesno: "Tỷ lệ hộ nghèo có giảm không?" is yesno.
4. phrase: "gì", "những gì", "là gì", "như thế nào", "thế nào", "ra sao", "vì sao", "tại sao",
   "làm sao", "bằng cách nào", and any other "nào".
5. Otherwise "unknown" (also for empty questions; "thì sao" alone is a follow-up marker, not a
   question word).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rag.records import AnswerType, Period, QuestionForm
from rag.text.abbreviations import Abbreviations, PhraseIndex, default_abbreviations
from rag.text.entities import DOC_NUMBER_RE, RANK_PHRASES, SPOKEN_NHIEU, measures_as_symbols
from rag.text.gazetteer import provinces_by_places
from rag.text.normalize import fold_diacritics, normalize_query, normalize_tone_marks
from rag.text.periods import find_period_mentions
from rag.text.places import find_province
from rag.text.provinces import COMMON_WORD_NAMES, PERSON_NAMES, name_variants
from rag.text.reaccent import cased_like
from rag.text.tokenize import tokenize

__all__ = [
    "QueryAnalysis",
    "PeriodMention",
    "analyze",
    "content_words",
    "doc_number_mentions",
    "period_mentions",
    "province_mentions",
    "question_phrase",
]

logger = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class QueryAnalysis:
    """Everything retrieval and answering need to know about one question."""

    question: str  # as typed
    text: str  # normalize_query(question), measures as reports write them ("héc-ta" -> "ha")
    folded: str  # fold_diacritics(text).lower()
    has_diacritics: bool
    expanded: str  # text + abbreviation expansions/contractions (for lexical search)
    periods: tuple[Period, ...]  # periods the question asks about (comparisons excluded)
    same_period_last_year: bool  # "cùng kỳ", "so với cùng kỳ năm trước"
    years: tuple[int, ...]  # years named, in order (comparison years and dates included)
    province: str | None
    doc_numbers: tuple[str, ...]  # "1631/QĐ-UBND", upper-case
    answer_type: AnswerType
    keywords: tuple[str, ...]  # content tokens, lower-case, without question/function words
    form: QuestionForm = "fact"  # what shape the answer takes (see question_form)


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class _Tok:
    text: str  # lower-case
    ascii: bool
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _WORD_RE.finditer(text):
        word = m.group(0).lower()
        out.append(_Tok(word, word.isascii(), m.start(), m.end()))
    return out


@lru_cache(maxsize=4096)
def _fold_word(word: str) -> str:
    return fold_diacritics(word).lower()


def _word_matches(tok: _Tok, word: str, accent_only: bool = False) -> bool:
    """A token matches a rule word as written, or (typed without accents) its folded form."""
    if tok.text == word:
        return True
    return tok.ascii and not accent_only and tok.text == _fold_word(word)


# ---------------------------------------------------------------------------------------------
# Stopwords: question words and function words, which say nothing about the topic.

_QUESTION_WORDS = (
    "bao nhiêu mấy ai gì nào đâu sao khi giờ không chưa phải đúng hay thế như lâu"
).split()
_FUNCTION_WORDS = (
    "là của và các những được đã có thì với cho trong về này đó ấy kia còn vậy bị mà để tại ở từ "
    "đến theo nhé ạ à hả nhỉ ra bằng cách một đang sẽ rồi nữa cũng hãy biết xin vui lòng hỏi nêu "
    "gồm hoặc nhưng so thế"
).split()
STOPWORDS: frozenset[str] = frozenset(_QUESTION_WORDS + _FUNCTION_WORDS)
# Accent-free forms that are also common content words: "co" (cơ cấu), "tai" (tài chính),
# "dang" (Đảng), "thi" (kỳ thi), "cho" (chợ), "ve" (vệ sinh), "de" (đề án), "tu" (tư pháp)...
_FOLDED_AMBIGUOUS = frozenset(
    "co ve cho da dang de tu den bang tai thi the nhu dung con vay ma nua cung sau hoi mot gio khi "
    "sao hay ra".split()
)
FOLDED_STOPWORDS: frozenset[str] = frozenset(_fold_word(w) for w in STOPWORDS) - _FOLDED_AMBIGUOUS


def _is_stopword(token: str) -> bool:
    return token in STOPWORDS or (token.isascii() and token in FOLDED_STOPWORDS)


def content_words(text: str) -> list[str]:
    """Lower-case content tokens of ``text`` (rag.text.tokenize), stopwords removed, deduplicated."""
    seen: set[str] = set()
    out = []
    for tok in tokenize(text):
        if tok in seen or _is_stopword(tok):
            continue
        seen.add(tok)
        out.append(tok)
    return out


# ---------------------------------------------------------------------------------------------
# Answer type

_STRONG: dict[str, tuple[str, ...]] = {
    "docref": (
        "văn bản nào", "quyết định nào", "nghị quyết nào", "kế hoạch nào", "công văn nào",
        "thông tư nào", "nghị định nào", "chỉ thị nào", "thông báo nào", "tờ trình nào",
        "báo cáo nào", "công điện nào", "số hiệu", "ký hiệu", "quyết định số mấy",
        "nghị quyết số mấy", "văn bản số mấy", "kế hoạch số mấy", "công văn số mấy",
    ),
    "date": (
        "khi nào", "bao giờ", "lúc nào", "ngày nào", "năm nào", "tháng nào", "quý nào",
        "thời gian nào", "thời điểm nào", "ngày mấy", "mấy giờ", "hôm nào", "dịp nào",
        "ngày tháng năm nào",
    ),
    "place": (
        "ở đâu", "tại đâu", "nơi nào", "nơi đâu", "chỗ nào", "đâu là", "huyện nào", "xã nào",
        "tỉnh nào", "thành phố nào", "thị xã nào", "phường nào", "địa phương nào", "địa bàn nào",
        "khu vực nào", "vùng nào", "địa điểm nào", "địa danh nào", "ấp nào", "khóm nào",
    ),
    "person": (
        "ai", "người nào", "đồng chí nào", "ông nào", "bà nào", "vị nào", "lãnh đạo nào", "họ tên",
    ),
    "number": (
        "bao nhiêu", "mấy", "bao nhiêu phần trăm", "bao lâu",
        "nhiêu",  # spoken, "bao" dropped: "giá nhiêu" (rag.text.entities.SPOKEN_NHIEU)
        *RANK_PHRASES, *(f"xếp {p}" for p in RANK_PHRASES),  # a rank ("xếp thứ mấy") is a number asked
    ),
}
_STRONG_ORDER: tuple[AnswerType, ...] = ("docref", "date", "place", "person", "number")
_WEAK_NUMBER = ("tỷ lệ", "tỉ lệ", "phần trăm", "số lượng", "tổng số")
_PHRASE = (
    "gì", "những gì", "là gì", "như thế nào", "thế nào", "ra sao", "vì sao", "tại sao", "làm sao", "thì sao",
    "bằng cách nào", "nào",
)
_ACCENT_ONLY = frozenset({"mấy", "nhiêu"})  # "may" is as often "máy" (machine), "nhieu" "nhiều" (many)
_SPOKEN_NHIEU_RE = re.compile(SPOKEN_NHIEU, re.IGNORECASE)
_YESNO_ANYWHERE = ("phải không", "đúng không", "hay không", "hay chưa", "đúng hay sai", "có phải", "có đúng")
_YESNO_END = ("không", "chưa")
_YESNO_OPENERS = ("có", "đã", "được", "phải", "là", "đúng")
_PARTICLES = ("ạ", "à", "nhỉ", "nhé", "vậy", "thế", "hả", "hở", "đây")


@dataclass(frozen=True)
class _Rule:
    answer_type: AnswerType
    words: tuple[str, ...]
    tier: int  # 0 strong, 1 weak number, 2 phrase


def _build_rules() -> dict[str, list[_Rule]]:
    rules: list[_Rule] = []
    for atype, phrases in _STRONG.items():
        rules += [_Rule(atype, tuple(p.split()), 0) for p in phrases]  # type: ignore[arg-type]
    rules += [_Rule("number", tuple(p.split()), 1) for p in _WEAK_NUMBER]
    rules.append(_Rule("number", ("may",), 1))  # "mấy" typed without accents: weak
    rules += [_Rule("phrase", tuple(p.split()), 2) for p in _PHRASE]
    by_first: dict[str, list[_Rule]] = {}
    for rule in rules:
        first = rule.words[0]
        keys = {first} if rule.words == ("mấy",) else {first, _fold_word(first)}
        for key in keys:
            by_first.setdefault(key, []).append(rule)
    return by_first


_RULES = _build_rules()


def _match_rule(tokens: list[_Tok], i: int, rule: _Rule) -> bool:
    if i + len(rule.words) > len(tokens):
        return False
    single = len(rule.words) == 1  # "mấy" alone needs its accent; "thu may" is clear enough
    return all(
        _word_matches(tokens[i + k], w, accent_only=single and w in _ACCENT_ONLY)
        for k, w in enumerate(rule.words)
    )


def _yesno(tokens: list[_Tok]) -> tuple[int, int] | None:
    """Token index range of a yes/no construction, or None."""
    firsts = {_fold_word(w.split()[0]) for w in _YESNO_ANYWHERE}
    for i, tok in enumerate(tokens):
        if _fold_word(tok.text) not in firsts:
            continue
        for phrase in _YESNO_ANYWHERE:
            words = phrase.split()
            if i + len(words) <= len(tokens) and all(
                _word_matches(tokens[i + k], w) for k, w in enumerate(words)
            ):
                return i, i + len(words)
    last = len(tokens) - 1
    while last >= 0 and any(_word_matches(tokens[last], p) for p in _PARTICLES):
        last -= 1
    if last < 1 or not any(_word_matches(tokens[last], w) for w in _YESNO_END):
        return None
    for i in range(last):
        if any(_word_matches(tokens[i], w) for w in _YESNO_OPENERS):
            return i, last + 1
    return None


def question_phrase(text: str) -> tuple[AnswerType, int, int, int] | None:
    """``(answer type, start, end, tier)`` of the phrase that decides the answer type.

    Offsets are character offsets into ``text``; tier 0 = strong question phrase, 1 = yes/no or
    weak number word (part of the topic, not a question word at a position), 2 = phrase word.
    """
    tokens = _tokens(text)
    best: dict[int, tuple[int, int, int, AnswerType]] = {}  # tier -> (-len, priority, i, type)
    for i, tok in enumerate(tokens):
        rules = _RULES.get(tok.text)
        if not rules:
            continue
        for rule in rules:
            if not _match_rule(tokens, i, rule):
                continue
            if rule.words == ("may",) and not tok.ascii:
                continue
            if rule.words == ("nhiêu",) and not _SPOKEN_NHIEU_RE.match(text, tok.start):
                continue  # "phì nhiêu", "nhiêu khê"
            prio = _STRONG_ORDER.index(rule.answer_type) if rule.tier == 0 else 0
            cand = (-len(rule.words), prio, i, rule.answer_type)
            if rule.tier not in best or cand < best[rule.tier]:
                best[rule.tier] = cand
    if 0 in best:
        neg_len, _, i, atype = best[0]
        return atype, tokens[i].start, tokens[i - neg_len - 1].end, 0
    yn = _yesno(tokens)
    if yn is not None:
        return "yesno", tokens[yn[0]].start, tokens[yn[1] - 1].end, 1
    for tier in (1, 2):
        if tier in best:
            neg_len, _, i, atype = best[tier]
            return atype, tokens[i].start, tokens[i - neg_len - 1].end, tier
    return None


def with_question_accents(text: str) -> str:
    """``text`` with each question phrase typed without accents spelled as the question phrase it
    is: "bao nhieu" is "bao nhiêu", "khi nao" "khi nào". Accents restored from the passages
    (rag/text/reaccent.py) would spell it as reports do, where "báo nhiều" is the common pair, and
    the question would lose what it asks. Phrases of two words or more only ("may" may be "máy")."""
    tokens = _tokens(text)
    out = list(text)
    i = 0
    while i < len(tokens):
        rules = [
            r for r in _RULES.get(tokens[i].text, ())
            if r.tier != 1 and len(r.words) > 1 and _match_rule(tokens, i, r)
            and all(t.ascii for t in tokens[i : i + len(r.words)])
        ]
        if not rules:
            i += 1
            continue
        rule = max(rules, key=lambda r: len(r.words))
        for tok, word in zip(tokens[i : i + len(rule.words)], rule.words, strict=True):
            typed = text[tok.start : tok.end]
            if len(word) == len(typed):  # one character for one: offsets stay valid
                out[tok.start : tok.end] = cased_like(typed, word)
        i += len(rule.words)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Periods

# Accent-free period words given back their accents, one character for one, so that
# metadata's period patterns match "thang 8/2020" and offsets stay valid.
_REACCENT = {
    "nam": "năm", "thang": "tháng", "quy": "quý", "dau": "đầu", "cuoi": "cuối", "nua": "nửa",
    "ngay": "ngày", "cung": "cùng", "ky": "kỳ", "voi": "với", "chin": "chín", "muoi": "mười",
}
_REACCENT_RE = re.compile(
    r"(?<![^\W_])(?:" + "|".join(_REACCENT) + r"|sau(?=\s+thang))(?![^\W_])", re.IGNORECASE
)
_SAME_PERIOD_RE = re.compile(
    normalize_tone_marks(r"(?<![^\W_])cùng\s+(?:kỳ|thời\s+kỳ|thời\s+điểm)(?![^\W_])"), re.IGNORECASE
)


def _reaccent_word(m: re.Match[str]) -> str:
    word = m.group(0)
    target = _REACCENT.get(word.lower(), "sáu")
    if word.isupper():
        return target.upper()
    if word[0].isupper():
        return target[0].upper() + target[1:]
    return target


# "tháng 8 2020", as keywords are typed, is "tháng 8/2020" (same length: the space becomes the slash).
_MONTH_YEAR_RE = re.compile(r"\b(tháng|thang)(\s+\d{1,2}) ((?:19|20)\d\d)\b", re.IGNORECASE)


def period_form(text: str) -> str:
    """``text`` with accent-free period words re-accented, tone-normalised; same length."""
    out = _REACCENT_RE.sub(_reaccent_word, _MONTH_YEAR_RE.sub(r"\1\2/\3", text))
    toned = normalize_tone_marks(out)
    return toned if len(toned) == len(text) else out


@dataclass(frozen=True)
class PeriodMention:
    """One period named in a question, with its place and whether it is a comparison."""

    start: int
    end: int
    period: Period
    comparison: bool  # "so với năm 2020", "cùng kỳ năm 2020"


def period_mentions(text: str) -> list[PeriodMention]:
    """Periods named in ``text`` (NFC, normalised), in order, via rag.text.periods' scanner."""
    return [
        PeriodMention(m.start, m.end, m.period, m.comparison)
        for m in find_period_mentions(period_form(text))
        if m.period is not None
    ]


_YEAR_RE = re.compile(
    r"(?<![\d.,])((?:19|20)\d\d)(?![\d])(?![.,]\d)"
    r"(?!\s*(?:%|tỷ|triệu|nghìn|ngàn|đồng|ha|hecta|người|hộ|tấn|km|m2|m3|usd|con|căn|lượt|ty|trieu|nghin|dong|nguoi|ho|tan)(?![^\W_]))",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Provinces

_PROVINCE_PREFIX_RE = re.compile(
    r"(?:" + normalize_tone_marks("tỉnh|thành phố") + r"|tinh|thanh pho|tp)\.?\s*$", re.IGNORECASE
)
# Accent-free names that are also ordinary words ("dien bien" = diễn biến, "da nang" = đa năng,
# "hai phong" = hai phòng): they count only capitalised or after "tinh"/"thanh pho"/"tp".
_AMBIGUOUS_FOLDED = COMMON_WORD_NAMES | PERSON_NAMES | {"Điện Biên", "Hải Phòng", "Đà Nẵng"}


def _name_regex(spelling: str) -> str:
    words = _WORD_RE.findall(spelling)
    return r"(?:\.\s*|\s*[-–]\s*|\s+)".join(re.escape(w) for w in words) + r"(?![^\W_])"


@lru_cache(maxsize=1)
def _province_index() -> PhraseIndex:
    index = PhraseIndex()
    for spelling, canon in name_variants():
        ambiguous = canon in _AMBIGUOUS_FOLDED or spelling == "Huế"
        accented = normalize_tone_marks(spelling)
        folded = fold_diacritics(accented)
        for form, is_folded in ((accented, False), (folded, True)):
            if is_folded and form == accented:
                continue
            key = _WORD_RE.search(form)
            if key is None:
                continue
            payload = (canon, is_folded, ambiguous)
            index.add(_name_regex(form), key.group(0).lower(), payload, size=len(form), flags=re.IGNORECASE)
    return index


def province_mentions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, canonical)`` of province names in ``text``, with or without accents.

    Accent-free matches count only where the text itself is accent-free, and ambiguous ones
    only capitalised or after "tỉnh"/"thành phố"/"tp" (see ``_AMBIGUOUS_FOLDED``).
    """
    form = normalize_tone_marks(text)
    if len(form) != len(text):
        form = text
    out = []
    for start, end, payload in _province_index().finditer(form):
        canon, folded, ambiguous = payload  # type: ignore[misc]
        raw = text[start:end]
        if folded and not raw.isascii():
            continue
        if ambiguous and not _PROVINCE_PREFIX_RE.search(text[max(0, start - 15) : start]):
            words = _WORD_RE.findall(raw)
            if not all(w[:1].isupper() for w in words):
                continue
        out.append((start, end, canon))
    return out


# Letter runs longer than any place-name word. metadata's place-and-date pattern backtracks
# polynomially on long runs of letters ("a" * 60 takes seconds), so they are blanked first.
_LONG_RUN_RE = re.compile(r"[^\W\d_]{13,}")


def _find_province(text: str) -> str | None:
    """places.find_province, then accent-free names ("ca mau" → "Cà Mau"); None when the question
    names several ("hỗ trợ Thành phố Hồ Chí Minh và Bình Dương": places acted on, not the report's)."""
    if len({canon for _, _, canon in province_mentions(text)}) > 1:
        return None
    found = find_province(_LONG_RUN_RE.sub(" ", text))
    if found:
        return found
    for _, _, canon in province_mentions(text):
        return canon
    # "ở tỉnh có thị trấn Yên Minh": a district or town named with its title places the question
    places = provinces_by_places(text)
    return places.most_common(1)[0][0] if len(places) == 1 else None


# ---------------------------------------------------------------------------------------------
# Document numbers


def doc_number_mentions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, number)`` of document numbers: "1631/QĐ-UBND", "15/2020/NĐ-CP", "84/nq-cp".

    A number/letters pair counts when it has a hyphenated code, a year segment or an upper-case
    code of two letters or more (so "50/xã" is not one). Numbers come back upper-case.
    """
    out = []
    for m in DOC_NUMBER_RE.finditer(text):
        raw = m.group(0)
        code = raw.rsplit("/", 1)[-1]
        has_year = bool(re.search(r"/(?:19|20)\d\d/", raw))
        if not ("-" in raw or "–" in raw or has_year or (code.isupper() and len(code) >= 2)):
            continue
        out.append((m.start(), m.end(), raw.replace("–", "-").upper()))
    return out


# ---------------------------------------------------------------------------------------------


def _unique(items: Iterable[object]) -> tuple:  # type: ignore[type-arg]
    seen: set[object] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Question form: one fact, a list, yes/no, a summary

# Words that ask for a whole list: "những … nào", "các … gồm", "liệt kê".
_LIST_OPENERS = ("những", "các", "mọi")
_LIST_CUES = ("liệt kê", "kể tên", "gồm những", "bao gồm những", "gồm các", "những ai", "là những")
# A summary asks for the content of a report section, not one fact: "tóm tắt", "những khó khăn",
# "tồn tại, hạn chế". The nouns are the names of the sections every report template has.
_SUMMARY_CUES = ("tóm tắt", "tóm lược", "khái quát", "tổng quan", "nêu khái quát", "điểm lại")
_SECTION_NOUNS = (
    "khó khăn", "tồn tại", "hạn chế", "vướng mắc", "bất cập", "nhiệm vụ", "giải pháp", "kết quả nổi bật",
    "nguyên nhân", "yếu kém",
)
# Heads of the indicators reports give figures for: a keyword question naming one asks for its figure.
_INDICATOR_HEADS = (
    "thu ngân sách", "chi ngân sách", "thu nội địa", "kim ngạch", "tỷ lệ", "tỉ lệ", "tổng mức", "giá trị",
    "sản lượng", "chỉ số", "tốc độ", "tăng trưởng", "doanh thu", "số lượng", "diện tích", "năng suất",
    "vốn đầu tư", "giải ngân", "thu nhập", "dân số", "số ca", "số hộ", "số người", "số lượt", "lượt khách",
    "tổng số", "tổng sản phẩm", "grdp", "cpi", "gdp", "pci",
)


def _has_phrase(tokens: list[_Tok], phrase: str) -> bool:
    words = phrase.split()
    return any(
        all(_word_matches(tokens[i + j], w) for j, w in enumerate(words)) for i in range(len(tokens) - len(words) + 1)
    )


def question_form(text: str, answer_type: AnswerType) -> QuestionForm:
    """"list" for "những … nào" / "các … gồm", "summary" for "tóm tắt" / "những khó khăn …",
    "yesno" for a yes/no question, else "fact"."""
    tokens = _tokens(text)
    if answer_type == "yesno":
        return "yesno"
    if any(_has_phrase(tokens, cue) for cue in _SUMMARY_CUES):
        return "summary"
    plural = any(_word_matches(t, w) for t in tokens for w in _LIST_OPENERS)
    if plural and any(_has_phrase(tokens, noun) for noun in _SECTION_NOUNS):
        return "summary"
    if any(_has_phrase(tokens, cue) for cue in _LIST_CUES):
        return "list"
    if plural and any(_word_matches(t, w) for t in tokens for w in ("nào", "gì", "gồm")):
        return "list"
    return "fact"


def _keyword_type(text: str, answer_type: AnswerType) -> AnswerType:
    """A question with no question word ("thu ngan sach 2021 ca mau") asks for the figure of the
    indicator it names."""
    if answer_type != "unknown":
        return answer_type
    tokens = _tokens(text)
    if any(_has_phrase(tokens, head) for head in _INDICATOR_HEADS):
        return "number"
    return answer_type


def analyze(question: str, abbreviations: Abbreviations | None = None) -> QueryAnalysis:
    """Analyse one question; never raises on odd input (empty, emoji, very long)."""
    text = measures_as_symbols(normalize_query(question or ""))
    plain = fold_diacritics(text)
    table = abbreviations if abbreviations is not None else default_abbreviations()

    mentions = period_mentions(text)
    periods = _unique(m.period for m in mentions if not m.comparison)
    docs = doc_number_mentions(text)
    doc_spans = [(s, e) for s, e, _ in docs]
    years = [
        (m.start(), int(m.group(1)))
        for m in _YEAR_RE.finditer(text)
        if not any(s <= m.start() < e for s, e in doc_spans)
    ]
    if not periods:
        periods = _bare_year(text, [(m.start(), m.end()) for m in _YEAR_RE.finditer(text)
                                    if not any(s <= m.start() < e for s, e in doc_spans)])
    years += [(m.start, m.period.year) for m in mentions]
    phrase = question_phrase(text)
    answer_type = _keyword_type(text, phrase[0] if phrase else "unknown")
    form = question_form(text, answer_type)

    return QueryAnalysis(
        question=question,
        text=text,
        folded=plain.lower(),
        has_diacritics=plain != text,
        expanded=table.augment(text),
        periods=periods,
        same_period_last_year=bool(_SAME_PERIOD_RE.search(period_form(text))),
        years=_unique(y for _, y in sorted(years)),
        province=_find_province(text),
        doc_numbers=_unique(n for _, _, n in docs),
        answer_type=answer_type,
        keywords=tuple(w for w in content_words(text) if w not in _cue_tokens(text)),
        form=form,
    )


# Phrases that tell the assistant what to do with the answer ("tóm tắt", "liệt kê"), not what it is about.
_CUE_PHRASES = (
    "tóm tắt", "tóm lược", "liệt kê", "kể tên", "hãy nêu", "nêu rõ", "cho biết",
    # "… thay đổi thế nào?" asks for the change; a report states it as "tăng"/"giảm", never as "thay đổi"
    "thay đổi thế nào", "thay đổi như thế nào", "thay đổi ra sao",
    "biến động thế nào", "biến động như thế nào", "biến động ra sao",
)


def _cue_tokens(text: str) -> set[str]:
    """The tokens of cue phrases in ``text`` (as written, or accent-free), unless used elsewhere too."""
    tokens = _tokens(text)
    inside: set[int] = set()
    for phrase in _CUE_PHRASES:
        words = phrase.split()
        for i in range(len(tokens) - len(words) + 1):
            if all(_word_matches(tokens[i + j], w) for j, w in enumerate(words)):
                inside.update(range(i, i + len(words)))
    cue = {tokens[i].text for i in inside}
    return {t for t in cue if all(k in inside for k, tok in enumerate(tokens) if tok.text == t)}
# Before a bare year these make it a comparison or a bound, not the period asked ("so với 2020").
_NOT_PERIOD_BEFORE = re.compile(r"\b(?:so voi|so|tu|den|toi|truoc|sau|cung ky)\s*$", re.IGNORECASE)  # accent-free


def _bare_year(text: str, spans: list[tuple[int, int]]) -> tuple[Period, ...]:
    """A keyword question's lone year ("thu ngan sach 2021 ca mau") is the period it asks about."""
    asked = [int(text[s:e]) for s, e in spans
             if not (s and text[s - 1] in "/-.")  # the year of a date ("ngày 26/8/2020") asks for no period
             and not _NOT_PERIOD_BEFORE.search(fold_diacritics(text[:s]))]
    return (Period("year", asked[0]),) if len(set(asked)) == 1 else ()
