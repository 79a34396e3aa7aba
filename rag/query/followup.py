"""Follow-up questions made standalone, without an LLM.

In a conversation people ask "Còn kim ngạch xuất khẩu thì sao?" or "còn năm 2022?" after a
full question. Retrieval needs the full question, so :func:`condense` rebuilds it from the
earlier user turns with hand-written rules:

* A question is a follow-up (:func:`is_follow_up`) when there is an earlier user turn and it
  starts with "còn", "thế còn", "vậy", "vậy thì", "và", ...; or ends with "thì sao", "thì thế
  nào", "thì ra sao"; or says "cũng vậy"; or refers back ("tỉnh đó", "năm này", "chỉ tiêu
  ấy", "văn bản nói trên"); or has no topic of its own — nothing beyond a period, a province,
  a document number, a question word or a verb like "tăng", "đạt" ("Năm 2022?", "Còn Bạc Liêu?",
  "Cùng kỳ năm trước thì sao?").
* The earlier question is split into slots: its asked periods, province, document numbers,
  topic and question tail ("đạt bao nhiêu"). The follow-up's own slots replace the earlier ones;
  the rest is carried over.
* With no new topic and no new question, the earlier question is edited in place ("Năm 2021,
  thu ngân sách ... đạt bao nhiêu?" + "còn năm 2022?" → "Năm 2022, thu ngân sách ... đạt bao
  nhiêu?"). Otherwise the result is "<period>, tại <province>, <topic> <question tail>?", the
  word order Vietnamese uses for fronted time and place.
* "cùng kỳ năm trước" / "năm trước" without "so với" shifts the earlier period back a year;
  "so với ..." is appended as a comparison. "6 tháng đầu năm", "quý II", "tháng 8" without a
  year take the earlier question's year.
* Chains work: earlier follow-ups are condensed in turn, so the third question sees the second
  one's standalone form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rag.query.analyze import (
    PeriodMention,
    analyze,
    content_words,
    doc_number_mentions,
    period_form,
    period_mentions,
    province_mentions,
    question_phrase,
)
from rag.records import Period
from rag.text.abbreviations import Abbreviations
from rag.text.entities import past_the_measure, past_the_plan, without_plans
from rag.text.normalize import fold_diacritics, normalize_query, normalize_tone_marks, tone_form, tone_regex
from rag.text.periods import QUARTER_NUMBER, period_label
from rag.text.provinces import PRE_2025_CITIES

__all__ = ["Turn", "condense", "is_follow_up"]

logger = logging.getLogger(__name__)

_MAX_TURNS = 8  # earlier user turns looked at
_WORD_RE = re.compile(r"[^\W_]+")
_I = re.IGNORECASE


@dataclass(frozen=True)
class Turn:
    """One message of a conversation (``role`` is "user" or "assistant")."""

    role: str
    content: str


# ---------------------------------------------------------------------------------------------
# Markers and references

_END = r"(?![^\W_])"
_LEAD_RE = tone_regex(
    r"^[\W_]*(?:"
    r"(?:(?:thế|vậy|và|nhưng)\s+)?còn(?:\s+về)?"
    r"|vậy(?:\s+thì)?|thế\s+thì|và"
    r"|(?:(?:the|vay|va|nhung)\s+)?con(?!\s+so" + _END + r")(?:\s+ve)?"
    r"|vay\s+thi|the\s+thi|vay(?=\s*,)|va"
    r")" + _END + r"[\s,:]*"
)
_TRAIL_RE = tone_regex(
    r"[\s,]*(?:thì|thi)\s+(?:sao|thế nào|như thế nào|ra sao|the nao|nhu the nao)" + _END + r"[\s?.!]*$"
)
_SAME_RE = tone_regex(
    r"(?<![^\W_])(?:(?:thì|thi)\s+)?(?:cũng|cung)\s+(?:vậy|thế|vay|the)" + _END + r"(?:\s+(?:không|khong))?"
)

# Nouns that "đó/này/ấy/nói trên" can follow, by what they refer back to.
_REF_NOUNS: dict[str, str] = {
    "tỉnh": "province", "thành phố": "province", "địa phương": "province", "tp": "province",
    "năm": "period", "tháng": "period", "quý": "period", "kỳ": "period", "thời gian": "period",
    "thời điểm": "period", "giai đoạn": "period", "thời kỳ": "period",
    "văn bản": "doc", "quyết định": "doc", "nghị quyết": "doc", "kế hoạch": "doc", "công văn": "doc",
    "báo cáo": "doc", "chỉ thị": "doc", "thông báo": "doc", "tờ trình": "doc", "nghị định": "doc",
    "thông tư": "doc", "công điện": "doc",
    "chỉ tiêu": "topic", "con số": "topic", "số liệu": "topic", "kết quả": "topic", "khoản": "topic",
    "nội dung": "topic", "vấn đề": "topic", "việc": "topic", "lĩnh vực": "topic", "ngành": "topic",
    "chương trình": "topic", "dự án": "topic", "công trình": "topic", "hoạt động": "topic",
    "nhiệm vụ": "topic", "mức": "topic", "tỷ lệ": "topic", "nguồn vốn": "topic", "vốn": "topic",
    "chỉ số": "topic", "hội nghị": "topic", "cuộc họp": "topic", "phiên họp": "topic", "đợt": "topic",
    "người": "topic", "ông": "topic", "bà": "topic", "đồng chí": "topic", "vị": "topic",
    "số": "topic", "giá trị": "topic", "tổng": "topic",
}
_REF_KIND: dict[str, str] = {}
for _noun, _kind in _REF_NOUNS.items():
    _REF_KIND[normalize_tone_marks(_noun)] = _kind
    _REF_KIND[fold_diacritics(_noun)] = _kind
_REF_RE = re.compile(
    r"(?<![^\W_])(?P<noun>"
    + "|".join(re.escape(n) for n in sorted(_REF_KIND, key=len, reverse=True))
    + r")\s+(?P<det>"
    + normalize_tone_marks("đó|này|ấy|nói trên|kể trên|đấy")
    + r"|do|nay|ay|noi tren|ke tren)"
    + _END,
    _I,
)
# Accent-free "do" is also "by" ("vốn do tỉnh quản lý"): a reference only before these words.
_FOLDED_DO_NEXT_RE = re.compile(
    r"\s*(?:$|[,.;:?!]|(?:thi|la|co|dat|tang|giam|nam|thang|quy|duoc|bao|gom|se|da|hien|con|ra|nhu)(?![^\W_]))",
    _I,
)
_TRONG_BEFORE_RE = re.compile(r"(?:trong)\s+$", _I)

# Words that belong to the question, not to its topic: verbs before a question word,
# comparison and period words left over once periods are taken out, administrative titles.
_PREDICATE = (
    "đạt là được có tăng giảm chiếm bằng gồm ước tính vượt khoảng đã sẽ thêm tổng cộng lên xuống "
    "so với cùng kỳ trước ngoái nay năm tháng quý đầu cuối nửa sáu chín mười hai ba tỉnh thành phố tp "
    "số ngày i ii iii iv phần trăm"
).split()
_PREDICATE_SET = frozenset(_PREDICATE) | frozenset(fold_diacritics(w) for w in _PREDICATE)
_TAIL_VERBS = frozenset(
    "đạt là được có tăng giảm chiếm bằng gồm ước vượt khoảng đã sẽ thêm tổng cộng lên xuống".split()
)
_TAIL_VERBS_FOLDED = frozenset(fold_diacritics(w) for w in _TAIL_VERBS) - {"co", "da", "bang", "la"}
_YESNO_VERBS = frozenset("đạt vượt tăng giảm hoàn thành được bị".split())

_PERIOD_PREP_RE = tone_regex(r"(?:(?:trong|vào|của|cho|tính đến|đến hết|đến|tại|ở|vao|cua|tinh den|den)\s+)$")
_PROVINCE_PREP_RE = tone_regex(
    r"(?:(?:của|tại|ở|trên địa bàn|thuộc|cua|tai|o|tren dia ban|thuoc)\s+)?"
    r"(?:(?:tỉnh|thành phố|tinh|thanh pho|tp)\.?\s*)?$"
)
_DOC_NOUNS = (
    "quyết định|nghị quyết|kế hoạch|công văn|văn bản|thông tư|nghị định|chỉ thị|báo cáo|tờ trình|"
    "thông báo|công điện"
)
_DOC_PREP_RE = tone_regex(
    r"(?:(?:theo|của|tại|cua)\s+)?(?:(?P<noun>" + _DOC_NOUNS + r"|" + fold_diacritics(_DOC_NOUNS) + r")\s+)?"
    r"(?:(?:số|so)\s*:?\s*)?$"
)
_EXTRA_PERIOD_RE = tone_regex(r"(?:\s*(?:,|và|va|-|–|đến|den)\s*)$")
_COMPARE_RE = tone_regex(r"(?<![^\W_])(?:so\s+với|so\s+voi)" + _END)
_LAST_YEAR_RE = tone_regex(r"(?<![^\W_])(?:năm\s+trước|năm\s+ngoái|nam\s+truoc|nam\s+ngoai)" + _END)
_YEARLESS_RE = tone_regex(
    r"(?<![^\W_])(?:(?P<span>(?:\d{1,2}|ba|sáu|chín|sau|chin)\s+tháng(?:\s+(?:đầu|cuối))?\s+năm)"
    rf"|(?P<quarter>quý\s+{QUARTER_NUMBER})|(?P<month>tháng\s+\d{{1,2}}))"
    r"(?!\s*(?:/|-|–|\.|,)?\s*(?:năm\s*)?(?:19|20)\d\d)(?![^\W_]|\s*/\s*\d)"
)
_TIDY_SPACE_RE = re.compile(r"\s+")
_TIDY_PUNCT_RE = re.compile(r"\s+([,.;:?!)])")
_TIDY_COMMAS_RE = re.compile(r"(?:\s*,){2,}")
_TIDY_EDGE = " ,;:.?!-–"


# ---------------------------------------------------------------------------------------------
# Small helpers


def _tidy(text: str) -> str:
    text = _TIDY_SPACE_RE.sub(" ", text)
    text = _TIDY_PUNCT_RE.sub(r"\1", text)
    text = _TIDY_COMMAS_RE.sub(",", text)
    text = re.sub(r"\(\s*\)", "", text)
    return text.strip(_TIDY_EDGE)


def _cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without the given spans (overlaps allowed), tidied."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if end <= pos:
            continue
        out.append(text[pos : max(start, pos)])
        out.append(" ")
        pos = end
    out.append(text[pos:])
    return _tidy("".join(out))


def _edit(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    for start, end, repl in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + repl + text[end:]
    return _tidy(text)


def _extend_back(text: str, start: int, pattern: re.Pattern[str]) -> int:
    m = pattern.search(text, max(0, start - 40), start)
    return m.start() if m and m.end() == start else start


def _label(period: Period) -> str:
    """How a report writes a period ("quý III năm 2021")."""
    return period_label(period, roman=True)


def _render_province(name: str) -> str:
    return ("thành phố " if name in PRE_2025_CITIES else "tỉnh ") + name


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decapitalise(text: str) -> str:
    """Lower-case the first letter unless it starts a name or an abbreviation."""
    words = text.split(maxsplit=2)
    if not words or not words[0][:1].isupper():
        return text
    if len(words[0]) > 1 and words[0].isupper():
        return text  # UBND, HĐND
    if len(words) > 1 and words[1][:1].isupper():
        return text  # Cà Mau, Hà Nội
    return text[:1].lower() + text[1:]


def _finish(text: str) -> str:
    text = _tidy(text)
    return _capitalise(text) + "?" if text else text


def _topic_words(text: str) -> list[str]:
    """Content words that name a topic: not periods, provinces' titles, verbs or numbers."""
    return [
        w
        for w in content_words(text)
        if w not in _PREDICATE_SET and not any(c.isdigit() for c in w)
    ]


def _rest_words(text: str) -> list[str]:
    return [w for w in content_words(text) if not any(c.isdigit() for c in w)]


# ---------------------------------------------------------------------------------------------
# Slots of one question


@dataclass
class _Slots:
    text: str
    periods: list[PeriodMention] = field(default_factory=list)  # asked
    comparisons: list[PeriodMention] = field(default_factory=list)
    province: str | None = None
    province_names: list[tuple[int, int]] = field(default_factory=list)  # the name only
    province_phrases: list[tuple[int, int]] = field(default_factory=list)  # with "của tỉnh"
    docs: list[tuple[int, int, str]] = field(default_factory=list)
    doc_phrases: list[tuple[int, int]] = field(default_factory=list)  # with "Quyết định số"
    core: str = ""  # text without asked periods, province and documents

    @property
    def doc_phrase(self) -> str:
        """"Quyết định 1631/QĐ-UBND" (the first document, with its type noun when written)."""
        if not self.docs:
            return ""
        start, end, number = self.docs[0]
        m = _DOC_PREP_RE.search(self.text, max(0, start - 40), start)
        noun = m.group("noun") if m and m.end() == start and m.group("noun") else "văn bản"
        return f"{noun} {number}"


def _slots(text: str, abbreviations: Abbreviations | None) -> _Slots:
    analysis = analyze(text, abbreviations)
    slots = _Slots(text)
    mentions = period_mentions(text)
    slots.periods = [m for m in mentions if not m.comparison]
    slots.comparisons = [m for m in mentions if m.comparison]
    slots.province = analysis.province
    if slots.province:
        for start, end, canon in province_mentions(text):
            if canon == slots.province:
                slots.province_names.append((start, end))
                slots.province_phrases.append((_extend_back(text, start, _PROVINCE_PREP_RE), end))
    slots.docs = doc_number_mentions(text)
    slots.doc_phrases = [(_extend_back(text, s, _DOC_PREP_RE), e) for s, e, _ in slots.docs]
    period_spans = [(_extend_back(text, m.start, _PERIOD_PREP_RE), m.end) for m in slots.periods]
    slots.core = _cut(text, period_spans + slots.province_phrases + slots.doc_phrases)
    return slots


def _strip_markers(text: str) -> tuple[str, bool]:
    """Remove "còn ...", "... thì sao", "cũng vậy"; say whether there were any."""
    form = tone_form(text)
    spans: list[tuple[int, int]] = []
    for pattern in (_LEAD_RE, _TRAIL_RE):
        m = pattern.search(form)
        if m and m.end() > m.start():
            spans.append((m.start(), m.end()))
    spans += [(m.start(), m.end()) for m in _SAME_RE.finditer(form)]
    if not spans:
        return text, False
    return _cut(text, spans), True


def _references(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, kind, noun)`` of phrases like "tỉnh đó", "năm này", "chỉ tiêu ấy"."""
    out = []
    form = tone_form(text)
    for m in _REF_RE.finditer(form):
        noun = m.group("noun").lower()
        det = m.group("det").lower()
        if noun in ("nam", "năm") and det == "nay":  # "năm nay" = this year, not a reference
            continue
        if det == "do" and not _FOLDED_DO_NEXT_RE.match(form, m.end()):
            continue
        if _TRONG_BEFORE_RE.search(form[max(0, m.start() - 8) : m.start()]):
            continue  # "trong số đó" = "of which"
        kind = _REF_KIND.get(noun)
        if kind:
            out.append((m.start(), m.end(), kind, m.group("noun")))
    return out


# ---------------------------------------------------------------------------------------------
# Splitting an earlier question into topic and question tail


@dataclass(frozen=True)
class _Split:
    topic: str  # "thu ngân sách nhà nước"
    tail: str  # "đạt bao nhiêu" (question after the topic)
    head: str  # "ai là" (question before the topic)


def _split(core: str) -> _Split:
    phrase = question_phrase(core)
    if phrase is None:
        return _Split(core, "", "")
    atype, start, end, tier = phrase
    toks = [(m.start(), m.end(), m.group(0)) for m in _WORD_RE.finditer(core)]
    if atype == "yesno":
        inside = [t for t in toks if start <= t[0] < end]
        opener, closer = inside[0], inside[-1]
        tail_words = [opener[2]]
        after = [t for t in toks if t[0] >= opener[1]]
        taken = [opener, closer]
        if after and after[0][2].lower() in _YESNO_VERBS and after[0] is not closer:
            tail_words.append(after[0][2])
            taken.append(after[0])
        tail_words.append(closer[2])
        topic = _cut(core, [(t[0], t[1]) for t in taken])
        return _Split(topic, " ".join(tail_words), "")
    if tier == 1:  # "tỷ lệ", "phần trăm": part of the topic, no position to split at
        return _Split(core, "", "")
    if not _topic_words(core[end:]) or (
        atype == "number" and _topic_words(core[:start]) and not _topic_words(past_the_measure(core[end:]))
    ):
        # the question at the end, or followed by its measure only ("đạt bao nhiêu phần trăm kế
        # hoạch", "được bao nhiêu tỷ đồng"): the verbs before it ("đạt", "là", "tăng") go to the tail
        tail_start = start
        for s, _e, word in reversed([t for t in toks if t[1] <= start]):
            low = word.lower()
            if low in _TAIL_VERBS or (low.isascii() and low in _TAIL_VERBS_FOLDED):
                tail_start = s
            else:
                break
        return _Split(_tidy(core[:tail_start]), _tidy(core[tail_start:]), "")
    if not _topic_words(core[:start]):
        head_end = end
        for _s, e, word in [t for t in toks if t[0] >= end][:1]:
            if word.lower() in ("là", "la"):
                head_end = e
        return _Split(_tidy(core[head_end:]), "", _tidy(core[:head_end]))
    return _Split(core, "", "")


# ---------------------------------------------------------------------------------------------
# Follow-up detection


def _user_turns(history: Sequence[Mapping[str, str] | Turn]) -> list[str]:
    turns = []
    for turn in history:
        if isinstance(turn, Mapping):
            role, content = turn.get("role", ""), turn.get("content", "")
        else:
            role, content = getattr(turn, "role", ""), getattr(turn, "content", "")
        if role == "user" and isinstance(content, str) and content.strip():
            turns.append(content)
    return turns[-_MAX_TURNS:]


def _follows(question: str, abbreviations: Abbreviations | None) -> bool:
    """Is ``question`` (normalised) incomplete on its own? (History is checked by the caller.)"""
    if not _WORD_RE.search(question):
        return False
    stripped, marked = _strip_markers(question)
    if marked or _references(question):
        return True
    core = _slots(stripped, abbreviations).core
    return not _topic_words(without_plans(_without_question(core, _own_question(core))))


def _own_question(core: str) -> tuple[str, int, int, int] | None:
    """The question phrase of ``core``, unless it is only a weak number word ("tỷ lệ"), which
    belongs to the topic and still leaves the question to be asked."""
    phrase = question_phrase(core)
    if phrase is None or (phrase[3] == 1 and phrase[0] != "yesno"):
        return None
    return phrase


def _without_question(core: str, phrase: tuple[str, int, int, int] | None) -> str:
    if phrase is None:
        return core
    if phrase[0] == "yesno":
        return _split(core).topic
    end = phrase[2]
    if phrase[0] == "number":  # "Đạt bao nhiêu phần trăm kế hoạch?" asks a share, it names no topic
        end = len(core) - len(past_the_plan(core[end:]))
    return _cut(core, [(phrase[1], end)])


def is_follow_up(
    question: str,
    history: Sequence[Mapping[str, str] | Turn],
    abbreviations: Abbreviations | None = None,
) -> bool:
    """True when ``question`` continues an earlier user turn and needs it to be understood."""
    if not _user_turns(history):
        return False
    return _follows(normalize_query(question or ""), abbreviations)


# ---------------------------------------------------------------------------------------------
# Condensing


def _shift(period: Period, years: int) -> Period:
    return Period(period.kind, period.year + years, period.value)


def _complete_yearless(text: str, year: int) -> str:
    """ "6 tháng đầu năm" / "quý II" / "tháng 8" with no year → add the earlier question's year."""
    form = period_form(text)
    edits = []
    for m in _YEARLESS_RE.finditer(form):
        suffix = f" {year}" if m.group("span") else f" năm {year}"
        edits.append((m.end(), m.end(), suffix))
    for pos, _, suffix in sorted(edits, reverse=True):
        text = text[:pos] + suffix + text[pos:]
    return text


def _condense_one(question: str, previous: str, abbreviations: Abbreviations | None) -> str:
    """Rewrite follow-up ``question`` as a standalone question, given the standalone ``previous``."""
    prev = _slots(previous, abbreviations)
    prev_split = _split(prev.core)

    text, _ = _strip_markers(question)
    # references back: "tỉnh đó" → the earlier province, "chỉ tiêu này" → the earlier topic, ...
    edits = []
    for start, end, kind, noun in _references(text):
        if kind == "province" and prev.province:
            edits.append((start, end, _render_province(prev.province)))
        elif kind == "period" and prev.periods:
            edits.append((start, end, " và ".join(_label(m.period) for m in prev.periods)))
        elif kind == "doc" and prev.docs:
            edits.append((start, end, f"{noun} {prev.docs[0][2]}"))
        elif kind in ("topic", "doc") and prev_split.topic:
            edits.append((start, end, prev_split.topic))
        else:
            edits.append((start, end, ""))
    text = _edit(text, edits) if edits else text
    prev_years = {m.period.year for m in prev.periods}
    if len(prev_years) == 1:
        text = _complete_yearless(text, next(iter(prev_years)))

    new = _slots(text, abbreviations)
    comparing = bool(_COMPARE_RE.search(period_form(text)))
    asked = [m.period for m in new.periods]
    if not asked and not comparing and new.comparisons:
        asked = [m.period for m in new.comparisons]  # "còn cùng kỳ năm 2020?" asks about 2020
    last_year = (
        bool(_LAST_YEAR_RE.search(period_form(text))) or analyze(text, abbreviations).same_period_last_year
    )
    if not asked and not comparing and last_year and prev.periods:
        asked = [_shift(m.period, -1) for m in prev.periods]

    phrase = _own_question(new.core)
    has_question = phrase is not None
    rest = _without_question(new.core, phrase)
    has_topic = bool(_topic_words(without_plans(rest)))  # "Có đạt kế hoạch không?" names no topic
    comparison = ""
    if comparing and not has_topic:
        m = _COMPARE_RE.search(period_form(new.core))
        comparison = new.core[m.start() :] if m else ""

    prev_type = question_phrase(prev.core)
    same_question = (
        not has_question
        or (not _rest_words(rest) and prev_type is not None and prev_type[0] == phrase[0])  # type: ignore[index]
    )
    if not has_topic and same_question:
        return _in_place(prev, asked, new, comparison)

    periods = asked or [m.period for m in prev.periods]
    province = new.province or prev.province
    docs = new.doc_phrase or prev.doc_phrase
    if has_topic and has_question:
        parts = [new.core]
    elif has_topic:
        parts = [prev_split.head, _in_topic(prev_split.topic, new.core), prev_split.tail]
    else:
        parts = [prev_split.topic, new.core]
    parts = [p for p in parts if p]
    body = " ".join(parts[:1] + [_decapitalise(p) for p in parts[1:]])
    context = []
    if periods:
        context.append(" và ".join(_label(p) for p in periods))
    if province and province not in body:
        context.append("tại " + _render_province(province))
    if docs and not new.docs and prev.docs[0][2] not in body:
        context.append("theo " + docs)
    if docs and new.docs:
        body = f"{body} {new.doc_phrase}" if new.docs[0][2] not in body else body
    if context:
        return _finish(", ".join(context) + ", " + _decapitalise(_tidy(body)))
    return _finish(body)


_SWAP_MAX_WORDS = 4  # a longer new topic is a clause of its own, not a part swapped in


def _in_topic(previous: str, new: str) -> str:
    """A short new topic put in the place of the part of the earlier one it stands for.

    Vietnamese names a unit by its head noun first ("Sở Y tế" → "Sở Tài chính" in "giám đốc Sở Y
    tế"), while two-syllable Sino-Vietnamese compounds share their last syllable ("xuất khẩu" →
    "nhập khẩu" in "kim ngạch xuất khẩu"); a title put before the earlier head keeps what follows
    it ("Phó Chủ tịch" after "Chủ tịch UBND tỉnh"). Anything else replaces the earlier topic whole.
    """
    old_words, new_words = previous.split(), new.split()
    if not old_words or not 0 < len(new_words) <= _SWAP_MAX_WORDS:
        return new
    folded_old = [fold_diacritics(w).lower() for w in old_words]
    folded_new = [fold_diacritics(w).lower() for w in new_words]
    if folded_new[0] in folded_old[1:]:
        at = folded_old.index(folded_new[0], 1)
        return " ".join(old_words[:at] + new_words)
    n = len(new_words)
    same_head = folded_new[-1] == folded_old[-1] and folded_new[:-1] != folded_old[-n:-1]
    if n >= 2 and len(old_words) > n and same_head:
        return " ".join(old_words[:-n] + new_words)
    for k in range(min(n - 1, len(old_words) - 1), 0, -1):  # "Phó Chủ tịch" for "Chủ tịch UBND"
        if folded_new[-k:] == folded_old[:k]:
            return " ".join(new_words + old_words[k:])
    return new


def _in_place(prev: _Slots, asked: list[Period], new: _Slots, comparison: str) -> str:
    """The earlier question with its period, province or document swapped for the new ones."""
    text = prev.text
    edits: list[tuple[int, int, str]] = []
    prefix: list[str] = []
    if asked:
        labels = " và ".join(_label(p) for p in asked)
        if prev.periods:
            first, *others = prev.periods
            edits.append((first.start, first.end, labels))
            edits += [(_extend_back(text, m.start, _EXTRA_PERIOD_RE), m.end, "") for m in others]
        else:
            prefix.append(labels)
    if new.province and new.province != prev.province:
        if prev.province_names:
            edits += [(s, e, new.province) for s, e in prev.province_names]
        else:
            prefix.append("tại " + _render_province(new.province))
    if new.docs:
        numbers = [n for _, _, n in new.docs]
        if prev.docs:
            edits.append((prev.docs[0][0], prev.docs[0][1], " và ".join(numbers)))
            edits += [(s, e, "") for s, e, _ in prev.docs[1:]]
        else:
            prefix.append("theo " + new.doc_phrase)
    result = _edit(text, edits).rstrip(" ?.!")
    if prefix:
        result = ", ".join(prefix) + ", " + _decapitalise(result)
    if comparison and comparison.lower() not in result.lower():
        result = f"{result} {_decapitalise(comparison)}"
    return _finish(result)


def condense(
    question: str,
    history: Sequence[Mapping[str, str] | Turn],
    abbreviations: Abbreviations | None = None,
) -> str:
    """A standalone form of ``question``: unchanged (normalised) unless it is a follow-up.

    ``history`` holds earlier turns as ``{"role": "user"|"assistant", "content": ...}`` mappings
    (or :class:`Turn`), oldest first, without the current question. Only user turns are read.
    """
    text = normalize_query(question or "")
    standalone: str | None = None
    for turn in _user_turns(history):
        turn_text = normalize_query(turn)
        if standalone is None or not _follows(turn_text, abbreviations):
            standalone = turn_text
        else:
            standalone = _safe_condense(turn_text, standalone, abbreviations)
    if standalone is None or not _follows(text, abbreviations):
        return text
    return _safe_condense(text, standalone, abbreviations)


def _safe_condense(question: str, previous: str, abbreviations: Abbreviations | None) -> str:
    """Condensing is a heuristic: if it ever fails, answer the question as asked.

    When both questions were typed without accents, so is the result: accented words inserted
    into an accent-free question would make it neither, and match worse either way.
    """
    try:
        result = _condense_one(question, previous, abbreviations) or question
    except Exception:  # noqa: BLE001 - a bad rewrite must never lose the user's question
        logger.exception("could not condense follow-up %r after %r", question, previous)
        return question
    if fold_diacritics(question) == question and fold_diacritics(previous) == previous:
        result = fold_diacritics(result)
    return result
