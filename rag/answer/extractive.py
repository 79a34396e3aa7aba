"""The default answerer: quote the sentences of the reports that answer, exactly as written.

No model that writes Vietnamese runs offline, so the answer is verbatim: the sentences of the top
passages are scored by the fitted reader (:mod:`rag.answer.reader_model`: semantic similarity,
word coverage, answer type, passage rank, ... weighed by weights fitted on public QA data), and
the best one is quoted whole, led by the item asked for (:mod:`rag.answer.compose`). Lists get
every sentence of the list, summaries up to five sentences of the best section, yes/no questions
"Có"/"Không" and the deciding figure, and a question naming several periods one answer per period.

A sentence never answers when it is of another period or province than the one asked, or lacks
a name the question gives (:mod:`rag.answer.guard`); and the answer is a refusal when the fitted
confidence that the best remaining sentence answers falls below the fitted threshold.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from llama_index.core.schema import NodeWithScore

from rag.answer.candidates import Candidate, EmbedPassages, antecedent, enumeration, gather, lead_in
from rag.answer.compose import deciding_figure, lead_item, yes_or_no
from rag.answer.features import FEATURES, featurize
from rag.answer.guard import missing_terms, named_terms
from rag.answer.reader_model import ReaderModel, load_reader_model
from rag.index.store import IndexStore
from rag.query.analyze import QueryAnalysis
from rag.records import Period, chunk_ref
from rag.rerank.evidence import (
    KeywordMatcher,
    asked_unit,
    continues_clause,
    period_match,
    province_match,
    stated_years,
)
from rag.text.abbreviations import Abbreviations
from rag.text.entities import holds_a_number, holds_number_with_unit
from rag.text.sentences import sentence_spans
from rag.text.signatures import find_signature

logger = logging.getLogger(__name__)

_SIGNED_RE = re.compile(r"\b(?:ky|nguoi ky|ky ten)\b")
# A summary quotes at most this many sentences: one claim each, readable in a chat.
MAX_ITEMS = 5
# A list quotes every item of its enumeration, up to this many (a list longer is a table).
MAX_LIST_ITEMS = 12
# An enumeration item and its lead-in are quoted as one stretch when it is at most this long.
CLOSE_QUOTE = 400
# Sentences of a list or summary besides the best one must be at least this likely relative to it.
_COMPANION_RATIO = 0.5
# A question half or more of whose words no passage holds is in another language: no word evidence.
FOREIGN_SHARE = 0.5
# period_match at or above this: the document or the passage is of the very period asked.
_SAME_PERIOD = 0.75
_WHOLE_YEAR = ("ca nam", "toan nam", "tron nam")
# Kinds of answer a sentence must hold to answer at all: a question asking "bao nhiêu" is never
# answered by a sentence without a figure. ("tờ trình nào" is often answered by a title, without
# a number, so a document number is weighed by the model, not required.)
_REQUIRED_TYPES = frozenset({"number"})
_BULLET_RE = re.compile(r"\s*(?:[-–+*•]|[a-zđ]\)|\d{1,2}[.)](?=\s))\s*")


@dataclass(frozen=True)
class Span:
    """A verbatim stretch of a stored document chosen as (part of) the answer."""

    doc_id: str
    start: int
    end: int
    chunk_id: str
    score: float  # the reader's probability that this sentence answers
    coverage: float  # its coverage of the question's words
    period: Period | None = None  # the asked period it answers, for a question naming several
    lead: str | None = None  # the asked item, pinned in the sentence ("5.851 tỷ đồng", "Có (48,4%)")


@dataclass
class Draft:
    """The extractive answerer's result before it is written out with citation numbers."""

    spans: list[Span] = field(default_factory=list)
    reason: str = ""
    confidence: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.spans)


@dataclass(frozen=True)
class Scored:
    """The candidate sentences of one question, their feature rows and the reader's probabilities."""

    candidates: list[Candidate]
    rows: np.ndarray
    probabilities: np.ndarray
    model: ReaderModel  # the model that scored them (the cross-lingual one without word evidence)


class ExtractiveAnswerer:
    """Choose, check and quote verbatim sentences from reranked passages."""

    def __init__(
        self,
        store: IndexStore,
        abbreviations: Abbreviations,
        top_passages: int = 5,
        model: ReaderModel | None = None,
    ) -> None:
        self.store = store
        self.abbreviations = abbreviations
        self.top_passages = top_passages
        self._model = model

    @property
    def model(self) -> ReaderModel:
        if self._model is None:
            self._model = load_reader_model()
        return self._model

    def evidence(
        self,
        analysis: QueryAnalysis,
        nodes: Sequence[NodeWithScore],
        matcher: KeywordMatcher,
        question_vector: np.ndarray | None,
        embed_missing: EmbedPassages | None = None,
    ) -> tuple[list[Candidate], np.ndarray]:
        """Every candidate sentence and its feature row: what the model weighs, and what training reads."""
        candidates = gather(self.store, nodes, self.top_passages, embed_missing)
        return candidates, featurize(analysis, candidates, question_vector, matcher)

    def _scored(self, candidates: list[Candidate], rows: np.ndarray, matcher: KeywordMatcher) -> Scored:
        """The reader's probabilities for the candidates, by the model that fits the question."""
        model = self.model.for_question(rows, foreign=self.foreign(matcher))
        return Scored(candidates, rows, model.sentence_probabilities(rows), model)

    def foreign(self, matcher: KeywordMatcher) -> bool:
        """Whether most of the question's words never occur in the index: a question in another
        language ("Which contact-tracing app …?"), whose few chance matches are no word evidence."""
        return self.store.bm25().unseen(matcher.keywords) >= FOREIGN_SHARE

    def answer(
        self,
        analysis: QueryAnalysis,
        nodes: Sequence[NodeWithScore],
        matcher: KeywordMatcher,
        question_vector: np.ndarray | None = None,
        embed_missing: EmbedPassages | None = None,
    ) -> Draft:
        if not analysis.keywords:
            return Draft(reason="câu hỏi không có nội dung để tìm (no content words)")
        if analysis.answer_type == "person" and _SIGNED_RE.search(analysis.folded):
            signed = self._signer(nodes)
            if signed is not None:
                return Draft(spans=[signed], confidence=1.0)
        scored = self._scored(*self.evidence(analysis, nodes, matcher, question_vector, embed_missing), matcher)
        if not scored.candidates:
            return Draft(reason="không có đoạn văn nào (no passages)")
        allowed, reason = self._allowed(analysis, scored.candidates)
        if not allowed:
            return Draft(reason=reason)
        asked = list(dict.fromkeys(analysis.periods))
        if len({(p.kind, p.year, p.value) for p in asked}) >= 2:
            return self._per_period(analysis, scored, allowed, asked, matcher)
        return self._one(analysis, scored, allowed, matcher)

    # -- which sentences may answer ----------------------------------------------------------
    def _allowed(self, analysis: QueryAnalysis, candidates: list[Candidate]) -> tuple[list[int], str]:
        """Indices of the candidates of the asked period and province that name what the question names."""
        bm25 = self.store.bm25()
        terms = named_terms(analysis, self.abbreviations, lambda token: bm25.share(token, "folded"))
        # a person's name is looked for in the whole report: read each report once, and only then
        document_wide = any(t.document_wide for t in terms)
        documents = lru_cache(maxsize=None)(lambda doc_id: self.store.document_text(doc_id) or "")
        allowed: list[int] = []
        reasons: dict[str, int] = {}
        asked_years = {p.year for p in analysis.periods}
        for i, c in enumerate(candidates):
            period = period_match(analysis, c.meta, c.context).score if analysis.periods else 0.0
            if period < 0:
                reasons["chỉ có số liệu của kỳ khác (only other periods)"] = 1
                continue
            if 0 < period < _SAME_PERIOD and analysis.answer_type == "number" and _strict_period(analysis, c):
                # the figure of August 2021 is not asked by "cả năm 2021", nor the year's by "tháng 8/2021"
                reasons["chỉ có số liệu của kỳ khác (only other periods)"] = 1
                continue
            if analysis.answer_type in _REQUIRED_TYPES and not _holds_asked_type(analysis, c.read):
                reasons["không câu nào nêu số liệu được hỏi (no sentence gives the figure asked)"] = 1
                continue
            stated = stated_years(c.read) if asked_years else set()
            if stated and not stated & asked_years:  # "năm 2019 xếp hạng 49" in a 2020 report
                reasons["chỉ có số liệu của kỳ khác (only other periods)"] = 1
                continue
            if province_match(analysis, c.meta) < 0:
                reasons["chỉ có tài liệu của tỉnh khác (only other provinces)"] = 1
                continue
            # a list or a summary spans its passage: "… Phó Chủ tịch HĐND; … Phó Chủ tịch MTTQ"
            where = replace(c, text=c.context, reading="") if analysis.form in ("list", "summary") else c
            document = documents(c.doc_id) if document_wide else ""
            missing = missing_terms(where, terms, document)
            if missing:
                reasons[f"không câu nào nêu {', '.join(missing)} (no sentence names it)"] = 1
                continue
            allowed.append(i)
        return allowed, "; ".join(reasons) or "không có câu nào đủ khớp (no sentence answers)"

    # -- composing ---------------------------------------------------------------------------
    def _one(
        self,
        analysis: QueryAnalysis,
        scored: Scored,
        allowed: list[int],
        matcher: KeywordMatcher,
        period: Period | None = None,
    ) -> Draft:
        probs = scored.probabilities[allowed]
        confidence = scored.model.confidence(probs, scored.rows[allowed])
        if confidence < scored.model.threshold:
            return Draft(
                reason=f"độ tin cậy {confidence:.2f} dưới ngưỡng (confidence below threshold)",
                confidence=confidence,
            )
        order = _asked_kind_first(scored, [allowed[i] for i in np.argsort(-probs, kind="stable")])
        if analysis.form in ("list", "summary"):
            order = _enumeration_first(scored, order, matcher)
        best = order[0]
        chosen = [best]
        if analysis.form in ("list", "summary"):
            chosen = self._companions(analysis, scored, order)
        opener = lead_in(scored.candidates, best) if analysis.form in ("fact", "yesno") else None
        if opener is not None:  # "khai thác vào ban đêm." says nothing without "… bị phạt tiền từ …:"
            return Draft(spans=self._clause_spans(scored, opener, best, analysis, matcher, period),
                         confidence=confidence)
        spans = [self._span(scored, i, analysis, matcher, period, lead=(i == best)) for i in chosen]
        if analysis.form == "fact" and spans[0].lead is None:
            spans[:1] = self._with_antecedent(scored, best, spans[0])
        return Draft(spans=spans, confidence=confidence)

    def _with_antecedent(self, scored: Scored, best: int, span: Span) -> list[Span]:
        """A quote that points back ("Đây là …", "Thời gian trị vì của ông …") and pins no asked
        item is quoted with the sentence it points to: the reader weighed the two as one, and alone
        the pointer does not say who or what. One quote when close, else two."""
        back = antecedent(scored.candidates, best)
        if back is None:
            return [span]
        head = scored.candidates[back]
        start, end = _strip(self.store.document_text(head.doc_id) or "", head.start, head.end)
        if span.end - start <= CLOSE_QUOTE:
            return [replace(span, start=start)]
        return [replace(span, start=start, end=end, chunk_id=head.chunk_id), span]

    def _clause_spans(
        self,
        scored: Scored,
        opener: int,
        item: int,
        analysis: QueryAnalysis,
        matcher: KeywordMatcher,
        period: Period | None,
    ) -> list[Span]:
        """An enumeration item quoted with its lead-in when the answer needs it: the asked item is
        pinned there ("50 triệu đồng"), or it names what the question names and the item does not
        ("khai thác cát … thì bị phạt tiền …: khai thác vào ban đêm"), or the question asks what holds
        for the case the item names ("Phạm tội ba lần thì sao?": the penalty stands in the lead-in).
        Else a bare "… như:" is no claim: the item is quoted alone. Lead-in and item stand in one quote
        when close, else in two."""
        head = scored.candidates[opener]
        text = self.store.document_text(head.doc_id) or ""
        start, end = _strip(text, head.start, head.start + head.text.rindex(":") + 1)
        alone = self._span(scored, item, analysis, matcher, period, lead=True)
        together = f"{text[start:end]}: {text[alone.start:alone.end]}"
        led = self._span(scored, item, analysis, matcher, period, lead=True, reading=together)
        item_text = text[alone.start : alone.end]
        asks_of_the_case = analysis.answer_type in ("phrase", "unknown")  # "thì sao", "ra sao", "là gì"
        adds_nothing = led.lead == alone.lead and matcher.coverage(together) <= matcher.coverage(item_text)
        if adds_nothing and not asks_of_the_case:
            return [alone]
        if alone.end - start <= CLOSE_QUOTE:
            return [replace(led, start=start)]
        return [replace(led, start=start, end=end, chunk_id=head.chunk_id), replace(alone, lead=None)]

    def _companions(self, analysis: QueryAnalysis, scored: Scored, order: list[int]) -> list[int]:
        """The sentences of a list or summary: the best one and, for a list, every item of the
        enumeration it belongs to; then sentences of its document (for a summary, of its section)
        that are nearly as likely, up to :data:`MAX_ITEMS` claims."""
        cands, probs = scored.candidates, scored.probabilities
        best = cands[order[0]]
        chosen = [order[0]]
        chosen += enumeration(cands, order[0])[: MAX_LIST_ITEMS if analysis.form == "list" else MAX_ITEMS - 1]
        floor = _COMPANION_RATIO * probs[order[0]]
        for i in order[1:]:
            c = cands[i]
            if len(chosen) >= MAX_ITEMS or i in chosen:
                continue
            same_place = c.doc_id == best.doc_id and (analysis.form == "list" or c.section == best.section)
            if same_place and probs[i] >= floor:
                chosen.append(i)
                if analysis.form == "list":  # a companion's own enumeration belongs to the list too
                    chosen += [j for j in enumeration(cands, i) if j not in chosen][:MAX_LIST_ITEMS]
        return sorted(dict.fromkeys(chosen), key=lambda i: (cands[i].doc_id, cands[i].start))

    def _per_period(
        self,
        analysis: QueryAnalysis,
        scored: Scored,
        allowed: list[int],
        asked: list[Period],
        matcher: KeywordMatcher,
    ) -> Draft:
        """One answer per asked period, each from a sentence of that period."""
        spans: list[Span] = []
        confidences: list[float] = []
        reasons: list[str] = []
        for target in asked:
            one = replace(analysis, periods=(target,))
            mine = [
                i
                for i in allowed
                if period_match(one, scored.candidates[i].meta, scored.candidates[i].context).score > 0
            ]
            if not mine:
                reasons.append(f"không có số liệu {target.label} (nothing for {target.code})")
                continue
            draft = self._one(one, scored, mine, matcher, period=target)
            spans += draft.spans
            confidences.append(draft.confidence)
            if draft.reason:
                reasons.append(f"{target.label}: {draft.reason}")
        return Draft(spans=spans, reason="; ".join(reasons), confidence=min(confidences, default=0.0))

    def _span(
        self,
        scored: Scored,
        i: int,
        analysis: QueryAnalysis,
        matcher: KeywordMatcher,
        period: Period | None,
        lead: bool,
        reading: str | None = None,
    ) -> Span:
        """Candidate ``i`` quoted whole, led by the asked item when ``lead``; the item is pinned in
        ``reading`` when given (an enumeration item read with its lead-in)."""
        c = scored.candidates[i]
        text = self.store.document_text(c.doc_id) or ""
        start, end = _strip(text, c.start, _completed(text, c))
        sentence = reading if reading is not None else text[start:end]
        item = None
        if lead and analysis.form == "yesno":
            figure = deciding_figure(analysis, sentence, matcher)
            verdict = yes_or_no(analysis, sentence)
            item = f"{verdict} ({figure})" if figure else verdict
        elif lead and analysis.form == "fact":
            item = lead_item(analysis, sentence, matcher)
        lexical = float(scored.rows[i, FEATURES.index("lexical")])
        return Span(c.doc_id, start, end, c.chunk_id, float(scored.probabilities[i]), lexical, period, item)

    def _signer(self, nodes: Sequence[NodeWithScore]) -> Span | None:
        """ "Ai ký …?": the signature block of the best-ranked document that has one."""
        for item in nodes[:3]:
            doc_id = chunk_ref(item.node).doc_id
            found = find_signature(self.store.document_text(doc_id) or "")
            if found is not None:
                start, end, _ = found
                return Span(doc_id, start, end, item.node.node_id, float(item.score or 0.0), 1.0)
        return None


def _strict_period(analysis: QueryAnalysis, candidate: Candidate) -> bool:
    """Whether a figure must come from a report of exactly the asked period: a month, quarter or
    half asked, or a whole year ("cả năm", "toàn năm"); the report's own period differs."""
    if candidate.meta.period is None:
        return False
    whole_year = any(cue in analysis.folded for cue in _WHOLE_YEAR)
    return any(p.kind != "year" or whole_year for p in analysis.periods)


def _holds_asked_type(analysis: QueryAnalysis, sentence: str) -> bool:
    """The sentence holds the kind of thing asked: for "bao nhiêu", a number, as a figure or a word
    ("sáu vật thể"), with the counted noun when one is asked ("bao nhiêu người": "95,5%" is no count)."""
    if analysis.answer_type != "number":
        return True
    unit = asked_unit(analysis.text)
    return holds_number_with_unit(sentence, unit) if unit else holds_a_number(sentence)


_HELD, _MISSING = FEATURES.index("type_held"), FEATURES.index("type_missing")


def _asked_kind_first(scored: Scored, order: list[int]) -> list[int]:
    """When the likeliest sentence holds no item of the kind asked ("Ai chủ trì …?" and no name in
    it) and one nearly as likely does, that one answers. The model weighs the asked kind among its
    signals; this settles a near tie by what the question asks. On the training questions, out of
    fold, it picks a sentence holding the answer more often (0.7455 → 0.748; docs/reading.md)."""
    rows, probs = scored.rows, scored.probabilities
    if not order or rows[order[0], _MISSING] < 0.5:
        return order
    floor = _COMPANION_RATIO * probs[order[0]]
    for k, i in enumerate(order[1:], start=1):
        if probs[i] < floor:
            break
        if rows[i, _HELD] > 0.5:
            return [i, *order[:k], *order[k + 1 :]]
    return order


def _enumeration_first(scored: Scored, order: list[int], matcher: KeywordMatcher) -> list[int]:
    """For a list or a summary, the sentence that opens an enumeration goes first when its lead-in
    (up to the ":") names the question's topic as well as the best sentence does: the items are what
    was asked ("những khó khăn": the items after "vẫn còn khó khăn:"). Else a nearly-best sentence
    that belongs to an enumeration."""
    cands = scored.candidates
    bar = matcher.coverage(cands[order[0]].text)
    for i in order:
        text = cands[i].text
        if (
            ":" in text
            and matcher.coverage(text[: text.index(":")]) >= bar
            and len(enumeration(cands, i)) >= 2
        ):
            return [i, *(j for j in order if j != i)]
    floor = _COMPANION_RATIO * scored.probabilities[order[0]]
    for i in order:
        if scored.probabilities[i] < floor:
            break
        if len(enumeration(cands, i)) >= 2:
            return [i, *(j for j in order if j != i)]
    return order


def _completed(text: str, candidate: Candidate) -> int:
    """Where the quoted fact ends: a sentence cut at ";" whose next clause completes it ("… PCI năm
    2019 với 64,1 điểm; tăng 04 bậc và tăng 2,4 điểm so với năm 2018") runs on to the next "."."""
    end = candidate.end
    for _ in range(2):
        if not text[candidate.start : end].rstrip().endswith(";"):
            break
        following = next(sentence_spans(text, end, min(len(text), end + 400)), None)
        if (
            following is None
            or following[0] - end > 3
            or not continues_clause(text[following[0] : following[1]])
        ):
            break
        end = following[1]
    return end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace, a list bullet and trailing separators so the quote is a clean sentence."""
    bullet = _BULLET_RE.match(text, start, end)
    if bullet and bullet.end() < end:
        start = bullet.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end
