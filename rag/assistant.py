"""The assistant: a Vietnamese question in, a short answer out, every claim cited to a verbatim span.

    from rag import Assistant
    assistant = Assistant.open(".baocao/index")
    answer = assistant.ask("Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?")
    answer.text, answer.citations, answer.found, answer.timings_ms

Pipeline per question: condense a follow-up with its history → analyse (period, province,
document numbers, answer type) → hybrid retrieval (dense + BM25 written + BM25 folded, fused)
→ domain rerank (optional cross-encoder) → answer (extractive by default; an LLM when configured,
its output kept only where the grounding check passes) → citations that are exact slices.
Models and the index load once, lazily.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from llama_index.core.schema import NodeWithScore

from rag.answer.compose import LEAD_SEPARATOR
from rag.answer.extractive import Draft, ExtractiveAnswerer, Span
from rag.answer.injection import without_instructions
from rag.answer.refusal import NOT_FOUND
from rag.config import AnswerMode, Settings, load_settings
from rag.query.analyze import QueryAnalysis, analyze, with_question_accents
from rag.query.followup import condense
from rag.records import Answer, Citation, SearchFilters, chunk_ref, page_at
from rag.rerank.domain import DomainReranker
from rag.retrieve.filters import FilterReport, explain_filters, not_found_note
from rag.retrieve.hybrid import Searcher, hits_from_nodes
from rag.text.abbreviations import load_abbreviations
from rag.text.reaccent import reaccent
from rag.timing import StageTimes, recording, stage

logger = logging.getLogger(__name__)

History = Sequence[Mapping[str, str]]

# Questions longer than this are cut: a report question is a sentence, not a document.
MAX_QUESTION_CHARS = 1000
# The stages of one answer, in this order in ``Answer.timings_ms``; the finer stages of retrieval
# (rag.timing: normalise, embed_query, dense_search, bm25, fuse, rerank) follow.
_STAGES = ("understand", "retrieve", "answer", "llm", "total")


class Assistant:
    """Opened once per process; ``ask`` is safe to call from several threads."""

    def __init__(self, searcher: Searcher, settings: Settings) -> None:
        self.settings = settings
        self.searcher = searcher
        self.store = searcher.store
        self.abbreviations = load_abbreviations(settings.answer.abbreviations_file)
        self.reranker = DomainReranker.from_settings(self.store, settings.rerank, self.abbreviations)
        self.extractive = ExtractiveAnswerer(self.store, self.abbreviations, settings.answer.top_passages)
        self._cross_encoder: Any = None
        self._llm: Any = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None) -> Assistant:
        settings = settings or load_settings()
        return cls(Searcher.open(Path(index_dir) if index_dir else settings.index.dir, settings), settings)

    # -- stages -------------------------------------------------------------------------------
    def understand(self, question: str, history: History | None = None) -> QueryAnalysis:
        """The standalone question (follow-ups condensed) and what it pins down."""
        question = question[:MAX_QUESTION_CHARS]
        if history:
            question = condense(question, history, self.abbreviations)
        return analyze(question, self.abbreviations)

    def retrieve(
        self, analysis: QueryAnalysis, filters: SearchFilters | None = None,
        retrieval_mode: str = "hybrid+rerank", k: int | None = None,
    ) -> list[NodeWithScore]:
        """Candidates for the question; ``retrieval_mode``: bm25, bm25_folded, dense, hybrid or hybrid+rerank."""
        k = k or self.settings.rerank.top_n
        allowed = self.store.allowed_docs(filters)
        reranked = retrieval_mode.endswith("+rerank")
        base = retrieval_mode.removesuffix("+rerank")
        if base == "hybrid" and self._foreign(analysis):
            base = "dense"  # BM25 finds only chance matches for a question in another language
        pool = self.settings.retrieval.candidates if reranked else k
        nodes = self.searcher.retrieve(analysis.text, pool, base, allowed_docs=allowed, lexical_query=analysis.expanded)
        if reranked:
            with stage("rerank"):
                nodes = self.reranker.postprocess_nodes(nodes, query_str=analysis.text)
                nodes = self._cross_encode(analysis.text, nodes)
        return nodes[:k]

    def _foreign(self, analysis: QueryAnalysis) -> bool:
        """Whether most of the question's words occur in no passage ("Which contact-tracing app …?")."""
        return self.extractive.foreign(self.reranker.matcher(analysis))

    def _cross_encode(self, question: str, nodes: list[NodeWithScore]) -> list[NodeWithScore]:
        if not self.settings.rerank.cross_encoder or not nodes:
            return nodes
        if self._cross_encoder is None:
            from rag.rerank.cross_encoder import CrossEncoderReranker

            self._cross_encoder = CrossEncoderReranker(
                model=self.settings.rerank.cross_encoder, weight=self.settings.rerank.cross_encoder_weight,
                top_n=len(nodes),
            )
        return self._cross_encoder.postprocess_nodes(nodes, query_str=question)

    # -- the public call ----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: History | None = None,
        filters: SearchFilters | None = None,
        answer_mode: AnswerMode | None = None,
        retrieval_mode: str = "hybrid+rerank",
    ) -> Answer:
        """Answer one question; ``answer_mode`` overrides settings.answer.mode (extractive | openai | gguf),
        ``retrieval_mode`` is one of :meth:`retrieve`'s.

        ``timings_ms`` holds understand, retrieve, answer (the extractive reader), llm (with an LLM) and
        total, and the finer stages of retrieval (normalise, embed_query, dense_search, bm25, fuse,
        rerank; see rag.timing).
        """
        with recording() as times:
            with stage("total"):
                answer = self._ask(question, history, filters, answer_mode, retrieval_mode)
        return replace(answer, timings_ms=_timings(times))

    def _ask(
        self, question: str, history: History | None, filters: SearchFilters | None,
        answer_mode: AnswerMode | None, retrieval_mode: str,
    ) -> Answer:
        with stage("understand"):
            analysis = self.understand(question, history)
        if not analysis.keywords and not analysis.doc_numbers:
            return self._refusal(analysis, [], "empty")
        scope = self._scope(filters)
        if scope is not None and scope.empty:  # nothing to search: say which filter left nothing
            return self._refusal(analysis, [], "filters", text=scope.message or NOT_FOUND)
        with stage("retrieve"):
            nodes = self.retrieve(analysis, filters, retrieval_mode)
        with stage("answer"):
            draft = self._read(analysis, nodes)
        answer_mode = answer_mode or self.settings.answer.mode
        if answer_mode != "extractive" and nodes:
            generated = self._generate(analysis, nodes, history, answer_mode)
            if generated is not None:
                return generated
        if not draft.found:
            text = f"{NOT_FOUND} {not_found_note(filters, scope)}".strip() if scope is not None else NOT_FOUND
            return self._refusal(analysis, nodes, draft.reason, draft.confidence, text=text)
        text, citations = self._write(draft)
        return Answer(text=text, citations=citations, found=True, question=analysis.text,
                      confidence=draft.confidence)

    def _scope(self, filters: SearchFilters | None) -> FilterReport | None:
        """What the active filters leave of the index, with the words that explain it (None: no filter)."""
        if filters is None or not filters.active:
            return None
        documents = {row.doc_id: row.metadata for row in self.store.documents_by_id().values()}
        return explain_filters(filters, documents)

    def for_reading(self, analysis: QueryAnalysis, nodes: Sequence[NodeWithScore]) -> QueryAnalysis:
        """The question as the reader weighs it: typed without accents, its question phrase spelled
        as a question ("bao nhieu" -> "bao nhiêu") and its other words as the passages retrieved for
        it spell them ("chi so" -> "chỉ số"; rag/text/reaccent.py). A question in another language
        stays as it is: "Ha Giang" in English is no Vietnamese to read."""
        if analysis.has_diacritics or not nodes or self._foreign(analysis):
            return analysis
        passages = [n.node.get_content() for n in nodes[: self.settings.answer.top_passages]]
        restored = reaccent(with_question_accents(analysis.text), passages)
        return analysis if restored == analysis.text else analyze(restored, self.abbreviations)

    def _read(self, analysis: QueryAnalysis, nodes: list[NodeWithScore]) -> Draft:
        """The extractive reader over the retrieved passages, with the question's vector."""
        if not nodes:
            return Draft(reason="không có đoạn văn nào (no passages)")
        analysis = self.for_reading(analysis, nodes)
        return self.extractive.answer(
            analysis, nodes, self.reranker.matcher(analysis), self.searcher.query_vector(analysis.text),
            embed_missing=lambda texts: self.searcher.embedder.embed_passages(texts),
        )

    def stream(self, question: str, history: History | None = None, filters: SearchFilters | None = None,
               answer_mode: AnswerMode | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they come, then the final :class:`Answer` (grounded and cited).

        With an LLM the pieces are its raw draft; the final answer keeps only grounded sentences
        (or the extractive answer), and a UI must show it in place of the draft. Its ``timings_ms``:
        understand, retrieve, llm (the model's own time, not the caller's between pieces), answer
        (grounding the draft), total (until the final answer), and retrieval's finer stages.
        """
        answer_mode = answer_mode or self.settings.answer.mode
        if answer_mode == "extractive":
            answer = self.ask(question, history, filters, answer_mode)
            yield answer.text
            yield answer
            return
        from rag.answer.llm import LLMUnavailable

        # no recording may span a yield (rag.timing): each stretch records into the same StageTimes
        times = StageTimes()
        with times.stage("total"):
            with recording(times), stage("understand"):
                analysis = self.understand(question, history)
            with recording(times), stage("retrieve"):
                nodes = self.retrieve(analysis, filters)
            pieces: list[str] = []
            answerer = self._llm_answerer(answer_mode)
            try:
                drafts = iter(answerer.stream(analysis.text, self._sources(nodes), history or []))
                while True:
                    with times.stage("llm"):
                        piece = next(drafts, None)
                    if piece is None:
                        break
                    pieces.append(piece)
                    yield piece
            except LLMUnavailable as exc:
                logger.warning("LLM unavailable, answering extractively: %s", exc)
                pieces = []
            # the streamed draft is provisional: callers show this grounded answer in its place
            with recording(times), stage("answer"):
                answer = self._grounded("".join(pieces), analysis, nodes)
        yield replace(answer, timings_ms=_timings(times))

    # -- writing ------------------------------------------------------------------------------
    def _citation(self, n: int, doc_id: str, start: int, end: int, chunk_id: str | None) -> Citation:
        text = self.store.document_text(doc_id) or ""
        row = self.store.manifest.document(doc_id)
        chunk = self.store.chunks().get(chunk_id or "")
        meta = row.metadata if row else None
        page = page_at(self.store.pages(doc_id), start)
        return Citation(
            n=n, doc=doc_id, title=meta.title if meta else None, section=chunk.section if chunk else "",
            start=start, end=end, quote=text[start:end], chunk_id=chunk_id,
            period=meta.period.label if meta and meta.period else None,
            page=page.number if page else None, ocr=bool(page and page.ocr),
        )

    def _write(self, draft: Draft) -> tuple[str, list[Citation]]:
        citations: list[Citation] = []
        parts: list[str] = []
        for n, span in enumerate(draft.spans, 1):
            citation = self._citation(n, span.doc_id, span.start, span.end, span.chunk_id)
            citations.append(citation)
            parts.append(_sentence(citation.quote, span, n, len({s.period for s in draft.spans}) > 1))
        return " ".join(parts), citations

    def _refusal(
        self, analysis: QueryAnalysis, nodes: list[NodeWithScore], reason: str, confidence: float = 0.0,
        text: str = NOT_FOUND,
    ) -> Answer:
        logger.info("refused %r: %s", analysis.text[:80], reason)
        return Answer(
            text=text, citations=[], found=False,
            suggestions=hits_from_nodes(nodes[:3]), question=analysis.text, confidence=confidence,
            reason=reason,
        )

    # -- generative path ----------------------------------------------------------------------
    def _llm_answerer(self, answer_mode: AnswerMode) -> Any:
        with self._lock:
            if self._llm is None or self._llm.answer_mode != answer_mode:
                from rag.answer.llm import LLMAnswerer

                self._llm = LLMAnswerer(self.settings.llm, answer_mode)
            return self._llm

    def _sources(self, nodes: list[NodeWithScore]) -> list[tuple[int, str, str]]:
        out = []
        for n, item in enumerate(nodes[: self.settings.answer.top_passages], 1):
            meta = item.node.metadata
            label = " · ".join(x for x in (meta.get("title"), meta.get("period_label"), meta.get("section")) if x)
            out.append((n, label, without_instructions(item.node.get_content())))
        return out

    def _generate(
        self, analysis: QueryAnalysis, nodes: list[NodeWithScore], history: History | None, answer_mode: AnswerMode,
    ) -> Answer | None:
        from rag.answer.llm import LLMUnavailable

        try:
            with stage("llm"):
                text, _ = self._llm_answerer(answer_mode).answer(analysis.text, self._sources(nodes), history or [])
        except LLMUnavailable as exc:
            logger.warning("LLM unavailable, answering extractively: %s", exc)
            return None
        answer = self._grounded(text, analysis, nodes)
        return answer if answer.found else None

    def _grounded(self, text: str, analysis: QueryAnalysis, nodes: list[NodeWithScore]) -> Answer:
        """Keep only the LLM sentences that pass the grounding check; renumber their citations."""
        from rag.answer.grounding import check_grounding

        sources = {n: body for n, _, body in self._sources(nodes)}
        result = check_grounding(text, sources)
        if not result.text.strip():
            draft = self._read(analysis, nodes)
            if not draft.found:
                return self._refusal(analysis, nodes, draft.reason, draft.confidence)
            body, citations = self._write(draft)
            return Answer(body, citations, True, mode="extractive", question=analysis.text,
                          confidence=draft.confidence)
        numbering = {old: new for new, old in enumerate(sorted(set(result.cited)), 1)}
        body = result.text
        for old, new in sorted(numbering.items(), key=lambda x: -x[0]):
            body = body.replace(f"[{old}]", f"[#{new}]")
        body = body.replace("[#", "[")
        citations = []
        for old, new in sorted(numbering.items(), key=lambda x: x[1]):
            ref = chunk_ref(nodes[old - 1].node)
            citations.append(self._citation(new, ref.doc_id, ref.start, ref.end, ref.chunk_id))
        return Answer(body, citations, True, mode="llm", question=analysis.text)


def _timings(times: StageTimes) -> dict[str, float]:
    """The answer's stages in their order (_STAGES), then the finer ones in the order they ran."""
    first = {name: times.ms[name] for name in _STAGES if name in times.ms}
    return first | {name: ms for name, ms in times.ms.items() if name not in first}


def _sentence(quote: str, span: Span, n: int, labelled: bool) -> str:
    """One answer sentence: the asked item first when pinned, then the quoted sentence whole, cited."""
    body = quote.strip().rstrip(".;,:")
    body = body[:1].upper() + body[1:]
    if span.lead:
        body = f"{span.lead}{LEAD_SEPARATOR}{body}"
    if labelled and span.period is not None:
        label = span.period.label
        body = f"{label[:1].upper() + label[1:]}: {body}"
    return f"{body} [{n}]."
