"""The default answerer: quote the clause of the reports that answers, exactly as written.

No model that writes Vietnamese runs offline, so the answer is a verbatim span: the best
sentence of the top passages (content-word coverage, answer type, period, passage rank), trimmed
to the clauses that carry the asked fact ("Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8%
kế hoạch"). A question naming several periods gets one span per period. When no sentence covers
enough of the question, holds the asked answer type and fits the asked period, the answer is a
refusal. Hand-written: there is no offline extractive QA model for Vietnamese to call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from llama_index.core.schema import NodeWithScore

from rag.answer.injection import looks_like_instruction
from rag.index.store import IndexStore
from rag.ingest.metadata import find_signature
from rag.query.analyze import QueryAnalysis
from rag.records import DocumentMetadata, Period
from rag.rerank.evidence import (
    KeywordMatcher,
    asked_unit,
    continues_clause,
    holds_answer_type,
    period_match,
    province_match,
)
from rag.text.sentences import sentence_spans

# " - " is not a clause break: it joins compounds ("kinh tế - xã hội", "2020 - 2025").
_CLAUSE_SPLIT_RE = re.compile(r",\s+|:\s+|;\s*")
_OPENERS, _CLOSERS = "(“\"«", ")”\"»"
_SIGNED_RE = re.compile(r"\b(?:ky|nguoi ky|ky ten)\b")
_SHORT_SENTENCE = 170
_MAX_SPAN = 380


@dataclass(frozen=True)
class Span:
    """A verbatim stretch of a stored document chosen as (part of) the answer."""

    doc_id: str
    start: int
    end: int
    chunk_id: str
    score: float
    coverage: float
    period: Period | None = None


@dataclass
class Draft:
    """The extractive answerer's result before it is written out with citation numbers."""

    spans: list[Span] = field(default_factory=list)
    reason: str = ""

    @property
    def found(self) -> bool:
        return bool(self.spans)


@dataclass(frozen=True)
class _Sentence:
    doc_id: str
    start: int
    end: int
    chunk_id: str
    rank: int
    meta: DocumentMetadata
    passage: str  # the chunk with its title and section: the sentence's context


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` at commas, colons and semicolons outside parentheses and quotes."""
    spans: list[tuple[int, int]] = []
    pos = start
    depth = 0
    i = start
    while i < end:
        ch = text[i]
        if ch == '"':
            depth = depth - 1 if depth > 0 and text.rfind('"', start, i) >= start else depth + 1
        elif ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0:
            m = _CLAUSE_SPLIT_RE.match(text, i, end)
            if m and m.end() > i:
                if i > pos:
                    spans.append((pos, i))
                pos = m.end()
                i = m.end()
                continue
        i += 1
    if pos < end:
        spans.append((pos, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


class ExtractiveAnswerer:
    """Choose and trim verbatim spans from reranked passages."""

    def __init__(self, store: IndexStore, min_coverage: float = 0.5, top_passages: int = 5) -> None:
        self.store = store
        self.min_coverage = min_coverage
        self.top_passages = top_passages

    def _sentences(self, nodes: Sequence[NodeWithScore]) -> list[_Sentence]:
        out: list[_Sentence] = []
        seen: set[tuple[str, int, int]] = set()
        for rank, item in enumerate(nodes[: self.top_passages]):
            meta = item.node.metadata
            doc_id = meta["doc_id"]
            text = self.store.document_text(doc_id) or ""
            doc_meta = self.store.document_metadata(doc_id)
            passage = f"{doc_meta.title or ''}\n{meta.get('section', '')}\n{text[meta['start'] : meta['end']]}"
            for s, e in sentence_spans(text, meta["start"], meta["end"]):
                if looks_like_instruction(text[s:e]):  # document text is data, never a command
                    continue
                if (doc_id, s, e) not in seen:  # overlapping chunks repeat sentences
                    seen.add((doc_id, s, e))
                    out.append(_Sentence(doc_id, s, e, item.node.node_id, rank, doc_meta, passage))
        return out

    def _score(self, sent: _Sentence, text: str, analysis: QueryAnalysis, matcher: KeywordMatcher) -> tuple[float, float, float, bool]:
        sentence = text[sent.start : sent.end]
        coverage = matcher.coverage(sentence, sent.passage)
        typed = holds_answer_type(sentence, analysis.answer_type, asked_unit(analysis.text))
        period = period_match(analysis, sent.meta, sent.passage).score if analysis.periods else 0.0
        rank_prior = 1.0 - sent.rank / max(1, self.top_passages)
        score = coverage + 0.3 * typed + 0.3 * period + 0.15 * rank_prior
        return score, coverage, period, typed

    def answer(self, analysis: QueryAnalysis, nodes: Sequence[NodeWithScore], matcher: KeywordMatcher) -> Draft:
        if not analysis.keywords:
            return Draft(reason="câu hỏi không có nội dung để tìm (no content words)")
        if analysis.answer_type == "person" and _SIGNED_RE.search(analysis.folded):
            signed = self._signer(nodes)
            if signed is not None:
                return Draft(spans=[signed])
        sentences = self._sentences(nodes)
        if not sentences:
            return Draft(reason="không có đoạn văn nào (no passages)")
        texts = {s.doc_id: self.store.document_text(s.doc_id) or "" for s in sentences}
        scored = []
        for sent in sentences:
            score, coverage, period, typed = self._score(sent, texts[sent.doc_id], analysis, matcher)
            scored.append((score, coverage, period, typed, sent))
        scored.sort(key=lambda x: x[0], reverse=True)

        asked = list(dict.fromkeys(analysis.periods))
        targets: list[Period | None] = asked if len({(p.kind, p.year, p.value) for p in asked}) >= 2 else [None]
        spans: list[Span] = []
        reasons: list[str] = []
        for target in targets:
            best = None
            for score, coverage, period, typed, sent in scored:
                if target is not None:
                    one = _with_periods(analysis, (target,))
                    if period_match(one, sent.meta, sent.passage).score <= 0:
                        continue
                elif analysis.periods and period < 0:
                    continue
                if province_match(analysis, sent.meta) < 0:  # a report of another province
                    continue
                if not typed or coverage < self.min_coverage:
                    continue
                best = (score, coverage, sent)
                break
            if best is None:
                reasons.append("không có câu nào đủ khớp (no sentence answers)")
                continue
            score, coverage, sent = best
            start, end = self._trim(texts[sent.doc_id], sent, analysis, matcher)
            spans.append(Span(sent.doc_id, start, end, sent.chunk_id, score, coverage, target))
        if targets != [None] and len(spans) < len(targets):
            return Draft(spans=spans, reason="; ".join(reasons)) if spans else Draft(reason=reasons[0])
        return Draft(spans=spans, reason="; ".join(reasons))

    def _signer(self, nodes: Sequence[NodeWithScore]) -> Span | None:
        """"Ai ký …?": the signature block of the best-ranked document that has one."""
        for item in nodes[:3]:
            doc_id = item.node.metadata["doc_id"]
            found = find_signature(self.store.document_text(doc_id) or "")
            if found is not None:
                start, end, _ = found
                return Span(doc_id, start, end, item.node.node_id, float(item.score or 0.0), 1.0)
        return None

    def _trim(self, text: str, sent: _Sentence, analysis: QueryAnalysis, matcher: KeywordMatcher) -> tuple[int, int]:
        """The clauses of the sentence that carry the answer (whole sentence when short)."""
        if sent.end - sent.start <= _SHORT_SENTENCE:
            return _strip(text, sent.start, sent.end)
        clauses = clause_spans(text, sent.start, sent.end)
        if len(clauses) <= 1:
            return _strip(text, sent.start, sent.end)

        def cov(i: int, j: int) -> float:
            return matcher.coverage(text[clauses[i][0] : clauses[j][1]])

        typed = [i for i, (s, e) in enumerate(clauses) if holds_answer_type(text[s:e], analysis.answer_type, asked_unit(analysis.text))]
        candidates = typed or list(range(len(clauses)))
        best_i = max(candidates, key=lambda i: (matcher.coverage(text[clauses[i][0] : clauses[i][1]]), -i))
        lo = hi = best_i
        # widen to the neighbouring clauses that bring more of the question's words
        improved = True
        while improved:
            improved = False
            current = cov(lo, hi)
            options = []
            if lo > 0:
                options.append((cov(lo - 1, hi), lo - 1, hi))
            if hi < len(clauses) - 1:
                options.append((cov(lo, hi + 1), lo, hi + 1))
            for value, new_lo, new_hi in sorted(options, reverse=True):
                if value > current + 1e-9 and clauses[new_hi][1] - clauses[new_lo][0] <= _MAX_SPAN:
                    lo, hi, improved = new_lo, new_hi, True
                    break
        # keep the clauses that complete the fact ("…, vượt 6,8% kế hoạch")
        while hi < len(clauses) - 1 and continues_clause(text[clauses[hi + 1][0] : clauses[hi + 1][1]]):
            if clauses[hi + 1][1] - clauses[lo][0] > _MAX_SPAN:
                break
            hi += 1
        return _strip(text, clauses[lo][0], clauses[hi][1])


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace and trailing separators so the quote is a clean slice."""
    while start < end and (text[start].isspace() or text[start] in "-–+*•"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _with_periods(analysis: QueryAnalysis, periods: tuple[Period, ...]) -> QueryAnalysis:
    from dataclasses import replace

    return replace(analysis, periods=periods)
