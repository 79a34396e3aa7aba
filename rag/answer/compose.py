"""Writing the answer from the chosen sentences: the asked item first, then the whole sentence.

A journalist prints the figure; a reader checks the sentence. So the answer leads with the item
the question asks for when it can be pinned in the sentence (a figure with its unit, a person with
their title, a document number, a date, a place), then quotes the cited sentence whole: never a
clause cut out of it, which lost objects ("về phòng") and names before. Yes/no questions lead
with "Có" or "Không" and the figure that decides it. Hand-written: these are rules of how
Vietnamese reports state facts, not weights.
"""

from __future__ import annotations

import re

from rag.query.analyze import QueryAnalysis
from rag.rerank.evidence import KeywordMatcher, asked_unit
from rag.text.entities import (
    FIGURE_VERBS,
    Item,
    counted_figure,
    date_items,
    docref_items,
    figure_items,
    holds_number_with_unit,
    person_items,
    place_items,
    plan_share,
    unit_at,
)
from rag.text.normalize import fold_diacritics
from rag.text.table_rows import is_plan_label, is_unit_label, label_unit, parse_record, row_unit
from rag.text.tokenize import tokenize_folded


def lead_item(analysis: QueryAnalysis, sentence: str, matcher: KeywordMatcher) -> str | None:
    """The item of ``sentence`` that answers the question, as written, or None when none can be pinned."""
    kind = analysis.answer_type
    if kind in ("number", "unknown", "phrase"):
        cell = table_cell(analysis, sentence, matcher)
        if cell is not None:
            return cell
    if kind == "number":
        return _figure(analysis, sentence, matcher)
    if kind == "date":
        items = date_items(sentence)
    elif kind == "docref":
        asked = {n.upper() for n in analysis.doc_numbers}
        items = [i for i in docref_items(sentence) if i.text.upper() not in asked]
    elif kind == "person":
        items = _people(analysis, sentence)
    elif kind == "place":
        items = place_items(sentence)
    else:
        return None
    if not items or len(items[0].text) >= len(sentence.strip()) - 2:
        return None
    return items[0].text


def _figure(analysis: QueryAnalysis, sentence: str, matcher: KeywordMatcher) -> str | None:
    """The figure whose clause states what the question asks: first by the verb asked ("tăng bao
    nhiêu": the figure stated by "tăng"), then by how well its clause, from that verb to the
    comparison after it, covers the question, then its whole stretch since the previous figure."""
    figures = figure_items(sentence)
    unit = asked_unit(analysis.text)
    if unit is not None:  # "bao nhiêu y, bác sĩ": the figure that counts them, with the noun
        counted = [c for c in (counted_figure(sentence, f, unit) for f in figures) if c is not None]
        figures = counted or [f for f in figures if holds_number_with_unit(f.text, unit)] or figures
    if not figures:
        return None
    asked = _ASKED_VERB_RE.search(analysis.text)
    asked_verb = asked.group(1).lower() if asked else None
    best: tuple[bool, float, float] | None = None
    choice: Item = figures[0]
    previous = 0
    for i, item in enumerate(figures):
        following = figures[i + 1].start if i + 1 < len(figures) else len(sentence)
        end = _clause_end(sentence, item.end, following)
        verbs = list(_FIGURE_VERB_RE.finditer(sentence, previous, item.start))
        own = sentence[verbs[-1].start() if verbs else previous : end]
        stated_as_asked = bool(verbs) and verbs[-1].group(0).lower() == asked_verb
        stretch = sentence[previous:end]
        score = (stated_as_asked, round(matcher.coverage(own), 9), round(matcher.coverage(stretch), 9))
        if best is None or score > best:
            best, choice = score, item
        previous = end
    return _with_asked_noun(analysis, sentence, choice, len(figures)) if unit is not None else choice.text


# A figure's clause: from the verb that states it to the comparison after it. Reports write the
# base of a comparison after the figure ("tăng 1,8% so với tháng trước, lũy kế tăng 3,9% so cùng
# kỳ") and the subject once for every figure ("Thu ngân sách đạt … (74,4%) và tăng 12,7% …").
_FIGURE_VERB_RE = re.compile(rf"(?<![^\W_])(?:{FIGURE_VERBS})(?![^\W_])", re.IGNORECASE)
# the verb a question asks the figure of: "tăng bao nhiêu", "đạt được bao nhiêu", "chiếm mấy"
_ASKED_VERB_RE = re.compile(
    rf"(?<![^\W_])({FIGURE_VERBS})\s+(?:được\s+)?(?:khoảng\s+)?(?:bao nhiêu|mấy)(?![^\W_])", re.IGNORECASE
)
_CLAUSE_END_RE = re.compile(r"[,;:]|\s(?:và|nhưng|trong đó|trong khi)\s", re.IGNORECASE)
_ASKED_NOUN_RE = re.compile(r"(?:bao nhiêu|mấy)\s+([^?.,;!]+)", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W_]+")


def _clause_end(sentence: str, start: int, limit: int) -> int:
    """Where the clause of the figure ending at ``start`` ends: at the next comma, "và", … or at
    ``limit`` (the next figure), whichever comes first."""
    m = _CLAUSE_END_RE.search(sentence, start, limit)
    return m.start() if m else limit


def _with_asked_noun(analysis: QueryAnalysis, sentence: str, item: Item, counted: int) -> str:
    """A counted figure with its noun as the sentence writes it: a report's unit whole ("18.015 văn
    bản", not "18.015 văn"), and, when the noun is no report unit or ``counted`` figures of the
    sentence count it, as much more of the asked noun as follows, up to a function word or a verb:
    "07 văn bản quy phạm pháp luật" beside "6.778 văn bản", "10.000 khẩu trang y tế"."""
    asked = _ASKED_NOUN_RE.search(analysis.text)
    noun_start = item.end - len(item.text.split()[-1])
    unit = unit_at(sentence, noun_start)
    if unit and counted == 1:
        return sentence[item.start : max(item.end, unit.end())]
    if not asked:
        return item.text
    words = [fold_diacritics(w).lower() for w in _WORD_RE.findall(asked.group(1))]
    last = fold_diacritics(item.text.split()[-1]).lower()
    at = next((k for k, w in enumerate(words) if w == last), None)
    if at is None:
        return item.text
    end = item.end
    for word in words[at + 1 :]:
        m = _WORD_RE.match(sentence, end + 1) if sentence[end : end + 1] in (" ", "-") else None
        if m is None or fold_diacritics(m.group(0)).lower() != word or m.group(0).lower() in _NOT_NOUN:
            break
        end = m.end()
    return sentence[item.start : end]


# Where the asked noun ends: a function word or a verb ("13 tờ trình | của các sở", "10/22 chỉ tiêu
# chủ yếu | chưa đạt"), as written. Not analyze.STOPWORDS: those hold words a question asks with
# that are syllables of nouns too ("xin" of "vắc xin", "một", "như").
_FUNCTION_WORDS = "và của các những chưa đã sẽ được cho với trong về để từ đến tại ở mà thì"
_NOT_NOUN = frozenset(f"{_FUNCTION_WORDS} {FIGURE_VERBS.replace('|', ' ')}".split())


def table_cell(analysis: QueryAnalysis, sentence: str, matcher: KeywordMatcher) -> str | None:
    """The cell of a table row (rag/text/table_rows.py) the question asks for, named by its column:
    "Thực hiện 6 tháng: 97.212 triệu đồng (Kế hoạch 2023: 186.000)".

    The column is the one whose header (and cell words, "tăng 11,4") the question's words cover
    best ("kế hoạch", "thực hiện", "so với cùng kỳ"); with nothing to tell them apart, what was
    done comes before the plan. The plan is added in brackets when another column is quoted.
    """
    pairs = parse_record(sentence)
    if pairs is None:
        return None
    cells = [(i, label, value) for i, (label, value) in enumerate(pairs)
             if i > 0 and not is_unit_label(label) and figure_items(value)]
    if not cells:
        return None
    _, label, value = max(cells, key=lambda c: (round(matcher.coverage(f"{c[1]} {c[2]}"), 6),
                                               _label_precision(c[1], matcher), not is_plan_label(c[1]), -c[0]))
    unit = row_unit(pairs)
    if unit and not label_unit(label) and not value.endswith(unit):
        value = f"{value} {unit}"
    plans = [(lbl, val) for _, lbl, val in cells if is_plan_label(lbl) and lbl != label]
    if plans and not is_plan_label(label):
        return f"{label}: {value} ({plans[0][0]}: {plans[0][1]})"
    return f"{label}: {value}"


def _label_precision(label: str, matcher: KeywordMatcher) -> float:
    """The share of a header's words that the question uses: "Kế hoạch năm 2022" is named by
    "kế hoạch …" more tightly than "So với kế hoạch (%)" is (numbers and period words aside)."""
    words = [w for w in tokenize_folded(label.lower()) if w.isalpha() and w not in _PERIOD_WORDS]
    if not words:
        return 0.0
    asked = set(matcher.keywords)
    return sum(w in asked for w in words) / len(words)


def _people(analysis: QueryAnalysis, sentence: str) -> list[Item]:
    """People with titles; those whose title words the question uses come first."""
    people = person_items(sentence)
    asked = set(fold_diacritics(analysis.text).lower().split())
    return sorted(people, key=lambda p: -len(asked & set(fold_diacritics(p.text).lower().split()[:3])))


# Between the pinned item and the quoted sentence: "5.851 tỷ đồng — Thu ngân sách … [1]."
LEAD_SEPARATOR = " — "
_PERIOD_WORDS = frozenset(tokenize_folded("năm tháng quý kỳ đầu cuối"))
_NEGATION = r"(?:chưa|không)\s+(?:\S+\s+){0,2}?"
# "tăng" the verb, not the "tăng" of "tăng trưởng" (growth), which names an indicator.
_UP = (r"\btăng\b(?!\s+trưởng)", r"\bvượt\b", r"\bcao hơn\b")
_DOWN = (r"\bgiảm\b", r"\bthấp hơn\b", r"\bchậm\b")
_PREDICATES = ("đạt", "hoàn thành", "tăng", "giảm", "thực hiện", "có", "được", "đủ", "vượt")
_PLAN_WORDS = ("kế hoạch", "chỉ tiêu", "dự toán", "mục tiêu")


def yes_or_no(analysis: QueryAnalysis, sentence: str) -> str:
    """ "Có" or "Không" for a yes/no question, from what the sentence states.

    A share of the plan decides a question about reaching it ("đạt 48,4% kế hoạch": Không);
    the question's own predicate negated ("chưa đạt") says no; a sentence reporting a fall answers
    a question about a rise with no (and the reverse); otherwise the sentence affirms.
    """
    question = analysis.text.lower()
    text = sentence.lower()
    if any(w in question for w in _PLAN_WORDS):
        share = _plan_share(sentence)
        if share is not None:
            return "Có" if share >= 100 else "Không"
    asked = [p for p in _PREDICATES if re.search(rf"\b{p}\b", question)]
    subject = _clause_of(text, asked)
    if any(re.search(rf"\b{_NEGATION}{p}\b", subject) for p in asked):
        return "Không"
    asks_up = any(re.search(p, question) for p in _UP)
    asks_down = any(re.search(p, question) for p in _DOWN)
    says_up = any(re.search(p, text) for p in _UP)
    says_down = any(re.search(p, text) for p in _DOWN)
    if asks_up and says_down and not says_up:
        return "Không"
    if asks_down and says_up and not says_down:
        return "Không"
    return "Có"


def _clause_of(text: str, predicates: list[str]) -> str:
    """The clause (between commas or semicolons) that holds the asked predicate, else the whole text:
    "giảm 30%, không có ca tử vong" answers "có giảm không" in its first clause."""
    for clause in re.split(r"[,;]", text):
        if any(re.search(rf"\b{p}\b", clause) for p in predicates):
            return clause
    return text


def _plan_item(sentence: str) -> Item | None:
    """The percentage that is a share of the plan ("đạt 48,4% kế hoạch"), if the sentence has one."""
    for item in figure_items(sentence):
        if plan_share(sentence, item.start) is not None:
            return item
    return None


def _plan_share(sentence: str) -> float | None:
    item = _plan_item(sentence)
    return plan_share(sentence, item.start) if item is not None else None


def deciding_figure(analysis: QueryAnalysis, sentence: str, matcher: KeywordMatcher) -> str | None:
    """The figure a yes/no answer rests on: the share of the plan when the plan is asked about,
    else the figure the question's words lead to."""
    if any(w in analysis.text.lower() for w in _PLAN_WORDS):
        item = _plan_item(sentence)
        if item is not None:
            return item.text
    return _figure(analysis, sentence, matcher)
