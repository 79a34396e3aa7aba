"""What answers are made of: figures with their units, dates, document numbers, people, places.

One place for these recognisers: the reranker, the reader and the answer writer all ask "does
this sentence hold a figure / a date / a name?" and "which one?", and must agree. Hand-written:
no offline library tags Vietnamese report text this way (underthesea's NER is trained on news
and misses "5.851 tỷ đồng" as a quantity).

Vietnamese numbers: "." groups thousands and "," marks decimals ("5.851", "17,7%").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rag.text.normalize import fold_diacritics, fold_spelling
from rag.text.table_rows import label_unit, parse_record, row_unit

__all__ = [
    "MONEY",
    "refers_back",
    "without_given",
    "DOC_NUMBER_RE",
    "FIGURE_VERBS",
    "NUMBER",
    "NUMBER_RE",
    "ANY_NUMBER_RE",
    "counted_figure",
    "Item",
    "date_items",
    "docref_items",
    "figure_items",
    "holds_answer_type",
    "holds_number_with_unit",
    "ORDINAL",
    "ORDINAL_QUESTION_RE",
    "RANK_PHRASES",
    "SPOKEN_NHIEU",
    "UNITS",
    "informative_numbers",
    "past_the_measure",
    "past_the_plan",
    "without_plans",
    "person_items",
    "place_items",
    "unit_at",
]

YEAR_RE = re.compile(r"^(19|20)\d\d$")
# a year, also at the end of a clause ("đến năm 1996, đã có …"; "ra mắt năm 1995."), not a part
# of "1.995" or "2020,5"
_YEAR_IN_TEXT_RE = re.compile(r"(?<![\d.,/])(?:1[0-9]|20)\d\d(?![\d/]|[.,]\d)")
# A number as reports write it: "." groups thousands, "," marks decimals ("5.851", "17,7", "1.112,5").
NUMBER = r"\d+(?:[.,]\d+)*"
_NOT_IN_CODE = r"(?<![^\W\d_]-)"  # the digits of "COVID-19" are a name's
# A figure standing on its own, with its "%" ("74,4%"): not a part of "12/22" or of "H5N1". Its unit,
# when one follows, is read by figure_items.
NUMBER_RE = re.compile(rf"(?<![\w/]){_NOT_IN_CODE}{NUMBER}(?:\s?%)?(?![\w/])")
# Every number written, the parts of "12/22" and "49/63" too: what a generated sentence must not
# change (the grounding check); the same digits as NUMBER_RE, looser at the edges.
ANY_NUMBER_RE = re.compile(rf"(?<![\w.,]){_NOT_IN_CODE}{NUMBER}(?!\w)")
DATE_RE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b|\bngày\s+\d{1,2}(?:\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|/\d{1,2}(?:/\d{2,4})?)"
    r"|\btháng\s+\d{1,2}(?:/|\s+năm\s+)\d{4}",
    re.IGNORECASE,
)
# Document numbers, the one definition every stage reads them with: a serial (a letter may follow,
# "12a"), the year for laws and decrees, a slash, the issuer's code in hyphen-joined parts:
# "1631/QĐ-UBND", "15/2020/NĐ-CP", "59/2020/QH14", and "84/nq-cp" as questions are typed.
DOC_NUMBER_RE = re.compile(
    r"(?<![^\W_/.,])\d{1,6}[^\W\d_]?(?:/(?:19|20)\d\d)?/[^\W\d_][^\W_]*(?:[-–][^\W_]+)*"
)
# The formal form an answer quotes: such a number whose code is in capitals with a hyphen
# ("QĐ-UBND"; not the "ha" of "5/ha"); and the Party's own style, "05-NQ/TU", "35-KL/TW".
_FORMAL_SERIAL_RE = re.compile(r"\d+(?:/(?:19|20)\d\d)?/")
_FORMAL_CODE_RE = re.compile(r"[A-ZĐ][A-ZĐa-zđ]*(?:-[A-ZĐ][A-ZĐa-zđ]*)+\b")
_PARTY_NUMBER_RE = re.compile(r"\b\d+-[A-ZĐ]{1,4}/[A-ZĐ]{1,6}\b")
# A share written as a fraction: "12/22 chỉ tiêu", "xếp hạng 49/63" (not a date, not a document number).
FRACTION_RE = re.compile(r"(?<![\w/.,])\d{1,4}/\d{1,4}(?![\w/]|\.\d)")


def _latin_letters(capital: bool) -> str:
    """Every Latin letter with its diacritics (Vietnamese: "Ạ", "Ữ", "Đ"), capitals or small ones.

    A character range like "À-Ỹ" is no capital class: it holds the small letters coded between them.
    """
    kind = "LATIN CAPITAL" if capital else "LATIN SMALL"
    return "".join(chr(c) for c in range(0xC0, 0x1EFA) if unicodedata.name(chr(c), "").startswith(kind))


UPPER = "A-Z" + _latin_letters(capital=True)
LOWER = "a-z" + _latin_letters(capital=False)
NAME_WORD = rf"[{UPPER}][{LOWER}]+"
TITLES = (
    "đồng chí",
    "ông",
    "bà",
    "Chủ tịch",
    "Phó Chủ tịch",
    "Bí thư",
    "Phó Bí thư",
    "Giám đốc",
    "Phó Giám đốc",
    "Thủ tướng",
    "Phó Thủ tướng",
    "Bộ trưởng",
    "Thứ trưởng",
    "Trưởng ban",
    "Chánh Văn phòng",
)
# First words of titles and bodies, as written ("Trưởng" opens a title, "Trương" is a surname): a
# capitalised run opening with one is a title ("Phó Chủ tịch", "Ủy ban"), not a name.
TITLE_OPENERS = frozenset(
    "Phó Chủ Bí Giám Ủy Hội Thủ Bộ Sở Ban Tổng Trưởng Chánh Văn Mặt Tỉnh Thành Huyện Đại Quốc Nhà Chi Cục"
    .split()
)
# A title as a word of its own ("ông", not the end of "Giao thông"), and a name after it that opens
# with no title or body word: "Giám đốc Sở Tài chính Nguyễn Ngọc Thanh" names Nguyễn Ngọc Thanh,
# not "Sở Tài".
_TITLE = rf"(?<![^\W_])(?:{'|'.join(sorted(TITLES, key=len, reverse=True))})\s+"
_NAME = rf"(?!(?:{'|'.join(sorted(TITLE_OPENERS))})(?![^\W_])){NAME_WORD}(?:\s+{NAME_WORD}){{1,3}}"
PERSON_RE = re.compile(rf"{_TITLE}(?:[^\s,;.]+\s+){{0,6}}?({_NAME})")
_PERSON_TIGHT_RE = re.compile(rf"{_TITLE}({_NAME})")
_CAPITALISED_RUN_RE = re.compile(rf"(?<!^)(?<![.?!]\s)\b({NAME_WORD}(?:\s+{NAME_WORD}){{1,3}})\b")
# the one capitalised word that opens a text or sentence, right before a capitalised run
_OPENING_WORD_RE = re.compile(rf"(?:^|[.?!]\s+)\s*({NAME_WORD})\s+$")
# what may open a text before a name without belonging to it ("Ông Nguyễn Văn Sơn", "Xã Phú Mỹ"):
# a one-word title or place level (defined below, read when a question is analysed)


def capitalised_names(text: str) -> list[tuple[int, str]]:
    """``(start, name)`` of names written with diacritics in two to four capitalised syllables, not
    opening the text and not a title: people ("Nguyễn Văn Sơn") and places ("Cà Mau")."""
    out = []
    for m in _CAPITALISED_RUN_RE.finditer(text):
        name = m.group(1)
        if name.split()[0] in TITLE_OPENERS or name == fold_diacritics(name):
            continue
        opening = _OPENING_WORD_RE.search(text, 0, m.start())
        if opening and opening.group(1) not in TITLE_OPENERS and opening.group(1).lower() not in _BEFORE_A_NAME:
            continue  # "Quân Đội Pháp gồm …": the tail of a run capitalised because it opens the text
        out.append((m.start(), name))
    return out


# Two to four capitalised syllables anywhere, the first not a title ("Nguyễn Du", "Luang Phrabang").
_NAME_RUN_RE = re.compile(
    rf"\b(?!(?:{'|'.join(sorted(TITLE_OPENERS))})\b){NAME_WORD}(?:\s+{NAME_WORD}){{1,3}}\b"
)
_AT_PLACE_RE = re.compile(rf"\b(?:ở|tại|đến|từ)\s+{NAME_WORD}")
NAME_LINE_RE = re.compile(rf"(?m)^\s*{NAME_WORD}(?:\s+{NAME_WORD}){{1,3}}\s*$")
# the words that give a place's level before its name ("huyện Tân Phước", "xã Phú Mỹ")
PLACE_LEVELS = ("xã", "huyện", "tỉnh", "thành phố", "thị xã", "phường", "thị trấn", "ấp", "khóm", "quận")
PLACE_LEVEL = rf"(?:{'|'.join(PLACE_LEVELS)})"
_BEFORE_A_NAME = frozenset(w.lower() for w in (*TITLES, *PLACE_LEVELS) if " " not in w)
PLACE_RE = re.compile(rf"\b{PLACE_LEVEL}\s+{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}")

# Units a figure is written with in reports, longest first ("tỷ đồng" before "tỷ"). A unit makes
# the pinned figure readable on its own: "5.851 tỷ đồng", not "5.851".
UNITS = tuple(
    sorted(
        (
            "%",
            "tỷ đồng",
            "triệu đồng",
            "nghìn đồng",
            "ngàn đồng",
            "đồng",
            "tỷ USD",
            "triệu USD",
            "nghìn USD",
            "USD",
            "$",
            "tỷ",
            "triệu",
            "nghìn",
            "ngàn",
            "ha",
            "hécta",
            "tấn",
            "nghìn tấn",
            "triệu tấn",
            "km",
            "m",
            "m2",
            "m3",
            "kW",
            "MW",
            "kWh",
            "triệu kWh",
            "người",
            "lượt người",
            "lượt khách",
            "lượt",
            "hộ",
            "xã",
            "huyện",
            "phường",
            "doanh nghiệp",
            "dự án",
            "văn bản",
            "căn",
            "căn nhà",
            "con",
            "cơ sở",
            "trường",
            "học sinh",
            "lao động",
            "bệnh nhân",
            "ca",
            "trường hợp",
            "chỉ tiêu",
            "điểm",
            "lần",
            "tháng",
            "ngày",
            "năm",
            "hồ sơ",
            "đơn vị",
            "cuộc",
            "vụ",
            "mô hình",
            "công trình",
            "km2",
            "giường",
            "bác sĩ",
            "thủ tục",
            "sản phẩm",
        ),
        key=len,
        reverse=True,
    )
)
_UNIT_RE = re.compile(r"\s?(" + "|".join(re.escape(u) for u in UNITS) + r")(?![^\W\d_])")
_PLAN_RE = re.compile(r"\)?\s*(?:của\s+|so với\s+)?(?:kế hoạch|KH|chỉ tiêu|dự toán)", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One thing a sentence says that can answer a question: its span and its text."""

    start: int
    end: int
    text: str


# Counts written as words ("sáu vật thể", "ba phương pháp", "hàng trăm người"). Left out, as more often
# something else: "năm" (year), "một" ("một số": some), "tư" ("đầu tư"), and bare magnitudes ("tỷ lệ").
NUMBER_WORDS_RE = re.compile(
    r"\b(?:hai|ba|bốn|sáu|bảy|tám|chín|mười|vài|hàng chục|hàng trăm|hàng nghìn|hàng ngàn|hàng triệu)\b",
    re.IGNORECASE,
)


# A sentence that opens with a word pointing back ("Đây là động cơ …", "Nó …", "Ông sinh …",
# "Công ty này …", "Thời gian trị vì của ông …") is about something a sentence before it names.
# "Ông"/"Bà" before a name ("Ông Nguyễn Văn A") is a title, not a pointer; "Anh" alone is England,
# "Chúng tôi" the writer.
# "Sau đó", "Do đó", "Từ đó" join two events; the sentence goes on to name its own subject
_CONNECTIVE = r"(?:Sau|Do|Trước|Từ|Khi|Lúc|Bởi|Vì|Qua|Bên cạnh|Ngoài|Đến|Tới|Nhờ|Theo)"
_REFERS_BACK_RE = re.compile(
    r"\s*(?:[-–+*•]\s*)?(?:(?:Đây|Đó|Điều này|Điều đó|Việc này|Nó|Họ)\b|Chúng\b(?!\s+(?:tôi|ta|mình)\b)"
    rf"|(?:Ông|Bà)(?:\s+ấy)?\b(?!\s+[{UPPER}])|(?:Anh|Cô)\s+ấy\b"
    rf"|(?!{_CONNECTIVE}\s+(?:đó|này)\b)[{UPPER}][{LOWER}]*(?:\s+[{LOWER}]+)?\s+(?:này|đó|ấy)\b"
    rf"|[{UPPER}][{LOWER}]*(?:\s+[{LOWER}]+){{0,3}}\s+của\s+(?:ông|bà|nó|họ|chúng)\b(?!\s+[{UPPER}]))"
)


def refers_back(sentence: str) -> bool:
    """Whether ``sentence`` opens by pointing back to what an earlier sentence names."""
    return _REFERS_BACK_RE.match(sentence) is not None


def holds_a_number(text: str) -> bool:
    """A figure or a number written as a word: what any "bao nhiêu" answer holds."""
    return bool(informative_numbers(text) or FRACTION_RE.search(text) or NUMBER_WORDS_RE.search(text))


def informative_numbers(text: str) -> list[str]:
    """Numbers that can answer "bao nhiêu": figures and percentages, not bare years."""
    return [m.group(0) for m in NUMBER_RE.finditer(text) if not YEAR_RE.match(m.group(0))]


def figure_items(text: str) -> list[Item]:
    """Figures with their unit where one follows ("5.851 tỷ đồng", "17,7%", "46 xã"); years left out."""
    out = []
    blocked = [(m.start(), m.end()) for m in DATE_RE.finditer(text)] + _formal_doc_numbers(text)
    for m in FRACTION_RE.finditer(text):
        if not any(s <= m.start() < e for s, e in blocked):
            out.append(Item(m.start(), m.end(), m.group(0)))
            blocked.append((m.start(), m.end()))
    for m in NUMBER_RE.finditer(text):
        if YEAR_RE.match(m.group(0)) or any(s <= m.start() < e for s, e in blocked):
            continue
        end = m.end()
        if not m.group(0).endswith("%"):
            unit = _UNIT_RE.match(text, end)
            if unit:
                end = unit.end()
        out.append(Item(m.start(), end, text[m.start() : end]))
    return sorted(out, key=lambda item: item.start)


# A measure's symbol, as reports write it, and the words a user types for it: "bao nhiêu héc-ta"
# asks what "22.994,1 ha" states, and "149,6 triệu kilômét" answers "bao nhiêu km". Written by hand:
# a handful of spelling conventions (Vietnamese loan spellings of metric units) that no library lists.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ha": ("hécta", "héc-ta", "héc ta", "hectare"),
    "km2": ("km²", "km vuông", "kilômét vuông", "ki-lô-mét vuông", "ki lô mét vuông", "cây số vuông"),
    "km": ("kilômét", "ki-lô-mét", "ki lô mét", "kilometer", "kilometre", "cây số"),
    "m2": ("m²", "mét vuông"),
    "m3": ("m³", "mét khối"),
    "m": ("mét",),
    "kg": ("kilôgam", "ki-lô-gam", "ki lô gam", "kilogram"),
    "USD": ("đô la Mỹ", "đô-la Mỹ", "đô la", "đô-la", "đôla", "dollar"),
}
# every form as matching sees it (accent-free, lower-case, the lone y as i: "đô la Mỹ" -> "do la mi"),
# to the measure as ``asked_unit`` names it ("usd"), and that to the symbol reports write ("USD")
_UNIT_OF_FORM = {
    fold_spelling(form).lower(): fold_spelling(unit).lower()
    for unit, forms in UNIT_SPELLINGS.items()
    for form in (unit, *forms)
}
_SYMBOL = {fold_spelling(u).lower(): u for u in UNIT_SPELLINGS}
_SPELLED_UNIT_RE = re.compile(
    "(" + "|".join(re.escape(f) for f in sorted(_UNIT_OF_FORM, key=len, reverse=True)) + r")(?![^\W_])"
)


def spelled_unit(text: str) -> str | None:
    """The measure of :data:`UNIT_SPELLINGS` that ``text`` opens with, as its symbol or spelled out
    ("héc-ta", "ki lô mét vuông", "đô la Mỹ"), named as ``asked_unit`` names a counted noun (accent-free,
    lower-case: "ha", "km2", "usd"); None for any other word."""
    m = _SPELLED_UNIT_RE.match(_folded(text))
    return _UNIT_OF_FORM[m.group(1)] if m else None


# Where a measure stands: after a figure (not a year) or the question's "bao nhiêu"/"mấy", with its
# magnitude ("1.112,5 triệu USD", "bao nhiêu triệu đô la"), so that "ha giang" typed without accents,
# and "năm 2021 ha giang", are no hectares.
_MEASURE_AFTER_RE = re.compile(
    r"(?:(?<![\w/.,])(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*|\bbao nhieu|\bmay)\s+(?:(?:trieu|nghin|ngan|ti)\s+)?"
    + _SPELLED_UNIT_RE.pattern
)


def _measures(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, unit)`` of each measure ``text`` writes where a measure stands."""
    folded = _folded(text)
    if len(folded) != len(text):  # spans map back one for one only (a rare letter lower-cased longer)
        return []
    return [(m.start(1), m.end(1), _UNIT_OF_FORM[m.group(1)]) for m in _MEASURE_AFTER_RE.finditer(folded)]


def measures_as_symbols(text: str) -> str:
    """``text`` with each measure spelled out where a measure stands written as the symbol reports
    use ("bao nhiêu héc-ta" -> "bao nhiêu ha", "bao nhiêu triệu đô la" -> "bao nhiêu triệu USD"), so
    that a question finds and weighs the figures as reports write them."""
    out = text
    for start, end, unit in reversed(_measures(text)):
        out = out[:start] + _SYMBOL[unit] + out[end:]
    return out


@lru_cache(maxsize=64)
def _unit_forms(unit: str) -> str:
    """A regex for the counted noun ``unit`` (accent-free) in any of its spellings."""
    forms = {unit, *(f for f, u in _UNIT_OF_FORM.items() if u == unit)}
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


# "một" and "năm" count only right before the counted noun: "một số xã" is "some", "năm 2020" a year
_ONE_THEN_RE = re.compile(r"\b(?:một|năm)\s+([^\W\d_]+)", re.IGNORECASE)
_NUMBER_WORD_THEN_RE = re.compile(rf"{NUMBER_WORDS_RE.pattern}\s+(?:([^\W\d_]+)\s+)?([^\W\d_]+)", re.IGNORECASE)
# Nouns also written before their number: an age is "39 tuổi" or "ở tuổi 39" (accent-free, as
# ``asked_unit`` gives the counted noun).
_COUNTED_BEFORE = frozenset({"tuoi"})


def _record_counts_in(text: str, unit: str) -> bool:
    """A table row (rag/text/table_rows.py) whose unit column, or a figure's header, is ``unit``:
    "Chỉ tiêu: Diện tích lúa · ĐVT: ha · Kế hoạch: 12.400" counts in ha, "Số hộ nghèo: 86" in hộ."""
    pairs = parse_record(text)
    if pairs is None:
        return False
    units = [row_unit(pairs)] + [label_unit(label) for label, value in pairs if NUMBER_RE.search(value)]
    # the asked unit is one syllable ("trieu" of "bao nhiêu triệu đồng"): compare the unit's first
    if any(u is not None and (_folded(u).split()[:1] == [unit] or spelled_unit(u) == unit) for u in units):
        return True
    # a column that counts the noun: "Số hộ nghèo: 86" answers "bao nhiêu hộ" ("Tỷ lệ (%)" does not)
    return any(
        NUMBER_RE.search(value) and label_unit(label) is None
        and unit in re.findall(r"[^\W\d_]+", _folded(label))
        for label, value in pairs[1:]
    )


# "thứ mấy", "hạng mấy", "thứ bao nhiêu" ask a rank, not a count: what follows "mấy" there is no
# counted noun ("giàu thứ mấy thế giới"). ORDINAL stands for the asked unit of such a question.
ORDINAL = "thứ"
# The phrases that ask one, read by rag/query/analyze.py too (a number is asked).
RANK_PHRASES = ("thứ mấy", "hạng mấy", "thứ bao nhiêu", "hạng bao nhiêu")
# "nhiêu" spoken without "bao" ("giá nhiêu", "nhiêu tiền") asks a figure; in "phì nhiêu" (fertile) and
# "nhiêu khê" (cumbersome) it is a syllable of another word. Accented only: "nhieu" is "nhiều" (many).
SPOKEN_NHIEU = r"(?<!phì )\bnhiêu\b(?!\s+khê)"
# Accent-free, only after "xếp"/"đứng": "thu bao nhieu" is as often "thu bao nhiêu" (revenue).
ORDINAL_QUESTION_RE = re.compile(
    r"\b(?:" + "|".join(r"\s+".join(p.split()) for p in RANK_PHRASES) + r")\b"
    r"|\b(?:xep|dung)\s+(?:thu|hang)\s+(?:may|bao nhieu)\b",
    re.IGNORECASE,
)
# A rank as reports and encyclopaedias write it: "thứ 3", "hạng 49/63", "thứ ba", "thứ nhì", "đầu tiên".
# Number words are matched with their diacritics: accent-free "ba", "tu", "nam" are other words too.
_ORDINAL_RE = re.compile(
    r"\b(?:thứ|hạng|vị trí)\s+(?:thứ\s+)?(?:\d+|nhất|nhì|hai|ba|tư|bốn|năm|sáu|bảy|tám|chín|mười)\b|\bđầu tiên\b",
    re.IGNORECASE,
)


# "bao nhiêu tiền" asks an amount of money: a figure in a currency ("50 triệu đồng", "14,83$", "2 tỷ USD")
MONEY = "tien"
_MONEY_RE = re.compile(
    r"\$?\d+(?:[.,]\d+)*\s*(?:(?:nghìn|ngàn|triệu|tỷ)\s+)?(?:đồng|VNĐ|VND|USD|đô la|euro|EUR|\$)",
    re.IGNORECASE,
)


def _folded(text: str) -> str:
    """Lower-case :func:`fold_spelling`: "56 nhiệm kỳ" counts what "bao nhiêu kì" asks."""
    return fold_spelling(text).lower()


def holds_number_with_unit(text: str, unit: str) -> bool:
    """A number followed (within one word) by the counted noun: "18.015 văn bản", "46 xã", "sáu vật thể";
    or a table row counted in that unit; for :data:`ORDINAL`, a rank ("thứ ba", "hạng 49").

    Number words are matched as written (with their diacritics): accent-free "tu", "sau", "tam"
    are also "từ", "sau", "tâm"."""
    if unit == ORDINAL:
        return _ORDINAL_RE.search(text) is not None
    if unit == MONEY:
        return _MONEY_RE.search(text) is not None
    folded = _folded(text)
    if _counted(unit).search(folded):
        return True
    if unit in _COUNTED_BEFORE and re.search(rf"\b{unit}\s+\d+(?![\d/])", folded):
        return True
    if _record_counts_in(text, unit):
        return True
    for m in _NUMBER_WORD_THEN_RE.finditer(text):
        if any(w and _folded(w) == unit for w in m.groups()):
            return True
    # "một" and "năm" count only right before the counted noun ("có một cố vấn", "năm hoàng tử")
    return any(_folded(m.group(1)) == unit for m in _ONE_THEN_RE.finditer(text))


def counted_figure(text: str, item: Item, unit: str) -> Item | None:
    """``item`` extended to the noun it counts when that is ``unit`` ("72 y" in "gồm 72 y, bác sĩ";
    not the "2" of "2 đoàn"), or as it is when it is the rank asked for :data:`ORDINAL` ("thứ 45/63");
    None when the figure counts something else."""
    if unit == ORDINAL:
        return item if _RANK_BEFORE_RE.search(text, max(0, item.start - 12), item.start) else None
    if unit == MONEY:
        m = _MONEY_RE.match(text, item.start)
        return Item(item.start, m.end(), text[item.start : m.end()]) if m else None
    m = _counting(unit).match(_folded(text), item.start)
    return Item(item.start, m.end(), text[item.start : m.end()]) if m else None


@lru_cache(maxsize=64)
def _counted(unit: str) -> re.Pattern[str]:
    """A figure, at most one word, then the counted noun ``unit`` in any of its spellings."""
    return re.compile(rf"(?<![\w/])\d+(?:[.,/]\d+)*\s+(?:[^\W\d_]+\s+)?{_unit_forms(unit)}(?![^\W_])")


@lru_cache(maxsize=64)
def _counting(unit: str) -> re.Pattern[str]:
    """A figure, at most one word, then the counted noun (accent-free, as ``asked_unit`` gives it)."""
    return re.compile(rf"\S+\s+(?:[^\W\d_]+\s+)?{_unit_forms(unit)}(?![^\W_])")


_RANK_BEFORE_RE = re.compile(r"\b(?:thứ|hạng|vị trí)\s+$", re.IGNORECASE)


def date_items(text: str) -> list[Item]:
    return [Item(m.start(), m.end(), m.group(0)) for m in DATE_RE.finditer(text)]


def _formal_doc_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of the document numbers written in the formal form (capitals, a hyphen), in order."""
    spans = []
    for m in DOC_NUMBER_RE.finditer(text):
        serial = _FORMAL_SERIAL_RE.match(text, m.start())
        code = _FORMAL_CODE_RE.match(text, serial.end()) if serial else None
        if code and code.end() <= m.end():
            spans.append((m.start(), code.end()))
    spans += [m.span() for m in _PARTY_NUMBER_RE.finditer(text)]
    return sorted(spans)


def docref_items(text: str) -> list[Item]:
    return [Item(s, e, text[s:e]) for s, e in _formal_doc_numbers(text)]


def person_items(text: str) -> list[Item]:
    """People named with a title ("Phó Chủ tịch UBND tỉnh Lâm Văn Bi"): the title through the name."""
    out = []
    for m in PERSON_RE.finditer(text):
        out.append(Item(m.start(), m.end(), m.group(0)))
    return out


def place_items(text: str) -> list[Item]:
    return [Item(m.start(), m.end(), m.group(0)) for m in PLACE_RE.finditer(text)]


_EXCEEDED_RE = re.compile(r"\bvượt\s*$", re.IGNORECASE)
# What a figure is measured against, and no topic of its own. ("chỉ tiêu" is also what is counted:
# "bao nhiêu chỉ tiêu đạt".)
_PLAN_NOUNS = r"(?:kế hoạch|dự toán|mục tiêu)(?![^\W_])"
_SHARE_OF_PLAN_RE = re.compile(rf"\s*(?:của\s+|so với\s+)?{_PLAN_NOUNS}", re.IGNORECASE)
_PLANS_RE = re.compile(rf"(?<![^\W_]){_PLAN_NOUNS}", re.IGNORECASE)
_UNIT_AT_RE = re.compile(r"\s*(?:" + "|".join(re.escape(u) for u in UNITS) + r")(?![^\W\d_])", re.IGNORECASE)
# Verbs that state a figure in a report: "đạt 5.851 tỷ đồng", "tăng 12,7%", "chiếm 46%".
FIGURE_VERBS = r"đạt|tăng|giảm|chiếm|vượt|bằng|là|có|được|còn|ước|lên|xuống|hoàn thành|thực hiện"


def unit_at(text: str, pos: int) -> re.Match[str] | None:
    """The report unit (:data:`UNITS`) written at ``pos`` after any spaces ("văn bản", "tỷ đồng")."""
    return _UNIT_AT_RE.match(text, pos)
_SHARE_RE = re.compile(r"\s*(?:phần trăm|phan tram|%)?", re.IGNORECASE)


def past_the_plan(text: str) -> str:
    """``text`` (what follows a "bao nhiêu") without the plan it asks a share of: "% kế hoạch" → "",
    "phần trăm so với dự toán" → "". Such a tail asks how much, it names no topic."""
    rest = text[_SHARE_RE.match(text).end() :]  # type: ignore[union-attr]  # matches empty
    plan = _SHARE_OF_PLAN_RE.match(rest)
    return rest[plan.end() :] if plan else text


def without_plans(text: str) -> str:
    """``text`` without the plans it names ("có đạt kế hoạch không" → "có đạt không")."""
    return " ".join(_PLANS_RE.sub(" ", text).split())


def past_the_measure(text: str) -> str:
    """``text`` (what follows a "bao nhiêu") without its unit and the plan it is measured against:
    "tỷ đồng" → "", "phần trăm kế hoạch" → "", "văn bản quy phạm pháp luật" → "quy phạm pháp luật"."""
    unit = unit_at(text, 0)
    return past_the_plan(text[unit.end() :] if unit else text)


def plan_share(text: str, start: int) -> float | None:
    """The percentage at ``start`` as a share of a plan ("đạt 48,4% kế hoạch" → 48.4, "vượt 1,1% kế
    hoạch" → 101.1), or None when it is no share of a plan."""
    m = NUMBER_RE.match(text, start)
    if not m or not m.group(0).endswith("%") or not _PLAN_RE.match(text, m.end()):
        return None
    value = parse_number(m.group(0).rstrip("% "))
    if value is not None and _EXCEEDED_RE.search(text, max(0, start - 12), start):
        return 100.0 + value  # "vượt 1,1% kế hoạch": 101,1% of the plan
    return value


def parse_number(raw: str) -> float | None:
    """A Vietnamese-written number as a float: "5.851" → 5851, "17,7" → 17.7."""
    try:
        return float(raw.replace(".", "").replace(",", "."))
    except ValueError:
        return None


def holds_answer_type(text: str, answer_type: str, unit: str | None = None) -> bool:
    """Whether ``text`` contains something of the kind the question asks for (with its unit)."""
    if answer_type == "number":
        if unit is not None:
            return holds_number_with_unit(text, unit)
        return bool(informative_numbers(text))
    if answer_type == "date":  # "khi nào", "năm nào": a date, or the year alone
        return bool(DATE_RE.search(text) or _YEAR_IN_TEXT_RE.search(text))
    if answer_type == "docref":
        return bool(_formal_doc_numbers(text))
    if answer_type == "person":  # a titled name, a signature line, or a name written plainly ("Nguyễn Du")
        return bool(_PERSON_TIGHT_RE.search(text) or NAME_LINE_RE.search(text) or _NAME_RUN_RE.search(text))
    if answer_type == "place":  # "huyện Năm Căn", or a name after "ở" / "tại" ("tại Luang Phrabang")
        return bool(PLACE_RE.search(text) or _AT_PLACE_RE.search(text))
    return True


_WORD_RE = re.compile(r"[^\W_]+(?:[.,/][^\W_]+)*")


def without_given(text: str, question: str) -> str:
    """``text`` with the figures and capitalised words the question itself writes blanked out.

    The answer is what the question does not already say: in "1000 Forms of Fear phát hành khi
    nào?", the "1000" of the title is no date, and a sentence naming the album holds no answer
    by naming it. What is left shows whether the sentence holds a *new* item of the asked kind.
    """
    given = {
        w.group().lower()
        for w in _WORD_RE.finditer(question)
        if w.group()[0].isdigit() or w.group()[0].isupper()
    }
    if not given:
        return text
    return _WORD_RE.sub(lambda w: "_" if w.group().lower() in given else w.group(), text)
